//! A tree of names: what listing a dataset asks of the place it lives in.
//!
//! `voc::dataset` recognises the layouts (a VOCdevkit, a year folder, a plain folder, split
//! files) through [`Tree`] alone, so that one set of rules reads a folder on disk ([`Disk`])
//! and the member names of an archive (`voc::archive::Archive`). A tree answers questions
//! about paths: for an archive these are `ARCHIVE/member` (the archive's path joined with the
//! member's name), which [`Tree::shown`] turns into `ARCHIVE:member` for messages.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::input::{file_problem, read_text, InputError, InputKind};

/// What a name in a tree is, as a directory listing gives it (links not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    File,
    Dir,
    Symlink,
    /// A FIFO, socket or device.
    Other,
}

impl NodeType {
    fn of(t: std::fs::FileType) -> NodeType {
        if t.is_file() {
            NodeType::File
        } else if t.is_dir() {
            NodeType::Dir
        } else if t.is_symlink() {
            NodeType::Symlink
        } else {
            NodeType::Other
        }
    }
}

/// What a path is once links are followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stat {
    File,
    Dir,
    /// A FIFO, socket or device.
    Other,
    /// Nothing there.
    Missing,
    /// A link that cannot be followed (it loops or dangles): the error as text.
    BrokenLink(String),
}

/// The questions listing a dataset asks of where it lives.
pub trait Tree {
    /// What `path` is, links followed.
    fn stat(&self, path: &Path) -> Stat;

    /// The names in folder `dir`, sorted bytewise, each with its type when the listing gives
    /// it.
    fn read_dir(&self, dir: &Path) -> std::io::Result<Vec<(OsString, Option<NodeType>)>>;

    /// Whether anything is at `path` (a link counts, followed or not).
    fn exists(&self, path: &Path) -> bool;

    /// Why `path` cannot be read as a `kind` file (`None`: it can).
    fn file_problem(&self, path: &Path, kind: InputKind) -> Option<InputError>;

    /// A whole text file, decoded as [`super::input::read_text`] does.
    fn read_text(&self, path: &Path, kind: InputKind) -> Result<String, InputError>;

    /// The first bytes of a file, to fill `head` (false: it is shorter, or cannot be read).
    fn read_head(&self, path: &Path, head: &mut [u8]) -> bool;

    /// How messages name `path`.
    fn shown(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.stat(path) == Stat::Dir
    }
}

/// Folders and files on disk.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

impl Tree for Disk {
    fn stat(&self, path: &Path) -> Stat {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Stat::Dir,
            Ok(m) if m.is_file() => Stat::File,
            Ok(_) => Stat::Other,
            Err(e) => {
                if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                    Stat::BrokenLink(e.to_string())
                } else {
                    Stat::Missing
                }
            }
        }
    }

    fn read_dir(&self, dir: &Path) -> std::io::Result<Vec<(OsString, Option<NodeType>)>> {
        read_dir_names_sorted(dir)
    }

    fn exists(&self, path: &Path) -> bool {
        path.symlink_metadata().is_ok()
    }

    fn file_problem(&self, path: &Path, kind: InputKind) -> Option<InputError> {
        file_problem(path, kind)
    }

    fn read_text(&self, path: &Path, kind: InputKind) -> Result<String, InputError> {
        read_text(path, kind)
    }

    fn read_head(&self, path: &Path, head: &mut [u8]) -> bool {
        use std::io::Read;
        std::fs::File::open(path)
            .and_then(|mut f| f.read_exact(head))
            .is_ok()
    }
}

/// The names in a folder sorted bytewise, with each entry's type as the directory listing
/// gives it (no `stat` per file on the usual file systems). Names, not paths: a folder of a
/// million annotations is listed in a third of the memory.
fn read_dir_names_sorted(dir: &Path) -> std::io::Result<Vec<(OsString, Option<NodeType>)>> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name();
        let t = e.file_type().ok().map(NodeType::of);
        v.push((sort_key(os_bytes(&name)), name, t));
    }
    // Bytewise order, compared through the first 16 bytes as one integer (the listing is
    // serial work before any file is read: 10k names were ~1.3 ms of comparisons through
    // memcmp); only names sharing those 16 bytes are compared in full.
    v.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| os_bytes(&a.1).cmp(os_bytes(&b.1)))
    });
    Ok(v.into_iter().map(|(_, name, t)| (name, t)).collect())
}

/// Sorts names bytewise as [`Disk::read_dir`] does.
pub fn sort_names(v: &mut [(OsString, Option<NodeType>)]) {
    v.sort_unstable_by(|a, b| os_bytes(&a.0).cmp(os_bytes(&b.0)));
}

/// The first 16 bytes of `name`, big-endian, zero-padded: ordered as the names are, bytewise
/// (a name has no NUL byte, so a shorter name sorts first, as it does bytewise).
fn sort_key(name: &[u8]) -> u128 {
    let mut k = [0u8; 16];
    let n = name.len().min(16);
    k[..n].copy_from_slice(&name[..n]);
    u128::from_be_bytes(k)
}

#[cfg(unix)]
pub fn os_bytes(p: &std::ffi::OsStr) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    p.as_bytes()
}
#[cfg(not(unix))]
pub fn os_bytes(p: &std::ffi::OsStr) -> &[u8] {
    p.to_str().unwrap_or("").as_bytes()
}
