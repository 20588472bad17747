//! The report's figures as charts: which chart shows which field of an [`AssignmentReport`],
//! with which ids, titles, groups and series (the charts themselves are [`super::charts`]).
//! Nothing here computes a figure; groups are only chosen (those with objects, the largest
//! classes) as the text report chooses them.

use maud::{html, Markup};

use super::charts::{
    Bar, BarChart, Group, GroupedBars, Series, ShapeScatter, CONFIG_COLOURS, COVERAGE_COLOURS,
    FAILURE_COLOURS,
};
use crate::report::{
    AssignmentReport, GroupStats, COVERAGE_AT, COVERAGE_HEADLINE, POSITIVE_BINS, SIZE_BUCKETS,
};

/// Classes shown in a by-class chart at most (the largest; the JSON has every class).
pub const MAX_CLASSES: usize = 20;

/// Classes in the comparison's by-class chart at most.
const MAX_COMPARED_CLASSES: usize = 12;

/// `tiny-detector (441 priors)`.
pub fn config_name(a: &AssignmentReport) -> String {
    format!("{} ({} priors)", a.config.priors, a.config.num_priors)
}

fn config_series(configs: &[AssignmentReport]) -> Vec<Series> {
    configs
        .iter()
        .enumerate()
        .map(|(k, a)| Series {
            name: config_name(a),
            colour: CONFIG_COLOURS[k % CONFIG_COLOURS.len()],
        })
        .collect()
}

pub fn compare_by_size(configs: &[AssignmentReport]) -> GroupedBars<'static> {
    const H: f32 = COVERAGE_HEADLINE;
    let mut groups = vec![Group {
        label: "all".into(),
        rates: configs
            .iter()
            .map(|a| Some(*a.overall.coverage.at(H)))
            .collect(),
    }];
    groups.extend(SIZE_BUCKETS.iter().enumerate().map(|(k, (name, _, _))| {
        Group {
            label: name.to_string(),
            rates: configs
                .iter()
                .map(|a| Some(*a.by_size[k].coverage.at(H)))
                .collect(),
        }
    }));
    GroupedBars {
        id: "chart-compare-size",
        title: "Coverage@0.5 by size, per configuration",
        x_label: "objects with a prior of IoU \u{2265} 0.5",
        series: config_series(configs),
        groups,
        note: None,
    }
}

/// Coverage at the headline IoU of the classes with the most GTs in the first configuration
/// (the text report's comparison by class).
pub fn compare_by_class(configs: &[AssignmentReport]) -> GroupedBars<'static> {
    const H: f32 = COVERAGE_HEADLINE;
    let first = &configs[0];
    let mut classes: Vec<&GroupStats> = first.by_class.iter().collect();
    classes.sort_by_key(|g| std::cmp::Reverse(g.gts));
    let left_out = classes.len().saturating_sub(MAX_COMPARED_CLASSES);
    classes.truncate(MAX_COMPARED_CLASSES);
    let groups = classes
        .iter()
        .map(|c| Group {
            label: c.group.clone(),
            rates: configs
                .iter()
                .map(|a| {
                    a.by_class
                        .iter()
                        .find(|g| g.group == c.group)
                        .map(|g| *g.coverage.at(H))
                })
                .collect(),
        })
        .collect();
    GroupedBars {
        id: "chart-compare-class",
        title: "Coverage@0.5 of the largest classes, per configuration",
        x_label: "objects with a prior of IoU \u{2265} 0.5",
        series: config_series(configs),
        groups,
        note: (left_out > 0)
            .then(|| format!("... and {left_out} more classes (--format json lists every class)")),
    }
}

/// The chart cells of configuration `k`, in display order (two to a row on a wide page): the
/// (w, h) scatter beside the IoU and positives histograms, then per grouping its coverage
/// beside its failures.
pub fn config_charts(k: usize, a: &AssignmentReport) -> Vec<Markup> {
    let id = |name: &str| format!("chart-{name}-{k}");
    let mut charts = Vec::new();
    if let Some(shapes) = &a.object_shapes {
        charts.push(
            ShapeScatter {
                id: &id("shapes"),
                title: "Objects' width and height, and the prior shapes",
                shapes,
            }
            .render(),
        );
    }
    charts.push(html! {
        div.stack { (iou_histogram(&id("iou"), a)) (positives_chart(&id("positives"), a)) }
    });
    for (name, title, groups) in groupings(a) {
        charts.push(coverage_chart(
            &id(&format!("coverage-{name}")),
            title,
            &groups,
        ));
        charts.push(failures_chart(
            &id(&format!("failures-{name}")),
            title,
            &groups,
        ));
    }
    charts
}

fn iou_histogram(id: &str, a: &AssignmentReport) -> Markup {
    let t = a.config.threshold;
    BarChart {
        id,
        title: "Best IoU of each object with any prior",
        x_label: "best IoU",
        y_label: "objects",
        unit: "objects",
        bars: a
            .best_iou_histogram
            .iter()
            .map(|b| Bar {
                label: format!("{:.1}-{:.1}", b.lo, b.hi),
                count: b.count,
            })
            .collect(),
        marker: Some((f64::from(t) * 10.0, format!("threshold {t}"))),
        colour: COVERAGE_COLOURS[1],
        edges: Some(
            (0..=10)
                .map(|k| format!("{:.1}", k as f64 / 10.0))
                .collect(),
        ),
    }
    .render()
}

fn positives_chart(id: &str, a: &AssignmentReport) -> Markup {
    BarChart {
        id,
        title: "Positive priors per object",
        x_label: "positive priors",
        y_label: "objects",
        unit: "objects",
        // In bin order (the map's own order is lexical).
        bars: POSITIVE_BINS
            .iter()
            .map(|(name, _, _)| Bar {
                label: name.to_string(),
                count: a.positives_per_gt.get(*name).copied().unwrap_or(0),
            })
            .collect(),
        marker: None,
        colour: "#59a14f",
        edges: None,
    }
    .render()
}

/// The groupings charted: name (for ids), title, and the groups that have GTs.
fn groupings(a: &AssignmentReport) -> Vec<(&'static str, &'static str, ChartGroups<'_>)> {
    vec![
        ("size", "by size", (present(&a.by_size), 0)),
        (
            "aspect",
            "by aspect ratio (w/h)",
            (present(&a.by_aspect), 0),
        ),
        ("class", "by class", largest_classes(a)),
    ]
}

/// The groups that have GTs.
fn present(groups: &[GroupStats]) -> Vec<&GroupStats> {
    groups.iter().filter(|s| s.gts > 0).collect()
}

/// The groups of a chart and how many were left out.
type ChartGroups<'a> = (Vec<&'a GroupStats>, usize);

/// The classes with GTs; more than [`MAX_CLASSES`]: the largest (ties by name), in name order
/// (the text report's rule).
fn largest_classes(a: &AssignmentReport) -> ChartGroups<'_> {
    let mut c: Vec<&GroupStats> = a.by_class.iter().collect();
    if c.len() <= MAX_CLASSES {
        return (c, 0);
    }
    c.sort_by(|x, y| y.gts.cmp(&x.gts).then(x.group.cmp(&y.group)));
    let left_out = c.len() - MAX_CLASSES;
    c.truncate(MAX_CLASSES);
    c.sort_by(|x, y| x.group.cmp(&y.group));
    (c, left_out)
}

fn left_out_note(left_out: usize) -> Option<String> {
    (left_out > 0).then(|| {
        format!(
            "... and {left_out} more classes with fewer objects (--format json lists every class)"
        )
    })
}

fn label_with_count(g: &GroupStats) -> String {
    format!("{} ({})", g.group, g.gts)
}

fn coverage_chart(id: &str, by: &str, (groups, left_out): &ChartGroups<'_>) -> Markup {
    GroupedBars {
        id,
        title: &format!("Coverage {by}: objects with a prior of IoU \u{2265} 0.3, 0.5, 0.7"),
        x_label: "share of the group's objects",
        series: COVERAGE_AT
            .iter()
            .zip(COVERAGE_COLOURS)
            .map(|(t, colour)| Series {
                name: format!("coverage@{t:.1}"),
                colour,
            })
            .collect(),
        groups: groups
            .iter()
            .map(|g| Group {
                label: label_with_count(g),
                rates: g.coverage.iter().map(|(_, r)| Some(*r)).collect(),
            })
            .collect(),
        note: left_out_note(*left_out),
    }
    .render()
}

fn failures_chart(id: &str, by: &str, (groups, left_out): &ChartGroups<'_>) -> Markup {
    GroupedBars {
        id,
        title: &format!("Unmatched and forced-only objects {by}"),
        x_label: "share of the group's objects",
        series: ["unmatched", "forced-only"]
            .iter()
            .zip(FAILURE_COLOURS)
            .map(|(name, colour)| Series {
                name: name.to_string(),
                colour,
            })
            .collect(),
        groups: groups
            .iter()
            .map(|g| Group {
                label: label_with_count(g),
                rates: vec![Some(g.unmatched), Some(g.forced_only)],
            })
            .collect(),
        note: left_out_note(*left_out),
    }
    .render()
}
