//! One module per subcommand: its flags, and `run`, which resolves them into the library's
//! configurations, runs it and says how the run ended ([`Outcome`]; `cli` maps it to the exit
//! status). The flags every subcommand shares are in [`args`]; [`setup`] resolves them.
//!
//! Arrows: `cli` (and `main`) -> `cmd` -> the library. Nothing here is imported by the library.

pub mod args;
pub mod audit;
pub mod encode;
pub mod priors;
pub mod show;
pub mod suggest;

use std::io::IsTerminal;
use std::sync::Arc;

use args::{DatasetArgs, MatchArgs, PriorsArgs};

use crate::assign::MatchParams;
use crate::encode::BoxCoder;
use crate::priors::PriorSet;
use crate::setup::{DatasetSpec, SetupError};
use crate::voc::dataset::ListingError;
use crate::voc::ReadOptions;

/// A resolved, validated configuration: the listing of images and the engine (the library's).
pub use crate::setup::Setup;

/// How a run that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was read and used.
    Clean,
    /// Some files or objects were rejected; the output covers the rest.
    Rejected,
    /// `--fail-under-coverage` gate not met.
    CoverageGate,
}

/// A flag value or dataset that stops the run before any work.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A progress bar on stderr when it is a terminal and not `--quiet`; hidden otherwise.
pub fn progress_bar(len: usize, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} images ({per_sec}, eta {eta})",
        )
        .expect("valid template"),
    );
    pb
}

impl PriorsArgs {
    /// Generates every `--priors` set, in the order given (never empty). The error names the
    /// flag and the value, and lists the presets.
    pub fn resolve(&self) -> Result<Vec<Arc<PriorSet>>, UsageError> {
        prior_sets(self)
    }
}

fn prior_sets(p: &PriorsArgs) -> Result<Vec<Arc<PriorSet>>, UsageError> {
    if p.priors.is_empty() {
        return Err(UsageError(format!(
            "--priors: give a preset ({}) or a configuration file",
            crate::priors::PRESETS.join(", ")
        )));
    }
    p.priors
        .iter()
        .map(|spec| {
            crate::priors::resolve(spec)
                .map(Arc::new)
                .map_err(|e| UsageError(format!("--priors {e}")))
        })
        .collect()
}

/// The matching parameters of the flags, the threshold checked.
pub fn match_params(m: &MatchArgs) -> Result<MatchParams, UsageError> {
    MatchParams::checked(m.threshold, m.collision, m.neg_pos_ratio).map_err(|e| {
        UsageError(format!(
            "--threshold {}: must be in (0, 1], e.g. --threshold 0.5",
            e.0
        ))
    })
}

/// The library's dataset settings of the flags.
pub fn dataset_spec(d: &DatasetArgs) -> DatasetSpec {
    DatasetSpec {
        datasets: d.datasets.clone(),
        split: d.split.clone(),
        images: d.images.clone(),
        recursive: d.recursive,
        classes: d.read.classes.clone(),
        read: ReadOptions {
            coords: d.read.coords,
            difficult: d.read.difficult,
            clip: d.read.clip,
        },
        jobs: d.jobs,
    }
}

/// Lists the datasets, builds the label map (reading every annotation for `--classes auto`)
/// and the engine for `priors` ([`crate::setup::setup`]), its errors worded with the flags.
pub fn setup(d: &DatasetArgs, m: &MatchArgs, priors: Arc<PriorSet>) -> Result<Setup, UsageError> {
    let params = match_params(m)?;
    crate::setup::setup(&dataset_spec(d), priors, params, BoxCoder::new(m.variances))
        .map_err(|e| UsageError(setup_error_words(&e)))
}

/// A setup error in the terms of the flags that fix it.
fn setup_error_words(e: &SetupError) -> String {
    match e {
        SetupError::Listing(e) => listing_error_words(e, "--split"),
        SetupError::NoFilesForClassNames { .. } | SetupError::NoClassNames { .. } => {
            format!("--classes auto: {e}")
        }
        SetupError::ClassFile(e) => format!("--classes {e}"),
    }
}

/// A listing error in the terms of the flags that fix it (`split_flag`: `--split`, or suggest's
/// `--val-split`; `--recursive`); the library's own texts name the settings.
pub fn listing_error_words(e: &ListingError, split_flag: &str) -> String {
    match e {
        ListingError::SplitFile {
            file,
            name,
            error,
            available,
        } => format!(
            "{}: {error}; {split_flag} {name} reads ImageSets/Main/{name}.txt{available}",
            file.display()
        ),
        ListingError::SplitOfFile { path } => {
            format!(
                "{}: {split_flag} needs a VOC year folder, not a file",
                path.display()
            )
        }
        ListingError::SplitOfPlainFolder { path, name } => format!(
            "{}: {split_flag} {name} needs ImageSets/Main/{name}.txt in a VOC year folder; this \
             is a plain folder",
            path.display()
        ),
        ListingError::OnlyInSubfolders {
            dir,
            files,
            folders,
            examples,
            example_id,
        } => format!(
            "{}: no .xml files here, but {files} in {folders} subfolders ({examples}): pass \
             --recursive to read them (ids are then relative paths, e.g. {example_id})",
            dir.display()
        ),
        e => e.to_string(),
    }
}
