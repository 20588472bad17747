//! The human-readable audit report: short sections, aligned tables, percentages with counts.

use std::fmt::Write as _;

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

/// Renders the whole report. With several configurations, the dataset section comes once,
/// then a side-by-side comparison, then each configuration's details.
pub fn render(report: &AuditReport) -> String {
    let mut out = String::new();
    render_dataset(&report.dataset, &mut out);
    if report.configurations.len() > 1 {
        render_comparison(&report.configurations, &mut out);
    }
    for a in &report.configurations {
        render_assignment(a, &mut out);
    }
    out
}

fn render_dataset(d: &DatasetSummary, out: &mut String) {
    out.push_str("Dataset\n");
    for s in &d.sources {
        let _ = writeln!(out, "  source       {s}");
    }
    let _ = writeln!(
        out,
        "  images       {} read, {} without objects, {} files rejected",
        d.images,
        d.images_without_objects,
        d.files_rejected.len()
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
        d.skipped_unknown_class_total,
        d.skipped_invalid.len(),
        d.skipped_difficult
    );
    if !d.objects_per_class.is_empty() {
        let per: Vec<String> = d
            .objects_per_class
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let mut line = String::from("  per class    ");
        let mut first = true;
        for item in per {
            if !first && line.len() + item.len() + 2 > 98 {
                out.push_str(line.trim_end_matches([',', ' ']));
                out.push('\n');
                line = String::from("               ");
            } else if !first {
                line.push_str(", ");
            }
            line.push_str(&item);
            first = false;
        }
        out.push_str(&line);
        out.push('\n');
    }
    if !d.skipped_unknown_class.is_empty() {
        out.push_str("\nUnknown classes (not in the label map; skipped like the reference does)\n");
        for u in &d.skipped_unknown_class {
            let hint = u
                .did_you_mean
                .as_ref()
                .map(|s| format!("  did you mean \"{s}\"?"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<20} {:>6}{hint}",
                format!("\"{}\"", u.name),
                u.count
            );
        }
    }
    if !d.skipped_invalid.is_empty() {
        out.push_str("\nInvalid objects (not matched)\n");
        for o in &d.skipped_invalid {
            let _ = writeln!(
                out,
                "  {}:{}:{}: object {} ({}): {}",
                o.path,
                o.line,
                o.column,
                o.object_index,
                o.class.as_deref().unwrap_or("no name"),
                o.reason
            );
        }
    }
    if !d.files_rejected.is_empty() {
        out.push_str("\nFiles rejected\n");
        for f in &d.files_rejected {
            let _ = writeln!(out, "  {}: {}", f.path, f.message);
        }
    }
    if d.images_checked > 0 {
        let _ = writeln!(
            out,
            "\nImage checks: {} images' headers read, {} findings",
            d.images_checked,
            d.image_findings.len()
        );
        for f in &d.image_findings {
            let _ = writeln!(out, "  {}: {}", f.path, f.message);
        }
    }
    if !d.warnings.is_empty() {
        out.push_str("\nWarnings\n");
        for f in &d.warnings {
            let _ = writeln!(out, "  {}: {}", f.path, f.message);
        }
    }
}

fn group_table(title: &str, groups: &[GroupStats], out: &mut String) {
    let mut t = Table::new(&[
        title,
        "GTs",
        "unmatched",
        "forced-only",
        "lost coll.",
        "pos/GT",
        "cov@0.3",
        "cov@0.5",
        "cov@0.7",
    ]);
    for g in groups {
        if g.gts == 0 {
            continue;
        }
        let cov = |k: &str| g.coverage.get(k).map(pct_only).unwrap_or_default();
        t.row(vec![
            g.group.clone(),
            g.gts.to_string(),
            pct(&g.unmatched),
            pct(&g.forced_only),
            pct(&g.lost_collision),
            format!("{:.2}", g.mean_positives),
            cov("0.3"),
            cov("0.5"),
            cov("0.7"),
        ]);
    }
    t.render(out, "  ");
}

fn render_assignment(a: &AssignmentReport, out: &mut String) {
    let c = &a.config;
    let _ = writeln!(
        out,
        "\nAssignment: {} ({} priors), threshold {}, collisions {}, {} ground truths",
        c.priors,
        c.num_priors,
        c.threshold,
        c.collision.as_str(),
        a.gts
    );
    let o = &a.overall;
    let _ = writeln!(
        out,
        "  unmatched        {}  no positive prior: the model never learns them",
        pct(&o.unmatched)
    );
    let _ = writeln!(
        out,
        "  forced-only      {}  one positive, only through the forced match",
        pct(&o.forced_only)
    );
    let _ = writeln!(
        out,
        "  lost collision   {}  lost their forced prior to a later object",
        pct(&o.lost_collision)
    );
    let _ = writeln!(
        out,
        "  coverage         @0.3 {}  @0.5 {}  @0.7 {}  (best IoU with any prior)",
        o.coverage.get("0.3").map(pct).unwrap_or_default(),
        o.coverage.get("0.5").map(pct).unwrap_or_default(),
        o.coverage.get("0.7").map(pct).unwrap_or_default()
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
        out,
        "  positives/GT     mean {:.2}, median {}; {}",
        a.positives_per_gt_mean,
        a.positives_per_gt_median,
        hist.join(", ")
    );

    out.push('\n');
    group_table("by size", &a.by_size, out);
    out.push('\n');
    group_table("by aspect (w/h)", &a.by_aspect, out);
    out.push('\n');
    group_table("by class", &a.by_class, out);

    out.push_str("\n  best IoU    GTs\n");
    let max = a
        .best_iou_histogram
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    for b in &a.best_iou_histogram {
        let bar = "#".repeat(((b.count * 40).div_ceil(max)) as usize);
        let _ = writeln!(out, "  {:.1}-{:.1}  {:>5}  {bar}", b.lo, b.hi, b.count);
    }

    let s = &a.shape_vs_grid;
    let _ = writeln!(
        out,
        "\n  shape vs grid    mean best IoU {:.3}; with a prior centred on the object {:.3}",
        s.mean_best_iou, s.mean_shape_iou
    );
    let _ = writeln!(
        out,
        "                   {} lost to grid spacing (a prior shape fits, no cell is close enough)",
        pct(&s.lost_to_grid)
    );
    let _ = writeln!(
        out,
        "                   {} no prior shape fits even at the object's centre",
        pct(&s.shapes_do_not_fit)
    );
    let mut t = Table::new(&[
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
        t.row(vec![
            r.group.clone(),
            r.gts.to_string(),
            format!("{:.3}", r.mean_best_iou),
            format!("{:.3}", r.mean_shape_iou),
            r.lost_to_grid.to_string(),
            r.shapes_do_not_fit.to_string(),
        ]);
    }
    t.render(out, "  ");

    let n = &a.negatives;
    let _ = writeln!(
        out,
        "\n  negatives        {} positives, {} negatives; per image mean {:.1} (min {}, max {})",
        n.positives,
        n.negatives,
        n.negatives_per_image_mean,
        n.negatives_per_image_min,
        n.negatives_per_image_max
    );
    let _ = writeln!(
        out,
        "  hard negatives   budget {} at {}:1 (min(ratio x positives, negatives) per image)",
        n.hard_negative_budget, n.neg_pos_ratio
    );
    let _ = writeln!(
        out,
        "                   {} images where {}x their positives exceed the negatives available",
        n.images_budget_exceeds_negatives, n.neg_pos_ratio
    );
    let _ = writeln!(
        out,
        "                   {} images with no positive: they contribute no negatives at all",
        n.images_without_negatives
    );

    if !a.worst_cases.is_empty() {
        out.push_str("\n  Worst cases (lowest best IoU, then every unmatched object)\n");
        let mut t = Table::new(&[
            "file",
            "object",
            "class",
            "box (xmin,ymin,xmax,ymax)",
            "best IoU",
            "shape IoU",
            "pos",
            "status",
        ]);
        for w in &a.worst_cases {
            t.row(vec![
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
        t.render(out, "  ");
        if a.unmatched_not_listed > 0 {
            let _ = writeln!(
                out,
                "  ... and {} more unmatched objects (--max-unmatched N lists more; --gt-csv FILE lists every object)",
                a.unmatched_not_listed
            );
        }
    }
}

fn render_comparison(configs: &[AssignmentReport], out: &mut String) {
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
    row("coverage@0.5", &|a| {
        a.overall.coverage.get("0.5").map(pct).unwrap_or_default()
    });
    for (k, (name, _, _)) in super::SIZE_BUCKETS.iter().enumerate() {
        row(&format!("  {name}"), &|a| {
            a.by_size[k]
                .coverage
                .get("0.5")
                .map(pct)
                .unwrap_or_default()
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
