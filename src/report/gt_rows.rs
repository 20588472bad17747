//! The per-GT table (`audit --gt-csv`, `encode`'s `gts.csv`): one row per object of every
//! annotation file, matched or skipped, in file order.

use crate::geometry::{iou, CenterSize, Corners};
use crate::pipeline::ImageResult;
use crate::priors::PriorSet;
use crate::voc::SkipReason;

/// Outcome of one GT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GtStatus {
    /// At least one positive prior that reaches the threshold on its own.
    Matched,
    /// Its only positive is its forced prior, whose IoU is below the threshold.
    ForcedOnly,
    /// No positive prior at all: the model never learns this object.
    Unmatched,
    /// Lost its forced prior to a later GT but kept positives above the threshold.
    LostCollision,
    SkippedUnknownClass,
    SkippedInvalid,
    SkippedDifficult,
}

impl GtStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GtStatus::Matched => "matched",
            GtStatus::ForcedOnly => "forced_only",
            GtStatus::Unmatched => "unmatched",
            GtStatus::LostCollision => "lost_collision",
            GtStatus::SkippedUnknownClass => "skipped_unknown_class",
            GtStatus::SkippedInvalid => "skipped_invalid",
            GtStatus::SkippedDifficult => "skipped_difficult",
        }
    }

    /// Status of a matched GT from its counts.
    pub fn of(positives: u32, forced_only: bool, lost_collision: bool) -> GtStatus {
        if positives == 0 {
            GtStatus::Unmatched
        } else if lost_collision {
            GtStatus::LostCollision
        } else if forced_only {
            GtStatus::ForcedOnly
        } else {
            GtStatus::Matched
        }
    }
}

/// One row of the GT table. Empty cells (None) for what a skipped object does not have.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GtRow {
    pub image_id: String,
    /// Position among the file's `<object>` elements (0-based).
    pub object_index: usize,
    /// Position among the matched GTs of the image (the reference's GT index).
    pub gt_index: Option<usize>,
    pub class: String,
    pub label: Option<u32>,
    pub difficult: Option<u8>,
    /// Pixel box as written.
    pub xmin: Option<f64>,
    pub ymin: Option<f64>,
    pub xmax: Option<f64>,
    pub ymax: Option<f64>,
    /// Normalised box (after the coordinate shift and division by the image size).
    pub x1: Option<f32>,
    pub y1: Option<f32>,
    pub x2: Option<f32>,
    pub y2: Option<f32>,
    pub best_prior: Option<u32>,
    pub best_iou: Option<f32>,
    /// Best IoU with a prior shape placed at the GT's own centre (grid spacing removed).
    pub shape_iou: Option<f32>,
    pub positives: Option<u32>,
    pub collided: Option<u8>,
    pub status: GtStatus,
    /// Why a skipped object was skipped.
    pub reason: Option<String>,
}

/// The distinct prior shapes (w, h) of a prior set, for shape-only IoU.
#[derive(Debug, Clone)]
pub struct PriorShapes {
    shapes: Vec<(f32, f32)>,
}

impl PriorShapes {
    pub fn new(priors: &PriorSet) -> Self {
        let mut shapes: Vec<(f32, f32)> = priors.cxcy().iter().map(|c| (c.w, c.h)).collect();
        shapes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
        shapes.dedup();
        PriorShapes { shapes }
    }

    /// The distinct (w, h), by width then height.
    pub fn shapes(&self) -> &[(f32, f32)] {
        &self.shapes
    }

    /// Best IoU between `gt` and any prior shape centred on the GT's centre: what the GT would
    /// get if the grid had a cell exactly there.
    pub fn best_iou(&self, gt: &Corners) -> f32 {
        let c = gt.to_center();
        self.shapes
            .iter()
            .map(|&(w, h)| iou(gt, &CenterSize::new(c.cx, c.cy, w, h).to_corners()))
            .fold(0.0, f32::max)
    }
}

/// The rows of one image, in file order.
pub fn gt_rows(result: &ImageResult, shapes: &PriorShapes) -> Vec<GtRow> {
    let ann = &result.annotation;
    let mut rows = Vec::with_capacity(ann.objects.len() + ann.skipped.len());
    for (j, (o, g)) in ann.objects.iter().zip(&result.matching.gts).enumerate() {
        rows.push(GtRow {
            image_id: result.id.clone(),
            object_index: o.index_in_file,
            gt_index: Some(j),
            class: o.name.clone(),
            label: Some(o.label),
            difficult: Some(o.difficult as u8),
            xmin: Some(o.pixel[0]),
            ymin: Some(o.pixel[1]),
            xmax: Some(o.pixel[2]),
            ymax: Some(o.pixel[3]),
            x1: Some(o.corners.x1),
            y1: Some(o.corners.y1),
            x2: Some(o.corners.x2),
            y2: Some(o.corners.y2),
            best_prior: Some(g.best_prior),
            best_iou: Some(g.best_iou),
            shape_iou: Some(shapes.best_iou(&o.corners)),
            positives: Some(g.positives),
            collided: Some(g.lost_collision as u8),
            status: GtStatus::of(g.positives, g.forced_only, g.lost_collision),
            reason: None,
        });
    }
    for s in &ann.skipped {
        let (status, reason) = match &s.reason {
            SkipReason::UnknownClass => (GtStatus::SkippedUnknownClass, None),
            SkipReason::Invalid(r) => (GtStatus::SkippedInvalid, Some(r.to_string())),
            SkipReason::Difficult => (GtStatus::SkippedDifficult, None),
        };
        rows.push(GtRow {
            image_id: result.id.clone(),
            object_index: s.index_in_file,
            gt_index: None,
            class: s.name.clone().unwrap_or_default(),
            label: None,
            difficult: None,
            xmin: s.pixel.map(|p| p[0]),
            ymin: s.pixel.map(|p| p[1]),
            xmax: s.pixel.map(|p| p[2]),
            ymax: s.pixel.map(|p| p[3]),
            x1: None,
            y1: None,
            x2: None,
            y2: None,
            best_prior: None,
            best_iou: None,
            shape_iou: None,
            positives: None,
            collided: None,
            status,
            reason,
        });
    }
    rows.sort_by_key(|r| r.object_index);
    rows
}
