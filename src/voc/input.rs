//! The one way every input file is opened: annotations, split files, class lists, prior
//! configurations and images.
//!
//! - Only a regular file is read (a link is followed to one). A directory, a FIFO, a socket or
//!   a device is refused with its own message; the file is opened with `O_NONBLOCK`, so a FIFO
//!   never hangs the run, and checked through the open descriptor (one `open`, one `fstat`).
//! - Each kind of file has a size cap ([`InputKind::cap`]), checked before a byte is read, and
//!   again while reading (a file that grows meanwhile is not read past it).
//! - Text files ([`read_text`]) may start with a UTF-8 byte-order mark (stripped) or be
//!   UTF-16 LE/BE (with a byte-order mark, or recognised from the first characters) and are
//!   decoded; anything else that is not UTF-8 is refused with the line and byte where it fails.
//!   Annotations are decoded by the XML reader, which also honours declared encodings.
//! - A path read from a file (a split file's id) is confined to the folder its kind lives in:
//!   [`confined_id`] refuses absolute paths and `..`.
//!
//! The messages are what users read, without the path (callers put the path in front).

use std::io::Read;
use std::path::{Component, Path};

/// What kind of input a file is: decides its size cap and how it is named in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A VOC annotation (`.xml`).
    Annotation,
    /// An `ImageSets/Main/*.txt` split file.
    Split,
    /// A class list: one class name a line.
    ClassList,
    /// A prior configuration (TOML or JSON).
    PriorConfig,
    /// An image, of which only the header is read.
    Image,
}

impl InputKind {
    /// The largest file of this kind that is read, in bytes.
    pub fn cap(self) -> u64 {
        match self {
            InputKind::Annotation => super::xml::MAX_FILE_BYTES,
            // A million ids of 60 bytes.
            InputKind::Split => 64 << 20,
            // Ten thousand class names of 100 bytes.
            InputKind::ClassList => 1 << 20,
            // The largest preset is 2 kB as TOML.
            InputKind::PriorConfig => 1 << 20,
            // Only the header is read; the cap refuses what cannot be an image (a disk image).
            InputKind::Image => 4 << 30,
        }
    }

    /// The kind with its article, for messages: "an annotation file".
    pub fn noun(self) -> &'static str {
        match self {
            InputKind::Annotation => "an annotation file",
            InputKind::Split => "a split file",
            InputKind::ClassList => "a class list",
            InputKind::PriorConfig => "a prior configuration",
            InputKind::Image => "an image",
        }
    }

    /// What a file of this kind usually weighs, for the size message.
    fn usual(self) -> &'static str {
        match self {
            InputKind::Annotation => "a VOC annotation is a few kB, so this is not one",
            InputKind::Split => "a split file lists one id a line, so this is not one",
            InputKind::ClassList => "a class list holds one name a line, so this is not one",
            InputKind::PriorConfig => "a prior configuration is a few kB, so this is not one",
            InputKind::Image => "this is not an image",
        }
    }
}

/// Why an input file was not read. `Display` is the message, without the path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error("is a directory, not {}{}", .0.noun(), skipped(*.0))]
    Directory(InputKind),
    #[error("is not a regular file (a FIFO, socket or device): not read; replace it with {}", the(*.0))]
    NotRegular(InputKind),
    #[error("is a symbolic link that cannot be followed ({0}): it loops or its target is missing; fix or delete the link")]
    BrokenLink(String),
    #[error("cannot be read: {0}: give the user running ssd-assign read permission")]
    Denied(String),
    #[error("cannot be read: {0}")]
    Read(String),
    #[error("file is {size} bytes, over the {cap}-byte ({human}) limit for {noun}: {usual}",
        cap = .kind.cap(), human = human(.kind.cap()), noun = limit_noun(*.kind), usual = .kind.usual())]
    TooLarge { kind: InputKind, size: u64 },
    /// Not text this reader decodes: the message says what it is and the fix.
    #[error("{0}")]
    Encoding(String),
    /// An archive member that inflates past a sane ratio (a zip bomb): the message says how.
    #[error("{0}")]
    Inflates(String),
}

impl InputError {
    /// The kind of finding this error is, for the grouped report.
    pub fn finding_kind(&self) -> crate::findings::FindingKind {
        use crate::findings::FindingKind;
        match self {
            InputError::Directory(_) | InputError::NotRegular(_) | InputError::BrokenLink(_) => {
                FindingKind::NotRegularFile
            }
            InputError::Denied(_) | InputError::Read(_) => FindingKind::UnreadableFile,
            InputError::TooLarge { .. } => FindingKind::FileTooLarge,
            InputError::Encoding(_) => FindingKind::BadEncoding,
            InputError::Inflates(_) => FindingKind::UnsafeMember,
        }
    }
}

fn skipped(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Annotation | InputKind::Image => "; skipped",
        _ => "",
    }
}

fn the(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Annotation => "the annotation file",
        InputKind::Split => "the split file",
        InputKind::ClassList => "the class list",
        InputKind::PriorConfig => "the prior configuration",
        InputKind::Image => "the image",
    }
}

/// "an annotation" (the message of issue #6), else the noun.
fn limit_noun(kind: InputKind) -> &'static str {
    match kind {
        InputKind::Annotation => "an annotation",
        k => k.noun(),
    }
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

fn io_error(e: std::io::Error) -> InputError {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        InputError::Denied(e.to_string())
    } else {
        InputError::Read(e.to_string())
    }
}

/// Why `path` cannot be read as a `kind` file, from its metadata alone (`None`: a regular
/// file, or a link to one). The listing uses it without opening anything.
pub fn file_problem(path: &Path, kind: InputKind) -> Option<InputError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => Some(InputError::Directory(kind)),
        Ok(_) => Some(InputError::NotRegular(kind)),
        Err(e) => Some(match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => InputError::BrokenLink(e.to_string()),
            _ => io_error(e),
        }),
    }
}

/// Opens a `kind` file for reading: without blocking (a FIFO would wait forever), then
/// checked through the descriptor to be a regular file within the cap. Returns the file and
/// its size as `fstat` gives it.
pub fn open(path: &Path, kind: InputKind) -> Result<(std::fs::File, u64), InputError> {
    // The nicer explanations (looping link, directory...) are asked for only when something
    // is wrong: the usual file costs one open and one fstat.
    let file = open_nonblocking(path)
        .map_err(|e| file_problem(path, kind).unwrap_or_else(|| io_error(e)))?;
    let meta = file.metadata().map_err(io_error)?;
    if !meta.is_file() {
        return Err(file_problem(path, kind).unwrap_or(InputError::NotRegular(kind)));
    }
    let size = meta.len();
    if size > kind.cap() {
        return Err(InputError::TooLarge { kind, size });
    }
    Ok((file, size))
}

/// Reads a whole `kind` file into `bytes` (cleared first; a buffer reused from file to file).
/// At most the size `fstat` gave is read (one read call), even if the file grows; a size of 0
/// may be a file system that does not know sizes (/proc, some FUSE mounts): then it is read to
/// its end, within the cap.
pub fn read_into(path: &Path, kind: InputKind, bytes: &mut Vec<u8>) -> Result<(), InputError> {
    let (file, size) = open(path, kind)?;
    let limit = if size == 0 { kind.cap() + 1 } else { size };
    bytes.clear();
    bytes.reserve(size as usize);
    file.take(limit).read_to_end(bytes).map_err(io_error)?;
    if bytes.len() as u64 > kind.cap() {
        return Err(InputError::TooLarge {
            kind,
            size: bytes.len() as u64,
        });
    }
    Ok(())
}

/// Reads a `kind` text file as a string: UTF-8 (a byte-order mark is dropped) or UTF-16 (LE
/// or BE, with a byte-order mark or recognised from its first character being ASCII).
pub fn read_text(path: &Path, kind: InputKind) -> Result<String, InputError> {
    let mut bytes = Vec::new();
    read_into(path, kind, &mut bytes)?;
    decode_text(&bytes)
}

/// The text of a file's bytes: see [`read_text`].
pub fn decode_text(bytes: &[u8]) -> Result<String, InputError> {
    let utf16 = match bytes {
        [0xFF, 0xFE, 0, 0, ..] | [0, 0, 0xFE, 0xFF, ..] => {
            return Err(InputError::Encoding(
                "the file is UTF-32 text, which is not read: re-save it as UTF-8 \
                 (e.g. iconv -f UTF-32 -t UTF-8)"
                    .into(),
            ))
        }
        [0xEF, 0xBB, 0xBF, rest @ ..] => return utf8(rest, 3),
        [0xFF, 0xFE, ..] => Some((encoding_rs::UTF_16LE, &bytes[2..])),
        [0xFE, 0xFF, ..] => Some((encoding_rs::UTF_16BE, &bytes[2..])),
        // No byte-order mark: an ASCII first character shows the byte order.
        [a, 0, ..] if *a != 0 && a.is_ascii() && bytes.len() % 2 == 0 => {
            Some((encoding_rs::UTF_16LE, bytes))
        }
        [0, a, ..] if *a != 0 && a.is_ascii() && bytes.len() % 2 == 0 => {
            Some((encoding_rs::UTF_16BE, bytes))
        }
        _ => None,
    };
    match utf16 {
        Some((encoding, body)) => {
            let name = encoding.name();
            encoding
                .decode_without_bom_handling_and_without_replacement(body)
                .map(|t| t.into_owned())
                .ok_or_else(|| {
                    InputError::Encoding(format!(
                        "the file reads as {name} text but is not valid {name}: re-save it as UTF-8"
                    ))
                })
        }
        None => utf8(bytes, 0),
    }
}

fn utf8(bytes: &[u8], offset: usize) -> Result<String, InputError> {
    if memchr::memchr(0, bytes).is_some() {
        return Err(InputError::Encoding(
            "the file holds NUL bytes: it is not a text file (or UTF-16 that starts with \
             neither a byte-order mark nor an ASCII character): re-save it as UTF-8"
                .into(),
        ));
    }
    std::str::from_utf8(bytes).map(str::to_string).map_err(|e| {
        let at = e.valid_up_to();
        let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count();
        InputError::Encoding(format!(
            "not valid UTF-8 at line {line} (byte {}): re-save the file as UTF-8 \
             (e.g. iconv -f WINDOWS-1252 -t UTF-8)",
            at + offset
        ))
    })
}

fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Why an id read from a file does not name a file inside its folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfineError {
    #[error("is an absolute path")]
    Absolute,
    #[error("climbs out of the folder with `..`")]
    Parent,
    #[error("holds a NUL character")]
    Nul,
}

/// Checks that `id` names a file inside the folder it is looked up in: relative, with no `..`
/// component (`sub/000001` is inside; `../x`, `/etc/x`, `C:\x` are not).
pub fn confined_id(id: &str) -> Result<(), ConfineError> {
    if id.contains('\0') {
        return Err(ConfineError::Nul);
    }
    let bytes = id.as_bytes();
    let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if id.starts_with(['/', '\\']) || drive || Path::new(id).is_absolute() {
        return Err(ConfineError::Absolute);
    }
    // Backslashes too: a split file written on Windows separates folders with them.
    let climbs = id.split(['/', '\\']).any(|c| c == "..")
        || Path::new(id)
            .components()
            .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir));
    if climbs {
        return Err(ConfineError::Parent);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_encodings() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFdog\n").unwrap(), "dog\n");
        let le: Vec<u8> = "\u{FEFF}dog\ncat"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(decode_text(&le).unwrap(), "dog\ncat");
        let be: Vec<u8> = "dog\ncat"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(decode_text(&be).unwrap(), "dog\ncat");
        let e = decode_text(b"dog\ncaf\xE9\n").unwrap_err().to_string();
        assert_eq!(
            e,
            "not valid UTF-8 at line 2 (byte 7): re-save the file as UTF-8 (e.g. iconv -f \
             WINDOWS-1252 -t UTF-8)"
        );
        assert!(decode_text(b"\xFF\xFE\0\0d\0\0\0")
            .unwrap_err()
            .to_string()
            .contains("UTF-32"));
        assert!(decode_text(b"a\0b")
            .unwrap_err()
            .to_string()
            .contains("NUL"));
    }

    #[test]
    fn ids_are_confined() {
        assert!(confined_id("000001").is_ok());
        assert!(confined_id("Screenshot (573)").is_ok());
        assert!(confined_id("sub/000001").is_ok());
        assert!(confined_id("a..b").is_ok());
        assert_eq!(confined_id("../../x"), Err(ConfineError::Parent));
        assert_eq!(confined_id("a/../../x"), Err(ConfineError::Parent));
        assert_eq!(confined_id("..\\x"), Err(ConfineError::Parent));
        assert_eq!(confined_id("/etc/passwd"), Err(ConfineError::Absolute));
        assert_eq!(confined_id("C:\\x"), Err(ConfineError::Absolute));
        assert_eq!(confined_id("\\\\server\\x"), Err(ConfineError::Absolute));
    }

    #[test]
    fn size_message_names_size_and_cap() {
        let e = InputError::TooLarge {
            kind: InputKind::ClassList,
            size: 1 << 30,
        };
        assert_eq!(
            e.to_string(),
            "file is 1073741824 bytes, over the 1048576-byte (1 MiB) limit for a class list: a \
             class list holds one name a line, so this is not one"
        );
        let e = InputError::TooLarge {
            kind: InputKind::Annotation,
            size: 67108865,
        };
        assert_eq!(
            e.to_string(),
            super::super::XmlError::TooLarge(67108865).to_string()
        );
    }
}
