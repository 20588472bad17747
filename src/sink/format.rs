//! The target formats of `encode`: each variant knows the files it writes, the writer that
//! writes them and the manifest's entries for its arrays, so a new format is one edit here.

use std::io;
use std::path::Path;

use super::csv::{write_priors_csv, CsvTargets, PRIORS_CSV, TARGETS_CSV};
use super::targets::{
    priors_npy_bytes, NpyTargets, NpzTargets, LABELS_NPY, LOCS_NPY, PRIORS_NPY, TARGETS_NPZ,
};
use super::{LabelDtype, TargetSink};
use crate::priors::PriorSet;

/// Output format of the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetFormat {
    /// labels.npy (N, P) and locs.npy (N, P, 4) float32, plus priors.npy (P, 4).
    #[default]
    Npy,
    /// targets.npz holding labels, locs and priors (np.load reads it).
    Npz,
    /// targets.csv: one row per positive prior (or every prior), plus priors.csv.
    Csv,
}
crate::named_values!(TargetFormat { Npy => "npy", Npz => "npz", Csv => "csv" });

/// One array of the output, as the manifest lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ArrayInfo {
    pub name: String,
    /// The file holding it (for npz: targets.npz, as the member `<name>.npy`).
    pub file: String,
    pub dtype: String,
    pub shape: Vec<u64>,
}

/// What a format's writer needs to know.
#[derive(Debug, Clone)]
pub struct TargetSpec<'a> {
    pub priors: &'a PriorSet,
    /// Class name by label (0 = "background"), for the CSV's `class` column.
    pub class_names: Vec<String>,
    pub label_dtype: LabelDtype,
    /// The images listed: with it the NPY arrays are checksummed while written.
    pub expected_rows: Option<u64>,
    /// CSV only: every prior of every image, not only the positives.
    pub all_priors: bool,
}

impl TargetFormat {
    pub const ALL: [TargetFormat; 3] = [TargetFormat::Npy, TargetFormat::Npz, TargetFormat::Csv];

    /// The files it writes, in the order its writer finishes them.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            TargetFormat::Npy => &[LABELS_NPY, LOCS_NPY, PRIORS_NPY],
            TargetFormat::Npz => &[TARGETS_NPZ],
            TargetFormat::Csv => &[TARGETS_CSV, PRIORS_CSV],
        }
    }

    /// Its writer, creating its files inside `dir`.
    pub fn create(
        self,
        dir: &Path,
        spec: TargetSpec<'_>,
    ) -> io::Result<Box<dyn TargetSink + Send>> {
        let np = spec.priors.len();
        Ok(match self {
            TargetFormat::Npy => Box::new(
                NpyTargets::create(dir, "", np, spec.label_dtype, spec.expected_rows)?
                    .with_priors_npy(priors_npy_bytes(spec.priors)),
            ),
            TargetFormat::Npz => Box::new(NpzTargets::create(
                dir,
                np,
                spec.label_dtype,
                priors_npy_bytes(spec.priors),
            )?),
            TargetFormat::Csv => {
                // The context `encode` has always given this file's errors.
                write_priors_csv(&dir.join(PRIORS_CSV), spec.priors)
                    .map_err(|e| io::Error::new(e.kind(), format!("writing {PRIORS_CSV}: {e}")))?;
                Box::new(
                    CsvTargets::create(dir, spec.class_names, spec.all_priors)?
                        .with_finished(PRIORS_CSV),
                )
            }
        })
    }

    /// The manifest's entries for its arrays: `n` images of `p` priors.
    pub fn arrays(self, label_dtype: LabelDtype, n: u64, p: usize) -> Vec<ArrayInfo> {
        let p = p as u64;
        let array = |name: &str, file: &str, dtype: &str, shape: Vec<u64>| ArrayInfo {
            name: name.into(),
            file: file.into(),
            dtype: dtype.into(),
            shape,
        };
        let (labels_file, locs_file, priors_file) = match self {
            TargetFormat::Npy => (LABELS_NPY, LOCS_NPY, PRIORS_NPY),
            TargetFormat::Npz => (TARGETS_NPZ, TARGETS_NPZ, TARGETS_NPZ),
            TargetFormat::Csv => return vec![array("priors", PRIORS_CSV, "float32", vec![p, 4])],
        };
        vec![
            array("labels", labels_file, label_dtype.numpy_name(), vec![n, p]),
            array("locs", locs_file, "float32", vec![n, p, 4]),
            array("priors", priors_file, "float32", vec![p, 4]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_array_lives_in_a_file_of_its_format() {
        for f in TargetFormat::ALL {
            for a in f.arrays(LabelDtype::I64, 2, 441) {
                assert!(f.files().contains(&a.file.as_str()), "{f}: {}", a.file);
            }
        }
    }

    #[test]
    fn each_format_writes_exactly_its_files() {
        let priors = PriorSet::tiny_detector();
        for f in TargetFormat::ALL {
            let dir = tempfile::tempdir().unwrap();
            let spec = TargetSpec {
                priors: &priors,
                class_names: vec!["background".into()],
                label_dtype: LabelDtype::I64,
                expected_rows: Some(0),
                all_priors: false,
            };
            let finished = f.create(dir.path(), spec).unwrap().finish().unwrap();
            let names: Vec<&str> = finished.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, f.files(), "{f}");
            let mut on_disk: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            on_disk.sort();
            let mut expected: Vec<String> = f.files().iter().map(|s| s.to_string()).collect();
            expected.sort();
            assert_eq!(on_disk, expected, "{f}");
        }
    }
}
