//! The tallies on hand-made results, against figures computed by hand.

use std::path::PathBuf;

use super::*;
use crate::assign::{GtMatch, ImageMatch, MatchParams, Positive};
use crate::findings::Warning;
use crate::geometry::Corners;
use crate::priors::PriorSet;
use crate::voc::{Annotation, InvalidReason, Object, SizeSource, SkipReason, SkippedObject};

fn labels() -> LabelMap {
    LabelMap::from_classes(&["cat", "dog"]).unwrap()
}

fn object(k: usize, label: u32, c: [f32; 4]) -> Object {
    Object {
        index_in_file: k,
        line: k + 1,
        column: 1,
        name: ["background", "cat", "dog"][label as usize].into(),
        label,
        difficult: false,
        truncated: false,
        pixel: [k as f64, 0.0, 10.0 + k as f64, 10.0],
        corners: Corners::new(c[0], c[1], c[2], c[3]),
        outside: false,
    }
}

fn gt(best_iou: f32, positives: u32, forced_only: bool, lost: bool) -> GtMatch {
    GtMatch {
        best_prior: 0,
        best_iou,
        forced_prior: None,
        forced_iou: 0.0,
        positives,
        forced_only,
        lost_collision: lost,
    }
}

/// An image of `gts` (object, match) and `positives` positive priors (of 441).
fn image(id: &str, gts: Vec<(Object, GtMatch)>, positives: u32) -> ImageResult {
    let (objects, gts): (Vec<Object>, Vec<GtMatch>) = gts.into_iter().unzip();
    ImageResult {
        id: id.into(),
        xml: PathBuf::from(format!("A/{id}.xml")),
        annotation: Annotation {
            filename: None,
            width: 100,
            height: 100,
            size_source: SizeSource::Xml,
            objects,
            skipped: Vec::new(),
            warnings: Vec::new(),
        },
        matching: ImageMatch {
            positives: (0..positives)
                .map(|p| Positive {
                    prior: p,
                    gt: 0,
                    label: 1,
                })
                .collect(),
            gts,
            num_priors: 441,
        },
        image_check: None,
    }
}

/// Image a: g0 matched (IoU 0.9, 3 positives, large square cat), g1 forced-only (0.4, 1
/// positive, small square dog), g2 lost its collision (0.35, 0 positives, medium landscape
/// dog); 4 positive priors. Image b: g3 unmatched (0.05, medium tall cat), no positive.
/// Image c: no object.
fn results() -> Vec<ImageResult> {
    vec![
        image(
            "a",
            vec![
                (object(0, 1, [0.0, 0.0, 0.5, 0.5]), gt(0.9, 3, false, false)),
                (
                    object(1, 2, [0.0, 0.0, 0.05, 0.05]),
                    gt(0.4, 1, true, false),
                ),
                (object(2, 2, [0.0, 0.0, 0.2, 0.1]), gt(0.35, 0, false, true)),
            ],
            4,
        ),
        image(
            "b",
            vec![(
                object(0, 1, [0.5, 0.5, 0.6, 0.9]),
                gt(0.05, 0, false, false),
            )],
            0,
        ),
        image("c", vec![], 0),
    ]
}

fn tally(examples: usize) -> AssignmentTally {
    let priors = PriorSet::tiny_detector();
    let mut t = AssignmentTally::new(&priors, &MatchParams::default(), &labels());
    t.keep_examples(examples);
    for r in &results() {
        t.add(r);
    }
    t
}

fn rate(count: u64, total: u64) -> Rate {
    Rate::new(count, total)
}

#[test]
fn assignment_counts_rates_and_coverage() {
    let r = tally(3).finish(10, 10);
    assert_eq!(r.gts, 4);
    assert_eq!(r.config.num_priors, 441);
    assert_eq!(r.config.threshold, 0.5);
    let o = &r.overall;
    assert_eq!(o.unmatched, rate(2, 4));
    assert_eq!(o.forced_only, rate(1, 4));
    assert_eq!(o.lost_collision, rate(1, 4));
    // IoU >= 0.3: g0, g1, g2; >= 0.5 and >= 0.7: g0.
    assert_eq!(o.coverage.0, [rate(3, 4), rate(1, 4), rate(1, 4)]);
    assert_eq!(*o.coverage.at(0.5), rate(1, 4));
    assert_eq!(r.coverage_at_threshold, rate(1, 4));
    assert_eq!(
        serde_json::to_value(o.coverage).unwrap(),
        serde_json::json!({
            "0.3": {"count": 3, "total": 4, "rate": 0.75},
            "0.5": {"count": 1, "total": 4, "rate": 0.25},
            "0.7": {"count": 1, "total": 4, "rate": 0.25},
        })
    );
    // (3 + 1 + 0 + 0) / 4; sorted 0, 0, 1, 3: median (0 + 1) / 2.
    assert_eq!(r.positives_per_gt_mean, 1.0);
    assert_eq!(r.positives_per_gt_median, 0.5);
    let bins: Vec<(&str, u64)> = POSITIVE_BINS
        .iter()
        .map(|(name, _, _)| (*name, r.positives_per_gt[*name]))
        .collect();
    assert_eq!(
        bins,
        [
            ("0", 2),
            ("1", 1),
            ("2", 0),
            ("3-5", 1),
            ("6-10", 0),
            (">10", 0)
        ]
    );
    // Bins of IoU x 10: 0.05 -> 0, 0.35 -> 3, 0.4 -> 4, 0.9 -> 9.
    let hist: Vec<u64> = r.best_iou_histogram.iter().map(|b| b.count).collect();
    assert_eq!(hist, [1, 0, 0, 1, 1, 0, 0, 0, 0, 1]);
    assert_eq!(
        (r.best_iou_histogram[3].lo, r.best_iou_histogram[3].hi),
        (0.3, 0.4)
    );
}

#[test]
fn assignment_groups_by_class_size_and_aspect() {
    let r = tally(3).finish(10, 10);
    let classes: Vec<(&str, u64, u64, u64)> = r
        .by_class
        .iter()
        .map(|g| {
            (
                g.group.as_str(),
                g.gts,
                g.unmatched.count,
                g.lost_collision.count,
            )
        })
        .collect();
    assert_eq!(classes, [("cat", 2, 1, 0), ("dog", 2, 1, 1)]);
    // sqrt(w h): g1 0.05 small; g2 sqrt(0.02) and g3 sqrt(0.04) medium; g0 0.5 large.
    let sizes: Vec<u64> = r.by_size.iter().map(|g| g.gts).collect();
    assert_eq!(sizes, [1, 2, 1]);
    assert_eq!(r.by_size[1].unmatched, rate(2, 2));
    // w / h: g3 0.25 tall; g0 and g1 square; g2 2 landscape.
    let aspects: Vec<u64> = r.by_aspect.iter().map(|g| g.gts).collect();
    assert_eq!(aspects, [1, 0, 2, 1, 0]);
    let svg: Vec<u64> = r.shape_vs_grid.by_size.iter().map(|s| s.gts).collect();
    assert_eq!(svg, [1, 2, 1]);
}

#[test]
fn assignment_negatives_and_budget() {
    let n = tally(3).finish(10, 10).negatives;
    // a: 4 positives, 437 negatives, budget min(3 x 4, 437) = 12; b and c: 0 and 441.
    assert_eq!(
        (n.positives, n.negatives, n.hard_negative_budget),
        (4, 1319, 12)
    );
    assert_eq!(
        (n.negatives_per_image_min, n.negatives_per_image_max),
        (437, 441)
    );
    assert_eq!(n.negatives_per_image_mean, 1319.0 / 3.0);
    assert_eq!(n.positives_per_image_mean, 4.0 / 3.0);
    assert_eq!(n.images_budget_exceeds_negatives, 0);
    assert_eq!(n.images_without_negatives, 2);
}

/// An object by image id and index in its file.
type Id<'a> = (&'a str, u32);

fn ids(cases: &[WorstCase]) -> Vec<Id<'_>> {
    cases
        .iter()
        .map(|w| (w.image_id.as_str(), w.object_index))
        .collect()
}

#[test]
fn worst_cases_lowest_iou_first_then_unmatched_in_dataset_order() {
    let r = tally(3).finish(3, 10);
    assert_eq!(ids(&r.worst_cases), [("b", 0), ("a", 2), ("a", 1)]);
    assert_eq!(r.worst_cases[0].status, GtStatus::Unmatched);
    assert_eq!(r.worst_cases[1].status, GtStatus::Unmatched);
    assert_eq!(r.worst_cases[2].status, GtStatus::ForcedOnly);
    assert_eq!(r.worst_cases[0].class, "cat");
    // One lowest, then the unmatched not among it: g2 (a, 2).
    let r = tally(3).finish(1, 10);
    assert_eq!(ids(&r.worst_cases), [("b", 0), ("a", 2)]);
    assert_eq!(r.unmatched_not_listed, 0);
    let r = tally(3).finish(1, 0);
    assert_eq!(ids(&r.worst_cases), [("b", 0)]);
    assert_eq!(r.unmatched_not_listed, 1);
}

#[test]
fn objects_to_look_at_keep_the_first_examples_in_dataset_order() {
    let r = tally(3).finish(0, 0);
    let groups: Vec<(&str, u64, Vec<Id>)> = r
        .objects_to_look_at
        .iter()
        .map(|g| (g.kind, g.count, ids(&g.examples)))
        .collect();
    assert_eq!(
        groups,
        [
            ("unmatched", 2, vec![("a", 2), ("b", 0)]),
            ("lost_collision", 1, vec![("a", 2)]),
            ("forced_only", 1, vec![("a", 1)]),
        ]
    );
    let r = tally(1).finish(0, 0);
    assert_eq!(ids(&r.objects_to_look_at[0].examples), [("a", 2)]);
    assert_eq!(r.objects_to_look_at[0].count, 2);
}

#[test]
fn gt_status_serialises_as_its_csv_text() {
    for s in [
        GtStatus::Matched,
        GtStatus::ForcedOnly,
        GtStatus::Unmatched,
        GtStatus::LostCollision,
        GtStatus::SkippedUnknownClass,
        GtStatus::SkippedInvalid,
        GtStatus::SkippedDifficult,
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
}

fn skipped(k: usize, name: &str, reason: SkipReason) -> SkippedObject {
    SkippedObject {
        index_in_file: k,
        line: k + 1,
        column: 1,
        name: Some(name.into()),
        pixel: None,
        reason,
    }
}

#[test]
fn dataset_tally_counts_what_reading_found() {
    let mut rs = results();
    {
        let a = &mut rs[0].annotation;
        a.objects[0].difficult = true;
        a.objects[0].outside = true;
        a.size_source = SizeSource::Image;
        a.skipped = vec![
            skipped(3, "horse", SkipReason::UnknownClass),
            skipped(
                4,
                "dog",
                SkipReason::Invalid(InvalidReason::EmptyOnceNormalised),
            ),
            skipped(5, "cat", SkipReason::Difficult),
        ];
        a.warnings = vec![Warning {
            kind: FindingKind::OutsideImage,
            line: 1,
            column: 1,
            object: Some(0),
            message: "outside".into(),
        }];
    }
    rs[1].annotation.skipped = vec![
        skipped(1, "horse", SkipReason::UnknownClass),
        skipped(2, "hrose", SkipReason::UnknownClass),
    ];
    let mut t = DatasetTally::new(&Listing::default());
    for r in &rs {
        t.add(Ok(r));
    }
    let rejected = FileError {
        id: "d".into(),
        path: "A/d.xml".into(),
        message: "cannot be read".into(),
        kind: FindingKind::UnreadableFile,
        line: 0,
        column: 0,
    };
    t.add(Err(&rejected));
    let labels = LabelMap::from_classes(&["cat", "dog", "horse2"]).unwrap();
    let d = t.finish(&labels);
    assert_eq!((d.files, d.images, d.images_without_objects), (4, 3, 1));
    assert_eq!((d.objects, d.difficult, d.objects_outside_image), (4, 1, 1));
    assert_eq!(d.objects_per_class["cat"], 2);
    assert_eq!(d.objects_per_class["dog"], 2);
    assert_eq!(d.sizes_from_image, 1);
    assert_eq!((d.skipped_invalid, d.skipped_difficult), (1, 1));
    assert_eq!((d.files_rejected, d.warnings), (1, 1));
    // Most frequent first, ties by name.
    let unknown: Vec<(&str, u64)> = d
        .skipped_unknown_class
        .iter()
        .map(|u| (u.name.as_str(), u.count))
        .collect();
    assert_eq!(unknown, [("horse", 2), ("hrose", 1)]);
    assert_eq!(d.skipped_unknown_class_total, 3);
    // Findings by category, then kind; files counted once per file.
    let groups: Vec<(FindingKind, u64, u64)> = d
        .findings
        .iter()
        .map(|g| (g.kind, g.count, g.files))
        .collect();
    assert_eq!(
        groups,
        [
            (FindingKind::UnreadableFile, 1, 1),
            (FindingKind::EmptyBox, 1, 1),
            (FindingKind::UnknownClass, 3, 2),
            (FindingKind::OutsideImage, 1, 1),
        ]
    );
    // A warning about a kept object names its class.
    let w = &d.group(FindingKind::OutsideImage).unwrap().items[0];
    assert_eq!(w.class.as_deref(), Some("cat"));
    let e = &d.group(FindingKind::EmptyBox).unwrap().items[0];
    assert_eq!(e.object_index, Some(4));
    assert!(e
        .message
        .ends_with(": the box has zero width or height once divided by the image size; skipped"));
}

#[test]
fn finding_tally_groups_by_kind_and_counts_files() {
    let f = |kind, path: &str| Finding {
        kind,
        path: path.into(),
        line: 0,
        column: 0,
        object_index: None,
        class: None,
        message: "m".into(),
    };
    let mut t = FindingTally::default();
    t.add(1, f(FindingKind::EmptyBox, "x"));
    t.add(1, f(FindingKind::EmptyBox, "x"));
    t.add(2, f(FindingKind::OutsideImage, "y"));
    t.add(3, f(FindingKind::EmptyBox, "z"));
    t.add(3, f(FindingKind::UnreadableFile, "z"));
    let g = t.finish();
    let got: Vec<(FindingKind, u64, u64, Vec<&str>)> = g
        .iter()
        .map(|g| {
            let paths = g.items.iter().map(|i| i.path.as_str()).collect();
            (g.kind, g.count, g.files, paths)
        })
        .collect();
    assert_eq!(
        got,
        [
            (FindingKind::UnreadableFile, 1, 1, vec!["z"]),
            (FindingKind::EmptyBox, 3, 2, vec!["x", "x", "z"]),
            (FindingKind::OutsideImage, 1, 1, vec!["y"]),
        ]
    );
    assert_eq!(
        g[1].headline(),
        format!("3 objects in 2 files {}", g[1].title)
    );
}
