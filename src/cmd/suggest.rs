//! `ssd-assign suggest`: a prior configuration that covers the data, scored with the real
//! matching and checked on held-out images (issue #13; the search is `crate::suggest`).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;

use crate::assign::Matcher;
use crate::cmd::args::{DatasetArgs, MatchArgs};
use crate::cmd::{progress_bar, Outcome};
use crate::pipeline::{Engine, ImageResult};
use crate::priors::PriorSet;
use crate::report::{text, AssignmentReport, AssignmentTally};
use crate::sink::atomic::AtomicFile;
use crate::suggest::{self, Problem, Score, SearchOptions};
use crate::voc::dataset::{list_datasets_with, ImageEntry, ListOptions};

#[derive(Debug, Args)]
pub struct SuggestArgs {
    #[command(flatten)]
    pub dataset: DatasetArgs,
    #[command(flatten)]
    pub matching: MatchArgs,

    /// Start configuration: a preset or a TOML/JSON file. Its feature maps, grids and priors
    /// per cell are kept (unless --budget or --grids); it is the first candidate.
    #[arg(
        long = "priors",
        default_value = "tiny-detector",
        value_name = "PRESET|FILE"
    )]
    pub priors: String,

    /// Where to write the suggested configuration (TOML, with explicit per-map shapes).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Overwrite --out if it exists.
    #[arg(long)]
    pub force: bool,

    /// Held-out images: ImageSets/Main/NAME.txt (not fitted). Default: a deterministic 20% of
    /// the images, chosen by a hash of their id.
    #[arg(long, value_name = "NAME")]
    pub val_split: Option<String>,

    /// Seed of the search: the same seed gives the same file.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed: u64,

    /// Total number of priors (default: the start's); split over the maps by objects per prior.
    #[arg(long, value_name = "N")]
    pub budget: Option<usize>,

    /// Let the grid sizes vary too (for people designing a network; the start's grids are
    /// otherwise kept, as the network fixes them). Per-cell counts stay the start's, and
    /// --budget caps the total the grids may grow to.
    #[arg(long)]
    pub grids: bool,

    /// Mutated candidates to try at most (after the start and the k-means seed).
    #[arg(long, default_value_t = suggest::DEFAULT_ITERATIONS, value_name = "N")]
    pub iterations: usize,

    /// Stop after N candidates in a row that do not improve.
    #[arg(long, default_value_t = suggest::DEFAULT_PATIENCE, value_name = "N")]
    pub patience: usize,

    /// Stop with the best so far after this many seconds (the result then depends on the
    /// machine's speed; --iterations alone is reproducible).
    #[arg(long, default_value_t = 50.0, value_name = "SECONDS")]
    pub time_limit: f64,

    /// Name of the suggested configuration (default: the --out file's stem).
    #[arg(long)]
    pub name: Option<String>,
}

/// One part of the data (fit or held-out), read once.
struct Part {
    results: Vec<ImageResult>,
    rejected: usize,
}

impl Part {
    fn problem(&self, params: crate::assign::MatchParams) -> Problem {
        Problem {
            images: self
                .results
                .iter()
                .map(|r| crate::pipeline::gt_boxes(&r.annotation))
                .collect(),
            params,
        }
    }
}

fn read(engine: &Engine, entries: &[ImageEntry], jobs: usize, quiet: bool) -> Part {
    let pb = progress_bar(entries.len(), quiet);
    let mut part = Part {
        results: Vec::new(),
        rejected: 0,
    };
    let _ = engine.run(
        entries,
        jobs,
        |done| pb.set_position(done as u64),
        |o| -> Result<(), ()> {
            match o {
                Ok(r) => part.results.push(r),
                Err(_) => part.rejected += 1,
            }
            Ok(())
        },
    );
    pb.finish_and_clear();
    part
}

pub fn run(args: &SuggestArgs) -> anyhow::Result<Outcome> {
    // Every flag is checked before anything is read or written.
    if !(args.time_limit.is_finite() && args.time_limit > 0.0) {
        bail!(
            "--time-limit {}: must be a positive number of seconds, e.g. --time-limit 50",
            args.time_limit
        );
    }
    let start =
        crate::priors::resolve(&args.priors).map_err(|e| anyhow::anyhow!("--priors {e}"))?;
    let start_config = start
        .config()
        .context("--priors: the start set has no configuration")?
        .clone();
    if let Some(b) = args.budget {
        let cells: usize = start_config
            .feature_maps
            .iter()
            .map(|m| m.rows as usize * m.cols as usize)
            .sum();
        if b < cells {
            bail!(
                "--budget {b}: below the {cells} cells of {}'s grids: every cell needs at least \
                 one prior, e.g. --budget {}",
                start.name(),
                start.len().max(cells)
            );
        }
    }
    let setup = crate::cmd::setup(&args.dataset, &args.matching, Arc::new(start.clone()))?;
    if setup.listing.entries.is_empty() {
        bail!(
            "no annotation file to fit: {} (give a VOC folder or .xml files with objects)",
            setup.listing.why_empty()
        );
    }
    let mut out = AtomicFile::create(&args.out, args.force, "--out").map_err(anyhow::Error::msg)?;

    // Fit and held-out images.
    let (fit_entries, held_entries, held_what): (Vec<ImageEntry>, Vec<ImageEntry>, String) =
        match &args.val_split {
            Some(name) => {
                let val = list_datasets_with(
                    &args.dataset.datasets,
                    Some(name),
                    args.dataset.images.as_deref(),
                    ListOptions {
                        recursive: args.dataset.recursive,
                    },
                )
                .map_err(|e| anyhow::anyhow!(crate::cmd::listing_error_words(&e, "--val-split")))?;
                let ids: HashSet<&str> = val.entries.iter().map(|e| e.id.as_str()).collect();
                let fit = setup
                    .listing
                    .entries
                    .iter()
                    .filter(|e| !ids.contains(e.id.as_str()))
                    .cloned()
                    .collect();
                (fit, val.entries.clone(), format!("--val-split {name}"))
            }
            None => {
                let (held, fit): (Vec<ImageEntry>, Vec<ImageEntry>) = setup
                    .listing
                    .entries
                    .iter()
                    .cloned()
                    .partition(|e| suggest::is_held_out(&e.id));
                (fit, held, "20% by id hash".to_string())
            }
        };
    let engine = &setup.engine;
    let fit = read(engine, &fit_entries, setup.jobs, args.dataset.quiet);
    let held = read(engine, &held_entries, setup.jobs, args.dataset.quiet);
    let fit_problem = fit.problem(engine.params);
    let held_problem = held.problem(engine.params);

    let pool = crate::pipeline::thread_pool(setup.jobs);
    let opts = SearchOptions {
        seed: args.seed,
        iterations: args.iterations,
        patience: args.patience,
        time_limit: Some(Duration::from_secs_f64(args.time_limit)),
        budget: args.budget,
        grids: args.grids,
    };
    let pb = candidate_bar(args.iterations as u64 + 2, args.dataset.quiet);
    let outcome = suggest::search(&fit_problem, &start, &opts, &pool, |n, best| {
        pb.set_position(n as u64);
        pb.set_message(format!("{:.1}%", 100.0 * best.objective()));
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    pb.finish_and_clear();

    let name = args.name.clone().unwrap_or_else(|| {
        args.out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "suggested".into())
    });
    let config = outcome.best.to_config(&start_config, &name);
    let result = PriorSet::from_config(&config);
    let held_start = held_problem.evaluate(&start, &pool);
    let held_result = held_problem.evaluate(&result, &pool);

    // The audit's tallies for the comparison table: start and result, fit and held-out.
    let result_engine = Engine {
        priors: Arc::new(result.clone()),
        ..engine.clone()
    };
    let mut reports: Vec<AssignmentReport> = Vec::new();
    let mut tables = Vec::new();
    for (part, label) in [(fit, "fit"), (held, "held-out")] {
        let mut part = part;
        let mut t_start = AssignmentTally::new(&engine.priors, &engine.params, &engine.labels);
        for r in &part.results {
            t_start.add(r);
        }
        let mut t_result = AssignmentTally::new(
            &result_engine.priors,
            &result_engine.params,
            &result_engine.labels,
        );
        let mut matcher = Matcher::new();
        for r in &mut part.results {
            r.matching = matcher.match_image(
                &result,
                &crate::pipeline::gt_boxes(&r.annotation),
                &engine.params,
            );
            t_result.add(r);
        }
        let mut a = t_start.finish(0, 0);
        a.config.priors = format!("{} {label}", start.name());
        let mut b = t_result.finish(0, 0);
        b.config.priors = format!("{name} {label}");
        tables.push((part.results.len(), part.rejected));
        reports.push(a);
        reports.push(b);
    }
    // Order: start fit, suggested fit, start held-out, suggested held-out.
    let crowding = suggest::crowding(&fit_problem, &outcome.best);

    let threshold = engine.params.threshold;
    let mut file = String::new();
    let _ = writeln!(
        file,
        "# Suggested by `ssd-assign suggest` (seed {}) from {}: objects with a positive prior at \
         IoU >= {threshold}\n# on the fitting images {} (start {}), held-out ({held_what}) {} \
         (start {}).",
        args.seed,
        start.name(),
        pct(&outcome.best_score),
        pct(&outcome.start),
        pct(&held_result),
        pct(&held_start),
    );
    file.push_str(&config.to_toml());
    out.write_all(file.as_bytes())
        .and_then(|()| out.commit())
        .with_context(|| format!("--out: writing {}", args.out.display()))?;

    // The report.
    let mut s = String::new();
    let per_cell: Vec<String> = config
        .feature_maps
        .iter()
        .map(|m| {
            format!(
                "{}x{} map, {} per cell",
                m.rows,
                m.cols,
                m.shapes_per_cell()
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "Suggested: {name} ({} priors: {}) written to {}",
        result.len(),
        per_cell.join(", "),
        args.out.display()
    );
    let _ = writeln!(
        s,
        "Objective: objects with a positive prior at IoU >= {threshold} (real matching, \
         collisions included)"
    );
    let fit_head = format!(
        "fit ({} images, {} objects)",
        tables[0].0, outcome.start.objects
    );
    let held_head = format!(
        "held-out, {held_what} ({} images, {} objects)",
        tables[1].0, held_start.objects
    );
    let w0 = start.name().len().max(name.len()).max(9);
    let _ = writeln!(s, "  {:w0$}  {fit_head:34}  {held_head}", "");
    for (label, f, h) in [
        (start.name(), &outcome.start, &held_start),
        (name.as_str(), &outcome.best_score, &held_result),
    ] {
        let _ = writeln!(s, "  {label:w0$}  {:34}  {}", cell(f), cell(h));
    }
    let stop = if outcome.timed_out {
        format!(
            "stopped by --time-limit {} s (the result depends on the machine's speed; pass a \
             larger limit for a reproducible run)",
            args.time_limit
        )
    } else if outcome.evaluated < args.iterations + 2 {
        format!(
            "stopped after {} candidates without improvement",
            args.patience
        )
    } else {
        "all --iterations tried".to_string()
    };
    if held_result.objects > 0 && held_result.objective() < held_start.objective() {
        let _ = writeln!(
            s,
            "Held-out: the suggestion serves fewer of the objects the fit did not see ({} vs \
             {} for {}): it fits the {} fitting objects' particulars, not the data's; keep the \
             start, or fit on more images",
            pct(&held_result),
            pct(&held_start),
            start.name(),
            outcome.start.objects
        );
    }
    // The time taken goes to stderr: the report on stdout is the same bytes for the same input.
    let secs = outcome.elapsed.as_secs_f64();
    eprintln!(
        "ssd-assign: searched {} candidates in {secs:.1} s ({:.0}/s)",
        outcome.evaluated,
        outcome.evaluated as f64 / secs.max(1e-9)
    );
    let _ = writeln!(
        s,
        "Search: {} candidates{}, seed {}, k-means seed {}; {stop}",
        outcome.evaluated,
        if outcome.screened_out > 0 {
            format!(
                "; {} rejected on every 4th image alone",
                outcome.screened_out
            )
        } else {
            String::new()
        },
        args.seed,
        pct(&outcome.kmeans),
    );
    if crowding.crowded > 0 {
        let share = |n: u64| 100.0 * n as f64 / crowding.objects.max(1) as f64;
        let maps: Vec<String> = crowding
            .maps
            .iter()
            .filter(|m| m.3 > 0)
            .map(|(r, c, n, k)| format!("{k} on the {r}x{c} map, {n} priors per cell"))
            .collect();
        let _ = writeln!(
            s,
            "Limits: {} of {} fitting objects ({:.1}%) share a cell with more objects than it has \
             priors ({});\n        at least {} ({:.1}%) cannot have a prior of their own cell \
             whatever the shapes",
            crowding.crowded,
            crowding.objects,
            share(crowding.crowded),
            maps.join("; "),
            crowding.excess,
            share(crowding.excess),
        );
        match crowding.grid_needed {
            Some((k, g)) => {
                let _ = writeln!(
                    s,
                    "        a {g}x{g} grid for map {k} would leave at most 1% of its objects in \
                     such cells (--grids, or a finer feature map)"
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "        even a 1024x1024 grid leaves more than 1% of them in such cells: \
                     the objects overlap"
                );
            }
        }
    }
    text::render_comparison(&reports, &mut s);
    text::render_comparison_by_class(&reports, 12, &mut s);
    let rejected = tables[0].1 + tables[1].1;
    if rejected > 0 {
        let _ = writeln!(
            s,
            "\n{rejected} annotation files were rejected and left out (`ssd-assign audit` lists \
             them with the fix)"
        );
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(s.as_bytes())?;
    stdout.flush()?;
    Ok(if rejected > 0 {
        Outcome::Rejected
    } else {
        Outcome::Clean
    })
}

fn pct(s: &Score) -> String {
    if s.objects == 0 {
        "n/a (no objects)".into()
    } else {
        format!("{:.1}%", 100.0 * s.objective())
    }
}

fn cell(s: &Score) -> String {
    if s.objects == 0 {
        return "n/a (no objects)".into();
    }
    format!(
        "{:>6} pos/obj {:.2} IoU {:.3}",
        pct(s),
        s.mean_positives(),
        s.mean_best_iou()
    )
}

/// A progress bar over candidates on stderr when it is a terminal and not `--quiet`.
fn candidate_bar(len: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} candidates, best {msg}",
        )
        .expect("valid template"),
    );
    pb
}
