//! The array formats: `labels.npy` + `locs.npy` (`--format npy`), or both inside
//! `targets.npz` together with the priors (`--format npz`).

use std::io;
use std::path::{Path, PathBuf};

use super::npy::NpyStreamWriter;
use super::npz::ZipWriter;
use super::{Finished, ImageTargets, LabelDtype, TargetSink};
use crate::npy::Dtype;

pub const LABELS_NPY: &str = "labels.npy";
pub const LOCS_NPY: &str = "locs.npy";
pub const PRIORS_NPY: &str = "priors.npy";
pub const TARGETS_NPZ: &str = "targets.npz";

/// `labels.npy` (N, P) and `locs.npy` (N, P, 4) float32, streamed row by row, and with
/// [`with_priors_npy`](Self::with_priors_npy) `priors.npy` beside them.
#[derive(Debug)]
pub struct NpyTargets {
    labels: NpyStreamWriter,
    locs: NpyStreamWriter,
    dtype: LabelDtype,
    buf: Vec<u8>,
    names: [String; 2],
    dir: PathBuf,
    /// The bytes of `priors.npy`, written (and synced) when the arrays are finished.
    priors_npy: Option<Vec<u8>>,
}

impl NpyTargets {
    /// Writes `labels.npy` and `locs.npy` inside `dir` (under `prefix` + name). With
    /// `expected_rows` (the images listed), the files are checksummed while written when every
    /// image is read.
    pub fn create(
        dir: &Path,
        prefix: &str,
        num_priors: usize,
        dtype: LabelDtype,
        expected_rows: Option<u64>,
    ) -> io::Result<Self> {
        let names = [
            format!("{prefix}{LABELS_NPY}"),
            format!("{prefix}{LOCS_NPY}"),
        ];
        let p = num_priors as u64;
        Ok(NpyTargets {
            labels: NpyStreamWriter::create_expecting(
                &dir.join(&names[0]),
                dtype.npy(),
                &[p],
                expected_rows,
            )?,
            locs: NpyStreamWriter::create_expecting(
                &dir.join(&names[1]),
                Dtype::F32,
                &[p, 4],
                expected_rows,
            )?,
            dtype,
            buf: Vec::with_capacity(num_priors * 16),
            names,
            dir: dir.to_path_buf(),
            priors_npy: None,
        })
    }

    /// Also writes `priors.npy` ([`priors_npy_bytes`]) at [`TargetSink::finish`], after the
    /// arrays, synced like them.
    pub fn with_priors_npy(mut self, bytes: Vec<u8>) -> Self {
        self.priors_npy = Some(bytes);
        self
    }

    fn finish_arrays(self) -> io::Result<[Finished; 2]> {
        let (_, labels) = self.labels.finish_with_checksum()?;
        let (_, locs) = self.locs.finish_with_checksum()?;
        let [a, b] = self.names;
        Ok([(a, labels), (b, locs)])
    }
}

impl TargetSink for NpyTargets {
    fn write_image(&mut self, t: &ImageTargets<'_>) -> io::Result<()> {
        self.buf.clear();
        self.dtype.extend_bytes(t.labels, &mut self.buf);
        self.labels.write_row(&self.buf)?;
        // Fixed-size chunks of a buffer sized once: a loop the compiler vectorises.
        self.buf.clear();
        self.buf.resize(t.locs.len() * 16, 0);
        for (dst, v) in self.buf.chunks_exact_mut(4).zip(t.locs.iter().flatten()) {
            dst.copy_from_slice(&v.to_le_bytes());
        }
        self.locs.write_row(&self.buf)
    }

    fn finish(mut self: Box<Self>) -> io::Result<Vec<Finished>> {
        let priors = self.priors_npy.take();
        let dir = self.dir.clone();
        let mut done = self.finish_arrays()?.to_vec();
        if let Some(bytes) = priors {
            write_synced(&dir.join(PRIORS_NPY), &bytes)?;
            done.push((PRIORS_NPY.to_string(), None));
        }
        Ok(done)
    }
}

/// `targets.npz` with members `labels.npy`, `locs.npy` and `priors.npy`: the two streamed
/// arrays go to scratch files first and are copied into the archive at the end.
#[derive(Debug)]
pub struct NpzTargets {
    arrays: NpyTargets,
    dir: PathBuf,
    priors_npy: Vec<u8>,
    /// See [`ZipWriter::force_zip64`].
    pub force_zip64: bool,
}

impl NpzTargets {
    /// `priors_npy`: the complete bytes of `priors.npy`.
    pub fn create(
        dir: &Path,
        num_priors: usize,
        dtype: LabelDtype,
        priors_npy: Vec<u8>,
    ) -> io::Result<Self> {
        Ok(NpzTargets {
            arrays: NpyTargets::create(dir, "scratch-", num_priors, dtype, None)?,
            dir: dir.to_path_buf(),
            priors_npy,
            force_zip64: false,
        })
    }
}

impl TargetSink for NpzTargets {
    fn write_image(&mut self, t: &ImageTargets<'_>) -> io::Result<()> {
        self.arrays.write_image(t)
    }

    fn finish(self: Box<Self>) -> io::Result<Vec<Finished>> {
        let [(labels, _), (locs, _)] = self.arrays.finish_arrays()?;
        let mut zip = ZipWriter::create(&self.dir.join(TARGETS_NPZ))?;
        zip.force_zip64 = self.force_zip64;
        zip.add_file(LABELS_NPY, &self.dir.join(&labels))?;
        zip.add_file(LOCS_NPY, &self.dir.join(&locs))?;
        zip.add_bytes(PRIORS_NPY, &self.priors_npy)?;
        zip.finish()?;
        std::fs::remove_file(self.dir.join(labels))?;
        std::fs::remove_file(self.dir.join(locs))?;
        Ok(vec![(TARGETS_NPZ.to_string(), None)])
    }
}

/// Writes `bytes` at `path` and syncs the file, like every other output.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    io::Write::write_all(&mut file, bytes)?;
    file.sync_all()
}

/// The bytes of `priors.npy`: (P, 4) float32 cx, cy, w, h. The one priors NPY writer, used by
/// `encode` (npy and npz) and by `ssd-assign priors --format npy`.
pub fn priors_npy_bytes(priors: &crate::priors::PriorSet) -> Vec<u8> {
    let mut b = crate::npy::header(Dtype::F32, &[priors.len(), 4]);
    for c in priors.cxcy() {
        for v in c.to_array() {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    b
}
