//! `ssd-assign audit`: the dataset report people read before they train.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::cmd::args::{DatasetArgs, MatchArgs, PriorsArgs};
use crate::cmd::{progress_bar, Outcome};
use crate::priors::PriorSet;
use crate::report::gt_rows::{gt_rows, PriorShapes};
use crate::report::{
    text, AssignmentReport, AssignmentTally, AuditReport, DatasetSummary, DatasetTally,
};
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
    /// to the standard output.
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
    // `--gt-csv -` has the standard output for the CSV: the report goes to stderr then.
    if args.gt_csv.as_deref() == Some(std::path::Path::new("-")) {
        std::io::stderr().write_all(rendered.as_bytes())?;
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(rendered.as_bytes())?;
        out.flush()?;
    }

    if let Some(f) = html_file {
        write_html(args, &report, &setup, &prior_sets, f)?;
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

/// Runs the audit for each prior set: the dataset is read once per configuration; the dataset
/// summary and the GT table come from the first.
pub fn audit(args: &AuditArgs, prior_sets: &[Arc<PriorSet>]) -> anyhow::Result<AuditReport> {
    audit_with_setup(args, prior_sets).map(|(report, _)| report)
}

/// [`audit`], also returning the resolved setup (the listing and engine the `--html` page's
/// gallery draws with).
pub fn audit_with_setup(
    args: &AuditArgs,
    prior_sets: &[Arc<PriorSet>],
) -> anyhow::Result<(AuditReport, crate::cmd::Setup)> {
    let mut dataset = None;
    let mut configurations = Vec::new();
    let mut gt_writer = match &args.gt_csv {
        Some(path) => Some(csv::Writer::from_writer(
            AtomicFile::create(path, args.force, "--gt-csv").map_err(anyhow::Error::msg)?,
        )),
        None => None,
    };
    let mut findings_file = match &args.findings {
        Some(path) => {
            Some(AtomicFile::create(path, args.force, "--findings").map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    // Listing and label map are resolved once; each configuration only swaps the priors.
    let setup = crate::cmd::setup(&args.dataset, &args.matching, prior_sets[0].clone())?;
    for (k, priors) in prior_sets.iter().enumerate() {
        let first = k == 0;
        let gt_writer = gt_writer.as_mut().filter(|_| first);
        let (ds, report) =
            audit_configuration(args, &setup, priors, prior_sets.len() > 1, first, gt_writer)?;
        if ds.is_some() {
            dataset = ds;
        }
        configurations.push(report);
    }
    if let Some(w) = gt_writer {
        let path = args.gt_csv.as_deref().expect("set with the writer");
        commit_gt_csv(w, path)?;
    }
    let dataset = dataset.unwrap_or_default();
    if let Some(f) = findings_file.take() {
        let path = args.findings.as_deref().expect("set with the file");
        write_findings_file(&dataset, path, f)?;
    }
    let report = AuditReport {
        tool: "ssd-assign".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        dataset,
        configurations,
    };
    Ok((report, setup))
}

/// Reads the dataset with one prior set: its assignment report and, for the `first`
/// configuration, the dataset summary (images are checked then, and the GT rows written to
/// `gt_writer`). `named`: several configurations run, the progress bar names each.
fn audit_configuration(
    args: &AuditArgs,
    setup: &crate::cmd::Setup,
    priors: &Arc<PriorSet>,
    named: bool,
    first: bool,
    mut gt_writer: Option<&mut csv::Writer<AtomicFile>>,
) -> anyhow::Result<(Option<DatasetSummary>, AssignmentReport)> {
    let engine = &crate::pipeline::Engine {
        priors: priors.clone(),
        // Images are checked once, with the first configuration.
        check_images: args.check_images && first,
        ..setup.engine.clone()
    };
    let mut ds = first.then(|| DatasetTally::new(&setup.listing));
    let mut tally = AssignmentTally::new(&engine.priors, &engine.params, &engine.labels);
    tally.keep_examples(args.examples.unwrap_or(crate::report::DEFAULT_EXAMPLES));
    if args.html.is_some() {
        // The (w, h) scatter's data; without --html the tally does no more than before.
        tally.keep_object_shapes();
    }
    let shapes = PriorShapes::new(&engine.priors);
    let pb = progress_bar(setup.listing.entries.len(), setup.quiet);
    if named {
        pb.set_message(priors.name().to_string());
    }
    engine.run(
        &setup.listing.entries,
        setup.jobs,
        |done| pb.set_position(done as u64),
        |o| -> anyhow::Result<()> {
            if let Some(ds) = ds.as_mut() {
                ds.add(o.as_ref());
            }
            if let Ok(r) = &o {
                tally.add(r);
                if let Some(w) = gt_writer.as_mut() {
                    for row in gt_rows(r, &shapes) {
                        w.serialize(row)?;
                    }
                }
            }
            Ok(())
        },
    )?;
    pb.finish_and_clear();
    let dataset = ds.map(|ds| ds.finish(&engine.labels));
    Ok((dataset, tally.finish(args.worst, args.max_unmatched)))
}

/// Writes the `--html` page (the gallery draws the worst cases of each configuration with its
/// engine) and puts it in place.
fn write_html(
    args: &AuditArgs,
    report: &AuditReport,
    setup: &crate::cmd::Setup,
    prior_sets: &[Arc<PriorSet>],
    mut f: AtomicFile,
) -> anyhow::Result<()> {
    use crate::render::html::{render, GalleryInput, HtmlOptions};
    let engines: Vec<crate::pipeline::Engine> = prior_sets
        .iter()
        .map(|priors| crate::pipeline::Engine {
            priors: priors.clone(),
            ..setup.engine.clone()
        })
        .collect();
    let gallery = GalleryInput {
        engines: &engines,
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
