//! The SVG charts of the measured pages, drawn by hand: two kinds of chart
//! do not need a plotting library (and the book needs no JavaScript).
//!
//! - [`LineChart`]: values against a logarithmic x axis, one line per
//!   series, with a legend (the crawler's pages/s against the limit);
//! - [`BarChart`]: one horizontal bar per row, a row without a figure
//!   named with no bar (the image processor's images/s);
//! - [`Timelines`]: small multiples over one linear time axis, one panel
//!   per run and one line per counter (the pipeline's queue depths).

use std::fmt::Write as _;

/// One line of a [`LineChart`].
#[derive(Debug, Clone)]
pub struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
    /// An SVG `stroke-dasharray` ("6,4"), or "" for a solid line.
    pub dash: &'a str,
    /// A guide (an ideal, a bound) rather than a measurement: it is clipped
    /// to the measured range instead of stretching the scale, so that the
    /// measured lines keep the whole height.
    pub guide: bool,
    /// One value per x.
    pub values: Vec<f64>,
}

/// Values against x on a logarithmic axis (x = 4, 16, 64… spaced evenly).
#[derive(Debug, Clone)]
pub struct LineChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    /// The x values, in increasing order; each is a labelled tick.
    pub xs: Vec<usize>,
    pub series: Vec<Series<'a>>,
}

impl LineChart<'_> {
    pub fn svg(&self) -> String {
        let (w, h, left, bottom, top, right) = (640.0, 360.0, 70.0, 50.0, 30.0, 130.0);
        let max_y = self
            .series
            .iter()
            .filter(|s| !s.guide)
            .flat_map(|s| s.values.iter().copied())
            .fold(1.0f64, f64::max)
            * 1.1;
        let (min_l, max_l) = (
            (self.xs.first().copied().unwrap_or(1) as f64).ln(),
            (self.xs.last().copied().unwrap_or(2) as f64).ln(),
        );
        let x = |value: usize| {
            left + ((value as f64).ln() - min_l) / (max_l - min_l).max(1e-9) * (w - left - right)
        };
        let y = |v: f64| h - bottom - v.min(max_y) / max_y * (h - bottom - top);
        let mut svg = svg_start(w, h, self.title, 18.0);
        let _ = writeln!(
            svg,
            r#"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
            h - bottom,
            w - right,
            h - bottom
        );
        let _ = writeln!(
            svg,
            r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="black"/>"#,
            h - bottom
        );
        for &value in &self.xs {
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{value}</text>"#,
                x(value),
                h - bottom + 18.0
            );
        }
        axis_label(&mut svg, left, w - right, h, self.x_label);
        for i in 0..=4 {
            let v = max_y * i as f64 / 4.0;
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{:.1}" text-anchor="end">{v:.0}</text>"#,
                left - 6.0,
                y(v) + 4.0
            );
            let _ = writeln!(
                svg,
                r##"<line x1="{left}" y1="{:.1}" x2="{}" y2="{:.1}" stroke="#ddd"/>"##,
                y(v),
                w - right,
                y(v)
            );
        }
        for (i, series) in self.series.iter().enumerate() {
            let (color, dash) = (series.color, series.dash);
            let points: Vec<String> = self
                .xs
                .iter()
                .zip(&series.values)
                .map(|(&at, &v)| format!("{:.1},{:.1}", x(at), y(v)))
                .collect();
            let _ = writeln!(
                svg,
                r#"<polyline fill="none" stroke="{color}" stroke-width="2" stroke-dasharray="{dash}" points="{}"/>"#,
                points.join(" ")
            );
            legend_entry(&mut svg, w - right, top + 20.0 * i as f64, series);
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// One row of a [`BarChart`].
#[derive(Debug, Clone)]
pub struct Bar<'a> {
    /// Plain text (no markdown).
    pub label: String,
    /// The bar's length, or `None` for a row without a figure.
    pub value: Option<f64>,
    pub color: &'a str,
    /// Written in place of the bar when there is no value ("failed").
    pub missing: &'a str,
}

/// Horizontal bars, longest = largest value, each labelled with its value.
#[derive(Debug, Clone)]
pub struct BarChart<'a> {
    pub title: &'a str,
    /// What the bars measure, under them.
    pub value_label: &'a str,
    pub bars: Vec<Bar<'a>>,
}

impl BarChart<'_> {
    pub fn svg(&self) -> String {
        let (w, left, right, top, bar, gap) = (720.0, 290.0, 70.0, 40.0, 22.0, 12.0);
        let h = top + self.bars.len() as f64 * (bar + gap) + 30.0;
        let max = self
            .bars
            .iter()
            .filter_map(|b| b.value)
            .fold(0.0f64, f64::max)
            .max(1e-9);
        let mut svg = svg_start(w, h, self.title, 22.0);
        let _ = writeln!(
            svg,
            r#"<line x1="{left}" y1="{}" x2="{left}" y2="{}" stroke="black"/>"#,
            top - 6.0,
            h - 24.0
        );
        for (i, row) in self.bars.iter().enumerate() {
            let y = top + i as f64 * (bar + gap);
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                left - 8.0,
                y + bar / 2.0 + 4.0,
                xml(&row.label)
            );
            match row.value {
                Some(r) => {
                    let length = r / max * (w - left - right);
                    let _ = writeln!(
                        svg,
                        r#"<rect x="{left}" y="{y:.1}" width="{length:.1}" height="{bar}" fill="{}"/>"#,
                        row.color
                    );
                    let _ = writeln!(
                        svg,
                        r#"<text x="{:.1}" y="{:.1}">{r:.1}</text>"#,
                        left + length + 6.0,
                        y + bar / 2.0 + 4.0
                    );
                }
                None => {
                    let _ = writeln!(
                        svg,
                        r##"<text x="{}" y="{:.1}" fill="#888">{}</text>"##,
                        left + 6.0,
                        y + bar / 2.0 + 4.0,
                        xml(row.missing)
                    );
                }
            }
        }
        axis_label(&mut svg, left, w - right, h, self.value_label);
        svg.push_str("</svg>\n");
        svg
    }
}

/// One panel of [`Timelines`]: a run's counters over time.
#[derive(Debug, Clone)]
pub struct Panel<'a> {
    /// Shown above the panel.
    pub title: String,
    /// The sample times, in seconds, increasing.
    pub at: Vec<f64>,
    /// One line per counter, one value per sample (`xs` of the series are
    /// unused: the panel's `at` are its x).
    pub series: Vec<Series<'a>>,
}

/// Panels stacked over one shared time axis, so that the runs' lengths
/// compare at a glance; each panel has its own y scale.
#[derive(Debug, Clone)]
pub struct Timelines<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub panels: Vec<Panel<'a>>,
}

impl Timelines<'_> {
    pub fn svg(&self) -> String {
        let (w, left, right, top, panel_h, gap, bottom) =
            (720.0, 60.0, 150.0, 40.0, 110.0, 34.0, 44.0);
        let h = top + self.panels.len() as f64 * (panel_h + gap) + bottom - gap;
        let max_t = self
            .panels
            .iter()
            .flat_map(|p| p.at.last().copied())
            .fold(1e-9f64, f64::max);
        let x = |t: f64| left + t / max_t * (w - left - right);
        let mut svg = svg_start(w, h, self.title, 22.0);
        for (k, panel) in self.panels.iter().enumerate() {
            let y0 = top + k as f64 * (panel_h + gap) + 14.0;
            let base = y0 + panel_h - 14.0;
            let max_v = panel
                .series
                .iter()
                .flat_map(|s| s.values.iter().copied())
                .fold(1.0f64, f64::max);
            let y = |v: f64| base - v.min(max_v) / max_v * (panel_h - 14.0);
            let _ = writeln!(
                svg,
                r#"<text x="{left}" y="{:.1}" font-weight="bold">{}</text>"#,
                y0 - 4.0,
                xml(&panel.title)
            );
            let _ = writeln!(
                svg,
                r#"<line x1="{left}" y1="{base:.1}" x2="{}" y2="{base:.1}" stroke="black"/>"#,
                w - right
            );
            let _ = writeln!(
                svg,
                r#"<line x1="{left}" y1="{y0:.1}" x2="{left}" y2="{base:.1}" stroke="black"/>"#
            );
            for v in [0.0, max_v] {
                let _ = writeln!(
                    svg,
                    r#"<text x="{}" y="{:.1}" text-anchor="end">{v:.0}</text>"#,
                    left - 6.0,
                    y(v) + 4.0
                );
            }
            for series in &panel.series {
                let points: Vec<String> = panel
                    .at
                    .iter()
                    .zip(&series.values)
                    .map(|(&t, &v)| format!("{:.1},{:.1}", x(t), y(v)))
                    .collect();
                let _ = writeln!(
                    svg,
                    r#"<polyline fill="none" stroke="{}" stroke-width="1.5" stroke-dasharray="{}" points="{}"/>"#,
                    series.color,
                    series.dash,
                    points.join(" ")
                );
            }
        }
        // One legend for all panels: the counters are the same in each.
        if let Some(first) = self.panels.first() {
            for (i, series) in first.series.iter().enumerate() {
                legend_entry(&mut svg, w - right, top + 20.0 + 20.0 * i as f64, series);
            }
        }
        let steps = 5;
        for i in 0..=steps {
            let t = max_t * i as f64 / steps as f64;
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{}" text-anchor="middle">{t:.1}</text>"#,
                x(t),
                h - bottom + 18.0
            );
        }
        axis_label(&mut svg, left, w - right, h, self.x_label);
        svg.push_str("</svg>\n");
        svg
    }
}

/// The label under a chart's horizontal axis, centred between `from` and
/// `to`, at the foot of a chart `h` high.
fn axis_label(svg: &mut String, from: f64, to: f64, h: f64, label: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        (from + to) / 2.0,
        h - 8.0,
        xml(label)
    );
}

/// One line of a legend at height `y`, right of `x`: a stroke like the
/// series' and its name.
fn legend_entry(svg: &mut String, x: f64, y: f64, series: &Series<'_>) {
    let _ = writeln!(
        svg,
        r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="{}" stroke-width="2" stroke-dasharray="{}"/>"#,
        x + 10.0,
        x + 30.0,
        series.color,
        series.dash
    );
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}">{}</text>"#,
        x + 35.0,
        y + 4.0,
        xml(series.name)
    );
}

/// The opening of a chart: the `<svg>` element, a white background (the
/// book has a dark theme) and a centred title at height `title_y`.
fn svg_start(w: f64, h: f64, title: &str, title_y: f64) -> String {
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="{w}" height="{h}" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{title_y}" text-anchor="middle" font-size="14">{}</text>"#,
        w / 2.0,
        xml(title)
    );
    svg
}

/// Escape text for SVG.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_chart() -> LineChart<'static> {
        LineChart {
            title: "pages/s",
            x_label: "limit",
            xs: vec![4, 16, 64],
            series: vec![
                Series {
                    name: "ideal",
                    color: "#999",
                    dash: "6,4",
                    guide: true,
                    values: vec![200.0, 800.0, 3200.0],
                },
                Series {
                    name: "async",
                    color: "#1f77b4",
                    dash: "",
                    guide: false,
                    values: vec![180.0, 700.0, 1000.0],
                },
            ],
        }
    }

    #[test]
    fn a_line_chart_has_a_line_and_a_legend_per_series() {
        let svg = line_chart().svg();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(">ideal</text>") && svg.contains(">async</text>"));
        for tick in [">4</text>", ">16</text>", ">64</text>"] {
            assert!(svg.contains(tick), "{tick}");
        }
        // The scale comes from the measured line (1000 × 1.1), not the guide.
        assert!(svg.contains(">1100</text>"), "{svg}");
        assert!(!svg.contains(">3520</text>"));
    }

    #[test]
    fn a_bar_chart_draws_bars_only_for_figures() {
        let chart = BarChart {
            title: "images/s: <longer> & faster",
            value_label: "images per second",
            bars: vec![
                Bar {
                    label: "ours".into(),
                    value: Some(17.4),
                    color: "#e6550d",
                    missing: "failed",
                },
                Bar {
                    label: "theirs".into(),
                    value: None,
                    color: "#3182bd",
                    missing: "not measured",
                },
            ],
        };
        let svg = chart.svg();
        assert_eq!(svg.matches("<rect").count(), 1 + 1, "background + one bar");
        assert!(svg.contains(">17.4</text>"));
        assert!(svg.contains(">not measured</text>"));
        assert!(svg.contains("images/s: &lt;longer&gt; &amp; faster"));
    }

    #[test]
    fn timelines_share_one_time_axis_and_one_legend() {
        let series = |name, values: Vec<f64>| Series {
            name,
            color: "#1f77b4",
            dash: "",
            guide: false,
            values,
        };
        let chart = Timelines {
            title: "queues",
            x_label: "seconds",
            panels: vec![
                Panel {
                    title: "slow".into(),
                    at: vec![0.0, 1.0, 2.0],
                    series: vec![series("a", vec![0.0, 3.0, 1.0]), series("b", vec![1.0; 3])],
                },
                Panel {
                    title: "fast".into(),
                    at: vec![0.0, 0.5],
                    series: vec![series("a", vec![2.0, 0.0]), series("b", vec![0.0; 2])],
                },
            ],
        };
        let svg = chart.svg();
        assert_eq!(
            svg.matches("<polyline").count(),
            4,
            "a line per counter per panel"
        );
        assert_eq!(svg.matches(">a</text>").count(), 1, "one legend");
        assert!(svg.contains(">slow</text>") && svg.contains(">fast</text>"));
        // The axis runs to the longest run: 2.0 s at the right end.
        assert!(svg.contains(">2.0</text>"), "{svg}");
        // The fast run ends half-way along the axis (x from 60 to 570).
        assert!(svg.contains("315.0,"), "{svg}");
    }
}
