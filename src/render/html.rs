//! The self-contained HTML audit report (`audit --html FILE`): the verdict and the grouped
//! findings of the text report, the report's figures as charts, the comparison of several prior
//! configurations side by side, and a gallery of the worst cases.
//!
//! One file that references nothing outside itself (styles inline, pictures as `data:` URIs, a
//! Content-Security-Policy that forbids loading anything else), readable without JavaScript
//! (there is none). Every text taken from the data is escaped (`maud` escapes by default). The
//! page is fed by the [`AuditReport`] and computes no figure of its own: the numbers shown are
//! the JSON report's, and each carries them in `data-*` attributes that the tests compare with
//! the JSON.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::charts::percent;
use super::figures::{compare_by_class, compare_by_size, config_charts, config_name};
use super::gallery;
use crate::pipeline::Engine;
use crate::report::verdict::{count, likely_causes, verdict_lines};
use crate::report::{
    AssignmentReport, AuditReport, DatasetSummary, GroupStats, Rate, WorstCase, COVERAGE_AT,
    COVERAGE_HEADLINE, SIZE_BUCKETS,
};
use crate::voc::dataset::ImageEntry;

/// Thumbnails in the gallery unless told otherwise (`--gallery N`).
pub const DEFAULT_GALLERY: usize = gallery::DEFAULT_ITEMS;

/// What the gallery needs to draw the worst cases: the images' listing and the engine that
/// matched the report's first configuration (the gallery shows its worst cases: the
/// gallery's anchors are the same for every configuration, so one gallery per page).
#[derive(Debug, Clone, Copy)]
pub struct GalleryInput<'a> {
    pub engine: &'a Engine,
    pub entries: &'a [ImageEntry],
    /// Thumbnails (0: no gallery).
    pub n: usize,
}

/// What the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HtmlOptions {
    /// Examples per kind of finding and per group of objects to look at.
    pub examples: usize,
    /// Rows of the worst-cases table.
    pub worst: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            examples: crate::report::DEFAULT_EXAMPLES,
            worst: 20,
        }
    }
}

/// The page's style: no external font or image.
const CSS: &str = include_str!("report.css");

/// The policy that keeps the page from loading anything: styles inline, images as `data:`.
const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/// The whole page, as one string.
pub fn render(
    report: &AuditReport,
    gallery: Option<GalleryInput<'_>>,
    opts: &HtmlOptions,
) -> String {
    let items = match (gallery, report.configurations.first()) {
        (Some(g), Some(first)) if g.n > 0 => {
            Some(gallery::gallery(first, g.engine, g.entries, g.n))
        }
        _ => None,
    };
    page(report, items.as_deref(), opts).into_string()
}

/// The page of `report`, with the gallery of its first configuration's worst cases when
/// `gallery` is given.
pub fn page(
    report: &AuditReport,
    gallery: Option<&[gallery::GalleryItem]>,
    opts: &HtmlOptions,
) -> Markup {
    let d = &report.dataset;
    let configs = &report.configurations;
    let title = format!("ssd-assign audit: {}", d.sources.join(", "));
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(CSS)) (PreEscaped(gallery::GALLERY_CSS)) }
            }
            body {
                header {
                    h1 { "SSD prior assignment audit" }
                    p.sources { @for s in &d.sources { span.source { (s) } } }
                    p.tool { (report.tool) " " (report.version) }
                    (nav(report, gallery.is_some()))
                }
                main {
                    (verdict_section(report))
                    @if configs.len() > 1 { (comparison_section(configs)) }
                    (charts_section(configs))
                    @if let Some(items) = gallery { (gallery_section(configs, items)) }
                    (look_at_section(configs, opts))
                    (findings_section(d, opts.examples))
                    (dataset_section(d))
                    (tables_section(configs, opts))
                }
                footer {
                    "Written by " (report.tool) " " (report.version)
                    ". Every figure here is in the JSON report (--format json); docs/report-schema.md defines them."
                }
            }
        }
    }
}

fn nav(report: &AuditReport, gallery: bool) -> Markup {
    let mut links = vec![("verdict", "Verdict")];
    if report.configurations.len() > 1 {
        links.push(("comparison", "Comparison"));
    }
    links.push(("charts", "Charts"));
    if gallery {
        links.push(("worst-cases", "Worst cases"));
    }
    links.extend([
        ("look-at", "Objects to look at"),
        ("findings", "Findings"),
        ("dataset", "Dataset"),
        ("tables", "Tables"),
    ]);
    html! {
        nav { @for (id, name) in links { a href=(format!("#{id}")) { (name) } } }
    }
}

/// A rate as `12 (4.0%)`, with its figures in data attributes.
fn rate_cell(r: &Rate) -> Markup {
    html! {
        span.rate data-count=(r.count) data-total=(r.total) { (r.count) " " span.pct { "(" (percent(r)) ")" } }
    }
}

fn verdict_section(report: &AuditReport) -> Markup {
    let d = &report.dataset;
    let threshold = report
        .configurations
        .first()
        .map_or(0.5, |a| a.config.threshold);
    let named = report.configurations.len() > 1;
    html! {
        section #verdict {
            h2 { "Verdict" }
            p.totals {
                strong { (count(d.objects, "object")) " in " (count(d.images, "image")) " read" }
                ", threshold " (threshold) ". Rejected: " (count(d.files_rejected, "file")) ", "
                (count(d.skipped_invalid, "object")) "; " (count(d.skipped_unknown_class_total, "object"))
                " of unknown classes skipped"
                @if d.files_ignored > 0 { "; " (count(d.files_ignored, "file")) " ignored (not annotations)" }
                "."
            }
            div.verdicts.side style=(columns(report.configurations.len())) {
                @for (k, a) in report.configurations.iter().enumerate() {
                    (verdict_block(k, a, d, named))
                }
            }
        }
    }
}

/// A CSS grid of `n` equal columns (configurations side by side).
fn columns(n: usize) -> String {
    format!(
        "grid-template-columns: repeat({}, minmax(0, 1fr))",
        n.max(1)
    )
}

fn verdict_block(k: usize, a: &AssignmentReport, d: &DatasetSummary, named: bool) -> Markup {
    let causes = likely_causes(a, d);
    let kinds = ["unmatched", "forced-only", "lost-collision", "coverage"];
    html! {
        div.verdict id=(format!("verdict-{k}")) {
            @if named { h3 { (config_name(a)) } }
            div.figures {
                @for (l, kind) in verdict_lines(a).iter().zip(kinds) {
                    div class=(format!("figure {kind}")) id=(format!("verdict-{k}-{kind}"))
                        data-count=(l.rate.count) data-total=(l.rate.total) {
                        div.big { (percent(&l.rate)) }
                        div.label { (l.label) ": " (l.rate.count) }
                        div.says { (l.says) }
                    }
                }
            }
            h4 { "Likely causes" }
            @if causes.is_empty() {
                p.causes { "None stands out." }
            } @else {
                ul.causes { @for c in &causes { li { (c.text) } } }
            }
        }
    }
}

/// The configurations' key figures side by side, as the text report's comparison, and the
/// coverage charts with one bar per configuration.
fn comparison_section(configs: &[AssignmentReport]) -> Markup {
    const H: f32 = COVERAGE_HEADLINE;
    type Row<'a> = (String, Box<dyn Fn(&AssignmentReport) -> Markup + 'a>);
    let mut rows: Vec<Row> = vec![(
        format!("coverage@{H:.1}"),
        Box::new(|a| rate_cell(a.overall.coverage.at(H))),
    )];
    for (k, (name, _, _)) in SIZE_BUCKETS.iter().enumerate() {
        rows.push((
            format!("\u{a0}\u{a0}{name}"),
            Box::new(move |a| rate_cell(a.by_size[k].coverage.at(H))),
        ));
    }
    rows.push((
        "unmatched GTs".into(),
        Box::new(|a| rate_cell(&a.overall.unmatched)),
    ));
    rows.push((
        "lost collisions".into(),
        Box::new(|a| rate_cell(&a.overall.lost_collision)),
    ));
    rows.push((
        "forced-only GTs".into(),
        Box::new(|a| rate_cell(&a.overall.forced_only)),
    ));
    rows.push((
        "mean positives/GT".into(),
        Box::new(|a| html! { span data-value=(a.positives_per_gt_mean) { (format!("{:.2}", a.positives_per_gt_mean)) } }),
    ));
    rows.push((
        "hard-negative budget".into(),
        Box::new(|a| html! { span data-value=(a.negatives.hard_negative_budget) { (a.negatives.hard_negative_budget) } }),
    ));
    html! {
        section #comparison {
            h2 { "Comparison" }
            table #comparison-table .numbers {
                thead { tr { th {} @for a in configs { th { (config_name(a)) } } } }
                tbody {
                    @for (name, cell) in &rows {
                        tr { th { (name) } @for a in configs { td { (cell(a)) } } }
                    }
                }
            }
            div.charts {
                (compare_by_size(configs).render())
                (compare_by_class(configs).render())
            }
        }
    }
}

/// Every chart of every configuration: one grid of charts for one configuration; with
/// several, each kind of chart in a row with the configurations side by side.
fn charts_section(configs: &[AssignmentReport]) -> Markup {
    let per_config: Vec<Vec<Markup>> = configs
        .iter()
        .enumerate()
        .map(|(k, a)| config_charts(k, a))
        .collect();
    let kinds = per_config.first().map_or(0, Vec::len);
    html! {
        section #charts {
            h2 { "Charts" }
            @if configs.len() == 1 {
                div.charts { @for c in &per_config[0] { (c) } }
            } @else {
                div.side.names style=(columns(configs.len())) { @for a in configs { h3 { (config_name(a)) } } }
                @for kind in 0..kinds {
                    div.side style=(columns(configs.len())) { @for charts in &per_config { (charts[kind]) } }
                }
            }
        }
    }
}

fn gallery_section(configs: &[AssignmentReport], items: &[gallery::GalleryItem]) -> Markup {
    html! {
        section #worst-cases {
            h2 { "Worst cases" }
            p.hint {
                "The objects matching serves worst (lost collisions and unmatched first, then by lowest best IoU), "
                "one per image, drawn on it"
                @if configs.len() > 1 { " with the priors of " (config_name(&configs[0])) }
                ". Click a picture to enlarge it."
            }
            (gallery::gallery_markup(items))
        }
    }
}

/// A worst case as the text report writes it: `path: object 0 (person) box ...: best IoU ...`.
fn case_line(w: &WorstCase) -> Markup {
    html! {
        code { (w.path) } ": object " (w.object_index) " (" (w.class) ") box "
        (format!("{},{},{},{}", w.pixel_box[0], w.pixel_box[1], w.pixel_box[2], w.pixel_box[3]))
        ": best IoU " (format!("{:.3}", w.best_iou)) ", " (w.positives) " positives"
    }
}

fn look_at_section(configs: &[AssignmentReport], opts: &HtmlOptions) -> Markup {
    html! {
        section #look-at {
            h2 { "Objects to look at" }
            p.hint { "--gt-csv FILE lists every object with its status." }
            div.side style=(columns(configs.len())) {
                @for a in configs {
                    div {
                        @if configs.len() > 1 { h3 { (config_name(a)) } }
                        @if a.objects_to_look_at.iter().all(|g| g.count == 0) { p { "None: every object has a positive prior of its own." } }
                        @for g in a.objects_to_look_at.iter().filter(|g| g.count > 0) {
                            div.group data-kind=(g.kind) data-count=(g.count) {
                                h4 {
                                    @if g.count == 1 { "1 object " (crate::findings::singular_title(g.title)) }
                                    @else { (g.count) " objects " (g.title) }
                                }
                                p.means { "Means: " (g.meaning) ". Fix: " (g.fix) "." }
                                ul.examples { @for w in g.examples.iter().take(opts.examples) { li { (case_line(w)) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn findings_section(d: &DatasetSummary, examples: usize) -> Markup {
    // A category's heading above its first group (groups come in category order).
    let headed: Vec<(bool, &crate::report::findings::FindingGroup)> = d
        .findings
        .iter()
        .enumerate()
        .map(|(k, g)| (k == 0 || d.findings[k - 1].category != g.category, g))
        .collect();
    html! {
        section #findings {
            h2 { "Findings by kind" }
            @if d.findings.is_empty() {
                p { "No finding: every file was read and every object used." }
            } @else {
                p.hint { "--findings FILE lists every one; --examples N shows more here." }
            }
            @for (heading, g) in headed {
                @if heading { h3 { (g.category.heading()) } }
                div.group.finding.rejection[g.kind.is_rejection()] data-kind=(g.kind.name()) data-count=(g.count) {
                    h4 { (g.headline()) }
                    p.means { "Means: " (g.meaning) ". Fix: " (g.fix) "." }
                    ul.examples { (finding_examples(d, g, examples)) }
                }
            }
        }
    }
}

/// The first `examples` items of a group (for unknown classes: the names, their counts and a
/// close known name).
fn finding_examples(
    d: &DatasetSummary,
    g: &crate::report::findings::FindingGroup,
    examples: usize,
) -> Markup {
    html! {
        @if g.kind == crate::findings::FindingKind::UnknownClass && !d.skipped_unknown_class.is_empty() {
            @for u in d.skipped_unknown_class.iter().take(examples) {
                li { "\"" (u.name) "\" " (u.count)
                    @if let Some(s) = &u.did_you_mean { ", did you mean \"" (s) "\"?" } }
            }
        } @else {
            @for f in g.items.iter().take(examples) { li { code { (f.located()) } } }
        }
    }
}

fn dataset_section(d: &DatasetSummary) -> Markup {
    let facts: Vec<(&str, String)> = vec![
        ("annotation files", d.files.to_string()),
        ("images read", d.images.to_string()),
        (
            "images without objects",
            d.images_without_objects.to_string(),
        ),
        ("files rejected", d.files_rejected.to_string()),
        ("objects to match", d.objects.to_string()),
        ("difficult", d.difficult.to_string()),
        (
            "extending outside the image",
            d.objects_outside_image.to_string(),
        ),
        ("sized from the image file", d.sizes_from_image.to_string()),
        (
            "skipped: unknown class",
            d.skipped_unknown_class_total.to_string(),
        ),
        ("skipped: invalid box", d.skipped_invalid.to_string()),
        (
            "skipped: difficult (dropped)",
            d.skipped_difficult.to_string(),
        ),
    ];
    html! {
        section #dataset {
            h2 { "Dataset" }
            ul.sources { @for s in &d.sources { li { code { (s) } } } }
            div.side style=(columns(2)) {
                table #dataset-table .numbers {
                    tbody { @for (name, v) in &facts { tr { th { (name) } td { (v) } } } }
                }
                table #class-table .numbers {
                    thead { tr { th { "class" } th { "objects" } } }
                    tbody {
                        @for (c, n) in &d.objects_per_class { tr { th { (c) } td data-count=(n) { (n) } } }
                    }
                }
            }
        }
    }
}

fn tables_section(configs: &[AssignmentReport], opts: &HtmlOptions) -> Markup {
    html! {
        section #tables {
            h2 { "Tables" }
            @for (k, a) in configs.iter().enumerate() {
                h3 { (config_name(a)) ", threshold " (a.config.threshold) ", collisions "
                    (a.config.collision.as_str()) ", " (a.gts) " ground truths" }
                (group_table(&format!("table-size-{k}"), "by size", &a.by_size))
                (group_table(&format!("table-aspect-{k}"), "by aspect (w/h)", &a.by_aspect))
                (group_table(&format!("table-class-{k}"), "by class", &a.by_class))
                (worst_table(&format!("table-worst-{k}"), a, opts.worst))
            }
        }
    }
}

fn group_table(id: &str, title: &str, groups: &[GroupStats]) -> Markup {
    html! {
        table.numbers id=(id) {
            thead { tr {
                th { (title) } th { "GTs" } th { "unmatched" } th { "forced-only" } th { "lost coll." } th { "pos/GT" }
                @for t in COVERAGE_AT { th { "cov@" (format!("{t:.1}")) } }
            } }
            tbody {
                @for g in groups.iter().filter(|g| g.gts > 0) {
                    tr data-group=(g.group) {
                        th { (g.group) } td { (g.gts) }
                        td { (rate_cell(&g.unmatched)) } td { (rate_cell(&g.forced_only)) } td { (rate_cell(&g.lost_collision)) }
                        td { (format!("{:.2}", g.mean_positives)) }
                        @for (_, r) in g.coverage.iter() { td { (rate_cell(r)) } }
                    }
                }
            }
        }
    }
}

fn worst_table(id: &str, a: &AssignmentReport, rows: usize) -> Markup {
    let rows = a.worst_cases.len().min(rows);
    html! {
        @if rows > 0 {
            h4 { "Worst cases (lowest best IoU; --worst N lists more)" }
            table.numbers.worst id=(id) {
                thead { tr { th { "file" } th { "object" } th { "class" } th { "box (xmin, ymin, xmax, ymax)" }
                    th { "best IoU" } th { "shape IoU" } th { "pos" } th { "status" } } }
                tbody {
                    @for w in &a.worst_cases[..rows] {
                        tr class=(w.status.as_str()) {
                            td { code { (w.path) } } td { (w.object_index) } td { (w.class) }
                            td { (format!("{}, {}, {}, {}", w.pixel_box[0], w.pixel_box[1], w.pixel_box[2], w.pixel_box[3])) }
                            td { (format!("{:.3}", w.best_iou)) } td { (format!("{:.3}", w.shape_iou)) }
                            td { (w.positives) } td { span.status { (w.status.as_str()) } }
                        }
                    }
                }
            }
        }
    }
}
