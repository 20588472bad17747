//! Prior (default) boxes: generation, storage and the spatial index used to skip priors that
//! cannot overlap a ground truth.
//!
//! A [`PriorSet`] holds every prior in centre form and in corner form, in the reference's index
//! order. It is made of [`PriorBlock`]s: one per feature map. A block laid out on a grid
//! (`index = start + (row * cols + col) * per_cell + t`) lets matching visit only the cells whose
//! priors can intersect a box; that is exact, not an approximation, because a prior that does not
//! intersect a box has IoU exactly 0 with it.

pub mod config;
pub mod presets;

use std::sync::Arc;

pub use config::{ConfigError, ExtraScale, FeatureMap, LoopOrder, PriorConfig, MAX_PRIORS};
pub use presets::{resolve, ResolveError, PRESETS};

use crate::geometry::{CenterSize, CornerColumns, Corners};

/// A generated prior set with its spatial index.
#[derive(Debug, Clone)]
pub struct PriorSet {
    name: String,
    config: Option<Arc<PriorConfig>>,
    cxcy: Vec<CenterSize>,
    corners: Vec<Corners>,
    /// The same corners, one array per coordinate (for the matcher's vectorised IoUs).
    columns: CornerColumns,
    areas: Vec<f32>,
    blocks: Vec<PriorBlock>,
    /// Smallest and largest prior area of each block, for [`PriorSet::for_each_candidate_pruned`].
    block_areas: Vec<(f32, f32)>,
}

/// A contiguous run of priors, with how to find the ones near a box.
#[derive(Debug, Clone)]
pub enum PriorBlock {
    /// Priors on a grid. `col_lo[c]` is the smallest `x1` and `col_hi[c]` the largest `x2` of the
    /// priors in column `c` (both non-decreasing in `c`), rows likewise on y.
    Grid {
        start: usize,
        rows: usize,
        cols: usize,
        per_cell: usize,
        col_lo: Vec<f32>,
        col_hi: Vec<f32>,
        row_lo: Vec<f32>,
        row_hi: Vec<f32>,
    },
    /// Priors with no known structure: every one is a candidate.
    Dense { start: usize, len: usize },
}

/// Layout of a block as generated: grid shape and number of priors per cell.
#[derive(Debug, Clone, Copy)]
pub struct GridLayout {
    pub rows: usize,
    pub cols: usize,
    pub per_cell: usize,
}

impl PriorSet {
    /// Generates the priors of `config` the way the SSD300 tutorial, Tiny-Detector and
    /// torchvision do: for each map, each row `i`, each column `j`, the centre
    /// `cx = (j + 0.5) / cols` (with a step: `(j + 0.5) / (image_width / step)`), `cy` likewise,
    /// then the cell's shapes ([`FeatureMap::shapes`]); all in f64, each value rounded to f32,
    /// then (with `clip`) `w` and `h` clamped to `[0, 1]`.
    pub fn from_config(config: &PriorConfig) -> PriorSet {
        let mut cxcy = Vec::with_capacity(config.num_priors());
        let mut layouts = Vec::with_capacity(config.feature_maps.len());
        for (k, map) in config.feature_maps.iter().enumerate() {
            let shapes: Vec<(f32, f32)> = map
                .shapes(config.next_scale(k))
                .into_iter()
                .map(|(w, h)| {
                    let (w, h) = (w as f32, h as f32);
                    if config.clip {
                        (w.clamp(0.0, 1.0), h.clamp(0.0, 1.0))
                    } else {
                        (w, h)
                    }
                })
                .collect();
            // Cells per image side along x and y: the grid itself, or image size / step.
            let (fx, fy) = match (map.step, config.image_size) {
                (Some(step), Some((iw, ih))) => (iw as f64 / step, ih as f64 / step),
                _ => (map.cols as f64, map.rows as f64),
            };
            for i in 0..map.rows {
                let cy = ((i as f64 + 0.5) / fy) as f32;
                for j in 0..map.cols {
                    let cx = ((j as f64 + 0.5) / fx) as f32;
                    for &(w, h) in &shapes {
                        cxcy.push(CenterSize::new(cx, cy, w, h));
                    }
                }
            }
            layouts.push(GridLayout {
                rows: map.rows as usize,
                cols: map.cols as usize,
                per_cell: shapes.len(),
            });
        }
        let mut set = PriorSet::from_cxcy(&config.name, cxcy, &layouts);
        set.config = Some(Arc::new(config.clone()));
        set
    }

    /// Builds a set from centre-form priors. `layouts` describes consecutive grid blocks (their
    /// sizes must add up to `cxcy.len()`, else the whole set is one dense block); a block whose
    /// extents are not monotonic along its grid is kept dense.
    pub fn from_cxcy(name: &str, cxcy: Vec<CenterSize>, layouts: &[GridLayout]) -> PriorSet {
        let corners: Vec<Corners> = cxcy.iter().map(CenterSize::to_corners).collect();
        let areas: Vec<f32> = corners.iter().map(Corners::area).collect();
        let total: usize = layouts.iter().map(|l| l.rows * l.cols * l.per_cell).sum();
        let mut blocks = Vec::new();
        if total == cxcy.len() && !layouts.is_empty() {
            let mut start = 0;
            for l in layouts {
                blocks.push(grid_block(&corners, start, *l));
                start += l.rows * l.cols * l.per_cell;
            }
        } else if !cxcy.is_empty() {
            blocks.push(PriorBlock::Dense {
                start: 0,
                len: cxcy.len(),
            });
        }
        let block_areas = blocks
            .iter()
            .map(|b| {
                let (start, len) = b.range();
                areas[start..start + len]
                    .iter()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &a| {
                        (lo.min(a), hi.max(a))
                    })
            })
            .collect();
        PriorSet {
            name: name.to_string(),
            config: None,
            cxcy,
            columns: CornerColumns::from_corners(&corners),
            corners,
            areas,
            blocks,
            block_areas,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    /// The configuration the set was generated from (`None` for [`PriorSet::from_cxcy`]).
    pub fn config(&self) -> Option<&PriorConfig> {
        self.config.as_deref()
    }
    pub fn len(&self) -> usize {
        self.cxcy.len()
    }
    pub fn is_empty(&self) -> bool {
        self.cxcy.is_empty()
    }
    pub fn cxcy(&self) -> &[CenterSize] {
        &self.cxcy
    }
    pub fn corners(&self) -> &[Corners] {
        &self.corners
    }
    pub fn corner_columns(&self) -> &CornerColumns {
        &self.columns
    }
    pub fn areas(&self) -> &[f32] {
        &self.areas
    }
    pub fn blocks(&self) -> &[PriorBlock] {
        &self.blocks
    }

    /// Calls `f(index)` for every prior that may intersect `b` (a superset of those with IoU > 0),
    /// in increasing index order.
    #[inline]
    pub fn for_each_candidate(&self, b: &Corners, mut f: impl FnMut(usize)) {
        for block in &self.blocks {
            block.for_each_candidate_run(b, &mut |run| run.for_each(&mut f));
        }
    }

    /// Like [`PriorSet::for_each_candidate`], but also skips every block whose priors cannot
    /// reach an IoU of `floor` with `b` (area `area_b`, computed as [`Corners::area`]), and
    /// visits blocks from the most to the least promising, so that a good prior is found early
    /// and raises the floor.
    ///
    /// The bound: a prior of area `a` has IoU at most `min(a, area_b) / max(a, area_b)` with
    /// `b` (the intersection is at most the smaller area, the union at least the larger), plus
    /// a relative margin of 1e-5 for f32 rounding (the computed IoU exceeds the exact one by a
    /// few ulps at most). A block is skipped when its bound over its smallest and largest prior
    /// area is strictly below the floor, so a caller that wants every prior with IoU `>= t` and
    /// the strict maximum passes `floor = min(t, best so far)`. Within a block, candidates come
    /// in increasing index order; across blocks they do not, so a caller breaking ties by the
    /// lowest index must compare indices.
    ///
    /// Candidates come as runs of consecutive indices, `f(first..last)`, so that the caller can
    /// compute a run's IoUs in one vectorisable loop; `f` returns the floor from then on.
    #[inline]
    pub fn for_each_candidate_pruned(
        &self,
        b: &Corners,
        area_b: f32,
        mut floor: f32,
        mut f: impl FnMut(std::ops::Range<usize>) -> f32,
    ) {
        if self.blocks.len() > 64 {
            // Too many blocks for the bitmask: plain index order, still pruned.
            for (block, &(lo, hi)) in self.blocks.iter().zip(&self.block_areas) {
                if iou_bound(area_b, lo, hi) >= floor {
                    block.for_each_candidate_run(b, &mut |run| floor = f(run));
                }
            }
            return;
        }
        let mut visited = 0u64;
        loop {
            // The unvisited block with the highest bound (the first on ties).
            let mut next: Option<(usize, f32)> = None;
            for (k, &(lo, hi)) in self.block_areas.iter().enumerate() {
                if visited & (1 << k) == 0 {
                    let bound = iou_bound(area_b, lo, hi);
                    if next.is_none_or(|(_, best)| bound > best) {
                        next = Some((k, bound));
                    }
                }
            }
            let Some((k, bound)) = next else { return };
            if bound < floor {
                return; // every remaining block is bounded lower still
            }
            visited |= 1 << k;
            self.blocks[k].for_each_candidate_run(b, &mut |run| floor = f(run));
        }
    }
}

/// Upper bound of the f32 IoU between a box of area `a` and any prior whose area lies in
/// `[lo, hi]`: `min / max` of the two areas, computed in f64, plus a relative margin of 1e-5.
/// A `NaN` area gives 1 (no pruning).
#[inline]
fn iou_bound(a: f32, lo: f32, hi: f32) -> f32 {
    let (a, lo, hi) = (a as f64, lo as f64, hi as f64);
    let r = if a < lo {
        a / lo
    } else if a > hi {
        hi / a
    } else {
        1.0
    };
    (r * (1.0 + 1e-5)) as f32
}

impl PriorBlock {
    /// `(start, len)`: the index range of the block's priors.
    pub fn range(&self) -> (usize, usize) {
        match self {
            PriorBlock::Dense { start, len } => (*start, *len),
            PriorBlock::Grid {
                start,
                rows,
                cols,
                per_cell,
                ..
            } => (*start, rows * cols * per_cell),
        }
    }

    /// Calls `f(first..last)` for every run of consecutive priors of the block that may
    /// intersect `b`, in increasing index order.
    #[inline]
    fn for_each_candidate_run(&self, b: &Corners, f: &mut impl FnMut(std::ops::Range<usize>)) {
        match self {
            PriorBlock::Dense { start, len } => f(*start..start + len),
            PriorBlock::Grid {
                start,
                cols,
                per_cell,
                col_lo,
                col_hi,
                row_lo,
                row_hi,
                ..
            } => {
                // A prior intersects b (in f32) iff x1 < b.x2 and x2 > b.x1 (and on y).
                let c0 = col_hi.partition_point(|&hi| hi <= b.x1);
                let c1 = col_lo.partition_point(|&lo| lo < b.x2);
                let r0 = row_hi.partition_point(|&hi| hi <= b.y1);
                let r1 = row_lo.partition_point(|&lo| lo < b.y2);
                if c0 >= c1 || r0 >= r1 {
                    return;
                }
                if c0 == 0 && c1 == *cols {
                    // Whole rows: one run.
                    f(start + r0 * cols * per_cell..start + r1 * cols * per_cell);
                    return;
                }
                for r in r0..r1 {
                    let first = start + (r * cols + c0) * per_cell;
                    let last = start + (r * cols + c1) * per_cell;
                    f(first..last);
                }
            }
        }
    }
}

fn grid_block(corners: &[Corners], start: usize, l: GridLayout) -> PriorBlock {
    let len = l.rows * l.cols * l.per_cell;
    let mut col_lo = vec![f32::INFINITY; l.cols];
    let mut col_hi = vec![f32::NEG_INFINITY; l.cols];
    let mut row_lo = vec![f32::INFINITY; l.rows];
    let mut row_hi = vec![f32::NEG_INFINITY; l.rows];
    for (k, c) in corners[start..start + len].iter().enumerate() {
        let cell = k / l.per_cell;
        let (r, col) = (cell / l.cols, cell % l.cols);
        col_lo[col] = col_lo[col].min(c.x1);
        col_hi[col] = col_hi[col].max(c.x2);
        row_lo[r] = row_lo[r].min(c.y1);
        row_hi[r] = row_hi[r].max(c.y2);
    }
    let sorted = |v: &[f32]| v.windows(2).all(|w| w[0] <= w[1]) && v.iter().all(|x| !x.is_nan());
    if l.per_cell == 0
        || !(sorted(&col_lo) && sorted(&col_hi) && sorted(&row_lo) && sorted(&row_hi))
    {
        return PriorBlock::Dense { start, len };
    }
    PriorBlock::Grid {
        start,
        rows: l.rows,
        cols: l.cols,
        per_cell: l.per_cell,
        col_lo,
        col_hi,
        row_lo,
        row_hi,
    }
}
