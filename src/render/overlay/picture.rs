//! An image to draw on: found the way the audit finds it ([`crate::voc::images::find_image`]),
//! opened as every input is ([`crate::voc::input`]), its format taken from the bytes, its header
//! read before any pixel is decoded, decoded within [`image::Limits`], never a panic.
//!
//! An image larger than [`MAX_PIXELS`] is refused by its header's dimensions, before decoding
//! (a 20,000 x 20,000 PNG would need 1.2 GB): the picture is then drawn on a blank canvas and
//! says why. The pixels are the stored ones: EXIF orientation is not applied, as the reference's
//! decoder does not apply it and the boxes are in the stored image's coordinates.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::voc::dataset::ImageEntry;
use crate::voc::input::{self, InputError, InputKind};
use crate::voc::source::Listed;
use crate::voc::Annotation;

/// Images with more pixels than this (40 million: 7300 x 5500) are not decoded.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Nor images with a side longer than this.
pub const MAX_SIDE: u32 = 16_384;
/// Files larger than this are not read.
pub const MAX_FILE_BYTES: u64 = 128 << 20;
/// What a decoder may allocate.
pub const MAX_ALLOC: u64 = 512 << 20;

/// A decoded image.
#[derive(Debug, Clone)]
pub struct Picture {
    pub path: PathBuf,
    /// Sniffed from the bytes.
    pub format: image::ImageFormat,
    /// The stored pixels (no EXIF rotation).
    pub pixels: image::RgbImage,
    /// The file as read (an SVG embeds it as it is).
    pub bytes: Vec<u8>,
    /// What the caption should say about it (a format other than the extension names).
    pub notes: Vec<String>,
}

/// Why there is no image to draw on. `Display` is the placeholder's text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PictureError {
    #[error("no image found (looked in {}); pass --images DIR if the images are elsewhere", looked_in.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "))]
    Missing { looked_in: Vec<PathBuf> },
    #[error("image {} cannot be read: {message}", path.display())]
    Unreadable { path: PathBuf, message: String },
    #[error(
        "image {} is {width} x {height} pixels, more than the {} million a picture decodes: not \
         decoded",
        path.display(),
        MAX_PIXELS / 1_000_000
    )]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
    },
}

/// Finds `entry`'s image (by `<filename>`, then by id) and loads it.
/// An image inside an archive is read from the archive's member (a `.tar.gz` keeps only
/// its header facts: the placeholder says so).
pub fn find_and_load(entry: &ImageEntry, annotation: &Annotation) -> Result<Picture, PictureError> {
    let path = Listed
        .find_image(entry, annotation.filename.as_deref())
        .ok_or_else(|| PictureError::Missing {
            looked_in: entry
                .image_dirs()
                .iter()
                .map(|d| entry.archive().map_or_else(|| d.clone(), |a| a.shown(d)))
                .collect(),
        })?;
    let shown = entry
        .archive()
        .map_or_else(|| path.clone(), |a| a.shown(&path));
    let mut bytes = Vec::new();
    Listed
        .read_image(entry, &path, MAX_FILE_BYTES, &mut bytes)
        .map_err(|e| unreadable(&shown, e))?;
    from_bytes(&shown, bytes)
}

/// Why the bytes of `path` could not be read, in the placeholder's words.
fn unreadable(path: &Path, e: InputError) -> PictureError {
    let message = match e {
        InputError::TooLarge { .. } => format!(
            "the file is more than the {} MB a picture reads",
            MAX_FILE_BYTES >> 20
        ),
        e => e.to_string(),
    };
    PictureError::Unreadable {
        path: path.to_path_buf(),
        message,
    }
}

/// Reads and decodes the image at `path` within the limits above.
pub fn load(path: &Path) -> Result<Picture, PictureError> {
    let (file, len) = input::open(path, InputKind::Image).map_err(|e| unreadable(path, e))?;
    if len > MAX_FILE_BYTES {
        return Err(unreadable(
            path,
            InputError::TooLarge {
                kind: InputKind::Image,
                size: len,
            },
        ));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(MAX_FILE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(path, InputError::Read(e.to_string())))?;
    from_bytes(path, bytes)
}

/// Decodes the image read from `path` within the limits above.
fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Picture, PictureError> {
    let unreadable = |message: String| PictureError::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    // Decoders are fuzzed upstream, but a panic in one must not take the run down with it.
    let decoded = std::panic::catch_unwind(|| decode(path, &bytes))
        .unwrap_or_else(|_| Err(unreadable("the image decoder failed".into())))?;
    let (format, pixels) = decoded;
    let mut notes = Vec::new();
    notes.extend(format_note(path, format));
    // JPEG decoders fill a cut-off file's missing rows instead of failing.
    if format == image::ImageFormat::Jpeg && memchr::memmem::rfind(&bytes, b"\xff\xd9").is_none() {
        notes.push(
            "the JPEG has no end marker: the file is cut off, and its missing part is drawn \
             as the decoder fills it"
                .into(),
        );
    }
    Ok(Picture {
        path: path.to_path_buf(),
        format,
        pixels,
        bytes,
        notes,
    })
}

/// The format by content, its header's size checked, then the pixels.
fn decode(
    path: &Path,
    bytes: &[u8],
) -> Result<(image::ImageFormat, image::RgbImage), PictureError> {
    use image::ImageDecoder;
    let unreadable = |message: String| PictureError::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| unreadable(e.to_string()))?;
    let format = reader.format().ok_or_else(|| {
        unreadable("not a known image format (JPEG, PNG, BMP, GIF, WebP, TIFF)".into())
    })?;
    // The dimensions are checked below, from the header, so that the refusal can say them.
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let name = format_name(format);
    // The header alone first.
    let decoder = reader
        .into_decoder()
        .map_err(|e| unreadable(format!("broken {name} header: {e}")))?;
    let (width, height) = decoder.dimensions();
    if width as u64 * height as u64 > MAX_PIXELS || width.max(height) > MAX_SIDE {
        return Err(PictureError::TooLarge {
            path: path.to_path_buf(),
            width,
            height,
        });
    }
    let image = image::DynamicImage::from_decoder(decoder)
        .map_err(|e| unreadable(format!("broken {name} data: {e}")))?;
    Ok((format, image.into_rgb8()))
}

/// `png`, `jpeg`...: as `--check-images` names formats.
pub fn format_name(format: image::ImageFormat) -> String {
    format!("{format:?}").to_lowercase()
}

/// PNG bytes named `.jpg`: decoded by content, which a decoder chosen by extension would not do.
fn format_note(path: &Path, format: image::ImageFormat) -> Option<String> {
    let ext = path.extension()?.to_str()?;
    let named = image::ImageFormat::from_extension(ext)?;
    (named != format).then(|| {
        format!(
            "the file is {} though named .{ext}: decoded by its content (a loader that trusts \
             the extension fails on it)",
            format_name(format).to_uppercase()
        )
    })
}

/// What the caption says when the image's size is not the annotation's `<size>`.
pub fn size_note(picture: &Picture, annotation: &Annotation) -> Option<String> {
    let (w, h) = picture.pixels.dimensions();
    ((w, h) != (annotation.width, annotation.height)).then(|| {
        format!(
            "the image is {w} x {h} but <size> says {} x {}: boxes and priors are drawn in \
             <size> coordinates (where matching works) scaled to the image",
            annotation.width, annotation.height
        )
    })
}
