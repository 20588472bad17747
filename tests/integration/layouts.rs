//! Dataset layouts, split order, several DATASET arguments, and label maps (issue #2).

use std::path::Path;

use ssd_assign::voc::dataset::list_datasets;
use ssd_assign::voc::LabelMap;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn annotation(name: &str) -> String {
    format!(
        "<annotation><size><width>100</width><height>100</height></size><object><name>{name}</name>\
         <bndbox><xmin>11</xmin><ymin>11</ymin><xmax>61</xmax><ymax>71</ymax></bndbox></object></annotation>"
    )
}

fn ids(listing: &ssd_assign::voc::dataset::Listing) -> Vec<String> {
    listing.entries.iter().map(|e| e.id.clone()).collect()
}

#[test]
fn vocdevkit_years_in_name_order_and_splits_in_file_order() {
    let tmp = tempfile::tempdir().unwrap();
    let kit = tmp.path().join("VOCdevkit");
    for (year, names) in [("VOC2012", ["b", "a"]), ("VOC2007", ["d", "c"])] {
        for n in names {
            write(
                &kit.join(year).join("Annotations").join(format!("{n}.xml")),
                &annotation("cat"),
            );
        }
        // The split lists the ids in an order of its own; a class split file ("id  1") too.
        write(
            &kit.join(year).join("ImageSets/Main/trainval.txt"),
            &format!("{}\n{}\n", names[0], names[1]),
        );
        write(
            &kit.join(year).join("ImageSets/Main/cat_trainval.txt"),
            &format!("{}  1\n", names[1]),
        );
    }
    // No split: each year's files in bytewise name order, years in name order.
    let all = list_datasets(std::slice::from_ref(&kit), None, None).unwrap();
    assert_eq!(ids(&all), ["c", "d", "a", "b"]);
    // --split: the split file's order.
    let split = list_datasets(std::slice::from_ref(&kit), Some("trainval"), None).unwrap();
    assert_eq!(ids(&split), ["d", "c", "b", "a"]);
    let class_split =
        list_datasets(std::slice::from_ref(&kit), Some("cat_trainval"), None).unwrap();
    assert_eq!(ids(&class_split), ["c", "a"]);
    // Several DATASET arguments combine in the order given (Tiny-Detector: 2007 then 2012).
    let both = list_datasets(
        &[kit.join("VOC2012"), kit.join("VOC2007")],
        Some("trainval"),
        None,
    )
    .unwrap();
    assert_eq!(ids(&both), ["b", "a", "d", "c"]);
    assert_eq!(both.entries[0].dataset(), 0);
    assert_eq!(both.entries[3].dataset(), 1);
    assert_eq!(both.entries[0].xml(), kit.join("VOC2012/Annotations/b.xml"));
    // A split that does not exist names the file and the splits that do.
    let err = list_datasets(&[kit.join("VOC2007")], Some("val"), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ImageSets/Main/val.txt") && err.contains("trainval"),
        "{err}"
    );
}

#[test]
fn plain_folder_and_single_file() {
    let tmp = tempfile::tempdir().unwrap();
    for n in ["b10", "b9", "B1"] {
        write(&tmp.path().join(format!("{n}.xml")), &annotation("dog"));
    }
    write(&tmp.path().join("notes.txt"), "not an annotation");
    let l = list_datasets(&[tmp.path().to_path_buf()], None, None).unwrap();
    // Bytewise: uppercase before lowercase, "b10" before "b9".
    assert_eq!(ids(&l), ["B1", "b10", "b9"]);
    let one = list_datasets(&[tmp.path().join("b9.xml")], None, None).unwrap();
    assert_eq!(ids(&one), ["b9"]);
}

#[test]
fn label_maps_voc_auto_and_file() {
    let voc = LabelMap::voc();
    assert_eq!(voc.label("aeroplane"), Some(1));
    assert_eq!(
        voc.label(" TVMonitor "),
        Some(20),
        "names are trimmed and lower-cased"
    );
    assert_eq!(voc.label("unicorn"), None);
    assert_eq!(voc.suggest("preson"), Some("person"));

    let auto = LabelMap::auto([
        "Zebra".to_string(),
        "ant".into(),
        " zebra".into(),
        "background".into(),
    ]);
    assert_eq!(auto.classes(), ["ant", "zebra"]);
    assert_eq!(auto.label("zebra"), Some(2));

    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("classes.txt");
    write(&plain, "# fruit\napple\n\nBanana\n");
    let m = LabelMap::from_file(&plain).unwrap();
    assert_eq!((m.label("apple"), m.label("banana")), (Some(1), Some(2)));
    // CVAT/Datumaro labelmap.txt: "background" first is label 0, the rest count from 1.
    let cvat = tmp.path().join("labelmap.txt");
    write(
        &cvat,
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\nperson:128,0,0::\ncat:0,128,0::\n",
    );
    let m = LabelMap::from_file(&cvat).unwrap();
    assert_eq!((m.label("person"), m.label("cat")), (Some(1), Some(2)));
    let dup = tmp.path().join("dup.txt");
    write(&dup, "cat\nCat\n");
    assert!(LabelMap::from_file(&dup)
        .unwrap_err()
        .to_string()
        .contains("twice"));
}

#[test]
fn classes_auto_through_the_binary_labels_sorted_names() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("a.xml"), &annotation("Zebra"));
    write(&tmp.path().join("b.xml"), &annotation("ant"));
    let out = tmp.path().join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ssd-assign"))
        .args([
            "encode",
            "-q",
            "--classes",
            "auto",
            "--format",
            "csv",
            "--out",
        ])
        .arg(&out)
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    let ant = manifest.find("\"ant\"").expect("ant in the label map");
    let zebra = manifest.find("\"zebra\"").expect("zebra in the label map");
    assert!(ant < zebra, "sorted: ant = 1, zebra = 2");
    let csv = std::fs::read_to_string(out.join("targets.csv")).unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("a,") && l.contains(",2,zebra,")),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("b,") && l.contains(",1,ant,")),
        "{csv}"
    );
}

#[test]
fn files_are_listed_in_bytewise_name_order() {
    // Names sharing their first 16 bytes (the sort's integer key), shorter and longer names,
    // '-' and '.' around the extension, upper case before lower case, UTF-8.
    let names = [
        "2008_000123_long_a.xml",
        "2008_000123_long_b.xml",
        "2008_000123_long.xml",
        "2008_000123_lon.xml",
        "2008_000123.xml",
        "2008_000123-x.xml",
        "a.xml",
        "a-b.xml",
        "B.xml",
        "é.xml",
        "e.xml",
        "aaaaaaaaaaaaaaaaZ.xml",
        "aaaaaaaaaaaaaaaa.xml",
        "aaaaaaaaaaaaaaaaa.xml",
    ];
    let tmp = tempfile::tempdir().unwrap();
    for n in names {
        write(&tmp.path().join(n), &annotation("dog"));
    }
    let listing = list_datasets(&[tmp.path().to_path_buf()], None, None).unwrap();
    let mut expected: Vec<&str> = names.to_vec();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let expected: Vec<String> = expected
        .iter()
        .map(|n| n.trim_end_matches(".xml").to_string())
        .collect();
    assert_eq!(ids(&listing), expected);
}
