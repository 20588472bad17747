//! The verdict's data: the headline figures of a configuration and its likely causes, in
//! words. The text report (`report::text`) and the HTML page (`render::html`) both read them
//! from here, so the two say the same thing.

use super::{AssignmentReport, DatasetSummary, Rate};
use crate::findings::{Category, FindingKind};

/// One line of a configuration's verdict: a label, its figure and what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct VerdictLine {
    pub label: String,
    pub rate: Rate,
    pub says: String,
}

/// The verdict's lines of one configuration: never learned, forced-only, lost collision and
/// coverage at the matching threshold, in that order.
pub fn verdict_lines(a: &AssignmentReport) -> [VerdictLine; 4] {
    let o = &a.overall;
    let t = a.config.threshold;
    let line = |label: &str, rate: &Rate, says: String| VerdictLine {
        label: label.to_string(),
        rate: *rate,
        says,
    };
    [
        line(
            "never learned",
            &o.unmatched,
            "objects have no positive prior: the model never learns them".into(),
        ),
        line(
            "forced-only",
            &o.forced_only,
            "learn only from a forced prior below the threshold".into(),
        ),
        line(
            "lost collision",
            &o.lost_collision,
            "lost their forced prior to a later object".into(),
        ),
        line(
            &format!("coverage@{t}"),
            &a.coverage_at_threshold,
            format!("have a prior with IoU >= {t}"),
        ),
    ]
}

/// The two largest causes (of at least 1% each) of a configuration's losses, the
/// configuration's and the dataset's together, largest first (ties in the order of
/// [`assignment_causes`], then [`dataset_causes`]). Empty: none stands out.
pub fn likely_causes(a: &AssignmentReport, d: &DatasetSummary) -> Vec<Cause> {
    let mut causes = assignment_causes(a);
    causes.extend(dataset_causes(d));
    causes.sort_by(|x, y| y.share.total_cmp(&x.share));
    causes.retain(|c| c.share >= 0.01);
    causes.truncate(2);
    causes
}

#[derive(Debug, Clone, PartialEq)]
/// A likely cause of what the verdict reports, with the share of objects (or files) it
/// concerns.
pub struct Cause {
    /// The share of objects (or files) concerned, in [0, 1].
    pub share: f64,
    /// What it is, in words, with its figures.
    pub text: String,
}

fn pct_of(share: f64) -> String {
    format!("{:.1}%", 100.0 * share)
}

/// Causes that concern the dataset whatever the priors.
pub fn dataset_causes(d: &DatasetSummary) -> Vec<Cause> {
    let mut causes = Vec::new();
    let zero = d.group(FindingKind::ZeroBasedCoordinate);
    if let Some(g) = zero {
        let share = g.count as f64 / d.objects.max(1) as f64;
        // A few boxes at x = 0 are a labelling slip; many are an exporter's convention.
        if g.count >= 3 && share >= 0.005 {
            causes.push(Cause {
                share,
                text: format!(
                    "exporter looks 0-based: {} boxes in {} files have a coordinate of 0 and \
                     extend past the left/top edge; --coords zero-based reads them as such",
                    g.count, g.files
                ),
            });
        }
    }
    if d.files_rejected > 0 {
        let main = d
            .findings
            .iter()
            .filter(|g| g.category == Category::FileRejected)
            // The largest kind; the first of equal ones.
            .max_by(|a, b| a.count.cmp(&b.count).then(b.kind.cmp(&a.kind)))
            .expect("a rejected file has a group");
        let share = d.files_rejected as f64 / (d.images + d.files_rejected).max(1) as f64;
        causes.push(Cause {
            share,
            text: format!(
                "{} of files rejected ({} {}: {})",
                pct_of(share),
                main.count,
                main.title,
                main.fix
            ),
        });
    }
    if d.skipped_invalid > 0 {
        let share = d.skipped_invalid as f64 / (d.objects + d.skipped_invalid).max(1) as f64;
        causes.push(Cause {
            share,
            text: format!("{} of objects rejected as invalid", pct_of(share)),
        });
    }
    if d.skipped_unknown_class_total > 0 {
        let share = d.skipped_unknown_class_total as f64
            / (d.objects + d.skipped_unknown_class_total).max(1) as f64;
        causes.push(Cause {
            share,
            text: format!(
                "{} of objects have a class not in the label map (--classes auto or FILE?)",
                pct_of(share)
            ),
        });
    }
    causes
}

/// Causes that depend on the prior set.
pub fn assignment_causes(a: &AssignmentReport) -> Vec<Cause> {
    let s = &a.shape_vs_grid;
    let mut causes = vec![
        Cause {
            share: s.lost_to_grid.rate,
            text: format!(
                "{} lost to grid spacing (a prior shape fits them, but no prior is centred close \
                 enough: a finer grid helps)",
                pct_of(s.lost_to_grid.rate)
            ),
        },
        Cause {
            share: s.shapes_do_not_fit.rate,
            text: {
                let small = s.by_size.first().map_or(0, |r| r.shapes_do_not_fit);
                format!(
                    "{} fit no prior shape even at their centre ({} of them small): the scales \
                     or aspect ratios are wrong for them",
                    pct_of(s.shapes_do_not_fit.rate),
                    small
                )
            },
        },
    ];
    let lost = &a.overall.lost_collision;
    causes.push(Cause {
        share: lost.rate,
        text: format!(
            "{} lost a collision (--collision optimal keeps a forced prior for each)",
            pct_of(lost.rate)
        ),
    });
    causes
}

/// `1 file`, `2 files`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
