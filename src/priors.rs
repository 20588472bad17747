//! Prior (default) boxes: generation, storage and the spatial index used to skip priors that
//! cannot overlap a ground truth.
//!
//! A [`PriorSet`] holds every prior in centre form and in corner form, in the reference's index
//! order. It is made of [`PriorBlock`]s: one per feature map. A block laid out on a grid
//! (`index = start + (row * cols + col) * per_cell + t`) lets matching visit only the cells whose
//! priors can intersect a box; that is exact, not an approximation, because a prior that does not
//! intersect a box has IoU exactly 0 with it.

use crate::geometry::{CenterSize, Corners};

/// The order of the two inner loops that generate the priors of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LoopOrder {
    /// `for scale { for ratio { .. } }` (Tiny-Detector).
    #[default]
    ScaleRatio,
    /// `for ratio { for scale { .. } }`.
    RatioScale,
}

/// One feature map of a prior configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureMap {
    /// Grid rows (cells along y).
    pub rows: u32,
    /// Grid columns (cells along x).
    pub cols: u32,
    /// Prior scales (fraction of the image side); every prior has area `scale^2`.
    pub scales: Vec<f64>,
    /// Aspect ratios `w / h`: `w = s * sqrt(r)`, `h = s / sqrt(r)`.
    pub aspect_ratios: Vec<f64>,
    /// SSD300 style: after each prior of ratio 1, one more square prior of this side
    /// (the tutorial uses `sqrt(s_k * s_k+1)`, 1.0 on the last map).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_scale: Option<f64>,
    #[serde(default)]
    pub order: LoopOrder,
}

/// A generated prior set with its spatial index.
#[derive(Debug, Clone)]
pub struct PriorSet {
    name: String,
    cxcy: Vec<CenterSize>,
    corners: Vec<Corners>,
    areas: Vec<f32>,
    blocks: Vec<PriorBlock>,
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
    /// Tiny-Detector's 441 priors (reference.md section 1).
    pub fn tiny_detector() -> PriorSet {
        let map = FeatureMap {
            rows: 7,
            cols: 7,
            scales: vec![0.2, 0.4, 0.6],
            aspect_ratios: vec![1.0, 2.0, 0.5],
            extra_scale: None,
            order: LoopOrder::ScaleRatio,
        };
        PriorSet::from_feature_maps("tiny-detector", &[map], true)
    }

    /// Generates priors the way the SSD300 tutorial and Tiny-Detector do: for each map, for
    /// each row `i`, each column `j`: `cx = (j + 0.5) / cols`, `cy = (i + 0.5) / rows`, then the
    /// cell's shapes; all in f64, rounded to f32, then (if `clamp`) clamped to `[0, 1]`.
    pub fn from_feature_maps(name: &str, maps: &[FeatureMap], clamp: bool) -> PriorSet {
        let mut cxcy = Vec::new();
        let mut layouts = Vec::new();
        for map in maps {
            let shapes = cell_shapes(map);
            for i in 0..map.rows {
                for j in 0..map.cols {
                    let cx = (j as f64 + 0.5) / map.cols as f64;
                    let cy = (i as f64 + 0.5) / map.rows as f64;
                    for &(w, h) in &shapes {
                        let mut p = [cx as f32, cy as f32, w as f32, h as f32];
                        if clamp {
                            for v in &mut p {
                                *v = v.clamp(0.0, 1.0);
                            }
                        }
                        cxcy.push(CenterSize::new(p[0], p[1], p[2], p[3]));
                    }
                }
            }
            layouts.push(GridLayout {
                rows: map.rows as usize,
                cols: map.cols as usize,
                per_cell: shapes.len(),
            });
        }
        PriorSet::from_cxcy(name, cxcy, &layouts)
    }

    /// Builds a set from centre-form priors. `layouts` describes consecutive grid blocks (their
    /// sizes must add up to `cxcy.len()`, else the whole set is one dense block); a block whose
    /// extents are not monotonic along its grid is kept dense.
    pub fn from_cxcy(name: &str, cxcy: Vec<CenterSize>, layouts: &[GridLayout]) -> PriorSet {
        let corners: Vec<Corners> = cxcy.iter().map(CenterSize::to_corners).collect();
        let areas = corners.iter().map(Corners::area).collect();
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
        PriorSet {
            name: name.to_string(),
            cxcy,
            corners,
            areas,
            blocks,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
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
            match block {
                PriorBlock::Dense { start, len } => (*start..start + len).for_each(&mut f),
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
                        continue;
                    }
                    for r in r0..r1 {
                        let first = start + (r * cols + c0) * per_cell;
                        let last = start + (r * cols + c1) * per_cell;
                        (first..last).for_each(&mut f);
                    }
                }
            }
        }
    }
}

/// The (w, h) of the priors of one cell, in generation order.
fn cell_shapes(map: &FeatureMap) -> Vec<(f64, f64)> {
    let mut shapes = Vec::new();
    let mut push = |s: f64, r: f64| {
        shapes.push((s * r.sqrt(), s / r.sqrt()));
        if r == 1.0 {
            if let Some(extra) = map.extra_scale {
                shapes.push((extra, extra));
            }
        }
    };
    match map.order {
        LoopOrder::ScaleRatio => {
            for &s in &map.scales {
                for &r in &map.aspect_ratios {
                    push(s, r);
                }
            }
        }
        LoopOrder::RatioScale => {
            for &r in &map.aspect_ratios {
                for &s in &map.scales {
                    push(s, r);
                }
            }
        }
    }
    shapes
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
