//! Archives for the archive tests (issue #14), written here byte by byte where a real writer
//! would refuse the member: `.tar` (members through `tar::Builder`, hostile headers filled by
//! hand), `.tar.gz` (`flate2`), `.zip` (the `zip` crate for good archives, a minimal writer of
//! our own for duplicate names, lying sizes and bombs). Every archive is built from data that
//! is on disk or generated here: nothing is fetched.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::{Compress, Compression, Crc, FlushCompress};

/// What a member is.
#[derive(Debug, Clone)]
pub enum Body {
    File(Vec<u8>),
    Dir,
    Symlink(Vec<u8>),
    Hardlink(Vec<u8>),
}

/// One member: its raw name (bytes, as the archive stores them) and body.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: Vec<u8>,
    pub body: Body,
}

impl Member {
    pub fn file(name: impl AsRef<[u8]>, data: impl Into<Vec<u8>>) -> Member {
        Member {
            name: name.as_ref().to_vec(),
            body: Body::File(data.into()),
        }
    }
    pub fn dir(name: impl AsRef<[u8]>) -> Member {
        Member {
            name: name.as_ref().to_vec(),
            body: Body::Dir,
        }
    }
    pub fn symlink(name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Member {
        Member {
            name: name.as_ref().to_vec(),
            body: Body::Symlink(target.as_ref().to_vec()),
        }
    }
    pub fn hardlink(name: impl AsRef<[u8]>, target: impl AsRef<[u8]>) -> Member {
        Member {
            name: name.as_ref().to_vec(),
            body: Body::Hardlink(target.as_ref().to_vec()),
        }
    }
    pub fn name_str(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// The archive kinds a DATASET argument may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Tar,
    TarGz,
    Tgz,
    Zip,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Tar, Kind::TarGz, Kind::Zip];

    pub fn ext(self) -> &'static str {
        match self {
            Kind::Tar => "tar",
            Kind::TarGz => "tar.gz",
            Kind::Tgz => "tgz",
            Kind::Zip => "zip",
        }
    }
}

/// How a folder's files are named inside the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix<'a> {
    /// `VOCdevkit/VOC2007/...`, as the official tars are.
    Devkit(&'a str),
    /// One top-level folder: `name/...`.
    Folder(&'a str),
    /// The layout at the archive's root.
    None,
    /// `./Annotations/...`, as `tar cf x.tar -C dir .` writes.
    Dot,
}

impl Prefix<'_> {
    /// The members' common prefix, with its trailing `/` (empty for [`Prefix::None`]).
    pub fn path(&self) -> String {
        match self {
            Prefix::Devkit(year) => format!("VOCdevkit/{year}/"),
            Prefix::Folder(name) => format!("{name}/"),
            Prefix::None => String::new(),
            Prefix::Dot => "./".to_string(),
        }
    }

    /// The directory members a real archiver writes before the folder's own.
    fn dirs(&self) -> Vec<String> {
        match self {
            Prefix::Devkit(year) => vec!["VOCdevkit/".into(), format!("VOCdevkit/{year}/")],
            Prefix::Folder(name) => vec![format!("{name}/")],
            Prefix::None => vec![],
            Prefix::Dot => vec!["./".into()],
        }
    }
}

/// Every file under `root` (recursively, links followed as the archiver would store the
/// target's bytes), as (relative path with `/`, absolute path), in bytewise order of the
/// relative path; and every folder likewise.
pub fn walk(root: &Path) -> (Vec<(String, PathBuf)>, Vec<String>) {
    fn go(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>, dirs: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .expect("UTF-8 names in test data")
                .to_string();
            if p.is_dir() {
                dirs.push(format!("{rel}/"));
                go(root, &p, files, dirs);
            } else {
                files.push((rel, p));
            }
        }
    }
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    go(root, root, &mut files, &mut dirs);
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    dirs.sort();
    (files, dirs)
}

/// Member order inside the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Bytewise order of the relative path (`Annotations/` < `ImageSets/` < `JPEGImages/`: the
    /// split files come after the annotations, as in the official VOC tars).
    Sorted,
    /// `ImageSets/` first, then the rest sorted.
    SplitFirst,
    /// Images first, then annotations, then the split files last.
    ImagesFirstSplitLast,
}

/// The members of `folder` under `prefix`, in `order`, with directory members as `tar`
/// writes them. Only the files for which `keep(relative path)` holds are included.
pub fn folder_members(
    folder: &Path,
    prefix: Prefix,
    order: Order,
    keep: impl Fn(&str) -> bool,
) -> Vec<Member> {
    let (files, dirs) = walk(folder);
    let p = prefix.path();
    let rank = |rel: &str| -> u8 {
        match order {
            Order::Sorted => 0,
            Order::SplitFirst => u8::from(!rel.starts_with("ImageSets/")),
            Order::ImagesFirstSplitLast => {
                if rel.starts_with("ImageSets/") {
                    2
                } else if rel.ends_with(".xml") {
                    1
                } else {
                    0
                }
            }
        }
    };
    let mut files: Vec<(String, PathBuf)> = files.into_iter().filter(|(r, _)| keep(r)).collect();
    files.sort_by(|a, b| {
        rank(&a.0)
            .cmp(&rank(&b.0))
            .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
    });
    let mut members: Vec<Member> = prefix.dirs().into_iter().map(Member::dir).collect();
    // Directories first (as many archivers do not; the reader must not depend on them).
    members.extend(dirs.iter().map(|d| Member::dir(format!("{p}{d}"))));
    members.extend(
        files
            .into_iter()
            .map(|(rel, abs)| Member::file(format!("{p}{rel}"), std::fs::read(abs).unwrap())),
    );
    members
}

// ---------------------------------------------------------------- tar

/// A ustar header for `m`, its name written as raw bytes (no validation: `../`, absolute
/// and non-UTF-8 names go in as given). Names over 100 bytes go through `tar::Builder`'s
/// GNU long-name path instead (see [`tar_bytes`]).
fn raw_header(m: &Member) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    let (ty, size, mode) = match &m.body {
        Body::File(d) => (tar::EntryType::Regular, d.len() as u64, 0o644),
        Body::Dir => (tar::EntryType::Directory, 0, 0o755),
        Body::Symlink(_) => (tar::EntryType::Symlink, 0, 0o777),
        Body::Hardlink(_) => (tar::EntryType::Link, 0, 0o644),
    };
    h.set_entry_type(ty);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(1_700_000_000);
    h.set_uid(1000);
    h.set_gid(1000);
    assert!(m.name.len() <= 100, "raw names are at most 100 bytes");
    let name = &mut h.as_old_mut().name;
    name.fill(0);
    name[..m.name.len()].copy_from_slice(&m.name);
    if let Body::Symlink(t) | Body::Hardlink(t) = &m.body {
        h.set_link_name_literal(t).unwrap();
    }
    h.set_cksum();
    h
}

/// A tar of `members`, in order, ended by the two zero blocks.
pub fn tar_bytes(members: &[Member]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for m in members {
        if m.name.len() > 100 {
            // A long name: the builder writes a GNU `././@LongLink` member first.
            let Body::File(d) = &m.body else {
                panic!("long names only for files")
            };
            let mut h = tar::Header::new_gnu();
            h.set_size(d.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(1_700_000_000);
            h.set_entry_type(tar::EntryType::Regular);
            let name = std::str::from_utf8(&m.name).unwrap();
            b.append_data(&mut h, name, d.as_slice()).unwrap();
            continue;
        }
        let h = raw_header(m);
        let data: &[u8] = match &m.body {
            Body::File(d) => d,
            _ => &[],
        };
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

/// The byte range of each member's data in a tar written by [`tar_bytes`] (raw headers only:
/// one 512-byte header per member), as (name, start, end).
pub fn tar_layout(members: &[Member]) -> Vec<(String, usize, usize)> {
    let mut at = 0;
    members
        .iter()
        .map(|m| {
            assert!(m.name.len() <= 100);
            let len = match &m.body {
                Body::File(d) => d.len(),
                _ => 0,
            };
            let start = at + 512;
            at = start + len.div_ceil(512) * 512;
            (m.name_str(), start, start + len)
        })
        .collect()
}

/// `tar` gzip-compressed in one stream.
pub fn gzip(tar: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(tar).unwrap();
    e.finish().unwrap()
}

/// `tar` gzip-compressed, with a sync flush after its first `cut` bytes: returns the stream and
/// the compressed length at the flush, where a decoder has produced exactly `tar[..cut]`
/// (the place to truncate or corrupt the stream at a known point of the tar).
pub fn gzip_flushed_at(tar: &[u8], cut: usize) -> (Vec<u8>, usize) {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(&tar[..cut]).unwrap();
    e.flush().unwrap();
    let at = e.get_ref().len();
    e.write_all(&tar[cut..]).unwrap();
    (e.finish().unwrap(), at)
}

// ---------------------------------------------------------------- zip

/// A zip of `members` through the `zip` crate (deflated files, stored directories), as
/// Roboflow- or CVAT-style exports are.
pub fn zip_bytes(members: &[Member]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let t = zip::DateTime::from_date_and_time(2024, 1, 2, 3, 4, 6).unwrap();
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .last_modified_time(t)
        .unix_permissions(0o644);
    for m in members {
        let name = std::str::from_utf8(&m.name).expect("the zip crate takes UTF-8 names");
        match &m.body {
            Body::File(d) => {
                w.start_file(name, opts).unwrap();
                w.write_all(d).unwrap();
            }
            Body::Dir => {
                w.add_directory(name.trim_end_matches('/'), opts).unwrap();
            }
            Body::Symlink(t) => {
                w.add_symlink(name, std::str::from_utf8(t).unwrap(), opts)
                    .unwrap();
            }
            Body::Hardlink(_) => panic!("zip has no hard links"),
        }
    }
    w.finish().unwrap().into_inner()
}

/// One member of [`raw_zip`]: name, method (0 stored, 8 deflate), the data as stored, its CRC
/// and the uncompressed size written in the headers (which a bomb may lie about), and the
/// Unix mode (for a symlink, `0o120777`).
pub struct RawZipMember {
    pub name: Vec<u8>,
    pub method: u16,
    pub stored: Vec<u8>,
    pub crc: u32,
    pub declared_size: u32,
    pub mode: u32,
}

impl RawZipMember {
    /// A deflated file with true headers.
    pub fn deflated(name: impl AsRef<[u8]>, data: &[u8]) -> RawZipMember {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        let out = e.finish().unwrap();
        let mut crc = Crc::new();
        crc.update(data);
        RawZipMember {
            name: name.as_ref().to_vec(),
            method: 8,
            stored: out,
            crc: crc.sum(),
            declared_size: data.len() as u32,
            mode: 0o100644,
        }
    }
}

/// A zip written field by field (local headers, data, central directory, end record), for
/// what the `zip` crate's writer refuses: duplicate names, sizes that lie, bombs. With
/// `central_directory: false` the archive ends after the last member's data.
pub fn raw_zip(members: &[RawZipMember], central_directory: bool) -> Vec<u8> {
    fn u16le(v: &mut Vec<u8>, x: u16) {
        v.extend_from_slice(&x.to_le_bytes());
    }
    fn u32le(v: &mut Vec<u8>, x: u32) {
        v.extend_from_slice(&x.to_le_bytes());
    }
    let (time, date) = (0x1820u16, 0x5822u16); // 2024-01-02 03:01:00
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for m in members {
        offsets.push(out.len() as u32);
        u32le(&mut out, 0x0403_4b50);
        u16le(&mut out, 20);
        u16le(&mut out, 0x0800); // names are UTF-8 (when they are)
        u16le(&mut out, m.method);
        u16le(&mut out, time);
        u16le(&mut out, date);
        u32le(&mut out, m.crc);
        u32le(&mut out, m.stored.len() as u32);
        u32le(&mut out, m.declared_size);
        u16le(&mut out, m.name.len() as u16);
        u16le(&mut out, 0);
        out.extend_from_slice(&m.name);
        out.extend_from_slice(&m.stored);
    }
    if !central_directory {
        return out;
    }
    let cd_start = out.len() as u32;
    for (m, off) in members.iter().zip(&offsets) {
        u32le(&mut out, 0x0201_4b50);
        u16le(&mut out, 0x031e); // made by Unix, spec 3.0
        u16le(&mut out, 20);
        u16le(&mut out, 0x0800);
        u16le(&mut out, m.method);
        u16le(&mut out, time);
        u16le(&mut out, date);
        u32le(&mut out, m.crc);
        u32le(&mut out, m.stored.len() as u32);
        u32le(&mut out, m.declared_size);
        u16le(&mut out, m.name.len() as u16);
        u16le(&mut out, 0); // extra
        u16le(&mut out, 0); // comment
        u16le(&mut out, 0); // disk
        u16le(&mut out, 0); // internal attributes
        u32le(&mut out, m.mode << 16);
        u32le(&mut out, *off);
        out.extend_from_slice(&m.name);
    }
    let cd_len = out.len() as u32 - cd_start;
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, members.len() as u16);
    u16le(&mut out, members.len() as u16);
    u32le(&mut out, cd_len);
    u32le(&mut out, cd_start);
    u16le(&mut out, 0);
    out
}

/// The offset of the central directory of a zip (from its end record, which has no comment).
pub fn zip_central_directory_offset(zip: &[u8]) -> usize {
    let eocd = zip.len() - 22;
    assert_eq!(zip[eocd..eocd + 4], [0x50, 0x4b, 0x05, 0x06], "end record");
    u32::from_le_bytes(zip[eocd + 16..eocd + 20].try_into().unwrap()) as usize
}

/// A raw deflate stream that inflates to `mib` MiB of the byte `b' '` (whitespace: what an
/// XML parser would happily read on) from a few hundred bytes per MiB: one MiB compressed with a
/// sync flush (a non-final block ending on a byte boundary, whose back-references need only
/// the previous 32 KiB of spaces) repeated `mib` times, then an empty final block. Returns the
/// stream and the CRC-32 of its output.
pub fn deflate_bomb(mib: usize) -> (Vec<u8>, u32) {
    let chunk = vec![b' '; 1 << 20];
    let mut c = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(1 << 16);
    c.compress_vec(&chunk, &mut block, FlushCompress::Sync)
        .unwrap();
    assert_eq!(c.total_in(), 1 << 20, "one MiB went in");
    assert!(block.ends_with(&[0, 0, 0xff, 0xff]), "sync flush marker");
    let mut out = Vec::with_capacity(block.len() * mib + 2);
    let mut one = Crc::new();
    one.update(&chunk);
    let mut crc = Crc::new();
    for _ in 0..mib {
        out.extend_from_slice(&block);
        crc.combine(&one); // CRC of the concatenation, without hashing the MiB again
    }
    out.extend_from_slice(&[0x03, 0x00]); // final fixed-Huffman block holding only end-of-block
    (out, crc.sum())
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write_to(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The archive of `members` as `kind`.
pub fn archive_bytes(kind: Kind, members: &[Member]) -> Vec<u8> {
    match kind {
        Kind::Tar => tar_bytes(members),
        Kind::TarGz | Kind::Tgz => gzip(&tar_bytes(members)),
        Kind::Zip => zip_bytes(members),
    }
}

/// Checks the builders against independent readers: the `tar` crate's reader, `flate2`'s
/// decoder and the `zip` crate's reader see exactly the members written, and a bomb inflates to
/// the bytes and CRC it claims. (Against the system's `tar` and `unzip` too, when present.)
#[test]
fn builders_write_what_readers_read() {
    let members = vec![
        Member::dir("set/"),
        Member::file("set/Annotations/a.xml", b"<annotation/>".to_vec()),
        Member::file(
            format!("set/Annotations/{}.xml", "x".repeat(120)),
            b"long".to_vec(),
        ),
        Member::file("set/JPEGImages/a.jpg", vec![7u8; 1000]),
    ];
    let tar = tar_bytes(&members);
    let mut a = tar::Archive::new(tar.as_slice());
    let got: Vec<(String, u64)> = a
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.path().unwrap().to_str().unwrap().to_string(), e.size())
        })
        .collect();
    let long = format!("set/Annotations/{}.xml", "x".repeat(120));
    assert_eq!(
        got,
        [
            ("set/".to_string(), 0),
            ("set/Annotations/a.xml".to_string(), 13),
            (long.clone(), 4),
            ("set/JPEGImages/a.jpg".to_string(), 1000),
        ]
    );
    // Offsets of raw members.
    let raw = [members[0].clone(), members[1].clone(), members[3].clone()];
    let t = tar_bytes(&raw);
    let lay = tar_layout(&raw);
    assert_eq!(&t[lay[1].1..lay[1].2], b"<annotation/>");
    assert_eq!(&t[lay[2].1..lay[2].2], &[7u8; 1000][..]);

    // gzip with a flush point: the prefix decodes to exactly the tar's first `cut` bytes.
    let (gz, at) = gzip_flushed_at(&t, lay[2].1 + 300);
    let mut d = flate2::read::GzDecoder::new(&gz[..at]);
    let mut prefix = Vec::new();
    let _ = std::io::Read::read_to_end(&mut d, &mut prefix); // ends in an error: truncated
    assert_eq!(prefix, &t[..lay[2].1 + 300]);
    let mut whole = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut whole)
        .unwrap();
    assert_eq!(whole, t);

    let zip = zip_bytes(&members);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let names: Vec<String> = (0..z.len())
        .map(|i| z.by_index(i).unwrap().name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "set/",
            "set/Annotations/a.xml",
            &long,
            "set/JPEGImages/a.jpg"
        ]
    );

    // The raw zip writer: the zip crate reads its members back, CRC checked.
    let rz = raw_zip(
        &[
            RawZipMember::deflated("a.xml", b"<annotation/>"),
            RawZipMember::deflated("b.xml", &[b'x'; 5000]),
        ],
        true,
    );
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(rz.clone())).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name("b.xml").unwrap(), &mut s).unwrap();
    assert_eq!(s, "x".repeat(5000));
    assert_eq!(zip_central_directory_offset(&rz), {
        let m = RawZipMember::deflated("a.xml", b"<annotation/>");
        30 + 5
            + m.stored.len()
            + 30
            + 5
            + RawZipMember::deflated("b.xml", &[b'x'; 5000]).stored.len()
    });

    // The bomb: 3 MiB of spaces from a few kB, CRC as claimed.
    let (bomb, crc) = deflate_bomb(3);
    assert!(bomb.len() < 3 * 8 * 1024, "{} bytes", bomb.len());
    let mut d = flate2::read::DeflateDecoder::new(bomb.as_slice());
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut out).unwrap();
    assert_eq!(out.len(), 3 << 20);
    assert!(out.iter().all(|&b| b == b' '));
    let mut c = Crc::new();
    c.update(&out);
    assert_eq!(c.sum(), crc);

    // The system's GNU tar, gzip and unzip, when present, list the same members.
    let t = tempfile::tempdir().unwrap();
    let listing = |program: &str, args: &[&str]| -> Option<String> {
        let o = std::process::Command::new(program)
            .args(args)
            .current_dir(t.path())
            .output()
            .ok()?;
        assert!(o.status.success(), "{program} {args:?}: {o:?}");
        Some(String::from_utf8(o.stdout).unwrap())
    };
    write_to(t.path(), "a.tar", &tar);
    write_to(t.path(), "a.tar.gz", &gzip(&tar));
    write_to(t.path(), "a.zip", &zip_bytes(&members));
    let want = format!("set/\nset/Annotations/a.xml\n{long}\nset/JPEGImages/a.jpg\n");
    for (program, args) in [
        ("tar", &["-tf", "a.tar"][..]),
        ("tar", &["-tzf", "a.tar.gz"][..]),
        ("zipinfo", &["-1", "a.zip"][..]),
    ] {
        match listing(program, args) {
            Some(got) => assert_eq!(got, want, "{program} {args:?}"),
            None => eprintln!("SKIPPED: {program} is not installed"),
        }
    }
}
