//! Bad input, one test per case of issue #6: the reader never panics, every bad file or object
//! is named with the fix, and the rest of the dataset is still processed.
//!
//! Library-level tests assert the messages (they are what users read); the binary-level tests
//! assert exit statuses (0 clean, 2 something rejected) and that the path reaches the user.

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use ssd_assign::assign::MatchParams;
use ssd_assign::pipeline::{read_raw, Outcome};
use ssd_assign::priors::PriorSet;
use ssd_assign::voc::dataset::{list_datasets, Listing};
use ssd_assign::voc::images::{check_image, ImageFinding};
use ssd_assign::voc::xml::{MAX_DEPTH, MAX_FILE_BYTES, MAX_WARNINGS};
use ssd_assign::voc::{
    parse_annotation, resolve, Annotation, LabelMap, ReadOptions, SizeSource, SkipReason, XmlError,
};

use crate::common::{engine, run_listing};

/// A valid annotation: 500x375, one dog at (10, 20, 200, 300) on line 12.
pub(crate) const GOOD: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<annotation>
  <folder>VOC2007</folder>
  <filename>good.jpg</filename>
  <size>
    <width>500</width>
    <height>375</height>
    <depth>3</depth>
  </size>
  <segmented>0</segmented>
  <object>
    <name>dog</name>
    <pose>Left</pose>
    <truncated>0</truncated>
    <difficult>0</difficult>
    <bndbox>
      <xmin>10</xmin>
      <ymin>20</ymin>
      <xmax>200</xmax>
      <ymax>300</ymax>
    </bndbox>
  </object>
</annotation>
"#;

/// An annotation of size `w`x`h` holding the given `<object>` bodies, one line each.
fn ann(size: &str, objects: &[&str]) -> String {
    let mut s = String::from("<annotation>\n  <filename>x.jpg</filename>\n");
    s.push_str(size);
    s.push('\n');
    for o in objects {
        s.push_str("  <object>");
        s.push_str(o);
        s.push_str("</object>\n");
    }
    s.push_str("</annotation>\n");
    s
}

const SIZE: &str = "  <size><width>500</width><height>375</height></size>";

fn obj(name: &str, b: [&str; 4]) -> String {
    format!(
        "<name>{name}</name><bndbox><xmin>{}</xmin><ymin>{}</ymin><xmax>{}</xmax><ymax>{}</ymax></bndbox>",
        b[0], b[1], b[2], b[3]
    )
}

fn parse_err(bytes: &[u8]) -> String {
    match parse_annotation(bytes) {
        Ok(r) => panic!("expected an error, parsed {r:?}"),
        Err(e) => e.to_string(),
    }
}

/// Resolves `xml` with the VOC map; the image lookup fails with "no image here".
fn resolve_xml(xml: &str, opts: ReadOptions) -> Result<Annotation, String> {
    let raw = parse_annotation(xml.as_bytes()).map_err(|e| e.to_string())?;
    resolve(raw, &LabelMap::voc(), &opts, &mut |_| {
        Err("no image here".into())
    })
}

fn assert_contains(haystack: &str, needles: &[&str]) {
    for n in needles {
        assert!(haystack.contains(n), "message lacks {n:?}:\n  {haystack}");
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Lists `dir` and runs the engine on it (2 threads).
fn run_dir(dir: &Path) -> (Listing, Vec<Outcome>) {
    run_dir_with(dir, ReadOptions::default())
}

fn run_dir_with(dir: &Path, read: ReadOptions) -> (Listing, Vec<Outcome>) {
    let mut eng = engine(PriorSet::tiny_detector(), MatchParams::default());
    eng.read = read;
    run_listing(&eng, dir, 2)
}

/// The outcome for the file named `name`.
fn outcome<'a>(outcomes: &'a [Outcome], name: &str) -> &'a Outcome {
    outcomes
        .iter()
        .find(|o| {
            let p = match o {
                Ok(r) => &r.xml,
                Err(e) => &e.path,
            };
            p.file_name().is_some_and(|n| n == name)
        })
        .unwrap_or_else(|| panic!("no outcome for {name}"))
}

fn rejected(outcomes: &[Outcome], name: &str) -> String {
    match outcome(outcomes, name) {
        Ok(r) => panic!("{name} was accepted: {:?}", r.annotation),
        Err(e) => e.to_string(),
    }
}

fn accepted<'a>(outcomes: &'a [Outcome], name: &str) -> &'a Annotation {
    match outcome(outcomes, name) {
        Ok(r) => &r.annotation,
        Err(e) => panic!("{name} was rejected: {e}"),
    }
}

/// `ssd-assign audit -q DIR`: exit status and stdout + stderr.
fn audit(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ssd-assign"))
        .arg("audit")
        .arg("-q")
        .args(args)
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().expect("exited"), text)
}

/// A real PNG of the given size.
fn png(path: &Path, w: u32, h: u32) {
    image::RgbImage::new(w, h).save(path).unwrap();
}

// ---------------------------------------------------------------- the file as a whole

#[test]
fn good_annotation_reads() {
    let a = resolve_xml(GOOD, ReadOptions::default()).unwrap();
    assert_eq!(
        (a.width, a.height, a.size_source),
        (500, 375, SizeSource::Xml)
    );
    assert_eq!(a.objects.len(), 1);
    let o = &a.objects[0];
    assert_eq!(
        (o.name.as_str(), o.label, o.line, o.column),
        ("dog", 12, 11, 3)
    );
    assert_eq!(o.pixel, [10.0, 20.0, 200.0, 300.0]);
    assert!(a.warnings.is_empty() && a.skipped.is_empty());
}

#[test]
fn not_xml_is_named() {
    assert_contains(
        &parse_err(b"hello, world\n"),
        &[
            "not an XML annotation",
            "text that is not XML",
            "\"hello, world",
        ],
    );
    assert_contains(
        &parse_err(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        &["not an XML annotation", "PNG image data"],
    );
    assert_contains(
        &parse_err(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
        &["JPEG image data"],
    );
    assert_contains(
        &parse_err(br#"{"images": [], "annotations": []}"#),
        &["JSON, not XML", "COCO or LabelMe"],
    );
    assert_contains(
        &parse_err(b"\0\x05\x16\x07\0\x02\0\0Mac OS X"),
        &["AppleDouble", "delete it"],
    );
}

#[test]
fn truncated_file_names_the_open_element() {
    // Cut inside <xmax>'s text: the innermost open element is named, with where it opened.
    let cut = &GOOD[..GOOD.find("<xmax>200").unwrap() + 8];
    let e = parse_annotation(cut.as_bytes()).unwrap_err();
    let XmlError::Syntax { line, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(line, 19);
    assert_contains(
        &e.to_string(),
        &[
            "line 19, column 15: malformed XML",
            "the file ends inside <xmax> (opened at line 19, column 7)",
            "truncated",
        ],
    );
    // Cut inside a tag: quick-xml's own message, with the position.
    let cut = &GOOD[..GOOD.find("<ymax>").unwrap() + 3];
    assert_contains(
        &parse_err(cut.as_bytes()),
        &["line 20, column ", "malformed XML", "not closed"],
    );
}

#[test]
fn empty_files() {
    for bytes in [
        &b""[..],
        b"   \n\r\n\t",
        b"\xEF\xBB\xBF",
        b"\xEF\xBB\xBF\n  \n",
    ] {
        assert_eq!(parse_annotation(bytes), Err(XmlError::Empty), "{bytes:?}");
    }
    assert_contains(
        &XmlError::Empty.to_string(),
        &["empty file", "re-export it"],
    );
}

#[test]
fn invalid_utf8_is_located() {
    let bytes = b"<annotation>\n  <object>\n    <name>caf\xE9</name>\n  </object>\n</annotation>";
    assert_contains(
        &parse_err(bytes),
        &[
            "not valid UTF-8 at line 3, column 14 (byte 37)",
            "declares no other encoding",
            "re-save the file as UTF-8",
        ],
    );
    let declared =
        b"<?xml version='1.0' encoding='UTF-8'?><annotation><name>\xFF</name></annotation>";
    assert_contains(
        &parse_err(declared),
        &[
            "not valid UTF-8 at line 1",
            "though it declares encoding \"UTF-8\"",
        ],
    );
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(bytes);
    assert_contains(
        &parse_err(&bom),
        &[
            "not valid UTF-8 at line 3, column 14 (byte 40)",
            "though it starts with a UTF-8 byte-order mark",
        ],
    );
}

/// `<name>` of the only object of an annotation written in `encoding` (declared in
/// double or single quotes).
fn name_in(encoding: &str, name_bytes: &[u8]) -> String {
    let mut bytes =
        format!("<?xml version='1.0' encoding='{encoding}'?>\n<annotation><object><name>")
            .into_bytes();
    bytes.extend_from_slice(name_bytes);
    bytes.extend_from_slice(b"</name></object></annotation>");
    let raw = parse_annotation(&bytes).unwrap_or_else(|e| panic!("{encoding}: {e}"));
    raw.objects[0].name.clone().unwrap().into_owned()
}

#[test]
fn declared_encodings_are_decoded() {
    assert_eq!(name_in("ISO-8859-1", b"caf\xE9"), "café");
    assert_eq!(name_in("latin1", b"\x80"), "\u{80}"); // exactly Latin-1, not Windows-1252
    assert_eq!(name_in("windows-1252", b"\x80uro"), "€uro");
    assert_eq!(name_in("cp1252", b"na\xEFve"), "naïve");
    assert_eq!(name_in("GBK", b"\xB9\xB7"), "狗"); // "dog"
    assert_eq!(name_in("gb2312", b"\xC3\xA8"), "猫"); // "cat"
    assert_eq!(name_in("Shift_JIS", b"\x8C\xA2"), "犬");
    assert_eq!(name_in("EUC-KR", b"\xB0\xB3"), "개");
    assert_eq!(name_in("big5", b"\xAA\xAF"), "狗");
    // Double quotes work as well.
    let raw = parse_annotation(
        b"<?xml version=\"1.0\" encoding=\"iso-8859-15\"?><annotation><object><name>\xA4</name></object></annotation>",
    )
    .unwrap();
    assert_eq!(raw.objects[0].name.as_deref(), Some("€"));
}

#[test]
fn unknown_or_invalid_encodings_are_refused() {
    let e = parse_err(b"<?xml version='1.0' encoding='klingon-8'?><annotation/>");
    assert_contains(
        &e,
        &[
            "encoding \"klingon-8\"",
            "not a known encoding",
            "iconv -f klingon-8 -t UTF-8",
        ],
    );
    let e = parse_err(b"<?xml version='1.0' encoding='iso-2022-kr'?><annotation/>");
    assert_contains(&e, &["\"iso-2022-kr\"", "not supported"]);
    // A byte sequence that is not Shift_JIS.
    let e = parse_err(b"<?xml version='1.0' encoding='Shift_JIS'?>\n<annotation><name>\x85\x40</name></annotation>");
    assert_contains(
        &e,
        &[
            "not valid Shift_JIS text at line 2",
            "re-save the file as UTF-8",
        ],
    );
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if big_endian { b"\xFE\xFF" } else { b"\xFF\xFE" });
    }
    for u in text.encode_utf16() {
        out.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

#[test]
fn utf16_and_bom() {
    let text = GOOD.replace("utf-8", "UTF-16").replace("dog", "chien ŝ");
    for (be, bom) in [(false, true), (true, true), (false, false), (true, false)] {
        let bytes = utf16(&text, be, bom);
        let raw = parse_annotation(&bytes).unwrap_or_else(|e| panic!("{be} {bom}: {e}"));
        assert_eq!(raw.objects[0].name.as_deref(), Some("chien ŝ"));
        assert_eq!(raw.objects[0].line, 11);
    }
    // UTF-8 BOM.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(GOOD.as_bytes());
    let raw = parse_annotation(&bytes).unwrap();
    assert_eq!(raw.objects[0].name.as_deref(), Some("dog"));
    // A UTF-8 file that claims UTF-16: read as UTF-8, with a warning.
    let text = GOOD.replace("utf-8", "utf-16");
    let raw = parse_annotation(text.as_bytes()).unwrap();
    assert_eq!(raw.objects.len(), 1);
    assert_contains(
        &raw.warnings[0],
        &[
            "says encoding \"utf-16\"",
            "read as UTF-8",
            "correct the declaration",
        ],
    );
    // Broken UTF-16 (a lone surrogate).
    let mut bad = utf16("<annotation><name>", false, true);
    bad.extend_from_slice(&[0x00, 0xD8, b'x', 0]);
    assert_contains(&parse_err(&bad), &["not valid UTF-16LE text", "line 1"]);
}

#[test]
fn nul_bytes_are_refused() {
    assert_contains(
        &parse_err(b"<annotation>\n<name>a\0b</name></annotation>"),
        &["NUL byte at line 2, column 8", "re-save the file as UTF-8"],
    );
}

#[test]
fn wrong_root_element() {
    assert_contains(
        &parse_err(b"<?xml version='1.0'?>\n<annotations><image id='0'/></annotations>"),
        &[
            "root element is <annotations>, not <annotation>",
            "CVAT",
            "Pascal VOC",
        ],
    );
    assert_contains(
        &parse_err(b"<doc><object/></doc>"),
        &["root element is <doc>, not <annotation>"],
    );
    assert_contains(
        &parse_err(b"<?xml version='1.0'?><!-- only a comment -->"),
        &["no XML element"],
    );
    // Tag case and namespaces on the root are accepted.
    assert!(parse_annotation(b"<Annotation></Annotation>").is_ok());
    assert!(parse_annotation(b"<voc:annotation xmlns:voc='x'></voc:annotation>").is_ok());
}

#[test]
fn malformed_xml_is_located() {
    let e = parse_err(b"<annotation>\n  <object>\n    <name>dog</nam>\n</object></annotation>");
    assert_contains(
        &e,
        &[
            "line 3, column ",
            "malformed XML",
            "expected `</name>`, but `</nam>` was found",
        ],
    );
    let e = parse_err(b"<annotation></annotation>\n<annotation></annotation>");
    assert_contains(&e, &["line 2, column 1", "a second root element"]);
    let e = parse_err(b"<annotation></annotation>\ntrailing words");
    assert_contains(&e, &["line 1, column 26", "text after </annotation>"]);
    let e = parse_err(b"<annotation></object></annotation>");
    assert_contains(&e, &["line 1, column 13", "malformed XML"]);
}

// ---------------------------------------------------------------- <size>

#[test]
fn missing_size_falls_back_to_the_image_header() {
    let dir = tempdir();
    let xml = GOOD.replace(
        "  <size>\n    <width>500</width>\n    <height>375</height>\n    <depth>3</depth>\n  </size>\n",
        "",
    );
    assert!(!xml.contains("<size>"));
    write(dir.path(), "a.xml", &xml);
    png(&dir.path().join("a.png"), 640, 480); // found by id; <filename> good.jpg does not exist
    write(dir.path(), "b.xml", xml.replace("good.jpg", "missing.jpg"));
    write(dir.path(), "c.xml", GOOD); // has <size>, no image needed
    let (_, outcomes) = run_dir(dir.path());
    assert_eq!(outcomes.len(), 3);
    let a = accepted(&outcomes, "a.xml");
    assert_eq!(
        (a.width, a.height, a.size_source),
        (640, 480, SizeSource::Image)
    );
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let e = rejected(&outcomes, "b.xml");
    assert_contains(
        &e,
        &[
            "b.xml: no <size>, and no image found for it (looked in ",
            "add <size> to the file, or pass --images DIR",
        ],
    );
    assert_eq!(accepted(&outcomes, "c.xml").size_source, SizeSource::Xml);
}

#[test]
fn missing_size_without_objects_is_only_a_warning() {
    let a = resolve_xml(
        "<annotation><filename>x.jpg</filename></annotation>",
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (a.width, a.height, a.size_source),
        (0, 0, SizeSource::Unknown)
    );
    assert_eq!(
        a.warnings,
        vec!["no <size>, and no image here (no objects, so no size is needed)"]
    );
}

#[test]
fn zero_or_bad_size_values() {
    let dog = obj("dog", ["10", "20", "200", "300"]);
    let with = |w: &str, h: &str| {
        ann(
            &format!("<size><width>{w}</width><height>{h}</height></size>"),
            &[&dog],
        )
    };
    // Zero, empty or missing: the image's size, and without an image an error naming them.
    let e = resolve_xml(&with("0", "0"), ReadOptions::default()).unwrap_err();
    assert_eq!(
        e,
        "<size> has width 0 and height 0, and no image here: add <size> to the file, or pass --images DIR with its image"
    );
    let e = resolve_xml(
        &ann("<size><width>500</width></size>", &[&dog]),
        ReadOptions::default(),
    )
    .unwrap_err();
    assert_contains(&e, &["<size> has width 0 and height missing"]);
    let e = resolve_xml(&with("", "375"), ReadOptions::default()).unwrap_err();
    assert_contains(&e, &["<size> has width empty and height 0"]);
    // Not numbers: named.
    let e = resolve_xml(&with("abc", "375"), ReadOptions::default()).unwrap_err();
    assert_contains(
        &e,
        &["<size><width> \"abc\" is not a number, and no image here"],
    );
    let e = resolve_xml(&with("500", "-375"), ReadOptions::default()).unwrap_err();
    assert_contains(
        &e,
        &["<size><height> \"-375\" is not a positive whole number of pixels"],
    );
    let e = resolve_xml(&with("500.5", "375"), ReadOptions::default()).unwrap_err();
    assert_contains(
        &e,
        &["<size><width> \"500.5\" is not a positive whole number"],
    );
    let e = resolve_xml(&with("5e9", "375"), ReadOptions::default()).unwrap_err();
    assert_contains(&e, &["<size><width> 5e9 is over the 1000000-pixel limit"]);
    let e = resolve_xml(&with("NaN", "375"), ReadOptions::default()).unwrap_err();
    assert_contains(
        &e,
        &["<size><width> \"NaN\" is not a positive whole number"],
    );
    // "486.0" is a whole number.
    let a = resolve_xml(&with("500.0", " 375 "), ReadOptions::default()).unwrap();
    assert_eq!((a.width, a.height), (500, 375));
    // With an image: a bad value becomes a warning and the image's size is used.
    let text = with("abc", "375");
    let raw = parse_annotation(text.as_bytes()).unwrap();
    let a = resolve(raw, &LabelMap::voc(), &ReadOptions::default(), &mut |f| {
        assert_eq!(f, Some("x.jpg"));
        Ok((640, 480))
    })
    .unwrap();
    assert_eq!(
        (a.width, a.height, a.size_source),
        (640, 480, SizeSource::Image)
    );
    assert_eq!(
        a.warnings,
        vec!["<size><width> \"abc\" is not a number; the size was taken from the image"]
    );
}

#[test]
fn width_and_height_in_either_order() {
    let dog = obj("dog", ["10", "20", "200", "300"]);
    let a = resolve_xml(
        &ann(
            "<size><width>500</width><height>375</height></size>",
            &[&dog],
        ),
        ReadOptions::default(),
    )
    .unwrap();
    let b = resolve_xml(
        &ann(
            "<size><depth>3</depth><height>375</height><width>500</width></size>",
            &[&dog],
        ),
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!((b.width, b.height), (500, 375));
    assert_eq!(a.objects[0].corners, b.objects[0].corners);
}

// ---------------------------------------------------------------- objects

/// The skip reason text of the only object of `body`.
fn skipped_reason(body: &str, opts: ReadOptions) -> String {
    let a = resolve_xml(&ann(SIZE, &[body]), opts).unwrap();
    assert!(a.objects.is_empty(), "{:?}", a.objects);
    assert_eq!(a.skipped.len(), 1);
    let s = &a.skipped[0];
    assert!(matches!(s.reason, SkipReason::Invalid(_)), "{s:?}");
    assert_eq!((s.index_in_file, s.line), (0, 4));
    s.to_string()
}

#[test]
fn objects_without_name_or_bndbox() {
    let bbox = "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox>";
    assert_eq!(
        skipped_reason(bbox, ReadOptions::default()),
        "object 0 (line 4, column 3): no <name>: add its class name; skipped"
    );
    assert_eq!(
        skipped_reason(&format!("<name/>{bbox}"), ReadOptions::default()),
        "object 0 (line 4, column 3): empty <name>: fill in its class name; skipped"
    );
    assert_eq!(
        skipped_reason("<name>dog</name><polygon><x>1</x></polygon>", ReadOptions::default()),
        "object 0 (\"dog\", line 4, column 3): no <bndbox> (only <bndbox> boxes are read, not polygons or masks); skipped"
    );
}

#[test]
fn bad_coordinates() {
    let cases: [([&str; 4], &str); 8] = [
        (["", "1", "9", "9"], "<xmin> is empty"),
        (["1", "abc", "9", "9"], "<ymin> \"abc\" is not a number"),
        (
            ["1", "1", "NaN", "9"],
            "<xmax> \"NaN\" is not a finite number",
        ),
        (
            ["1", "1", "9", "inf"],
            "<ymax> \"inf\" is not a finite number",
        ),
        (
            ["1", "1", "1e400", "9"],
            // Finite, only too large for f64 (issue #16.14: not "not a finite number").
            "<xmax> 1e400 is beyond ±1000000 pixels: the box is corrupt",
        ),
        (
            ["1", "1", "9e6", "9"],
            "<xmax> 9e6 is beyond ±1000000 pixels: the box is corrupt",
        ),
        (
            ["-2e6", "1", "9", "9"],
            "<xmin> -2e6 is beyond ±1000000 pixels",
        ),
        (["1", "1", "9,5", "9"], "<xmax> \"9,5\" is not a number"),
    ];
    for (coords, why) in cases {
        let r = skipped_reason(&obj("dog", coords), ReadOptions::default());
        assert_contains(
            &r,
            &["object 0 (\"dog\", line 4, column 3): ", why, "; skipped"],
        );
    }
    let r = skipped_reason(
        "<name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin><ymax>9</ymax></bndbox>",
        ReadOptions::default(),
    );
    assert_contains(&r, &["<bndbox> has no <xmax>"]);
    // <xmin/> (an empty element) is empty.
    let r = skipped_reason(
        "<name>dog</name><bndbox><xmin/><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox>",
        ReadOptions::default(),
    );
    assert_contains(&r, &["<xmin> is empty"]);
    // Surrounding whitespace and float text are fine.
    let a = resolve_xml(
        &ann(SIZE, &[&obj("dog", [" 1.5 ", "\n2\n", "9.25", "9"])]),
        ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(a.objects[0].pixel, [1.5, 2.0, 9.25, 9.0]);
}

#[test]
fn inverted_or_empty_boxes() {
    let r = skipped_reason(&obj("dog", ["40", "1", "12", "9"]), ReadOptions::default());
    assert_eq!(
        r,
        "object 0 (\"dog\", line 4, column 3): xmax (12) <= xmin (40): an empty or inverted box; skipped"
    );
    let r = skipped_reason(&obj("dog", ["1", "9", "12", "9"]), ReadOptions::default());
    assert_contains(&r, &["ymax (9) <= ymin (9): an empty or inverted box"]);
    // The rest of the file is kept, in order, with file indices intact.
    let a = resolve_xml(
        &ann(
            SIZE,
            &[
                &obj("dog", ["1", "1", "9", "9"]),
                &obj("cat", ["40", "1", "12", "9"]),
                &obj("person", ["1", "1", "99", "99"]),
            ],
        ),
        ReadOptions::default(),
    )
    .unwrap();
    let kept: Vec<(usize, &str)> = a
        .objects
        .iter()
        .map(|o| (o.index_in_file, o.name.as_str()))
        .collect();
    assert_eq!(kept, vec![(0, "dog"), (2, "person")]);
    assert_eq!(a.skipped[0].index_in_file, 1);
    assert_eq!(a.skipped[0].line, 5);
}

#[test]
fn boxes_outside_the_image() {
    let partly = obj("dog", ["400", "300", "600", "360"]); // x beyond 500
    let wholly = obj("cat", ["501", "10", "600", "50"]); // x1 = 500/500
    let xml = ann(SIZE, &[&partly, &wholly]);
    let a = resolve_xml(&xml, ReadOptions::default()).unwrap();
    assert_eq!(a.objects.len(), 2);
    assert!(a.objects.iter().all(|o| o.outside));
    assert!(a.objects[0].corners.x2 > 1.0, "not clipped by default");
    assert_eq!(a.warnings.len(), 2);
    assert_eq!(
        a.warnings[0],
        "object 0 (\"dog\", line 4, column 3): box (400, 300, 600, 360) extends outside the 500x375 image; kept unclipped as the reference does (--clip clamps it)"
    );
    assert_contains(
        &a.warnings[1],
        &["object 1 (\"cat\", line 5, column 3): box (501, 10, 600, 50) lies wholly outside the 500x375 image", "fix the box"],
    );
    // --clip: the partly outside box is clamped, the wholly outside one dropped.
    let clip = ReadOptions {
        clip: true,
        ..ReadOptions::default()
    };
    let a = resolve_xml(&xml, clip).unwrap();
    assert_eq!(a.objects.len(), 1);
    assert_eq!(a.objects[0].corners.x2, 1.0);
    assert!(a.objects[0].outside, "still counted as outside");
    assert_contains(
        &a.warnings[0],
        &["object 0 (\"dog\"", "clamped to it (--clip)"],
    );
    assert_contains(
        &a.skipped[0].to_string(),
        &[
            "object 1 (\"cat\", line 5, column 3)",
            "wholly outside the 500x375 image, so --clip leaves nothing of it; skipped",
        ],
    );
    // Inside boxes touching the border are not outside (VOC's 1-based xmax = width).
    let a = resolve_xml(
        &ann(SIZE, &[&obj("dog", ["1", "1", "500", "375"])]),
        ReadOptions::default(),
    )
    .unwrap();
    assert!(!a.objects[0].outside && a.warnings.is_empty());
}

#[test]
fn tag_case_variants_and_empty_elements() {
    let xml = "<Annotation><SIZE><Width>500</Width><HEIGHT>375</HEIGHT></SIZE>\
        <Object><Name>Dog</Name><Difficult>1</Difficult><Truncated/>\
        <BndBox><XMin>1</XMin><YMIN>2</YMIN><xmax>9</xmax><Ymax>9</Ymax></BndBox></Object>\
        <object><name>cat</name><difficult/><pose/><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>\
        </Annotation>";
    let a = resolve_xml(xml, ReadOptions::default()).unwrap();
    assert_eq!((a.width, a.height), (500, 375));
    assert_eq!(a.objects.len(), 2);
    assert_eq!(
        (a.objects[0].name.as_str(), a.objects[0].difficult),
        ("dog", true)
    );
    assert_eq!(a.objects[0].pixel, [1.0, 2.0, 9.0, 9.0]);
    assert!(!a.objects[0].truncated);
    assert!(!a.objects[1].difficult, "<difficult/> is not difficult");
}

#[test]
fn crlf_and_single_line_files() {
    let crlf = GOOD.replace('\n', "\r\n");
    let a = resolve_xml(&crlf, ReadOptions::default()).unwrap();
    let b = resolve_xml(GOOD, ReadOptions::default()).unwrap();
    assert_eq!(a, b);
    // One line: objects are told apart by column.
    let one: String = ann(
        SIZE,
        &[
            &obj("dog", ["1", "1", "9", "9"]),
            &obj("dog", ["9", "1", "1", "9"]),
        ],
    )
    .lines()
    .map(str::trim)
    .collect();
    let a = resolve_xml(&one, ReadOptions::default()).unwrap();
    assert_eq!((a.objects[0].line, a.objects[0].column), (1, 90));
    assert_eq!(a.skipped[0].line, 1);
    assert_eq!(
        a.skipped[0].column,
        90 + "<object>".len() + obj("dog", ["1", "1", "9", "9"]).len() + "</object>".len()
    );
    assert_contains(
        &a.skipped[0].to_string(),
        &[
            &format!("object 1 (\"dog\", line 1, column {})", a.skipped[0].column),
            "xmax (1) <= xmin (9)",
        ],
    );
}

#[test]
fn single_quoted_declaration() {
    let xml = GOOD.replace(
        r#"<?xml version="1.0" encoding="utf-8"?>"#,
        "<?xml version='1.0' encoding='utf-8' standalone='yes'?>",
    );
    assert!(xml.starts_with("<?xml version='1.0'"));
    assert_eq!(
        resolve_xml(&xml, ReadOptions::default())
            .unwrap()
            .objects
            .len(),
        1
    );
}

#[test]
fn duplicate_fields_warn_and_keep_the_first() {
    let xml = ann(
        SIZE,
        &["<name>dog</name><name>cat</name><bndbox><xmin>1</xmin><xmin>5</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox><bndbox></bndbox>"],
    );
    let a = resolve_xml(&xml, ReadOptions::default()).unwrap();
    assert_eq!(a.objects[0].name, "dog");
    assert_eq!(a.objects[0].pixel[0], 1.0);
    assert_eq!(
        a.warnings,
        vec![
            "line 4: object 0: a second <name>; the first (\"dog\") is used",
            "line 4: object 0: a second <xmin>; the first (\"1\") is used",
            "line 4: object 0: a second <bndbox>; the first is used",
        ]
    );
}

// ---------------------------------------------------------------- limits and entities

#[test]
fn deep_nesting_is_refused() {
    let deep = |n: usize| {
        let mut s = String::from("<annotation>");
        s.push_str(&"<a>".repeat(n));
        s.push_str(&"</a>".repeat(n));
        s.push_str("</annotation>");
        s
    };
    assert!(parse_annotation(deep(MAX_DEPTH - 1).as_bytes()).is_ok());
    let e = parse_err(deep(MAX_DEPTH + 10).as_bytes());
    assert_contains(
        &e,
        &[
            "line 1, column 778",
            "elements nested deeper than 256 levels",
            "not an annotation",
        ],
    );
    // A million open tags: refused at the limit, not a stack overflow.
    assert!(parse_err("<annotation>".repeat(1_000_000).as_bytes()).contains("deeper than 256"));
}

#[test]
fn entities_are_never_expanded() {
    // Billion laughs: 10^9 "lol"s if expanded.
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE annotation [\n <!ENTITY lol \"lol\">\n");
    xml.push_str(" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for k in 2..=9 {
        let prev = format!("&lol{};", k - 1).repeat(10);
        xml.push_str(&format!(" <!ENTITY lol{k} \"{prev}\">\n"));
    }
    xml.push_str("]>\n<annotation><size><width>5</width><height>5</height></size>\n");
    xml.push_str("<object><name>&lol9;</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>\n</annotation>");
    let raw = parse_annotation(xml.as_bytes()).unwrap();
    assert_eq!(raw.objects[0].name.as_deref(), Some("&lol9;"));
    assert_eq!(
        raw.warnings,
        vec![
            "line 2: the DOCTYPE declares entities; they are never expanded (references to them are kept as written)",
            "line 15, column 15: entity reference &lol9; is kept as written (entities are never expanded): replace it with its text",
        ]
    );
    // The five predefined entities and character references are text, not entities.
    let raw = parse_annotation(
        b"<annotation><object><name>a&amp;b&lt;&#x41;&#66;&quot;&apos;&gt;</name></object></annotation>",
    )
    .unwrap();
    assert_eq!(raw.objects[0].name.as_deref(), Some("a&b<AB\"'>"));
}

#[test]
fn warnings_are_capped() {
    let body = "&x;".repeat(10_000);
    let text = format!("<annotation><filename>{body}</filename></annotation>");
    let raw = parse_annotation(text.as_bytes()).unwrap();
    assert_eq!(raw.warnings.len(), MAX_WARNINGS + 1);
    assert_eq!(
        raw.warnings.last().unwrap(),
        &format!("... and {} more warnings like these", 10_000 - MAX_WARNINGS)
    );
}

#[test]
fn huge_files_are_refused_unread() {
    let dir = tempdir();
    let big = dir.path().join("big.xml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_FILE_BYTES + 1).unwrap(); // sparse: no disk used
    drop(f);
    write(dir.path(), "good.xml", GOOD);
    let e = read_raw(&big).unwrap_err();
    assert_eq!(
        e,
        "file is 67108865 bytes, over the 67108864-byte (64 MiB) limit for an annotation: a VOC annotation is a few kB, so this is not one"
    );
    let (_, outcomes) = run_dir(dir.path());
    assert_contains(
        &rejected(&outcomes, "big.xml"),
        &["big.xml: file is 67108865 bytes"],
    );
    assert_eq!(accepted(&outcomes, "good.xml").objects.len(), 1);
    // The byte-level reader applies the same limit.
    assert_eq!(
        parse_annotation(&vec![b' '; MAX_FILE_BYTES as usize + 1]),
        Err(XmlError::TooLarge(MAX_FILE_BYTES + 1))
    );
}

// ---------------------------------------------------------------- files and listings

#[test]
fn split_ids_without_xml() {
    let dir = tempdir();
    let year = dir.path().join("VOC2007");
    std::fs::create_dir_all(year.join("Annotations")).unwrap();
    std::fs::create_dir_all(year.join("ImageSets/Main")).unwrap();
    write(&year.join("Annotations"), "000001.xml", GOOD);
    std::fs::create_dir(year.join("Annotations/000003.xml")).unwrap();
    // Notepad's byte-order mark, CRLF, a blank line, a duplicate id.
    write(
        &year.join("ImageSets/Main"),
        "train.txt",
        "\u{FEFF}000001\r\n000002\n\n000003\n000001\n",
    );
    let listing = list_datasets(std::slice::from_ref(&year), Some("train"), None).unwrap();
    let ids: Vec<&str> = listing.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["000001", "000001"]);
    assert_eq!(listing.warnings.len(), 1);
    assert_contains(
        &listing.warnings[0].message,
        &["id \"000001\" is listed more than once; it is used each time"],
    );
    assert_eq!(listing.problems.len(), 2);
    assert!(listing.problems[0].path.ends_with("Annotations/000002.xml"));
    assert_contains(
        &listing.problems[0].message,
        &[
            "id \"000002\" is listed in ",
            "train.txt (line 2) but there is no such annotation file",
            "remove the id from the split",
        ],
    );
    assert_contains(
        &listing.problems[1].message,
        &["is a directory, not an annotation file"],
    );
    let (status, out) = audit(&["--split".as_ref(), "train".as_ref(), year.as_os_str()]);
    assert_eq!(status, 2, "{out}");
    assert_contains(&out, &["000002.xml"]);
}

#[test]
fn directories_named_xml() {
    let dir = tempdir();
    std::fs::create_dir(dir.path().join("folder.xml")).unwrap();
    write(dir.path(), "good.xml", GOOD);
    let (listing, outcomes) = run_dir(dir.path());
    assert_eq!(listing.problems.len(), 1);
    assert!(listing.problems[0].path.ends_with("folder.xml"));
    assert_eq!(
        listing.problems[0].message,
        "is a directory, not an annotation file; skipped"
    );
    assert_eq!(outcomes.len(), 1);
    assert_eq!(accepted(&outcomes, "good.xml").objects.len(), 1);
    // Read directly (e.g. listed by a split file racing a rename): the same message.
    assert_eq!(
        read_raw(&dir.path().join("folder.xml")).unwrap_err(),
        "is a directory, not an annotation file; skipped"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links() {
    let dir = tempdir();
    std::os::unix::fs::symlink("b.xml", dir.path().join("a.xml")).unwrap();
    std::os::unix::fs::symlink("a.xml", dir.path().join("b.xml")).unwrap();
    std::os::unix::fs::symlink("nowhere.xml", dir.path().join("c.xml")).unwrap();
    std::os::unix::fs::symlink("good.xml", dir.path().join("d.xml")).unwrap();
    write(dir.path(), "good.xml", GOOD);
    let (listing, outcomes) = run_dir(dir.path());
    let bad: Vec<String> = listing
        .problems
        .iter()
        .map(|p| {
            format!(
                "{}: {}",
                p.path.file_name().unwrap().to_string_lossy(),
                p.message
            )
        })
        .collect();
    assert_eq!(bad.len(), 3, "{bad:?}");
    for (k, name) in ["a.xml", "b.xml", "c.xml"].iter().enumerate() {
        assert_contains(
            &bad[k],
            &[
                name,
                ": is a symbolic link that cannot be followed (",
                "fix or delete the link",
            ],
        );
    }
    assert_contains(&bad[0], &["symbolic links"]); // ELOOP: "Too many levels of symbolic links"
                                                   // A link to a good file is a good file.
    assert_eq!(outcomes.len(), 2);
    assert_eq!(accepted(&outcomes, "d.xml").objects.len(), 1);
    let (status, out) = audit(&[dir.path().as_os_str()]);
    assert_eq!(status, 2, "{out}");
}

#[cfg(unix)]
#[test]
fn fifo_named_xml_does_not_hang() {
    let dir = tempdir();
    let fifo = dir.path().join("pipe.xml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: mkfifo not available");
        return;
    }
    write(dir.path(), "good.xml", GOOD);
    let (listing, outcomes) = run_dir(dir.path());
    assert_eq!(listing.problems.len(), 1);
    assert_contains(
        &listing.problems[0].message,
        &["is not a regular file (a FIFO, socket or device)"],
    );
    assert_eq!(outcomes.len(), 1);
    assert_contains(&read_raw(&fifo).unwrap_err(), &["not a regular file"]);
}

#[cfg(target_os = "linux")]
#[test]
fn unreadable_files() {
    // Tests run as root here, so chmod 000 does not block reading. A read error that root gets
    // too: /proc/self/mem is a regular file whose read at offset 0 fails with EIO.
    let dir = tempdir();
    std::os::unix::fs::symlink("/proc/self/mem", dir.path().join("mem.xml")).unwrap();
    write(dir.path(), "good.xml", GOOD);
    let (listing, outcomes) = run_dir(dir.path());
    assert!(listing.problems.is_empty());
    assert_eq!(outcomes.len(), 2);
    assert_contains(
        &rejected(&outcomes, "mem.xml"),
        &["mem.xml: cannot be read: ", "os error 5"],
    );
    assert_eq!(accepted(&outcomes, "good.xml").objects.len(), 1);
    let (status, out) = audit(&[dir.path().as_os_str()]);
    assert_eq!(status, 2, "{out}");
    assert_contains(&out, &["mem.xml", "cannot be read"]);

    // chmod 000: denied unless we are root (then it reads fine, which is also right).
    use std::os::unix::fs::PermissionsExt;
    let locked = write(dir.path(), "locked.xml", GOOD);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let root = std::fs::File::open(&locked).is_ok();
    match read_raw(&locked) {
        Ok(raw) => assert!(root && raw.objects.len() == 1),
        Err(e) => {
            assert!(!root);
            assert_contains(
                &e,
                &[
                    "cannot be read: Permission denied",
                    "give the user running ssd-assign read permission",
                ],
            );
        }
    }
}

/// Issue #16.4: file names that are not UTF-8 would have read as one lossy id (`\xff\xfe.xml`
/// and `\xfe\xff.xml` both as "\u{FFFD}\u{FFFD}"); each is now refused, named, and the run says so.
#[cfg(target_os = "linux")]
#[test]
fn non_utf8_file_names() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempdir();
    for name in [&b"\xff\xfe.xml"[..], b"\xfe\xff.xml", b"caf\xE9.xml"] {
        std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(name)), GOOD).unwrap();
    }
    write(dir.path(), "good.xml", GOOD);
    let (listing, outcomes) = run_dir(dir.path());
    assert_eq!(listing.problems.len(), 3, "{:?}", listing.problems);
    for p in &listing.problems {
        assert_contains(
            &p.message,
            &[
                "file name is not valid UTF-8",
                "two such names would get one id",
                "rename it",
            ],
        );
    }
    let ids: Vec<&str> = outcomes
        .iter()
        .map(|o| o.as_ref().unwrap().id.as_str())
        .collect();
    assert_eq!(ids, ["good"], "no two files share an id");
    let (status, out) = audit(&[dir.path().as_os_str()]);
    assert_eq!(status, 2, "{out}");
}

// ---------------------------------------------------------------- whole runs, the binary

/// One folder with one file of every kind the reader refuses, plus good ones.
fn zoo(dir: &Path) {
    write(dir, "a_good.xml", GOOD);
    write(dir, "b_empty.xml", "");
    write(dir, "c_text.xml", "this is not xml");
    write(dir, "d_truncated.xml", &GOOD[..200]);
    write(
        dir,
        "e_latin1.xml",
        b"<annotation><object><name>caf\xE9</name></object></annotation>",
    );
    write(dir, "f_root.xml", "<annotations/>");
    write(
        dir,
        "g_badbox.xml",
        ann(
            SIZE,
            &[
                &obj("dog", ["40", "1", "12", "9"]),
                &obj("cat", ["1", "1", "9", "9"]),
            ],
        ),
    );
    write(
        dir,
        "h_nosize.xml",
        ann("", &[&obj("dog", ["1", "1", "9", "9"])]),
    );
    write(dir, "i_png.xml", b"\x89PNG\r\n\x1a\n0000");
    write(dir, "z_good.xml", GOOD.replace("dog", "person"));
}

#[test]
fn the_rest_of_the_dataset_is_processed() {
    let dir = tempdir();
    zoo(dir.path());
    let (listing, outcomes) = run_dir(dir.path());
    assert_eq!(listing.entries.len(), 10);
    assert_eq!(outcomes.len(), 10);
    let ok: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ok, vec!["a_good", "g_badbox", "z_good"]);
    let g = accepted(&outcomes, "g_badbox.xml");
    assert_eq!((g.objects.len(), g.skipped.len()), (1, 1));
    for (name, what) in [
        ("b_empty.xml", "empty file"),
        ("c_text.xml", "text that is not XML"),
        ("d_truncated.xml", "truncated"),
        ("e_latin1.xml", "not valid UTF-8 at line 1, column 30"),
        ("f_root.xml", "root element is <annotations>"),
        ("h_nosize.xml", "no <size>, and no image found for it"),
        ("i_png.xml", "PNG image data"),
    ] {
        assert_contains(&rejected(&outcomes, name), &[name, what]);
    }
}

#[test]
fn audit_exit_status_and_messages() {
    let dir = tempdir();
    zoo(dir.path());
    let (status, out) = audit(&[dir.path().as_os_str()]);
    assert_eq!(status, 2, "{out}");
    for name in [
        "b_empty.xml",
        "c_text.xml",
        "d_truncated.xml",
        "e_latin1.xml",
        "f_root.xml",
        "h_nosize.xml",
        "i_png.xml",
    ] {
        assert_contains(&out, &[name]);
    }
    assert!(!out.contains("panicked"), "{out}");
    // The same run on 1 and 4 threads says the same.
    let (s1, o1) = audit(&["--jobs".as_ref(), "1".as_ref(), dir.path().as_os_str()]);
    let (s4, o4) = audit(&["--jobs".as_ref(), "4".as_ref(), dir.path().as_os_str()]);
    assert_eq!((s1, &o1), (s4, &o4));

    // A clean folder exits 0; an invalid object alone is a rejection (2).
    let clean = tempdir();
    write(clean.path(), "a.xml", GOOD);
    let (status, out) = audit(&[clean.path().as_os_str()]);
    assert_eq!(status, 0, "{out}");
    let one_bad_box = tempdir();
    write(
        one_bad_box.path(),
        "a.xml",
        ann(SIZE, &[&obj("dog", ["40", "1", "12", "9"])]),
    );
    let (status, out) = audit(&[one_bad_box.path().as_os_str()]);
    assert_eq!(status, 2, "{out}");
}

// ---------------------------------------------------------------- --check-images

#[test]
fn image_checks() {
    let dir = tempdir();
    let d = dir.path();
    let xml = |name: &str, w: u32, h: u32| {
        GOOD.replace("good.jpg", name)
            .replace("<width>500</width>", &format!("<width>{w}</width>"))
            .replace("<height>375</height>", &format!("<height>{h}</height>"))
    };
    write(d, "ok.xml", xml("ok.png", 500, 375));
    png(&d.join("ok.png"), 500, 375);
    write(d, "missing.xml", xml("missing.jpg", 500, 375));
    write(d, "garbage.xml", xml("garbage.jpg", 500, 375));
    write(d, "garbage.jpg", b"not an image at all");
    write(d, "png_as_jpg.xml", xml("png_as_jpg.jpg", 500, 375));
    png(&d.join("png_as_jpg.png"), 500, 375);
    std::fs::rename(d.join("png_as_jpg.png"), d.join("png_as_jpg.jpg")).unwrap();
    write(d, "swapped.xml", xml("swapped.png", 375, 500));
    png(&d.join("swapped.png"), 500, 375);
    write(d, "other.xml", xml("other.png", 640, 480));
    png(&d.join("other.png"), 500, 375);
    let (listing, outcomes) = run_dir(d);
    let found = |name: &str| -> Vec<ImageFinding> {
        let k = listing
            .entries
            .iter()
            .position(|e| e.xml().ends_with(name))
            .unwrap();
        check_image(
            &listing.entries[k],
            &outcomes[k].as_ref().unwrap().annotation,
        )
        .findings
    };
    assert!(found("ok.xml").is_empty());
    let f = found("missing.xml");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind().name(), "missing_image");
    assert_contains(
        &f[0].to_string(),
        &[
            "image missing: looked in ",
            "<filename> \"missing.jpg\"",
            "pass --images DIR",
        ],
    );
    let f = found("garbage.xml");
    assert_eq!(f[0].kind().name(), "unreadable_image");
    assert_contains(
        &f[0].to_string(),
        &["garbage.jpg cannot be read: not a known image format"],
    );
    let f = found("png_as_jpg.xml");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind().name(), "format_mismatch");
    assert_contains(
        &f[0].to_string(),
        &[
            "png_as_jpg.jpg holds PNG data but is named .jpg",
            "rename it or convert it",
        ],
    );
    let f = found("swapped.xml");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind().name(), "size_swapped");
    assert_contains(
        &f[0].to_string(),
        &[
            "<size> 375x500 is image ",
            "500x375 with width and height swapped",
            "EXIF rotation",
        ],
    );
    let f = found("other.xml");
    assert_eq!(f[0].kind().name(), "size_mismatch");
    assert_contains(
        &f[0].to_string(),
        &["<size> 640x480 disagrees with image ", "which is 500x375"],
    );
    // JSON form: a stable `kind` tag.
    let json = serde_json::to_value(&f[0]).unwrap();
    assert_eq!(json["kind"], "size_mismatch");
    assert_eq!(json["image"], serde_json::json!([500, 375]));
}

#[test]
fn exif_rotation_is_named() {
    use image::ImageEncoder;
    let dir = tempdir();
    let d = dir.path();
    // A 500x375 JPEG whose EXIF says "rotate 90° clockwise to display" (orientation 6):
    // a minimal little-endian TIFF block with one IFD entry, tag 0x0112 SHORT = 6.
    let exif: Vec<u8> = [
        &b"II\x2A\0\x08\0\0\0"[..],
        &[1, 0],
        &[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0],
        &[0, 0, 0, 0],
    ]
    .concat();
    let file = std::fs::File::create(d.join("r.jpg")).unwrap();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(file, 80);
    enc.set_exif_metadata(exif).unwrap();
    enc.write_image(
        &vec![128u8; 500 * 375 * 3],
        500,
        375,
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    // Annotated on the rotated view: <size> 375x500.
    write(
        d,
        "r.xml",
        GOOD.replace("good.jpg", "r.jpg")
            .replace("<width>500</width>", "<width>375</width>")
            .replace("<height>375</height>", "<height>500</height>"),
    );
    let (listing, outcomes) = run_dir(d);
    let c = check_image(
        &listing.entries[0],
        &outcomes[0].as_ref().unwrap().annotation,
    );
    let info = c.image.unwrap();
    assert_eq!(
        (info.format.as_str(), info.width, info.height),
        ("jpeg", 500, 375)
    );
    assert_eq!(info.exif_orientation, Some(6));
    assert_eq!(c.findings.len(), 1);
    assert_contains(
        &c.findings[0].to_string(),
        &[
            "<size> 375x500 is image ",
            "500x375 with width and height swapped",
            "EXIF orientation 6 (shown rotated a quarter turn)",
        ],
    );
}

// ---------------------------------------------------------------- never a panic

/// Mutations of a valid annotation: byte flips, cuts, splices of markup.
pub(crate) fn mutated() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "<",
        ">",
        "</",
        "/>",
        "<object>",
        "</object>",
        "<bndbox>",
        "<xmin>",
        "</xmin>",
        "&",
        "&lol;",
        "&#0;",
        "&#xD800;",
        "<![CDATA[",
        "]]>",
        "<!DOCTYPE a [<!ENTITY x 'y'>]>",
        "<?xml ?>",
        "\u{FEFF}",
        "\0",
        "\r\n",
        "NaN",
        "-1e309",
        "\"",
        "'",
        "<!--",
        "-->",
        "\u{10FFFF}",
    ]);
    (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        prop::collection::vec((any::<prop::sample::Index>(), pieces), 0..6),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(flips, splices, cut, do_cut)| {
            let mut b = GOOD.as_bytes().to_vec();
            for (at, piece) in splices {
                let k = at.index(b.len() + 1);
                b.splice(k..k, piece.bytes());
            }
            for (at, byte) in flips {
                let k = at.index(b.len());
                b[k] = byte;
            }
            if do_cut {
                b.truncate(cut.index(b.len() + 1));
            }
            b
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(raw) = parse_annotation(&bytes) {
            let _ = resolve(raw, &LabelMap::voc(), &ReadOptions::default(), &mut |_| Err("none".into()));
        }
    }

    #[test]
    fn mutated_annotations_never_panic(bytes in mutated()) {
        match parse_annotation(&bytes) {
            Ok(raw) => {
                let clip = ReadOptions { clip: true, ..ReadOptions::default() };
                for opts in [ReadOptions::default(), clip] {
                    if let Ok(a) = resolve(raw.clone(), &LabelMap::voc(), &opts, &mut |_| Ok((7, 3))) {
                        for s in &a.skipped {
                            prop_assert!(!s.to_string().is_empty());
                        }
                        for o in &a.objects {
                            prop_assert!(o.corners.x2 > o.corners.x1 && o.corners.y2 > o.corners.y1);
                        }
                    }
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
