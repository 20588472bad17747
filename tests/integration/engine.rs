//! Engine semantics (issue #2): the documented collision outcome, the optimal policy, and
//! property tests of IoU, encoding, forced matches and thread-count independence.

use proptest::prelude::*;
use ssd_assign::assign::{CollisionPolicy, GtBox, MatchParams, Matcher};
use ssd_assign::encode::{BoxCoder, Variances};
use ssd_assign::geometry::{iou, iou_run_columns, iou_with_areas, CornerColumns, Corners};
use ssd_assign::priors::PriorSet;

use crate::common::{engine, run, shared};

fn params(collision: CollisionPolicy) -> MatchParams {
    MatchParams {
        collision,
        ..MatchParams::default()
    }
}

/// reference.md section 4's worked example: A = person, B = dog, both best at prior 281.
fn collision_file(
    name: &str,
    collision: CollisionPolicy,
) -> Option<ssd_assign::pipeline::ImageResult> {
    let shared = shared()?;
    let path = shared
        .join("golden/edge-cases/Annotations")
        .join(format!("{name}.xml"));
    let out = run(
        &engine(PriorSet::tiny_detector(), params(collision)),
        &path,
        1,
    );
    Some(out.into_iter().next().unwrap().unwrap())
}

/// (prior, GT) of each positive, in prior order.
fn prior_gt_pairs(r: &ssd_assign::pipeline::ImageResult) -> Vec<(u32, u32)> {
    r.matching
        .positives
        .iter()
        .map(|p| (p.prior, p.gt))
        .collect()
}

#[test]
fn collision_ab_reference_later_gt_wins() {
    let Some(r) = collision_file("collision_ab", CollisionPolicy::Reference) else {
        return;
    };
    let g = &r.matching.gts;
    assert_eq!((g[0].best_prior, g[1].best_prior), (281, 281));
    assert!((g[0].best_iou - 0.4308).abs() < 1e-4 && (g[1].best_iou - 0.9701).abs() < 1e-4);
    // Order [A, B]: 279 -> B, 281 -> B, A has no positive.
    assert!(g[0].lost_collision && g[0].positives == 0);
    assert_eq!(g[1].positives, 2);
    let pos = prior_gt_pairs(&r);
    assert_eq!(pos, vec![(279, 1), (281, 1)]);
}

#[test]
fn collision_ba_reference_one_positive_each() {
    let Some(r) = collision_file("collision_ba", CollisionPolicy::Reference) else {
        return;
    };
    // Order [B, A]: 281 -> A (forced), 279 -> B.
    let pos = prior_gt_pairs(&r);
    assert_eq!(pos, vec![(279, 0), (281, 1)]);
    assert!(r.matching.gts[0].lost_collision);
    assert_eq!(r.matching.gts[0].positives, 1);
    assert!(!r.matching.gts[1].lost_collision && r.matching.gts[1].forced_only);
}

#[test]
fn collision_optimal_both_keep_a_positive() {
    for name in ["collision_ab", "collision_ba"] {
        let Some(r) = collision_file(name, CollisionPolicy::Optimal) else {
            return;
        };
        for g in &r.matching.gts {
            assert!(g.positives >= 1, "{name}: {g:?}");
            assert!(
                !g.lost_collision && g.forced_prior.is_some(),
                "{name}: {g:?}"
            );
        }
        let forced: Vec<u32> = r
            .matching
            .gts
            .iter()
            .map(|g| g.forced_prior.unwrap())
            .collect();
        assert_ne!(forced[0], forced[1]);
    }
}

#[test]
fn optimal_policy_equals_reference_without_collisions() {
    let Some(shared) = shared() else { return };
    let dir = shared.join("golden/voc2012-sample");
    let a = run(
        &engine(
            PriorSet::tiny_detector(),
            params(CollisionPolicy::Reference),
        ),
        &dir,
        2,
    );
    let b = run(
        &engine(PriorSet::tiny_detector(), params(CollisionPolicy::Optimal)),
        &dir,
        2,
    );
    for (x, y) in a.iter().zip(&b) {
        let (x, y) = (x.as_ref().unwrap(), y.as_ref().unwrap());
        if !x.matching.gts.iter().any(|g| g.lost_collision) {
            assert_eq!(x.matching, y.matching, "{}", x.id);
        } else {
            assert!(y.matching.gts.iter().all(|g| g.positives >= 1), "{}", y.id);
        }
    }
}

#[test]
fn hungarian_finds_the_maximum() {
    // Rows prefer column 0; the optimum gives it to row 1 (gain 0.9 vs 0.8) and row 0 column 1.
    let cost = [-0.8, -0.7, 0.0, -0.9, -0.1, 0.0];
    assert_eq!(ssd_assign::assign::hungarian(2, 3, &cost), vec![1, 0]);
}

#[test]
fn near_tie_goes_to_217_by_f32_rounding() {
    // reference.md: a 0.13 x 0.13 box centred at (0.5, 0.5): 0.42249992 with 216, 0.42249995 with 217.
    let priors = PriorSet::tiny_detector();
    let g = Corners::new(0.435, 0.435, 0.565, 0.565);
    assert_eq!(iou(&g, &priors.corners()[216]), 0.42249992);
    assert_eq!(iou(&g, &priors.corners()[217]), 0.42249995);
    let m = Matcher::new().match_image(
        &priors,
        &[GtBox {
            corners: g,
            label: 8,
        }],
        &MatchParams::default(),
    );
    assert_eq!(m.gts[0].best_prior, 217);
}

#[test]
fn spot_priors_from_reference_md() {
    let p = PriorSet::tiny_detector();
    assert_eq!(p.len(), 441);
    // The decimal strings of reference.md section 1, parsed to f32.
    let f = |v: [&str; 4]| v.map(|x| x.parse::<f32>().unwrap());
    let c = p.cxcy();
    assert_eq!(
        c[0].to_array(),
        f(["0.0714285746", "0.0714285746", "0.200000003", "0.200000003"])
    );
    assert_eq!(
        c[440].to_array(),
        f(["0.928571403", "0.928571403", "0.424264073", "0.848528147"])
    );
    assert_eq!(c[216].to_array(), f(["0.5", "0.5", "0.2", "0.2"]));
    assert_eq!(
        c[281].to_array(),
        f(["0.5", "0.642857134", "0.141421363", "0.282842726"])
    );
    // 272 of the 441 priors extend outside the image, and are not clipped.
    let outside = p
        .corners()
        .iter()
        .filter(|b| b.x1 < 0.0 || b.y1 < 0.0 || b.x2 > 1.0 || b.y2 > 1.0)
        .count();
    assert_eq!(outside, 272);
}

#[test]
fn encode_with_textbook_variances_is_plain_offsets() {
    let d = ssd_assign::geometry::CenterSize::new(0.5, 0.5, 0.2, 0.4);
    let g = ssd_assign::geometry::CenterSize::new(0.6, 0.4, 0.4, 0.2);
    let t = BoxCoder::new(Variances {
        center: 1.0,
        size: 1.0,
    })
    .encode(&g, &d);
    assert!((t[0] - 0.5).abs() < 1e-6 && (t[1] + 0.25).abs() < 1e-6);
    assert!((t[2] - 2f32.ln()).abs() < 1e-6 && (t[3] + 2f32.ln()).abs() < 1e-6);
    let t = BoxCoder::default().encode(&g, &d);
    assert!((t[0] - 5.0).abs() < 1e-5 && (t[2] - 5.0 * 2f32.ln()).abs() < 1e-5);
}

fn arb_box() -> impl Strategy<Value = Corners> {
    (0.0f32..0.95, 0.0f32..0.95, 0.005f32..1.0, 0.005f32..1.0)
        .prop_map(|(x, y, w, h)| Corners::new(x, y, (x + w).min(1.2), (y + h).min(1.2)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn iou_symmetric_and_in_unit_interval(a in arb_box(), b in arb_box()) {
        let x = iou(&a, &b);
        prop_assert_eq!(x, iou(&b, &a));
        prop_assert!((0.0..=1.0).contains(&x));
        prop_assert_eq!(iou(&a, &a), 1.0);
    }

    #[test]
    fn vectorised_iou_run_equals_the_scalar_iou(
        a in arb_box(),
        boxes in prop::collection::vec(arb_box(), 0..40),
        from in 0usize..40,
    ) {
        // Same value for every box (== treats the two zeros alike), and the maximum, whatever
        // the run's length and start (lanes, tail).
        let cols = CornerColumns::from_corners(&boxes);
        let areas: Vec<f32> = boxes.iter().map(Corners::area).collect();
        let from = from.min(boxes.len());
        let mut out = vec![f32::NAN; boxes.len()];
        let max = iou_run_columns(&a, a.area(), &cols, &areas, from..boxes.len(), &mut out);
        let mut expected_max = 0.0f32;
        for (k, b) in boxes[from..].iter().enumerate() {
            let x = iou_with_areas(&a, a.area(), b, b.area());
            prop_assert_eq!(out[k], x);
            expected_max = expected_max.max(x);
        }
        prop_assert_eq!(max, expected_max);
    }

    #[test]
    fn decode_inverts_encode(g in arb_box(), p in 0usize..441) {
        let priors = PriorSet::tiny_detector();
        let coder = BoxCoder::default();
        let d = priors.cxcy()[p];
        let gc = g.to_center();
        let back = coder.decode(&coder.encode(&gc, &d), &d);
        for (a, b) in back.to_array().iter().zip(gc.to_array()) {
            prop_assert!((a - b).abs() <= 1e-5, "{:?} vs {:?}", back, gc);
        }
    }

    #[test]
    fn every_gt_keeps_a_forced_prior_unless_it_lost_a_collision(
        boxes in proptest::collection::vec(arb_box(), 1..12),
        optimal in any::<bool>(),
    ) {
        let priors = PriorSet::tiny_detector();
        let gts: Vec<GtBox> = boxes.iter().enumerate().map(|(j, b)| GtBox { corners: *b, label: 1 + j as u32 % 20 }).collect();
        let collision = if optimal { CollisionPolicy::Optimal } else { CollisionPolicy::Reference };
        let m = Matcher::new().match_image(&priors, &gts, &params(collision));
        let ious: Vec<Vec<f32>> = gts
            .iter()
            .map(|g| priors.corners().iter().map(|c| iou(&g.corners, c)).collect())
            .collect();
        for (j, g) in m.gts.iter().enumerate() {
            if optimal {
                prop_assert!(!g.lost_collision);
            } else {
                // It lost its forced prior exactly when a later GT has the same best prior.
                let later = m.gts[j + 1..].iter().any(|h| h.best_prior == g.best_prior);
                prop_assert_eq!(g.lost_collision, later, "GT {}", j);
            }
            if !g.lost_collision {
                let fp = g.forced_prior.expect("forced prior");
                prop_assert!(g.positives >= 1);
                prop_assert!(m.positives.iter().any(|p| p.prior == fp && p.gt == j as u32));
            }
            // The best prior really is the argmax (lowest index on ties), checked densely.
            let max = ious[j].iter().cloned().fold(0.0f32, f32::max);
            let first = ious[j].iter().position(|&v| v == max).unwrap();
            prop_assert_eq!(g.best_prior as usize, first);
        }
        // Forced priors: with the reference policy each GT's dense argmax, the last GT writing
        // a prior keeping it; with the optimal one the matcher's choice, which must be distinct.
        let forced_owner = |p: u32| -> Option<usize> {
            if optimal {
                m.gts.iter().rposition(|g| g.forced_prior == Some(p))
            } else {
                m.gts.iter().rposition(|g| g.best_prior == p)
            }
        };
        if optimal {
            let mut fp: Vec<u32> = m.gts.iter().filter_map(|g| g.forced_prior).collect();
            fp.sort_unstable();
            let n = fp.len();
            fp.dedup();
            prop_assert_eq!(fp.len(), n, "optimal forced priors are distinct");
            prop_assert_eq!(n, gts.len());
        }
        // Positives, densely: a prior is positive when it is forced (it belongs to its forced
        // GT) or when its best IoU over all GTs reaches 0.5 (it belongs to the lowest GT index
        // reaching that IoU); the per-GT counts follow.
        let mut want = Vec::new();
        for p in 0..priors.len() {
            let owner = forced_owner(p as u32).or_else(|| {
                let (mut bj, mut bv) = (0, 0.0f32);
                for (j, row) in ious.iter().enumerate() {
                    if row[p] > bv {
                        (bj, bv) = (j, row[p]);
                    }
                }
                (bv >= 0.5).then_some(bj)
            });
            if let Some(j) = owner {
                want.push((p as u32, j as u32, gts[j].label));
            }
        }
        let got: Vec<(u32, u32, u32)> = m.positives.iter().map(|p| (p.prior, p.gt, p.label)).collect();
        prop_assert_eq!(&got, &want);
        for (j, g) in m.gts.iter().enumerate() {
            prop_assert_eq!(g.positives as usize, want.iter().filter(|w| w.1 == j as u32).count());
        }
    }
}

#[test]
fn results_independent_of_thread_count() {
    let Some(shared) = shared() else { return };
    for set in ["voc2012-sample", "edge-cases", "voc2012-cvat"] {
        let dir = shared.join("golden").join(set);
        let eng = engine(PriorSet::tiny_detector(), MatchParams::default());
        let one = run(&eng, &dir, 1);
        let two = run(&eng, &dir, 2);
        let four = run(&eng, &dir, 4);
        let key = |v: &Vec<ssd_assign::pipeline::Outcome>| {
            v.iter()
                .map(|o| {
                    o.as_ref()
                        .map(|r| (r.id.clone(), r.matching.clone()))
                        .map_err(|e| e.to_string())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&one), key(&two));
        assert_eq!(key(&one), key(&four));
    }
}

/// A folder of `n` small annotations (every 97th one malformed), written here.
fn many_files(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ann = dir.path().join("Annotations");
    std::fs::create_dir(&ann).unwrap();
    for i in 0..n {
        let body = if i % 97 == 5 {
            "<annotation><object>".to_string()
        } else {
            let x = 10 + (i * 37) % 300;
            format!(
                "<annotation><size><width>500</width><height>400</height></size><object>\
                 <name>dog</name><bndbox><xmin>{x}</xmin><ymin>20</ymin><xmax>{}</xmax>\
                 <ymax>{}</ymax></bndbox></object></annotation>",
                x + 40 + i % 150,
                60 + i % 300
            )
        };
        std::fs::write(ann.join(format!("{i:05}.xml")), body).unwrap();
    }
    dir
}

#[test]
fn the_run_keeps_input_order_over_many_batches_whatever_the_thread_count() {
    // Far more images than the window of batches in flight (BATCH * WINDOW), so that helpers
    // wait for the consumer and batches are finished out of order.
    use ssd_assign::pipeline::{BATCH, WINDOW};
    let n = 3 * BATCH * WINDOW + 7;
    let dir = many_files(n);
    let eng = engine(PriorSet::tiny_detector(), MatchParams::default());
    let reference = run(&eng, dir.path(), 1);
    let text = |v: &Vec<ssd_assign::pipeline::Outcome>| format!("{v:?}");
    assert_eq!(reference.len(), n);
    for (i, o) in reference.iter().enumerate() {
        let id = match o {
            Ok(r) => &r.id,
            Err(e) => &e.id,
        };
        assert_eq!(id, &format!("{i:05}"));
        assert_eq!(o.is_err(), i % 97 == 5, "image {i}");
    }
    for jobs in [2, 3, 8, 64] {
        let got = run(&eng, dir.path(), jobs);
        assert!(text(&got) == text(&reference), "--jobs {jobs}");
    }
}

#[test]
fn a_sink_error_stops_the_run_at_once_whatever_the_thread_count() {
    use ssd_assign::pipeline::{BATCH, WINDOW};
    let n = 2 * BATCH * WINDOW;
    let dir = many_files(n);
    let listing =
        ssd_assign::voc::dataset::list_datasets(&[dir.path().to_path_buf()], None, None).unwrap();
    let eng = engine(PriorSet::tiny_detector(), MatchParams::default());
    for jobs in [1, 2, 4] {
        let mut seen = 0;
        let mut last_progress = 0;
        let r = eng.run(
            &listing.entries,
            jobs,
            |done| last_progress = done,
            |_| {
                seen += 1;
                if seen == 700 {
                    Err("stop here")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err("stop here"), "--jobs {jobs}");
        assert_eq!(
            seen, 700,
            "--jobs {jobs}: the sink is not called after its error"
        );
        assert!(last_progress < 700, "--jobs {jobs}");
    }
}

#[test]
fn a_panic_in_the_sink_propagates_without_hanging_the_helpers() {
    use ssd_assign::pipeline::{BATCH, WINDOW};
    let dir = many_files(2 * BATCH * WINDOW);
    let listing =
        ssd_assign::voc::dataset::list_datasets(&[dir.path().to_path_buf()], None, None).unwrap();
    let eng = engine(PriorSet::tiny_detector(), MatchParams::default());
    for jobs in [1, 2, 4] {
        let mut seen = 0;
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            eng.run(
                &listing.entries,
                jobs,
                |_| {},
                |_| {
                    seen += 1;
                    assert!(seen < 300, "sink gives up");
                    Ok::<(), ()>(())
                },
            )
        }));
        assert!(
            caught.is_err(),
            "--jobs {jobs}: the panic reaches the caller"
        );
        assert_eq!(seen, 300);
    }
}
