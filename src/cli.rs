//! Command-line flags (clap) and their resolution into a validated [`Setup`].
//!
//! Raw flags live in the `*Args` structs; [`DatasetArgs::resolve`] turns them into the
//! engine and dataset listing every command uses, rejecting bad values with a message that
//! names the flag and the fix before any work starts.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::assign::{CollisionPolicy, MatchParams};
use crate::encode::{BoxCoder, Variances};
use crate::pipeline::{collect_class_names, Engine};
use crate::priors::PriorSet;
use crate::voc::dataset::{list_datasets_with, ListOptions, Listing};
use crate::voc::{CoordBase, DifficultPolicy, LabelMap, ReadOptions};

/// Offline, reference-exact SSD prior assignment for Pascal VOC datasets: see which objects
/// get positive priors, which collide, which are lost, and precompute training targets.
#[derive(Debug, Parser)]
#[command(name = "ssd-assign", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Match every image and report unmatched objects, collisions, coverage and bad files.
    Audit(crate::cmd::audit::AuditArgs),
    /// Precompute training targets (labels, encoded boxes) as NPY, NPZ or CSV, with a manifest.
    Encode(crate::cmd::encode::EncodeArgs),
    /// Print or write a prior set (csv, json, npy), or its configuration as an editable TOML.
    Priors(crate::cmd::priors::PriorsCmdArgs),
    /// Suggest a prior configuration that covers the data, scored with the real matching.
    Suggest(crate::cmd::suggest::SuggestArgs),
}

/// Which images, and how to read them.
#[derive(Debug, Clone, Args)]
pub struct DatasetArgs {
    /// VOC year folders, VOCdevkit folders, plain folders of .xml files, or single .xml files;
    /// several combine in order (e.g. VOC2007 VOC2012).
    #[arg(required = true, value_name = "DATASET")]
    pub datasets: Vec<PathBuf>,

    /// Read the image ids from ImageSets/Main/NAME.txt (e.g. trainval); default: every
    /// annotation file, sorted by name.
    #[arg(long, value_name = "NAME")]
    pub split: Option<String>,

    /// Also read .xml files in subfolders of a plain folder or of Annotations/ (ids are then
    /// relative paths without .xml, e.g. 00000/00001; links to folders are not followed).
    #[arg(long)]
    pub recursive: bool,

    /// Folder holding the images (for `<size>`-less annotations); default: JPEGImages/ of the
    /// year folder, else the folder holding the XML.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,

    /// Label map: `voc` (the reference's 20 classes), `auto` (sorted names found), or a file
    /// with one class name a line.
    #[arg(long, default_value = "voc", value_name = "voc|auto|FILE")]
    pub classes: String,

    /// Pixel coordinates are VOC's 1-based (subtract 1, as the reference) or already 0-based.
    #[arg(long, value_enum, default_value_t = CoordBase::OneBased)]
    pub coords: CoordBase,

    /// Keep objects marked difficult (the reference's training default) or drop them.
    #[arg(long, value_enum, default_value_t = DifficultPolicy::Keep)]
    pub difficult: DifficultPolicy,

    /// Clamp boxes that extend outside the image to its borders (the reference does not).
    #[arg(long)]
    pub clip: bool,

    /// Threads reading and matching images, the main thread included (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0, value_name = "N")]
    pub jobs: usize,

    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Which prior sets to match against.
#[derive(Debug, Clone, Args)]
pub struct PriorsArgs {
    /// Prior configuration: a preset (tiny-detector, ssd300, torchvision-ssd300) or a TOML or
    /// JSON file (`ssd-assign priors --format toml` writes one to start from). Repeat to
    /// compare configurations.
    #[arg(
        long = "priors",
        default_value = "tiny-detector",
        value_name = "PRESET|FILE"
    )]
    pub priors: Vec<String>,
}

impl PriorsArgs {
    /// Generates every `--priors` set, in the order given (never empty). The error names the
    /// flag and the value, and lists the presets.
    pub fn resolve(&self) -> Result<Vec<Arc<PriorSet>>, UsageError> {
        if self.priors.is_empty() {
            return Err(UsageError(format!(
                "--priors: give a preset ({}) or a configuration file",
                crate::priors::PRESETS.join(", ")
            )));
        }
        self.priors
            .iter()
            .map(|spec| {
                crate::priors::resolve(spec)
                    .map(Arc::new)
                    .map_err(|e| UsageError(format!("--priors {e}")))
            })
            .collect()
    }
}

/// How priors are matched.
#[derive(Debug, Clone, Args)]
pub struct MatchArgs {
    /// Overlap (IoU) at or above which a prior is positive.
    #[arg(long, default_value_t = 0.5, value_name = "IOU")]
    pub threshold: f64,

    /// How GTs sharing a best prior are resolved: `reference` (the later GT wins) or `optimal`
    /// (a maximum-IoU assignment of GTs to distinct priors).
    #[arg(long, value_enum, default_value_t = CollisionPolicy::Reference)]
    pub collision: CollisionPolicy,

    /// Encoding variances for centre and size (`1,1` gives the textbook form).
    #[arg(long, default_value = "0.1,0.2", value_name = "CENTER,SIZE")]
    pub variances: String,

    /// Hard negatives per positive in the reported budget.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub neg_pos_ratio: u32,
}

/// A resolved, validated configuration: the listing of images and the engine.
#[derive(Debug)]
pub struct Setup {
    pub listing: Listing,
    pub engine: Engine,
    pub jobs: usize,
    pub quiet: bool,
}

/// A flag value or dataset that stops the run before any work.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl MatchArgs {
    pub fn params(&self) -> Result<(MatchParams, Variances), UsageError> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(UsageError(format!(
                "--threshold {}: must be in (0, 1], e.g. --threshold 0.5",
                self.threshold
            )));
        }
        let v: Vec<f64> = self
            .variances
            .split(',')
            .map(|s| s.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                UsageError(format!(
                    "--variances {}: expected two numbers, e.g. --variances 0.1,0.2",
                    self.variances
                ))
            })?;
        if v.len() != 2 || v.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(UsageError(format!(
                "--variances {}: expected two positive numbers, e.g. --variances 0.1,0.2",
                self.variances
            )));
        }
        Ok((
            MatchParams {
                threshold: self.threshold as f32,
                collision: self.collision,
                neg_pos_ratio: self.neg_pos_ratio,
            },
            Variances {
                center: v[0],
                size: v[1],
            },
        ))
    }
}

impl DatasetArgs {
    /// Lists the datasets and builds the engine for `priors`.
    pub fn resolve(&self, m: &MatchArgs, priors: Arc<PriorSet>) -> Result<Setup, UsageError> {
        let (params, variances) = m.params()?;
        let listing = list_datasets_with(
            &self.datasets,
            self.split.as_deref(),
            self.images.as_deref(),
            ListOptions {
                recursive: self.recursive,
            },
        )
        .map_err(|e| UsageError(e.to_string()))?;
        let labels = match self.classes.as_str() {
            "voc" => LabelMap::voc(),
            "auto" => {
                if listing.entries.is_empty() {
                    return Err(UsageError(format!(
                        "--classes auto: there is no annotation file to take class names from: {}",
                        listing.why_empty()
                    )));
                }
                let names = collect_class_names(&listing.entries, self.jobs);
                if names.names.is_empty() {
                    return Err(UsageError(names.why_none(listing.entries.len())));
                }
                LabelMap::auto(names.names)
            }
            file => LabelMap::from_file(std::path::Path::new(file))
                .map_err(|e| UsageError(format!("--classes {e}")))?,
        };
        Ok(Setup {
            listing,
            engine: Engine {
                priors,
                labels,
                read: ReadOptions {
                    coords: self.coords,
                    difficult: self.difficult,
                    clip: self.clip,
                },
                params,
                coder: BoxCoder::new(variances),
                check_images: false,
            },
            jobs: self.jobs,
            quiet: self.quiet,
        })
    }
}
