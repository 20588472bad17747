//! Sources of annotation bytes: the one interface through which the pipeline reads a dataset.
//!
//! [`AnnotationSource`] is what `pipeline` consumes: for an [`ImageEntry`] it names the
//! annotation, reads its bytes into a buffer the calling thread reuses from file to file,
//! and answers what resolving needs of the entry's image (its size, and the `--check-images`
//! checks). [`FileSystem`] is today's implementation, through [`super::input`]. Another one
//! (an archive's members) plugs in here: the matcher, the pipeline and the sinks only see
//! bytes, [`Annotation`]s and [`ReadError`]s, never where the bytes came from.
//!
//! [`read_annotation`] is the per-entry reading: bytes, then [`super::parse_annotation`], then
//! [`super::resolve`].

use std::path::{Path, PathBuf};

use super::archive::Archive;
use super::dataset::ImageEntry;
use super::images::{
    check_image, check_image_in, find_image, find_image_in, image_size, image_size_in,
    read_image_info, ImageCheck, ImageInfo, ImageStore,
};
use super::input::{read_into, InputError, InputKind};
use super::{
    parse_annotation, resolve, Annotation, LabelMap, RawAnnotation, ReadOptions, XmlError,
};
use crate::findings::FindingKind;

/// Where annotation bytes (and what resolving needs of images) come from. `Sync`: one source
/// is shared by every reading thread.
pub trait AnnotationSource: Sync {
    /// How results and messages name the entry's annotation (a path; for a member of an
    /// archive, the archive's path and the member's).
    fn location(&self, entry: &ImageEntry) -> PathBuf;

    /// Reads the annotation of `entry`, at `location` (what [`AnnotationSource::location`]
    /// gave for it), into `buf`, replacing its contents and reusing its capacity. The error is
    /// the message users read, without the location.
    fn read(&self, entry: &ImageEntry, location: &Path, buf: &mut Vec<u8>)
        -> Result<(), ReadError>;

    /// The size of the entry's image (for an annotation without a usable `<size>`); the error
    /// is the message users read.
    fn image_size(&self, entry: &ImageEntry, filename: Option<&str>) -> Result<(u32, u32), String>;

    /// The `--check-images` checks of the entry's image against its resolved annotation.
    fn check_image(&self, entry: &ImageEntry, annotation: &Annotation) -> ImageCheck;
}

/// Annotations and images as files on disk, each opened through [`super::input`] (regular
/// file only, non-blocking open, the annotation size cap).
#[derive(Debug, Clone, Copy, Default)]
pub struct FileSystem;

impl AnnotationSource for FileSystem {
    fn location(&self, entry: &ImageEntry) -> PathBuf {
        entry.xml()
    }

    fn read(
        &self,
        _entry: &ImageEntry,
        location: &Path,
        buf: &mut Vec<u8>,
    ) -> Result<(), ReadError> {
        read_into(location, InputKind::Annotation, buf).map_err(ReadError::from)
    }

    fn image_size(&self, entry: &ImageEntry, filename: Option<&str>) -> Result<(u32, u32), String> {
        image_size(entry, filename)
    }

    fn check_image(&self, entry: &ImageEntry, annotation: &Annotation) -> ImageCheck {
        check_image(entry, annotation)
    }
}

/// Annotations where the listing found them: files on disk ([`FileSystem`]) or members of an
/// archive ([`ImageEntry::archive`]), entry by entry (a run may mix folders and archives).
/// Images are looked up the same way: in the archive, or on disk for `--images DIR`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Listed;

impl AnnotationSource for Listed {
    fn location(&self, entry: &ImageEntry) -> PathBuf {
        match entry.archive() {
            Some(a) => a.shown(&entry.xml()),
            None => entry.xml(),
        }
    }

    fn read(
        &self,
        entry: &ImageEntry,
        location: &Path,
        buf: &mut Vec<u8>,
    ) -> Result<(), ReadError> {
        match entry.archive() {
            Some(a) => a
                .read(&entry.xml(), InputKind::Annotation, buf)
                .map_err(ReadError::from),
            None => FileSystem.read(entry, location, buf),
        }
    }

    fn image_size(&self, entry: &ImageEntry, filename: Option<&str>) -> Result<(u32, u32), String> {
        match entry.archive() {
            Some(a) => image_size_in(&Members(a), entry, filename),
            None => image_size(entry, filename),
        }
    }

    fn check_image(&self, entry: &ImageEntry, annotation: &Annotation) -> ImageCheck {
        match entry.archive() {
            Some(a) => check_image_in(&Members(a), entry, annotation),
            None => check_image(entry, annotation),
        }
    }
}

impl Listed {
    /// Where the entry's image is (by `<filename>`, then by id), the way the audit finds it:
    /// among the archive's members for an entry of an archive, else on disk.
    pub fn find_image(&self, entry: &ImageEntry, filename: Option<&str>) -> Option<PathBuf> {
        match entry.archive() {
            Some(a) => find_image_in(&Members(a), entry, filename),
            None => find_image(entry, filename),
        }
    }

    /// Reads the whole image at `path` (what [`Listed::find_image`] gave) into `buf`, at most
    /// `cap` bytes: the pictures decode it. A member of a `.tar.gz` is not kept by the stream
    /// pass (only its header facts), and says so.
    pub fn read_image(
        &self,
        entry: &ImageEntry,
        path: &Path,
        cap: u64,
        buf: &mut Vec<u8>,
    ) -> Result<(), InputError> {
        match entry.archive().filter(|a| a.member_of(path).is_some()) {
            Some(a) => a.read_within(path, InputKind::Image, cap, buf),
            None => {
                use std::io::Read;
                let (file, _) = super::input::open(path, InputKind::Image)?;
                buf.clear();
                file.take(cap)
                    .read_to_end(buf)
                    .map_err(|e| InputError::Read(e.to_string()))?;
                Ok(())
            }
        }
    }
}

/// Images among an archive's members, or on disk for paths outside it (`--images DIR`).
struct Members<'a>(&'a Archive);

impl ImageStore for Members<'_> {
    fn is_file(&self, path: &Path) -> bool {
        match self.0.member_of(path) {
            Some(_) => self.0.is_file(path),
            None => path.is_file(),
        }
    }

    fn info(&self, path: &Path) -> Result<ImageInfo, String> {
        match self.0.member_of(path) {
            Some(_) => self.0.image_info(path),
            None => read_image_info(path),
        }
    }

    fn shown(&self, path: &Path) -> PathBuf {
        self.0.shown(path)
    }
}

/// Why an annotation could not be used at all: the message users read (without the location)
/// and its kind.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ReadError {
    pub kind: FindingKind,
    pub message: String,
    /// Line and column the message points at (0: none).
    pub line: usize,
    pub column: usize,
}

impl ReadError {
    pub fn new(kind: FindingKind, message: String) -> ReadError {
        ReadError {
            kind,
            message,
            line: 0,
            column: 0,
        }
    }
}

impl From<InputError> for ReadError {
    fn from(e: InputError) -> ReadError {
        ReadError::new(e.finding_kind(), e.to_string())
    }
}

impl From<XmlError> for ReadError {
    fn from(e: XmlError) -> ReadError {
        let (line, column) = e.position();
        ReadError {
            kind: e.kind(),
            message: e.to_string(),
            line,
            column,
        }
    }
}

/// Reads and parses the annotation of `entry` into `buf`; the texts borrow from `buf`.
pub fn read_raw_entry<'b, S: AnnotationSource + ?Sized>(
    source: &S,
    entry: &ImageEntry,
    location: &Path,
    buf: &'b mut Vec<u8>,
) -> Result<RawAnnotation<'b>, ReadError> {
    source.read(entry, location, buf)?;
    parse_annotation(buf).map_err(ReadError::from)
}

/// Reads, parses and resolves the annotation of `entry` (at `location`), reading its bytes
/// into `buf` (a buffer reused from file to file).
pub fn read_annotation<S: AnnotationSource + ?Sized>(
    source: &S,
    entry: &ImageEntry,
    location: &Path,
    buf: &mut Vec<u8>,
    labels: &LabelMap,
    opts: &ReadOptions,
) -> Result<Annotation, ReadError> {
    let raw = read_raw_entry(source, entry, location, buf)?;
    let mut size_from_image = |filename: Option<&str>| source.image_size(entry, filename);
    resolve(raw, labels, opts, &mut size_from_image)
        .map_err(|m| ReadError::new(FindingKind::NoImageSize, m))
}

/// Reads and parses one annotation file through [`super::input`]: anything that is not a
/// regular file (a directory named `*.xml`; a FIFO, whose read would block forever; a link
/// that loops) is refused before a byte is read, and so are files over
/// [`super::xml::MAX_FILE_BYTES`]. The error is the message users read, without the path.
pub fn read_raw(path: &Path) -> Result<RawAnnotation<'static>, String> {
    let mut bytes = Vec::new();
    read_into(path, InputKind::Annotation, &mut bytes).map_err(|e| e.to_string())?;
    parse_annotation(&bytes)
        .map(RawAnnotation::into_owned)
        .map_err(|e| e.to_string())
}
