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
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::assign::CollisionPolicy;
use crate::cli::{DatasetArgs, MatchArgs, PriorsArgs};
use crate::cmd::{progress_bar, ExitStatus};
use crate::encode::Variances;
use crate::pipeline::{FileError, ImageResult};
use crate::priors::PriorSet;
use crate::report::gt_rows::{gt_rows, PriorShapes};
use crate::report::{DatasetSummary, DatasetTally};
use crate::sink::atomic::OutputDir;
use crate::sink::csv::{write_priors_csv, CsvTargets, PRIORS_CSV, TARGETS_CSV};
use crate::sink::targets::{
    priors_npy_bytes, NpyTargets, NpzTargets, LABELS_NPY, LOCS_NPY, PRIORS_NPY, TARGETS_NPZ,
};
use crate::sink::{sha256_file, ImageTargets, LabelDtype, TargetSink};
use crate::voc::{CoordBase, DifficultPolicy, SkipReason};

pub const IDS_TXT: &str = "ids.txt";
pub const GTS_CSV: &str = "gts.csv";
pub const MANIFEST_JSON: &str = "manifest.json";

/// Every file name any `encode` run may write: one of them existing in `--out` is refused
/// without `--force`.
pub const KNOWN_OUTPUTS: [&str; 9] = [
    LABELS_NPY,
    LOCS_NPY,
    PRIORS_NPY,
    TARGETS_NPZ,
    TARGETS_CSV,
    PRIORS_CSV,
    IDS_TXT,
    GTS_CSV,
    MANIFEST_JSON,
];

/// Output format of the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetFormat {
    /// labels.npy (N, P) and locs.npy (N, P, 4) float32, plus priors.npy (P, 4).
    #[default]
    Npy,
    /// targets.npz holding labels, locs and priors (np.load reads it).
    Npz,
    /// targets.csv: one row per positive prior (every prior with --all-priors), plus priors.csv.
    Csv,
}

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
    #[arg(long, value_enum, default_value_t = TargetFormat::Npy)]
    pub format: TargetFormat,

    /// Element type of the labels array (refused if too small for the label map).
    #[arg(long, value_enum, default_value_t = LabelDtype::I64)]
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

pub fn run(args: &EncodeArgs) -> anyhow::Result<ExitStatus> {
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
        ExitStatus::Rejected
    } else {
        ExitStatus::Clean
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

#[derive(Debug, Clone, Serialize)]
pub struct ArrayInfo {
    pub name: String,
    /// The file holding it (for npz: targets.npz, as the member `<name>.npy`).
    pub file: String,
    pub dtype: String,
    pub shape: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileInfo {
    pub bytes: u64,
    pub sha256: String,
}

/// Encodes the datasets of `args` into `args.out`. `command_line` is recorded in the manifest.
/// A signal ends the run through the process's handler, which discards the staging folder.
pub fn encode(
    args: &EncodeArgs,
    priors: Arc<PriorSet>,
    command_line: Vec<String>,
) -> anyhow::Result<EncodeSummary> {
    if args.all_priors && args.format != TargetFormat::Csv {
        anyhow::bail!(
            "--all-priors only applies to --format csv (npy and npz always hold every prior)"
        );
    }
    let setup = args.dataset.resolve(&args.matching, priors)?;
    let engine = &setup.engine;
    let max_label = engine.labels.num_labels().saturating_sub(1) as u64;
    args.label_dtype
        .check(max_label)
        .map_err(crate::cli::UsageError)?;
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

    let out = OutputDir::create(&args.out, &KNOWN_OUTPUTS, args.force)?;
    for dead in out.removed_dead_staging() {
        eprintln!(
            "ssd-assign: note: removed {}, the staging folder of an earlier run that was killed \
             before it finished",
            args.out.join(dead).display()
        );
    }
    let np = engine.priors.len();
    let priors_npy = priors_npy_bytes(&engine.priors);
    let mut files: Vec<String> = Vec::new();
    let mut sink: Box<dyn TargetSink + Send> = match args.format {
        TargetFormat::Npy => Box::new(
            NpyTargets::create(
                &out.staged(""),
                "",
                np,
                args.label_dtype,
                Some(setup.listing.entries.len() as u64),
            )?
            .with_priors_npy(priors_npy.clone()),
        ),
        TargetFormat::Npz => Box::new(NpzTargets::create(
            &out.staged(""),
            np,
            args.label_dtype,
            priors_npy.clone(),
        )?),
        TargetFormat::Csv => {
            write_priors_csv(&out.staged(PRIORS_CSV), &engine.priors)
                .with_context(|| format!("writing {PRIORS_CSV}"))?;
            let names = (0..engine.labels.num_labels() as u32)
                .map(|l| engine.labels.name(l).unwrap_or("").to_string())
                .collect();
            Box::new(CsvTargets::create(&out.staged(""), names, args.all_priors)?)
        }
    };
    let mut ids = BufWriter::new(File::create(out.staged(IDS_TXT))?);
    let mut gts = csv::Writer::from_writer(BufWriter::new(File::create(out.staged(GTS_CSV))?));

    let mut tally = DatasetTally::new(&setup.listing);
    let mut counts = Counts::default();
    let shapes = PriorShapes::new(&engine.priors);
    let mut labels = vec![0u32; np];
    let mut locs = vec![[0f32; 4]; np];
    let pb = progress_bar(setup.listing.entries.len(), setup.quiet);

    engine.run(
        &setup.listing.entries,
        setup.jobs,
        |done| pb.set_position(done as u64),
        |outcome| -> anyhow::Result<()> {
            let r = match outcome {
                Ok(r) if r.id.contains(['\n', '\r']) => {
                    reject(
                        args.strict,
                        &mut tally,
                        FileError {
                            id: r.id.clone(),
                            path: r.xml.clone(),
                            message: "its image id (file name) contains a line break, which \
                                      ids.txt cannot hold; rename the file"
                                .into(),
                            kind: crate::findings::FindingKind::BadImageId,
                            line: 0,
                            column: 0,
                        },
                    )?;
                    return Ok(());
                }
                Ok(r) => r,
                Err(e) => return reject(args.strict, &mut tally, e),
            };
            check_invalid_objects(args.strict, &r)?;
            tally.add(Ok(&r));
            count(&mut counts, &r);

            r.matching.fill_labels(&mut labels);
            locs.fill([0.0; 4]);
            let cxcy = engine.priors.cxcy();
            for pos in &r.matching.positives {
                let p = pos.prior as usize;
                let gt = r.annotation.objects[pos.gt as usize].corners.to_center();
                locs[p] = engine.coder.encode(&gt, &cxcy[p]);
            }
            let written = (|| -> anyhow::Result<()> {
                sink.write_image(&ImageTargets {
                    id: &r.id,
                    labels: &labels,
                    locs: &locs,
                })?;
                writeln!(ids, "{}", r.id)?;
                for row in gt_rows(&r, &shapes) {
                    gts.serialize(row)?;
                }
                Ok(())
            })();
            written.with_context(|| {
                format!(
                    "writing the outputs of image {} into {} (nothing was kept)",
                    r.id,
                    args.out.display()
                )
            })
        },
    )?;
    pb.finish_and_clear();

    // Checksums already computed while writing (the NPY arrays when every image was read).
    let mut known_checksums = BTreeMap::new();
    for (name, checksum) in sink.finish().context("finishing the target files")? {
        if let Some(c) = checksum {
            known_checksums.insert(name.clone(), c);
        }
        files.push(name);
    }
    match args.format {
        TargetFormat::Npy | TargetFormat::Npz => {}
        TargetFormat::Csv => files.push(PRIORS_CSV.into()),
    }
    let ids_file = ids.into_inner().map_err(|e| e.into_error())?;
    ids_file.sync_all()?;
    files.push(IDS_TXT.into());
    let gts_file = gts
        .into_inner()
        .map_err(|e| anyhow::anyhow!("writing {GTS_CSV}: {}", e.error()))?;
    gts_file
        .into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()?;
    files.push(GTS_CSV.into());

    let dataset = tally.finish(&engine.labels);
    // What was left out or warned about, grouped by kind as in the audit.
    eprint!("{}", crate::report::text::findings_for_stderr(&dataset));
    counts.files_listed = dataset.files + setup.listing.problems.len() as u64;
    counts.files_rejected = dataset.files_rejected;
    counts.objects_skipped_unknown_class = dataset.skipped_unknown_class_total;
    let rejected = dataset.rejected();

    let mut file_infos = BTreeMap::new();
    for name in &files {
        let (sha256, bytes) = match known_checksums.remove(name) {
            Some(c) => c,
            None => {
                sha256_file(&out.staged(name)).with_context(|| format!("checksumming {name}"))?
            }
        };
        file_infos.insert(name.clone(), FileInfo { bytes, sha256 });
    }
    let manifest = Manifest {
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
            source: args.dataset.classes.clone(),
            names: (0..engine.labels.num_labels() as u32)
                .map(|l| engine.labels.name(l).unwrap_or("").to_string())
                .collect(),
        },
        priors: PriorsInfo {
            spec: args.priors.priors.first().cloned().unwrap_or_default(),
            name: engine.priors.name().to_string(),
            count: np,
            columns: ["cx", "cy", "w", "h"],
            config_toml: engine.priors.config().map(|c| c.to_toml()),
        },
        threshold: engine.params.threshold,
        collision: engine.params.collision,
        neg_pos_ratio: engine.params.neg_pos_ratio,
        variances: args.matching.params()?.1,
        difficult: engine.read.difficult,
        coords: engine.read.coords,
        clip: engine.read.clip,
        label_dtype: args.label_dtype,
        all_priors: args.all_priors,
        arrays: arrays(args, counts.images, np),
        counts: counts.clone(),
        files: file_infos,
        dataset,
    };
    let mut json = serde_json::to_string_pretty(&manifest)?;
    json.push('\n');
    write_synced(&out.staged(MANIFEST_JSON), json.as_bytes())
        .with_context(|| format!("writing {MANIFEST_JSON}"))?;
    files.push(MANIFEST_JSON.into());

    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let removed_stale = out.commit(&names)?;
    Ok(EncodeSummary {
        images: counts.images,
        priors: np,
        positives: counts.positives,
        rejected,
        files,
        removed_stale,
    })
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
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
                "--strict: {}: object {} (line {}): {why}; nothing written",
                r.xml.display(),
                s.index_in_file,
                s.line
            );
        }
    }
    Ok(())
}

fn count(c: &mut Counts, r: &ImageResult) {
    c.images += 1;
    let a = &r.annotation;
    c.images_without_objects += a.objects.is_empty() as u64;
    c.objects += a.objects.len() as u64;
    for s in &a.skipped {
        match s.reason {
            SkipReason::Invalid(_) => c.objects_skipped_invalid += 1,
            SkipReason::Difficult => c.objects_skipped_difficult += 1,
            SkipReason::UnknownClass => {}
        }
    }
    c.positives += r.matching.num_positives() as u64;
    c.gts_without_positives += r.matching.gts.iter().filter(|g| g.positives == 0).count() as u64;
}

fn arrays(args: &EncodeArgs, n: u64, np: usize) -> Vec<ArrayInfo> {
    let p = np as u64;
    let (labels_file, locs_file, priors_file) = match args.format {
        TargetFormat::Npy => (LABELS_NPY, LOCS_NPY, PRIORS_NPY),
        TargetFormat::Npz => (TARGETS_NPZ, TARGETS_NPZ, TARGETS_NPZ),
        TargetFormat::Csv => {
            return vec![ArrayInfo {
                name: "priors".into(),
                file: PRIORS_CSV.into(),
                dtype: "float32".into(),
                shape: vec![p, 4],
            }]
        }
    };
    vec![
        ArrayInfo {
            name: "labels".into(),
            file: labels_file.into(),
            dtype: args.label_dtype.numpy_name().into(),
            shape: vec![n, p],
        },
        ArrayInfo {
            name: "locs".into(),
            file: locs_file.into(),
            dtype: "float32".into(),
            shape: vec![n, p, 4],
        },
        ArrayInfo {
            name: "priors".into(),
            file: priors_file.into(),
            dtype: "float32".into(),
            shape: vec![p, 4],
        },
    ]
}
