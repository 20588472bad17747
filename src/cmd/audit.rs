//! `ssd-assign audit`: the dataset report people read before they train.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::audit::{AuditHooks, AuditOptions, HookError, Progress};
use crate::cmd::args::{DatasetArgs, MatchArgs, PriorsArgs};
use crate::cmd::{progress_bar, Outcome, Setup};
use crate::priors::PriorSet;
use crate::report::gt_rows::GtRow;
use crate::report::{text, AuditReport, DatasetSummary};
use crate::sink::atomic::AtomicFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Short sections and aligned tables, for people.
    Text,
    /// Everything, machine-readable (schema: docs/report-schema.md).
    Json,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub dataset: DatasetArgs,
    #[command(flatten)]
    pub matching: MatchArgs,
    #[command(flatten)]
    pub priors: PriorsArgs,

    /// Report format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// Also write one CSV row per ground truth (matched or skipped) to FILE (`-`: the standard
    /// output, and the report goes to stderr; a symbolic link is written through to its
    /// target; a device or FIFO is written directly).
    #[arg(long, value_name = "FILE")]
    pub gt_csv: Option<PathBuf>,

    /// Also write one row per finding (rejected file, invalid object, warning, unknown class,
    /// image check) to FILE: CSV, or JSON Lines when FILE ends in .jsonl.
    #[arg(long, value_name = "FILE")]
    pub findings: Option<PathBuf>,

    /// Examples shown per kind of finding and per group of objects to look at (default 3; more
    /// lifts the text report's 150-line limit).
    #[arg(long, value_name = "N")]
    pub examples: Option<usize>,

    /// How many lowest-IoU ground truths to list (text table and JSON `worst_cases`).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub worst: usize,

    /// Also write the report as one self-contained HTML page to FILE (charts, the comparison
    /// of several --priors side by side, a gallery of the worst cases drawn on their images);
    /// written atomically, refused if FILE exists (--force). The text or JSON report still goes
    /// to the standard output (`-`: the page does, and the report goes to stderr).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Worst cases drawn in the --html page's gallery (0: none).
    #[arg(long, value_name = "N", default_value_t = crate::render::html::DEFAULT_GALLERY, requires = "html")]
    pub gallery: usize,

    /// Overwrite the --gt-csv, --findings and --html files if they exist.
    #[arg(long)]
    pub force: bool,

    /// At most N unmatched ground truths listed in the JSON's `worst_cases` after the worst
    /// ones (`--gt-csv` lists all).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub max_unmatched: usize,

    /// Also read every image's header (pixels are not decoded) and report missing or unreadable
    /// images, formats that do not match the extension, and `<size>` disagreeing with the real
    /// size (swapped width and height: EXIF rotation).
    #[arg(long)]
    pub check_images: bool,

    /// Exit with status 3 when coverage at the matching threshold (share of GTs whose best IoU
    /// reaches it) is below X (a fraction, e.g. 0.9), for CI gates.
    #[arg(long, value_name = "X")]
    pub fail_under_coverage: Option<f64>,
}

pub fn run(args: &AuditArgs) -> anyhow::Result<Outcome> {
    if let Some(x) = args.fail_under_coverage {
        if !(0.0..=1.0).contains(&x) {
            anyhow::bail!("--fail-under-coverage {x}: must be a fraction in [0, 1], e.g. 0.9");
        }
    }
    let prior_sets: Vec<Arc<PriorSet>> = args.priors.resolve()?;
    let dash = Some(Path::new("-"));
    if args.html.as_deref() == dash && args.gt_csv.as_deref() == dash {
        anyhow::bail!("--gt-csv - and --html -: only one of them can have the standard output");
    }
    // Refused before any work when it exists (like --gt-csv).
    let html_file = match &args.html {
        Some(path) => {
            Some(AtomicFile::create(path, args.force, "--html").map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let (report, setup) = audit_with_setup(args, &prior_sets)?;

    let rendered = match args.format {
        ReportFormat::Text => text::render_with(&report, &text_options(args)),
        ReportFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
    };
    // `--gt-csv -` (`--html -`) has the standard output for the CSV (the page): the report
    // goes to stderr then.
    if args.gt_csv.as_deref() == dash || args.html.as_deref() == dash {
        std::io::stderr().write_all(rendered.as_bytes())?;
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(rendered.as_bytes())?;
        out.flush()?;
    }

    if let Some(f) = html_file {
        write_html(args, &report, &setup, f)?;
    }

    let gate_failed = args.fail_under_coverage.is_some_and(|x| {
        report
            .configurations
            .iter()
            .any(|c| c.coverage_at_threshold.rate < x)
    });
    Ok(if gate_failed {
        Outcome::CoverageGate
    } else if report.dataset.rejected() > 0 {
        Outcome::Rejected
    } else {
        Outcome::Clean
    })
}

/// The text report's options from the flags: the 150-line limit holds unless more examples
/// than the default were asked for.
pub fn text_options(args: &AuditArgs) -> text::TextOptions {
    let examples = args.examples.unwrap_or(crate::report::DEFAULT_EXAMPLES);
    text::TextOptions {
        examples,
        worst: args.worst,
        max_lines: (examples <= crate::report::DEFAULT_EXAMPLES).then_some(text::MAX_LINES),
    }
}

/// The library's audit options of the flags.
pub fn audit_options(args: &AuditArgs) -> AuditOptions {
    AuditOptions {
        examples: args.examples.unwrap_or(crate::report::DEFAULT_EXAMPLES),
        worst: args.worst,
        max_unmatched: args.max_unmatched,
        check_images: args.check_images,
        // The page's (w, h) scatter; without --html the tally does no more than before.
        object_shapes: args.html.is_some(),
        // The --html page's gallery (its --gallery N): the JSON and text are unchanged.
        gallery: if args.html.is_some() { args.gallery } else { 0 },
    }
}

/// Runs the audit for each prior set ([`crate::audit::audit`]) with a progress bar, writing
/// the `--gt-csv` and `--findings` files.
pub fn audit(args: &AuditArgs, prior_sets: &[Arc<PriorSet>]) -> anyhow::Result<AuditReport> {
    audit_with_setup(args, prior_sets).map(|(report, _)| report)
}

/// [`audit`], and the setup it ran with (listing and engine), for what is made from them
/// after the report.
pub fn audit_with_setup(
    args: &AuditArgs,
    prior_sets: &[Arc<PriorSet>],
) -> anyhow::Result<(AuditReport, Setup)> {
    let mut gt_writer = match &args.gt_csv {
        Some(path) => Some(csv::Writer::from_writer(
            AtomicFile::create(path, args.force, "--gt-csv").map_err(anyhow::Error::msg)?,
        )),
        None => None,
    };
    let findings_file = match &args.findings {
        Some(path) => {
            Some(AtomicFile::create(path, args.force, "--findings").map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    // Listing and label map are resolved once; each configuration only swaps the priors.
    let setup = crate::cmd::setup(&args.dataset, &args.matching, prior_sets[0].clone())?;
    let mut pb = None;
    let mut progress = |p: Progress<'_>| match p {
        Progress::Started {
            count,
            priors,
            images,
            ..
        } => {
            let bar = progress_bar(images, args.dataset.quiet);
            if count > 1 {
                bar.set_message(priors.name().to_string());
            }
            pb = Some(bar);
        }
        Progress::Done(done) => pb.iter().for_each(|b| b.set_position(done as u64)),
        Progress::Finished => pb.take().iter().for_each(|b| b.finish_and_clear()),
    };
    let mut write_row = |row: GtRow| -> Result<(), HookError> {
        let w = gt_writer
            .as_mut()
            .expect("called only with a --gt-csv writer");
        w.serialize(row).map_err(Into::into)
    };
    let hooks = AuditHooks {
        progress: Some(&mut progress),
        gt_rows: args.gt_csv.is_some().then_some(&mut write_row as _),
    };
    let report = crate::audit::audit(&setup, prior_sets, &audit_options(args), hooks)?;
    if let Some(w) = gt_writer {
        let path = args.gt_csv.as_deref().expect("set with the writer");
        commit_gt_csv(w, path)?;
    }
    if let Some(f) = findings_file {
        let path = args.findings.as_deref().expect("set with the file");
        write_findings_file(&report.dataset, path, f)?;
    }
    Ok((report, setup))
}

/// Writes the `--html` page and puts it in place.
fn write_html(
    args: &AuditArgs,
    report: &AuditReport,
    setup: &Setup,
    mut f: AtomicFile,
) -> anyhow::Result<()> {
    use crate::render::html::{render, GalleryInput, HtmlOptions};
    // The gallery draws the first configuration's worst cases: the setup's engine has its priors.
    let gallery = GalleryInput {
        engine: &setup.engine,
        entries: &setup.listing.entries,
        n: args.gallery,
    };
    let opts = HtmlOptions {
        examples: args.examples.unwrap_or(crate::report::DEFAULT_EXAMPLES),
        worst: args.worst,
    };
    let page = render(report, Some(gallery), &opts);
    let path = args.html.as_deref().expect("set with the file");
    f.write_all(page.as_bytes())
        .and_then(|()| f.commit())
        .with_context(|| format!("--html: writing {}", path.display()))
}

/// Flushes the `--gt-csv` rows and puts the file in place.
fn commit_gt_csv(w: csv::Writer<AtomicFile>, path: &Path) -> anyhow::Result<()> {
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("{}", e.error()))
        .and_then(|f| f.commit().map_err(Into::into))
        .with_context(|| format!("--gt-csv: writing {}", path.display()))
}

/// Writes the dataset's findings to the `--findings` file (CSV, or JSON Lines for `.jsonl`)
/// and puts it in place.
fn write_findings_file(
    dataset: &DatasetSummary,
    path: &Path,
    mut f: AtomicFile,
) -> anyhow::Result<()> {
    crate::report::findings::write_findings(
        &dataset.findings,
        crate::report::findings::is_jsonl(path),
        &mut f,
    )
    .and_then(|()| f.commit())
    .with_context(|| format!("--findings: writing {}", path.display()))
}
