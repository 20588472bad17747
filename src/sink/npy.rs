//! A streaming NPY writer: rows are appended as they are computed and the number of rows is
//! written into the header at the end.
//!
//! An NPY header states the full shape, but the first dimension (the number of images that were
//! read successfully) is only known once the whole dataset has been read. The writer therefore
//! reserves a header of fixed length, large enough for any row count up to `u64::MAX`, streams
//! the rows after it, and on [`NpyStreamWriter::finish`] seeks back and writes the real header,
//! padded with spaces to the same length. The padding is allowed by the format (numpy reads the
//! declared header length and parses the dict); the data still starts on a 64-byte boundary.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::npy::{header_dict, padded_header, Dtype};
use crate::pipeline::beside::Beside;

/// Total header length (magic to newline, a multiple of 64) that fits `shape` with any first
/// dimension.
pub fn reserved_header_len(dtype: Dtype, row_shape: &[u64]) -> usize {
    let mut widest = vec![u64::MAX];
    widest.extend_from_slice(row_shape);
    (10 + header_dict(dtype, &widest).len() + 1).div_ceil(64) * 64
}

/// Bytes gathered before one `write` (and one hand-over to the hasher).
const BLOCK: usize = 256 << 10;

/// SHA-256 computed beside the writer ([`Beside`]), fed the blocks as they are written: the
/// thread that writes the rows does not wait for the hash. (In `encode` that thread also
/// serialises every row, and on 2 cores it was the bottleneck: the hash was a quarter of the
/// CPU.) At most 4 blocks wait for the hasher (1 MiB).
type BackgroundSha256 = Beside<Vec<u8>, Sha256>;

fn start_sha256() -> BackgroundSha256 {
    Beside::start(4, Sha256::new(), |h: &mut Sha256, block: Vec<u8>| {
        h.update(&block)
    })
}

/// Writes a C-order array of shape `(rows, row_shape...)` one row at a time.
pub struct NpyStreamWriter {
    file: File,
    /// Bytes not yet written (at most about [`BLOCK`]).
    block: Vec<u8>,
    dtype: Dtype,
    row_shape: Vec<u64>,
    row_bytes: usize,
    header_len: usize,
    rows: u64,
    /// The row count written in the header up front, and the SHA-256 of everything written so
    /// far: when the final count equals it, the header needs no rewrite and the checksum comes
    /// for free (no second read of the file).
    expected: Option<(u64, BackgroundSha256)>,
}

impl std::fmt::Debug for NpyStreamWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NpyStreamWriter")
            .field("dtype", &self.dtype)
            .field("row_shape", &self.row_shape)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl NpyStreamWriter {
    /// Creates (truncates) `path` and reserves the header.
    pub fn create(path: &Path, dtype: Dtype, row_shape: &[u64]) -> io::Result<Self> {
        Self::create_expecting(path, dtype, row_shape, None)
    }

    /// Like [`create`](Self::create), with the row count expected (every listed image read):
    /// the header states it from the start and the file's SHA-256 is computed while writing.
    pub fn create_expecting(
        path: &Path,
        dtype: Dtype,
        row_shape: &[u64],
        expected_rows: Option<u64>,
    ) -> io::Result<Self> {
        let header_len = reserved_header_len(dtype, row_shape);
        let file = File::create(path)?;
        let mut shape = vec![expected_rows.unwrap_or(0)];
        shape.extend_from_slice(row_shape);
        let header = padded_header(dtype, &shape, header_len).expect("reserved length fits");
        let mut block = Vec::with_capacity(BLOCK + header.len());
        block.extend_from_slice(&header);
        let row_bytes = row_shape.iter().product::<u64>() as usize * dtype.size();
        Ok(NpyStreamWriter {
            file,
            block,
            dtype,
            row_shape: row_shape.to_vec(),
            row_bytes,
            header_len,
            rows: 0,
            expected: expected_rows.map(|n| (n, start_sha256())),
        })
    }

    /// Appends one row of raw little-endian element bytes (exactly the row shape's product
    /// times the element size).
    pub fn write_row(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.len() != self.row_bytes {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "NPY row of {} bytes, expected {}",
                    bytes.len(),
                    self.row_bytes
                ),
            ));
        }
        self.block.extend_from_slice(bytes);
        self.rows += 1;
        if self.block.len() >= BLOCK {
            self.write_block()?;
        }
        Ok(())
    }

    /// Writes the gathered bytes and hands them to the hasher. (No early write-back is asked
    /// for: `sync_file_range` every 16 MiB was measured and gained nothing, see
    /// docs/performance.md; the final `fsync` writes everything.)
    fn write_block(&mut self) -> io::Result<()> {
        self.file.write_all(&self.block)?;
        match &mut self.expected {
            Some((_, hasher)) => {
                let full = std::mem::replace(&mut self.block, Vec::with_capacity(BLOCK));
                hasher.push(full);
            }
            None => self.block.clear(),
        }
        Ok(())
    }

    /// Writes the final header (with the row count), flushes and syncs. Returns the row count.
    pub fn finish(self) -> io::Result<u64> {
        self.finish_with_checksum().map(|(rows, _)| rows)
    }

    /// [`finish`](Self::finish), also returning the file's SHA-256 (hex) and size when it was
    /// computed while writing (the expected row count was met).
    pub fn finish_with_checksum(mut self) -> io::Result<(u64, Option<(String, u64)>)> {
        if !self.block.is_empty() {
            self.write_block()?;
        }
        let checksum = match self.expected.take() {
            Some((n, hasher)) if n == self.rows => {
                let size = self.header_len as u64 + self.rows * self.row_bytes as u64;
                let sha = hasher
                    .finish()
                    .map_err(|_| io::Error::other("the SHA-256 thread failed"))?;
                Some((super::hex(&sha.finalize()), size))
            }
            _ => {
                let mut shape = vec![self.rows];
                shape.extend_from_slice(&self.row_shape);
                let header = padded_header(self.dtype, &shape, self.header_len)
                    .expect("reserved length fits");
                self.file.seek(SeekFrom::Start(0))?;
                self.file.write_all(&header)?;
                None
            }
        };
        self.file.sync_all()?;
        Ok((self.rows, checksum))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_header_is_aligned_and_fits_any_row_count() {
        for (dtype, row) in [(Dtype::I64, vec![441u64]), (Dtype::F32, vec![8732, 4])] {
            let len = reserved_header_len(dtype, &row);
            assert_eq!(len % 64, 0);
            let mut shape = vec![u64::MAX];
            shape.extend(&row);
            let h = padded_header(dtype, &shape, len).unwrap();
            assert_eq!(h.len(), len);
            assert_eq!(*h.last().unwrap(), b'\n');
        }
    }

    #[test]
    fn streamed_file_reads_back_with_final_row_count() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npy");
        let mut w = NpyStreamWriter::create(&path, Dtype::I16, &[3]).unwrap();
        for r in 0..5i16 {
            let row: Vec<u8> = (0..3).flat_map(|c| (r * 10 + c).to_le_bytes()).collect();
            w.write_row(&row).unwrap();
        }
        assert!(w.write_row(&[0; 5]).is_err(), "wrong row length refused");
        assert_eq!(w.finish().unwrap(), 5);
        let a = crate::npy::read_path(&path).unwrap();
        assert_eq!(a.shape, vec![5, 3]);
        assert_eq!(a.to_i64().unwrap()[13], 41);
    }

    #[test]
    fn zero_rows_is_a_valid_empty_array() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.npy");
        NpyStreamWriter::create(&path, Dtype::F32, &[2, 4])
            .unwrap()
            .finish()
            .unwrap();
        let a = crate::npy::read_path(&path).unwrap();
        assert_eq!(a.shape, vec![0, 2, 4]);
        assert!(a.is_empty());
    }

    #[test]
    fn checksum_while_writing_equals_the_file_hash_when_the_count_was_expected() {
        let dir = tempfile::tempdir().unwrap();
        let row: Vec<u8> = (0..12u8).collect();
        for (expected, written) in [(3u64, 3u64), (4, 3)] {
            let path = dir.path().join(format!("c{expected}.npy"));
            let mut w =
                NpyStreamWriter::create_expecting(&path, Dtype::U8, &[12], Some(expected)).unwrap();
            for _ in 0..written {
                w.write_row(&row).unwrap();
            }
            let (rows, checksum) = w.finish_with_checksum().unwrap();
            assert_eq!(rows, written);
            let from_file = crate::sink::sha256_file(&path).unwrap();
            if expected == written {
                assert_eq!(checksum, Some(from_file));
            } else {
                // A rejected image: the header is rewritten and the caller hashes the file.
                assert_eq!(checksum, None);
            }
            assert_eq!(
                crate::npy::read_path(&path).unwrap().shape,
                vec![written as usize, 12]
            );
        }
    }
}
