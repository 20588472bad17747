//! Scenes built from the matcher's result of hand-checked cases (reference.md's collision and
//! the Tiny-Detector grid).

use super::*;
use crate::assign::{GtBox, GtMatch, MatchParams, Matcher};
use crate::geometry::{CenterSize, Corners};
use crate::voc::{Object, SizeSource};

/// An annotation of `size` with objects given by VOC 1-based pixel boxes (normalised as the
/// reader does: minus 1, divided by the size).
fn annotation(size: (u32, u32), objects: &[(&str, u32, [f64; 4])]) -> Annotation {
    let (w, h) = (size.0 as f32, size.1 as f32);
    Annotation {
        filename: None,
        width: size.0,
        height: size.1,
        size_source: SizeSource::Xml,
        objects: objects
            .iter()
            .enumerate()
            .map(|(k, &(name, label, p))| Object {
                index_in_file: k,
                line: 1,
                column: 1,
                name: name.into(),
                label,
                difficult: false,
                truncated: false,
                pixel: p,
                corners: Corners::new(
                    (p[0] - 1.0) as f32 / w,
                    (p[1] - 1.0) as f32 / h,
                    (p[2] - 1.0) as f32 / w,
                    (p[3] - 1.0) as f32 / h,
                ),
                outside: false,
            })
            .collect(),
        skipped: Vec::new(),
        warnings: Vec::new(),
    }
}

fn matched(a: &Annotation, priors: &PriorSet) -> ImageMatch {
    let gts: Vec<GtBox> = a
        .objects
        .iter()
        .map(|o| GtBox {
            corners: o.corners,
            label: o.label,
        })
        .collect();
    Matcher::new().match_image(priors, &gts, &MatchParams::default())
}

/// reference.md's worked example at half scale: A (person) and B (dog) share best prior 281, B
/// keeps it and has prior 279 too (IoU 0.5469), A has nothing.
fn collision() -> Annotation {
    annotation(
        (500, 500),
        &[
            ("person", 15, [176.0, 241.0, 281.0, 351.0]),
            ("dog", 12, [216.0, 251.0, 286.0, 391.0]),
        ],
    )
}

#[test]
fn a_lost_collision_draws_the_taker_and_the_shared_prior_bold() {
    let priors = PriorSet::tiny_detector();
    let a = collision();
    let m = matched(&a, &priors);
    let s = scene(&a, &m, &priors, SceneOptions::default());
    assert_eq!(s.focus, Some(0), "the lost object is the worst");
    let roles: Vec<(Role, bool, Option<u32>)> =
        s.marks.iter().map(|k| (k.role, k.focus, k.prior)).collect();
    // Back to front: B's positive, A, B, then the shared prior; all part of the collision.
    assert_eq!(
        roles,
        [
            (Role::Positive, true, Some(279)),
            (Role::Object, true, None),
            (Role::Taker, true, None),
            (Role::SharedPrior, true, Some(281)),
        ]
    );
    // Prior 281 (0.5, 0.642857134, 0.141421363, 0.282842726) in pixels of 500: x 250 -+ 35.36,
    // y 321.43 -+ 70.71.
    let shared = &s.marks[3].rect;
    let expect = [214.64466, 250.71793, 285.35535, 392.13925];
    for (got, want) in shared.iter().zip(expect) {
        assert!((got - want).abs() < 1e-3, "{shared:?}");
    }
    assert_eq!(s.marks[1].rect, [175.0, 240.0, 280.0, 350.0]);
    assert_eq!(s.marks[1].tag.as_deref(), Some("0 person"));
    assert_eq!(
        s.headline,
        "object 0 \"person\": unmatched, lost a collision: its best prior 281 was taken by \
         object 1 \"dog\" (best IoU 0.43 with prior 281)"
    );
    assert_eq!(
        s.collision.as_deref(),
        Some("its best prior 281 was taken by object 1 \"dog\"")
    );
    assert_eq!(
        s.legend_roles(),
        [Role::Object, Role::Positive, Role::Taker, Role::SharedPrior]
    );
}

#[test]
fn focusing_the_winner_draws_its_best_prior_and_the_loser_faint() {
    let priors = PriorSet::tiny_detector();
    let a = collision();
    let m = matched(&a, &priors);
    let options = SceneOptions {
        focus: Some(1),
        all_priors: false,
    };
    let s = scene(&a, &m, &priors, options);
    let roles: Vec<(Role, bool, Option<u32>)> =
        s.marks.iter().map(|k| (k.role, k.focus, k.prior)).collect();
    // 281 is A's best prior too (drawn once, in B's focus); no taker, no shared prior.
    assert_eq!(
        roles,
        [
            (Role::Positive, true, Some(279)),
            (Role::BestPrior, true, Some(281)),
            (Role::Object, false, None),
            (Role::Object, true, None),
        ]
    );
    assert!(s
        .headline
        .starts_with("object 1 \"dog\": matched, 2 positives"));
    assert_eq!(s.collision, None);
}

#[test]
fn all_priors_adds_the_nine_priors_of_the_cell() {
    let priors = PriorSet::tiny_detector();
    // Both centres are in row 4, column 3: priors 9 * (7 * 4 + 3) = 279 to 287.
    let centre = CenterSize {
        cx: 0.5,
        cy: 0.64,
        w: 0.1,
        h: 0.1,
    };
    assert_eq!(
        cell_priors(&priors, &centre),
        (279..=287).collect::<Vec<u32>>()
    );
    let a = collision();
    let m = matched(&a, &priors);
    let options = SceneOptions {
        focus: None,
        all_priors: true,
    };
    let s = scene(&a, &m, &priors, options);
    let cells: Vec<u32> = s
        .marks
        .iter()
        .filter(|k| k.role == Role::CellPrior)
        .filter_map(|k| k.prior)
        .collect();
    assert_eq!(cells, [280, 282, 283, 284, 285, 286, 287]);
}

#[test]
fn the_worst_object_is_a_lost_one_then_unmatched_then_forced_only_then_the_lowest_iou() {
    let g = |best_iou, positives, forced_only, lost_collision| GtMatch {
        best_prior: 0,
        best_iou,
        forced_prior: None,
        forced_iou: 0.0,
        positives,
        forced_only,
        lost_collision,
    };
    let m = |gts: Vec<GtMatch>| ImageMatch {
        positives: Vec::new(),
        gts,
        num_priors: 1,
    };
    let matched = g(0.2, 3, false, false);
    let forced = g(0.4, 1, true, false);
    let unmatched = g(0.6, 0, false, false);
    let lost = g(0.9, 2, false, true);
    assert_eq!(
        worst_object(&m(vec![matched, forced, unmatched, lost])),
        Some(3)
    );
    assert_eq!(worst_object(&m(vec![matched, forced, unmatched])), Some(2));
    assert_eq!(worst_object(&m(vec![matched, forced])), Some(1));
    assert_eq!(
        worst_object(&m(vec![g(0.5, 2, false, false), matched])),
        Some(1)
    );
    assert_eq!(
        worst_object(&m(vec![matched, matched])),
        Some(0),
        "ties: first"
    );
    assert_eq!(worst_object(&m(vec![])), None);
}

#[test]
fn a_crowd_draws_only_the_priors_of_the_object_in_focus() {
    let priors = PriorSet::tiny_detector();
    let objects: Vec<(&str, u32, [f64; 4])> = (0..=CROWD as u32)
        .map(|k| {
            let x = 1.0 + 30.0 * k as f64;
            ("person", 15, [x, 100.0, x + 60.0, 300.0])
        })
        .collect();
    let a = annotation((500, 400), &objects);
    let m = matched(&a, &priors);
    let s = scene(&a, &m, &priors, SceneOptions::default());
    let j = s.focus.unwrap();
    let taker = m.taken_by(j);
    for mark in s.marks.iter().filter(|k| k.prior.is_some()) {
        let p = mark.prior.unwrap();
        let owners: Vec<usize> = (0..m.gts.len())
            .filter(|&g| {
                m.gts[g].best_prior == p
                    || m.positives
                        .iter()
                        .any(|q| q.prior == p && q.gt as usize == g)
            })
            .collect();
        assert!(
            owners.iter().any(|&g| g == j || Some(g) == taker),
            "prior {p} belongs to {owners:?}, not the focus {j}"
        );
    }
    assert_eq!(
        s.marks.iter().filter(|k| k.prior.is_none()).count(),
        CROWD + 1,
        "every box is drawn"
    );
}

#[test]
fn wrap_breaks_at_spaces_and_cuts_what_does_not_fit() {
    assert_eq!(raster::wrap("one two three", 7), ["one two", "three"]);
    assert_eq!(raster::wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    assert_eq!(raster::wrap("", 4), Vec::<String>::new());
}
