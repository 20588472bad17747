//! The audit: folding per-image results into the dataset report, and rendering it.
//!
//! [`DatasetTally`] counts what reading found (independent of the priors); [`AssignmentTally`]
//! counts what matching did for one prior configuration. Both are fed results in image order and
//! keep only compact per-GT records, so memory grows with the number of objects, not with
//! images x priors.

pub mod findings;
mod gallery_cases;
pub mod gt_rows;
pub mod shapes;
pub mod text;
pub mod verdict;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::assign::MatchParams;
use crate::findings::{Category, FindingKind};
use crate::geometry::CenterSize;
use crate::pipeline::{FileError, ImageResult};
use crate::priors::PriorSet;
use crate::voc::dataset::Listing;
use crate::voc::LabelMap;
use crate::voc::SkipReason;
use findings::{Finding, FindingGroup, FindingTally};
use gt_rows::{GtStatus, PriorShapes};

/// Coverage thresholds reported.
pub const COVERAGE_AT: [f32; 3] = [0.3, 0.5, 0.7];

/// The coverage the comparison of configurations shows (one of [`COVERAGE_AT`]).
pub const COVERAGE_HEADLINE: f32 = 0.5;

const _: () = assert!(
    position_in(&COVERAGE_AT, COVERAGE_HEADLINE).is_some(),
    "COVERAGE_HEADLINE must be one of COVERAGE_AT"
);

const fn position_in(thresholds: &[f32], t: f32) -> Option<usize> {
    let mut k = 0;
    while k < thresholds.len() {
        if thresholds[k] == t {
            return Some(k);
        }
        k += 1;
    }
    None
}

/// The share of a group's GTs whose best IoU reaches each of [`COVERAGE_AT`], in its order.
/// Serialises as a map keyed by the threshold with one decimal (`{"0.3": ..., "0.5": ...}`),
/// keys in lexical order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coverage(pub [Rate; COVERAGE_AT.len()]);

impl Coverage {
    /// The rate at `t`, which must be one of [`COVERAGE_AT`] (a compile-time constant
    /// everywhere it is called).
    pub fn at(&self, t: f32) -> &Rate {
        let k = position_in(&COVERAGE_AT, t)
            .unwrap_or_else(|| panic!("coverage at {t} is not reported (COVERAGE_AT)"));
        &self.0[k]
    }

    /// Each threshold of [`COVERAGE_AT`] with its rate.
    pub fn iter(&self) -> impl Iterator<Item = (f32, &Rate)> {
        COVERAGE_AT.iter().copied().zip(&self.0)
    }
}

impl Serialize for Coverage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keyed: BTreeMap<String, &Rate> =
            self.iter().map(|(t, r)| (format!("{t:.1}"), r)).collect();
        keyed.serialize(s)
    }
}

/// Size buckets on `sqrt(w * h)` of the normalised box.
pub const SIZE_BUCKETS: [(&str, f32, f32); 3] = [
    ("small (<0.1)", 0.0, 0.1),
    ("medium (0.1-0.3)", 0.1, 0.3),
    ("large (>=0.3)", 0.3, f32::INFINITY),
];

/// Aspect-ratio buckets on `w / h` of the normalised box (what the priors see).
pub const ASPECT_BUCKETS: [(&str, f32, f32); 5] = [
    ("tall (<1/3)", 0.0, 1.0 / 3.0),
    ("portrait (1/3-2/3)", 1.0 / 3.0, 2.0 / 3.0),
    ("square (2/3-3/2)", 2.0 / 3.0, 1.5),
    ("landscape (3/2-3)", 1.5, 3.0),
    ("wide (>=3)", 3.0, f32::INFINITY),
];

/// Positives-per-GT histogram bins (inclusive ranges).
pub const POSITIVE_BINS: [(&str, u32, u32); 6] = [
    ("0", 0, 0),
    ("1", 1, 1),
    ("2", 2, 2),
    ("3-5", 3, 5),
    ("6-10", 6, 10),
    (">10", 11, u32::MAX),
];

fn bucket_of(buckets: &[(&str, f32, f32)], v: f32) -> usize {
    buckets
        .iter()
        .position(|&(_, lo, hi)| v >= lo && v < hi)
        .unwrap_or(buckets.len() - 1)
}

/// A count out of a total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    pub count: u64,
    pub total: u64,
    pub rate: f64,
}

impl Rate {
    pub fn new(count: u64, total: u64) -> Rate {
        Rate {
            count,
            total,
            rate: if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            },
        }
    }
}

/// An unknown class name with its count and a close known name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownClass {
    pub name: String,
    pub count: u64,
    pub did_you_mean: Option<String>,
}

/// What reading the dataset found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DatasetSummary {
    pub sources: Vec<String>,
    /// Annotation files listed.
    pub files: u64,
    /// Images read and matched (files minus rejected).
    pub images: u64,
    pub images_without_objects: u64,
    /// Objects kept for matching.
    pub objects: u64,
    pub objects_per_class: BTreeMap<String, u64>,
    pub difficult: u64,
    /// Kept objects extending outside the image (not clipped unless --clip).
    pub objects_outside_image: u64,
    pub sizes_from_image: u64,
    pub skipped_unknown_class: Vec<UnknownClass>,
    pub skipped_unknown_class_total: u64,
    pub skipped_difficult: u64,
    /// Objects left out of matching because their box or fields are unusable.
    pub skipped_invalid: u64,
    /// Files left out (listing problems and files that could not be read).
    pub files_rejected: u64,
    /// Files named `.xml` that are not annotations (macOS `._*` files), skipped.
    pub files_ignored: u64,
    pub warnings: u64,
    /// Images whose header was read (`--check-images`; 0 when not asked).
    pub images_checked: u64,
    /// What `--check-images` found.
    pub image_findings: u64,
    /// Every finding, one group per kind, in report order (see [`findings::FindingGroup`]).
    pub findings: Vec<FindingGroup>,
}

impl DatasetSummary {
    /// Objects, files and images rejected (not counting unknown classes, which the label map
    /// filters on purpose, warnings, ignored files, nor images whose bytes are another format
    /// than their extension says, which loaders that sniff the content read fine).
    pub fn rejected(&self) -> u64 {
        self.findings
            .iter()
            .filter(|g| g.kind.is_rejection())
            .map(|g| g.count)
            .sum()
    }

    /// The group of `kind`, if any finding is of it.
    pub fn group(&self, kind: FindingKind) -> Option<&FindingGroup> {
        self.findings.iter().find(|g| g.kind == kind)
    }

    /// Number of findings of `kind`.
    pub fn count(&self, kind: FindingKind) -> u64 {
        self.group(kind).map_or(0, |g| g.count)
    }
}

/// Accumulates the dataset summary.
#[derive(Debug, Default)]
pub struct DatasetTally {
    summary: DatasetSummary,
    unknown: BTreeMap<String, u64>,
    findings: FindingTally,
    /// Numbers the files for the findings' file counts (listing findings count apart).
    file: u64,
}

impl DatasetTally {
    pub fn new(listing: &Listing) -> Self {
        let mut t = DatasetTally::default();
        t.summary.sources = listing.sources.clone();
        let lists = [&listing.problems, &listing.warnings, &listing.ignored];
        for p in lists.into_iter().flatten() {
            t.file += 1;
            t.findings.add(
                t.file,
                Finding {
                    kind: p.kind,
                    path: p.path.display().to_string(),
                    line: 0,
                    column: 0,
                    object_index: None,
                    class: None,
                    message: p.message.clone(),
                },
            );
        }
        t
    }

    pub fn add(&mut self, outcome: Result<&ImageResult, &FileError>) {
        self.file += 1;
        let file = self.file;
        let s = &mut self.summary;
        s.files += 1;
        let r = match outcome {
            Ok(r) => r,
            Err(e) => {
                self.findings.add(
                    file,
                    Finding {
                        kind: e.kind,
                        path: e.path.display().to_string(),
                        line: e.line,
                        column: e.column,
                        object_index: None,
                        class: None,
                        message: e.message.clone(),
                    },
                );
                return;
            }
        };
        let a = &r.annotation;
        s.images += 1;
        if a.objects.is_empty() {
            s.images_without_objects += 1;
        }
        if a.size_source == crate::voc::SizeSource::Image {
            s.sizes_from_image += 1;
        }
        for o in &a.objects {
            s.objects += 1;
            match s.objects_per_class.get_mut(&o.name) {
                Some(n) => *n += 1,
                None => {
                    s.objects_per_class.insert(o.name.clone(), 1);
                }
            }
            s.difficult += o.difficult as u64;
            s.objects_outside_image += o.outside as u64;
        }
        self.add_findings(file, r);
    }

    /// The findings of one read file: skipped objects, warnings, image checks.
    fn add_findings(&mut self, file: u64, r: &ImageResult) {
        // Formatted only for the files that have something to report.
        let path = || r.xml.display().to_string();
        let a = &r.annotation;
        let s = &mut self.summary;
        for k in &a.skipped {
            if let SkipReason::UnknownClass = &k.reason {
                *self
                    .unknown
                    .entry(k.name.clone().unwrap_or_default())
                    .or_default() += 1
            } else if let SkipReason::Difficult = &k.reason {
                s.skipped_difficult += 1;
            }
            if let Some(kind) = k.finding_kind() {
                self.findings.add(
                    file,
                    Finding {
                        kind,
                        path: path(),
                        line: k.line,
                        column: k.column,
                        object_index: Some(k.index_in_file),
                        class: k.name.clone(),
                        message: k.to_string(),
                    },
                );
            }
        }
        for w in &a.warnings {
            self.findings.add(
                file,
                Finding {
                    kind: w.kind,
                    path: path(),
                    line: w.line,
                    column: w.column,
                    object_index: w.object,
                    // Kept objects are in file order: found by binary search (a crowded file
                    // may warn about every one of its objects).
                    class: w
                        .object
                        .and_then(|i| a.objects.binary_search_by_key(&i, |o| o.index_in_file).ok())
                        .map(|k| a.objects[k].name.clone()),
                    message: w.message.clone(),
                },
            );
        }
        if let Some(check) = &r.image_check {
            s.images_checked += 1;
            for f in &check.findings {
                self.findings.add(
                    file,
                    Finding {
                        kind: f.kind(),
                        path: path(),
                        line: 0,
                        column: 0,
                        object_index: None,
                        class: None,
                        message: f.to_string(),
                    },
                );
            }
        }
    }

    pub fn finish(mut self, labels: &LabelMap) -> DatasetSummary {
        let mut unknown: Vec<UnknownClass> = self
            .unknown
            .into_iter()
            .map(|(name, count)| UnknownClass {
                did_you_mean: labels.suggest(&name).map(str::to_string),
                name,
                count,
            })
            .collect();
        unknown.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        let s = &mut self.summary;
        s.skipped_unknown_class_total = unknown.iter().map(|u| u.count).sum();
        s.skipped_unknown_class = unknown;
        s.findings = self.findings.finish();
        let of = |c: Category| -> u64 {
            s.findings
                .iter()
                .filter(|g| g.category == c)
                .map(|g| g.count)
                .sum()
        };
        let (rejected, invalid, ignored, warnings, images) = (
            of(Category::FileRejected),
            of(Category::ObjectInvalid),
            of(Category::FileIgnored),
            of(Category::Warning),
            of(Category::ImageCheck),
        );
        s.files_rejected = rejected;
        s.skipped_invalid = invalid;
        s.files_ignored = ignored;
        s.warnings = warnings;
        s.image_findings = images;
        self.summary
    }
}

/// Figures of one group of GTs, accumulated one record at a time.
#[derive(Debug, Clone, Copy, Default)]
struct GroupAcc {
    n: u64,
    unmatched: u64,
    forced_only: u64,
    lost: u64,
    covered: [u64; COVERAGE_AT.len()],
    /// Sum of positives, added in dataset order.
    positives: f64,
}

impl GroupAcc {
    fn add(&mut self, r: &GtRecord) {
        self.n += 1;
        self.unmatched += u64::from(r.positives == 0);
        self.forced_only += u64::from(r.forced_only && r.positives > 0);
        self.lost += u64::from(r.lost);
        for (c, &t) in self.covered.iter_mut().zip(&COVERAGE_AT) {
            *c += u64::from(r.best_iou >= t);
        }
        self.positives += r.positives as f64;
    }

    fn mean_positives(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.positives / self.n as f64
        }
    }

    fn stats(&self, name: String) -> GroupStats {
        let n = self.n;
        GroupStats {
            group: name,
            gts: n,
            unmatched: Rate::new(self.unmatched, n),
            forced_only: Rate::new(self.forced_only, n),
            lost_collision: Rate::new(self.lost, n),
            mean_positives: self.mean_positives(),
            coverage: Coverage(self.covered.map(|c| Rate::new(c, n))),
        }
    }
}

/// Best IoU with the priors next to best IoU with a shape at the GT's centre, accumulated.
#[derive(Debug, Clone, Copy, Default)]
struct SvgAcc {
    n: u64,
    best_iou: f64,
    shape_iou: f64,
    lost_to_grid: u64,
    shapes_do_not_fit: u64,
}

impl SvgAcc {
    fn add(&mut self, r: &GtRecord, threshold: f32) {
        self.n += 1;
        self.best_iou += r.best_iou as f64;
        self.shape_iou += r.shape_iou as f64;
        self.lost_to_grid += u64::from(r.shape_iou >= threshold && r.best_iou < threshold);
        self.shapes_do_not_fit += u64::from(r.shape_iou < threshold);
    }

    fn row(&self, name: String) -> ShapeVsGridRow {
        let mean = |sum: f64| {
            if self.n == 0 {
                0.0
            } else {
                sum / self.n as f64
            }
        };
        ShapeVsGridRow {
            group: name,
            gts: self.n,
            mean_best_iou: mean(self.best_iou),
            mean_shape_iou: mean(self.shape_iou),
            lost_to_grid: self.lost_to_grid,
            shapes_do_not_fit: self.shapes_do_not_fit,
        }
    }
}

/// Every grouping of the assignment report.
#[derive(Debug, Clone)]
struct Groups {
    overall: GroupAcc,
    /// Indexed by label (labels past the end count in the last).
    by_class: Vec<GroupAcc>,
    by_size: [GroupAcc; SIZE_BUCKETS.len()],
    by_aspect: [GroupAcc; ASPECT_BUCKETS.len()],
    svg: SvgAcc,
    svg_by_size: [SvgAcc; SIZE_BUCKETS.len()],
    histogram: [u64; 10],
    positive_bins: [u64; POSITIVE_BINS.len()],
    /// GTs by their number of positives (for the median).
    positives_count: Vec<u64>,
    at_threshold: u64,
}

impl Groups {
    fn new(labels: usize) -> Self {
        Groups {
            overall: GroupAcc::default(),
            by_class: vec![GroupAcc::default(); labels],
            by_size: Default::default(),
            by_aspect: Default::default(),
            svg: SvgAcc::default(),
            svg_by_size: Default::default(),
            histogram: [0; 10],
            positive_bins: [0; POSITIVE_BINS.len()],
            positives_count: Vec::new(),
            at_threshold: 0,
        }
    }

    /// `shape`: the GT's centre form, for its size and aspect buckets.
    fn add(&mut self, r: &GtRecord, shape: &CenterSize, threshold: f32) {
        self.overall.add(r);
        let class = (r.label as usize).min(self.by_class.len() - 1);
        self.by_class[class].add(r);
        let size = bucket_of(&SIZE_BUCKETS, (shape.w * shape.h).sqrt());
        self.by_size[size].add(r);
        self.by_aspect[bucket_of(&ASPECT_BUCKETS, shape.w / shape.h)].add(r);
        self.svg.add(r, threshold);
        self.svg_by_size[size].add(r, threshold);
        self.histogram[((r.best_iou * 10.0) as usize).min(9)] += 1;
        for (c, (_, lo, hi)) in self.positive_bins.iter_mut().zip(POSITIVE_BINS) {
            *c += u64::from(r.positives >= lo && r.positives <= hi);
        }
        let p = r.positives as usize;
        if self.positives_count.len() <= p {
            self.positives_count.resize(p + 1, 0);
        }
        self.positives_count[p] += 1;
        self.at_threshold += u64::from(r.best_iou >= threshold);
    }

    /// The number of positives of the GT at `rank` (0-based) in increasing order.
    fn positives_at_rank(&self, rank: u64) -> u32 {
        let mut seen = 0;
        for (p, &c) in self.positives_count.iter().enumerate() {
            seen += c;
            if seen > rank {
                return p as u32;
            }
        }
        0
    }
}

/// A list that grows in fixed-size chunks: a push never moves what is stored. (A `Vec` of a
/// million GT records grows by copying itself into one twice as large, holding both for a
/// moment: the crowded benchmark set's peak memory.)
#[derive(Debug, Clone)]
struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Chunked<T> {
    const CHUNK: usize = 1 << 14;

    fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    fn push(&mut self, v: T) {
        if self.len % Self::CHUNK == 0 {
            self.chunks.push(Vec::with_capacity(Self::CHUNK));
        }
        self.chunks.last_mut().expect("a chunk with room").push(v);
        self.len += 1;
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl<T> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        &self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }
}

/// Compact record of one matched GT.
#[derive(Debug, Clone, Copy)]
struct GtRecord {
    image: u32,
    object_index: u32,
    label: u32,
    pixel: [f64; 4],
    best_iou: f32,
    shape_iou: f32,
    positives: u32,
    forced_only: bool,
    lost: bool,
}

/// Counts for one group of GTs (all, a class, a size or aspect bucket).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupStats {
    pub group: String,
    pub gts: u64,
    pub unmatched: Rate,
    pub forced_only: Rate,
    pub lost_collision: Rate,
    pub mean_positives: f64,
    /// Share of GTs whose best IoU reaches each of [`COVERAGE_AT`].
    pub coverage: Coverage,
}

/// Best IoU with the real priors next to best IoU with a prior shape at the GT's own centre.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapeVsGrid {
    pub mean_best_iou: f64,
    pub mean_shape_iou: f64,
    /// Shapes fit (shape IoU >= threshold) but no prior reaches the threshold: lost to grid
    /// spacing.
    pub lost_to_grid: Rate,
    /// No prior shape reaches the threshold even at the GT's own centre: the scales or aspect
    /// ratios do not fit.
    pub shapes_do_not_fit: Rate,
    pub by_size: Vec<ShapeVsGridRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShapeVsGridRow {
    pub group: String,
    pub gts: u64,
    pub mean_best_iou: f64,
    pub mean_shape_iou: f64,
    pub lost_to_grid: u64,
    pub shapes_do_not_fit: u64,
}

/// Negatives and the hard-negative budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NegativeStats {
    pub positives: u64,
    pub negatives: u64,
    /// Sum over images of min(ratio * positives, negatives).
    pub hard_negative_budget: u64,
    pub neg_pos_ratio: u32,
    pub negatives_per_image_mean: f64,
    pub negatives_per_image_min: u64,
    pub negatives_per_image_max: u64,
    pub positives_per_image_mean: f64,
    /// Images where ratio * positives exceeds the negatives available.
    pub images_budget_exceeds_negatives: u64,
    /// Images with no positive prior: they contribute no negatives to the loss at all.
    pub images_without_negatives: u64,
}

/// One bin of the best-IoU histogram.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistogramBin {
    pub lo: f32,
    pub hi: f32,
    pub count: u64,
}

/// A GT worth opening: low best IoU, or no positive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorstCase {
    pub path: String,
    pub image_id: String,
    pub object_index: u32,
    pub class: String,
    /// xmin, ymin, xmax, ymax as written.
    pub pixel_box: [f64; 4],
    pub best_iou: f32,
    pub shape_iou: f32,
    pub positives: u32,
    pub status: GtStatus,
}

/// The prior configuration and matching settings of one report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigSummary {
    pub priors: String,
    pub num_priors: usize,
    pub threshold: f32,
    pub collision: crate::assign::CollisionPolicy,
    pub neg_pos_ratio: u32,
}

/// What matching did, for one prior configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssignmentReport {
    pub config: ConfigSummary,
    pub gts: u64,
    pub positives_per_gt: BTreeMap<String, u64>,
    pub positives_per_gt_mean: f64,
    pub positives_per_gt_median: f64,
    pub overall: GroupStats,
    pub by_class: Vec<GroupStats>,
    pub by_size: Vec<GroupStats>,
    pub by_aspect: Vec<GroupStats>,
    pub best_iou_histogram: Vec<HistogramBin>,
    pub shape_vs_grid: ShapeVsGrid,
    pub negatives: NegativeStats,
    /// Share of GTs whose best IoU reaches the matching threshold.
    pub coverage_at_threshold: Rate,
    /// The lowest-best-IoU GTs, then every other unmatched GT.
    pub worst_cases: Vec<WorstCase>,
    /// Unmatched GTs left out of `worst_cases` by `--max-unmatched` (the GT table lists all).
    pub unmatched_not_listed: u64,
    /// The objects the matching fails, one group per kind (unmatched, lost collision,
    /// forced-only: the figures of `overall`), each with its first examples in dataset order.
    pub objects_to_look_at: Vec<LookAtGroup>,
    /// The objects' (w, h), binned, and the prior shapes: only when the tally was asked to
    /// keep them (`audit --html`). Not serialised: the JSON report is the same either way.
    #[serde(skip)]
    pub object_shapes: Option<shapes::ObjectShapes>,
    /// One case per image for a gallery of pictures, worst first: only when the tally was asked
    /// ([`AssignmentTally::keep_gallery`], `audit --html`). Not serialised.
    #[serde(skip)]
    pub gallery_cases: Vec<WorstCase>,
}

/// Objects the matching fails in one way, with examples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookAtGroup {
    /// `unmatched`, `lost_collision` or `forced_only`.
    pub kind: &'static str,
    pub count: u64,
    pub title: &'static str,
    pub meaning: &'static str,
    pub fix: &'static str,
    /// The first ones in dataset order (`--examples N`; `--gt-csv` lists every object).
    pub examples: Vec<WorstCase>,
}

/// The kinds of [`LookAtGroup`]: name, title, meaning, fix.
pub const LOOK_AT: [(&str, &str, &str, &str); 3] = [
    (
        "unmatched",
        "have no positive prior",
        "the model never learns them",
        "with the reference's matching only a lost collision does this: --collision optimal \
         shows what a one-to-one forced match keeps; denser priors near them help",
    ),
    (
        "lost_collision",
        "lost their forced prior to a later object in the same file",
        "they keep only positives above the threshold, if any",
        "--collision optimal gives every object a forced prior of its own; more priors where \
         objects crowd help",
    ),
    (
        "forced_only",
        "learn only from their forced prior, whose IoU is below the threshold",
        "they train on a poorly fitting prior",
        "prior scales and aspect ratios that fit them (see shape vs grid)",
    ),
];

/// Examples kept per [`LookAtGroup`] unless told otherwise.
pub const DEFAULT_EXAMPLES: usize = 3;

/// Accumulates the assignment report of one configuration.
#[derive(Debug)]
pub struct AssignmentTally {
    shapes: PriorShapes,
    config: ConfigSummary,
    /// Names the classes in the report.
    labels: LabelMap,
    records: Chunked<GtRecord>,
    images: Vec<(String, PathBuf)>,
    /// The report's groupings, accumulated as GTs arrive (in dataset order, so every sum is
    /// the one a pass over the records would give): the serial work after the parallel run is
    /// then only the worst-case selection.
    groups: Groups,
    positives: u64,
    negatives: u64,
    budget: u64,
    neg_min: u64,
    neg_max: u64,
    matched_images: u64,
    budget_exceeds: u64,
    no_positive_images: u64,
    /// Examples to keep per [`LookAtGroup`].
    examples: usize,
    /// Record indices of the first unmatched, lost-collision and forced-only GTs.
    look_at: [Vec<u32>; 3],
    /// Some list of `look_at` still wants examples.
    look_at_open: bool,
    /// The objects' (w, h), only when asked ([`Self::keep_object_shapes`]).
    object_shapes: Option<shapes::ShapeTally>,
    /// Cases kept for a gallery ([`Self::keep_gallery`]; 0: none).
    gallery: usize,
}

impl AssignmentTally {
    /// Keeps `n` examples per group of objects to look at (default [`DEFAULT_EXAMPLES`]).
    pub fn keep_examples(&mut self, n: usize) {
        self.examples = n;
        self.look_at_open = self.look_at.iter().any(|l| l.len() < n);
    }

    /// A tally for matching with `priors` and `params`; `labels` names the classes.
    pub fn new(priors: &PriorSet, params: &MatchParams, labels: &LabelMap) -> Self {
        AssignmentTally {
            shapes: PriorShapes::new(priors),
            config: ConfigSummary {
                priors: priors.name().to_string(),
                num_priors: priors.len(),
                threshold: params.threshold,
                collision: params.collision,
                neg_pos_ratio: params.neg_pos_ratio,
            },
            labels: labels.clone(),
            records: Chunked::new(),
            images: Vec::new(),
            groups: Groups::new(labels.num_labels().max(1)),
            positives: 0,
            negatives: 0,
            budget: 0,
            neg_min: u64::MAX,
            neg_max: 0,
            matched_images: 0,
            budget_exceeds: 0,
            no_positive_images: 0,
            examples: DEFAULT_EXAMPLES,
            look_at: Default::default(),
            look_at_open: true,
            object_shapes: None,
            gallery: 0,
        }
    }

    /// Also keeps the objects' normalised (w, h), binned ([`AssignmentReport::object_shapes`]:
    /// the HTML page's scatter). Off by default: the text and JSON reports do not show it.
    pub fn keep_object_shapes(&mut self) {
        self.object_shapes = Some(shapes::ShapeTally::new());
    }

    /// Also lists, in the report's `gallery_cases`, the worst object of each of the `n` worst
    /// images (a gallery of pictures draws them). Off by default; the JSON and text reports are
    /// the same either way.
    pub fn keep_gallery(&mut self, n: usize) {
        self.gallery = n;
    }

    pub fn add(&mut self, r: &ImageResult) {
        let image = self.images.len() as u32;
        self.images.push((r.id.clone(), r.xml.clone()));
        let m = &r.matching;
        for (o, g) in r.annotation.objects.iter().zip(&m.gts) {
            let c = o.corners.to_center();
            let record = GtRecord {
                image,
                object_index: o.index_in_file as u32,
                label: o.label,
                pixel: o.pixel,
                best_iou: g.best_iou,
                shape_iou: self.shapes.best_iou(&o.corners),
                positives: g.positives,
                forced_only: g.forced_only,
                lost: g.lost_collision,
            };
            self.groups.add(&record, &c, self.config.threshold);
            if let Some(t) = self.object_shapes.as_mut() {
                t.add(c.w, c.h, record.shape_iou >= self.config.threshold);
            }
            // One branch per GT, rarely taken once the examples are found.
            if (record.positives == 0 || record.lost || record.forced_only) && self.look_at_open {
                let failed = [
                    record.positives == 0,
                    record.lost,
                    record.forced_only && record.positives > 0,
                ];
                for (list, failed) in self.look_at.iter_mut().zip(failed) {
                    if failed && list.len() < self.examples {
                        list.push(self.records.len() as u32);
                    }
                }
                self.look_at_open = self.look_at.iter().any(|l| l.len() < self.examples);
            }
            self.records.push(record);
        }
        let pos = m.num_positives() as u64;
        let neg = m.num_negatives() as u64;
        let ratio = self.config.neg_pos_ratio as u64;
        self.matched_images += 1;
        self.positives += pos;
        self.negatives += neg;
        self.budget += m.hard_negative_budget(self.config.neg_pos_ratio) as u64;
        self.neg_min = self.neg_min.min(neg);
        self.neg_max = self.neg_max.max(neg);
        if pos == 0 {
            self.no_positive_images += 1;
        } else if ratio * pos > neg {
            self.budget_exceeds += 1;
        }
    }

    /// Builds the report; `worst` is how many lowest-IoU GTs to list, followed by the unmatched
    /// GTs not among them, at most `max_unmatched` of those (a crowded set can have hundreds of
    /// thousands; the GT table lists every one).
    pub fn finish(mut self, worst: usize, max_unmatched: usize) -> AssignmentReport {
        let g = &self.groups;
        let n = g.overall.n;
        let positives_per_gt = POSITIVE_BINS
            .iter()
            .zip(g.positive_bins)
            .map(|((name, _, _), c)| (name.to_string(), c))
            .collect();
        let (picked, unmatched_not_listed) = self.worst_case_order(worst, max_unmatched);
        let object_shapes = self
            .object_shapes
            .take()
            .map(|t| t.finish(self.shapes.shapes().to_vec(), self.config.threshold));
        let o = &g.overall;
        let objects_to_look_at = LOOK_AT
            .iter()
            .zip([o.unmatched, o.lost, o.forced_only])
            .zip(&self.look_at)
            .map(|(((kind, title, meaning, fix), count), ex)| LookAtGroup {
                kind,
                count,
                title,
                meaning,
                fix,
                examples: ex.iter().map(|&k| self.case(k as usize)).collect(),
            })
            .collect();
        AssignmentReport {
            gts: n,
            positives_per_gt,
            positives_per_gt_mean: g.overall.mean_positives(),
            positives_per_gt_median: g.median_positives(),
            overall: g.overall.stats("all".into()),
            by_class: self.by_class(),
            by_size: bucketed(&SIZE_BUCKETS, &g.by_size),
            by_aspect: bucketed(&ASPECT_BUCKETS, &g.by_aspect),
            best_iou_histogram: g.histogram(),
            shape_vs_grid: g.shape_vs_grid(),
            negatives: self.negatives(),
            coverage_at_threshold: Rate::new(g.at_threshold, n),
            worst_cases: picked.into_iter().map(|k| self.case(k)).collect(),
            unmatched_not_listed,
            objects_to_look_at,
            object_shapes,
            gallery_cases: self.gallery_cases(self.gallery),
            config: self.config,
        }
    }

    /// The classes that have GTs, in label order (background left out).
    fn by_class(&self) -> Vec<GroupStats> {
        self.groups
            .by_class
            .iter()
            .enumerate()
            .filter(|(label, acc)| *label > 0 && acc.n > 0)
            .map(|(label, acc)| {
                let name = self.labels.name(label as u32).unwrap_or("?");
                acc.stats(name.to_string())
            })
            .collect()
    }

    fn negatives(&self) -> NegativeStats {
        let images = self.matched_images.max(1) as f64;
        NegativeStats {
            positives: self.positives,
            negatives: self.negatives,
            hard_negative_budget: self.budget,
            neg_pos_ratio: self.config.neg_pos_ratio,
            negatives_per_image_mean: self.negatives as f64 / images,
            negatives_per_image_min: if self.matched_images == 0 {
                0
            } else {
                self.neg_min
            },
            negatives_per_image_max: self.neg_max,
            positives_per_image_mean: self.positives as f64 / images,
            images_budget_exceeds_negatives: self.budget_exceeds,
            images_without_negatives: self.no_positive_images,
        }
    }

    /// Record indices of the worst cases: the `worst` lowest best IoUs first (ties in dataset
    /// order), then the unmatched ones not already listed, in dataset order, at most
    /// `max_unmatched`; and how many unmatched were left out.
    fn worst_case_order(&self, worst: usize, max_unmatched: usize) -> (Vec<usize>, u64) {
        let by_iou = |a: &usize, b: &usize| {
            self.records[*a]
                .best_iou
                .total_cmp(&self.records[*b].best_iou)
                .then(a.cmp(b))
        };
        let mut order: Vec<usize> = (0..self.records.len()).collect();
        let k = worst.min(order.len());
        if k < order.len() {
            // Only the first `worst` need sorting: a selection, not a sort of every GT.
            order.select_nth_unstable_by(k, by_iou);
        }
        order[..k].sort_unstable_by(by_iou);
        let mut picked: Vec<usize> = order[..k].to_vec();
        let mut extra: Vec<usize> = order[k..]
            .iter()
            .copied()
            .filter(|&i| self.records[i].positives == 0)
            .collect();
        extra.sort_unstable();
        let unmatched_not_listed = extra.len().saturating_sub(max_unmatched) as u64;
        extra.truncate(max_unmatched);
        picked.extend(extra);
        (picked, unmatched_not_listed)
    }

    /// The worst-case row of record `k`.
    fn case(&self, k: usize) -> WorstCase {
        let r = &self.records[k];
        let (id, path) = &self.images[r.image as usize];
        WorstCase {
            path: path.display().to_string(),
            image_id: id.clone(),
            object_index: r.object_index,
            class: self.labels.name(r.label).unwrap_or("?").to_string(),
            pixel_box: r.pixel,
            best_iou: r.best_iou,
            shape_iou: r.shape_iou,
            positives: r.positives,
            status: GtStatus::of(r.positives, r.forced_only, r.lost),
        }
    }
}

/// One row per bucket, named by it.
fn bucketed(buckets: &[(&str, f32, f32)], accs: &[GroupAcc]) -> Vec<GroupStats> {
    accs.iter()
        .zip(buckets)
        .map(|(acc, (name, _, _))| acc.stats(name.to_string()))
        .collect()
}

impl Groups {
    /// The median number of positives per GT (the mean of the two middle ones for an even
    /// count; 0 without GTs).
    fn median_positives(&self) -> f64 {
        match self.overall.n {
            0 => 0.0,
            l => {
                let upper = self.positives_at_rank(l / 2) as f64;
                if l % 2 == 1 {
                    upper
                } else {
                    (self.positives_at_rank(l / 2 - 1) as f64 + upper) / 2.0
                }
            }
        }
    }

    fn histogram(&self) -> Vec<HistogramBin> {
        self.histogram
            .iter()
            .enumerate()
            .map(|(k, &count)| HistogramBin {
                lo: k as f32 / 10.0,
                hi: (k + 1) as f32 / 10.0,
                count,
            })
            .collect()
    }

    fn shape_vs_grid(&self) -> ShapeVsGrid {
        let n = self.overall.n;
        let overall = self.svg.row("all".into());
        ShapeVsGrid {
            mean_best_iou: overall.mean_best_iou,
            mean_shape_iou: overall.mean_shape_iou,
            lost_to_grid: Rate::new(overall.lost_to_grid, n),
            shapes_do_not_fit: Rate::new(overall.shapes_do_not_fit, n),
            by_size: self
                .svg_by_size
                .iter()
                .zip(&SIZE_BUCKETS)
                .map(|(acc, (name, _, _))| acc.row(name.to_string()))
                .collect(),
        }
    }
}

/// The whole audit: what reading found, and one assignment report per prior configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    pub tool: String,
    pub version: String,
    pub dataset: DatasetSummary,
    pub configurations: Vec<AssignmentReport>,
}

#[cfg(test)]
mod chunked_tests {
    use super::Chunked;

    #[test]
    fn chunked_list_indexes_across_chunk_boundaries() {
        let n = 3 * Chunked::<u64>::CHUNK + 5;
        let mut c = Chunked::new();
        for i in 0..n as u64 {
            c.push(i * 7);
        }
        assert_eq!(c.len(), n);
        for i in [
            0,
            1,
            Chunked::<u64>::CHUNK - 1,
            Chunked::<u64>::CHUNK,
            2 * Chunked::<u64>::CHUNK + 3,
            n - 1,
        ] {
            assert_eq!(c[i], i as u64 * 7);
        }
        assert_eq!(c.chunks.len(), 4);
    }
}

#[cfg(test)]
mod tally_tests;
