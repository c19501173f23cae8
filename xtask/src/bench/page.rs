//! The markdown page a bench writes into `book/src/measured/`: a title, the
//! machine paragraph, then sections of text and tables, each wrapped in an
//! mdBook anchor so that a chapter can include just that part with
//! `{{#include ../measured/PAGE.md:NAME}}`.
//!
//! A bench says what goes on its page; this module alone decides how the
//! markdown looks, so every measured page is laid out the same way.

use std::fmt::Write as _;

/// The anchor around the machine paragraph: every chapter that quotes a
/// figure includes it, so the figure never appears without its machine.
pub const MACHINE_ANCHOR: &str = "machine";

/// A page being written, top to bottom.
#[derive(Debug)]
pub struct Page {
    text: String,
}

impl Page {
    /// A page with its title (`# title`) and the machine paragraph, in its
    /// `machine` anchor.
    pub fn new(title: &str, machine_paragraph: &str) -> Page {
        let mut page = Page {
            text: format!("# {title}\n\n"),
        };
        page.anchored(MACHINE_ANCHOR, |page| page.line(machine_paragraph));
        page
    }

    /// `## title`, then a blank line.
    pub fn heading(&mut self, title: &str) {
        let _ = write!(self.text, "## {title}\n\n");
    }

    /// What `fill` writes, between `<!-- ANCHOR: name -->` and
    /// `<!-- ANCHOR_END: name -->`: the markers can never be left unpaired.
    pub fn anchored<T>(&mut self, name: &str, fill: impl FnOnce(&mut Page) -> T) -> T {
        let _ = writeln!(self.text, "<!-- ANCHOR: {name} -->");
        let value = fill(self);
        let _ = write!(self.text, "<!-- ANCHOR_END: {name} -->\n\n");
        value
    }

    /// One line of text, with no blank line after it (the next line
    /// continues the same block).
    pub fn line(&mut self, text: &str) {
        let _ = writeln!(self.text, "{text}");
    }

    /// A paragraph: its text, then a blank line.
    pub fn paragraph(&mut self, text: &str) {
        let _ = write!(self.text, "{text}\n\n");
    }

    /// An empty line, ending the block before it (a table, a list).
    pub fn blank(&mut self) {
        self.text.push('\n');
    }

    pub fn table(&mut self, table: &Table) {
        self.text.push_str(&table.markdown());
    }

    /// The finished page, ending in exactly one newline.
    pub fn finish(self) -> String {
        let mut text = self.text;
        text.truncate(text.trim_end().len());
        text.push('\n');
        text
    }
}

/// How a column's cells line up: text to the left, figures to the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table of rows under named columns.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<TableRow>,
}

#[derive(Debug, Clone)]
enum TableRow {
    Cells(Vec<String>),
    /// A row with no figures: its name and why, across the other columns.
    Note(String, String),
}

impl Table {
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            columns: columns
                .iter()
                .map(|&(name, align)| (name.to_owned(), align))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// A row of figures, one cell per column (missing ones left empty).
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows
            .push(TableRow::Cells(cells.into_iter().map(Into::into).collect()));
    }

    /// A row that has no figures: its name, then why ("not measured: …").
    pub fn note(&mut self, name: impl Into<String>, why: impl Into<String>) {
        self.rows.push(TableRow::Note(name.into(), why.into()));
    }

    /// The table in GitHub-flavoured markdown, as mdBook renders it.
    pub fn markdown(&self) -> String {
        let mut text = markdown_row(self.columns.iter().map(|(name, _)| name.as_str()));
        text.push('|');
        for (_, align) in &self.columns {
            text.push_str(match align {
                Align::Left => "---|",
                Align::Right => "---:|",
            });
        }
        text.push('\n');
        for row in &self.rows {
            let cells: Vec<&str> = match row {
                TableRow::Cells(cells) => cells.iter().map(String::as_str).collect(),
                TableRow::Note(name, why) => vec![name, why],
            };
            let padding = self.columns.len().saturating_sub(cells.len());
            text.push_str(&markdown_row(
                cells.into_iter().chain(std::iter::repeat_n("", padding)),
            ));
        }
        text
    }

    /// The table for a terminal: columns padded to line up, a note written
    /// out after the row's name without widening any column.
    pub fn text(&self) -> String {
        let mut widths: Vec<usize> = self
            .columns
            .iter()
            .map(|(name, _)| name.chars().count())
            .collect();
        for row in &self.rows {
            let cells: Vec<&String> = match row {
                TableRow::Cells(cells) => cells.iter().collect(),
                TableRow::Note(name, _) => vec![name],
            };
            for (width, cell) in widths.iter_mut().zip(cells) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let padded: Vec<String> = cells
                .zip(self.columns.iter().zip(&widths))
                .map(|(cell, ((_, align), &width))| match align {
                    Align::Left => format!("{cell:<width$}"),
                    Align::Right => format!("{cell:>width$}"),
                })
                .collect();
            padded.join("  ").trim_end().to_owned() + "\n"
        };
        let mut text = line(&mut self.columns.iter().map(|(name, _)| name.as_str()));
        for row in &self.rows {
            match row {
                TableRow::Cells(cells) => {
                    text.push_str(&line(&mut cells.iter().map(String::as_str)))
                }
                TableRow::Note(name, why) => {
                    let width = widths.first().copied().unwrap_or(0);
                    let _ = writeln!(text, "{name:<width$}  {why}");
                }
            }
        }
        text
    }
}

/// `| a | b |`: an empty cell is written as `| |`, and a `|` inside a cell
/// is escaped so that it cannot split the cell in two.
fn markdown_row<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let mut text = String::from("|");
    for cell in cells {
        if cell.is_empty() {
            text.push_str(" |");
        } else {
            let _ = write!(text, " {} |", cell.replace('|', "\\|"));
        }
    }
    text.push('\n');
    text
}

/// "1.8×", or "—" where there is no figure to divide by.
pub fn times(ratio: Option<f64>, decimals: usize) -> String {
    ratio.map_or("—".into(), |r| format!("{r:.decimals$}×"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut table = Table::new(&[
            ("row", Align::Left),
            ("wall (s)", Align::Right),
            ("note", Align::Left),
        ]);
        table.row(["ours", "1.25", "fast"]);
        table.row(["theirs", "2.50"]);
        table.note("missing", "not measured: a | b");
        table
    }

    #[test]
    fn a_table_has_its_header_alignment_and_rows() {
        assert_eq!(
            table().markdown(),
            "| row | wall (s) | note |\n\
             |---|---:|---|\n\
             | ours | 1.25 | fast |\n\
             | theirs | 2.50 | |\n\
             | missing | not measured: a \\| b | |\n"
        );
    }

    #[test]
    fn a_text_table_lines_up_and_a_note_does_not_widen_the_figures() {
        let text = table().text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "row      wall (s)  note");
        assert_eq!(lines[1], "ours         1.25  fast");
        assert_eq!(lines[2], "theirs       2.50");
        assert_eq!(lines[3], "missing  not measured: a | b");
    }

    #[test]
    fn anchors_come_in_pairs_around_their_part() {
        let mut page = Page::new("Measured: a test", "Generated on a test machine.");
        page.heading("Part");
        let answer = page.anchored("part", |page| {
            page.paragraph("Some text.");
            page.table(&table());
            42
        });
        assert_eq!(answer, 42);
        let text = page.finish();
        assert!(text.starts_with(
            "# Measured: a test\n\n<!-- ANCHOR: machine -->\nGenerated on a test machine.\n\
             <!-- ANCHOR_END: machine -->\n\n## Part\n\n<!-- ANCHOR: part -->\nSome text.\n\n| row |"
        ));
        assert!(
            text.ends_with("| missing | not measured: a \\| b | |\n<!-- ANCHOR_END: part -->\n")
        );
        for name in ["machine", "part"] {
            let begin = text.find(&format!("<!-- ANCHOR: {name} -->")).unwrap();
            let end = text.find(&format!("<!-- ANCHOR_END: {name} -->")).unwrap();
            assert!(begin < end, "{name}");
        }
    }

    #[test]
    fn ratios_have_a_dash_when_there_is_none() {
        assert_eq!(times(Some(1.96), 1), "2.0×");
        assert_eq!(times(Some(1.0), 2), "1.00×");
        assert_eq!(times(None, 2), "—");
    }
}
