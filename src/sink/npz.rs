//! NPZ: a zip archive of `.npy` members, what `numpy.savez` writes and `numpy.load` reads,
//! written with the `zip` crate.
//!
//! Members are stored (method 0, no compression): the targets compress poorly relative to the
//! time it costs, and stored members are what `np.savez` itself writes. Every member is copied
//! in whole from a finished `.npy` file (the streamed arrays cannot share one zip stream while
//! they grow), so its size is known before its local header is written: a member of 4 GiB or
//! more is started as a ZIP64 entry (`locs.npy` is one beyond about 600k images at 441
//! priors); the crate adds ZIP64 offsets and end records by itself where an offset or the
//! central directory passes 4 GiB. The file is seekable, so the crate writes each CRC-32 and
//! size back into the local header and needs no data descriptor. Timestamps are fixed at
//! 1980-01-01 00:00 and permissions at 0644, so the archive's bytes depend only on its
//! contents (docs/encode.md, "targets.npz").

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime};

/// Members of this size or more are ZIP64 entries (the crate refuses to grow a plain one past
/// it).
const ZIP32_LIMIT: u64 = zip::ZIP64_BYTES_THR;

/// Writes a stored zip archive member by member.
pub struct ZipWriter {
    zip: zip::ZipWriter<BufWriter<File>>,
    /// Start every member as a ZIP64 entry, whatever its size (tests use it to exercise the
    /// ZIP64 fields without writing 4 GiB).
    pub force_zip64: bool,
}

impl std::fmt::Debug for ZipWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipWriter")
            .field("force_zip64", &self.force_zip64)
            .finish_non_exhaustive()
    }
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::other(other),
    }
}

impl ZipWriter {
    pub fn create(path: &Path) -> io::Result<Self> {
        Ok(ZipWriter {
            zip: zip::ZipWriter::new(BufWriter::with_capacity(1 << 20, File::create(path)?)),
            force_zip64: false,
        })
    }

    /// Stored, 1980-01-01 00:00, mode 0644; ZIP64 when `size` needs it (or forced).
    fn start(&mut self, name: &str, size: u64) -> io::Result<()> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::DEFAULT)
            .unix_permissions(0o644)
            .large_file(self.force_zip64 || size >= ZIP32_LIMIT);
        self.zip.start_file(name, options).map_err(zip_err)
    }

    /// Adds a member whose content is the whole of `src`, read once (the crate computes the
    /// CRC-32 as the bytes go by).
    pub fn add_file(&mut self, name: &str, src: &Path) -> io::Result<()> {
        let mut f = File::open(src)?;
        let size = f.metadata()?.len();
        self.start(name, size)?;
        let mut buf = vec![0u8; 1 << 20];
        let mut copied = 0u64;
        while copied < size {
            let want = (size - copied).min(buf.len() as u64) as usize;
            let n = f.read(&mut buf[..want])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("{}: shrank while being archived", src.display()),
                ));
            }
            self.zip.write_all(&buf[..n])?;
            copied += n as u64;
        }
        Ok(())
    }

    /// Adds a member from bytes in memory.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.start(name, bytes.len() as u64)?;
        self.zip.write_all(bytes)
    }

    /// Writes the central directory and end records, flushes and syncs.
    pub fn finish(self) -> io::Result<()> {
        let out = self.zip.finish().map_err(zip_err)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every member's name, content, method and DOS time, read back by the crate's reader
    /// (which checks each CRC-32 as it reads to the end).
    fn members(path: &Path) -> Vec<(String, Vec<u8>, CompressionMethod, DateTime, bool)> {
        let mut a = zip::ZipArchive::new(File::open(path).unwrap()).unwrap();
        (0..a.len())
            .map(|i| {
                let mut m = a.by_index(i).unwrap();
                let mut content = Vec::new();
                m.read_to_end(&mut content).unwrap();
                let time = m.last_modified().unwrap();
                (
                    m.name().to_string(),
                    content,
                    m.compression(),
                    time,
                    m.unix_mode() == Some(0o100644),
                )
            })
            .collect()
    }

    /// Offsets of the ZIP64 extra field (header ID 1) in the local headers: one per member
    /// when forced, none otherwise.
    fn zip64_local_extras(bytes: &[u8]) -> usize {
        let mut found = 0;
        let mut o = 0;
        while bytes[o..].starts_with(&0x0403_4b50u32.to_le_bytes()) {
            let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
            let size = u32::from_le_bytes(bytes[o + 18..o + 22].try_into().unwrap()) as u64;
            let (name_len, extra_len) = (u16_at(o + 26), u16_at(o + 28));
            let extra = o + 30 + name_len;
            let mut data_size = size;
            if extra_len >= 20 && u16_at(extra) == 1 {
                found += 1;
                assert_eq!(size, u32::MAX as u64, "sizes deferred to the ZIP64 field");
                data_size = u64::from_le_bytes(bytes[extra + 4..extra + 12].try_into().unwrap());
            }
            o = extra + extra_len + data_size as usize;
        }
        found
    }

    #[test]
    fn members_read_back_plain_and_zip64_with_fixed_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.bin");
        std::fs::write(&src, b"hello from a file").unwrap();
        std::fs::write(dir.path().join("empty.bin"), b"").unwrap();
        for force in [false, true] {
            let path = dir.path().join(format!("a{force}.zip"));
            let mut z = ZipWriter::create(&path).unwrap();
            z.force_zip64 = force;
            z.add_bytes("a.npy", b"abc").unwrap();
            z.add_file("b.npy", &src).unwrap();
            z.add_file("c.npy", &dir.path().join("empty.bin")).unwrap();
            z.finish().unwrap();
            let m = members(&path);
            let names: Vec<&str> = m.iter().map(|m| m.0.as_str()).collect();
            assert_eq!(names, ["a.npy", "b.npy", "c.npy"]);
            assert_eq!(m[0].1, b"abc");
            assert_eq!(m[1].1, b"hello from a file");
            assert!(m[2].1.is_empty());
            for (name, _, method, time, mode_644) in &m {
                assert_eq!(*method, CompressionMethod::Stored, "{name}");
                assert_eq!(
                    (
                        time.year(),
                        time.month(),
                        time.day(),
                        time.hour(),
                        time.minute()
                    ),
                    (1980, 1, 1, 0, 0),
                    "{name}"
                );
                assert!(mode_644, "{name}");
            }
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(zip64_local_extras(&bytes), if force { 3 } else { 0 });
        }
    }

    #[test]
    fn same_contents_give_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.bin");
        std::fs::write(&src, vec![7u8; (1 << 20) + 3]).unwrap();
        let write = |name: &str| {
            let path = dir.path().join(name);
            let mut z = ZipWriter::create(&path).unwrap();
            z.add_file("big.npy", &src).unwrap();
            z.add_bytes("small.npy", b"xyz").unwrap();
            z.finish().unwrap();
            std::fs::read(path).unwrap()
        };
        // (The timestamps are fixed, see above: no clock is read.)
        assert_eq!(write("1.zip"), write("2.zip"));
    }
}
