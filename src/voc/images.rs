//! `--check-images`: what an annotation's image says about the annotation.
//!
//! [`check_image`] finds an entry's image, reads its header only (size, format, EXIF
//! orientation; no pixel is decoded) and compares it with the resolved [`Annotation`]:
//!
//! - the image is missing, or cannot be read as an image;
//! - its bytes are another format than its extension says (PNG bytes named `.jpg`: many
//!   training pipelines pick the decoder by extension);
//! - `<size>` disagrees with the real size, and in particular is the real size with width and
//!   height swapped: the sign of an image rotated through its EXIF orientation, where the
//!   boxes were drawn on one view and the pipeline will decode the other.
//!
//! Checks need the image, so they are separate from reading the annotation and run only when
//! asked for.

use std::path::{Path, PathBuf};

use super::dataset::ImageEntry;
use super::{Annotation, SizeSource};

/// An image's header facts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImageInfo {
    pub path: PathBuf,
    /// Format sniffed from the bytes, lower case (`jpeg`, `png`, `bmp`, `gif`, `webp`, `tiff`).
    pub format: String,
    /// Size as stored (before any EXIF rotation).
    pub width: u32,
    pub height: u32,
    /// EXIF orientation 1-8 when the file has one other than 1 (2-8: the viewer flips or
    /// rotates the stored pixels; 5-8 swap width and height on screen).
    pub exif_orientation: Option<u8>,
}

/// One thing `--check-images` found about an image. `Display` gives the message users read;
/// [`ImageFinding::kind`] a stable machine name.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImageFinding {
    /// No image found for the annotation.
    MissingImage {
        filename: Option<String>,
        looked_in: Vec<PathBuf>,
    },
    /// A file was found but its header cannot be read as an image.
    UnreadableImage { path: PathBuf, message: String },
    /// The bytes are another format than the extension names.
    FormatMismatch {
        path: PathBuf,
        extension: String,
        actual: String,
    },
    /// `<size>` is the real size with width and height swapped.
    SizeSwapped {
        path: PathBuf,
        xml: (u32, u32),
        image: (u32, u32),
        exif_orientation: Option<u8>,
    },
    /// `<size>` differs from the real size otherwise.
    SizeMismatch {
        path: PathBuf,
        xml: (u32, u32),
        image: (u32, u32),
    },
}

impl ImageFinding {
    /// `missing_image`, `unreadable_image`, `format_mismatch`, `size_swapped`, `size_mismatch`.
    pub fn kind(&self) -> crate::findings::FindingKind {
        use crate::findings::FindingKind as K;
        match self {
            ImageFinding::MissingImage { .. } => K::MissingImage,
            ImageFinding::UnreadableImage { .. } => K::UnreadableImage,
            ImageFinding::FormatMismatch { .. } => K::FormatMismatch,
            ImageFinding::SizeSwapped { .. } => K::SizeSwapped,
            ImageFinding::SizeMismatch { .. } => K::SizeMismatch,
        }
    }
}

impl std::fmt::Display for ImageFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageFinding::MissingImage {
                filename,
                looked_in,
            } => {
                let dirs: Vec<String> = looked_in.iter().map(|d| d.display().to_string()).collect();
                let named = match filename.as_deref().filter(|f| !f.is_empty()) {
                    Some(f) => format!(" (<filename> {f:?}, or the id with an image extension)"),
                    None => " (by its id with an image extension)".to_string(),
                };
                write!(
                    f,
                    "image missing: looked in {}{named}: add the image, or pass --images DIR",
                    dirs.join(", ")
                )
            }
            ImageFinding::UnreadableImage { path, message } => write!(
                f,
                "{}: replace it with a valid image",
                Unreadable { path, message }
            ),
            ImageFinding::FormatMismatch {
                path,
                extension,
                actual,
            } => write!(
                f,
                "image {} holds {} data but is named .{extension}: a loader that trusts the \
                 extension fails on it; rename it or convert it",
                path.display(),
                actual.to_uppercase()
            ),
            ImageFinding::SizeSwapped {
                path,
                xml,
                image,
                exif_orientation,
            } => {
                let why = match exif_orientation {
                    Some(o @ 5..=8) => format!(
                        "the image carries EXIF orientation {o} (shown rotated a quarter turn), so the \
                         boxes were likely drawn on the rotated view"
                    ),
                    _ => "a sign of EXIF rotation (applied by one tool, ignored or stripped by another)"
                        .to_string(),
                };
                write!(
                    f,
                    "<size> {}x{} is image {}'s {}x{} with width and height swapped: {why}; check \
                     the boxes against the image as your training code decodes it",
                    xml.0,
                    xml.1,
                    path.display(),
                    image.0,
                    image.1
                )
            }
            ImageFinding::SizeMismatch { path, xml, image } => write!(
                f,
                "<size> {}x{} disagrees with image {}, which is {}x{}: the boxes are normalised by \
                 <size>; correct it (or the image is not the one annotated)",
                xml.0,
                xml.1,
                path.display(),
                image.0,
                image.1
            ),
        }
    }
}

/// Image file extensions tried, in order, when `<filename>` does not name an existing file.
pub const IMAGE_EXTENSIONS: [&str; 12] = [
    "jpg", "jpeg", "png", "JPG", "JPEG", "PNG", "bmp", "BMP", "webp", "tif", "tiff", "gif",
];

/// Finds an entry's image: by `<filename>` (as written, then its last path component), then by
/// the id with the usual extensions, in each image folder in turn.
pub fn find_image(entry: &ImageEntry, filename: Option<&str>) -> Option<PathBuf> {
    for dir in entry.image_dirs() {
        if let Some(f) = filename.filter(|f| !f.is_empty()) {
            // An absolute <filename> (labelImg's C:\\... or /home/...) or one climbing out with
            // `..` must not pick up some other file on this machine: only its last component is
            // looked up then.
            let escapes = Path::new(f).is_absolute()
                || f.contains(':')
                || f.split(['/', '\\']).any(|c| c == "..");
            let p = dir.join(f);
            if !escapes && p.is_file() {
                return Some(p);
            }
            if let Some(base) = f.rsplit(['/', '\\']).next() {
                let p = dir.join(base);
                if p.is_file() {
                    return Some(p);
                }
                // `--recursive`: the id is a relative path; the image may sit in the same
                // subfolder of the image folder.
                if let Some((sub, _)) = entry.id.rsplit_once('/') {
                    let p = dir.join(sub).join(base);
                    if p.is_file() {
                        return Some(p);
                    }
                }
            }
        }
        for ext in IMAGE_EXTENSIONS {
            let p = dir.join(format!("{}.{ext}", entry.id));
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// `image PATH cannot be read: WHY`: how every message names an image that cannot be read.
struct Unreadable<'a> {
    path: &'a Path,
    message: &'a str,
}

impl std::fmt::Display for Unreadable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "image {} cannot be read: {}",
            self.path.display(),
            self.message
        )
    }
}

/// The size of an entry's image from its header, for an annotation whose `<size>` is missing,
/// 0 or unusable (what [`super::resolve`] asks through its size lookup). The size is the
/// stored one, as the reference's decoder sees it (EXIF orientation is not applied). The error
/// is the message users read.
pub fn image_size(entry: &ImageEntry, filename: Option<&str>) -> Result<(u32, u32), String> {
    let path = find_image(entry, filename).ok_or_else(|| {
        let dirs: Vec<String> = entry
            .image_dirs()
            .iter()
            .map(|d| d.display().to_string())
            .collect();
        format!("no image found for it (looked in {})", dirs.join(", "))
    })?;
    let info = read_image_info(&path).map_err(|message| {
        Unreadable {
            path: &path,
            message: &message,
        }
        .to_string()
    })?;
    Ok((info.width, info.height))
}

/// What [`check_image`] found: the image (when found and readable) and the findings, in the
/// order missing/unreadable, format, size.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImageCheck {
    pub image: Option<ImageInfo>,
    pub findings: Vec<ImageFinding>,
}

/// Reads an image's header: format sniffed from the bytes (not the extension), stored size and
/// EXIF orientation. Pixels are not decoded. The error says what went wrong, without the path.
pub fn read_image_info(path: &Path) -> Result<ImageInfo, String> {
    // Decoders are fuzzed upstream, but a panic in one must not take the run down with it.
    std::panic::catch_unwind(|| read_image_info_inner(path))
        .unwrap_or_else(|_| Err("the image decoder failed on its header".into()))
}

fn read_image_info_inner(path: &Path) -> Result<ImageInfo, String> {
    use image::ImageDecoder;
    // Opened as every input is (regular file, no FIFO hang, size cap); the format comes from
    // the bytes alone (ImageReader::open would fall back to the extension).
    let (file, _) =
        super::input::open(path, super::input::InputKind::Image).map_err(|e| e.to_string())?;
    let reader = image::ImageReader::new(std::io::BufReader::new(file))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let format = reader
        .format()
        .ok_or_else(|| "not a known image format (JPEG, PNG, BMP, GIF, WebP, TIFF)".to_string())?;
    let format_name = format!("{format:?}").to_lowercase();
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("broken {format_name} header: {e}"))?;
    let (width, height) = decoder.dimensions();
    let exif_orientation = decoder
        .orientation()
        .ok()
        .map(orientation_to_exif)
        .filter(|&o| o != 1);
    Ok(ImageInfo {
        path: path.to_path_buf(),
        format: format_name,
        width,
        height,
        exif_orientation,
    })
}

fn orientation_to_exif(o: image::metadata::Orientation) -> u8 {
    use image::metadata::Orientation::*;
    match o {
        NoTransforms => 1,
        FlipHorizontal => 2,
        Rotate180 => 3,
        FlipVertical => 4,
        Rotate90FlipH => 5,
        Rotate90 => 6,
        Rotate270FlipH => 7,
        Rotate270 => 8,
    }
}

/// The `--check-images` checks for one annotation: find its image (as the reader does: by
/// `<filename>`, then by id with the usual extensions), read its header and compare.
///
/// The size is compared only when it came from `<size>` (a size taken from the image agrees by
/// construction).
pub fn check_image(entry: &ImageEntry, annotation: &Annotation) -> ImageCheck {
    let Some(path) = find_image(entry, annotation.filename.as_deref()) else {
        return ImageCheck {
            image: None,
            findings: vec![ImageFinding::MissingImage {
                filename: annotation.filename.clone(),
                looked_in: entry.image_dirs().to_vec(),
            }],
        };
    };
    let info = match read_image_info(&path) {
        Ok(info) => info,
        Err(message) => {
            return ImageCheck {
                image: None,
                findings: vec![ImageFinding::UnreadableImage { path, message }],
            }
        }
    };
    let mut findings = Vec::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        let named =
            image::ImageFormat::from_extension(ext).map(|f| format!("{f:?}").to_lowercase());
        if named.is_some_and(|n| n != info.format) {
            findings.push(ImageFinding::FormatMismatch {
                path: path.clone(),
                extension: ext.to_string(),
                actual: info.format.clone(),
            });
        }
    }
    if annotation.size_source == SizeSource::Xml {
        let xml = (annotation.width, annotation.height);
        let image = (info.width, info.height);
        if xml != image {
            findings.push(if xml == (image.1, image.0) {
                ImageFinding::SizeSwapped {
                    path: path.clone(),
                    xml,
                    image,
                    exif_orientation: info.exif_orientation,
                }
            } else {
                ImageFinding::SizeMismatch {
                    path: path.clone(),
                    xml,
                    image,
                }
            });
        }
    }
    ImageCheck {
        image: Some(info),
        findings,
    }
}
