//! The output folder of `encode`: the format's target files, `ids.txt` (row order), `gts.csv`
//! (one row per ground truth) and `manifest.json`, all staged inside the folder and renamed
//! into place together ([`super::atomic::OutputDir`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::atomic::{OutputDir, OutputError};
use super::format::{TargetFormat, TargetSpec};
use super::{sha256_file, ImageTargets, TargetSink};

pub const IDS_TXT: &str = "ids.txt";
pub const GTS_CSV: &str = "gts.csv";
pub const MANIFEST_JSON: &str = "manifest.json";

/// Every file name any `encode` run may write: one of them existing in the folder is refused
/// without `force`.
pub fn known_outputs() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = TargetFormat::ALL
        .iter()
        .flat_map(|f| f.files().iter().copied())
        .collect();
    names.extend([IDS_TXT, GTS_CSV, MANIFEST_JSON]);
    names
}

/// Size and SHA-256 of one output file, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileInfo {
    pub bytes: u64,
    pub sha256: String,
}

/// Why the outputs of `encode` could not be written. The outer message says what was being
/// written; the OS error is its source.
#[derive(Debug, thiserror::Error)]
pub enum EncodedError {
    #[error(transparent)]
    Folder(#[from] OutputError),
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Unnamed(#[from] io::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// The OS error is part of the message and not a `source`, so that it is printed once.
    #[error("writing {GTS_CSV}: {0}")]
    GtsCsv(io::Error),
}

fn at(what: impl Into<String>) -> impl FnOnce(io::Error) -> EncodedError {
    move |source| EncodedError::Io {
        what: what.into(),
        source,
    }
}

/// An `encode` output being written: rows arrive in image order.
pub struct EncodedOutput {
    out: OutputDir,
    targets: Box<dyn TargetSink + Send>,
    ids: BufWriter<File>,
    gts: csv::Writer<BufWriter<File>>,
}

/// The data files written and synced, waiting for the manifest.
pub struct FinishedData {
    out: OutputDir,
    /// Files written, in commit order (the manifest comes last).
    pub files: Vec<String>,
    /// Every file but the manifest, by name.
    pub infos: BTreeMap<String, FileInfo>,
}

impl EncodedOutput {
    /// Takes `dir` (created if missing; earlier outputs refused unless `force`) and creates
    /// the files of `format` and the row files in its staging folder.
    pub fn create(
        dir: &Path,
        force: bool,
        format: TargetFormat,
        spec: TargetSpec<'_>,
    ) -> Result<Self, EncodedError> {
        let out = OutputDir::create(dir, &known_outputs(), force)?;
        let targets = format.create(&out.staged(""), spec)?;
        let ids = BufWriter::new(File::create(out.staged(IDS_TXT))?);
        let gts = csv::Writer::from_writer(BufWriter::new(File::create(out.staged(GTS_CSV))?));
        Ok(EncodedOutput {
            out,
            targets,
            ids,
            gts,
        })
    }

    /// Staging folders of earlier runs that were killed, removed when the folder was taken.
    pub fn removed_dead_staging(&self) -> &[String] {
        self.out.removed_dead_staging()
    }

    /// One image: its targets, its id, and its rows of `gts.csv`.
    pub fn write_image<R: serde::Serialize>(
        &mut self,
        targets: &ImageTargets<'_>,
        gt_rows: impl IntoIterator<Item = R>,
    ) -> Result<(), EncodedError> {
        self.targets.write_image(targets)?;
        writeln!(self.ids, "{}", targets.id)?;
        for row in gt_rows {
            self.gts.serialize(row)?;
        }
        Ok(())
    }

    /// Completes, syncs and checksums every data file (arrays already checksummed while
    /// written are not read again).
    pub fn finish(self) -> Result<FinishedData, EncodedError> {
        let mut files = Vec::new();
        let mut known = BTreeMap::new();
        let finished = self
            .targets
            .finish()
            .map_err(at("finishing the target files"))?;
        for (name, checksum) in finished {
            if let Some(c) = checksum {
                known.insert(name.clone(), c);
            }
            files.push(name);
        }
        self.ids
            .into_inner()
            .map_err(|e| e.into_error())?
            .sync_all()?;
        files.push(IDS_TXT.into());
        let gts = self
            .gts
            .into_inner()
            .map_err(|e| EncodedError::GtsCsv(e.into_error()))?;
        gts.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        files.push(GTS_CSV.into());
        let mut infos = BTreeMap::new();
        for name in &files {
            let (sha256, bytes) = match known.remove(name) {
                Some(c) => c,
                None => sha256_file(&self.out.staged(name))
                    .map_err(at(format!("checksumming {name}")))?,
            };
            infos.insert(name.clone(), FileInfo { bytes, sha256 });
        }
        Ok(FinishedData {
            out: self.out,
            files,
            infos,
        })
    }
}

impl FinishedData {
    /// Writes `manifest` (its JSON text) beside the data, synced, and renames every file into
    /// place. Returns the files written, in order, and the outputs of an earlier run removed.
    pub fn commit(mut self, manifest: &str) -> Result<(Vec<String>, Vec<String>), EncodedError> {
        write_synced(&self.out.staged(MANIFEST_JSON), manifest.as_bytes())
            .map_err(at(format!("writing {MANIFEST_JSON}")))?;
        self.files.push(MANIFEST_JSON.into());
        let names: Vec<&str> = self.files.iter().map(String::as_str).collect();
        let removed_stale = self.out.commit(&names)?;
        Ok((self.files, removed_stale))
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
