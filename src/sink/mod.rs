//! Where per-image results go: streaming NPY / NPZ / CSV target writers and all-or-nothing
//! output folders. Only this module knows about output files.
//!
//! A [`TargetSink`] receives each image's dense targets in image order (see
//! [`crate::pipeline::Engine::run`]) and writes them out at once, so memory stays bounded by
//! one image whatever the dataset size. Formats are described in `docs/encode.md`.

pub mod atomic;
pub mod csv;
pub mod encoded;
pub mod format;
pub mod npy;
pub mod npz;
pub mod targets;

pub use format::TargetFormat;

use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::npy::Dtype;

/// Element type of `labels.npy` (`--label-dtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelDtype {
    /// int64, what the reference's labels tensor is (`torch.long`).
    #[default]
    I64,
    I32,
    I16,
    U8,
}
crate::named_values!(LabelDtype { I64 => "i64", I32 => "i32", I16 => "i16", U8 => "u8" });

/// A label element type too small for the label map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "label dtype {dtype}: the label map's largest label is {max_label}, which {} (max {}) \
     cannot hold; use {fits} or wider",
    .dtype.numpy_name(), .dtype.max_label()
)]
pub struct LabelDtypeTooSmall {
    pub dtype: LabelDtype,
    pub max_label: u64,
    /// The smallest type that holds it.
    pub fits: LabelDtype,
}

impl LabelDtype {
    pub fn npy(self) -> Dtype {
        match self {
            LabelDtype::I64 => Dtype::I64,
            LabelDtype::I32 => Dtype::I32,
            LabelDtype::I16 => Dtype::I16,
            LabelDtype::U8 => Dtype::U8,
        }
    }

    /// The largest label it holds.
    pub fn max_label(self) -> u64 {
        match self {
            LabelDtype::I64 => i64::MAX as u64,
            LabelDtype::I32 => i32::MAX as u64,
            LabelDtype::I16 => i16::MAX as u64,
            LabelDtype::U8 => u8::MAX as u64,
        }
    }

    /// numpy's name for it.
    pub fn numpy_name(self) -> &'static str {
        match self {
            LabelDtype::I64 => "int64",
            LabelDtype::I32 => "int32",
            LabelDtype::I16 => "int16",
            LabelDtype::U8 => "uint8",
        }
    }

    /// Refuses a dtype too small for labels `0..=max_label`, naming the smallest that fits.
    pub fn check(self, max_label: u64) -> Result<(), LabelDtypeTooSmall> {
        if max_label <= self.max_label() {
            return Ok(());
        }
        let fits = [
            LabelDtype::U8,
            LabelDtype::I16,
            LabelDtype::I32,
            LabelDtype::I64,
        ]
        .into_iter()
        .find(|d| max_label <= d.max_label())
        .unwrap_or(LabelDtype::I64);
        Err(LabelDtypeTooSmall {
            dtype: self,
            max_label,
            fits,
        })
    }

    /// Appends `labels` as little-endian elements of this type (each already checked to fit).
    pub fn extend_bytes(self, labels: &[u32], out: &mut Vec<u8>) {
        let start = out.len();
        match self {
            LabelDtype::I64 => {
                out.resize(start + labels.len() * 8, 0);
                for (d, &l) in out[start..].chunks_exact_mut(8).zip(labels) {
                    d.copy_from_slice(&(l as i64).to_le_bytes());
                }
            }
            LabelDtype::I32 => {
                out.resize(start + labels.len() * 4, 0);
                for (d, &l) in out[start..].chunks_exact_mut(4).zip(labels) {
                    d.copy_from_slice(&(l as i32).to_le_bytes());
                }
            }
            LabelDtype::I16 => {
                out.resize(start + labels.len() * 2, 0);
                for (d, &l) in out[start..].chunks_exact_mut(2).zip(labels) {
                    d.copy_from_slice(&(l as i16).to_le_bytes());
                }
            }
            LabelDtype::U8 => out.extend(labels.iter().map(|&l| l as u8)),
        }
    }
}

/// One image's dense targets: a label and four regression targets for every prior.
#[derive(Debug, Clone, Copy)]
pub struct ImageTargets<'a> {
    pub id: &'a str,
    /// Length P; 0 = background.
    pub labels: &'a [u32],
    /// Length P; zeros where the label is 0.
    pub locs: &'a [[f32; 4]],
}

/// A completed output file: its name, and its (SHA-256 hex, size) when already known.
pub type Finished = (String, Option<(String, u64)>);

/// A target writer: images arrive in row order.
pub trait TargetSink {
    fn write_image(&mut self, t: &ImageTargets<'_>) -> io::Result<()>;
    /// Completes the files; returns their names (relative to the output folder), in order, each
    /// with its SHA-256 and size when they were computed while writing.
    fn finish(self: Box<Self>) -> io::Result<Vec<Finished>>;
}

/// SHA-256 of a file, as lower-case hex, and its size.
pub fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex(&h.finalize()), size))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_string() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        // FIPS 180-2 test vector.
        assert_eq!(
            sha256_file(&p).unwrap(),
            (
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string(),
                3
            )
        );
    }

    #[test]
    fn label_dtype_too_small_is_refused_with_the_fix() {
        assert!(LabelDtype::U8.check(255).is_ok());
        let e = LabelDtype::U8.check(256).unwrap_err();
        assert_eq!(
            (e.dtype, e.max_label, e.fits),
            (LabelDtype::U8, 256, LabelDtype::I16)
        );
        assert_eq!(
            e.to_string(),
            "label dtype u8: the label map's largest label is 256, which uint8 (max 255) cannot \
             hold; use i16 or wider"
        );
        assert_eq!(
            LabelDtype::I16.check(40000).unwrap_err().fits,
            LabelDtype::I32
        );
        assert!(LabelDtype::I64.check(u32::MAX as u64).is_ok());
    }

    #[test]
    fn label_bytes_are_little_endian() {
        let mut b = Vec::new();
        LabelDtype::I16.extend_bytes(&[1, 258], &mut b);
        assert_eq!(b, [1, 0, 2, 1]);
        b.clear();
        LabelDtype::U8.extend_bytes(&[0, 20], &mut b);
        assert_eq!(b, [0, 20]);
    }
}
