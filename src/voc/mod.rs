//! Pascal VOC annotations: reading one file, resolving it against a label map and an image
//! size, and finding the files of a dataset.

pub mod archive;
pub mod dataset;
pub mod image_header;
pub mod images;
pub mod input;
pub mod labels;
pub mod source;
pub mod tree;
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
    /// Its box or fields are unusable; [`InvalidReason`]'s `Display` says why.
    Invalid(InvalidReason),
    /// `--difficult drop`.
    Difficult,
}

/// Why an object's box or fields are unusable. `Display` is the text users read (without the
/// object's locator); it serialises as that text.
#[derive(Debug, Clone, PartialEq)]
pub enum InvalidReason {
    /// No `<name>` element.
    NoName,
    /// An empty `<name>`.
    EmptyName,
    /// No `<bndbox>` (a polygon or mask only).
    NoBndbox,
    /// A coordinate of the box cannot be read; `tag` is `xmin`, `ymin`, `xmax` or `ymax`.
    Coordinate {
        tag: &'static str,
        problem: CoordProblem,
    },
    /// `max <= min` on one axis (`x` or `y`), in pixels as written.
    Inverted { axis: char, min: f64, max: f64 },
    /// The box is not empty in pixels but is once divided by the image size (in f32).
    EmptyOnceNormalised,
    /// `clip` is on and the box lies wholly outside the image.
    ClippedAway {
        pixel: [f64; 4],
        width: u32,
        height: u32,
    },
}

/// What is wrong with one coordinate's text.
#[derive(Debug, Clone, PartialEq)]
pub enum CoordProblem {
    /// The element is absent from `<bndbox>`.
    Missing,
    Empty,
    /// The text (kept) is not a number.
    NotANumber(String),
    /// A literal NaN or infinity.
    NotFinite(String),
    /// Beyond [`MAX_ABS_COORD`]; the text as shown (a long one shortened).
    BeyondLimit(String),
}

impl InvalidReason {
    /// The kind of finding an object skipped for this reason is.
    pub fn finding_kind(&self) -> FindingKind {
        match self {
            InvalidReason::NoName | InvalidReason::EmptyName => FindingKind::NoName,
            InvalidReason::NoBndbox => FindingKind::NoBndbox,
            InvalidReason::Coordinate { .. } => FindingKind::BadCoordinate,
            InvalidReason::Inverted { .. } | InvalidReason::EmptyOnceNormalised => {
                FindingKind::EmptyBox
            }
            InvalidReason::ClippedAway { .. } => FindingKind::ClippedAway,
        }
    }
}

impl std::fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvalidReason::NoName => f.write_str("no <name>: add its class name"),
            InvalidReason::EmptyName => f.write_str("empty <name>: fill in its class name"),
            InvalidReason::NoBndbox => {
                f.write_str("no <bndbox> (only <bndbox> boxes are read, not polygons or masks)")
            }
            InvalidReason::Coordinate { tag, problem } => match problem {
                CoordProblem::Missing => write!(f, "<bndbox> has no <{tag}>"),
                CoordProblem::Empty => write!(f, "<{tag}> is empty"),
                CoordProblem::NotANumber(t) => write!(f, "<{tag}> {t:?} is not a number"),
                CoordProblem::NotFinite(t) => write!(f, "<{tag}> {t:?} is not a finite number"),
                CoordProblem::BeyondLimit(t) => write!(
                    f,
                    "<{tag}> {t} is beyond ±{MAX_ABS_COORD} pixels: the box is corrupt"
                ),
            },
            InvalidReason::Inverted { axis, min, max } => write!(
                f,
                "{axis}max ({max}) <= {axis}min ({min}): an empty or inverted box"
            ),
            InvalidReason::EmptyOnceNormalised => {
                f.write_str("the box has zero width or height once divided by the image size")
            }
            InvalidReason::ClippedAway {
                pixel,
                width,
                height,
            } => write!(
                f,
                "{} lies wholly outside the {width}x{height} image, so --clip leaves nothing of it",
                BoxText(pixel)
            ),
        }
    }
}

impl serde::Serialize for InvalidReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `box (xmin, ymin, xmax, ymax)` as written.
struct BoxText<'a>(&'a [f64; 4]);

impl std::fmt::Display for BoxText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.0;
        write!(f, "box ({}, {}, {}, {})", p[0], p[1], p[2], p[3])
    }
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
    /// The kind of finding this object is, if it is one: `None` for `--difficult drop` (a
    /// choice, not a finding).
    pub fn finding_kind(&self) -> Option<FindingKind> {
        match &self.reason {
            SkipReason::Difficult => None,
            SkipReason::UnknownClass => Some(FindingKind::UnknownClass),
            SkipReason::Invalid(why) => Some(why.finding_kind()),
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
    /// `object 3 ("dog", line 40, column 5): xmax (12) <= xmin (40): ...; skipped`: the one
    /// formatting of a skipped object.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: ", self.locator())?;
        match &self.reason {
            SkipReason::UnknownClass => write!(
                f,
                "class {:?} is not in the label map",
                self.name.as_deref().unwrap_or("")
            )?,
            SkipReason::Invalid(why) => write!(f, "{why}")?,
            SkipReason::Difficult => f.write_str("marked difficult (--difficult drop)")?,
        }
        f.write_str("; skipped")
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

fn parse_coord(text: Option<&str>) -> Result<f64, CoordProblem> {
    let t = match text {
        None => return Err(CoordProblem::Missing),
        Some("") => return Err(CoordProblem::Empty),
        Some(t) => t,
    };
    let v: f64 = t
        .parse()
        .map_err(|_| CoordProblem::NotANumber(t.to_string()))?;
    // A literal NaN or infinity is not a number of pixels; a number too large for f64 (400
    // digits, 1e400) is finite, only out of range.
    let literal = |w: &str| t.to_ascii_lowercase().contains(w);
    if v.is_nan() || (v.is_infinite() && literal("inf")) {
        return Err(CoordProblem::NotFinite(t.to_string()));
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
        return Err(CoordProblem::BeyondLimit(shown));
    }
    if v.abs() > MAX_ABS_COORD {
        return Err(CoordProblem::BeyondLimit(t.to_string()));
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
    let size = resolve_size(
        SizeFields {
            width: raw.width.as_deref(),
            height: raw.height.as_deref(),
            has_size: raw.has_size,
            filename: raw.filename.as_deref(),
            has_objects: !raw.objects.is_empty(),
        },
        image_size,
        &mut warnings,
    )?;
    let mut objects = Vec::with_capacity(raw.objects.len());
    let mut skipped = Vec::new();
    for (k, o) in raw.objects.iter().enumerate() {
        match resolve_object(k, o, size, labels, opts) {
            Ok((object, warning)) => {
                warnings.extend(warning);
                objects.push(object);
            }
            Err(s) => skipped.push(s),
        }
    }
    Ok(Annotation {
        filename: raw.filename.map(std::borrow::Cow::into_owned),
        width: size.width,
        height: size.height,
        size_source: size.source,
        objects,
        skipped,
        warnings,
    })
}

/// The image size an annotation's boxes are divided by.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ImageSize {
    width: u32,
    height: u32,
    source: SizeSource,
}

/// What [`resolve_size`] reads of an annotation.
struct SizeFields<'a> {
    width: Option<&'a str>,
    height: Option<&'a str>,
    has_size: bool,
    filename: Option<&'a str>,
    has_objects: bool,
}

/// The size from `<size>`, else from the image (with a warning when `<size>` was unusable,
/// not merely absent or 0); with neither, an error, or for a file without objects a warning.
fn resolve_size(
    f: SizeFields<'_>,
    image_size: &mut ImageSizeLookup<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<ImageSize, String> {
    let w = parse_dimension("width", f.width);
    let h = parse_dimension("height", f.height);
    if let (Ok(Some(width)), Ok(Some(height))) = (&w, &h) {
        return Ok(ImageSize {
            width: *width,
            height: *height,
            source: SizeSource::Xml,
        });
    }
    let why = if !f.has_size {
        "no <size>".to_string()
    } else if let Err(e) = &w {
        e.clone()
    } else if let Err(e) = &h {
        e.clone()
    } else {
        let desc = |t: Option<&str>| match t {
            None => "missing",
            Some("") => "empty",
            Some(_) => "0",
        };
        format!(
            "<size> has width {} and height {}",
            desc(f.width),
            desc(f.height)
        )
    };
    match image_size(f.filename) {
        Ok((width, height)) => {
            if w.is_err() || h.is_err() {
                warnings.push(Warning::new(
                    FindingKind::SizeFromImage,
                    0,
                    format!("{why}; the size was taken from the image"),
                ));
            }
            Ok(ImageSize {
                width,
                height,
                source: SizeSource::Image,
            })
        }
        Err(e) if !f.has_objects => {
            warnings.push(Warning::new(
                FindingKind::SizeUnknown,
                0,
                format!("{why}, and {e} (no objects, so no size is needed)"),
            ));
            Ok(ImageSize {
                width: 0,
                height: 0,
                source: SizeSource::Unknown,
            })
        }
        Err(e) => Err(format!(
            "{why}, and {e}: add <size> to the file, or pass --images DIR with its image"
        )),
    }
}

/// One object resolved: kept (with the warning about it, if any) or skipped with its reason.
/// The checks run in this order, and the first that fails is the reason: name, `<bndbox>`,
/// coordinates, empty box, clipped away, class, difficult.
// A skipped object is an outcome like a kept one (both are moved into the annotation's lists),
// not an error path: boxing it would allocate once per skipped object for nothing.
#[allow(clippy::result_large_err)]
fn resolve_object(
    k: usize,
    o: &RawObject<'_>,
    size: ImageSize,
    labels: &LabelMap,
    opts: &ReadOptions,
) -> Result<(Object, Option<Warning>), SkippedObject> {
    let skip = |name: Option<String>, pixel, reason| SkippedObject {
        index_in_file: k,
        line: o.line,
        column: o.column,
        name,
        pixel,
        reason,
    };
    let invalid = |name, pixel, why| skip(name, pixel, SkipReason::Invalid(why));
    let name = match o.name.as_deref() {
        None => return Err(invalid(None, None, InvalidReason::NoName)),
        Some("") => return Err(invalid(None, None, InvalidReason::EmptyName)),
        Some(n) => labels::normalize_name(n),
    };
    if !o.has_bndbox {
        return Err(invalid(Some(name), None, InvalidReason::NoBndbox));
    }
    let pixel = match parse_box(&o.coords) {
        Ok(p) => p,
        Err(why) => return Err(invalid(Some(name), None, why)),
    };
    let c = normalise(pixel, opts.coords, size);
    if let Err(why) = check_not_empty(pixel, &c) {
        return Err(invalid(Some(name), Some(pixel), why));
    }
    let outside = c.x1 < 0.0 || c.y1 < 0.0 || c.x2 > 1.0 || c.y2 > 1.0;
    let wholly = c.x2 <= 0.0 || c.y2 <= 0.0 || c.x1 >= 1.0 || c.y1 >= 1.0;
    let corners = if opts.clip && outside {
        if wholly {
            let why = InvalidReason::ClippedAway {
                pixel,
                width: size.width,
                height: size.height,
            };
            return Err(invalid(Some(name), Some(pixel), why));
        }
        clamp(c)
    } else {
        c
    };
    let Some(label) = labels.label(&name) else {
        return Err(skip(Some(name), Some(pixel), SkipReason::UnknownClass));
    };
    let difficult = o.difficult.as_deref() == Some("1");
    if difficult && opts.difficult == DifficultPolicy::Drop {
        return Err(skip(Some(name), Some(pixel), SkipReason::Difficult));
    }
    // Only kept objects are warned about: a skipped one is reported once, as skipped.
    let warning = outside.then(|| outside_warning(k, o, &name, pixel, size, wholly, opts));
    let object = Object {
        index_in_file: k,
        line: o.line,
        column: o.column,
        name,
        label,
        difficult,
        truncated: o.truncated.as_deref() == Some("1"),
        pixel,
        corners,
        outside,
    };
    Ok((object, warning))
}

/// The four coordinates, xmin, ymin, xmax, ymax, as f64 from their text; the first that cannot
/// be read is the reason.
fn parse_box(coords: &[Option<std::borrow::Cow<'_, str>>; 4]) -> Result<[f64; 4], InvalidReason> {
    let mut pixel = [0.0f64; 4];
    for (c, (p, tag)) in pixel.iter_mut().zip(COORD_TAGS).enumerate() {
        *p = parse_coord(coords[c].as_deref())
            .map_err(|problem| InvalidReason::Coordinate { tag, problem })?;
    }
    Ok(pixel)
}

/// The reference's normalisation, in its rounding order: minus 1 in f64 (one-based), rounded to
/// f32, then an f32 division by the f32 width or height.
fn normalise(pixel: [f64; 4], coords: CoordBase, size: ImageSize) -> Corners {
    let shift = match coords {
        CoordBase::OneBased => 1.0,
        CoordBase::ZeroBased => 0.0,
    };
    let (fw, fh) = (size.width as f32, size.height as f32);
    Corners::new(
        ((pixel[0] - shift) as f32) / fw,
        ((pixel[1] - shift) as f32) / fh,
        ((pixel[2] - shift) as f32) / fw,
        ((pixel[3] - shift) as f32) / fh,
    )
}

/// A box must be non-empty in pixels as written and once normalised.
fn check_not_empty(pixel: [f64; 4], c: &Corners) -> Result<(), InvalidReason> {
    if pixel[2] <= pixel[0] {
        Err(InvalidReason::Inverted {
            axis: 'x',
            min: pixel[0],
            max: pixel[2],
        })
    } else if pixel[3] <= pixel[1] {
        Err(InvalidReason::Inverted {
            axis: 'y',
            min: pixel[1],
            max: pixel[3],
        })
    } else if c.x2 <= c.x1 || c.y2 <= c.y1 {
        Err(InvalidReason::EmptyOnceNormalised)
    } else {
        Ok(())
    }
}

/// `clip`: each corner clamped to [0, 1].
fn clamp(c: Corners) -> Corners {
    Corners::new(
        c.x1.clamp(0.0, 1.0),
        c.y1.clamp(0.0, 1.0),
        c.x2.clamp(0.0, 1.0),
        c.y2.clamp(0.0, 1.0),
    )
}

/// The warning about a kept box extending outside the image (`wholly`: none of it inside).
fn outside_warning(
    k: usize,
    o: &RawObject<'_>,
    name: &str,
    pixel: [f64; 4],
    size: ImageSize,
    wholly: bool,
    opts: &ReadOptions,
) -> Warning {
    let locator = object_locator(k, Some(name), o.line, o.column);
    let (width, height) = (size.width, size.height);
    let box_text = BoxText(&pixel);
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
            "{locator}: {box_text} extends outside the {width}x{height} image; clamped to it (--clip){zero_based_hint}"
        )
    } else if wholly {
        format!(
            "{locator}: {box_text} lies wholly outside the {width}x{height} image; kept unclipped as \
             the reference does: fix the box (--clip would drop it){zero_based_hint}"
        )
    } else {
        format!(
            "{locator}: {box_text} extends outside the {width}x{height} image; kept unclipped as \
             the reference does (--clip clamps it){zero_based_hint}"
        )
    };
    Warning {
        kind,
        line: o.line,
        column: o.column,
        object: Some(k),
        message,
    }
}

#[cfg(test)]
mod resolve_tests {
    use super::*;

    fn labels() -> LabelMap {
        LabelMap::from_classes(&["cat", "dog"]).unwrap()
    }

    /// An annotation of one object of class `name` with box `b` (texts as written) in an image
    /// of `size` (None: no `<size>`).
    fn xml(size: Option<(&str, &str)>, objects: &[(&str, [&str; 4], &str)]) -> String {
        let mut x = String::from("<annotation><filename>a.jpg</filename>\n");
        if let Some((w, h)) = size {
            x += &format!("<size><width>{w}</width><height>{h}</height></size>\n");
        }
        for (name, b, difficult) in objects {
            x += &format!(
                "<object><name>{name}</name><difficult>{difficult}</difficult><bndbox>\
                 <xmin>{}</xmin><ymin>{}</ymin><xmax>{}</xmax><ymax>{}</ymax></bndbox></object>\n",
                b[0], b[1], b[2], b[3]
            );
        }
        x + "</annotation>\n"
    }

    fn no_image(_: Option<&str>) -> Result<(u32, u32), String> {
        Err("no image found for it (looked in JPEGImages)".into())
    }

    fn run(text: &str, opts: ReadOptions) -> Result<Annotation, String> {
        let raw = parse_annotation(text.as_bytes()).unwrap();
        resolve(raw, &labels(), &opts, &mut no_image)
    }

    fn one(b: [&str; 4], opts: ReadOptions) -> Annotation {
        run(&xml(Some(("256", "128")), &[("dog", b, "0")]), opts).unwrap()
    }

    fn zero_based() -> ReadOptions {
        ReadOptions {
            coords: CoordBase::ZeroBased,
            ..ReadOptions::default()
        }
    }

    #[test]
    fn one_based_boxes_lose_one_pixel_before_the_division() {
        // (33 - 1) / 256, (17 - 1) / 128, (129 - 1) / 256, (97 - 1) / 128: exact in f32.
        let a = one(["33", "17", "129", "97"], ReadOptions::default());
        assert_eq!(a.size_source, SizeSource::Xml);
        assert_eq!((a.width, a.height), (256, 128));
        let o = &a.objects[0];
        assert_eq!(o.corners, Corners::new(0.125, 0.125, 0.5, 0.75));
        assert_eq!((o.label, o.name.as_str()), (2, "dog"));
        assert_eq!(o.pixel, [33.0, 17.0, 129.0, 97.0]);
        assert!(!o.outside && a.warnings.is_empty() && a.skipped.is_empty());
    }

    #[test]
    fn zero_based_boxes_are_divided_as_written() {
        // 33 / 256, 17 / 128, 129 / 256, 97 / 128.
        let a = one(["33", "17", "129", "97"], zero_based());
        assert_eq!(
            a.objects[0].corners,
            Corners::new(0.12890625, 0.1328125, 0.50390625, 0.7578125)
        );
    }

    #[test]
    fn rounding_order_is_f64_minus_one_then_f32_then_f32_division() {
        let raw = xml(
            Some(("333", "333")),
            &[("cat", ["1.1428571", "1", "100", "100"], "0")],
        );
        let x1 = run(&raw, ReadOptions::default()).unwrap().objects[0]
            .corners
            .x1;
        // Bits computed with numpy: np.float32(1.1428571 - 1.0) / np.float32(333).
        assert_eq!(x1.to_bits(), 971041651);
        // The two other orders give other floats, so this test tells them apart.
        let f64_division = ((1.1428571f64 - 1.0) / 333.0) as f32;
        let f32_subtraction = (1.1428571f64 as f32 - 1.0f32) / 333.0f32;
        assert_eq!(f64_division.to_bits(), 971041650);
        assert_eq!(f32_subtraction.to_bits(), 971041647);
    }

    #[test]
    fn clip_clamps_a_box_partly_outside_and_warns() {
        let b = ["0", "-9", "300", "97"];
        let kept = one(b, ReadOptions::default());
        let c = kept.objects[0].corners;
        // (0 - 1) / 256, (-9 - 1) / 128, (300 - 1) / 256: unclipped, as the reference.
        assert_eq!(
            (c.x1, c.y1, c.x2),
            (-1.0 / 256.0, -10.0 / 128.0, 299.0 / 256.0)
        );
        assert!(kept.objects[0].outside);
        assert_eq!(kept.warnings.len(), 1);
        assert_eq!(kept.warnings[0].kind, FindingKind::OutsideImage);
        assert_eq!(kept.warnings[0].object, Some(0));
        assert!(kept.warnings[0]
            .message
            .contains("box (0, -9, 300, 97) extends outside the 256x128 image; kept unclipped"));

        let opts = ReadOptions {
            clip: true,
            ..ReadOptions::default()
        };
        let clipped = one(b, opts);
        assert_eq!(
            clipped.objects[0].corners,
            Corners::new(0.0, 0.0, 1.0, 0.75)
        );
        assert!(clipped.warnings[0]
            .message
            .contains("clamped to it (--clip)"));
    }

    #[test]
    fn a_coordinate_below_one_is_hinted_as_zero_based() {
        let a = one(["0", "17", "129", "97"], ReadOptions::default());
        assert_eq!(a.warnings[0].kind, FindingKind::ZeroBasedCoordinate);
        assert!(a.warnings[0].message.contains("pass --coords zero-based"));
        // The same box read as 0-based is inside the image.
        assert!(one(["0", "17", "129", "97"], zero_based())
            .warnings
            .is_empty());
    }

    #[test]
    fn a_box_wholly_outside_is_kept_with_a_warning_or_clipped_away() {
        let b = ["300", "17", "400", "97"];
        let a = one(b, ReadOptions::default());
        assert_eq!(a.objects.len(), 1);
        assert_eq!(a.warnings[0].kind, FindingKind::WhollyOutside);
        let opts = ReadOptions {
            clip: true,
            ..ReadOptions::default()
        };
        let a = one(b, opts);
        assert!(a.objects.is_empty() && a.warnings.is_empty());
        assert_eq!(a.skipped[0].finding_kind(), Some(FindingKind::ClippedAway));
        assert_eq!(
            a.skipped[0].to_string(),
            "object 0 (\"dog\", line 3, column 1): box (300, 17, 400, 97) lies wholly outside \
             the 256x128 image, so --clip leaves nothing of it; skipped"
        );
    }

    #[test]
    fn difficult_objects_are_kept_or_dropped() {
        let raw = xml(
            Some(("256", "128")),
            &[("dog", ["33", "17", "129", "97"], "1")],
        );
        let kept = run(&raw, ReadOptions::default()).unwrap();
        assert!(kept.objects[0].difficult && kept.skipped.is_empty());
        let opts = ReadOptions {
            difficult: DifficultPolicy::Drop,
            ..ReadOptions::default()
        };
        let dropped = run(&raw, opts).unwrap();
        assert!(dropped.objects.is_empty());
        let s = &dropped.skipped[0];
        assert_eq!(s.reason, SkipReason::Difficult);
        assert_eq!(s.finding_kind(), None);
        assert_eq!(s.pixel, Some([33.0, 17.0, 129.0, 97.0]));
        assert!(s
            .to_string()
            .ends_with(": marked difficult (--difficult drop); skipped"));
    }

    #[test]
    fn an_unknown_class_is_skipped_after_its_box_is_checked() {
        let raw = xml(
            Some(("256", "128")),
            &[
                ("Horse ", ["33", "17", "129", "97"], "0"),
                ("horse", ["33", "17", "3", "97"], "0"),
            ],
        );
        let a = run(&raw, ReadOptions::default()).unwrap();
        assert!(a.objects.is_empty());
        assert_eq!(a.skipped[0].reason, SkipReason::UnknownClass);
        assert_eq!(a.skipped[0].finding_kind(), Some(FindingKind::UnknownClass));
        assert_eq!(a.skipped[0].name.as_deref(), Some("horse"));
        assert_eq!(
            a.skipped[0].to_string(),
            "object 0 (\"horse\", line 3, column 1): class \"horse\" is not in the label map; skipped"
        );
        // An empty box is invalid before its class is looked up.
        assert_eq!(a.skipped[1].finding_kind(), Some(FindingKind::EmptyBox));
    }

    #[test]
    fn the_size_comes_from_the_image_when_size_is_missing_zero_or_bad() {
        let mut asked = Vec::new();
        let mut from_image = |f: Option<&str>| {
            asked.push(f.map(str::to_string));
            Ok((512, 256))
        };
        let cases = [
            (None, None),
            (Some(("0", "0")), None),
            (
                Some(("abc", "128")),
                Some("<size><width> \"abc\" is not a number; the size was taken from the image"),
            ),
        ];
        for (size, warning) in cases {
            let text = xml(size, &[("cat", ["33", "17", "129", "97"], "0")]);
            let raw = parse_annotation(text.as_bytes()).unwrap();
            let a = resolve(raw, &labels(), &ReadOptions::default(), &mut from_image).unwrap();
            assert_eq!(
                (a.width, a.height, a.size_source),
                (512, 256, SizeSource::Image)
            );
            // (33 - 1) / 512 and (17 - 1) / 256: divided by the image's size.
            assert_eq!(a.objects[0].corners.x1, 0.0625);
            assert_eq!(a.objects[0].corners.y1, 0.0625);
            let w: Vec<_> = a.warnings.iter().map(|w| w.message.as_str()).collect();
            assert_eq!(w, warning.into_iter().collect::<Vec<_>>());
        }
        assert_eq!(asked, vec![Some("a.jpg".to_string()); 3]);
    }

    #[test]
    fn without_a_size_an_image_with_objects_fails_and_one_without_warns() {
        let e = run(
            &xml(None, &[("cat", ["33", "17", "129", "97"], "0")]),
            Default::default(),
        )
        .unwrap_err();
        assert_eq!(
            e,
            "no <size>, and no image found for it (looked in JPEGImages): add <size> to the \
             file, or pass --images DIR with its image"
        );
        let a = run(&xml(Some(("0", "")), &[]), Default::default()).unwrap();
        assert_eq!(
            (a.width, a.height, a.size_source),
            (0, 0, SizeSource::Unknown)
        );
        assert_eq!(a.warnings[0].kind, FindingKind::SizeUnknown);
        assert_eq!(
            a.warnings[0].message,
            "<size> has width 0 and height empty, and no image found for it (looked in \
             JPEGImages) (no objects, so no size is needed)"
        );
    }

    #[test]
    fn every_invalid_reason_has_its_kind_and_text() {
        let text = "<annotation><size><width>256</width><height>128</height></size>\
            <object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>\
            <object><name></name></object>\
            <object><name>cat</name></object>\
            <object><name>cat</name><bndbox><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>\
            <object><name>cat</name><bndbox><xmin></xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>\
            <object><name>cat</name><bndbox><xmin>1</xmin><ymin>x1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>\
            <object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>NaN</xmax><ymax>9</ymax></bndbox></object>\
            <object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>2e6</ymax></bndbox></object>\
            <object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>1e400</ymax></bndbox></object>\
            <object><name>cat</name><bndbox><xmin>9</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object>\
            <object><name>cat</name><bndbox><xmin>1</xmin><ymin>9</ymin><xmax>9</xmax><ymax>2.5</ymax></bndbox></object>\
            <object><name>cat</name><bndbox><xmin>100</xmin><ymin>1</ymin><xmax>100.000001</xmax><ymax>9</ymax></bndbox></object>\
            </annotation>";
        let a = run(text, ReadOptions::default()).unwrap();
        assert!(a.objects.is_empty());
        use FindingKind as K;
        let expected: [(K, &str); 12] = [
            (K::NoName, "no <name>: add its class name"),
            (K::NoName, "empty <name>: fill in its class name"),
            (
                K::NoBndbox,
                "no <bndbox> (only <bndbox> boxes are read, not polygons or masks)",
            ),
            (K::BadCoordinate, "<bndbox> has no <xmin>"),
            (K::BadCoordinate, "<xmin> is empty"),
            (K::BadCoordinate, "<ymin> \"x1\" is not a number"),
            (K::BadCoordinate, "<xmax> \"NaN\" is not a finite number"),
            (
                K::BadCoordinate,
                "<ymax> 2e6 is beyond ±1000000 pixels: the box is corrupt",
            ),
            (
                K::BadCoordinate,
                "<ymax> 1e400 is beyond ±1000000 pixels: the box is corrupt",
            ),
            (
                K::EmptyBox,
                "xmax (9) <= xmin (9): an empty or inverted box",
            ),
            (
                K::EmptyBox,
                "ymax (2.5) <= ymin (9): an empty or inverted box",
            ),
            (
                K::EmptyBox,
                "the box has zero width or height once divided by the image size",
            ),
        ];
        assert_eq!(a.skipped.len(), expected.len());
        for (k, (s, (kind, why))) in a.skipped.iter().zip(expected).enumerate() {
            assert_eq!(s.index_in_file, k);
            assert_eq!(s.finding_kind(), Some(kind), "{s}");
            let SkipReason::Invalid(reason) = &s.reason else {
                panic!("{s:?}")
            };
            assert_eq!(reason.to_string(), why);
            assert!(s.to_string().ends_with(&format!(": {why}; skipped")), "{s}");
        }
        // Only boxes read in full keep their pixels.
        assert!(a.skipped[..9].iter().all(|s| s.pixel.is_none()));
        assert!(a.skipped[9..].iter().all(|s| s.pixel.is_some()));
        assert_eq!(a.skipped[0].name, None);
        assert_eq!(a.skipped[3].name.as_deref(), Some("cat"));
    }

    #[test]
    fn an_invalid_reason_serialises_as_its_text() {
        let r = SkipReason::Invalid(InvalidReason::Inverted {
            axis: 'x',
            min: 40.0,
            max: 12.0,
        });
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"kind":"invalid","detail":"xmax (12) <= xmin (40): an empty or inverted box"}"#
        );
    }
}
