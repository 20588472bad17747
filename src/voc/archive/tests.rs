//! The index of each format against archives built here member by member, and the rules
//! every format shares (names made plain, links and repeats refused, damage reported).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::*;

const XML: &[u8] = b"<annotation><size><width>10</width><height>10</height></size></annotation>";

/// A member of a test tar: its raw name, type and data.
struct M<'a>(&'a [u8], ::tar::EntryType, &'a [u8]);

fn file<'a>(name: &'a str, data: &'a [u8]) -> M<'a> {
    M(name.as_bytes(), ::tar::EntryType::Regular, data)
}

/// A tar of `members`, the names written as given (no check, no normalisation).
fn tar_bytes(members: &[M]) -> Vec<u8> {
    let mut b = ::tar::Builder::new(Vec::new());
    for M(name, ty, data) in members {
        let mut h = ::tar::Header::new_old();
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_entry_type(*ty);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        if *ty == ::tar::EntryType::Symlink || *ty == ::tar::EntryType::Link {
            h.set_link_name_literal(b"target").unwrap();
        }
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn names(a: &Archive, dir: &str) -> Vec<String> {
    a.read_dir(&a.path().join(dir))
        .unwrap()
        .into_iter()
        .map(|(n, _)| n.to_string_lossy().into_owned())
        .collect()
}

fn kinds(a: &Archive) -> Vec<(String, FindingKind)> {
    a.problems()
        .iter()
        .map(|p| (p.path.display().to_string(), p.kind))
        .collect()
}

fn read(a: &Archive, member: &str) -> Result<Vec<u8>, InputError> {
    let mut buf = vec![1, 2, 3];
    a.read(&a.path().join(member), InputKind::Annotation, &mut buf)
        .map(|()| buf)
}

#[test]
fn formats_are_told_by_name() {
    let of = |n: &str| ArchiveFormat::of(Path::new(n));
    assert_eq!(of("VOCtrainval_06-Nov-2007.tar"), Some(ArchiveFormat::Tar));
    assert_eq!(of("a/b.TAR.GZ"), Some(ArchiveFormat::TarGz));
    assert_eq!(of("b.tgz"), Some(ArchiveFormat::TarGz));
    assert_eq!(of("export.zip"), Some(ArchiveFormat::Zip));
    assert_eq!(of("a.xml"), None);
    assert_eq!(of("a.tar.xz"), None);
}

#[test]
fn a_tar_and_its_gzip_index_the_same_tree_and_bytes() {
    let members = [
        file("./voc/Annotations/b.xml", XML),
        file("voc//Annotations/a.xml", b"<annotation/>"),
        M(b"voc/JPEGImages/", ::tar::EntryType::Directory, b""),
        file("voc/ImageSets/Main/train.txt", b"a\nb\n"),
    ];
    let tar = tar_bytes(&members);
    let dir = tempfile::tempdir().unwrap();
    for path in [
        write(&dir, "s.tar", &tar),
        write(&dir, "s.tar.gz", &gz(&tar)),
    ] {
        let a = Archive::open(&path).unwrap();
        assert_eq!(kinds(&a), vec![], "{path:?}");
        assert_eq!(names(&a, ""), ["voc"]);
        // Sorted bytewise; `./` and `//` made plain; an empty folder is a folder.
        assert_eq!(names(&a, "voc"), ["Annotations", "ImageSets", "JPEGImages"]);
        assert_eq!(names(&a, "voc/Annotations"), ["a.xml", "b.xml"]);
        assert_eq!(a.stat(&path.join("voc/JPEGImages")), Stat::Dir);
        assert_eq!(a.stat(&path.join("voc/Annotations/b.xml")), Stat::File);
        assert_eq!(a.stat(&path.join("voc/x.xml")), Stat::Missing);
        assert_eq!(read(&a, "voc/Annotations/b.xml").unwrap(), XML);
        assert_eq!(
            a.read_text(&path.join("voc/ImageSets/Main/train.txt"), InputKind::Split)
                .unwrap(),
            "a\nb\n"
        );
        assert_eq!(
            read(&a, "voc/Annotations").unwrap_err(),
            InputError::Directory(InputKind::Annotation)
        );
        let shown = a.shown(&path.join("voc/Annotations/b.xml"));
        assert_eq!(
            shown,
            PathBuf::from(format!("{}:voc/Annotations/b.xml", path.display()))
        );
        assert_eq!(a.shown(&path), path);
    }
}

#[test]
fn unsafe_members_are_problems_and_not_in_the_tree() {
    use ::tar::EntryType as T;
    let tar = tar_bytes(&[
        file("d/ok.xml", XML),
        file("d/../../up.xml", XML),
        file("/etc/abs.xml", XML),
        M(b"d/link.xml", T::Symlink, b""),
        M(b"d/hard.xml", T::Link, b""),
        M(b"d/fifo.xml", T::Fifo, b""),
        file("d/twice.xml", XML),
        file("d/twice.xml", XML),
        file("d/twice.xml", XML),
        M(b"d/caf\xe9.xml", T::Regular, XML),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "bad.tar", &tar);
    let a = Archive::open(&path).unwrap();
    let at = |m: &str| format!("{}:{m}", path.display());
    use FindingKind::{NonUtf8FileName as N, UnsafeMember as Unsafe};
    assert_eq!(
        kinds(&a),
        vec![
            (at("d/../../up.xml"), Unsafe),
            (at("/etc/abs.xml"), Unsafe),
            (at("d/link.xml"), Unsafe),
            (at("d/hard.xml"), Unsafe),
            (at("d/fifo.xml"), Unsafe),
            // The first copy is refused when the second comes, then each later one.
            (at("d/twice.xml"), Unsafe),
            (at("d/twice.xml"), Unsafe),
            (at("d/twice.xml"), Unsafe),
            (at("d/caf\u{FFFD}.xml"), N),
        ]
    );
    assert_eq!(names(&a, "d"), ["ok.xml"]);
    assert!(a.problems()[2]
        .message
        .contains("symbolic link (to \"target\")"));
    assert!(a.problems()[0].message.contains("climbs out"));
}

#[test]
fn a_truncated_tar_keeps_the_members_before_the_damage() {
    let tar = tar_bytes(&[file("a.xml", XML), file("b.xml", &[b'x'; 2000])]);
    let dir = tempfile::tempdir().unwrap();
    // Inside b.xml's data: a.xml is read, b.xml is not, one problem names the archive.
    let path = write(&dir, "cut.tar", &tar[..1024 + 512 + 1000]);
    let a = Archive::open(&path).unwrap();
    assert_eq!(names(&a, ""), ["a.xml"]);
    assert_eq!(
        kinds(&a),
        vec![(path.display().to_string(), FindingKind::ArchiveDamaged)]
    );
    let m = &a.problems()[0].message;
    assert!(
        m.contains("damaged at byte 1024, after member a.xml: the file ends inside member b.xml"),
        "{m}"
    );
    // At a member's boundary: no end-of-archive blocks.
    let path = write(&dir, "cut2.tar", &tar[..1024]);
    let a = Archive::open(&path).unwrap();
    assert_eq!(names(&a, ""), ["a.xml"]);
    assert!(a.problems()[0]
        .message
        .contains("without the end-of-archive blocks"));
    // A gzip stream cut short: the same, through the stream.
    let z = gz(&tar);
    let path = write(&dir, "cut.tar.gz", &z[..z.len() - 30]);
    let a = Archive::open(&path).unwrap();
    assert_eq!(a.problems().len(), 1, "{:?}", a.problems());
    assert_eq!(a.problems()[0].kind, FindingKind::ArchiveDamaged);
    assert!(a.problems()[0].message.contains("of the decompressed tar"));
}

#[test]
fn a_corrupt_gzip_stream_is_damage_not_a_panic() {
    let tar = tar_bytes(&[file("a.xml", XML), file("b.xml", XML)]);
    let mut z = gz(&tar);
    let n = z.len();
    z[n - 8] ^= 0xff; // the trailer's CRC
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&write(&dir, "crc.tar.gz", &z)).unwrap();
    assert_eq!(names(&a, ""), ["a.xml", "b.xml"]);
    assert_eq!(a.problems().len(), 1);
    assert_eq!(a.problems()[0].kind, FindingKind::ArchiveDamaged);
    let a = Archive::open(&write(&dir, "junk.tgz", b"not a gzip stream at all")).unwrap();
    assert!(names(&a, "").is_empty());
    assert_eq!(a.problems()[0].kind, FindingKind::ArchiveDamaged);
}

#[test]
fn a_member_is_read_within_its_cap_whatever_its_header_says() {
    let big = vec![b' '; (InputKind::Annotation.cap() + 1) as usize];
    let tar = tar_bytes(&[
        file("ok.xml", XML),
        file("big.xml", &big),
        file("z.xml", XML),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&write(&dir, "big.tar", &tar)).unwrap();
    assert!(matches!(
        read(&a, "big.xml"),
        Err(InputError::TooLarge { .. })
    ));
    assert_eq!(read(&a, "z.xml").unwrap(), XML);
    // Compressed, 64 MiB of spaces inflate over 1000 times: the stream stops there, as for a
    // bomb, and what came before is read.
    let a = Archive::open(&write(&dir, "big.tar.gz", &gz(&tar))).unwrap();
    assert_eq!(read(&a, "ok.xml").unwrap(), XML);
    assert!(a.stat(&a.path().join("z.xml")) == Stat::Missing);
    assert_eq!(a.problems().len(), 1);
    assert_eq!(a.problems()[0].kind, FindingKind::ArchiveDamaged);
    assert!(
        a.problems()[0].message.contains("zip bomb"),
        "{:?}",
        a.problems()
    );
}

fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated);
    for (name, data) in members {
        if let Some(dir) = name.strip_suffix('/') {
            w.add_directory(dir, opts).unwrap();
        } else {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn a_zip_is_read_through_its_directory_and_a_bomb_is_stopped() {
    let bomb = vec![b' '; 40 << 20];
    let z = zip_bytes(&[
        ("set/", b""),
        ("set/a.xml", XML),
        ("set/bomb.xml", &bomb),
        ("set/../up.xml", XML),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "s.zip", &z);
    let a = Archive::open(&path).unwrap();
    assert_eq!(names(&a, "set"), ["a.xml", "bomb.xml"]);
    assert_eq!(read(&a, "set/a.xml").unwrap(), XML);
    let e = read(&a, "set/bomb.xml").unwrap_err();
    assert!(matches!(e, InputError::Inflates(_)), "{e:?}");
    assert_eq!(e.finding_kind(), FindingKind::UnsafeMember);
    assert_eq!(
        kinds(&a),
        vec![(
            format!("{}:set/../up.xml", path.display()),
            FindingKind::UnsafeMember
        )]
    );
    // Without its central directory, a zip cannot be read at all.
    let cut = write(&dir, "cut.zip", &z[..z.len() - 40]);
    assert!(matches!(
        Archive::open(&cut),
        Err(ArchiveError::ZipDirectory(_))
    ));
}

#[test]
fn a_zip_with_a_name_written_twice_reads_neither_copy() {
    let mut z = zip_bytes(&[("a.xml", XML), ("b.xml", XML)]);
    // Rename b.xml to a.xml in both its local and its central header.
    let mut k = 0;
    while let Some(i) = z[k..].windows(5).position(|w| w == b"b.xml") {
        z[k + i] = b'a';
        k += i + 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = Archive::open(&write(&dir, "twice.zip", &z)).unwrap();
    assert!(names(&a, "").is_empty());
    assert_eq!(a.problems().len(), 2);
    assert!(a
        .problems()
        .iter()
        .all(|p| p.kind == FindingKind::UnsafeMember));
}

#[test]
fn the_bomb_guard_stops_past_the_ratio() {
    let compressed = Arc::new(std::sync::atomic::AtomicU64::new(1));
    let mut g = BombGuard {
        inner: std::io::repeat(0).take(RATIO_FLOOR + 10),
        compressed: compressed.clone(),
        out: 0,
    };
    let e = std::io::copy(&mut g, &mut std::io::sink()).unwrap_err();
    assert!(e.to_string().contains("zip bomb"), "{e}");
    // Within the ratio, everything is read.
    compressed.store(RATIO_FLOOR, std::sync::atomic::Ordering::Relaxed);
    let mut g = BombGuard {
        inner: std::io::repeat(0).take(RATIO_FLOOR + 10),
        compressed,
        out: 0,
    };
    assert_eq!(
        std::io::copy(&mut g, &mut std::io::sink()).unwrap(),
        RATIO_FLOOR + 10
    );
}

#[test]
fn a_slice_reads_and_seeks_within_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "f", b"0123456789");
    let file = Arc::new(File::open(path).unwrap());
    let mut s = Slice::new(file, 2, 5);
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert_eq!(out, "23456");
    s.seek(SeekFrom::End(-2)).unwrap();
    out.clear();
    s.read_to_string(&mut out).unwrap();
    assert_eq!(out, "56");
    assert!(s.seek(SeekFrom::Current(-10)).is_err());
}

fn ids(listing: &crate::voc::dataset::Listing) -> Vec<&str> {
    listing.entries.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn the_layout_is_found_in_the_one_folder_that_holds_everything() {
    use crate::voc::dataset::{list_datasets, list_datasets_with, ListOptions};
    let z = zip_bytes(&[
        ("__MACOSX/export/._b.xml", b"\x00\x05\x16\x07"),
        ("export/train/b.xml", XML),
        ("export/a.xml", XML),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "export.zip", &z);
    let listing = list_datasets(std::slice::from_ref(&path), None, None).unwrap();
    assert_eq!(ids(&listing), ["a"]);
    assert_eq!(
        listing.sources,
        [format!(
            "{}:export: plain folder, 1 annotation files",
            path.display()
        )]
    );
    let opts = ListOptions { recursive: true };
    let listing = list_datasets_with(std::slice::from_ref(&path), None, None, opts).unwrap();
    assert_eq!(ids(&listing), ["a", "train/b"]);
    // The split file comes last in the tar: the order is the split's all the same.
    let tar = tar_bytes(&[
        file("VOCdevkit/VOC2007/Annotations/1.xml", XML),
        file("VOCdevkit/VOC2007/Annotations/2.xml", XML),
        file("VOCdevkit/VOC2007/ImageSets/Main/val.txt", b"2\n1\n"),
    ]);
    for path in [write(&dir, "v.tar", &tar), write(&dir, "v.tgz", &gz(&tar))] {
        let listing = list_datasets(std::slice::from_ref(&path), Some("val"), None).unwrap();
        assert_eq!(ids(&listing), ["2", "1"]);
        let e = &listing.entries[0];
        assert!(e.archive().is_some());
        assert_eq!(
            crate::voc::source::AnnotationSource::location(&crate::voc::source::Listed, e),
            PathBuf::from(format!(
                "{}:VOCdevkit/VOC2007/Annotations/2.xml",
                path.display()
            ))
        );
    }
    // A year folder's parts are not descended into: only ImageSets/ left is no dataset.
    let tar = tar_bytes(&[file("v/ImageSets/Main/val.txt", b"1\n")]);
    let e = list_datasets(&[write(&dir, "parts.tar", &tar)], None, None).unwrap_err();
    assert!(e.to_string().ends_with("parts.tar:v: no Annotations/ folder, no year folders and no .xml files (it holds the folders ImageSets: repack the archive with a dataset layout)"), "{e}");
}

#[test]
fn names_are_made_plain_and_the_fast_way_agrees_with_confined_id() {
    for (name, plain) in [
        ("a/b.xml", Some("a/b.xml")),
        ("./a//b.xml", Some("a/b.xml")),
        ("a/./b/", Some("a/b")),
        ("./", None),
        (".", None),
        ("", None),
    ] {
        assert_eq!(plain_name(name).as_deref(), plain, "{name:?}");
    }
    for name in [
        "a/b.xml", "a..b.xml", "../a", "a/../b", "/a", "\\a", "C:a", "a\\..\\b", "a\0b", "..",
    ] {
        assert_eq!(confined(name), confined_id(name), "{name:?}");
    }
}
