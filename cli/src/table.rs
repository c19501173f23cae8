//! Tables whose columns fit their content, the same on a terminal and in a
//! file: a header, a rule under it, text columns to the left, figures to
//! the right.
//!
//! Built on comfy-table rather than `{:>10}` padding: a hand-padded column
//! overflows the first time a strategy's name or a figure is longer than
//! its author guessed, and its header runs into the next one.
//!
//! ```
//! let mut table = cli::table::Table::new(["strategy", "wall", "speed-up"]).numeric([1, 2]);
//! table.row(["sequential", "22.4 s", "1.00×"]);
//! table.row(["async (64 in flight)", "478 ms", "46.9×"]);
//! let text = table.to_string();
//! assert!(text.lines().all(|line| !line.ends_with(' ')));
//! ```

use comfy_table::{CellAlignment, ContentArrangement};
use std::fmt;

/// A table of text rows under a header.
#[derive(Debug)]
pub struct Table {
    inner: comfy_table::Table,
    numeric: Vec<usize>,
}

impl Table {
    /// A table with these column headers.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        let mut inner = comfy_table::Table::new();
        // No borders, one rule under the header.
        inner
            .load_style(
                comfy_table::TableStyle::new()
                    .header_separator(comfy_table::LineStyle::none().fill('-').junction('-')),
            )
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(header.into_iter().map(Into::into).collect::<Vec<String>>());
        Table {
            inner,
            numeric: Vec::new(),
        }
    }

    /// Align these columns (0-based) to the right, as figures are.
    pub fn numeric(mut self, columns: impl IntoIterator<Item = usize>) -> Table {
        self.numeric.extend(columns);
        self
    }

    /// Add one row; a missing cell stays empty.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Table {
        self.inner
            .add_row(cells.into_iter().map(Into::into).collect::<Vec<String>>());
        self
    }

    /// No rows yet.
    pub fn is_empty(&self) -> bool {
        self.inner.row_count() == 0
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut inner = self.inner.clone();
        for &column in &self.numeric {
            if let Some(column) = inner.column_mut(column) {
                column.set_cell_alignment(CellAlignment::Right);
            }
        }
        // Two spaces between columns, none before the first: the table
        // starts at the margin like the rest of the output.
        for column in inner.column_iter_mut() {
            column.set_padding((0, 2));
        }
        // comfy-table pads every cell, the last one too: trailing spaces
        // are noise in a file and in a diff.
        for line in inner.lines() {
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_the_longest_cell_and_figures_align_right() {
        let mut table = Table::new(["strategy", "wall", "cores used"]).numeric([1, 2]);
        table.row(["sequential", "22.4 s", "0.05"]);
        table.row(["std::thread::sleep(100 ms) in async", "143 ms", "1.00"]);
        let text = table.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        // The header, its rule and every row line up: each column starts
        // where its header starts, and nothing runs into its neighbour.
        let wall = lines[0].find("wall").unwrap();
        let cores = lines[0].find("cores used").unwrap();
        assert!(lines[3].find("143 ms").unwrap() + "143 ms".len() <= wall + "wall".len() + 2);
        assert!(lines[3][..cores].trim_end().ends_with("143 ms"), "{text}");
        assert!(lines[1].trim().chars().all(|c| c == '-'), "{text}");
        assert!(
            lines[2].ends_with("0.05") && lines[3].ends_with("1.00"),
            "{text}"
        );
        assert!(
            lines[2].len() == lines[3].len(),
            "right-aligned last column:\n{text}"
        );
    }
}
