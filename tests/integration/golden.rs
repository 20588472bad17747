//! The engine against the reference's own outputs in `../shared/golden` (issue #2).

use serde_json::Value;
use ssd_assign::assign::MatchParams;
use ssd_assign::npy;
use ssd_assign::priors::PriorSet;

use crate::common::{engine, lines, run, shared};

/// Checks one golden folder against one prior set; returns the number of images checked.
fn check_golden(set: &str, expected: &str, priors: PriorSet) -> usize {
    let Some(shared) = shared() else { return 0 };
    let dir = shared.join("golden").join(set);
    let exp = dir.join(expected);
    let np = priors.len();
    let coder = ssd_assign::encode::BoxCoder::default();
    let eng = engine(priors, MatchParams::default());
    let outcomes = run(&eng, &dir, 2);
    let ids = lines(&exp.join("ids.txt"));
    let objects: Vec<Value> = lines(&exp.join("objects.jsonl"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let labels = npy::read_path(&exp.join("labels.npy")).unwrap();
    let locs = npy::read_path(&exp.join("locs.npy")).unwrap();
    assert_eq!(labels.shape, vec![ids.len(), np]);
    assert_eq!(locs.shape, vec![ids.len(), np, 4]);
    let labels = labels.to_i64().unwrap();
    let locs = locs.to_f32().unwrap();
    assert_eq!(outcomes.len(), ids.len(), "{set}: image count");

    let mut dense = vec![0i64; np];
    for (n, outcome) in outcomes.iter().enumerate() {
        let r = outcome.as_ref().unwrap_or_else(|e| panic!("{set}: {e}"));
        assert_eq!(r.id, ids[n], "{set}: row {n} id");
        let obj = &objects[n];
        assert_eq!(obj["id"].as_str().unwrap(), r.id);
        let ann = &r.annotation;
        assert_eq!(obj["width"].as_u64().unwrap(), ann.width as u64, "{}", r.id);
        assert_eq!(
            obj["height"].as_u64().unwrap(),
            ann.height as u64,
            "{}",
            r.id
        );
        let boxes = obj["boxes"].as_array().unwrap();
        assert_eq!(boxes.len(), ann.objects.len(), "{}: GT count", r.id);
        for (j, o) in ann.objects.iter().enumerate() {
            let b: Vec<f32> = boxes[j]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            assert_eq!(b, o.corners.to_array().to_vec(), "{} GT {j} box", r.id);
            assert_eq!(obj["labels"][j].as_u64().unwrap(), o.label as u64);
            assert_eq!(obj["difficult"][j].as_u64().unwrap(), o.difficult as u64);
        }
        let invalid = ann
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, ssd_assign::voc::SkipReason::Invalid(_)))
            .count();
        assert_eq!(obj["dropped_invalid"].as_u64().unwrap(), invalid as u64);
        for (j, g) in r.matching.gts.iter().enumerate() {
            assert_eq!(
                obj["best_prior"][j].as_u64().unwrap(),
                g.best_prior as u64,
                "{} GT {j}",
                r.id
            );
            assert_eq!(
                obj["best_iou"][j].as_f64().unwrap() as f32,
                g.best_iou,
                "{} GT {j} best IoU",
                r.id
            );
            assert_eq!(
                obj["positives"][j].as_u64().unwrap(),
                g.positives as u64,
                "{} GT {j}",
                r.id
            );
            assert_eq!(
                obj["collided"][j].as_u64().unwrap(),
                g.lost_collision as u64,
                "{} GT {j} collided",
                r.id
            );
        }
        r.matching.fill_labels(&mut dense);
        assert_eq!(
            &dense[..],
            &labels[n * np..(n + 1) * np],
            "{}: labels",
            r.id
        );
        for pos in &r.matching.positives {
            let p = pos.prior as usize;
            let gt = ann.objects[pos.gt as usize].corners.to_center();
            let t = coder.encode(&gt, &eng.priors.cxcy()[p]);
            let e = &locs[(n * np + p) * 4..(n * np + p) * 4 + 4];
            for k in 0..4 {
                assert!(
                    (t[k] - e[k]).abs() <= 1e-5,
                    "{}: prior {p} target {k}: {} vs golden {}",
                    r.id,
                    t[k],
                    e[k]
                );
            }
        }
    }
    ids.len()
}

#[test]
fn priors_equal_golden_bit_for_bit() {
    let Some(shared) = shared() else { return };
    let priors = PriorSet::tiny_detector();
    for file in [
        "golden/voc2012-sample/expected/priors_cxcy.npy",
        "golden/edge-cases/expected/priors_cxcy.npy",
        "golden/priors/tiny-detector.npy",
    ] {
        let a = npy::read_path(&shared.join(file)).unwrap();
        assert_eq!(a.shape, vec![441, 4]);
        let v = a.to_f32().unwrap();
        for (p, c) in priors.cxcy().iter().enumerate() {
            let got = c.to_array().map(f32::to_bits);
            let want = [v[4 * p], v[4 * p + 1], v[4 * p + 2], v[4 * p + 3]].map(f32::to_bits);
            assert_eq!(got, want, "{file}: prior {p}");
        }
    }
}

#[test]
fn golden_voc2012_sample() {
    let n = check_golden("voc2012-sample", "expected", PriorSet::tiny_detector());
    assert!(n == 0 || n == 100);
}

#[test]
fn golden_voc2012_cvat() {
    let n = check_golden("voc2012-cvat", "expected", PriorSet::tiny_detector());
    assert!(n == 0 || n == 100);
}

#[test]
fn golden_edge_cases() {
    let n = check_golden("edge-cases", "expected", PriorSet::tiny_detector());
    assert!(n == 0 || n == 17);
}

#[test]
fn golden_edge_cases_ssd300() {
    let n = check_golden("edge-cases", "expected-ssd300", PriorSet::ssd300());
    assert!(n == 0 || n == 17);
}

#[test]
fn golden_voc2012_sample_ssd300() {
    let n = check_golden("voc2012-sample", "expected-ssd300", PriorSet::ssd300());
    assert!(n == 0 || n == 100);
}
