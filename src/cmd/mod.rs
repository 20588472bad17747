//! One module per subcommand: its flags, and `run`, which resolves them into the library's
//! configurations, runs it and says how the run ended ([`Outcome`]; `cli` maps it to the exit
//! status). The flags every subcommand shares are in [`args`]; [`setup`] resolves them.
//!
//! Arrows: `cli` (and `main`) -> `cmd` -> the library. Nothing here is imported by the library.

pub mod args;
pub mod audit;
pub mod encode;
pub mod priors;
pub mod suggest;

use std::io::IsTerminal;
use std::sync::Arc;

use args::{ClassesSpec, DatasetArgs, MatchArgs, PriorsArgs};

use crate::assign::MatchParams;
use crate::encode::BoxCoder;
use crate::pipeline::{collect_class_names, ClassNames, Engine};
use crate::priors::PriorSet;
use crate::voc::dataset::{list_datasets_with, ListOptions, Listing, ListingError};
use crate::voc::source::Listed;
use crate::voc::{LabelMap, ReadOptions};

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

/// A resolved, validated configuration: the listing of images and the engine.
#[derive(Debug)]
pub struct Setup {
    pub listing: Listing,
    pub engine: Engine,
    pub jobs: usize,
    pub quiet: bool,
}

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
    if !(m.threshold > 0.0 && m.threshold <= 1.0) {
        return Err(UsageError(format!(
            "--threshold {}: must be in (0, 1], e.g. --threshold 0.5",
            m.threshold
        )));
    }
    Ok(MatchParams {
        threshold: m.threshold as f32,
        collision: m.collision,
        neg_pos_ratio: m.neg_pos_ratio,
    })
}

/// Lists the datasets, builds the label map (reading every annotation for `--classes auto`)
/// and the engine for `priors`.
pub fn setup(d: &DatasetArgs, m: &MatchArgs, priors: Arc<PriorSet>) -> Result<Setup, UsageError> {
    let params = match_params(m)?;
    let listing = list_datasets_with(
        &d.datasets,
        d.split.as_deref(),
        d.images.as_deref(),
        ListOptions {
            recursive: d.recursive,
        },
    )
    .map_err(|e| UsageError(listing_error_words(&e, "--split")))?;
    let labels = label_map(&d.classes, &listing, d.jobs)?;
    Ok(Setup {
        listing,
        engine: Engine {
            priors,
            labels,
            read: ReadOptions {
                coords: d.coords,
                difficult: d.difficult,
                clip: d.clip,
            },
            params,
            coder: BoxCoder::new(m.variances),
            check_images: false,
        },
        jobs: d.jobs,
        quiet: d.quiet,
    })
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

/// Why `--classes auto` found no name in `files` annotation files.
fn why_no_class_names(found: &ClassNames, files: usize) -> String {
    if found.unreadable == files {
        format!(
            "--classes auto: no class name can be taken from the dataset: all {files} \
             annotation files were rejected{}",
            found
                .first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        )
    } else {
        format!(
            "--classes auto: the {} annotation files read hold no object with a <name>",
            files - found.unreadable
        )
    }
}

/// The label map `--classes` names; `auto` reads the class names of every listed file.
fn label_map(spec: &ClassesSpec, listing: &Listing, jobs: usize) -> Result<LabelMap, UsageError> {
    Ok(match spec {
        ClassesSpec::Voc => LabelMap::voc(),
        ClassesSpec::Auto => {
            if listing.entries.is_empty() {
                return Err(UsageError(format!(
                    "--classes auto: there is no annotation file to take class names from: {}",
                    listing.why_empty()
                )));
            }
            let names = collect_class_names(&Listed, &listing.entries, jobs);
            if names.names.is_empty() {
                return Err(UsageError(why_no_class_names(
                    &names,
                    listing.entries.len(),
                )));
            }
            LabelMap::auto(names.names)
        }
        ClassesSpec::File(file) => {
            LabelMap::from_file(file).map_err(|e| UsageError(format!("--classes {e}")))?
        }
    })
}
