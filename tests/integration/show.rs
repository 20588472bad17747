//! `ssd-assign show` through the real binary (issue #12): the collision of reference.md's worked
//! example drawn at known pixels (PNG) and as known elements (SVG), the bad images of
//! fixtures/pictures drawn on a blank canvas or with a note, the refusals.
//!
//! fixtures/pictures/Annotations/collision.xml is reference.md's collision_ab at half scale
//! (500 x 500; the same normalised boxes): person A (176,241,281,351) and dog B
//! (216,251,286,391), VOC 1-based, so 0-based A = (175,240)-(280,350), B = (215,250)-(285,390).
//! Both have best prior 281 = (cx 0.5, cy 0.642857134, w 0.141421363, h 0.282842726)
//! (reference.md, spot values); its corners times 500 are x 214.64-285.36, y 250.72-392.14. B, the
//! later, keeps it; A is left with no positive. The PNG of a 500-pixel image is drawn twice as
//! large: every coordinate below is doubled.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::audit::ssd_assign;

const GREEN: [u8; 3] = [0x00, 0x9e, 0x73]; // object
const PINK: [u8; 3] = [0xcc, 0x79, 0xa7]; // object that took the prior
const VERMILLION: [u8; 3] = [0xd5, 0x5e, 0x00]; // shared prior
const BLANK: [u8; 3] = [217, 217, 217];

fn pictures(name: &str) -> String {
    format!("fixtures/pictures/Annotations/{name}.xml")
}

fn show(args: &[&str]) -> Output {
    let mut all = vec!["show"];
    all.extend_from_slice(args);
    ssd_assign(&all)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn show_png(name: &str, dir: &Path) -> (image::RgbImage, Output) {
    let out = dir.join(format!("{name}.png"));
    let o = show(&[&pictures(name), "--out", out.to_str().unwrap(), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let img = image::open(&out).expect("the PNG decodes").into_rgb8();
    (img, o)
}

fn close(p: [u8; 3], c: [u8; 3]) -> bool {
    p.iter().zip(c).all(|(a, b)| a.abs_diff(b) <= 24)
}

/// Some pixel of the rectangle x0..=x1, y0..=y1 has colour `c`.
fn has_colour(
    img: &image::RgbImage,
    (x0, x1): (u32, u32),
    (y0, y1): (u32, u32),
    c: [u8; 3],
) -> bool {
    (y0..=y1).any(|y| (x0..=x1).any(|x| close(img.get_pixel(x, y).0, c)))
}

#[test]
fn show_png_draws_both_objects_of_a_collision_and_the_shared_prior() {
    let dir = tempfile::tempdir().unwrap();
    let (img, o) = show_png("collision", dir.path());
    // 1000 x 1000 for the image, then the text below it.
    assert_eq!(img.width(), 1000);
    assert!(img.height() > 1000);
    // A, in focus: its left edge x = 350 between y 560 and 640, where nothing else is drawn.
    assert!(has_colour(&img, (348, 352), (560, 640), GREEN));
    assert!(
        !has_colour(&img, (300, 340), (560, 640), GREEN),
        "no green left of A"
    );
    // B took the prior: its left edge x = 430 below A's box (y 720-770); the shared prior's
    // dashed edge lies on it (x 429.3), with B's colour between the dashes.
    assert!(has_colour(&img, (428, 432), (720, 770), PINK));
    assert!(has_colour(&img, (427, 432), (720, 770), VERMILLION));
    // The shared prior's bottom edge y = 784.3 lies 4 pixels below B's (780), right of B's tag
    // (drawn below B's box from x = 430, 5 letters of 16 pixels).
    assert!(has_colour(&img, (525, 560), (785, 787), VERMILLION));
    assert!(!has_colour(&img, (525, 560), (785, 787), PINK));
    // Nothing of the kind far from the objects (the sky at the top left).
    assert!(!has_colour(&img, (0, 300), (0, 300), VERMILLION));
    let err = stderr(&o);
    assert!(
        err.contains(
            "object 0 \"person\": unmatched, lost a collision: its best prior 281 was taken by \
             object 1 \"dog\" (best IoU 0.43 with prior 281)"
        ),
        "{err}"
    );
}

/// One SVG element of interest: its group's class and its attributes.
#[derive(Debug)]
struct Rect {
    class: String,
    attrs: std::collections::BTreeMap<String, String>,
}

/// The stroked `<rect>`s of an SVG (those whose stroke is not the black halo), with the class of
/// their `<g>`, and the `href` of its `<image>`.
fn svg_rects(svg: &str) -> (Vec<Rect>, Option<String>) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(svg);
    let (mut rects, mut href, mut class) = (Vec::new(), None, String::new());
    loop {
        match reader.read_event().expect("well-formed SVG") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attrs: std::collections::BTreeMap<String, String> = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned();
                        (a.key.as_ref().to_string(), v)
                    })
                    .collect();
                match e.name().as_ref() {
                    "g" => class = attrs.get("class").cloned().unwrap_or_default(),
                    "image" => href = attrs.get("href").cloned(),
                    "rect" if attrs.get("stroke").is_some_and(|s| s != "#000") => {
                        rects.push(Rect {
                            class: class.clone(),
                            attrs,
                        })
                    }
                    _ => {}
                }
            }
            Event::End(e) if e.name().as_ref() == "g" => class.clear(),
            _ => {}
        }
    }
    (rects, href)
}

fn geometry(r: &Rect) -> [f64; 4] {
    ["x", "y", "width", "height"].map(|k| r.attrs[k].parse().unwrap())
}

#[test]
fn show_svg_holds_both_objects_and_the_shared_prior_as_elements() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("collision.svg");
    let o = show(&[&pictures("collision"), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&out).unwrap();
    let (rects, href) = svg_rects(&svg);
    let of = |class: &str| -> Vec<&Rect> { rects.iter().filter(|r| r.class == class).collect() };
    // In image coordinates (500 x 500), not doubled.
    let objects = of("object");
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(geometry(objects[0]), [175.0, 240.0, 105.0, 110.0]);
    assert_eq!(objects[0].attrs["stroke"], "#009e73");
    let takers = of("taker");
    assert_eq!(takers.len(), 1);
    assert_eq!(geometry(takers[0]), [215.0, 250.0, 70.0, 140.0]);
    assert_eq!(takers[0].attrs["stroke"], "#cc79a7");
    let shared = of("shared-prior");
    assert_eq!(shared.len(), 1);
    assert_eq!(geometry(shared[0]), [214.6, 250.7, 70.7, 141.4]);
    assert_eq!(shared[0].attrs["stroke"], "#d55e00");
    assert!(shared[0].attrs.contains_key("stroke-dasharray"));
    // B's other positive: prior 279 = (0.5, 0.642857, 0.2, 0.2): x 200-300, y 271.4-371.4.
    let positives = of("positive");
    assert_eq!(positives.len(), 1);
    assert_eq!(geometry(positives[0]), [200.0, 271.4, 100.0, 100.0]);
    // The legend names each role drawn.
    for words in [
        "object that took the prior",
        "shared prior (lost collision)",
    ] {
        assert!(svg.contains(words), "{words}");
    }
    // The image is embedded as it is: the JPEG of the fixture.
    use base64::Engine as _;
    let href = href.expect("an <image>");
    let b64 = href
        .strip_prefix("data:image/jpeg;base64,")
        .expect("a JPEG data URI");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!((img.width(), img.height()), (500, 500));
}

#[test]
fn show_without_a_readable_image_draws_on_a_blank_canvas_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "missing_image",
            "no image found (looked in fixtures/pictures/JPEGImages)",
        ),
        (
            "not_an_image",
            "not a known image format (JPEG, PNG, BMP, GIF, WebP, TIFF)",
        ),
        (
            "huge",
            "huge.png is 20000 x 20000 pixels, more than the 40 million a picture decodes: not \
             decoded",
        ),
    ];
    for (name, why) in cases {
        let (img, o) = show_png(name, dir.path());
        let err = stderr(&o);
        assert!(err.contains(why), "{name}: {err}");
        assert!(
            err.contains("drawn on a blank canvas of <size>"),
            "{name}: {err}"
        );
        assert!(
            close(img.get_pixel(3, 3).0, BLANK),
            "{name}: a blank canvas"
        );
        assert_eq!(o.status.code(), Some(0), "{name}: nothing was rejected");
    }
    // The cat's box is drawn on the blank canvas: (119,109)-(329,319), doubled.
    let (img, _) = show_png("missing_image", dir.path());
    assert!(has_colour(&img, (236, 240), (300, 500), GREEN));
    // A <size> of 20,000 x 20,000 is drawn on a canvas reduced to 1600 pixels (not 1.6 GB).
    let (img, _) = show_png("huge", dir.path());
    assert_eq!(img.width(), 1600);
}

#[test]
fn show_notes_what_it_decoded_differently() {
    let dir = tempfile::tempdir().unwrap();
    let (_, o) = show_png("png_named_jpg", dir.path());
    assert!(stderr(&o).contains("the file is PNG though named .jpg: decoded by its content"));
    let (_, o) = show_png("truncated", dir.path());
    assert!(stderr(&o).contains("the JPEG has no end marker: the file is cut off"));
    // <size> 500 x 375, image 250 x 188 (drawn doubled: 500 x 376): the sheep's box
    // (99,149)-(299,329) in <size> coordinates is scaled by 0.5, then doubled.
    let (img, o) = show_png("size_mismatch", dir.path());
    assert!(stderr(&o).contains(
        "the image is 250 x 188 but <size> says 500 x 375: boxes and priors are drawn in <size> \
         coordinates (where matching works) scaled to the image"
    ));
    assert_eq!(img.width(), 500);
    assert!(has_colour(&img, (97, 101), (200, 300), GREEN));
    assert!(!has_colour(&img, (0, 90), (200, 300), GREEN));
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const ONE_OBJECT: &str = "<annotation><size><width>100</width><height>100</height></size>\
    <object><name>NAME</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>60</xmax>\
    <ymax>70</ymax></bndbox></object></annotation>";

#[test]
fn show_escapes_class_names_in_svg() {
    let dir = tempfile::tempdir().unwrap();
    let xml = write(
        dir.path(),
        "x.xml",
        &ONE_OBJECT.replace("NAME", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    );
    let out = dir.path().join("x.svg");
    let o = show(&[
        xml.to_str().unwrap(),
        "--classes",
        "auto",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(
        svg.contains("0 &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{svg}"
    );
    assert!(!svg.contains("<script"));
    svg_rects(&svg); // still well-formed
}

#[test]
fn show_refuses_a_bad_annotation_and_bad_flags_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.xml", "<annotation><size><width>10</wid");
    let out = dir.path().join("bad.png");
    let o = show(&[bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "rejected: {}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:", bad.display())), "{err}");
    assert!(err.contains("nothing drawn: fix the annotation"), "{err}");
    assert!(!out.exists());

    let o = show(&[&pictures("collision"), "--out", "x.gif"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--out x.gif: name a .png or a .svg file, e.g. --out picture.png"));

    let o = show(&[&pictures("collision"), "--object", "7", "--out", "x.png"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--object 7:"), "{}", stderr(&o));

    // An existing file is kept without --force, replaced with it.
    let kept = write(dir.path(), "kept.png", "mine");
    let o = show(&[&pictures("collision"), "--out", kept.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "mine");
    let o = show(&[
        &pictures("collision"),
        "--out",
        kept.to_str().unwrap(),
        "--force",
    ]);
    assert!(o.status.success());
    assert!(image::open(&kept).is_ok());
}

#[test]
fn show_all_priors_draws_the_cells_of_the_objects() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.svg");
    let o = show(&[
        &pictures("collision"),
        "--all-priors",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (rects, _) = svg_rects(&std::fs::read_to_string(&out).unwrap());
    let cell: Vec<_> = rects.iter().filter(|r| r.class == "cell-prior").collect();
    // Both centres are in cell (row 4, column 3), priors 279-287: 9 priors, of which 279 (B's
    // positive) and 281 (shared) are drawn in their own roles.
    assert_eq!(cell.len(), 7, "{cell:?}");
}
