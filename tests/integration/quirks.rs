//! Real files from labelling tools (`../shared/data/quirks`, see its README): every one goes
//! through the engine without a panic and with the findings their quirks call for (issue #6).

use std::path::{Path, PathBuf};

use ssd_assign::assign::MatchParams;
use ssd_assign::pipeline::{Engine, Outcome};
use ssd_assign::priors::PriorSet;
use ssd_assign::voc::dataset::Listing;
use ssd_assign::voc::images::check_image;
use ssd_assign::voc::{Annotation, LabelMap, SizeSource, SkipReason};

use crate::common::{engine, run_listing, shared};

fn quirks() -> Option<PathBuf> {
    shared().map(|s| s.join("data/quirks"))
}

/// Listing and outcomes of one folder, on `jobs` threads.
fn run(eng: &Engine, dir: &Path, jobs: usize) -> (Listing, Vec<Outcome>) {
    run_listing(eng, dir, jobs)
}

fn ok(o: &Outcome) -> &Annotation {
    &o.as_ref().unwrap_or_else(|e| panic!("{e}")).annotation
}

fn voc() -> Engine {
    engine(PriorSet::tiny_detector(), MatchParams::default())
}

/// labelImg files with `<width>0</width><height>0</height>`: sized from their images; two of
/// the images are PNG bytes named .jpg.
#[test]
fn labelimg_size_zero_takes_the_image_size() {
    let Some(q) = quirks() else { return };
    let dir = q.join("labelimg-size0");
    let mut eng = voc();
    eng.labels = LabelMap::from_classes(&["apple", "banana", "orange"]).unwrap();
    let (listing, outcomes) = run(&eng, &dir, 2);
    let ids: Vec<&str> = listing.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        ["apple_1", "apple_10", "apple_2", "banana_1", "orange_1"]
    );
    let got: Vec<(u32, u32, SizeSource, usize)> = outcomes
        .iter()
        .map(|o| {
            let a = ok(o);
            assert!(a.skipped.is_empty() && a.warnings.is_empty(), "{a:?}");
            (a.width, a.height, a.size_source, a.objects.len())
        })
        .collect();
    // Sizes from `file` on the images: apple_1.jpg is "PNG image data, 349 x 349", orange_1.jpg
    // "PNG image data, 640 x 347"; the others carry their size in the XML.
    assert_eq!(
        got,
        [
            (349, 349, SizeSource::Image, 1),
            (1500, 1500, SizeSource::Xml, 1),
            (250, 250, SizeSource::Xml, 1),
            (722, 406, SizeSource::Xml, 1),
            (640, 347, SizeSource::Image, 7),
        ]
    );
    // apple_1: (8, 15, 331, 349) - 1, over 349.
    let a = ok(&outcomes[0]);
    assert_eq!(a.objects[0].pixel, [8.0, 15.0, 331.0, 349.0]);
    assert_eq!(a.objects[0].corners.x1, 7.0f32 / 349.0);
    assert_eq!(a.objects[0].corners.y2, 348.0f32 / 349.0);

    // --check-images: the two PNGs named .jpg, nothing else.
    let findings: Vec<(String, Vec<String>)> = listing
        .entries
        .iter()
        .zip(&outcomes)
        .map(|(e, o)| {
            let c = check_image(e, ok(o));
            (
                e.id.clone(),
                c.findings.iter().map(|f| f.kind().to_string()).collect(),
            )
        })
        .collect();
    let with_findings: Vec<&(String, Vec<String>)> =
        findings.iter().filter(|(_, f)| !f.is_empty()).collect();
    assert_eq!(
        with_findings,
        [
            &("apple_1".to_string(), vec!["format_mismatch".to_string()]),
            &("orange_1".to_string(), vec!["format_mismatch".to_string()]),
        ]
    );
    let c = check_image(&listing.entries[0], ok(&outcomes[0]));
    assert_eq!(c.image.as_ref().unwrap().format, "png");
    assert!(c.findings[0]
        .to_string()
        .contains("apple_1.jpg holds PNG data but is named .jpg"));

    // With the VOC map every object is an unknown class, but the files are still read.
    let (_, outcomes) = run(&voc(), &dir, 1);
    for o in &outcomes {
        let a = ok(o);
        assert!(a.objects.is_empty());
        assert!(a
            .skipped
            .iter()
            .all(|s| s.reason == SkipReason::UnknownClass));
    }
}

/// labelme2voc: `<difficult/>`, `<size>` with height before width, float coordinates.
#[test]
fn labelme2voc_reads_cleanly() {
    let Some(q) = quirks() else { return };
    let (listing, outcomes) = run(&voc(), &q.join("labelme2voc"), 2);
    assert!(listing.problems.is_empty() && listing.warnings.is_empty());
    let sizes: Vec<(u32, u32, usize)> = outcomes
        .iter()
        .map(|o| {
            let a = ok(o);
            assert!(a.skipped.is_empty() && a.warnings.is_empty(), "{a:?}");
            assert!(a.objects.iter().all(|o| !o.difficult && !o.outside));
            assert_eq!(a.size_source, SizeSource::Xml);
            (a.width, a.height, a.objects.len())
        })
        .collect();
    assert_eq!(sizes, [(500, 338, 2), (500, 375, 4), (500, 375, 3)]);
    let a = ok(&outcomes[0]);
    assert_eq!(a.objects[0].name, "person");
    assert_eq!(
        a.objects[0].pixel,
        [191.0, 107.36900369003689, 313.0, 329.36900369003695]
    );
    for (e, o) in listing.entries.iter().zip(&outcomes) {
        assert_eq!(check_image(e, ok(o)).findings, []);
    }
}

/// VoTT: long float coordinates, 0-based (a coordinate below 1 goes outside under the VOC
/// convention, with a hint to --coords zero-based).
#[test]
fn vott_zero_based_coordinates_are_flagged() {
    let Some(q) = quirks() else { return };
    let (listing, outcomes) = run(&voc(), &q.join("vott"), 2);
    assert_eq!(outcomes.len(), 10);
    let objects: usize = outcomes.iter().map(|o| ok(o).objects.len()).sum();
    assert_eq!(objects, 14);
    let warned: Vec<(&str, &str)> = listing
        .entries
        .iter()
        .zip(&outcomes)
        .flat_map(|(e, o)| {
            ok(o)
                .warnings
                .iter()
                .map(move |w| (e.id.as_str(), w.as_str()))
        })
        .collect();
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert_eq!(warned[0].0, "000001");
    assert_eq!(
        warned[0].1,
        "object 0 (\"cat\", line 14, column 5): box (3.235669267707083, 0.2869897959183674, \
         229.83662214885956, 167.12513130252103) extends outside the 300x300 image; kept \
         unclipped as the reference does (--clip clamps it) (a coordinate below 1 in 1-based \
         pixels: if the tool wrote 0-based pixels, pass --coords zero-based)"
    );
    assert_eq!(warned[1].0, "000006");
    // 0-based: nothing is outside any more.
    let mut eng = voc();
    eng.read.coords = ssd_assign::voc::CoordBase::ZeroBased;
    let (_, outcomes) = run(&eng, &q.join("vott"), 2);
    assert!(outcomes.iter().all(|o| ok(o).warnings.is_empty()));
    for (e, o) in listing.entries.iter().zip(&outcomes) {
        assert_eq!(check_image(e, ok(o)).findings, []);
    }
}

/// Datumaro's format-edge fixtures: missing `<size>` without an image is an error for that
/// file (and only a warning for `@.xml`, which has no objects); `<part>`s, `<actions>` and
/// Roboflow files are read.
#[test]
fn datumaro_fixtures() {
    let Some(q) = quirks() else { return };
    let d = q.join("datumaro");
    let (_, outcomes) = run(&voc(), &d.join("voc_dataset/voc_dataset2"), 2);
    assert_eq!(outcomes.len(), 5);
    let at = ok(&outcomes[0]);
    assert_eq!(at.size_source, SizeSource::Unknown);
    assert_eq!(at.warnings.len(), 1);
    assert!(at.warnings[0].starts_with("no <size>, and no image found for it (looked in "));
    for (o, name) in outcomes[1..]
        .iter()
        .zip(["a.xml", "b.xml", "c.xml", "d.xml"])
    {
        let e = o.as_ref().unwrap_err();
        assert!(e.path.ends_with(name));
        let msg = e.to_string();
        assert!(
            msg.contains(&format!(
                "{name}: no <size>, and no image found for it (looked in "
            )) && msg.ends_with("add <size> to the file, or pass --images DIR with its image"),
            "{msg}"
        );
    }
    // <part>s (head, hand...) are not objects: voc_dataset1's file has 2 objects.
    for (folder, objects) in [
        ("voc_dataset/voc_dataset1", vec![2]),
        ("voc_dataset/voc_dataset3", vec![1]),
        ("kaggle_dataset/relaxed_voc1", vec![2]),
        ("kaggle_dataset/relaxed_voc2", vec![2]),
    ] {
        let (listing, outcomes) = run(&voc(), &d.join(folder), 1);
        let got: Vec<usize> = outcomes.iter().map(|o| ok(o).objects.len()).collect();
        assert_eq!(got, objects, "{folder}");
        for (e, o) in listing.entries.iter().zip(&outcomes) {
            assert_eq!(check_image(e, ok(o)).findings, [], "{folder}");
        }
    }
    // Roboflow: class names outside the VOC map, boxes at the 0 edge of a 10x5 image.
    let (_, outcomes) = run(&voc(), &d.join("roboflow_dataset/voc/val"), 1);
    let a = ok(&outcomes[0]);
    assert_eq!((a.width, a.height), (10, 5));
    assert_eq!(a.skipped.len(), 2);
    assert!(
        a.warnings.is_empty(),
        "skipped objects are not warned about twice"
    );
}

/// Every quirk folder, on 1 and 3 threads: no panic, the same outcomes.
#[test]
fn every_quirk_folder_runs_the_same_on_any_thread_count() {
    let Some(q) = quirks() else { return };
    let folders = [
        "labelimg-size0",
        "labelme2voc",
        "vott",
        "datumaro/voc_dataset/voc_dataset1",
        "datumaro/voc_dataset/voc_dataset2",
        "datumaro/voc_dataset/voc_dataset3",
        "datumaro/roboflow_dataset/voc/train",
        "datumaro/roboflow_dataset/voc/val",
        "datumaro/kaggle_dataset/relaxed_voc1",
        "datumaro/kaggle_dataset/relaxed_voc2",
    ];
    let mut files = 0;
    for f in folders {
        let (_, one) = run(&voc(), &q.join(f), 1);
        let (_, three) = run(&voc(), &q.join(f), 3);
        let show = |v: &[Outcome]| -> Vec<String> {
            v.iter()
                .map(|o| match o {
                    Ok(r) => format!("{:?} {:?}", r.annotation, r.matching.positives),
                    Err(e) => e.to_string(),
                })
                .collect()
        };
        assert_eq!(show(&one), show(&three), "{f}");
        files += one.len();
    }
    assert_eq!(files, 5 + 3 + 10 + 1 + 5 + 1 + 2 + 1 + 1 + 1);
}
