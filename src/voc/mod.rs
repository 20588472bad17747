//! Pascal VOC annotations: reading one file, resolving it against a label map and an image
//! size, and finding the files of a dataset.

pub mod dataset;
pub mod labels;
pub mod xml;

use crate::geometry::Corners;
pub use labels::LabelMap;
pub use xml::{parse_annotation, RawAnnotation, RawObject, XmlError};

/// How pixel coordinates are based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum CoordBase {
    /// VOC's 1-based pixels: subtract 1 from all four coordinates (the reference).
    #[default]
    OneBased,
    /// Coordinates already 0-based: no subtraction.
    ZeroBased,
}

/// What to do with objects marked `<difficult>1</difficult>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DifficultPolicy {
    /// Match them like any object (the reference's training default).
    #[default]
    Keep,
    /// Leave them out of matching.
    Drop,
}

/// How an annotation is turned into ground truths.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct ReadOptions {
    pub coords: CoordBase,
    pub difficult: DifficultPolicy,
    /// Clamp normalised boxes to [0, 1] (off by default: the reference does not).
    pub clip: bool,
}

/// Where the image size came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeSource {
    Xml,
    Image,
    /// No size was needed or found (an image with no objects whose size is unknown).
    Unknown,
}

/// A ground-truth object kept for matching.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Position among all `<object>` elements of the file (0-based).
    pub index_in_file: usize,
    /// 1-based line of its `<object>` tag.
    pub line: usize,
    /// Normalised class name.
    pub name: String,
    pub label: u32,
    pub difficult: bool,
    pub truncated: bool,
    /// xmin, ymin, xmax, ymax as written.
    pub pixel: [f64; 4],
    /// Normalised corners (fractions of width/height).
    pub corners: Corners,
    /// Some part of the box lies outside the image.
    pub outside: bool,
}

/// Why an object is not matched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum SkipReason {
    /// Its class is not in the label map.
    UnknownClass,
    /// Its box or fields are unusable; the text says why.
    Invalid(String),
    /// `--difficult drop`.
    Difficult,
}

/// An object that is not matched, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedObject {
    pub index_in_file: usize,
    pub line: usize,
    pub name: Option<String>,
    pub pixel: Option<[f64; 4]>,
    pub reason: SkipReason,
}

/// One annotation resolved to ground truths.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub filename: Option<String>,
    pub width: u32,
    pub height: u32,
    pub size_source: SizeSource,
    /// Kept objects; the GT index of an object is its position here.
    pub objects: Vec<Object>,
    pub skipped: Vec<SkippedObject>,
    pub warnings: Vec<String>,
}

/// Coordinates larger than this (in pixels) are treated as corrupt.
pub const MAX_ABS_COORD: f64 = 1.0e6;

/// Parses a size field: a positive whole number of pixels (text like "486" or "486.0").
fn parse_dimension(text: Option<&str>) -> Result<Option<u32>, String> {
    let Some(t) = text else { return Ok(None) };
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(0.0) => Ok(None),
        Ok(v) if v.is_finite() && v > 0.0 && v.fract() == 0.0 && v <= 1.0e6 => Ok(Some(v as u32)),
        _ => Err(format!("\"{t}\" is not a positive whole number of pixels")),
    }
}

fn parse_coord(label: &str, text: &Option<String>) -> Result<f64, String> {
    let t = match text.as_deref() {
        None => return Err(format!("<{label}> is missing")),
        Some("") => return Err(format!("<{label}> is empty")),
        Some(t) => t,
    };
    let v: f64 = t
        .parse()
        .map_err(|_| format!("<{label}> \"{t}\" is not a number"))?;
    if !v.is_finite() {
        return Err(format!("<{label}> \"{t}\" is not a finite number"));
    }
    if v.abs() > MAX_ABS_COORD {
        return Err(format!(
            "<{label}> {t} is absurdly large (over {MAX_ABS_COORD} pixels)"
        ));
    }
    Ok(v)
}

const COORD_TAGS: [&str; 4] = ["xmin", "ymin", "xmax", "ymax"];

/// Looks up the size of an annotation's image from its `<filename>`.
pub type ImageSizeLookup<'a> = dyn FnMut(Option<&str>) -> Result<(u32, u32), String> + 'a;

/// Resolves a parsed annotation.
///
/// `image_size` is asked for the size when `<size>` is missing, zero or unusable; it returns
/// `Err(message)` when the image cannot be found or read. An annotation without objects never
/// needs its size, so a failure there is only a warning.
pub fn resolve(
    raw: RawAnnotation,
    labels: &LabelMap,
    opts: &ReadOptions,
    image_size: &mut ImageSizeLookup<'_>,
) -> Result<Annotation, String> {
    let mut warnings = raw.warnings;
    let w = parse_dimension(raw.width.as_deref());
    let h = parse_dimension(raw.height.as_deref());
    for (tag, r) in [("width", &w), ("height", &h)] {
        if let Err(e) = r {
            warnings.push(format!("<size><{tag}> {e}; size taken from the image"));
        }
    }
    let (width, height, size_source) = match (w, h) {
        (Ok(Some(w)), Ok(Some(h))) => (w, h, SizeSource::Xml),
        _ => {
            let why = if !raw.has_size {
                "no <size>"
            } else {
                "<size> is zero or unusable"
            };
            match image_size(raw.filename.as_deref()) {
                Ok((w, h)) => (w, h, SizeSource::Image),
                Err(e) if raw.objects.is_empty() => {
                    warnings.push(format!("{why} and {e}"));
                    (0, 0, SizeSource::Unknown)
                }
                Err(e) => return Err(format!("{why} and {e}; add <size> or pass --images DIR")),
            }
        }
    };

    let mut objects = Vec::with_capacity(raw.objects.len());
    let mut skipped = Vec::new();
    for (k, o) in raw.objects.into_iter().enumerate() {
        let skip = |name: Option<String>, pixel, reason| SkippedObject {
            index_in_file: k,
            line: o.line,
            name,
            pixel,
            reason,
        };
        let name = match o.name.as_deref() {
            None | Some("") => {
                let why = if o.name.is_none() {
                    "no <name>"
                } else {
                    "empty <name>"
                };
                skipped.push(skip(None, None, SkipReason::Invalid(why.into())));
                continue;
            }
            Some(n) => labels::normalize_name(n),
        };
        if !o.has_bndbox {
            skipped.push(skip(
                Some(name),
                None,
                SkipReason::Invalid("no <bndbox>".into()),
            ));
            continue;
        }
        let mut pixel = [0.0f64; 4];
        let mut bad = None;
        for c in 0..4 {
            match parse_coord(COORD_TAGS[c], &o.coords[c]) {
                Ok(v) => pixel[c] = v,
                Err(e) => {
                    bad = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = bad {
            skipped.push(skip(Some(name), None, SkipReason::Invalid(e)));
            continue;
        }
        let difficult = o.difficult.as_deref() == Some("1");
        let truncated = o.truncated.as_deref() == Some("1");
        let shift = match opts.coords {
            CoordBase::OneBased => 1.0,
            CoordBase::ZeroBased => 0.0,
        };
        let (fw, fh) = (width as f32, height as f32);
        let mut c = Corners::new(
            ((pixel[0] - shift) as f32) / fw,
            ((pixel[1] - shift) as f32) / fh,
            ((pixel[2] - shift) as f32) / fw,
            ((pixel[3] - shift) as f32) / fh,
        );
        if pixel[2] <= pixel[0] || pixel[3] <= pixel[1] || c.x2 <= c.x1 || c.y2 <= c.y1 {
            let why = if pixel[2] <= pixel[0] {
                format!("xmax ({}) <= xmin ({})", pixel[2], pixel[0])
            } else if pixel[3] <= pixel[1] {
                format!("ymax ({}) <= ymin ({})", pixel[3], pixel[1])
            } else {
                "box has zero width or height after normalisation".to_string()
            };
            skipped.push(skip(Some(name), Some(pixel), SkipReason::Invalid(why)));
            continue;
        }
        let outside = c.x1 < 0.0 || c.y1 < 0.0 || c.x2 > 1.0 || c.y2 > 1.0;
        if opts.clip && outside {
            c = Corners::new(
                c.x1.clamp(0.0, 1.0),
                c.y1.clamp(0.0, 1.0),
                c.x2.clamp(0.0, 1.0),
                c.y2.clamp(0.0, 1.0),
            );
            if c.x2 <= c.x1 || c.y2 <= c.y1 {
                skipped.push(skip(
                    Some(name),
                    Some(pixel),
                    SkipReason::Invalid("box lies wholly outside the image".into()),
                ));
                continue;
            }
        }
        let Some(label) = labels.label(&name) else {
            skipped.push(skip(Some(name), Some(pixel), SkipReason::UnknownClass));
            continue;
        };
        if difficult && opts.difficult == DifficultPolicy::Drop {
            skipped.push(skip(Some(name), Some(pixel), SkipReason::Difficult));
            continue;
        }
        objects.push(Object {
            index_in_file: k,
            line: o.line,
            name,
            label,
            difficult,
            truncated,
            pixel,
            corners: c,
            outside,
        });
    }
    Ok(Annotation {
        filename: raw.filename,
        width,
        height,
        size_source,
        objects,
        skipped,
        warnings,
    })
}
