//! `cargo xtask bench image-processor [--photos DIR]`: thumbnailing a
//! folder of real photographs, ours against the tools people already use,
//! in one run on this machine; the table and a chart go to
//! `book/src/measured/image-processor.md` and `image-processor.svg`.
//!
//! Every row turns each photo into a JPEG (quality 85) that fits within
//! 512×512, with the same cores:
//! 1. `image-processor --jobs 1`: ours, one image at a time;
//! 2. `image-processor --jobs N`: ours, rayon, N = the cores available;
//! 3. `examples/image-processor/python/thumbnail.py`: Pillow in a
//!    multiprocessing pool of N processes (skipped without Pillow);
//! 4. `vipsthumbnail` (libvips), N processes side by side (skipped without it);
//! 5. ImageMagick's `mogrify`, N processes side by side (skipped without it).
//!
//! The photos are gathered by `image_photos.rs`; the tools' command lines
//! and the check of their output are in `image_tools.rs`. A row counts only
//! if it did the job: as many JPEGs out as images in, each of the expected
//! size. One that did not is reported as failed, not ranked.

use super::chart::{Bar, BarChart};
use super::image_photos::{self, InputSummary};
use super::image_tools::{self, Measured, Setup, Tool};
use super::page::{Align, Page, Table, times};
use super::{files, machine, release};
use crate::project::{self, Project};
use anyhow::Result;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder of photos to thumbnail, searched at any depth for JPEGs
    /// and PNGs of 2 to 20 megapixels (default: /usr/share/wallpapers, from
    /// the package plasma-workspace-wallpapers).
    #[arg(long, value_name = "DIR")]
    pub photos: Option<PathBuf>,
}

/// Every thumbnail fits within BOX × BOX pixels.
pub const BOX: u32 = 512;
/// JPEG quality of every thumbnail.
pub const QUALITY: u32 = 85;
/// Rounds of every row; each row keeps its best.
const RUNS: usize = 3;

#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Measured(Measured),
    /// Not run: the tool is missing (the reason says how to get it).
    Skipped(String),
    /// Ran, and failed or made the wrong output: not ranked.
    Failed(String),
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    tool: Tool,
    /// The name shown in the table, with the tool's version.
    name: String,
    /// The command line, as the page shows it.
    command: String,
    outcome: Outcome,
}

pub fn run(args: &Args) -> Result<()> {
    let project = Project::load()?;
    let exe = release::build(&project, "image-processor")?;
    let scratch = project.target_dir.join("bench-image-processor");
    let _ = std::fs::remove_dir_all(&scratch);
    let input = scratch.join("photos");
    std::fs::create_dir_all(&input)?;

    let (summary, photos) = image_photos::photos(args.photos.as_deref(), &exe, &input)?;
    eprintln!(
        "{} images ({} JPEG, {} PNG), {:.0} megapixels in all",
        summary.count, summary.jpeg, summary.png, summary.total_megapixels
    );

    // Every row is started by this process and inherits its CPU affinity,
    // so every row gets the very same cores; N is how many there are.
    let cores = harness::cpu::available_cores();
    let magick = image_tools::magick();
    let setup = Setup {
        exe,
        python: project::root().join("examples/image-processor/python/thumbnail.py"),
        mogrify: magick.as_ref().map(|(m, _)| m.clone()).unwrap_or_default(),
        cores,
    };
    let row = |tool: Tool, name: String, ready: Result<(), String>| Row {
        tool,
        name,
        command: image_tools::shown_command(tool, cores),
        outcome: match ready {
            // Until round_robin replaces it with the row's figures.
            Ok(()) => Outcome::Failed("not run".into()),
            Err(reason) => Outcome::Skipped(reason),
        },
    };
    let pillow = image_tools::pillow();
    let vips = image_tools::vips();
    let ready = |found: Result<&str, &String>| found.map(|_| ()).map_err(Clone::clone);
    let mut rows = vec![
        row(
            Tool::OursSequential,
            "ours, sequential (`--jobs 1`)".into(),
            Ok(()),
        ),
        row(
            Tool::OursRayon,
            format!("ours, rayon (`--jobs {cores}`)"),
            Ok(()),
        ),
        row(
            Tool::Pillow,
            format!(
                "Pillow {} + multiprocessing, {cores} processes",
                pillow.as_deref().unwrap_or("")
            ),
            ready(pillow.as_deref()),
        ),
        row(
            Tool::Vips,
            format!(
                "vipsthumbnail ({}), {cores} processes",
                vips.as_deref().unwrap_or("libvips")
            ),
            ready(vips.as_deref()),
        ),
        row(
            Tool::Magick,
            format!(
                "{} mogrify, {cores} processes",
                magick.as_ref().map_or("ImageMagick", |(_, v)| v.as_str())
            ),
            ready(magick.as_ref().map(|(_, v)| v.as_str())),
        ),
    ];
    for r in &rows {
        if let Outcome::Skipped(reason) = &r.outcome {
            eprintln!("skipping {}: {reason}", r.tool.short());
        }
    }

    round_robin(&mut rows, &setup, &photos, &input, &scratch);

    println!("{}", table(&rows, summary.count).text());
    let machine = machine::describe(cores, uses_python(&rows));
    files::publish(
        "image-processor.md",
        &render(&machine, &summary, cores, &rows),
        &[("image-processor.svg", chart(&rows, summary.count))],
    )
}

/// Measure every row that is not skipped [`RUNS`] times and keep its best
/// round, or the reason it failed.
fn round_robin(
    rows: &mut [Row],
    setup: &Setup,
    photos: &[image_photos::Photo],
    input: &Path,
    scratch: &Path,
) {
    // Round-robin: every row once, then every row again. A slow spell of
    // the machine (another program, a hot CPU throttling) then hits every
    // row alike, and each row's best round is the one least disturbed.
    let mut best: Vec<Option<Measured>> = vec![None; rows.len()];
    let mut failed: Vec<Option<String>> = vec![None; rows.len()];
    for round in 1..=RUNS {
        for (i, r) in rows.iter().enumerate() {
            if matches!(r.outcome, Outcome::Skipped(_)) || failed[i].is_some() {
                continue;
            }
            let out = scratch.join(format!("out-{}", i + 1));
            eprint!("round {round}/{RUNS}: {}… ", r.tool.short());
            match image_tools::attempt(r.tool, setup, photos, input, &out) {
                Ok(m) => {
                    eprintln!("{:.2} s", m.wall_s);
                    if best[i].is_none_or(|b| m.wall_s < b.wall_s) {
                        best[i] = Some(m);
                    }
                }
                Err(reason) => {
                    eprintln!("failed: {reason}");
                    failed[i] = Some(reason);
                }
            }
        }
    }
    for (i, r) in rows.iter_mut().enumerate() {
        if matches!(r.outcome, Outcome::Skipped(_)) {
            continue;
        }
        r.outcome = match (&failed[i], best[i]) {
            (Some(reason), _) => Outcome::Failed(reason.clone()),
            (None, Some(m)) => Outcome::Measured(m),
            (None, None) => Outcome::Failed("not run".into()),
        };
    }
}

/// Name Python's version on the machine line only when a Python row ran.
fn uses_python(rows: &[Row]) -> bool {
    rows.iter()
        .any(|r| r.tool == Tool::Pillow && !matches!(r.outcome, Outcome::Skipped(_)))
}

fn measured(row: &Row) -> Option<&Measured> {
    match &row.outcome {
        Outcome::Measured(m) => Some(m),
        _ => None,
    }
}

/// The table, for the page and the terminal alike: wall s, images/s, speed
/// vs ours sequential, cores used, peak MB; a row without figures says why.
fn table(rows: &[Row], images: usize) -> Table {
    let sequential = rows
        .iter()
        .find(|r| r.tool == Tool::OursSequential)
        .and_then(measured)
        .map(|m| m.wall_s);
    let mut table = Table::new(&[
        ("row", Align::Left),
        ("wall (s)", Align::Right),
        ("images/s", Align::Right),
        ("speed vs ours sequential", Align::Right),
        ("cores used", Align::Right),
        ("peak MB", Align::Right),
    ]);
    for row in rows {
        match &row.outcome {
            Outcome::Measured(m) => table.row([
                row.name.clone(),
                format!("{:.2}", m.wall_s),
                format!("{:.1}", images as f64 / m.wall_s),
                times(sequential.map(|s| s / m.wall_s), 2),
                format!("{:.2}", m.cpu_s / m.wall_s),
                m.peak_bytes
                    .map_or("—".into(), |b| format!("{:.0}", b as f64 / 1e6)),
            ]),
            Outcome::Skipped(reason) => table.note(&row.name, format!("not measured: {reason}")),
            Outcome::Failed(reason) => {
                table.note(&row.name, format!("failed, not ranked: {reason}"));
            }
        }
    }
    table
}

/// One sentence from the figures: did ours (rayon) beat Pillow and libvips
/// on wall time?
fn verdict(rows: &[Row]) -> String {
    let find = |tool: Tool| rows.iter().find(|r| r.tool == tool).and_then(measured);
    let Some(ours) = find(Tool::OursRayon) else {
        return "**Verdict:** none: ours with rayon did not produce a correct result, so it \
                is not compared."
            .into();
    };
    let mut said = Vec::new();
    for tool in [Tool::Pillow, Tool::Vips] {
        let name = tool.short();
        said.push(match find(tool) {
            Some(them) if ours.wall_s < them.wall_s => format!(
                "beat {name} ({:.2} s: ours was {:.2}× as fast)",
                them.wall_s,
                them.wall_s / ours.wall_s
            ),
            Some(them) => format!(
                "did not beat {name} ({:.2} s: {:.2}× as fast as ours)",
                them.wall_s,
                ours.wall_s / them.wall_s
            ),
            None => format!("could not be compared with {name} (not measured)"),
        });
    }
    format!(
        "**Verdict:** on wall time, ours with rayon ({:.2} s) {}.",
        ours.wall_s,
        said.join(" and ")
    )
}

/// The markdown page.
fn render(machine: &str, input: &InputSummary, cores: usize, rows: &[Row]) -> String {
    let mut page = Page::new(
        "Measured: the image processor",
        &format!(
            "Generated by `cargo xtask bench image-processor` (release build) on {machine}. \
             Every figure was measured in that one run; run the command to replace them with \
             your machine's."
        ),
    );
    // Each part in its anchor: the chapter includes them one by one with
    // {{#include ../measured/image-processor.md:NAME}}.
    page.heading("The input");
    page.anchored("input", |page| page.line(&input_sentence(input)));

    page.heading(&format!("Thumbnails within {BOX}×{BOX}"));
    page.anchored("table", |page| {
        page.paragraph(&format!(
            "Each row makes a JPEG (quality {QUALITY}) that fits within {BOX}×{BOX} from every \
             image, on the same {cores} cores; each ran {RUNS} times, round-robin, and keeps \
             its fastest round. A row counts only if it made one JPEG per image, each of the \
             right size. Cores used = CPU time ÷ wall time of the row's processes; peak MB = \
             the largest resident memory of any *one* of its processes (a row of {cores} \
             processes can use up to {cores} times that together)."
        ));
        page.table(&table(rows, input.count));
        page.blank();
        page.line(&verdict(rows));
    });

    page.heading("Images per second");
    page.anchored("chart", |page| {
        page.line("![images per second, by row](../measured/image-processor.svg)");
    });

    page.heading("The commands");
    page.anchored("commands", |page| {
        page.paragraph(&format!(
            "IN is the flat folder of images, OUT a fresh, empty folder in every round. \
             vipsthumbnail and mogrify take a list of files and work through it one at a time, \
             so they run as {cores} processes started together, each on its own list (FILES); \
             the lists hold about equal numbers of pixels. A fixed split can leave one process \
             finishing before the other: the cores-used column shows how much."
        ));
        for row in rows {
            page.line(&format!("- {}: `{}`", row.tool.short(), row.command));
        }
    });
    page.finish()
}

/// What the input was, and where it came from.
fn input_sentence(input: &InputSummary) -> String {
    let figures = format!(
        "{} JPEG and {} PNG, {:.0} megapixels in all ({:.1} to {:.1} each)",
        input.jpeg,
        input.png,
        input.total_megapixels,
        input.smallest_megapixels,
        input.largest_megapixels
    );
    if input.synthetic {
        format!(
            "**Synthetic images, not photographs:** there was no photo folder at `{}` (on \
             Debian or Ubuntu, `apt-get install plasma-workspace-wallpapers` puts real \
             photographs there; or give any folder with `--photos DIR`), so the input is the \
             {} images `image-processor generate` made: {figures}.",
            input.source, input.count
        )
    } else {
        format!(
            "{} images from `{}`: {figures}. Every JPEG and PNG of 2 to 20 megapixels under the \
             folder was taken, each file once however many names link to it (preview \
             `screenshot.*` files left out), and gathered into one flat folder that every row \
             reads.",
            input.count, input.source
        )
    }
}

/// Images per second, one bar per row; ours in orange, the others in blue.
fn chart(rows: &[Row], images: usize) -> String {
    BarChart {
        title: &format!("thumbnails per second ({BOX}×{BOX}, JPEG q{QUALITY}): longer is faster"),
        value_label: &format!("images per second, best of {RUNS} rounds"),
        bars: rows
            .iter()
            .map(|row| Bar {
                label: row.name.replace('`', ""),
                value: measured(row)
                    .filter(|m| m.wall_s > 0.0)
                    .map(|m| images as f64 / m.wall_s),
                color: if row.tool.is_ours() {
                    "#e6550d"
                } else {
                    "#3182bd"
                },
                missing: if matches!(row.outcome, Outcome::Skipped(_)) {
                    "not measured"
                } else {
                    "failed"
                },
            })
            .collect(),
    }
    .svg()
}

#[cfg(test)]
mod tests {
    use super::super::image_photos::tests::photo;
    use super::*;

    fn measured(wall_s: f64, cpu_s: f64, peak_mb: u64) -> Outcome {
        Outcome::Measured(Measured {
            wall_s,
            cpu_s,
            peak_bytes: Some(peak_mb * 1_000_000),
        })
    }

    fn rows() -> Vec<Row> {
        let row = |tool: Tool, name: &str, outcome: Outcome| Row {
            tool,
            name: name.into(),
            command: image_tools::shown_command(tool, 2),
            outcome,
        };
        vec![
            row(
                Tool::OursSequential,
                "ours, sequential",
                measured(10.0, 9.9, 80),
            ),
            row(Tool::OursRayon, "ours, rayon", measured(5.0, 9.8, 120)),
            row(
                Tool::Pillow,
                "Pillow 13.0.0 + multiprocessing",
                measured(8.0, 15.0, 60),
            ),
            row(
                Tool::Vips,
                "vipsthumbnail (libvips 8.14.1)",
                measured(4.0, 7.5, 50),
            ),
            row(
                Tool::Magick,
                "ImageMagick mogrify",
                Outcome::Skipped(
                    "ImageMagick is not installed (`apt-get install imagemagick`)".into(),
                ),
            ),
        ]
    }

    fn input() -> InputSummary {
        let mut b = photo("b.png", 2560, 1600);
        b.size.format = image::ImageFormat::Png;
        InputSummary::of(
            "/usr/share/wallpapers".into(),
            false,
            &[photo("a.jpg", 5120, 2880), b],
        )
    }

    #[test]
    fn the_page_has_the_anchors_the_input_and_a_ranked_table() {
        let page = render("a 2-core test machine", &input(), 2, &rows());
        for anchor in ["machine", "input", "table", "chart", "commands"] {
            assert!(
                page.contains(&format!("<!-- ANCHOR: {anchor} -->"))
                    && page.contains(&format!("<!-- ANCHOR_END: {anchor} -->")),
                "anchor {anchor}"
            );
        }
        assert!(page.contains("on a 2-core test machine."));
        assert!(page.contains("2 images from `/usr/share/wallpapers`: 1 JPEG and 1 PNG, 19 megapixels in all (4.1 to 14.7 each)"));
        // wall, images/s (2 images), speed vs sequential, cores, peak MB.
        assert!(page.contains("| ours, sequential | 10.00 | 0.2 | 1.00× | 0.99 | 80 |"));
        assert!(page.contains("| ours, rayon | 5.00 | 0.4 | 2.00× | 1.96 | 120 |"));
        assert!(
            page.contains("| vipsthumbnail (libvips 8.14.1) | 4.00 | 0.5 | 2.50× | 1.88 | 50 |")
        );
        assert!(page.contains(
            "| ImageMagick mogrify | not measured: ImageMagick is not installed (`apt-get install imagemagick`) | | | | |"
        ));
        assert!(page.contains("![images per second, by row](../measured/image-processor.svg)"));
        assert!(page.contains("`image-processor --input IN --output OUT --resize 512x512 --quality 85 --jobs 2 --json`"));
        assert!(!page.contains("Synthetic"));
    }

    #[test]
    fn the_verdict_is_read_from_the_figures() {
        let page = render("m", &input(), 2, &rows());
        assert!(page.contains(
            "**Verdict:** on wall time, ours with rayon (5.00 s) beat Pillow + multiprocessing \
             (8.00 s: ours was 1.60× as fast) and did not beat vipsthumbnail (4.00 s: 1.25× as \
             fast as ours)."
        ));
        let mut rows = rows();
        rows[2].outcome = Outcome::Failed("made 1 JPEGs from 2 images".into());
        rows[3].outcome = measured(6.0, 6.0, 50);
        let v = verdict(&rows);
        assert!(
            v.contains("beat vipsthumbnail (6.00 s: ours was 1.20× as fast)"),
            "{v}"
        );
        assert!(
            v.contains("could not be compared with Pillow + multiprocessing"),
            "{v}"
        );
        rows[1].outcome = Outcome::Failed("exited with exit status: 1".into());
        assert!(verdict(&rows).contains("none"));
    }

    #[test]
    fn a_failed_row_is_shown_but_not_ranked() {
        let mut rows = rows();
        rows[0].outcome = Outcome::Failed("a | b".into());
        let page = render("m", &input(), 2, &rows);
        assert!(page.contains("| ours, sequential | failed, not ranked: a \\| b | | | | |"));
        // No sequential figure, so no speed-up to show.
        assert!(page.contains("| ours, rayon | 5.00 | 0.4 | — | 1.96 | 120 |"));
        let text = table(&rows, 2).text();
        assert!(text.contains("failed, not ranked: a | b"));
        let svg = chart(&rows, 2);
        assert!(svg.contains(">failed</text>") && svg.contains(">not measured</text>"));
        assert_eq!(svg.matches("<rect").count(), 1 + 3, "background + 3 bars");
    }

    #[test]
    fn a_synthetic_input_says_so() {
        let mut input = input();
        input.synthetic = true;
        let page = render("m", &input, 2, &rows());
        assert!(page.contains("**Synthetic images, not photographs:**"));
        assert!(page.contains("apt-get install plasma-workspace-wallpapers"));
    }
}
