//! Pascal VOC annotations: reading one file, resolving it against a label map and an image
//! size, and finding the files of a dataset.

pub mod dataset;
pub mod images;
pub mod input;
pub mod labels;
pub mod xml;

use crate::findings::{FindingKind, Warning};
use crate::geometry::Corners;
pub use labels::LabelMap;
pub use xml::{parse_annotation, RawAnnotation, RawObject, XmlError};

/// How pixel coordinates are based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CoordBase {
    /// VOC's 1-based pixels: subtract 1 from all four coordinates (the reference).
    #[default]
    OneBased,
    /// Coordinates already 0-based: no subtraction.
    ZeroBased,
}
crate::named_values!(CoordBase { OneBased => "one-based", ZeroBased => "zero-based" });

/// What to do with objects marked `<difficult>1</difficult>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DifficultPolicy {
    /// Match them like any object (the reference's training default).
    #[default]
    Keep,
    /// Leave them out of matching.
    Drop,
}
crate::named_values!(DifficultPolicy { Keep => "keep", Drop => "drop" });

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
    /// 1-based column of its `<object>` tag.
    pub column: usize,
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
    /// 1-based line and column of its `<object>` tag.
    pub line: usize,
    pub column: usize,
    pub name: Option<String>,
    pub pixel: Option<[f64; 4]>,
    pub reason: SkipReason,
    /// The kind of finding of an invalid object (`empty_box`, `bad_coordinate`...) or an
    /// unknown class; read it through [`SkippedObject::finding_kind`], which gives `None` for
    /// `--difficult drop` (a choice, not a finding).
    pub kind: FindingKind,
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
    pub warnings: Vec<Warning>,
}

/// Coordinates larger than this (in pixels, either sign) are treated as corrupt.
pub const MAX_ABS_COORD: f64 = 1.0e6;
/// `<size>` dimensions larger than this are treated as corrupt.
pub const MAX_DIMENSION: u32 = 1_000_000;

impl SkippedObject {
    /// The kind of finding this object is, if it is one.
    pub fn finding_kind(&self) -> Option<FindingKind> {
        match self.reason {
            SkipReason::Difficult => None,
            SkipReason::UnknownClass => Some(FindingKind::UnknownClass),
            SkipReason::Invalid(_) => Some(self.kind),
        }
    }

    /// `object 3 ("dog", line 40, column 5)`: how messages name this object.
    pub fn locator(&self) -> String {
        object_locator(
            self.index_in_file,
            self.name.as_deref(),
            self.line,
            self.column,
        )
    }
}

impl std::fmt::Display for SkippedObject {
    /// `object 3 ("dog", line 40, column 5): xmax (12) <= xmin (40): ...; skipped`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match &self.reason {
            SkipReason::UnknownClass => format!(
                "class {:?} is not in the label map",
                self.name.as_deref().unwrap_or("")
            ),
            SkipReason::Invalid(why) => why.clone(),
            SkipReason::Difficult => "marked difficult (--difficult drop)".into(),
        };
        write!(f, "{}: {why}; skipped", self.locator())
    }
}

fn object_locator(index: usize, name: Option<&str>, line: usize, column: usize) -> String {
    let name = name.map(|n| format!("{n:?}, ")).unwrap_or_default();
    if line == 0 {
        format!("object {index}")
    } else {
        format!("object {index} ({name}line {line}, column {column})")
    }
}

/// Parses a size field: a positive whole number of pixels (text like "486" or "486.0").
/// `Ok(None)` for an absent, empty or zero field: labelImg writes 0 when it did not know.
fn parse_dimension(tag: &str, text: Option<&str>) -> Result<Option<u32>, String> {
    let Some(t) = text else { return Ok(None) };
    if t.is_empty() {
        return Ok(None);
    }
    let Ok(v) = t.parse::<f64>() else {
        return Err(format!("<size><{tag}> {t:?} is not a number"));
    };
    if v == 0.0 {
        Ok(None)
    } else if !(v.is_finite() && v > 0.0 && v.fract() == 0.0) {
        Err(format!(
            "<size><{tag}> {t:?} is not a positive whole number of pixels"
        ))
    } else if v > MAX_DIMENSION as f64 {
        Err(format!(
            "<size><{tag}> {t} is over the {MAX_DIMENSION}-pixel limit"
        ))
    } else {
        Ok(Some(v as u32))
    }
}

fn parse_coord(label: &str, text: Option<&str>) -> Result<f64, String> {
    let t = match text {
        None => return Err(format!("<bndbox> has no <{label}>")),
        Some("") => return Err(format!("<{label}> is empty")),
        Some(t) => t,
    };
    let v: f64 = t
        .parse()
        .map_err(|_| format!("<{label}> {t:?} is not a number"))?;
    // A literal NaN or infinity is not a number of pixels; a number too large for f64 (400
    // digits, 1e400) is finite, only out of range.
    let literal = |w: &str| t.to_ascii_lowercase().contains(w);
    if v.is_nan() || (v.is_infinite() && literal("inf")) {
        return Err(format!("<{label}> {t:?} is not a finite number"));
    }
    if v.is_infinite() {
        let n = t.chars().count();
        let shown = if n > 12 {
            format!(
                "{}... ({n} characters)",
                t.chars().take(12).collect::<String>()
            )
        } else {
            t.to_string()
        };
        return Err(format!(
            "<{label}> {shown} is beyond ±{MAX_ABS_COORD} pixels: the box is corrupt"
        ));
    }
    if v.abs() > MAX_ABS_COORD {
        return Err(format!(
            "<{label}> {t} is beyond ±{MAX_ABS_COORD} pixels: the box is corrupt"
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
///
/// Objects that cannot be matched are returned in `skipped` with their reason (see
/// [`SkippedObject`]'s `Display` for the message users read); boxes extending outside the image
/// are kept (the reference does not clip) with a warning, or clamped with `clip`.
pub fn resolve(
    raw: RawAnnotation<'_>,
    labels: &LabelMap,
    opts: &ReadOptions,
    image_size: &mut ImageSizeLookup<'_>,
) -> Result<Annotation, String> {
    let mut warnings = raw.warnings;
    let w = parse_dimension("width", raw.width.as_deref());
    let h = parse_dimension("height", raw.height.as_deref());
    let (width, height, size_source) = match (&w, &h) {
        (Ok(Some(w)), Ok(Some(h))) => (*w, *h, SizeSource::Xml),
        _ => {
            let why = if !raw.has_size {
                "no <size>".to_string()
            } else if let Err(e) = &w {
                e.clone()
            } else if let Err(e) = &h {
                e.clone()
            } else {
                let desc = |t: &Option<std::borrow::Cow<str>>| match t.as_deref() {
                    None => "missing",
                    Some("") => "empty",
                    Some(_) => "0",
                };
                format!(
                    "<size> has width {} and height {}",
                    desc(&raw.width),
                    desc(&raw.height)
                )
            };
            match image_size(raw.filename.as_deref()) {
                Ok((iw, ih)) => {
                    if w.is_err() || h.is_err() {
                        warnings.push(Warning::new(
                            FindingKind::SizeFromImage,
                            0,
                            format!("{why}; the size was taken from the image"),
                        ));
                    }
                    (iw, ih, SizeSource::Image)
                }
                Err(e) if raw.objects.is_empty() => {
                    warnings.push(Warning::new(
                        FindingKind::SizeUnknown,
                        0,
                        format!("{why}, and {e} (no objects, so no size is needed)"),
                    ));
                    (0, 0, SizeSource::Unknown)
                }
                Err(e) => {
                    return Err(format!(
                    "{why}, and {e}: add <size> to the file, or pass --images DIR with its image"
                ))
                }
            }
        }
    };

    let mut objects = Vec::with_capacity(raw.objects.len());
    let mut skipped = Vec::new();
    for (k, o) in raw.objects.into_iter().enumerate() {
        let skip = |name: Option<String>, pixel, reason: SkipReason, kind| SkippedObject {
            index_in_file: k,
            line: o.line,
            column: o.column,
            name,
            pixel,
            kind: match reason {
                SkipReason::UnknownClass | SkipReason::Difficult => FindingKind::UnknownClass,
                SkipReason::Invalid(_) => kind,
            },
            reason,
        };
        let name = match o.name.as_deref() {
            None | Some("") => {
                let why = if o.name.is_none() {
                    "no <name>: add its class name"
                } else {
                    "empty <name>: fill in its class name"
                };
                skipped.push(skip(
                    None,
                    None,
                    SkipReason::Invalid(why.into()),
                    FindingKind::NoName,
                ));
                continue;
            }
            Some(n) => labels::normalize_name(n),
        };
        if !o.has_bndbox {
            skipped.push(skip(
                Some(name),
                None,
                SkipReason::Invalid(
                    "no <bndbox> (only <bndbox> boxes are read, not polygons or masks)".into(),
                ),
                FindingKind::NoBndbox,
            ));
            continue;
        }
        let mut pixel = [0.0f64; 4];
        let mut bad = None;
        for c in 0..4 {
            match parse_coord(COORD_TAGS[c], o.coords[c].as_deref()) {
                Ok(v) => pixel[c] = v,
                Err(e) => {
                    bad = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = bad {
            skipped.push(skip(
                Some(name),
                None,
                SkipReason::Invalid(e),
                FindingKind::BadCoordinate,
            ));
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
                format!(
                    "xmax ({}) <= xmin ({}): an empty or inverted box",
                    pixel[2], pixel[0]
                )
            } else if pixel[3] <= pixel[1] {
                format!(
                    "ymax ({}) <= ymin ({}): an empty or inverted box",
                    pixel[3], pixel[1]
                )
            } else {
                "the box has zero width or height once divided by the image size".to_string()
            };
            skipped.push(skip(
                Some(name),
                Some(pixel),
                SkipReason::Invalid(why),
                FindingKind::EmptyBox,
            ));
            continue;
        }
        let outside = c.x1 < 0.0 || c.y1 < 0.0 || c.x2 > 1.0 || c.y2 > 1.0;
        let wholly = c.x2 <= 0.0 || c.y2 <= 0.0 || c.x1 >= 1.0 || c.y1 >= 1.0;
        // Formatted only when a message needs it (most boxes need none).
        let box_text = || {
            format!(
                "box ({}, {}, {}, {})",
                pixel[0], pixel[1], pixel[2], pixel[3]
            )
        };
        if opts.clip && outside {
            if wholly {
                skipped.push(skip(
                    Some(name),
                    Some(pixel),
                    SkipReason::Invalid(format!(
                        "{} lies wholly outside the {width}x{height} image, so --clip leaves nothing of it",
                        box_text()
                    )),
                    FindingKind::ClippedAway,
                ));
                continue;
            }
            c = Corners::new(
                c.x1.clamp(0.0, 1.0),
                c.y1.clamp(0.0, 1.0),
                c.x2.clamp(0.0, 1.0),
                c.y2.clamp(0.0, 1.0),
            );
        }
        let Some(label) = labels.label(&name) else {
            skipped.push(skip(
                Some(name),
                Some(pixel),
                SkipReason::UnknownClass,
                FindingKind::UnknownClass,
            ));
            continue;
        };
        if difficult && opts.difficult == DifficultPolicy::Drop {
            skipped.push(skip(
                Some(name),
                Some(pixel),
                SkipReason::Difficult,
                FindingKind::UnknownClass,
            ));
            continue;
        }
        // Only kept objects are warned about: a skipped one is reported once, as skipped.
        if outside {
            let locator = object_locator(k, Some(&name), o.line, o.column);
            // Under VOC's 1-based convention a coordinate below 1 is outside; 0-based tools
            // (VoTT, CVAT...) write 0 for the first pixel.
            let zero_based = opts.coords == CoordBase::OneBased
                && (pixel[0] < 1.0 || pixel[1] < 1.0)
                && pixel[0] >= 0.0
                && pixel[1] >= 0.0;
            let kind = if wholly && !opts.clip {
                FindingKind::WhollyOutside
            } else if zero_based {
                FindingKind::ZeroBasedCoordinate
            } else {
                FindingKind::OutsideImage
            };
            let zero_based_hint = if zero_based {
                " (a coordinate below 1 in 1-based pixels: if the tool wrote 0-based pixels, pass --coords zero-based)"
            } else {
                ""
            };
            let message = if opts.clip {
                format!(
                    "{locator}: {} extends outside the {width}x{height} image; clamped to it (--clip){zero_based_hint}",
                    box_text()
                )
            } else if wholly {
                format!(
                    "{locator}: {} lies wholly outside the {width}x{height} image; kept unclipped as \
                     the reference does: fix the box (--clip would drop it){zero_based_hint}",
                    box_text()
                )
            } else {
                format!(
                    "{locator}: {} extends outside the {width}x{height} image; kept unclipped as \
                     the reference does (--clip clamps it){zero_based_hint}",
                    box_text()
                )
            };
            warnings.push(Warning {
                kind,
                line: o.line,
                column: o.column,
                object: Some(k),
                message,
            });
        }
        objects.push(Object {
            index_in_file: k,
            line: o.line,
            column: o.column,
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
        filename: raw.filename.map(std::borrow::Cow::into_owned),
        width,
        height,
        size_source,
        objects,
        skipped,
        warnings,
    })
}
