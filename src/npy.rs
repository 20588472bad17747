//! A small NPY (format 1.0) reader and writer: enough for C-order arrays of little-endian
//! integers and floats, which is all this tool reads and writes. numpy and PyTorch load the
//! files directly (`np.load`).

use std::io::{self, Read};

/// Element types written and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    U8,
    I16,
    I32,
    I64,
    F32,
    F64,
}

impl Dtype {
    /// numpy's `descr` string.
    pub fn descr(self) -> &'static str {
        match self {
            Dtype::U8 => "|u1",
            Dtype::I16 => "<i2",
            Dtype::I32 => "<i4",
            Dtype::I64 => "<i8",
            Dtype::F32 => "<f4",
            Dtype::F64 => "<f8",
        }
    }
    pub fn size(self) -> usize {
        match self {
            Dtype::U8 => 1,
            Dtype::I16 => 2,
            Dtype::I32 | Dtype::F32 => 4,
            Dtype::I64 | Dtype::F64 => 8,
        }
    }
    fn from_descr(d: &str) -> Option<Dtype> {
        Some(match d {
            "|u1" | "<u1" => Dtype::U8,
            "<i2" => Dtype::I16,
            "<i4" => Dtype::I32,
            "<i8" => Dtype::I64,
            "<f4" => Dtype::F32,
            "<f8" => Dtype::F64,
            _ => return None,
        })
    }
}

/// The Python dict of an NPY header for a little-endian C-order array.
pub fn header_dict(dtype: Dtype, shape: &[u64]) -> String {
    let shape_txt = match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape_txt}, }}",
        dtype.descr()
    )
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

/// The NPY header for a C-order array, padded so that the data starts on a 64-byte boundary.
pub fn header(dtype: Dtype, shape: &[usize]) -> Vec<u8> {
    let shape: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
    let total = (10 + header_dict(dtype, &shape).len() + 1).div_ceil(64) * 64;
    padded_header(dtype, &shape, total).expect("sized to fit")
}

/// An array read from an NPY file, converted to f64 or i64 values.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    /// Raw little-endian bytes.
    pub bytes: Vec<u8>,
}

impl NpyArray {
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Values as f32 (for an `<f4` array).
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        (self.dtype == Dtype::F32).then(|| {
            self.bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        })
    }
    /// Values as i64 (for any integer array).
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        let b = &self.bytes;
        Some(match self.dtype {
            Dtype::U8 => b.iter().map(|&v| v as i64).collect(),
            Dtype::I16 => b
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]) as i64)
                .collect(),
            Dtype::I32 => b
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64)
                .collect(),
            Dtype::I64 => b
                .chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
            _ => return None,
        })
    }
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Reads an NPY file (versions 1-3, C order, the dtypes of [`Dtype`]).
pub fn read(r: &mut impl Read) -> io::Result<NpyArray> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)?;
    if &magic[..6] != b"\x93NUMPY" {
        return Err(bad("not an NPY file"));
    }
    let hlen = if magic[6] == 1 {
        let mut b = [0u8; 2];
        r.read_exact(&mut b)?;
        u16::from_le_bytes(b) as usize
    } else {
        let mut b = [0u8; 4];
        r.read_exact(&mut b)?;
        u32::from_le_bytes(b) as usize
    };
    let mut h = vec![0u8; hlen];
    r.read_exact(&mut h)?;
    let h = String::from_utf8_lossy(&h);
    let field = |key: &str| -> Option<String> {
        let at = h.find(&format!("'{key}'"))?;
        let rest = h[at + key.len() + 2..]
            .trim_start()
            .strip_prefix(':')?
            .trim_start();
        Some(rest.to_string())
    };
    let descr = field("descr").ok_or_else(|| bad("no descr"))?;
    let descr = descr
        .strip_prefix('\'')
        .and_then(|d| d.split('\'').next())
        .ok_or_else(|| bad("bad descr"))?;
    let dtype =
        Dtype::from_descr(descr).ok_or_else(|| bad(format!("unsupported dtype {descr}")))?;
    if field("fortran_order").is_some_and(|f| f.starts_with("True")) {
        return Err(bad("fortran order not supported"));
    }
    let shape_txt = field("shape").ok_or_else(|| bad("no shape"))?;
    let inner = shape_txt
        .strip_prefix('(')
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| bad("bad shape"))?;
    let shape: Vec<usize> = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| bad("bad shape")))
        .collect::<io::Result<_>>()?;
    let n: usize = shape.iter().product();
    let mut bytes = vec![0u8; n * dtype.size()];
    r.read_exact(&mut bytes)?;
    Ok(NpyArray {
        dtype,
        shape,
        bytes,
    })
}

/// Reads an NPY file from a path.
pub fn read_path(path: &std::path::Path) -> io::Result<NpyArray> {
    let mut f = io::BufReader::new(std::fs::File::open(path)?);
    read(&mut f)
}
