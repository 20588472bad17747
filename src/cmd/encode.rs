//! `ssd-assign encode`: precomputed training targets (labels and regression targets for every
//! prior of every image), streamed to NPY, NPZ or CSV, with a manifest that says exactly what
//! produced them. Formats and the manifest schema: `docs/encode.md`.
//!
//! - Streaming: each image's targets are written as soon as the pipeline delivers it (in image
//!   order), so memory does not grow with the number of images.
//! - All or nothing: everything is written into a staging folder inside `--out` and renamed into
//!   place at the end ([`crate::sink::atomic`]); an error or Ctrl-C leaves no output behind.
//! - Deterministic: the bytes of every data file depend only on the inputs and flags, not on
//!   `--jobs` (the manifest records the command line, so it differs when the flags do).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::assign::CollisionPolicy;
use crate::cmd::args::{choices, DatasetArgs, MatchArgs, PriorsArgs};
use crate::cmd::{progress_bar, Outcome, Setup, UsageError};
use crate::encode::Variances;
use crate::pipeline::{gt_boxes, Engine, FileError, ImageResult};
use crate::priors::PriorSet;
use crate::report::gt_rows::{gt_rows, PriorShapes};
use crate::report::{DatasetSummary, DatasetTally};
use crate::sink::atomic::OutputError;
use crate::sink::encoded::{EncodedError, EncodedOutput, FileInfo};
use crate::sink::format::{ArrayInfo, TargetSpec};
use crate::sink::{ImageTargets, LabelDtype, LabelDtypeTooSmall, TargetFormat};
use crate::voc::{CoordBase, DifficultPolicy, SkipReason};

/// `--format`'s values and their help.
pub const FORMATS: &[(&str, &str)] = &[
    (
        "npy",
        "labels.npy (N, P) and locs.npy (N, P, 4) float32, plus priors.npy (P, 4)",
    ),
    (
        "npz",
        "targets.npz holding labels, locs and priors (np.load reads it)",
    ),
    (
        "csv",
        "targets.csv: one row per positive prior (every prior with --all-priors), plus priors.csv",
    ),
];

/// `--label-dtype`'s values and their help.
pub const LABEL_DTYPES: &[(&str, &str)] = &[
    (
        "i64",
        "int64, what the reference's labels tensor is (`torch.long`)",
    ),
    ("i32", ""),
    ("i16", ""),
    ("u8", ""),
];

#[derive(Debug, Args)]
pub struct EncodeArgs {
    #[command(flatten)]
    pub dataset: DatasetArgs,
    #[command(flatten)]
    pub priors: PriorsArgs,
    #[command(flatten)]
    pub matching: MatchArgs,

    /// Output folder (created if missing). Existing outputs in it are refused unless --force.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: PathBuf,

    /// Output format of the targets.
    #[arg(long, value_parser = choices::<TargetFormat>(FORMATS), default_value_t = TargetFormat::Npy)]
    pub format: TargetFormat,

    /// Element type of the labels array (refused if too small for the label map).
    #[arg(long, value_parser = choices::<LabelDtype>(LABEL_DTYPES), default_value_t = LabelDtype::I64)]
    pub label_dtype: LabelDtype,

    /// With --format csv: write every prior of every image, not only the positives.
    #[arg(long)]
    pub all_priors: bool,

    /// Replace the outputs of an earlier run in --out.
    #[arg(long)]
    pub force: bool,

    /// Make any rejected file or invalid object fatal: nothing is written.
    #[arg(long)]
    pub strict: bool,
}

pub fn run(args: &EncodeArgs) -> anyhow::Result<Outcome> {
    // SIGINT, SIGTERM and SIGHUP are handled for the whole process (main.rs): the handler
    // removes the staging folder and the lock ([`crate::sink::atomic::abort_and_exit`]).
    let command_line: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut sets = args.priors.resolve()?;
    if sets.len() != 1 {
        anyhow::bail!(
            "--priors given {} times: encode writes the targets of one prior set; run it once \
             per configuration, each with its own --out",
            sets.len()
        );
    }
    let priors = sets.remove(0);
    let summary = encode(args, priors, command_line)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "encoded {} images x {} priors ({} positives) into {}: {}",
        summary.images,
        summary.priors,
        summary.positives,
        args.out.display(),
        summary.files.join(", ")
    )?;
    if !summary.removed_stale.is_empty() {
        writeln!(
            out,
            "removed outputs of an earlier run: {}",
            summary.removed_stale.join(", ")
        )?;
    }
    if summary.rejected > 0 {
        writeln!(
            out,
            "{} files or objects rejected (listed in manifest.json under dataset)",
            summary.rejected
        )?;
    }
    out.flush()?;
    Ok(if summary.rejected > 0 {
        Outcome::Rejected
    } else {
        Outcome::Clean
    })
}

/// What a successful run wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeSummary {
    pub images: u64,
    pub priors: usize,
    pub positives: u64,
    /// Rejected files plus invalid objects (what the audit counts as rejected).
    pub rejected: u64,
    /// Files written, in commit order.
    pub files: Vec<String>,
    /// Outputs of an earlier run removed (with --force).
    pub removed_stale: Vec<String>,
}

/// The manifest: everything needed to check that a training run reads what it thinks it reads.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    pub command_line: Vec<String>,
    pub datasets: Vec<DatasetPath>,
    pub split: Option<String>,
    pub format: TargetFormat,
    pub label_map: LabelMapInfo,
    pub priors: PriorsInfo,
    pub threshold: f32,
    pub collision: CollisionPolicy,
    pub neg_pos_ratio: u32,
    pub variances: Variances,
    pub difficult: DifficultPolicy,
    pub coords: CoordBase,
    pub clip: bool,
    pub label_dtype: LabelDtype,
    pub all_priors: bool,
    pub counts: Counts,
    /// The arrays and where they are.
    pub arrays: Vec<ArrayInfo>,
    /// Every file of the output except the manifest itself, by name: size and SHA-256.
    pub files: BTreeMap<String, FileInfo>,
    /// As in the audit: sources, rejected files, invalid and skipped objects, warnings.
    pub dataset: DatasetSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetPath {
    /// As given on the command line.
    pub path: String,
    /// Absolute and resolved, when it could be.
    pub absolute: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelMapInfo {
    /// `--classes` as given: voc, auto or a file.
    pub source: String,
    /// Class names by label; index 0 is "background".
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PriorsInfo {
    /// `--priors` as given: a preset name or a configuration file.
    pub spec: String,
    pub name: String,
    pub count: usize,
    /// Column order of priors.npy.
    pub columns: [&'static str; 4],
    /// The full configuration, as the TOML that `ssd-assign priors --format toml` writes
    /// (absent for a set given as plain boxes).
    pub config_toml: Option<String>,
}

/// The manifest's counts: the dataset summary's figures, and the positives of the matching.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    /// Annotation files listed (including rejected ones).
    pub files_listed: u64,
    /// Rows N: images read and matched.
    pub images: u64,
    pub files_rejected: u64,
    pub images_without_objects: u64,
    /// GTs matched (objects kept).
    pub objects: u64,
    pub objects_skipped_invalid: u64,
    pub objects_skipped_unknown_class: u64,
    pub objects_skipped_difficult: u64,
    /// Positive priors over all images.
    pub positives: u64,
    /// GTs that ended with no positive prior.
    pub gts_without_positives: u64,
}

impl Counts {
    fn new(dataset: &DatasetSummary, listing_problems: usize, m: Positives) -> Counts {
        Counts {
            files_listed: dataset.files + listing_problems as u64,
            images: dataset.images,
            files_rejected: dataset.files_rejected,
            images_without_objects: dataset.images_without_objects,
            objects: dataset.objects,
            objects_skipped_invalid: dataset.skipped_invalid,
            objects_skipped_unknown_class: dataset.skipped_unknown_class_total,
            objects_skipped_difficult: dataset.skipped_difficult,
            positives: m.positives,
            gts_without_positives: m.gts_without_positives,
        }
    }
}

/// What the matching gave that the dataset summary does not hold.
#[derive(Debug, Clone, Copy, Default)]
struct Positives {
    positives: u64,
    gts_without_positives: u64,
}

/// Encodes the datasets of `args` into `args.out`. `command_line` is recorded in the manifest.
/// A signal ends the run through the process's handler, which discards the staging folder.
pub fn encode(
    args: &EncodeArgs,
    priors: Arc<PriorSet>,
    command_line: Vec<String>,
) -> anyhow::Result<EncodeSummary> {
    let setup = checked_setup(args, priors)?;
    let engine = &setup.engine;
    let spec = TargetSpec {
        priors: &engine.priors,
        class_names: class_names(engine),
        label_dtype: args.label_dtype,
        expected_rows: Some(setup.listing.entries.len() as u64),
        all_priors: args.all_priors,
    };
    let mut output =
        EncodedOutput::create(&args.out, args.force, args.format, spec).map_err(in_flag_terms)?;
    for dead in output.removed_dead_staging() {
        eprintln!(
            "ssd-assign: note: removed {}, the staging folder of an earlier run that was killed \
             before it finished",
            args.out.join(dead).display()
        );
    }
    let (dataset, positives) = write_images(args, &setup, &mut output)?;
    let data = output.finish()?;
    // What was left out or warned about, grouped by kind as in the audit.
    eprint!("{}", crate::report::text::findings_for_stderr(&dataset));
    let counts = Counts::new(&dataset, setup.listing.problems.len(), positives);
    let rejected = dataset.rejected();
    let manifest = manifest(
        args,
        engine,
        command_line,
        counts.clone(),
        data.infos.clone(),
        dataset,
    );
    let mut json = serde_json::to_string_pretty(&manifest)?;
    json.push('\n');
    let (files, removed_stale) = data.commit(&json)?;
    Ok(EncodeSummary {
        images: counts.images,
        priors: engine.priors.len(),
        positives: counts.positives,
        rejected,
        files,
        removed_stale,
    })
}

/// The flags checked against each other and the data, and the run's setup: nothing is
/// written when they do not hold.
fn checked_setup(args: &EncodeArgs, priors: Arc<PriorSet>) -> anyhow::Result<Setup> {
    if args.all_priors && args.format != TargetFormat::Csv {
        anyhow::bail!(
            "--all-priors only applies to --format csv (npy and npz always hold every prior)"
        );
    }
    let setup = crate::cmd::setup(&args.dataset, &args.matching, priors)?;
    let max_label = setup.engine.labels.num_labels().saturating_sub(1) as u64;
    args.label_dtype
        .check(max_label)
        .map_err(|e| UsageError(label_dtype_message(&e)))?;
    if args.strict && !setup.listing.problems.is_empty() {
        let list: Vec<String> = setup
            .listing
            .problems
            .iter()
            .map(|p| format!("  {}: {}", p.path.display(), p.message))
            .collect();
        anyhow::bail!(
            "--strict: {} files cannot be used; nothing written:\n{}",
            list.len(),
            list.join("\n")
        );
    }
    Ok(setup)
}

/// The library's refusal, in the flag's words.
fn label_dtype_message(e: &LabelDtypeTooSmall) -> String {
    format!(
        "--label-dtype {}: the label map's largest label is {}, which {} (max {}) cannot hold; \
         use --label-dtype {} or wider",
        e.dtype,
        e.max_label,
        e.dtype.numpy_name(),
        e.dtype.max_label(),
        e.fits
    )
}

fn class_names(engine: &Engine) -> Vec<String> {
    (0..engine.labels.num_labels() as u32)
        .map(|l| engine.labels.name(l).unwrap_or("").to_string())
        .collect()
}

/// Runs the pipeline, writing every usable image's targets in image order; rejected files are
/// left out (fatal with `--strict`). Returns the dataset summary and the positives.
fn write_images(
    args: &EncodeArgs,
    setup: &Setup,
    output: &mut EncodedOutput,
) -> anyhow::Result<(DatasetSummary, Positives)> {
    let engine = &setup.engine;
    let mut tally = DatasetTally::new(&setup.listing);
    let mut positives = Positives::default();
    let mut targets = Targets::new(engine);
    let shapes = PriorShapes::new(&engine.priors);
    let pb = progress_bar(setup.listing.entries.len(), args.dataset.quiet);
    engine.run(
        &setup.listing.entries,
        setup.jobs,
        |done| pb.set_position(done as u64),
        |outcome| -> anyhow::Result<()> {
            let r = match outcome {
                Ok(r) if r.id.contains(['\n', '\r']) => {
                    return reject(args.strict, &mut tally, line_break_in_id(&r));
                }
                Ok(r) => r,
                Err(e) => return reject(args.strict, &mut tally, e),
            };
            check_invalid_objects(args.strict, &r)?;
            tally.add(Ok(&r));
            positives.positives += r.matching.num_positives() as u64;
            positives.gts_without_positives +=
                r.matching.gts.iter().filter(|g| g.positives == 0).count() as u64;
            let image = targets.fill(&r, engine);
            output
                .write_image(&image, gt_rows(&r, &shapes))
                .with_context(|| {
                    format!(
                        "writing the outputs of image {} into {} (nothing was kept)",
                        r.id,
                        args.out.display()
                    )
                })
        },
    )?;
    pb.finish_and_clear();
    Ok((tally.finish(&engine.labels), positives))
}

/// One image's dense targets, in buffers sized once for the run.
struct Targets {
    labels: Vec<u32>,
    locs: Vec<[f32; 4]>,
}

impl Targets {
    fn new(engine: &Engine) -> Targets {
        let np = engine.priors.len();
        Targets {
            labels: vec![0; np],
            locs: vec![[0.0; 4]; np],
        }
    }

    /// The labels of every prior, and the encoded box of every positive (zeros elsewhere).
    fn fill<'a>(&'a mut self, r: &'a ImageResult, engine: &Engine) -> ImageTargets<'a> {
        crate::encode::dense_targets(
            &r.matching,
            &gt_boxes(&r.annotation),
            &engine.priors,
            &engine.coder,
            &mut self.labels,
            &mut self.locs,
        );
        ImageTargets {
            id: &r.id,
            labels: &self.labels,
            locs: &self.locs,
        }
    }
}

fn line_break_in_id(r: &ImageResult) -> FileError {
    FileError {
        id: r.id.clone(),
        path: r.xml.clone(),
        message: "its image id (file name) contains a line break, which ids.txt cannot hold; \
                  rename the file"
            .into(),
        kind: crate::findings::FindingKind::BadImageId,
        line: 0,
        column: 0,
    }
}

/// The manifest of a run whose data files are `files`.
fn manifest(
    args: &EncodeArgs,
    engine: &Engine,
    command_line: Vec<String>,
    counts: Counts,
    files: BTreeMap<String, FileInfo>,
    dataset: DatasetSummary,
) -> Manifest {
    Manifest {
        tool: "ssd-assign".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command_line,
        datasets: args
            .dataset
            .datasets
            .iter()
            .map(|p| DatasetPath {
                path: p.display().to_string(),
                absolute: std::fs::canonicalize(p)
                    .ok()
                    .map(|a| a.display().to_string()),
            })
            .collect(),
        split: args.dataset.split.clone(),
        format: args.format,
        label_map: LabelMapInfo {
            source: args.dataset.read.classes.to_string(),
            names: class_names(engine),
        },
        priors: PriorsInfo {
            spec: args.priors.priors.first().cloned().unwrap_or_default(),
            name: engine.priors.name().to_string(),
            count: engine.priors.len(),
            columns: ["cx", "cy", "w", "h"],
            config_toml: engine.priors.config().map(|c| c.to_toml()),
        },
        threshold: engine.params.threshold,
        collision: engine.params.collision,
        neg_pos_ratio: engine.params.neg_pos_ratio,
        variances: args.matching.variances,
        difficult: engine.read.difficult,
        coords: engine.read.coords,
        clip: engine.read.clip,
        label_dtype: args.label_dtype,
        all_priors: args.all_priors,
        arrays: args
            .format
            .arrays(args.label_dtype, counts.images, engine.priors.len()),
        counts,
        files,
        dataset,
    }
}

/// A file that cannot be used: fatal with `--strict`, else reported and left out.
fn reject(strict: bool, tally: &mut DatasetTally, e: FileError) -> anyhow::Result<()> {
    if strict {
        anyhow::bail!("--strict: {e}; nothing written");
    }
    tally.add(Err(&e));
    Ok(())
}

/// Invalid objects are skipped (and reported after the run); fatal with `--strict`.
fn check_invalid_objects(strict: bool, r: &ImageResult) -> anyhow::Result<()> {
    if !strict {
        // Reported after the run, grouped by kind with the other findings.
        return Ok(());
    }
    for s in &r.annotation.skipped {
        if let SkipReason::Invalid(why) = &s.reason {
            anyhow::bail!(
                "--strict: {}: {}: {why}; nothing written",
                r.xml.display(),
                s.locator()
            );
        }
    }
    Ok(())
}

/// An output folder that cannot be used, in the terms of the flags that fix it (`--force`,
/// `--out`); the library's own texts name the settings.
fn in_flag_terms(e: EncodedError) -> anyhow::Error {
    let EncodedError::Folder(folder) = &e else {
        return e.into();
    };
    let dir = |d: &std::path::Path| d.display().to_string();
    anyhow::anyhow!(match folder {
        OutputError::Exists { dir: d, existing } => format!(
            "{}: already holds output ({}); pass --force to overwrite it, or choose another --out",
            dir(d),
            existing.join(", ")
        ),
        OutputError::Busy { dir: d, lock, pid } => format!(
            "{}: another ssd-assign run ({}) is writing there (it holds the lock on {}); wait for \
             it to finish, or choose another --out",
            dir(d),
            pid.map_or("pid unknown".to_string(), |p| format!("pid {p}")),
            lock.display()
        ),
        OutputError::NotADirectory(d) => {
            format!("{}: is not a directory; --out must name a folder", dir(d))
        }
        OutputError::DanglingLink(link, target) => format!(
            "{}: is a symbolic link to {}, which does not exist: create that folder, or choose \
             another --out",
            dir(link),
            target.display()
        ),
        OutputError::Io { .. } => return e.into(),
    })
}
