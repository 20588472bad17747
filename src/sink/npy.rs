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
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use crate::npy::{header_dict, Dtype};

/// Total header length (magic to newline, a multiple of 64) that fits `shape` with any first
/// dimension.
pub fn reserved_header_len(dtype: Dtype, row_shape: &[u64]) -> usize {
    let mut widest = vec![u64::MAX];
    widest.extend_from_slice(row_shape);
    (10 + header_dict(dtype, &widest).len() + 1).div_ceil(64) * 64
}

/// An NPY 1.0 header for `shape`, padded with spaces to exactly `total` bytes (newline last).
/// `None` if it does not fit (or `total` exceeds the format's 65535 + 10 bytes).
pub fn padded_header(dtype: Dtype, shape: &[u64], total: usize) -> Option<Vec<u8>> {
    let dict = header_dict(dtype, shape);
    if 10 + dict.len() + 1 > total || total - 10 > u16::MAX as usize {
        return None;
    }
    let mut h = Vec::with_capacity(total);
    h.extend_from_slice(b"\x93NUMPY\x01\x00");
    h.extend_from_slice(&((total - 10) as u16).to_le_bytes());
    h.extend_from_slice(dict.as_bytes());
    h.resize(total - 1, b' ');
    h.push(b'\n');
    Some(h)
}

/// Writes a C-order array of shape `(rows, row_shape...)` one row at a time.
#[derive(Debug)]
pub struct NpyStreamWriter {
    out: BufWriter<File>,
    dtype: Dtype,
    row_shape: Vec<u64>,
    row_bytes: usize,
    header_len: usize,
    rows: u64,
}

impl NpyStreamWriter {
    /// Creates (truncates) `path` and reserves the header.
    pub fn create(path: &Path, dtype: Dtype, row_shape: &[u64]) -> io::Result<Self> {
        let header_len = reserved_header_len(dtype, row_shape);
        let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let mut shape = vec![0];
        shape.extend_from_slice(row_shape);
        out.write_all(&padded_header(dtype, &shape, header_len).expect("reserved length fits"))?;
        let row_bytes = row_shape.iter().product::<u64>() as usize * dtype.size();
        Ok(NpyStreamWriter {
            out,
            dtype,
            row_shape: row_shape.to_vec(),
            row_bytes,
            header_len,
            rows: 0,
        })
    }

    /// Bytes of one row.
    pub fn row_bytes(&self) -> usize {
        self.row_bytes
    }

    /// Appends one row of raw little-endian element bytes (exactly [`row_bytes`] of them).
    ///
    /// [`row_bytes`]: Self::row_bytes
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
        self.out.write_all(bytes)?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Writes the final header (with the row count), flushes and syncs. Returns the row count.
    pub fn finish(self) -> io::Result<u64> {
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        let mut shape = vec![self.rows];
        shape.extend_from_slice(&self.row_shape);
        let header =
            padded_header(self.dtype, &shape, self.header_len).expect("reserved length fits");
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header)?;
        file.sync_all()?;
        Ok(self.rows)
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
}
