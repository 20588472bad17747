//! An image's header facts (format, stored size, EXIF orientation) from its first bytes: no
//! pixel is decoded. Read from a file on disk ([`read_image_info`]) or from any seekable
//! reader ([`image_info_from`]: an archive member).

use std::io::{BufRead, Seek};
use std::path::{Path, PathBuf};

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

/// Reads an image's header: format sniffed from the bytes (not the extension), stored size and
/// EXIF orientation. Pixels are not decoded. The error says what went wrong, without the path.
pub fn read_image_info(path: &Path) -> Result<ImageInfo, String> {
    // Opened as every input is (regular file, no FIFO hang, size cap).
    let (file, _) =
        super::input::open(path, super::input::InputKind::Image).map_err(|e| e.to_string())?;
    image_info_from(path, std::io::BufReader::new(file))
}

/// [`read_image_info`] from a reader positioned at the image's first byte; `path` is how the
/// result names the image.
pub fn image_info_from<R: BufRead + Seek>(path: &Path, reader: R) -> Result<ImageInfo, String> {
    // Decoders are fuzzed upstream, but a panic in one must not take the run down with it.
    let read = std::panic::AssertUnwindSafe(move || header(path, reader));
    std::panic::catch_unwind(read)
        .unwrap_or_else(|_| Err("the image decoder failed on its header".into()))
}

fn header<R: BufRead + Seek>(path: &Path, reader: R) -> Result<ImageInfo, String> {
    use image::ImageDecoder;
    // The format comes from the bytes alone (ImageReader::open would fall back to the
    // extension).
    let reader = image::ImageReader::new(reader)
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
