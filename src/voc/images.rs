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
pub use super::image_header::{read_image_info, ImageInfo};
use super::{Annotation, SizeSource};

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

/// Where images are looked up and their headers read: files on disk ([`Disk`]), or an
/// archive's members (`voc::source`).
pub trait ImageStore {
    /// Whether `path` is a file (links followed).
    fn is_file(&self, path: &Path) -> bool;
    /// The header facts of the image at `path` (its `path` field as messages name it).
    fn info(&self, path: &Path) -> Result<ImageInfo, String>;
    /// How messages name `path`.
    fn shown(&self, path: &Path) -> PathBuf;
}

/// Images as files on disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl ImageStore for Disk {
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
    fn info(&self, path: &Path) -> Result<ImageInfo, String> {
        read_image_info(path)
    }
    fn shown(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }
}

/// Finds an entry's image on disk (see [`find_image_in`]).
pub fn find_image(entry: &ImageEntry, filename: Option<&str>) -> Option<PathBuf> {
    find_image_in(&Disk, entry, filename)
}

/// Finds an entry's image in `store`: by `<filename>` (as written, then its last path
/// component), then by the id with the usual extensions, in each image folder in turn.
pub fn find_image_in<S: ImageStore + ?Sized>(
    store: &S,
    entry: &ImageEntry,
    filename: Option<&str>,
) -> Option<PathBuf> {
    for dir in entry.image_dirs() {
        if let Some(f) = filename.filter(|f| !f.is_empty()) {
            // An absolute <filename> (labelImg's C:\\... or /home/...) or one climbing out with
            // `..` must not pick up some other file on this machine: only its last component is
            // looked up then.
            let escapes = Path::new(f).is_absolute()
                || f.contains(':')
                || f.split(['/', '\\']).any(|c| c == "..");
            let p = dir.join(f);
            if !escapes && store.is_file(&p) {
                return Some(p);
            }
            if let Some(base) = f.rsplit(['/', '\\']).next() {
                let p = dir.join(base);
                if store.is_file(&p) {
                    return Some(p);
                }
                // `--recursive`: the id is a relative path; the image may sit in the same
                // subfolder of the image folder.
                if let Some((sub, _)) = entry.id.rsplit_once('/') {
                    let p = dir.join(sub).join(base);
                    if store.is_file(&p) {
                        return Some(p);
                    }
                }
            }
        }
        for ext in IMAGE_EXTENSIONS {
            let p = dir.join(format!("{}.{ext}", entry.id));
            if store.is_file(&p) {
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
    image_size_in(&Disk, entry, filename)
}

/// [`image_size`] with the images in `store`.
pub fn image_size_in<S: ImageStore + ?Sized>(
    store: &S,
    entry: &ImageEntry,
    filename: Option<&str>,
) -> Result<(u32, u32), String> {
    let path = find_image_in(store, entry, filename).ok_or_else(|| {
        let dirs: Vec<String> = entry
            .image_dirs()
            .iter()
            .map(|d| store.shown(d).display().to_string())
            .collect();
        format!("no image found for it (looked in {})", dirs.join(", "))
    })?;
    let info = store.info(&path).map_err(|message| {
        Unreadable {
            path: &store.shown(&path),
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

/// The `--check-images` checks for one annotation: find its image (as the reader does: by
/// `<filename>`, then by id with the usual extensions), read its header and compare.
///
/// The size is compared only when it came from `<size>` (a size taken from the image agrees by
/// construction).
pub fn check_image(entry: &ImageEntry, annotation: &Annotation) -> ImageCheck {
    check_image_in(&Disk, entry, annotation)
}

/// [`check_image`] with the images in `store`.
pub fn check_image_in<S: ImageStore + ?Sized>(
    store: &S,
    entry: &ImageEntry,
    annotation: &Annotation,
) -> ImageCheck {
    let Some(found) = find_image_in(store, entry, annotation.filename.as_deref()) else {
        return ImageCheck {
            image: None,
            findings: vec![ImageFinding::MissingImage {
                filename: annotation.filename.clone(),
                looked_in: entry.image_dirs().iter().map(|d| store.shown(d)).collect(),
            }],
        };
    };
    let path = store.shown(&found);
    let info = match store.info(&found) {
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
