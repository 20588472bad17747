//! The human-readable audit report: short sections, aligned tables, percentages with counts.

use std::fmt::Write as _;

use super::findings;
use super::verdict::{count, likely_causes, verdict_lines};
use super::{AssignmentReport, AuditReport, DatasetSummary, GroupStats, Rate};

/// A table with a header row; the first column is left-aligned, the rest right-aligned.
struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|s| s.to_string()).collect()],
        }
    }
    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
    fn render(&self, out: &mut String, indent: &str) {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let width: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for r in &self.rows {
            let mut line = String::from(indent);
            for (c, cell) in r.iter().enumerate() {
                if c == 0 {
                    let _ = write!(line, "{cell:<w$}", w = width[c]);
                } else {
                    let _ = write!(line, "  {cell:>w$}", w = width[c]);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
}

fn pct(r: &Rate) -> String {
    format!("{} ({:.1}%)", r.count, 100.0 * r.rate)
}

fn pct_only(r: &Rate) -> String {
    format!("{:.1}%", 100.0 * r.rate)
}

/// What the text report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Examples per kind of finding and per group of objects to look at.
    pub examples: usize,
    /// Rows of the worst-cases table.
    pub worst: usize,
    /// The report's length limit (`None`: no limit, when more examples were asked for).
    pub max_lines: Option<usize>,
}

/// Lines of the default text report at most, on any dataset.
pub const MAX_LINES: usize = 150;

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            examples: super::DEFAULT_EXAMPLES,
            worst: 10,
            max_lines: Some(MAX_LINES),
        }
    }
}

fn line_count(s: &str) -> usize {
    s.lines().count()
}

/// Renders the whole report with the default options.
pub fn render(report: &AuditReport) -> String {
    render_with(report, &TextOptions::default())
}

/// Renders the whole report: the verdict first (what is wrong, in numbers and words, and its
/// most likely causes), then the comparison of configurations, the dataset, the findings
/// grouped by kind, and each configuration's tables. Within `max_lines`, whatever the dataset:
/// every list is grouped or cut to a few examples, and tables that do not fit are left out
/// with a line naming them (`--format json` has everything).
pub fn render_with(report: &AuditReport, opts: &TextOptions) -> String {
    let mut out = String::new();
    render_verdict(report, &mut out);
    if report.configurations.len() > 1 {
        render_comparison(&report.configurations, &mut out);
    }
    render_dataset(&report.dataset, &mut out);
    let budget = opts.max_lines.unwrap_or(usize::MAX);
    // What the configurations need at least: their summary lines and one line naming what was
    // left out.
    let per_config_min = 9;
    let reserved = per_config_min * report.configurations.len();
    let findings_max =
        budget
            .saturating_sub(line_count(&out) + reserved + 2)
            .min(if opts.max_lines.is_some() {
                60
            } else {
                usize::MAX
            });
    render_findings(
        &report.dataset,
        opts.examples,
        Some(findings_max).filter(|_| opts.max_lines.is_some()),
        &mut out,
    );
    let n = report.configurations.len();
    for (k, a) in report.configurations.iter().enumerate() {
        let left = budget.saturating_sub(line_count(&out));
        let share = left / (n - k);
        render_assignment(a, opts, share, &mut out);
    }
    if let Some(max) = opts.max_lines {
        let lines: Vec<&str> = out.lines().collect();
        if lines.len() > max {
            // Not expected (every section is bounded); a guard, so the promise holds.
            let mut cut: String = lines[..max - 1].iter().map(|l| format!("{l}\n")).collect();
            let _ = writeln!(
                cut,
                "... {} more lines left out to keep the report short: --format json has everything",
                lines.len() + 1 - max
            );
            return cut;
        }
    }
    out
}

/// The first lines: what is wrong for each prior set, in numbers and words, and why.
fn render_verdict(report: &AuditReport, out: &mut String) {
    render_verdict_totals(report, out);
    let n = report.configurations.len();
    for a in &report.configurations {
        if n > 4 {
            render_verdict_line(a, out);
        } else {
            render_verdict_block(a, &report.dataset, n > 1, out);
        }
    }
}

/// The verdict's first lines: what was read, at which threshold, and what was left out.
fn render_verdict_totals(report: &AuditReport, out: &mut String) {
    let d = &report.dataset;
    let threshold = report
        .configurations
        .first()
        .map(|a| a.config.threshold)
        .unwrap_or(0.5);
    let _ = writeln!(
        out,
        "Verdict: {} in {} read, threshold {threshold}",
        count(d.objects, "object"),
        count(d.images, "image")
    );
    let ignored = if d.files_ignored > 0 {
        format!(
            ", {} ignored (not annotations)",
            count(d.files_ignored, "file")
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  rejected         {}, {}; {} of unknown classes skipped{ignored}",
        count(d.files_rejected, "file"),
        count(d.skipped_invalid, "object"),
        count(d.skipped_unknown_class_total, "object")
    );
}

/// One configuration's verdict on one line (more than 4 configurations).
fn render_verdict_line(a: &AssignmentReport, out: &mut String) {
    let o = &a.overall;
    let _ = writeln!(
        out,
        "  {} ({}): never learned {}, forced-only {}, lost collisions {}, coverage {}",
        a.config.priors,
        a.config.num_priors,
        pct(&o.unmatched),
        pct(&o.forced_only),
        pct(&o.lost_collision),
        pct(&a.coverage_at_threshold)
    );
}

/// One configuration's verdict as a block of labelled lines, under its name when there are
/// several (`named`), with its likely causes.
fn render_verdict_block(a: &AssignmentReport, d: &DatasetSummary, named: bool, out: &mut String) {
    let indent = if named {
        let _ = writeln!(
            out,
            "  {} ({} priors)",
            a.config.priors, a.config.num_priors
        );
        "    "
    } else {
        "  "
    };
    let w = if named { 15 } else { 17 };
    for l in verdict_lines(a) {
        let _ = writeln!(
            out,
            "{indent}{:<w$}{:<16} {}",
            l.label,
            pct(&l.rate),
            l.says
        );
    }
    render_likely_causes(a, d, indent, w, out);
}

/// The two largest causes (of at least 1%) of a configuration's losses, labelled in a column
/// `w` wide.
fn render_likely_causes(
    a: &AssignmentReport,
    d: &DatasetSummary,
    indent: &str,
    w: usize,
    out: &mut String,
) {
    let picked = likely_causes(a, d);
    if picked.is_empty() {
        let _ = writeln!(out, "{indent}{:<w$}none stands out", "likely causes");
    }
    for (k, c) in picked.iter().enumerate() {
        let label = if k == 0 { "likely causes" } else { "" };
        let _ = writeln!(out, "{indent}{label:<w$}{}", c.text);
    }
}

fn render_dataset(d: &DatasetSummary, out: &mut String) {
    out.push_str("\nDataset\n");
    const MAX_SOURCES: usize = 3;
    for s in d.sources.iter().take(MAX_SOURCES) {
        let _ = writeln!(out, "  source       {s}");
    }
    if d.sources.len() > MAX_SOURCES {
        let _ = writeln!(
            out,
            "  source       ... and {} more (--format json lists them)",
            d.sources.len() - MAX_SOURCES
        );
    }
    let ignored = if d.files_ignored > 0 {
        format!(", {} ignored (not annotations)", d.files_ignored)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  images       {} read, {} without objects, {} files rejected{ignored}",
        d.images, d.images_without_objects, d.files_rejected
    );
    let _ = writeln!(
        out,
        "  objects      {} to match ({} difficult, {} extending outside the image)",
        d.objects, d.difficult, d.objects_outside_image
    );
    if d.sizes_from_image > 0 {
        let _ = writeln!(
            out,
            "  sizes        {} image(s) sized from the image file (<size> missing or 0)",
            d.sizes_from_image
        );
    }
    let _ = writeln!(
        out,
        "  skipped      {} unknown class, {} invalid box, {} difficult (dropped)",
        d.skipped_unknown_class_total, d.skipped_invalid, d.skipped_difficult
    );
    if !d.objects_per_class.is_empty() {
        const MAX_CLASS_LINES: usize = 3;
        let per: Vec<String> = d
            .objects_per_class
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::from("  per class    ");
        let mut first = true;
        let mut shown = 0;
        for item in &per {
            if !first && line.len() + item.len() + 2 > 98 {
                lines.push(line.trim_end_matches([',', ' ']).to_string());
                if lines.len() == MAX_CLASS_LINES {
                    break;
                }
                line = String::from("               ");
            } else if !first {
                line.push_str(", ");
            }
            line.push_str(item);
            shown += 1;
            first = false;
        }
        if lines.len() < MAX_CLASS_LINES {
            lines.push(line);
        } else {
            shown -= 1;
            let last = lines.last_mut().expect("lines");
            let _ = write!(last, " ... and {} more classes", per.len() - shown);
        }
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
}

fn render_findings(
    d: &DatasetSummary,
    examples: usize,
    max_lines: Option<usize>,
    out: &mut String,
) {
    if d.findings.is_empty() {
        return;
    }
    out.push_str("\nFindings by kind (--findings FILE lists every one; --examples N shows more)\n");
    findings::render_groups(
        &d.findings,
        &d.skipped_unknown_class,
        examples,
        max_lines.map(|m| m.saturating_sub(2)),
        "  ",
        out,
    );
}

/// `encode`'s report on stderr: the dataset's findings grouped by kind as in the audit (empty
/// when there are none).
pub fn findings_for_stderr(d: &DatasetSummary) -> String {
    if d.findings.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = [
        (d.rejected(), "files or objects left out"),
        (
            d.skipped_unknown_class_total,
            "objects of unknown classes skipped",
        ),
        (d.warnings, "warnings"),
        (d.files_ignored, "files ignored"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let mut out = format!(
        "ssd-assign: {} (by kind; manifest.json lists every one under dataset.findings):\n",
        parts.join(", ")
    );
    findings::render_groups(
        &d.findings,
        &d.skipped_unknown_class,
        super::DEFAULT_EXAMPLES,
        Some(60),
        "  ",
        &mut out,
    );
    out
}

fn group_table(title: &str, groups: &[GroupStats], out: &mut String) {
    let coverage: Vec<String> = super::COVERAGE_AT
        .iter()
        .map(|t| format!("cov@{t:.1}"))
        .collect();
    let mut header = vec![
        title,
        "GTs",
        "unmatched",
        "forced-only",
        "lost coll.",
        "pos/GT",
    ];
    header.extend(coverage.iter().map(String::as_str));
    let mut t = Table::new(&header);
    for g in groups {
        if g.gts == 0 {
            continue;
        }
        let mut row = vec![
            g.group.clone(),
            g.gts.to_string(),
            pct(&g.unmatched),
            pct(&g.forced_only),
            pct(&g.lost_collision),
            format!("{:.2}", g.mean_positives),
        ];
        row.extend(g.coverage.iter().map(|(_, r)| pct_only(r)));
        t.row(row);
    }
    t.render(out, "  ");
}

/// One configuration's section: its summary, then blocks (objects to look at, tables) that are
/// shown while they fit in `max_lines`, the most telling first; the others are named.
fn render_assignment(a: &AssignmentReport, opts: &TextOptions, max_lines: usize, out: &mut String) {
    let head = assignment_head(a);
    let table = |title: &str, groups: &[GroupStats]| {
        let mut t = String::from("\n");
        group_table(title, groups, &mut t);
        t
    };
    // (name, priority: lower is kept first, text), in display order.
    let blocks: Vec<(&str, u8, String)> = vec![
        ("objects to look at", 0, look_at_block(a, opts)),
        ("by size", 1, table("by size", &a.by_size)),
        ("by aspect", 5, table("by aspect (w/h)", &a.by_aspect)),
        ("by class", 3, class_block(a)),
        ("best-IoU histogram", 7, histogram_block(a)),
        ("shape vs grid", 2, shape_vs_grid_block(a)),
        ("negatives", 4, negatives_block(a)),
        ("worst cases", 6, worst_cases_block(a, opts)),
    ];
    render_fitting(&head, &blocks, opts, max_lines, out);
}

/// The summary lines of one configuration, always shown.
fn assignment_head(a: &AssignmentReport) -> String {
    let mut head = String::new();
    let c = &a.config;
    let _ = writeln!(
        head,
        "\nAssignment: {} ({} priors), threshold {}, collisions {}, {} ground truths",
        c.priors,
        c.num_priors,
        c.threshold,
        c.collision.as_str(),
        a.gts
    );
    let o = &a.overall;
    let _ = writeln!(
        head,
        "  unmatched        {}  no positive prior: the model never learns them",
        pct(&o.unmatched)
    );
    let _ = writeln!(
        head,
        "  forced-only      {}  one positive, only through the forced match",
        pct(&o.forced_only)
    );
    let _ = writeln!(
        head,
        "  lost collision   {}  lost their forced prior to a later object",
        pct(&o.lost_collision)
    );
    let coverage: Vec<String> = o
        .coverage
        .iter()
        .map(|(t, r)| format!("@{t:.1} {}", pct(r)))
        .collect();
    let _ = writeln!(
        head,
        "  coverage         {}  (best IoU with any prior)",
        coverage.join("  ")
    );
    // In bin order (the map's own order is lexical: ">10" would come first).
    let hist: Vec<String> = super::POSITIVE_BINS
        .iter()
        .filter_map(|(name, _, _)| {
            a.positives_per_gt
                .get(*name)
                .map(|v| format!("{name}: {v}"))
        })
        .collect();
    let _ = writeln!(
        head,
        "  positives/GT     mean {:.2}, median {}; {}",
        a.positives_per_gt_mean,
        a.positives_per_gt_median,
        hist.join(", ")
    );

    head
}

fn look_at_block(a: &AssignmentReport, opts: &TextOptions) -> String {
    let mut look = String::new();
    if a.objects_to_look_at.iter().any(|g| g.count > 0) {
        look.push_str(
            "\n  Objects to look at (--gt-csv FILE lists every object with its status)\n",
        );
        for g in a.objects_to_look_at.iter().filter(|g| g.count > 0) {
            let _ = match g.count {
                1 => writeln!(
                    look,
                    "    1 object {}",
                    crate::findings::singular_title(g.title)
                ),
                n => writeln!(look, "    {n} objects {}", g.title),
            };
            let _ = writeln!(look, "        means: {}; fix: {}", g.meaning, g.fix);
            for w in g.examples.iter().take(opts.examples) {
                let _ = writeln!(
                    look,
                    "        e.g. {}: object {} ({}) box {},{},{},{}: best IoU {:.3}, {} positives",
                    w.path,
                    w.object_index,
                    w.class,
                    w.pixel_box[0],
                    w.pixel_box[1],
                    w.pixel_box[2],
                    w.pixel_box[3],
                    w.best_iou,
                    w.positives
                );
            }
        }
    }
    look
}

/// The by-class table, of the classes with the most GTs when there are many.
fn class_block(a: &AssignmentReport) -> String {
    let mut t = String::from("\n");
    const MAX_CLASSES: usize = 20;
    if a.by_class.len() > MAX_CLASSES {
        // The classes with the most GTs (ties by name), then how many are left out.
        let mut top: Vec<&GroupStats> = a.by_class.iter().collect();
        top.sort_by(|x, y| y.gts.cmp(&x.gts).then(x.group.cmp(&y.group)));
        let mut shown: Vec<GroupStats> = top[..MAX_CLASSES].iter().map(|g| (*g).clone()).collect();
        shown.sort_by(|x, y| x.group.cmp(&y.group));
        group_table("by class", &shown, &mut t);
        let _ = writeln!(
            t,
            "  ... and {} more classes with fewer GTs (--format json lists every class)",
            a.by_class.len() - MAX_CLASSES
        );
    } else {
        group_table("by class", &a.by_class, &mut t);
    }
    t
}

fn histogram_block(a: &AssignmentReport) -> String {
    let mut t = String::from("\n  best IoU    GTs\n");
    let max = a
        .best_iou_histogram
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    for b in &a.best_iou_histogram {
        let bar = "#".repeat(((b.count * 40).div_ceil(max)) as usize);
        let _ = writeln!(t, "  {:.1}-{:.1}  {:>5}  {bar}", b.lo, b.hi, b.count);
    }
    t
}

fn shape_vs_grid_block(a: &AssignmentReport) -> String {
    let s = &a.shape_vs_grid;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\n  shape vs grid    mean best IoU {:.3}; with a prior centred on the object {:.3}",
        s.mean_best_iou, s.mean_shape_iou
    );
    let _ = writeln!(
        t,
        "                   {} lost to grid spacing (a prior shape fits, no cell is close enough)",
        pct(&s.lost_to_grid)
    );
    let _ = writeln!(
        t,
        "                   {} no prior shape fits even at the object's centre",
        pct(&s.shapes_do_not_fit)
    );
    let mut tb = Table::new(&[
        "by size",
        "GTs",
        "best IoU",
        "shape IoU",
        "lost to grid",
        "shape misfit",
    ]);
    for r in &s.by_size {
        if r.gts == 0 {
            continue;
        }
        tb.row(vec![
            r.group.clone(),
            r.gts.to_string(),
            format!("{:.3}", r.mean_best_iou),
            format!("{:.3}", r.mean_shape_iou),
            r.lost_to_grid.to_string(),
            r.shapes_do_not_fit.to_string(),
        ]);
    }
    tb.render(&mut t, "  ");
    t
}

fn negatives_block(a: &AssignmentReport) -> String {
    let n = &a.negatives;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\n  negatives        {} positives, {} negatives; per image mean {:.1} (min {}, max {})",
        n.positives,
        n.negatives,
        n.negatives_per_image_mean,
        n.negatives_per_image_min,
        n.negatives_per_image_max
    );
    let _ = writeln!(
        t,
        "  hard negatives   budget {} at {}:1 (min(ratio x positives, negatives) per image)",
        n.hard_negative_budget, n.neg_pos_ratio
    );
    let _ = match n.images_budget_exceeds_negatives {
        1 => writeln!(
            t,
            "                   1 image where {}x its positives exceed the negatives available",
            n.neg_pos_ratio
        ),
        k => writeln!(
            t,
            "                   {k} images where {}x their positives exceed the negatives available",
            n.neg_pos_ratio
        ),
    };
    let _ = match n.images_without_negatives {
        1 => writeln!(
            t,
            "                   1 image with no positive: it contributes no negatives at all"
        ),
        k => writeln!(
            t,
            "                   {k} images with no positive: they contribute no negatives at all"
        ),
    };
    t
}

fn worst_cases_block(a: &AssignmentReport, opts: &TextOptions) -> String {
    let rows = a.worst_cases.len().min(opts.worst);
    let mut t = String::new();
    if rows > 0 {
        t.push_str("\n  Worst cases (lowest best IoU; --worst N lists more)\n");
        let mut tb = Table::new(&[
            "file",
            "object",
            "class",
            "box (xmin,ymin,xmax,ymax)",
            "best IoU",
            "shape IoU",
            "pos",
            "status",
        ]);
        for w in &a.worst_cases[..rows] {
            tb.row(vec![
                w.path.clone(),
                w.object_index.to_string(),
                w.class.clone(),
                format!(
                    "{},{},{},{}",
                    w.pixel_box[0], w.pixel_box[1], w.pixel_box[2], w.pixel_box[3]
                ),
                format!("{:.3}", w.best_iou),
                format!("{:.3}", w.shape_iou),
                w.positives.to_string(),
                w.status.as_str().to_string(),
            ]);
        }
        tb.render(&mut t, "  ");
    }
    t
}

/// Writes `head`, then the `blocks` kept by priority while they fit in `max_lines` (all of them
/// without a line limit), in display order, then the names of those left out.
fn render_fitting(
    head: &str,
    blocks: &[(&str, u8, String)],
    opts: &TextOptions,
    max_lines: usize,
    out: &mut String,
) {
    // Keep blocks by priority while they fit (two lines are kept for naming the others).
    let mut used = line_count(head) + 2;
    let mut keep = vec![false; blocks.len()];
    let mut order: Vec<usize> = (0..blocks.len()).collect();
    order.sort_by_key(|&k| blocks[k].1);
    for k in order {
        let l = line_count(&blocks[k].2);
        if used + l <= max_lines || opts.max_lines.is_none() {
            keep[k] = true;
            used += l;
        }
    }
    out.push_str(head);
    let mut left_out = Vec::new();
    for ((name, _, text), kept) in blocks.iter().zip(keep) {
        if kept {
            out.push_str(text);
        } else if !text.is_empty() {
            left_out.push(*name);
        }
    }
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "\n  (left out to keep the report short: {}; --format json has them)",
            left_out.join(", ")
        );
    }
}

/// The comparison of configurations (one column each), as the audit prints it; `suggest`
/// prints its start and result, fit and held-out, with it.
pub fn render_comparison(configs: &[AssignmentReport], out: &mut String) {
    out.push_str("\nComparison\n");
    let mut header: Vec<String> = vec![String::new()];
    header.extend(
        configs
            .iter()
            .map(|c| format!("{} ({})", c.config.priors, c.config.num_priors)),
    );
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&header_refs);
    let mut row = |name: &str, f: &dyn Fn(&AssignmentReport) -> String| {
        let mut r = vec![name.to_string()];
        r.extend(configs.iter().map(f));
        t.row(r);
    };
    const HEADLINE: f32 = super::COVERAGE_HEADLINE;
    row(&format!("coverage@{HEADLINE:.1}"), &|a| {
        pct(a.overall.coverage.at(HEADLINE))
    });
    for (k, (name, _, _)) in super::SIZE_BUCKETS.iter().enumerate() {
        row(&format!("  {name}"), &|a| {
            pct(a.by_size[k].coverage.at(HEADLINE))
        });
    }
    row("unmatched GTs", &|a| pct(&a.overall.unmatched));
    row("lost collisions", &|a| pct(&a.overall.lost_collision));
    row("forced-only GTs", &|a| pct(&a.overall.forced_only));
    row("mean positives/GT", &|a| {
        format!("{:.2}", a.positives_per_gt_mean)
    });
    row("hard-negative budget", &|a| {
        a.negatives.hard_negative_budget.to_string()
    });
    t.render(out, "  ");
}

/// Coverage at the headline IoU by class, next to each other for `configs` (the comparison's
/// columns): the `max_rows` classes with the most GTs in the first configuration, then one line
/// naming how many more there are (the JSON report has every class).
pub fn render_comparison_by_class(configs: &[AssignmentReport], max_rows: usize, out: &mut String) {
    let Some(first) = configs.first() else {
        return;
    };
    const HEADLINE: f32 = super::COVERAGE_HEADLINE;
    let mut classes: Vec<&str> = first.by_class.iter().map(|g| g.group.as_str()).collect();
    classes.sort_by_key(|c| {
        let gts = first
            .by_class
            .iter()
            .find(|g| g.group == *c)
            .map_or(0, |g| g.gts);
        std::cmp::Reverse(gts)
    });
    let mut header: Vec<String> = vec![format!("coverage@{HEADLINE:.1} by class")];
    header.extend(configs.iter().map(|c| c.config.priors.clone()));
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&header_refs);
    for class in classes.iter().take(max_rows) {
        let mut r = vec![format!("  {class}")];
        r.extend(configs.iter().map(|c| {
            c.by_class
                .iter()
                .find(|g| g.group == *class)
                .map_or_else(|| "-".to_string(), |g| pct(g.coverage.at(HEADLINE)))
        }));
        t.row(r);
    }
    out.push('\n');
    t.render(out, "  ");
    if classes.len() > max_rows {
        let _ = writeln!(
            out,
            "  ... and {} more classes (--format json of the audit lists every class)",
            classes.len() - max_rows
        );
    }
}
