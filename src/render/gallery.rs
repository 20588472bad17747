//! The gallery of the HTML report: the worst cases of one configuration's report, one item per
//! image, each image decoded, reduced to a thumbnail and drawn with its objects and priors (the
//! [`overlay`] of that image, as inline SVG over the JPEG thumbnail, so that lines and text stay
//! sharp when enlarged). Click a thumbnail to enlarge it (CSS `:target`, no JavaScript).
//!
//! Which cases and in which order ([`cases`]): the report's `objects_to_look_at` examples and
//! `worst_cases`, lost collisions and unmatched objects first, then by lowest best IoU, one item
//! per image (its first case in that order is the object in focus, all its objects are drawn).
//! The figures come from the report; each chosen image is read and matched again with the
//! engine the audit used ([`Engine::process`]), which gives what the drawing needs and the
//! report does not keep: the priors each object got and who took a lost one.
//!
//! An image that cannot be drawn on (missing, unreadable, too large: see [`super::overlay::picture`]) gives a
//! placeholder with the reason, its boxes drawn on a blank canvas of `<size>`; an annotation that
//! cannot be read again gives a placeholder alone. Nothing here panics on bad data.

use base64::Engine as _;
use maud::{html, Markup};

use super::overlay::svg::{self, role_class, Background};
use super::overlay::{Role, Scene, SceneOptions};
use crate::pipeline::{Engine, Worker};
use crate::report::gt_rows::GtStatus;
use crate::report::{AssignmentReport, WorstCase};
use crate::voc::dataset::ImageEntry;
use crate::voc::source::{AnnotationSource, Listed};

/// Items in the gallery unless told otherwise (`--gallery N`).
pub const DEFAULT_ITEMS: usize = 24;
/// The longer side of a thumbnail, in pixels: VOC images (at most 500) are not resized.
pub const THUMBNAIL_SIDE: u32 = 512;
/// JPEG quality of the thumbnails.
pub const JPEG_QUALITY: u8 = 80;

/// One image of the gallery.
#[derive(Debug, Clone, PartialEq)]
pub struct GalleryItem {
    /// `case-1`, `case-2`...: the id its enlarged view is reached by.
    pub anchor: String,
    /// The object in focus, as the report lists it.
    pub case: WorstCase,
    /// What is drawn (`None`: the annotation could not be read again).
    pub scene: Option<Scene>,
    pub image: Thumbnail,
}

/// What an item's drawing goes over.
#[derive(Debug, Clone, PartialEq)]
pub enum Thumbnail {
    /// The image reduced to at most [`THUMBNAIL_SIDE`], JPEG, base64; `width` x `height` is the
    /// image's real size (the drawing's coordinates).
    Jpeg {
        base64: String,
        width: u32,
        height: u32,
    },
    /// No image: why. The boxes are drawn on a blank canvas of `width` x `height` (`<size>`).
    Placeholder {
        reason: String,
        width: u32,
        height: u32,
    },
}

/// Rank of a case in the gallery's order: lost collisions and unmatched objects first.
fn rank(status: GtStatus) -> u8 {
    match status {
        GtStatus::LostCollision | GtStatus::Unmatched => 0,
        _ => 1,
    }
}

/// The report's cases in the gallery's order, one per image, at most `n`: lost collisions and
/// unmatched first, then by lowest best IoU. From the report's `gallery_cases` when the tally
/// kept them, else from its examples of `objects_to_look_at` and its `worst_cases` (ties in that
/// order).
pub fn cases(report: &AssignmentReport, n: usize) -> Vec<&WorstCase> {
    // The tally's own list when it kept one (`AssignmentTally::keep_gallery`): the worst image
    // of the whole dataset, not only of the report's lists.
    if !report.gallery_cases.is_empty() {
        return report.gallery_cases.iter().take(n).collect();
    }
    let mut all: Vec<&WorstCase> = report
        .objects_to_look_at
        .iter()
        .flat_map(|g| &g.examples)
        .chain(&report.worst_cases)
        .collect();
    // Stable: equal keys keep the report's order.
    all.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.best_iou.total_cmp(&b.best_iou))
    });
    let mut seen = std::collections::BTreeSet::new();
    all.into_iter()
        .filter(|c| seen.insert((c.path.as_str(), c.image_id.as_str())))
        .take(n)
        .collect()
}

/// The gallery of `report`'s worst cases (at most `n` images): `engine` is the one the audit ran
/// for this report (its priors and settings), `entries` the listing it read.
pub fn gallery(
    report: &AssignmentReport,
    engine: &Engine,
    entries: &[ImageEntry],
    n: usize,
) -> Vec<GalleryItem> {
    let chosen = cases(report, n);
    if chosen.is_empty() {
        return Vec::new();
    }
    // Entries are found by the annotation path the report names (what `Engine::process` gave).
    let wanted: std::collections::BTreeSet<&str> = chosen.iter().map(|c| c.path.as_str()).collect();
    let mut by_path: std::collections::BTreeMap<String, &ImageEntry> = Default::default();
    for e in entries {
        let p = Listed.location(e).display().to_string();
        if wanted.contains(p.as_str()) {
            by_path.entry(p).or_insert(e);
        }
    }
    let numbered: Vec<(usize, &WorstCase)> = chosen.into_iter().enumerate().collect();
    // Each item reads one image: they are made in parallel, in order.
    crate::pipeline::map_in_order(&numbered, |&(k, case), worker| {
        let anchor = format!("case-{}", k + 1);
        match by_path.get(&case.path) {
            Some(entry) => item(anchor, case, entry, engine, worker),
            None => GalleryItem {
                anchor,
                case: case.clone(),
                scene: None,
                image: Thumbnail::Placeholder {
                    reason: format!("{}: not among the images listed", case.path),
                    width: 4,
                    height: 3,
                },
            },
        }
    })
}

/// One item: the image read and matched again, its picture loaded and reduced.
fn item(
    anchor: String,
    case: &WorstCase,
    entry: &ImageEntry,
    engine: &Engine,
    worker: &mut Worker,
) -> GalleryItem {
    let r = match engine.process(entry, worker) {
        Ok(r) => r,
        Err(e) => {
            return GalleryItem {
                anchor,
                case: case.clone(),
                scene: None,
                image: Thumbnail::Placeholder {
                    reason: format!("the annotation cannot be read again: {e}"),
                    width: 4,
                    height: 3,
                },
            }
        }
    };
    let a = &r.annotation;
    let focus = a
        .objects
        .iter()
        .position(|o| o.index_in_file == case.object_index as usize);
    let options = SceneOptions {
        focus,
        all_priors: false,
    };
    let d = super::overlay::drawing(entry, &r, &engine.priors, options);
    let image = match &d.picture {
        Ok(p) => thumbnail(&p.pixels),
        Err(e) => Thumbnail::Placeholder {
            reason: e.to_string(),
            width: a.width.max(1),
            height: a.height.max(1),
        },
    };
    let scene = d.scene;
    GalleryItem {
        anchor,
        case: case.clone(),
        scene: Some(scene),
        image,
    }
}

/// The image reduced to fit [`THUMBNAIL_SIDE`] (never enlarged), as base64 JPEG.
pub fn thumbnail(pixels: &image::RgbImage) -> Thumbnail {
    let (w, h) = pixels.dimensions();
    let long = w.max(h).max(1);
    let small;
    let img = if long > THUMBNAIL_SIDE {
        let tw = ((w as u64 * THUMBNAIL_SIDE as u64) / long as u64).max(1) as u32;
        let th = ((h as u64 * THUMBNAIL_SIDE as u64) / long as u64).max(1) as u32;
        small = image::imageops::resize(pixels, tw, th, image::imageops::FilterType::Triangle);
        &small
    } else {
        pixels
    };
    let mut jpeg = Vec::new();
    let encoded = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
        .encode_image(img);
    match encoded {
        Ok(()) => Thumbnail::Jpeg {
            base64: base64::engine::general_purpose::STANDARD.encode(&jpeg),
            width: w,
            height: h,
        },
        Err(e) => Thumbnail::Placeholder {
            reason: format!("the thumbnail cannot be encoded: {e}"),
            width: w.max(1),
            height: h.max(1),
        },
    }
}

/// The gallery's HTML: the legend, then one figure per item (thumbnail with its drawing, caption;
/// a click enlarges it), placeholders saying why. Styled by [`GALLERY_CSS`].
pub fn gallery_markup(items: &[GalleryItem]) -> Markup {
    html! {
        section id="gallery" class="ssd-gallery" {
            (legend())
            @if items.is_empty() {
                p class="empty" { "No object to look at: every object has a positive prior." }
            }
            div class="cases" {
                @for it in items {
                    (figure(it))
                }
            }
        }
    }
}

/// The palette's legend, as list items with a swatch each.
pub fn legend() -> Markup {
    html! {
        ul class="legend" {
            // The gallery does not draw the priors of the cells (`show --all-priors` does).
            @for role in Role::LEGEND.into_iter().filter(|r| *r != Role::CellPrior) {
                @let st = role.style();
                li class=(role_class(role)) {
                    svg width="26" height="14" viewBox="0 0 26 14" {
                        rect x="2" y="2" width="22" height="10" fill="none" stroke=(st.hex())
                            stroke-width="2.5" stroke-dasharray=[st.dashed.then_some("5 3")] {}
                    }
                    " " (st.legend)
                }
            }
            li class="focus-note" { "bold: the object in focus; faint: the image's other objects" }
        }
    }
}

fn figure(it: &GalleryItem) -> Markup {
    let c = &it.case;
    let href;
    let background = match &it.image {
        Thumbnail::Jpeg {
            base64,
            width,
            height,
        } => {
            href = format!("data:image/jpeg;base64,{base64}");
            Background::Image {
                href: &href,
                width: *width,
                height: *height,
            }
        }
        Thumbnail::Placeholder { width, height, .. } => Background::Blank {
            width: *width,
            height: *height,
        },
    };
    let status = c.status.as_str();
    html! {
        figure id=(it.anchor) class={ "case " (status) } {
            a class="open" href={ "#" (it.anchor) } title="enlarge" {
                @match &it.scene {
                    Some(scene) => (svg::figure(scene, &background)),
                    None => div class="placeholder" { "no picture" },
                }
            }
            figcaption {
                a class="close" href="#gallery" { "close" }
                b { (c.image_id) } " object " (c.object_index) " \u{201c}" (c.class) "\u{201d}: "
                span class="status" { (status.replace('_', " ")) }
                ", best IoU " (format!("{:.2}", c.best_iou)) ", " (c.positives) " positives"
                @if let Some(scene) = &it.scene {
                    @if let Some(words) = &scene.collision {
                        span class="collision" { "lost a collision: " (words) }
                    }
                    @for note in &scene.notes {
                        span class="note" { (note) }
                    }
                }
                @if let (None, Thumbnail::Placeholder { reason, .. }) = (&it.scene, &it.image) {
                    span class="note" { (reason) }
                }
                span class="path" { (c.path) }
            }
        }
    }
}

/// The gallery's stylesheet: a grid of thumbnails; a figure that is the URL's target is shown
/// enlarged over the page, with a link back.
pub const GALLERY_CSS: &str = r#"
.ssd-gallery .legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3em 1.2em; font-size: .9em; }
.ssd-gallery .legend svg { vertical-align: middle; }
.ssd-gallery .legend .focus-note { color: #555; }
.ssd-gallery .cases { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 12px; }
.ssd-gallery figure { margin: 0; background: #fafafa; border: 1px solid #ddd; border-radius: 4px; padding: 6px; }
.ssd-gallery figure svg.overlay { display: block; width: 100%; height: auto; max-height: 260px; }
.ssd-gallery figure.unmatched, .ssd-gallery figure.lost_collision { border-color: #d55e00; }
.ssd-gallery figcaption { font-size: .8em; line-height: 1.35; margin-top: 4px; overflow-wrap: anywhere; }
.ssd-gallery figcaption span { display: block; }
.ssd-gallery figcaption .status { display: inline; font-weight: bold; }
.ssd-gallery figcaption .collision { color: #d55e00; }
.ssd-gallery figcaption .path { color: #555; }
.ssd-gallery figcaption .note { color: #a04000; }
.ssd-gallery .placeholder { padding: 2em; text-align: center; background: #d9d9d9; color: #555; }
.ssd-gallery .close { display: none; float: right; }
.ssd-gallery figure:target { position: fixed; inset: 2vh 2vw; z-index: 100; overflow: auto; box-shadow: 0 0 0 100vmax rgba(0,0,0,.6); padding: 12px; }
.ssd-gallery figure:target svg.overlay { max-height: 82vh; }
.ssd-gallery figure:target .close { display: inline; }
.ssd-gallery figure:target figcaption { font-size: .95em; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(t: &Thumbnail) -> image::DynamicImage {
        let Thumbnail::Jpeg { base64, .. } = t else {
            panic!("{t:?}")
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .unwrap();
        image::load_from_memory(&bytes).unwrap()
    }

    #[test]
    fn thumbnails_fit_the_side_keep_the_shape_and_never_grow() {
        let big = image::RgbImage::from_pixel(1000, 500, image::Rgb([200, 10, 10]));
        let t = thumbnail(&big);
        // The canvas is the real size; the pixels are reduced to 512 x 256.
        assert!(matches!(
            t,
            Thumbnail::Jpeg {
                width: 1000,
                height: 500,
                ..
            }
        ));
        let img = decoded(&t);
        assert_eq!((img.width(), img.height()), (512, 256));
        let p = img.to_rgb8().get_pixel(256, 128).0;
        assert!(p[0] > 180 && p[1] < 40 && p[2] < 40, "{p:?}");
        let small = image::RgbImage::new(100, 60);
        assert_eq!(decoded(&thumbnail(&small)).width(), 100);
        let thin = image::RgbImage::new(3000, 1);
        assert_eq!(decoded(&thumbnail(&thin)).height(), 1);
    }

    #[test]
    fn the_legend_names_every_role_the_gallery_draws() {
        let html = legend().into_string();
        for role in Role::LEGEND {
            let named = html.contains(role.style().legend);
            assert_eq!(named, role != Role::CellPrior, "{role:?}");
        }
    }
}
