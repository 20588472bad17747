//! Archives as datasets: a `.tar`, `.tar.gz`/`.tgz` or `.zip` file read in place, never
//! extracted.
//!
//! [`Archive::open`] indexes the members once: an uncompressed tar by one front-to-back pass
//! over its 512-byte headers that seeks over the data ([`tar`]); a zip through its central
//! directory ([`zip`]); a compressed tar by one pass over the decompressed stream, which cannot
//! seek, keeping what reading needs of each member as it goes by: the bytes of annotations
//! and split files, the header facts of images ([`gz`]). The index is a tree of names
//! ([`super::tree::Tree`]), so `voc::dataset` lists an archive with the rules it lists a folder
//! with; paths are `ARCHIVE/member` inside the listing and read `ARCHIVE:member` in messages.
//! Members are then read by name: positional reads in the file (tar), the member inflated
//! (zip, each read through its own handle, so threads read in parallel), or what the stream
//! kept (tar.gz).
//!
//! Safety: nothing is written or followed. A member whose name is absolute or climbs out with
//! `..`, a link, a device, a name that repeats or is not UTF-8 is a problem (a rejected file,
//! named `ARCHIVE:member`), not a node of the tree. A member is read within the cap of its
//! kind (annotations: [`super::input::InputKind::cap`]) whatever its header says, and an
//! inflating member (zip) or stream (tar.gz) is stopped past [`MAX_RATIO`] times its
//! compressed size. Damage (a truncated file, a corrupt stream) ends the index: what was read
//! before it is used, and one problem names the archive, the offset and the last member read.

mod gz;
mod names;
mod tar;
mod zip;

use names::{Names, Node};
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::image_header::{image_info_from, ImageInfo};
use super::input::{confined_id, decode_text, InputError, InputKind};
use super::tree::{sort_names, NodeType, Stat, Tree};
use crate::findings::FindingKind;

/// Inflating past this many times the compressed size is taken for a zip bomb (XML deflates
/// 5 to 20 times; a tar of small files, padding included, some 50 times).
pub const MAX_RATIO: u64 = 1000;
/// Below this many bytes out, no ratio is looked at.
const RATIO_FLOOR: u64 = 16 << 20;
/// What is read of an image member inflated from a zip or a compressed stream for its header
/// facts.
const IMAGE_HEAD: u64 = 1 << 20;

/// The archive formats read, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    Tar,
    TarGz,
    Zip,
}

impl ArchiveFormat {
    /// The format a DATASET argument's file name says (`None`: not an archive).
    pub fn of(path: &Path) -> Option<ArchiveFormat> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".tar") {
            Some(ArchiveFormat::Tar)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(ArchiveFormat::TarGz)
        } else if name.ends_with(".zip") {
            Some(ArchiveFormat::Zip)
        } else {
            None
        }
    }
}

/// Why an archive cannot be read at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot be opened: {0}")]
    Open(String),
    #[error(
        "is not a readable zip archive ({0}): its central directory (at the end of the file) \
         is missing or damaged, so no member can be found; download it again, or rebuild the \
         directory (zip -FF IN.zip --out OUT.zip)"
    )]
    ZipDirectory(String),
}

/// A member that is not read, or damage: a rejected file of the listing.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveProblem {
    /// `ARCHIVE:member`, or the archive for damage.
    pub path: PathBuf,
    pub message: String,
    pub kind: FindingKind,
}

/// What the index holds of a file member.
#[derive(Debug, Clone)]
enum Data {
    /// Uncompressed tar: `size` bytes at `offset`.
    At { offset: u64, size: u64 },
    /// Zip: the member at `index` of the central directory.
    Zip { index: usize },
    /// Compressed tar: the bytes, kept as the stream went by (annotations, split files).
    Kept(Box<[u8]>),
    /// Compressed tar: an image's header facts, read as the stream went by.
    Image(Result<ImageInfo, String>),
    /// Compressed tar: over the cap of its kind, not kept (its size).
    TooLarge(InputKind, u64),
    /// Compressed tar: any other file, not kept.
    NotKept,
}

/// An archive's index: its members by name, and what was wrong with it.
pub struct Archive {
    path: PathBuf,
    format: ArchiveFormat,
    file: Arc<File>,
    zip: Option<::zip::ZipArchive<Slice>>,
    nodes: Names,
    problems: Vec<ArchiveProblem>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("nodes", &self.nodes.len())
            .field("problems", &self.problems.len())
            .finish()
    }
}

impl PartialEq for Archive {
    fn eq(&self, other: &Archive) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Archive {
    /// Indexes the archive at `path` (its format from its name: [`ArchiveFormat::of`]).
    pub fn open(path: &Path) -> Result<Archive, ArchiveError> {
        let format = ArchiveFormat::of(path)
            .ok_or_else(|| ArchiveError::Open("not named .tar, .tar.gz, .tgz or .zip".into()))?;
        let file = Arc::new(File::open(path).map_err(|e| ArchiveError::Open(e.to_string()))?);
        let mut index = Index::new(path);
        let zip = match format {
            ArchiveFormat::Tar => {
                tar::index(&file, &mut index);
                None
            }
            ArchiveFormat::TarGz => {
                gz::index(&file, &mut index);
                None
            }
            ArchiveFormat::Zip => Some(zip::index(&file, &mut index)?),
        };
        Ok(Archive {
            path: path.to_path_buf(),
            format,
            file,
            zip,
            nodes: index.nodes,
            problems: index.problems,
        })
    }

    /// The archive's path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> ArchiveFormat {
        self.format
    }

    /// Members not read and damage found while indexing, in archive order.
    pub fn problems(&self) -> &[ArchiveProblem] {
        &self.problems
    }

    /// The member name of `path` (`ARCHIVE/member`; `""`: the archive's root), if it is one.
    pub fn member_of<'p>(&self, path: &'p Path) -> Option<&'p str> {
        path.strip_prefix(&self.path).ok()?.to_str()
    }

    /// Whether `path` (`ARCHIVE/member`) is a file member.
    pub fn is_file(&self, path: &Path) -> bool {
        self.file_data(path).is_some()
    }

    fn file_data(&self, path: &Path) -> Option<&Data> {
        match self.nodes.get(self.member_of(path)?) {
            Some(Node::File(d)) => Some(d),
            _ => None,
        }
    }

    /// `ARCHIVE:member` for `ARCHIVE/member`, how messages name a member.
    pub fn shown(&self, path: &Path) -> PathBuf {
        match self.member_of(path) {
            Some("") => self.path.clone(),
            Some(m) => PathBuf::from(format!("{}:{m}", self.path.display())),
            None => path.to_path_buf(),
        }
    }

    /// Reads the member at `path` (`ARCHIVE/member`), a `kind` file, into `buf` (replacing
    /// its contents), within the kind's cap whatever the member's header says.
    pub fn read(&self, path: &Path, kind: InputKind, buf: &mut Vec<u8>) -> Result<(), InputError> {
        self.read_within(path, kind, kind.cap(), buf)
    }

    /// [`Archive::read`] with a cap of `cap` bytes instead of the kind's (the pictures read
    /// whole images, within their own cap).
    pub fn read_within(
        &self,
        path: &Path,
        kind: InputKind,
        cap: u64,
        buf: &mut Vec<u8>,
    ) -> Result<(), InputError> {
        buf.clear();
        let data = match self.member_of(path).and_then(|m| self.nodes.get(m)) {
            Some(Node::File(d)) => d,
            Some(Node::Dir(_)) => return Err(InputError::Directory(kind)),
            None => return Err(InputError::Read("no such member in the archive".into())),
        };
        match data {
            Data::At { offset, size } => {
                if *size > cap {
                    return Err(InputError::TooLarge { kind, size: *size });
                }
                // One positional read of the known size (the index checked that the file
                // holds it); no growing buffer, no probe for the end.
                buf.resize(*size as usize, 0);
                let mut slice = Slice::new(self.file.clone(), *offset, *size);
                slice.read_exact(buf).map_err(|e| match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => InputError::Read(
                        "the archive ends inside this member: it is truncated".into(),
                    ),
                    _ => read_error(e),
                })
            }
            Data::Zip { index } => zip::read(self.zip_archive(), *index, kind, cap, buf),
            Data::Kept(bytes) => {
                buf.extend_from_slice(bytes);
                Ok(())
            }
            Data::TooLarge(k, size) if *k == kind => {
                Err(InputError::TooLarge { kind, size: *size })
            }
            Data::Image(_) | Data::NotKept | Data::TooLarge(..) => Err(InputError::Read(format!(
                "not kept from the compressed stream (only annotations and split files are): \
                 read as {}",
                kind.noun()
            ))),
        }
    }

    fn zip_archive(&self) -> &::zip::ZipArchive<Slice> {
        self.zip.as_ref().expect("a zip archive has its directory")
    }

    /// The header facts of the image member at `path` (`ARCHIVE/member`); their `path` is
    /// [`Archive::shown`]. Only the header's bytes are read.
    pub fn image_info(&self, path: &Path) -> Result<ImageInfo, String> {
        let shown = self.shown(path);
        match self.file_data(path) {
            None => Err("no such member in the archive".into()),
            Some(Data::At { offset, size }) => {
                let slice = Slice::new(self.file.clone(), *offset, *size);
                image_info_from(&shown, std::io::BufReader::new(slice))
            }
            Some(Data::Zip { index }) => {
                let mut head = Vec::new();
                zip::read_head(self.zip_archive(), *index, IMAGE_HEAD, &mut head)?;
                image_info_from(&shown, std::io::Cursor::new(head))
            }
            Some(Data::Image(info)) => info.clone().map(|i| ImageInfo { path: shown, ..i }),
            Some(Data::Kept(bytes)) => image_info_from(&shown, std::io::Cursor::new(&bytes[..])),
            Some(Data::TooLarge(..) | Data::NotKept) => {
                Err("not kept from the compressed stream".into())
            }
        }
    }
}

fn read_error(e: std::io::Error) -> InputError {
    InputError::Read(e.to_string())
}

impl Tree for Archive {
    fn stat(&self, path: &Path) -> Stat {
        match self.member_of(path).and_then(|m| self.nodes.get(m)) {
            Some(Node::Dir(_)) => Stat::Dir,
            Some(Node::File(_)) => Stat::File,
            None => Stat::Missing,
        }
    }

    fn read_dir(&self, dir: &Path) -> std::io::Result<Vec<(OsString, Option<NodeType>)>> {
        let Some(Node::Dir(children)) = self.member_of(dir).and_then(|m| self.nodes.get(m)) else {
            return Err(std::io::Error::other("no such folder in the archive"));
        };
        let mut v: Vec<(OsString, Option<NodeType>)> = children
            .iter()
            .map(|c| {
                let t = if c.dir { NodeType::Dir } else { NodeType::File };
                (OsString::from(&*c.name), Some(t))
            })
            .collect();
        sort_names(&mut v);
        Ok(v)
    }

    fn exists(&self, path: &Path) -> bool {
        self.stat(path) != Stat::Missing
    }

    fn file_problem(&self, path: &Path, kind: InputKind) -> Option<InputError> {
        match self.stat(path) {
            Stat::File => None,
            Stat::Dir => Some(InputError::Directory(kind)),
            _ => Some(InputError::Read("no such member in the archive".into())),
        }
    }

    fn read_text(&self, path: &Path, kind: InputKind) -> Result<String, InputError> {
        let mut bytes = Vec::new();
        self.read(path, kind, &mut bytes)?;
        decode_text(&bytes)
    }

    fn read_head(&self, path: &Path, head: &mut [u8]) -> bool {
        let mut bytes = Vec::new();
        // Only `._*.xml` names are asked: an annotation's read.
        self.read(path, InputKind::Annotation, &mut bytes).is_ok() && {
            let n = head.len();
            bytes.len() >= n && {
                head.copy_from_slice(&bytes[..n]);
                true
            }
        }
    }

    fn shown(&self, path: &Path) -> PathBuf {
        Archive::shown(self, path)
    }
}

/// What a member is, as its header says.
#[derive(Debug, Clone, PartialEq)]
enum MemberType {
    File,
    Dir,
    Symlink(String),
    HardLink(String),
    /// A device, FIFO, sparse or encrypted member: what it is.
    Other(&'static str),
    /// Metadata of the archive itself (a pax global header): not a member.
    Meta,
}

/// The index being built: the tree of names and the problems, with the rules every format
/// shares (names confined and made plain, links and repeats refused).
struct Index {
    archive: PathBuf,
    nodes: Names,
    /// Names seen more than once: none of their copies is read.
    repeated: std::collections::HashSet<Box<str>>,
    problems: Vec<ArchiveProblem>,
    /// Offsets are in a decompressed stream (`.tar.gz`).
    stream: bool,
}

impl Index {
    fn new(archive: &Path) -> Index {
        Index {
            archive: archive.to_path_buf(),
            nodes: Names::default(),
            repeated: Default::default(),
            problems: Vec::new(),
            stream: false,
        }
    }

    fn shown(&self, member: &str) -> PathBuf {
        PathBuf::from(format!("{}:{member}", self.archive.display()))
    }

    fn problem(&mut self, member: &str, kind: FindingKind, message: String) {
        let path = self.shown(member);
        self.problems.push(ArchiveProblem {
            path,
            message,
            kind,
        });
    }

    /// Damage: the index ends here; `at` is the offset (in the tar, decompressed for a
    /// `.tar.gz`), `last` the last member read.
    fn damage(&mut self, at: u64, last: Option<&str>, why: impl std::fmt::Display) {
        let after = match last {
            Some(m) => format!(", after member {m}"),
            None => ", before any member".into(),
        };
        let of = if self.stream {
            " of the decompressed tar"
        } else {
            ""
        };
        self.problems.push(ArchiveProblem {
            path: self.archive.clone(),
            message: format!(
                "damaged at byte {at}{of}{after}: {why}; the members before are read, the rest \
                 is not: download or pack the archive again"
            ),
            kind: FindingKind::ArchiveDamaged,
        });
    }

    /// Admits a member by its raw name and type: its plain name when it is a file to record
    /// (then [`Index::insert`] it), `None` when it is a folder (recorded here) or refused
    /// (a problem).
    fn admit(&mut self, raw: &[u8], ty: MemberType) -> Option<Box<str>> {
        let Ok(name) = std::str::from_utf8(raw) else {
            let lossy = String::from_utf8_lossy(raw).into_owned();
            self.problem(
                &lossy,
                FindingKind::NonUtf8FileName,
                "member name is not valid UTF-8: not read, since its id could not be written \
                 without being confused with another's; repack the archive with UTF-8 names"
                    .into(),
            );
            return None;
        };
        if let Err(why) = confined(name) {
            self.problem(
                name,
                FindingKind::UnsafeMember,
                format!(
                    "member name {why}: not read (nothing is extracted, but a tool that \
                     extracts this archive could write outside its folder); repack it with \
                     relative paths"
                ),
            );
            return None;
        }
        let Some(plain) = plain_name(name) else {
            return None; // The root itself (`./`).
        };
        let refused = match ty {
            MemberType::File => None,
            MemberType::Meta => return None,
            MemberType::Dir => {
                self.add_dirs(&plain);
                return None;
            }
            MemberType::Symlink(to) => Some(format!(
                "is a symbolic link{}: not followed, a member is read only as a regular file; \
                 repack the archive with the file itself (tar --dereference, zip without -y)",
                Some(to)
                    .filter(|t| !t.is_empty())
                    .map(|t| format!(" (to {t:?})"))
                    .unwrap_or_default()
            )),
            MemberType::HardLink(to) => Some(format!(
                "is a hard link (to {to:?}): not followed, a member is read only as a regular \
                 file; repack the archive with the file itself (tar --hard-dereference)"
            )),
            MemberType::Other(what) => Some(format!(
                "is {what}, not a regular file: not read; repack the archive with plain files"
            )),
        };
        if let Some(message) = refused {
            self.problem(&plain, FindingKind::UnsafeMember, message);
            return None;
        }
        Some(plain.into_boxed_str())
    }

    /// Records folder `name` and those holding it.
    fn add_dirs(&mut self, name: &str) {
        for clash in self.nodes.add_dir(name) {
            self.refuse_repeat(&clash);
        }
    }

    /// Records file member `name` (from [`Index::admit`]) with what is kept of it. A name
    /// already seen is refused, and so is its first copy: which one is meant cannot be told.
    fn insert(&mut self, name: Box<str>, data: Data) {
        if self.repeated.contains(&name) {
            self.refuse_repeat(&name);
            return;
        }
        match self.nodes.get(&name) {
            Some(Node::File(_)) => {
                // Both copies are refused, each with its problem.
                self.nodes.remove(&name);
                self.refuse_repeat(&name);
                self.refuse_repeat(&name);
            }
            Some(Node::Dir(_)) => self.refuse_repeat(&name),
            None => {
                for clash in self.nodes.add_file(name, data) {
                    self.refuse_repeat(&clash);
                }
            }
        }
    }

    /// One copy of a repeated name: a problem each.
    fn refuse_repeat(&mut self, name: &str) {
        self.repeated.insert(name.into());
        self.problem(
            name,
            FindingKind::UnsafeMember,
            "is in the archive more than once (or as a file and a folder): which copy is meant \
             cannot be told, so none is read; repack the archive without duplicates"
                .into(),
        );
    }
}

/// [`confined_id`], with a fast way through for the usual name (nothing that could climb out
/// or be absolute: no `..`, no leading separator, no drive letter, no NUL).
fn confined(name: &str) -> Result<(), crate::voc::input::ConfineError> {
    let b = name.as_bytes();
    let usual = !name.contains("..")
        && !name.starts_with(['/', '\\'])
        && b.get(1) != Some(&b':')
        && !b.contains(&0);
    if usual {
        Ok(())
    } else {
        confined_id(name)
    }
}

/// `name` without `./` components, empty components and a trailing `/` (`None`: nothing is
/// left, the root).
fn plain_name(name: &str) -> Option<String> {
    let usual = !name.starts_with("./")
        && !name.ends_with('/')
        && !name.contains("//")
        && !name.contains("/./")
        && !name.ends_with("/.")
        && name != ".";
    if usual && !name.is_empty() {
        return Some(name.to_string());
    }
    let parts: Vec<&str> = name
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A window of a file read with positional reads: `Read + Seek`, cheap to clone (threads
/// each read through their own), never moving a shared file position.
#[derive(Debug, Clone)]
struct Slice {
    file: Arc<File>,
    start: u64,
    len: u64,
    pos: u64,
}

impl Slice {
    fn new(file: Arc<File>, start: u64, len: u64) -> Slice {
        Slice {
            file,
            start,
            len,
            pos: 0,
        }
    }

    fn whole(file: Arc<File>) -> std::io::Result<Slice> {
        let len = file.metadata()?.len();
        Ok(Slice::new(file, 0, len))
    }
}

impl Read for Slice {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let n = (buf.len() as u64).min(left) as usize;
        if n == 0 {
            return Ok(0);
        }
        let got = read_at(&self.file, &mut buf[..n], self.start + self.pos)?;
        self.pos += got as u64;
        Ok(got)
    }
}

impl Seek for Slice {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| std::io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}
#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

/// A reader that counts what goes through it.
struct Counted<R> {
    inner: R,
    count: Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Stops an inflating reader once it gives more than [`MAX_RATIO`] times what it read
/// (`compressed`), past [`RATIO_FLOOR`].
struct BombGuard<R> {
    inner: R,
    compressed: Arc<std::sync::atomic::AtomicU64>,
    out: u64,
}

impl<R: Read> Read for BombGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        let compressed = self.compressed.load(std::sync::atomic::Ordering::Relaxed);
        if self.out > RATIO_FLOOR && self.out > compressed.saturating_mul(MAX_RATIO) {
            return Err(std::io::Error::other(Bomb {
                compressed,
                out: self.out,
            }));
        }
        Ok(n)
    }
}

/// What [`BombGuard`] stops.
#[derive(Debug, thiserror::Error)]
#[error(
    "{compressed} compressed bytes inflate to more than {out} bytes, over {MAX_RATIO} times \
     their size: a zip bomb, not read further; repack the archive if it is genuine"
)]
struct Bomb {
    compressed: u64,
    out: u64,
}

#[cfg(test)]
mod tests;
