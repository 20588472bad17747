//! The HTML report's gallery (issue #12) on fixtures/pictures: which images, in which order, each
//! embedded thumbnail decoding, a placeholder with its reason for every image that cannot be
//! drawn on, text from the data escaped, and no panic when an annotation vanished meanwhile.

use std::path::Path;

use base64::Engine as _;
use ssd_assign::assign::MatchParams;
use ssd_assign::pipeline::Engine;
use ssd_assign::priors::PriorSet;
use ssd_assign::render::gallery::{gallery, gallery_markup, GalleryItem, Thumbnail};
use ssd_assign::report::{AssignmentReport, AssignmentTally};
use ssd_assign::voc::dataset::{list_datasets, Listing};

use crate::common::{engine, fixtures};

/// The audit's report of `dataset` (its tally, as `audit` folds it: 20 worst, 3 examples).
fn audit(engine: &Engine, dataset: &Path) -> (Listing, AssignmentReport) {
    audit_keeping(engine, dataset, 0)
}

/// [`audit`], the tally keeping `gallery` cases for a gallery.
fn audit_keeping(engine: &Engine, dataset: &Path, gallery: usize) -> (Listing, AssignmentReport) {
    let listing = list_datasets(&[dataset.to_path_buf()], None, None).expect("lists");
    let mut tally = AssignmentTally::new(&engine.priors, &engine.params, &engine.labels);
    tally.keep_gallery(gallery);
    engine
        .run(
            &listing.entries,
            2,
            |_| {},
            |o| {
                if let Ok(r) = &o {
                    tally.add(r);
                }
                Ok::<(), ()>(())
            },
        )
        .unwrap();
    (listing, tally.finish(20, 1000))
}

fn pictures_gallery(n: usize) -> Vec<GalleryItem> {
    let engine = engine(PriorSet::tiny_detector(), MatchParams::default());
    let (listing, report) = audit(&engine, &fixtures().join("pictures"));
    gallery(&report, &engine, &listing.entries, n)
}

fn reason(it: &GalleryItem) -> Option<&str> {
    match &it.image {
        Thumbnail::Placeholder { reason, .. } => Some(reason),
        Thumbnail::Jpeg { .. } => None,
    }
}

/// The order: lost collisions and unmatched objects first (collision's person, best IoU 0.4308
/// as reference.md says, then street's person, 0.55), then every other image by its lowest best
/// IoU (the audit's text report: bird 0.160, bottle 0.441, boat 0.465, cat 0.57, cow 0.68,
/// sheep 0.69, horse 0.80); one item per image.
#[test]
fn gallery_has_one_item_per_image_worst_first() {
    let items = pictures_gallery(24);
    let ids: Vec<&str> = items.iter().map(|i| i.case.image_id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "collision",
            "street",
            "forced_only",
            "png_named_jpg",
            "huge",
            "missing_image",
            "not_an_image",
            "size_mismatch",
            "truncated"
        ]
    );
    let anchors: Vec<&str> = items.iter().map(|i| i.anchor.as_str()).collect();
    assert_eq!(anchors[..3], ["case-1", "case-2", "case-3"]);
    // The object in focus is the case's; in the collision, B took A's prior.
    let c = &items[0];
    assert_eq!((c.case.object_index, c.case.class.as_str()), (0, "person"));
    let scene = c.scene.as_ref().unwrap();
    assert_eq!(scene.focus, Some(0));
    assert_eq!(
        scene.collision.as_deref(),
        Some("its best prior 281 was taken by object 1 \"dog\"")
    );
    // At most n.
    let three = pictures_gallery(3);
    assert_eq!(three.len(), 3);
    assert_eq!(three[2].case.image_id, "forced_only");
}

#[test]
fn gallery_shows_a_placeholder_with_the_reason_for_images_it_cannot_draw_on() {
    let items = pictures_gallery(24);
    let by_id = |id: &str| items.iter().find(|i| i.case.image_id == id).unwrap();
    assert!(reason(by_id("missing_image"))
        .unwrap()
        .starts_with("no image found (looked in "));
    assert!(reason(by_id("not_an_image")).unwrap().ends_with(
        "not_an_image.jpg cannot be read: not a known image format (JPEG, PNG, BMP, GIF, WebP, \
         TIFF)"
    ));
    assert!(reason(by_id("huge")).unwrap().ends_with(
        "huge.png is 20000 x 20000 pixels, more than the 40 million a picture decodes: not decoded"
    ));
    // Placeholders keep <size> as the canvas: the boxes are drawn on it.
    match &by_id("huge").image {
        Thumbnail::Placeholder { width, height, .. } => {
            assert_eq!((*width, *height), (20000, 20000))
        }
        other => panic!("{other:?}"),
    }
    // Decoded, with a note: by content, cut off, and a size other than <size> (the canvas is the
    // real image's).
    let notes = |id: &str| by_id(id).scene.as_ref().unwrap().notes.join("\n");
    assert!(reason(by_id("png_named_jpg")).is_none());
    assert!(notes("png_named_jpg").contains("the file is PNG though named .jpg"));
    assert!(reason(by_id("truncated")).is_none());
    assert!(notes("truncated").contains("the JPEG has no end marker"));
    match &by_id("size_mismatch").image {
        Thumbnail::Jpeg { width, height, .. } => assert_eq!((*width, *height), (250, 188)),
        other => panic!("{other:?}"),
    }
    assert!(notes("size_mismatch").contains("the image is 250 x 188 but <size> says 500 x 375"));
}

/// Every `data:image/jpeg;base64,` URI of the markup, decoded.
fn embedded_images(html: &str) -> Vec<image::DynamicImage> {
    let prefix = "data:image/jpeg;base64,";
    html.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &html[at + prefix.len()..];
            let end = rest.find('"').expect("the attribute ends");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&rest[..end])
                .expect("base64");
            image::load_from_memory(&bytes).expect("the thumbnail decodes")
        })
        .collect()
}

#[test]
fn gallery_markup_holds_every_item_and_each_thumbnail_decodes() {
    let items = pictures_gallery(24);
    let html = gallery_markup(&items).into_string();
    assert_eq!(html.matches("<figure ").count(), items.len());
    for it in &items {
        assert!(
            html.contains(&format!("id=\"{}\"", it.anchor)),
            "{}",
            it.anchor
        );
        assert!(
            html.contains(&format!("href=\"#{}\"", it.anchor)),
            "{}",
            it.anchor
        );
        assert!(html.contains(&it.case.path));
    }
    let images = embedded_images(&html);
    let jpegs = items
        .iter()
        .filter(|i| matches!(i.image, Thumbnail::Jpeg { .. }))
        .count();
    assert_eq!((images.len(), jpegs), (6, 6));
    for img in &images {
        assert!(img.width().max(img.height()) <= 512);
    }
    // The collision's thumbnail is its 500 x 500 image, not resized (at most 512).
    assert_eq!((images[0].width(), images[0].height()), (500, 500));
    // The legend and placeholder reasons are there, and the same input gives the same bytes.
    assert!(html.contains("object that took the prior"));
    assert!(html.contains("no image found (looked in "));
    assert_eq!(gallery_markup(&pictures_gallery(24)).into_string(), html);
}

#[test]
fn gallery_escapes_class_and_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let name = "<script>alert(1)</script>";
    let xml = "<annotation><size><width>100</width><height>100</height></size><object>\
         <name>&lt;script&gt;alert(1)&lt;/script&gt;</name><bndbox><xmin>11</xmin>\
         <ymin>11</ymin><xmax>30</xmax><ymax>25</ymax></bndbox></object></annotation>";
    std::fs::write(dir.path().join("a<b>&c.xml"), xml).unwrap();
    let mut engine = engine(PriorSet::tiny_detector(), MatchParams::default());
    engine.labels = ssd_assign::voc::LabelMap::auto([name.to_string()]);
    let (listing, report) = audit(&engine, dir.path());
    let items = gallery(&report, &engine, &listing.entries, 24);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].case.class, name);
    let html = gallery_markup(&items).into_string();
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("a&lt;b&gt;&amp;c"));
}

#[test]
fn gallery_goes_on_when_an_annotation_cannot_be_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures().join("pictures/Annotations");
    let ann = dir.path().join("Annotations");
    std::fs::create_dir(&ann).unwrap();
    for f in ["collision.xml", "forced_only.xml"] {
        std::fs::copy(src.join(f), ann.join(f)).unwrap();
    }
    let engine = engine(PriorSet::tiny_detector(), MatchParams::default());
    let (listing, report) = audit(&engine, dir.path());
    std::fs::write(ann.join("collision.xml"), "<annotation>").unwrap();
    let items = gallery(&report, &engine, &listing.entries, 24);
    assert_eq!(items.len(), 2);
    assert!(items[0].scene.is_none());
    assert!(reason(&items[0])
        .unwrap()
        .starts_with("the annotation cannot be read again: "));
    // The other item is drawn (its image is missing here: a blank canvas, with the reason).
    assert!(items[1].scene.is_some());
    let html = gallery_markup(&items).into_string();
    assert!(html.contains("the annotation cannot be read again"));
}

/// With `keep_gallery`, the tally lists each image's worst object over the whole dataset (here
/// the same order as from the report's lists, and street's worst is its unmatched person, not its
/// bird of IoU 0.06), and the JSON report is the same bytes.
#[test]
fn a_tally_asked_for_a_gallery_lists_one_case_per_image_and_the_json_is_unchanged() {
    let engine = engine(PriorSet::tiny_detector(), MatchParams::default());
    let dataset = fixtures().join("pictures");
    let (listing, plain) = audit(&engine, &dataset);
    let (_, kept) = audit_keeping(&engine, &dataset, 24);
    assert!(plain.gallery_cases.is_empty());
    assert_eq!(
        serde_json::to_string(&plain).unwrap(),
        serde_json::to_string(&kept).unwrap()
    );
    let ids: Vec<&str> = kept
        .gallery_cases
        .iter()
        .map(|c| c.image_id.as_str())
        .collect();
    let from_lists: Vec<String> = gallery(&plain, &engine, &listing.entries, 24)
        .into_iter()
        .map(|i| i.case.image_id)
        .collect();
    assert_eq!(ids, from_lists);
    assert_eq!(kept.gallery_cases[1].class, "person");
    let (_, two) = audit_keeping(&engine, &dataset, 2);
    assert_eq!(two.gallery_cases.len(), 2);
    let items = gallery(&kept, &engine, &listing.entries, 24);
    assert_eq!(items.len(), 9);
}

/// The gallery of an archive of fixtures/pictures: a `.tar` and a `.zip` give the folder's
/// items (the same images decoded from their members, the same thumbnails); a `.tar.gz` keeps
/// only its images' header facts, so each item the folder draws on its image is drawn on a
/// blank canvas of `<size>` that says why.
#[test]
fn an_archive_gallery_draws_on_the_images_inside_it() {
    use crate::archive_builders::{archive_bytes, folder_members, write_to, Kind, Order, Prefix};
    let engine = engine(PriorSet::tiny_detector(), MatchParams::default());
    let folder = fixtures().join("pictures");
    let (listing, report) = audit(&engine, &folder);
    let expected = gallery(&report, &engine, &listing.entries, 24);
    assert!(
        expected
            .iter()
            .filter(|i| matches!(i.image, Thumbnail::Jpeg { .. }))
            .count()
            >= 5
    );
    let dir = tempfile::tempdir().unwrap();
    let members = folder_members(&folder, Prefix::Folder("pictures"), Order::Sorted, |_| true);
    for kind in [Kind::Tar, Kind::Zip, Kind::TarGz] {
        let name = format!("pictures.{}", kind.ext());
        let archive = write_to(dir.path(), &name, &archive_bytes(kind, &members));
        let (listing, report) = audit(&engine, &archive);
        let items = gallery(&report, &engine, &listing.entries, 24);
        assert_eq!(items.len(), expected.len(), "{name}");
        for (got, want) in items.iter().zip(&expected) {
            assert_eq!(got.case.image_id, want.case.image_id, "{name}");
            match (&got.image, &want.image, kind) {
                (
                    got @ Thumbnail::Jpeg { .. },
                    want @ Thumbnail::Jpeg { .. },
                    Kind::Tar | Kind::Zip,
                ) => {
                    assert_eq!(got, want, "{name}")
                }
                (Thumbnail::Placeholder { reason, .. }, Thumbnail::Jpeg { .. }, Kind::TarGz) => {
                    assert!(
                        reason.contains("not kept from the compressed stream"),
                        "{name}: {reason}"
                    );
                    assert!(
                        reason.contains(&format!("{name}:pictures/JPEGImages/")),
                        "{reason}"
                    );
                }
                (Thumbnail::Placeholder { .. }, Thumbnail::Placeholder { .. }, _) => {}
                (g, w, _) => panic!("{name}: {} is {g:?}, the folder's {w:?}", got.case.image_id),
            }
        }
    }
}
