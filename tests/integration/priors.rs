//! Prior configurations and presets (issue #5): presets against the sources' own arrays in
//! `golden/priors/`, the shipped `priors/*.toml` files against the presets, TOML/JSON round
//! trips, one clear error per malformed file, and the `priors` command.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use ssd_assign::assign::{GtBox, MatchParams, Matcher};
use ssd_assign::geometry::{iou, Corners};
use ssd_assign::npy;
use ssd_assign::priors::{self, ConfigError, PriorBlock, PriorConfig, PriorSet, PRESETS};

use crate::common::shared;

fn golden_priors(shared: &Path, name: &str) -> Vec<[f32; 4]> {
    let a = npy::read_path(&shared.join("golden/priors").join(format!("{name}.npy"))).unwrap();
    assert_eq!(a.shape.len(), 2);
    assert_eq!(a.shape[1], 4);
    a.to_f32()
        .unwrap()
        .chunks(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect()
}

fn arrays(set: &PriorSet) -> Vec<[f32; 4]> {
    set.cxcy().iter().map(|c| c.to_array()).collect()
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every block of a preset is a grid block (matching visits only nearby cells).
fn assert_all_grid(set: &PriorSet) {
    assert!(!set.blocks().is_empty());
    for (k, b) in set.blocks().iter().enumerate() {
        assert!(
            matches!(b, PriorBlock::Grid { .. }),
            "{}: block {k} fell back to dense",
            set.name()
        );
    }
}

#[test]
fn tiny_detector_preset_equals_golden_bit_for_bit() {
    let Some(shared) = shared() else { return };
    let want = golden_priors(&shared, "tiny-detector");
    let set = PriorSet::tiny_detector();
    assert_eq!(set.len(), 441);
    assert_eq!(want.len(), 441);
    for (p, (g, w)) in arrays(&set).iter().zip(&want).enumerate() {
        assert_eq!(g.map(f32::to_bits), w.map(f32::to_bits), "prior {p}");
    }
    assert_all_grid(&set);
}

#[test]
fn ssd300_preset_equals_golden_bit_for_bit() {
    let Some(shared) = shared() else { return };
    let want = golden_priors(&shared, "ssd300");
    let set = PriorSet::ssd300();
    assert_eq!(set.name(), "ssd300");
    assert_eq!(set.len(), 8732);
    assert_eq!(want.len(), 8732);
    for (p, (g, w)) in arrays(&set).iter().zip(&want).enumerate() {
        assert_eq!(
            g.map(f32::to_bits),
            w.map(f32::to_bits),
            "prior {p}: {g:?} vs golden {w:?}"
        );
    }
    assert_eq!(set.blocks().len(), 6);
    assert_all_grid(&set);
}

#[test]
fn torchvision_preset_equals_golden_within_1e6() {
    let Some(shared) = shared() else { return };
    let want = golden_priors(&shared, "torchvision-ssd300");
    let set = PriorSet::torchvision_ssd300();
    assert_eq!(set.len(), 8732);
    assert_eq!(want.len(), 8732);
    for (p, (g, w)) in arrays(&set).iter().zip(&want).enumerate() {
        for k in 0..4 {
            assert!(
                (g[k] - w[k]).abs() <= 1e-6,
                "prior {p} value {k}: {g:?} vs golden {w:?}"
            );
        }
    }
    assert_eq!(set.blocks().len(), 6);
    assert_all_grid(&set);
}

/// Hand-computed spot values, independent of the golden files (reference.md section 1, and the
/// SSD300 tutorial's arithmetic: the extra prior right after ratio 1, side sqrt(0.1 * 0.2)).
#[test]
fn preset_spot_values() {
    let t = PriorSet::tiny_detector();
    assert_eq!(t.cxcy()[216].to_array(), [0.5, 0.5, 0.2, 0.2]);
    // Prior 440: last cell (6.5 / 7), scale 0.6, ratio 0.5 (reference.md: 0.928571403,
    // 0.424264073, 0.848528147 in f32).
    let c440 = (6.5f64 / 7.0) as f32;
    assert_eq!(
        t.cxcy()[440].to_array(),
        [
            c440,
            c440,
            (0.6 * 0.5f64.sqrt()) as f32,
            (0.6 / 0.5f64.sqrt()) as f32
        ]
    );
    assert_eq!(format!("{:.9}", t.cxcy()[440].w), "0.424264073");
    let s = PriorSet::ssd300();
    let c = s.cxcy();
    // Map 0 (38x38, 4 per cell): cell (0, 0) = 1, extra, 2, 0.5.
    assert_eq!(
        c[0].to_array(),
        [(0.5f64 / 38.0) as f32, (0.5f64 / 38.0) as f32, 0.1, 0.1]
    );
    assert_eq!(c[1].w, (0.1f64 * 0.2).sqrt() as f32);
    assert_eq!(c[2].w, (0.1 * 2f64.sqrt()) as f32);
    assert_eq!(c[3].h, (0.1 * 2f64.sqrt()) as f32);
    // Map 1 starts at 38*38*4 = 5776; its 5th shape is ratio 0.333 (the tutorial's literal).
    assert_eq!(c[5776 + 5].w, (0.2 * 0.333f64.sqrt()) as f32);
    // Last prior: 1x1 map, ratio 0.5 at scale 0.9: h = 0.9 * sqrt 2 > 1 is clamped to 1.
    assert_eq!(
        c[8731].to_array(),
        [0.5, 0.5, (0.9 * 0.5f64.sqrt()) as f32, 1.0]
    );
    // The last map's extra prior is 1.0, not sqrt(0.9 * next).
    assert_eq!(c[8732 - 3].to_array(), [0.5, 0.5, 1.0, 1.0]);
    let v = PriorSet::torchvision_ssd300();
    let c = v.cxcy();
    // torchvision: centres on a 300/8 = 37.5 cells-per-image lattice, so the 38th column
    // sits at 37.5 / 37.5 = 1.0; shapes (s, s), (s', s'), (w, h), (h, w).
    assert_eq!(c[37 * 4].cx, 1.0);
    assert_eq!(c[1].w, (0.07f64 * 0.15).sqrt() as f32);
    assert_eq!(c[2].w, c[3].h);
    assert_eq!(c[2].h, c[3].w);
}

#[test]
fn shipped_toml_files_equal_presets() {
    for name in PRESETS {
        let path = repo_file(&format!("priors/{name}.toml"));
        let cfg = PriorConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let from_file = PriorSet::from_config(&cfg);
        let preset = PriorSet::preset(name).unwrap();
        assert_eq!(from_file.name(), *name);
        assert_eq!(cfg, *preset.config().unwrap(), "{name}: configuration");
        let (a, b) = (arrays(&from_file), arrays(&preset));
        assert_eq!(a.len(), b.len(), "{name}");
        for (p, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(
                x.map(f32::to_bits),
                y.map(f32::to_bits),
                "{name}: prior {p}"
            );
        }
    }
}

#[test]
fn toml_and_json_round_trip() {
    let custom = r#"
name = "custom"
clip = false
image_size = [640, 480]
scale_after_last = 1.1

[[feature_maps]]
grid = [4, 6]
scales = [0.1, 0.25]
aspect_ratios = [1, 3, 0.3333333333333333]
extra_scale = "next"
flip = true
order = "ratio-scale"
step = 100

[[feature_maps]]
grid = 2
scales = [0.6]
aspect_ratios = [0.5, 1.0]
extra_scale = "next"
"#;
    let cfg = PriorConfig::from_toml_str(custom, "x").unwrap();
    let mut configs: Vec<PriorConfig> = PRESETS
        .iter()
        .map(|n| priors::presets::preset_config(n).unwrap())
        .collect();
    configs.push(cfg);
    for cfg in configs {
        let toml_text = cfg.to_toml();
        let back = PriorConfig::from_toml_str(&toml_text, "other").unwrap();
        assert_eq!(back, cfg, "TOML:\n{toml_text}");
        let json = serde_json::to_string(&cfg).unwrap();
        let back = PriorConfig::from_json_str(&json, "other").unwrap();
        assert_eq!(back, cfg, "JSON: {json}");
        let (a, b) = (PriorSet::from_config(&cfg), PriorSet::from_config(&back));
        assert_eq!(arrays(&a), arrays(&b));
        assert_all_grid(&a);
    }
}

/// The custom configuration's counts and shapes, by hand: ratio-scale order, flip and
/// "next" with two scales, steps on a non-square image, no clipping.
#[test]
fn custom_configuration_generates_documented_shapes() {
    let cfg = PriorConfig::from_toml_str(
        r#"
clip = false
image_size = [640, 480]
[[feature_maps]]
grid = [2, 3]
scales = [0.1, 0.4]
aspect_ratios = [1, 4]
extra_scale = "next"
flip = true
order = "ratio-scale"
step = 160
[[feature_maps]]
grid = 1
scales = [2.0]
aspect_ratios = [1]
"#,
        "mine",
    )
    .unwrap();
    assert_eq!(cfg.name, "mine");
    let set = PriorSet::from_config(&cfg);
    // Map 0: per cell, ratio 1 at 0.1 + extra, ratio 1 at 0.4 + extra, ratio 4 at 0.1 + flip,
    // ratio 4 at 0.4 + flip = 8 shapes; 6 cells. Map 1: one prior of side 2 (unclipped).
    assert_eq!(set.len(), 2 * 3 * 8 + 1);
    let c = set.cxcy();
    let f = |v: f64| v as f32;
    let want: [(f32, f32); 8] = [
        (0.1, 0.1),
        (f(0.2f64.sqrt()), f(0.2f64.sqrt())), // sqrt(0.1 * 2.0), the next map's scale
        (0.4, 0.4),
        (f(0.8f64.sqrt()), f(0.8f64.sqrt())),
        (0.2, 0.05),
        (0.05, 0.2),
        (0.8, 0.2),
        (0.2, 0.8),
    ];
    for (t, &(w, h)) in want.iter().enumerate() {
        assert_eq!((c[t].w, c[t].h), (w, h), "shape {t}");
    }
    // Steps: 640 / 160 = 4 cells per width, 480 / 160 = 3 per height.
    assert_eq!((c[0].cx, c[0].cy), (0.125, f(0.5 / 3.0)));
    assert_eq!((c[8 * 4].cx, c[8 * 4].cy), (0.375, 0.5)); // row 1, column 1
    assert_eq!(c[48].to_array(), [0.5, 0.5, 2.0, 2.0]);
}

fn config_error(text: &str) -> ConfigError {
    PriorConfig::from_toml_str(text, "t").expect_err("must be rejected")
}

const GOOD_MAP: &str = "grid = 7\nscales = [0.2]\naspect_ratios = [1.0]\n";

#[test]
fn malformed_files_give_one_clear_error_each() {
    // (file text, words the message must contain)
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!("[[feature_maps]]\n{GOOD_MAP}scael = 0.3\n"),
            vec!["unknown field `scael`", "line 5", "aspect_ratios"],
        ),
        (
            format!("colour = 1\n[[feature_maps]]\n{GOOD_MAP}"),
            vec!["unknown field `colour`", "feature_maps"],
        ),
        (
            "[[feature_maps]]\ngrid = 7\nscales = [0.2, -0.1]\naspect_ratios = [1.0]\n".into(),
            vec!["feature_maps[0].scales[1]", "-0.1", "positive"],
        ),
        (
            format!(
                "[[feature_maps]]\n{GOOD_MAP}[[feature_maps]]\ngrid = 0\nscales = [0.2]\n\
                 aspect_ratios = [1.0]\n"
            ),
            vec![
                "feature_maps[1].grid",
                "0 is not allowed",
                "positive integer",
            ],
        ),
        (
            "[[feature_maps]]\ngrid = [3, -2]\nscales = [0.2]\naspect_ratios = [1.0]\n".into(),
            vec!["feature_maps[0].grid", "-2"],
        ),
        (
            "[[feature_maps]]\ngrid = 7\nscales = [0.2]\naspect_ratios = []\n".into(),
            vec![
                "feature_maps[0].aspect_ratios",
                "empty",
                "aspect_ratios = [",
            ],
        ),
        (
            "[[feature_maps]]\ngrid = 7\nscales = []\naspect_ratios = [1.0]\n".into(),
            vec!["feature_maps[0].scales", "empty"],
        ),
        (
            "[[feature_maps]]\ngrid = 7\nscales = [0.2]\naspect_ratios = [0.0]\n".into(),
            vec!["feature_maps[0].aspect_ratios[0]", "positive"],
        ),
        (
            "name = \"x\"\n".into(),
            vec!["missing field `feature_maps`"],
        ),
        (
            "feature_maps = []\n".into(),
            vec!["feature_maps", "at least one [[feature_maps]]"],
        ),
        (
            format!("[[feature_maps]]\n{GOOD_MAP}extra_scale = \"next\"\n"),
            vec!["feature_maps[0].extra_scale", "scale_after_last"],
        ),
        (
            format!("[[feature_maps]]\n{GOOD_MAP}extra_scale = \"big\"\n"),
            vec!["feature_maps[0].extra_scale", "\"big\""],
        ),
        (
            format!("[[feature_maps]]\n{GOOD_MAP}step = 8\n"),
            vec!["feature_maps[0].step", "image_size"],
        ),
        (
            format!("[[feature_maps]]\n{GOOD_MAP}order = \"sideways\"\n"),
            vec!["unknown variant `sideways`", "scale-ratio"],
        ),
        (
            format!("[[feature_maps]]\n{GOOD_MAP}grid = 4\n"),
            vec!["duplicate key"],
        ),
        (
            "[[feature_maps]]\ngrid = 5000\nscales = [0.1, 0.2]\naspect_ratios = [1.0]\n".into(),
            vec!["feature_maps[0].grid", "more than"],
        ),
    ];
    for (text, words) in cases {
        let msg = config_error(&text).to_string();
        for w in &words {
            assert!(msg.contains(w), "error for\n{text}\nlacks {w:?}:\n{msg}");
        }
    }
}

#[test]
fn load_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("neg.toml");
    std::fs::write(
        &bad,
        "[[feature_maps]]\ngrid = 7\nscales = [-0.2]\naspect_ratios = [1.0]\n",
    )
    .unwrap();
    let e = PriorConfig::load(&bad).unwrap_err().to_string();
    assert!(e.starts_with(&bad.display().to_string()), "{e}");
    assert!(e.contains("feature_maps[0].scales[0]"), "{e}");

    let json = dir.path().join("mine.json");
    std::fs::write(
        &json,
        r#"{"feature_maps": [{"grid": [2, 3], "scales": [0.5], "aspect_ratios": [1, 2], "zoom": 1}]}"#,
    )
    .unwrap();
    let e = PriorConfig::load(&json).unwrap_err().to_string();
    assert!(
        e.contains("mine.json") && e.contains("unknown field `zoom`"),
        "{e}"
    );

    let missing = dir.path().join("nope.toml");
    let e = priors::resolve(missing.to_str().unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tiny-detector, ssd300, torchvision-ssd300"),
        "{e}"
    );

    // A good JSON file: the name defaults to the file stem.
    std::fs::write(
        &json,
        r#"{"feature_maps": [{"grid": [2, 3], "scales": [0.5], "aspect_ratios": [1, 2]}]}"#,
    )
    .unwrap();
    let set = priors::resolve(json.to_str().unwrap()).unwrap();
    assert_eq!((set.name(), set.len()), ("mine", 12));
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ssd-assign"))
}

/// One writer per output kind: `ssd-assign priors` writes the same priors.csv and priors.npy
/// bytes as `encode` (and as the npz member), on a preset whose sizes include exactly 1.0.
#[test]
fn priors_command_and_encode_write_the_same_priors_files() {
    let dir = tempfile::tempdir().unwrap();
    let ds = dir.path().join("ds");
    std::fs::create_dir(&ds).unwrap();
    std::fs::write(
        ds.join("a.xml"),
        "<annotation><size><width>100</width><height>100</height></size><object><name>dog\
         </name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>60</xmax><ymax>70</ymax></bndbox>\
         </object></annotation>",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = bin().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let ds = ds.to_str().unwrap();
    let csv_out = dir.path().join("csv");
    let npy_out = dir.path().join("npy");
    let npz_out = dir.path().join("npz");
    for (format, out) in [("csv", &csv_out), ("npy", &npy_out), ("npz", &npz_out)] {
        run(&[
            "encode",
            ds,
            "--priors",
            "ssd300",
            "-q",
            "--format",
            format,
            "--out",
            out.to_str().unwrap(),
        ]);
    }
    let cli_csv = run(&["priors", "--priors", "ssd300", "--format", "csv"]);
    assert_eq!(cli_csv, std::fs::read(csv_out.join("priors.csv")).unwrap());
    let text = String::from_utf8(cli_csv).unwrap();
    assert!(text.starts_with("prior,cx,cy,w,h\n0,"), "{}", &text[..40]);
    // A value that is exactly 1 is written "1.0" (the csv crate's shortest round-trip form).
    assert!(text.contains("\n8694,0.16666667,0.16666667,1.0,0.5126524\n"));
    let npy_path = dir.path().join("p.npy");
    run(&[
        "priors",
        "--priors",
        "ssd300",
        "--out",
        npy_path.to_str().unwrap(),
    ]);
    let cli_npy = std::fs::read(&npy_path).unwrap();
    assert_eq!(cli_npy, std::fs::read(npy_out.join("priors.npy")).unwrap());
    let npz = std::fs::read(npz_out.join("targets.npz")).unwrap();
    assert!(npz.windows(cli_npy.len()).any(|w| w == cli_npy.as_slice()));
}

#[test]
fn priors_command_writes_every_format() {
    let dir = tempfile::tempdir().unwrap();
    // npy: the exact f32 arrays.
    let npy_path = dir.path().join("s.npy");
    let out = bin()
        .args(["priors", "--priors", "ssd300", "--out"])
        .arg(&npy_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = npy::read_path(&npy_path).unwrap();
    assert_eq!(a.shape, vec![8732, 4]);
    let want: Vec<f32> = arrays(&PriorSet::ssd300()).concat();
    assert_eq!(
        a.to_f32()
            .unwrap()
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>(),
        want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );

    // csv to stdout: header + one row per prior, values that parse back exactly.
    let out = bin().args(["priors", "--format", "csv"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "prior,cx,cy,w,h");
    assert_eq!(lines.len(), 442);
    let last: Vec<f32> = lines[441]
        .split(',')
        .skip(1)
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(last, PriorSet::tiny_detector().cxcy()[440].to_array());

    // json: name, count, priors.
    let out = bin()
        .args([
            "priors",
            "--priors",
            "torchvision-ssd300",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "torchvision-ssd300");
    assert_eq!(v["count"], 8732);
    assert_eq!(v["priors"].as_array().unwrap().len(), 8732);
    assert_eq!(v["config"]["scale_after_last"], 1.05);

    // toml: an editable configuration that loads back to the same priors.
    let toml_path = dir.path().join("start.toml");
    let out = bin()
        .args(["priors", "--priors", "ssd300", "--out"])
        .arg(&toml_path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let back = priors::resolve(toml_path.to_str().unwrap()).unwrap();
    assert_eq!(arrays(&back), arrays(&PriorSet::ssd300()));
    // ... and a file given to --priors is written back as its configuration.
    let out = bin()
        .args(["priors", "--format", "toml", "--priors"])
        .arg(&toml_path)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        std::fs::read_to_string(&toml_path).unwrap()
    );
}

#[test]
fn priors_command_rejects_bad_input_clearly() {
    let out = bin()
        .args(["priors", "--priors", "ssd512"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--priors ssd512") && err.contains("tiny-detector, ssd300"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[feature_maps]]\ngrid = 0\nscales = [0.1]\naspect_ratios = [1]\n",
    )
    .unwrap();
    let out = bin()
        .args(["audit", "--priors"])
        .arg(&bad)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("feature_maps[0].grid"),
        "{err}"
    );
}

/// Reference matching (reference.md section 4) transcribed densely: every GT against every
/// prior, no index. Returns per-prior labels and per-GT (best prior, best IoU).
fn dense_reference(
    priors: &PriorSet,
    gts: &[GtBox],
    threshold: f32,
) -> (Vec<u32>, Vec<(u32, f32)>) {
    let np = priors.len();
    let ious: Vec<Vec<f32>> = gts
        .iter()
        .map(|g| {
            priors
                .corners()
                .iter()
                .map(|c| iou(&g.corners, c))
                .collect()
        })
        .collect();
    let mut best_iou = vec![0f32; np];
    let mut best_gt = vec![0usize; np];
    for p in 0..np {
        for (j, row) in ious.iter().enumerate() {
            if row[p] > best_iou[p] {
                best_iou[p] = row[p];
                best_gt[p] = j;
            }
        }
    }
    let best_prior: Vec<(u32, f32)> = ious
        .iter()
        .map(|row| {
            let max = row.iter().copied().fold(0f32, f32::max);
            (row.iter().position(|&v| v == max).unwrap() as u32, max)
        })
        .collect();
    for (j, &(p, _)) in best_prior.iter().enumerate() {
        best_gt[p as usize] = j;
        best_iou[p as usize] = 1.0;
    }
    let labels = (0..np)
        .map(|p| {
            if best_iou[p] >= threshold {
                gts[best_gt[p]].label
            } else {
                0
            }
        })
        .collect();
    (labels, best_prior)
}

fn arb_gt() -> impl Strategy<Value = Corners> {
    // Centres slightly outside the image too; sizes from tiny to larger than the image.
    (-0.1f32..1.1, -0.1f32..1.1, 0.004f32..1.3, 0.004f32..1.3).prop_map(|(cx, cy, w, h)| {
        Corners::new(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every preset's grid index, and the matcher's sparse bookkeeping, give exactly the dense
    /// reference's labels and best priors, at several thresholds.
    #[test]
    fn indexed_matching_equals_dense_reference_on_every_preset(
        boxes in proptest::collection::vec(arb_gt(), 1..10),
        preset in 0usize..3,
        threshold in prop::sample::select(vec![0.3f32, 0.5, 0.7]),
    ) {
        let priors = &PriorSet::preset(PRESETS[preset]).unwrap();
        let gts: Vec<GtBox> = boxes
            .iter()
            .enumerate()
            .map(|(j, b)| GtBox { corners: *b, label: 1 + j as u32 })
            .collect();
        let params = MatchParams { threshold, ..MatchParams::default() };
        let m = Matcher::new().match_image(priors, &gts, &params);
        let (want, best) = dense_reference(priors, &gts, threshold);
        let mut got = vec![0u32; priors.len()];
        m.fill_labels(&mut got);
        prop_assert_eq!(got, want);
        for (j, g) in m.gts.iter().enumerate() {
            prop_assert_eq!((g.best_prior, g.best_iou), best[j], "GT {}", j);
        }
    }
}

/// Blocks are visited best-bound first, so a tie between blocks must still go to the lowest
/// index. Map 1's area range (0.16 to 0.81, with its extra 0.9 square) contains the GT's 0.25,
/// so it is visited before map 0 (area 0.16 only); both maps hold the same 0.4 square inside
/// the GT (IoU 0.16 / 0.25 = 0.64), and the reference's argmax picks prior 0, not prior 1.
#[test]
fn pruned_matching_breaks_ties_across_blocks_by_lowest_index() {
    let cfg = PriorConfig::from_toml_str(
        r#"
[[feature_maps]]
grid = 1
scales = [0.4]
aspect_ratios = [1.0]
[[feature_maps]]
grid = 1
scales = [0.4]
aspect_ratios = [1.0]
extra_scale = 0.9
"#,
        "tie",
    )
    .unwrap();
    let set = PriorSet::from_config(&cfg);
    assert_eq!(set.len(), 3);
    let gt = GtBox {
        corners: Corners::new(0.25, 0.25, 0.75, 0.75),
        label: 1,
    };
    let (labels, best) = dense_reference(&set, &[gt], 0.5);
    assert_eq!(best[0].0, 0);
    let m = Matcher::new().match_image(&set, &[gt], &MatchParams::default());
    assert_eq!((m.gts[0].best_prior, m.gts[0].best_iou), best[0]);
    let mut got = vec![0u32; 3];
    m.fill_labels(&mut got);
    assert_eq!(got, labels);
    assert_eq!(got, vec![1, 1, 0]);
}
