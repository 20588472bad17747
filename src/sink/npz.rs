//! NPZ: a zip archive of `.npy` members, what `numpy.savez` writes and `numpy.load` reads.
//!
//! Members are stored (method 0, no compression): the targets compress poorly relative to the
//! time it costs, and stored members are what `np.savez` itself writes. Every member is copied
//! in whole from a finished `.npy` file (the streamed arrays cannot share one zip stream while
//! they grow), so its size and CRC-32 are known before its local header is written and no
//! data descriptor is needed. ZIP64 records are used where a size or offset reaches 4 GiB
//! (`locs.npy` does beyond about 600k images at 441 priors). Timestamps are fixed at
//! 1980-01-01 00:00 so the archive's bytes depend only on its contents.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;

/// Sizes and offsets at or above this need ZIP64 fields.
const ZIP32_LIMIT: u64 = 0xFFFF_FFFF;
/// DOS date of 1980-01-01 (day 1, month 1, year 0), time 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;

#[derive(Debug)]
struct Member {
    name: String,
    size: u64,
    crc: u32,
    offset: u64,
}

/// Writes a stored zip archive member by member.
#[derive(Debug)]
pub struct ZipWriter {
    out: BufWriter<File>,
    pos: u64,
    members: Vec<Member>,
    /// Write ZIP64 fields for every member, whatever its size (tests use it to exercise the
    /// ZIP64 path without writing 4 GiB).
    pub force_zip64: bool,
}

impl ZipWriter {
    pub fn create(path: &Path) -> io::Result<Self> {
        Ok(ZipWriter {
            out: BufWriter::with_capacity(1 << 20, File::create(path)?),
            pos: 0,
            members: Vec::new(),
            force_zip64: false,
        })
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    /// Adds a member whose content is the whole of `src` (read twice: CRC, then copy).
    pub fn add_file(&mut self, name: &str, src: &Path) -> io::Result<()> {
        let mut f = File::open(src)?;
        let size = f.metadata()?.len();
        let mut crc = crc32fast::Hasher::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut r = BufReader::with_capacity(1 << 20, &mut f);
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                break;
            }
            crc.update(&buf[..n]);
        }
        drop(r);
        f.rewind()?;
        self.local_header(name, size, crc.finalize())?;
        let copied = io::copy(&mut f.take(size), &mut self.out)?;
        if copied != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{}: shrank while being archived", src.display()),
            ));
        }
        self.pos += size;
        Ok(())
    }

    /// Adds a member from bytes in memory.
    pub fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.local_header(name, bytes.len() as u64, crc32fast::hash(bytes))?;
        self.put(bytes)
    }

    fn local_header(&mut self, name: &str, size: u64, crc: u32) -> io::Result<()> {
        let zip64 = self.force_zip64 || size >= ZIP32_LIMIT;
        let offset = self.pos;
        let mut h = Vec::with_capacity(30 + name.len() + 20);
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&(if zip64 { 45u16 } else { 20 }).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // flags
        h.extend_from_slice(&0u16.to_le_bytes()); // stored
        h.extend_from_slice(&DOS_TIME.to_le_bytes());
        h.extend_from_slice(&DOS_DATE.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        let size32 = if zip64 { u32::MAX } else { size as u32 };
        h.extend_from_slice(&size32.to_le_bytes()); // compressed
        h.extend_from_slice(&size32.to_le_bytes()); // uncompressed
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        if zip64 {
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&16u16.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes()); // uncompressed
            h.extend_from_slice(&size.to_le_bytes()); // compressed
        }
        self.put(&h)?;
        self.members.push(Member {
            name: name.to_string(),
            size,
            crc,
            offset,
        });
        Ok(())
    }

    /// Writes the central directory and end records, flushes and syncs.
    pub fn finish(mut self) -> io::Result<()> {
        let cd_start = self.pos;
        let members = std::mem::take(&mut self.members);
        for m in &members {
            let big_size = self.force_zip64 || m.size >= ZIP32_LIMIT;
            let big_offset = self.force_zip64 || m.offset >= ZIP32_LIMIT;
            let mut extra = Vec::new();
            if big_size {
                extra.extend_from_slice(&m.size.to_le_bytes()); // uncompressed
                extra.extend_from_slice(&m.size.to_le_bytes()); // compressed
            }
            if big_offset {
                extra.extend_from_slice(&m.offset.to_le_bytes());
            }
            let zip64 = !extra.is_empty();
            let mut h = Vec::with_capacity(46 + m.name.len() + 4 + extra.len());
            h.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            h.extend_from_slice(&(if zip64 { 45u16 } else { 20 }).to_le_bytes()); // made by
            h.extend_from_slice(&(if zip64 { 45u16 } else { 20 }).to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&DOS_TIME.to_le_bytes());
            h.extend_from_slice(&DOS_DATE.to_le_bytes());
            h.extend_from_slice(&m.crc.to_le_bytes());
            let size32 = if big_size { u32::MAX } else { m.size as u32 };
            h.extend_from_slice(&size32.to_le_bytes());
            h.extend_from_slice(&size32.to_le_bytes());
            h.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
            let extra_len = if zip64 { 4 + extra.len() } else { 0 };
            h.extend_from_slice(&(extra_len as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // comment
            h.extend_from_slice(&0u16.to_le_bytes()); // disk
            h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            let off32 = if big_offset {
                u32::MAX
            } else {
                m.offset as u32
            };
            h.extend_from_slice(&off32.to_le_bytes());
            h.extend_from_slice(m.name.as_bytes());
            if zip64 {
                h.extend_from_slice(&1u16.to_le_bytes());
                h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
                h.extend_from_slice(&extra);
            }
            self.put(&h)?;
        }
        let cd_size = self.pos - cd_start;
        let n = members.len() as u64;
        let zip64_end =
            self.force_zip64 || cd_start >= ZIP32_LIMIT || cd_size >= ZIP32_LIMIT || n >= 0xFFFF;
        if zip64_end {
            let eocd64 = self.pos;
            let mut h = Vec::with_capacity(56 + 20);
            h.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
            h.extend_from_slice(&44u64.to_le_bytes()); // size of the rest of this record
            h.extend_from_slice(&45u16.to_le_bytes());
            h.extend_from_slice(&45u16.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes()); // this disk
            h.extend_from_slice(&0u32.to_le_bytes()); // disk of the central directory
            h.extend_from_slice(&n.to_le_bytes());
            h.extend_from_slice(&n.to_le_bytes());
            h.extend_from_slice(&cd_size.to_le_bytes());
            h.extend_from_slice(&cd_start.to_le_bytes());
            // Locator.
            h.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
            h.extend_from_slice(&0u32.to_le_bytes());
            h.extend_from_slice(&eocd64.to_le_bytes());
            h.extend_from_slice(&1u32.to_le_bytes());
            self.put(&h)?;
        }
        let n16 = if zip64_end { 0xFFFF } else { n as u16 };
        let mut h = Vec::with_capacity(22);
        h.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&n16.to_le_bytes());
        h.extend_from_slice(&n16.to_le_bytes());
        let clamp = |v: u64| if zip64_end { u32::MAX } else { v as u32 };
        h.extend_from_slice(&clamp(cd_size).to_le_bytes());
        h.extend_from_slice(&clamp(cd_start).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // comment
        self.put(&h)?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the members of a stored archive through its central directory (a minimal reader
    /// for the tests; numpy's own reading is checked by the integration tests).
    fn members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
        let eocd = bytes.len() - 22;
        assert_eq!(&bytes[eocd..eocd + 4], &0x0605_4b50u32.to_le_bytes());
        let u16_at = |o: usize| u16::from_le_bytes([bytes[o], bytes[o + 1]]) as u64;
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap()) as u64;
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap());
        let (mut n, mut cd) = (u16_at(eocd + 10), u32_at(eocd + 16));
        if n == 0xFFFF {
            let loc = eocd - 20;
            assert_eq!(u32_at(loc), 0x0706_4b50);
            let e64 = u64_at(loc + 8) as usize;
            assert_eq!(u32_at(e64), 0x0606_4b50);
            n = u64_at(e64 + 32);
            cd = u64_at(e64 + 48);
        }
        let mut out = Vec::new();
        let mut o = cd as usize;
        for _ in 0..n {
            assert_eq!(u32_at(o), 0x0201_4b50);
            let crc = u32_at(o + 16) as u32;
            let mut size = u32_at(o + 24);
            let name_len = u16_at(o + 28) as usize;
            let extra_len = u16_at(o + 30) as usize;
            let mut offset = u32_at(o + 42);
            let name = String::from_utf8(bytes[o + 46..o + 46 + name_len].to_vec()).unwrap();
            let mut e = o + 46 + name_len + 4;
            if size == ZIP32_LIMIT {
                size = u64_at(e);
                e += 16;
            }
            if offset == ZIP32_LIMIT {
                offset = u64_at(e);
            }
            let lh = offset as usize;
            assert_eq!(u32_at(lh), 0x0403_4b50);
            let data = lh + 30 + u16_at(lh + 26) as usize + u16_at(lh + 28) as usize;
            let content = bytes[data..data + size as usize].to_vec();
            assert_eq!(crc32fast::hash(&content), crc, "{name}: CRC");
            out.push((name, content));
            o += 46 + name_len + extra_len;
        }
        out
    }

    #[test]
    fn members_read_back_plain_and_zip64() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.bin");
        std::fs::write(&src, b"hello from a file").unwrap();
        for force in [false, true] {
            let path = dir.path().join(format!("a{force}.zip"));
            let mut z = ZipWriter::create(&path).unwrap();
            z.force_zip64 = force;
            z.add_bytes("a.npy", b"abc").unwrap();
            z.add_file("b.npy", &src).unwrap();
            z.finish().unwrap();
            let m = members(&std::fs::read(&path).unwrap());
            assert_eq!(m.len(), 2);
            assert_eq!(m[0], ("a.npy".to_string(), b"abc".to_vec()));
            assert_eq!(m[1].0, "b.npy");
            assert_eq!(m[1].1, b"hello from a file");
        }
    }
}
