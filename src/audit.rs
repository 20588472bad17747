//! The audit: the dataset read once per prior configuration, folded into an [`AuditReport`]
//! (the command line's `ssd-assign audit`, the Python binding's `audit()`).
//!
//! What only some callers want is a hook in [`AuditHooks`]: progress (the command line's bar)
//! and the GT rows of the first configuration (`--gt-csv`). The findings file is written by
//! the caller from the report's `dataset.findings`. The [`Setup`] stays the caller's, for what
//! it does after the report (pictures of the same images and engine).

use std::sync::Arc;

use crate::pipeline::Engine;
use crate::priors::PriorSet;
use crate::report::gt_rows::{gt_rows, GtRow, PriorShapes};
use crate::report::{AssignmentReport, AssignmentTally, AuditReport, DatasetSummary, DatasetTally};
use crate::setup::Setup;

/// What the report holds beyond the defaults of the matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditOptions {
    /// Examples kept per kind of finding and per group of objects to look at.
    pub examples: usize,
    /// How many lowest-IoU ground truths `worst_cases` lists.
    pub worst: usize,
    /// At most this many unmatched ground truths listed after the worst ones.
    pub max_unmatched: usize,
    /// Also read every image's header (with the first configuration) and report what is wrong.
    pub check_images: bool,
    /// Also keep the objects' binned (w, h) in each configuration's report
    /// (`AssignmentReport::object_shapes`, the HTML page's scatter; never serialised).
    pub object_shapes: bool,
    /// Cases kept for a gallery of pictures (`AssignmentReport::gallery_cases`, one per image;
    /// `audit --html`); 0: none. The JSON and text reports are the same either way.
    pub gallery: usize,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            examples: crate::report::DEFAULT_EXAMPLES,
            worst: 20,
            max_unmatched: 1000,
            check_images: false,
            object_shapes: false,
            gallery: 0,
        }
    }
}

/// How far a run is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Configuration `index` of `count` starts reading `images` images.
    Started {
        index: usize,
        count: usize,
        priors: &'a PriorSet,
        images: usize,
    },
    /// Images done so far in the configuration.
    Done(usize),
    /// The configuration is read.
    Finished,
}

/// An error of a hook, handed back by [`audit`] as it is.
pub type HookError = Box<dyn std::error::Error + Send + Sync>;

/// What the caller wants to see while the audit runs. The default sees nothing.
#[derive(Default)]
pub struct AuditHooks<'a> {
    pub progress: Option<&'a mut (dyn FnMut(Progress<'_>) + Send)>,
    /// Called with every GT row (matched or skipped object) of the first configuration, in
    /// file order; an error stops the audit.
    pub gt_rows: Option<&'a mut (dyn FnMut(GtRow) -> Result<(), HookError> + Send)>,
}

/// Why an audit stopped.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// No prior configuration was given.
    #[error("no prior configuration to audit")]
    NoPriors,
    /// A hook failed (e.g. writing a GT row).
    #[error(transparent)]
    Hook(HookError),
}

/// Runs the audit for each prior set: the dataset is read once per configuration; the dataset
/// summary (and the GT rows) come from the first. `setup`'s engine gives everything but the
/// priors.
pub fn audit(
    setup: &Setup,
    prior_sets: &[Arc<PriorSet>],
    options: &AuditOptions,
    mut hooks: AuditHooks<'_>,
) -> Result<AuditReport, AuditError> {
    if prior_sets.is_empty() {
        return Err(AuditError::NoPriors);
    }
    let mut dataset = None;
    let mut configurations = Vec::new();
    // Only the first configuration's rows are handed on.
    let mut gt_rows = hooks.gt_rows.take();
    for (index, priors) in prior_sets.iter().enumerate() {
        let first = index == 0;
        if let Some(p) = hooks.progress.as_mut() {
            p(Progress::Started {
                index,
                count: prior_sets.len(),
                priors,
                images: setup.listing.entries.len(),
            });
        }
        let (ds, report) = audit_configuration(
            setup,
            priors,
            options,
            first,
            &mut hooks.progress,
            gt_rows.take(),
        )?;
        if let Some(p) = hooks.progress.as_mut() {
            p(Progress::Finished);
        }
        if ds.is_some() {
            dataset = ds;
        }
        configurations.push(report);
    }
    Ok(AuditReport {
        tool: "ssd-assign".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        dataset: dataset.unwrap_or_default(),
        configurations,
    })
}

/// Reads the dataset with one prior set: its assignment report and, for the `first`
/// configuration, the dataset summary (images are checked then, and the GT rows handed to
/// `gt_rows`).
fn audit_configuration(
    setup: &Setup,
    priors: &Arc<PriorSet>,
    options: &AuditOptions,
    first: bool,
    progress: &mut Option<&mut (dyn FnMut(Progress<'_>) + Send)>,
    mut gt_rows_hook: Option<&mut (dyn FnMut(GtRow) -> Result<(), HookError> + Send)>,
) -> Result<(Option<DatasetSummary>, AssignmentReport), AuditError> {
    let engine = &Engine {
        priors: priors.clone(),
        // Images are checked once, with the first configuration.
        check_images: options.check_images && first,
        ..setup.engine.clone()
    };
    let mut ds = first.then(|| DatasetTally::new(&setup.listing));
    let mut tally = AssignmentTally::new(&engine.priors, &engine.params, &engine.labels);
    tally.keep_examples(options.examples);
    if options.object_shapes {
        tally.keep_object_shapes();
    }
    tally.keep_gallery(options.gallery);
    let shapes = PriorShapes::new(&engine.priors);
    engine.run(
        &setup.listing.entries,
        setup.jobs,
        |done| {
            if let Some(p) = progress.as_mut() {
                p(Progress::Done(done));
            }
        },
        |o| -> Result<(), AuditError> {
            if let Some(ds) = ds.as_mut() {
                ds.add(o.as_ref());
            }
            if let Ok(r) = &o {
                tally.add(r);
                if let Some(hook) = gt_rows_hook.as_mut() {
                    for row in gt_rows(r, &shapes) {
                        hook(row).map_err(AuditError::Hook)?;
                    }
                }
            }
            Ok(())
        },
    )?;
    let dataset = ds.map(|ds| ds.finish(&engine.labels));
    Ok((dataset, tally.finish(options.worst, options.max_unmatched)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::{setup, DatasetSpec};

    fn voc_mini() -> Setup {
        let spec = DatasetSpec::new(vec!["fixtures/voc-mini".into()]);
        let priors = Arc::new(PriorSet::tiny_detector());
        setup(&spec, priors, Default::default(), Default::default()).expect("fixtures list")
    }

    /// The library's audit with default options is the command line's JSON report (the
    /// snapshot `ssd-assign audit fixtures/voc-mini --format json` is checked against).
    #[test]
    fn default_audit_is_the_cli_json_snapshot() {
        let setup = voc_mini();
        let priors = [setup.engine.priors.clone()];
        let report = audit(
            &setup,
            &priors,
            &AuditOptions::default(),
            AuditHooks::default(),
        )
        .expect("audit runs");
        let json = serde_json::to_string_pretty(&report).unwrap() + "\n";
        let snapshot = std::fs::read_to_string("tests/snapshots/audit-voc-mini.json").unwrap();
        assert_eq!(json, snapshot);
    }

    /// The hooks see each configuration start, progress up to every image and finish, and the
    /// GT rows of the first configuration only; a hook's error stops the audit.
    #[test]
    fn hooks_see_progress_and_the_first_configuration_rows() {
        let setup = voc_mini();
        let sets = [
            setup.engine.priors.clone(),
            Arc::new(crate::priors::resolve("ssd300").unwrap()),
        ];
        let mut events = Vec::new();
        let mut progress = |p: Progress<'_>| {
            events.push(match p {
                Progress::Started { index, count, .. } => format!("start {index}/{count}"),
                Progress::Done(n) => format!("done {n}"),
                Progress::Finished => "finished".into(),
            })
        };
        let mut rows = Vec::new();
        let mut keep = |row: GtRow| -> Result<(), HookError> {
            rows.push(row.image_id);
            Ok(())
        };
        let hooks = AuditHooks {
            progress: Some(&mut progress),
            gt_rows: Some(&mut keep),
        };
        let report = audit(&setup, &sets, &AuditOptions::default(), hooks).unwrap();
        assert_eq!(report.configurations.len(), 2);
        // voc-mini: 8 images (one batch), 16 matched objects and 1 of an unknown class.
        assert_eq!(
            events,
            [
                "start 0/2",
                "done 8",
                "finished",
                "start 1/2",
                "done 8",
                "finished"
            ]
        );
        assert_eq!(rows.len(), 17);

        let mut fail = |_: GtRow| -> Result<(), HookError> { Err("disk full".into()) };
        let hooks = AuditHooks {
            progress: None,
            gt_rows: Some(&mut fail),
        };
        let e = audit(&setup, &sets, &AuditOptions::default(), hooks).unwrap_err();
        assert_eq!(e.to_string(), "disk full");
        assert!(matches!(
            audit(&setup, &[], &AuditOptions::default(), AuditHooks::default()),
            Err(AuditError::NoPriors)
        ));
    }
}
