//! The report's figures as SVG charts, written by hand with `maud` (bars, grouped horizontal
//! bars and one log-log scatter: what `plotters` would do in more code and build time, see
//! docs/design.md). A chart draws the values it is given and computes none: each mark carries
//! its exact figures in `data-*` attributes and in a `<title>` tooltip, and shows them as text
//! where there is room.
//!
//! Every chart is a `<figure class="chart" id=...>`: a caption (its title) and an inline SVG
//! with axis labels. Elements are always closed (`<rect ...></rect>`), so each SVG is also
//! well-formed XML.

use maud::{html, Markup};

use crate::report::shapes::{bin_edges, ObjectShapes, BINS, BINS_PER_DECADE, LOG_MIN};
use crate::report::Rate;

/// A colour of a series.
pub type Colour = &'static str;

/// The series colours: coverage at 0.3, 0.5, 0.7 (light to dark).
pub const COVERAGE_COLOURS: [Colour; 3] = ["#9ecae9", "#4e79a7", "#1d3b5e"];
/// Unmatched (red) and forced-only (orange).
pub const FAILURE_COLOURS: [Colour; 2] = ["#d62728", "#f28e2b"];
/// Configurations side by side, in order (repeats past eight).
pub const CONFIG_COLOURS: [Colour; 8] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#76b7b2", "#edc948", "#9c755f",
];
/// The objects a prior shape fits, those none fits, and the prior shapes.
const FIT: Colour = "#4e79a7";
const MISFIT: Colour = "#d62728";
const PRIOR: Colour = "#111111";

const WIDTH: f64 = 480.0;
const FONT: f64 = 11.0;

/// A coordinate with one decimal: short and exact enough for a picture.
fn f1(v: f64) -> String {
    format!("{v:.1}")
}

/// An estimate of a label's width in pixels at the charts' font size.
fn text_width(s: &str) -> f64 {
    s.chars().count() as f64 * FONT * 0.58
}

/// A percentage with one decimal, as the text report writes it.
pub fn percent(r: &Rate) -> String {
    format!("{:.1}%", 100.0 * r.rate)
}

/// Tick positions from 0 to at least `max` (steps of 1, 2 or 5 times a power of ten).
fn ticks(max: u64) -> Vec<u64> {
    let max = max.max(1);
    let raw = max as f64 / 5.0;
    let pow = 10f64.powf(raw.log10().floor().max(0.0));
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| (m * pow) as u64)
        .find(|&s| s as f64 >= raw)
        .unwrap_or(1)
        .max(1);
    (0..=max.div_ceil(step)).map(|k| k * step).collect()
}

/// One bar of a [`BarChart`].
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub count: u64,
}

/// Vertical bars of counts over named bins.
#[derive(Debug, Clone)]
pub struct BarChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// What one unit counts, for the tooltips ("objects").
    pub unit: &'a str,
    pub bars: Vec<Bar>,
    /// A dashed vertical line at this position, in bars from the left edge, with its label
    /// (the matching threshold on the IoU histogram).
    pub marker: Option<(f64, String)>,
    pub colour: Colour,
    /// Labels at the bars' edges instead of under each bar (one more than the bars: the bin
    /// edges of a histogram).
    pub edges: Option<Vec<String>>,
}

impl BarChart<'_> {
    pub fn render(&self) -> Markup {
        let max = self.bars.iter().map(|b| b.count).max().unwrap_or(0);
        let ticks = ticks(max);
        // Room for the widest tick label beside the axis label.
        let widest = ticks.last().map_or(1.0, |t| text_width(&t.to_string()));
        let (left, right, top, bottom, plot_h) = (30.0 + widest, 12.0, 30.0, 44.0, 190.0);
        let plot_w = WIDTH - left - right;
        let height = top + plot_h + bottom;
        let y_max = *ticks.last().expect("at least one tick") as f64;
        let y = |v: f64| top + plot_h - plot_h * v / y_max;
        let slot = plot_w / self.bars.len().max(1) as f64;
        html! {
            figure.chart id=(self.id) data-kind="bars" {
                figcaption { (self.title) }
                svg viewBox=(format!("0 0 {WIDTH} {}", f1(height)))
                    role="img" aria-label=(self.title) {
                    @for t in &ticks {
                        line.grid x1=(f1(left)) x2=(f1(left + plot_w)) y1=(f1(y(*t as f64))) y2=(f1(y(*t as f64))) {}
                        text.tick x=(f1(left - 6.0)) y=(f1(y(*t as f64) + 4.0)) text-anchor="end" { (t) }
                    }
                    @for (k, b) in self.bars.iter().enumerate() {
                        @let x = left + slot * k as f64 + slot * 0.1;
                        @let h = plot_h * b.count as f64 / y_max;
                        g.mark data-label=(b.label) data-count=(b.count) {
                            title { (b.label) ": " (b.count) " " (self.unit) }
                            rect x=(f1(x)) y=(f1(top + plot_h - h)) width=(f1(slot * 0.8)) height=(f1(h)) fill=(self.colour) {}
                            @if b.count > 0 {
                                text.value x=(f1(x + slot * 0.4)) y=(f1(top + plot_h - h - 3.0)) text-anchor="middle" { (b.count) }
                            }
                        }
                        @if self.edges.is_none() {
                            text.tick x=(f1(x + slot * 0.4)) y=(f1(top + plot_h + 14.0)) text-anchor="middle" { (b.label) }
                        }
                    }
                    @for (k, e) in self.edges.iter().flatten().enumerate() {
                        text.tick x=(f1(left + slot * k as f64)) y=(f1(top + plot_h + 14.0)) text-anchor="middle" { (e) }
                    }
                    @if let Some((at, label)) = &self.marker {
                        @let x = left + slot * at;
                        // The label above the plot, clear of the bars' values.
                        line.marker x1=(f1(x)) x2=(f1(x)) y1=(f1(top - 22.0)) y2=(f1(top + plot_h)) {}
                        text.tick x=(f1(x + 4.0)) y=(f1(top - 14.0)) { (label) }
                    }
                    (axes(left, top, plot_w, plot_h))
                    text.axis x=(f1(left + plot_w / 2.0)) y=(f1(height - 8.0)) text-anchor="middle" { (self.x_label) }
                    text.axis transform=(format!("translate(14 {}) rotate(-90)", f1(top + plot_h / 2.0))) text-anchor="middle" { (self.y_label) }
                }
            }
        }
    }
}

/// The left and bottom axis lines of a plot area.
fn axes(left: f64, top: f64, w: f64, h: f64) -> Markup {
    html! {
        path.axis d=(format!("M{} {}V{}H{}", f1(left), f1(top), f1(top + h), f1(left + w))) {}
    }
}

/// One series of a [`GroupedBars`] chart: its name and colour.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub colour: Colour,
}

/// One group of a [`GroupedBars`] chart: a bar per series (`None`: no value, e.g. a class
/// another configuration does not have).
#[derive(Debug, Clone)]
pub struct Group {
    pub label: String,
    pub rates: Vec<Option<Rate>>,
}

/// Horizontal bars of shares (0 to 100%), one bar per series in each group.
#[derive(Debug, Clone)]
pub struct GroupedBars<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub x_label: &'a str,
    pub series: Vec<Series>,
    pub groups: Vec<Group>,
    /// A line under the chart (e.g. the classes left out).
    pub note: Option<String>,
}

impl GroupedBars<'_> {
    pub fn render(&self) -> Markup {
        let label_w = self
            .groups
            .iter()
            .map(|g| text_width(&g.label))
            .fold(40.0, f64::max)
            .min(170.0);
        let (left, right, top, bottom) = (label_w + 12.0, 46.0, 26.0, 40.0);
        let bar_h = 11.0;
        let group_h = bar_h * self.series.len() as f64 + 8.0;
        let plot_w = WIDTH - left - right;
        let plot_h = group_h * self.groups.len().max(1) as f64;
        let height = top + plot_h + bottom;
        let x = |share: f64| left + plot_w * share;
        html! {
            figure.chart id=(self.id) data-kind="grouped-bars" {
                figcaption { (self.title) }
                svg viewBox=(format!("0 0 {WIDTH} {}", f1(height)))
                    role="img" aria-label=(self.title) {
                    (self.legend(left))
                    @for t in 0..=5 {
                        @let share = t as f64 / 5.0;
                        line.grid x1=(f1(x(share))) x2=(f1(x(share))) y1=(f1(top)) y2=(f1(top + plot_h)) {}
                        text.tick x=(f1(x(share))) y=(f1(top + plot_h + 14.0)) text-anchor="middle" { (t * 20) "%" }
                    }
                    @for (k, g) in self.groups.iter().enumerate() {
                        @let gy = top + group_h * k as f64 + 4.0;
                        text.tick x=(f1(left - 6.0)) y=(f1(gy + group_h / 2.0)) text-anchor="end" { (g.label) }
                        @for (si, (s, rate)) in self.series.iter().zip(&g.rates).enumerate() {
                            @if let Some(r) = rate {
                                @let by = gy + bar_h * si as f64;
                                g.mark data-group=(g.label) data-series=(s.name) data-count=(r.count) data-total=(r.total) {
                                    title { (g.label) ", " (s.name) ": " (r.count) " of " (r.total) " (" (percent(r)) ")" }
                                    rect x=(f1(left)) y=(f1(by)) width=(f1(plot_w * r.rate)) height=(f1(bar_h - 1.0)) fill=(s.colour) {}
                                    text.value x=(f1(x(r.rate) + 3.0)) y=(f1(by + bar_h - 2.5)) { (percent(r)) }
                                }
                            }
                        }
                    }
                    (axes(left, top, plot_w, plot_h))
                    text.axis x=(f1(left + plot_w / 2.0)) y=(f1(height - 8.0)) text-anchor="middle" { (self.x_label) }
                }
                @if let Some(n) = &self.note { p.note { (n) } }
            }
        }
    }

    /// The series' names and colours in one row above the plot.
    fn legend(&self, left: f64) -> Markup {
        let mut x = left;
        let items: Vec<(f64, &Series)> = self
            .series
            .iter()
            .map(|s| {
                let at = x;
                x += 18.0 + text_width(&s.name) + 14.0;
                (at, s)
            })
            .collect();
        html! {
            g.legend {
                @for (at, s) in items {
                    rect x=(f1(at)) y="6" width="12" height="10" fill=(s.colour) {}
                    text.tick x=(f1(at + 16.0)) y="15" { (s.name) }
                }
            }
        }
    }
}

/// The objects' normalised (w, h) on log axes with the prior shapes drawn over them.
#[derive(Debug, Clone)]
pub struct ShapeScatter<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub shapes: &'a ObjectShapes,
}

/// The decades (log10) the scatter's axes span, the same on both: from the decade below the
/// smallest width, height or prior shape to a little above the largest (within the bins'
/// range, 10^LOG_MIN to 10^(LOG_MIN + BINS / per decade)).
fn log_span(s: &ObjectShapes) -> (f64, f64) {
    let top = LOG_MIN + BINS as f64 / f64::from(BINS_PER_DECADE);
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for c in &s.cells {
        for b in [c.w_bin, c.h_bin] {
            let (l, h) = bin_edges(b as usize);
            lo = lo.min(l.log10());
            hi = hi.max(h.log10());
        }
    }
    for &(w, h) in &s.prior_shapes {
        for v in [f64::from(w).log10(), f64::from(h).log10()] {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !lo.is_finite() {
        return (LOG_MIN, 0.0);
    }
    let lo = (lo - 0.05).floor().clamp(LOG_MIN, -1.0);
    let hi = ((hi.max(0.0) + 0.1) * 10.0).ceil() / 10.0;
    (lo, hi.min(top))
}

impl ShapeScatter<'_> {
    pub fn render(&self) -> Markup {
        let (left, top, side, bottom) = (58.0, 44.0, 330.0, 44.0);
        let height = top + side + bottom;
        let (lo, hi) = log_span(self.shapes);
        let px = |v: f64| left + side * (v.log10() - lo) / (hi - lo);
        let py = |v: f64| top + side - side * (v.log10() - lo) / (hi - lo);
        let s = self.shapes;
        let most = s
            .cells
            .iter()
            .map(|c| c.fit.max(c.misfit))
            .max()
            .unwrap_or(1);
        let radius = |n: u64| 1.8 + 4.2 * (n as f64 / most as f64).sqrt();
        let t = s.threshold;
        html! {
            figure.chart id=(self.id) data-kind="scatter" data-clamped=(s.clamped) {
                figcaption { (self.title) }
                svg viewBox=(format!("0 0 {WIDTH} {}", f1(height)))
                    role="img" aria-label=(self.title) {
                    (scatter_legend(left, t))
                    (log_grid((lo, hi), left, top, side, &px, &py))
                    line.diagonal x1=(f1(px(10f64.powf(lo)))) y1=(f1(py(10f64.powf(lo)))) x2=(f1(px(10f64.powf(hi)))) y2=(f1(py(10f64.powf(hi)))) {}
                    // Near the diagonal's lower end, where objects are rare.
                    @let on_diagonal = 10f64.powf(lo + 0.3);
                    text.tick x=(f1(px(on_diagonal) + 6.0)) y=(f1(py(on_diagonal) + 4.0)) { "w = h" }
                    @for c in &s.cells {
                        @let (w_lo, w_hi) = bin_edges(c.w_bin as usize);
                        @let (h_lo, h_hi) = bin_edges(c.h_bin as usize);
                        @let (cx, cy) = (px((w_lo * w_hi).sqrt()), py((h_lo * h_hi).sqrt()));
                        g.mark.cell data-w-bin=(c.w_bin) data-h-bin=(c.h_bin) data-fit=(c.fit) data-misfit=(c.misfit) {
                            title { "w " (format!("{w_lo:.4}-{w_hi:.4}")) ", h " (format!("{h_lo:.4}-{h_hi:.4}")) ": "
                                (c.fit) " a prior shape fits, " (c.misfit) " no prior shape fits" }
                            @if c.fit > 0 { circle.fit cx=(f1(cx)) cy=(f1(cy)) r=(f1(radius(c.fit))) fill=(FIT) {} }
                            @if c.misfit > 0 { circle.misfit cx=(f1(cx)) cy=(f1(cy)) r=(f1(radius(c.misfit))) fill=(MISFIT) {} }
                        }
                    }
                    @for &(w, h) in &s.prior_shapes {
                        @let (x, y) = (px(f64::from(w)), py(f64::from(h)));
                        g.prior data-w=(w) data-h=(h) {
                            title { "prior shape " (format!("{w:.4} x {h:.4}")) }
                            path d=(format!("M{} {}h12M{} {}v12", f1(x - 6.0), f1(y), f1(x), f1(y - 6.0))) stroke=(PRIOR) stroke-width="2" {}
                        }
                    }
                    (axes(left, top, side, side))
                    text.axis x=(f1(left + side / 2.0)) y=(f1(height - 8.0)) text-anchor="middle" { "object width / image width (log)" }
                    text.axis transform=(format!("translate(16 {}) rotate(-90)", f1(top + side / 2.0))) text-anchor="middle" { "object height / image height (log)" }
                }
            }
        }
    }
}

/// The scatter's legend: what the colours and the crosses are.
fn scatter_legend(left: f64, threshold: f32) -> Markup {
    html! {
        g.legend {
            circle cx=(f1(left + 5.0)) cy="12" r="5" fill=(FIT) {}
            text.tick x=(f1(left + 14.0)) y="16" { "a prior shape fits (shape IoU \u{2265} " (threshold) ")" }
            path d=(format!("M{} 12h12M{} 6v12", f1(left + 244.0), f1(left + 250.0))) stroke=(PRIOR) stroke-width="2" {}
            text.tick x=(f1(left + 262.0)) y="16" { "a prior shape" }
            circle cx=(f1(left + 5.0)) cy="30" r="5" fill=(MISFIT) {}
            text.tick x=(f1(left + 14.0)) y="34" { "no prior shape fits, even centred on the object" }
        }
    }
}

/// Grid lines and labels at each power of ten of a log-log plot.
fn log_grid(
    (lo, hi): (f64, f64),
    left: f64,
    top: f64,
    side: f64,
    px: &dyn Fn(f64) -> f64,
    py: &dyn Fn(f64) -> f64,
) -> Markup {
    let decades: Vec<i32> = (lo.ceil() as i32..=hi.floor() as i32).collect();
    let label = |d: i32| match d {
        d if d < 0 => format!("{}", 10f64.powi(d)),
        d => format!("{}", 10i64.pow(d as u32)),
    };
    html! {
        @for d in &decades {
            @let v = 10f64.powi(*d);
            line.grid x1=(f1(px(v))) x2=(f1(px(v))) y1=(f1(top)) y2=(f1(top + side)) {}
            line.grid x1=(f1(left)) x2=(f1(left + side)) y1=(f1(py(v))) y2=(f1(py(v))) {}
            text.tick x=(f1(px(v))) y=(f1(top + side + 14.0)) text-anchor="middle" { (label(*d)) }
            text.tick x=(f1(left - 6.0)) y=(f1(py(v) + 4.0)) text-anchor="end" { (label(*d)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_reach_the_maximum() {
        assert_eq!(ticks(0), vec![0, 1]);
        assert_eq!(ticks(1), vec![0, 1]);
        assert_eq!(ticks(5), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(ticks(7), vec![0, 2, 4, 6, 8]);
        assert_eq!(ticks(91), vec![0, 20, 40, 60, 80, 100]);
        assert_eq!(ticks(39_697), vec![0, 10_000, 20_000, 30_000, 40_000]);
    }

    #[test]
    fn a_bar_chart_carries_each_count_and_escapes_labels() {
        let chart = BarChart {
            id: "c",
            title: "t",
            x_label: "x",
            y_label: "y",
            unit: "objects",
            bars: vec![
                Bar {
                    label: "<b>".into(),
                    count: 3,
                },
                Bar {
                    label: "b".into(),
                    count: 0,
                },
            ],
            marker: None,
            colour: "#000",
            edges: None,
        }
        .render()
        .into_string();
        assert!(
            chart.contains(r#"data-label="&lt;b&gt;" data-count="3""#),
            "{chart}"
        );
        assert!(
            chart.contains(r#"data-label="b" data-count="0""#),
            "{chart}"
        );
        assert!(!chart.contains("<b>"));
    }
}
