//! Matching priors to ground truths, exactly as the reference's MultiBoxLoss does.
//!
//! Semantics (reference.md sections 3-4, `n` GTs, `P` priors):
//!
//! 1. For every prior `p`: the GT with the highest IoU. Ties go to the LOWEST GT index.
//! 2. For every GT `j`: the prior with the highest IoU. Ties go to the LOWEST prior index; a GT
//!    that intersects no prior at all gets prior 0 (IoU 0), as `argmax` over zeros does.
//! 3. Forced match: for `j = 0..n` in order, prior `best_prior[j]` is given to `j` with overlap
//!    1.0. When two GTs share a best prior the LATER one keeps it and the earlier one "loses its
//!    collision" ([`CollisionPolicy::Reference`]). [`CollisionPolicy::Optimal`] instead chooses the
//!    forced priors as a maximum-total-IoU assignment of GTs to distinct priors.
//! 4. `label[p]` = class of its GT if its overlap `>= threshold` (compared in f32), else
//!    background (0).
//!
//! IoUs are computed only for priors that can intersect a GT and whose feature map can reach
//! `min(threshold, best IoU so far)` by area (see [`PriorSet::for_each_candidate_pruned`]); no
//! skipped prior could be positive or the GT's best, so the result is identical to the dense
//! computation.

use crate::geometry::{iou_run_columns, iou_with_areas, Corners};
use crate::priors::PriorSet;

/// How GTs that share a best prior are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CollisionPolicy {
    /// The reference's index write: the later GT wins, the earlier loses its forced prior.
    #[default]
    Reference,
    /// Forced priors form a maximum-IoU assignment of GTs to distinct priors (Hungarian method);
    /// when no two GTs share a best prior this is the reference's choice.
    Optimal,
}

/// Parameters of the matching.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MatchParams {
    /// Overlap at or above which a prior is positive (compared in f32). Must be in (0, 1].
    pub threshold: f32,
    pub collision: CollisionPolicy,
    /// Hard negatives per positive (the reference's `neg_pos_ratio`, 3).
    pub neg_pos_ratio: u32,
}

crate::named_values!(CollisionPolicy { Reference => "reference", Optimal => "optimal" });

impl CollisionPolicy {
    /// Its name (`reference`, `optimal`), as [`CollisionPolicy::name`].
    pub fn as_str(self) -> &'static str {
        self.name()
    }
}

impl Default for MatchParams {
    fn default() -> Self {
        MatchParams {
            threshold: 0.5,
            collision: CollisionPolicy::Reference,
            neg_pos_ratio: 3,
        }
    }
}

/// A ground truth to match: normalised corners and its class label (>= 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GtBox {
    pub corners: Corners,
    pub label: u32,
}

/// What happened to one GT.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GtMatch {
    /// The prior with the highest IoU (lowest index on ties).
    pub best_prior: u32,
    /// Its IoU.
    pub best_iou: f32,
    /// The prior this GT was force-matched to, if it kept one.
    pub forced_prior: Option<u32>,
    /// IoU of this GT with its forced prior (0 when it has none).
    pub forced_iou: f32,
    /// Number of positive priors assigned to this GT.
    pub positives: u32,
    /// Its only positive is its forced prior, whose IoU is below the threshold: without the
    /// forced match it would have no positive at all.
    pub forced_only: bool,
    /// It lost its forced prior to another GT (always false with the optimal policy unless
    /// there are more GTs than priors).
    pub lost_collision: bool,
}

/// A positive prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Positive {
    pub prior: u32,
    pub gt: u32,
    pub label: u32,
}

/// The result of matching one image. Labels are sparse: every prior not in `positives` is
/// background.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageMatch {
    /// Positive priors in increasing prior order.
    pub positives: Vec<Positive>,
    pub gts: Vec<GtMatch>,
    pub num_priors: u32,
}

impl ImageMatch {
    pub fn num_positives(&self) -> u32 {
        self.positives.len() as u32
    }
    /// `P - positives`.
    pub fn num_negatives(&self) -> u32 {
        self.num_priors - self.num_positives()
    }
    /// Hard negatives the loss would use: `min(ratio * positives, negatives)`; 0 when the image
    /// has no positive.
    pub fn hard_negative_budget(&self, neg_pos_ratio: u32) -> u32 {
        (neg_pos_ratio.saturating_mul(self.num_positives())).min(self.num_negatives())
    }
    /// The GT that holds the forced prior GT `j` lost in a collision (its best prior): the
    /// one whose forced prior it is. `None` when `j` did not lose a collision (or is out of
    /// range). With the reference policy that is the last later GT sharing the best prior.
    pub fn taken_by(&self, j: usize) -> Option<usize> {
        let g = self.gts.get(j).filter(|g| g.lost_collision)?;
        self.gts
            .iter()
            .position(|o| o.forced_prior == Some(g.best_prior))
    }
    /// Writes the dense per-prior labels (0 = background) into `out` (length P).
    pub fn fill_labels<T: Copy + Default + TryFrom<u32>>(&self, out: &mut [T]) {
        out.fill(T::default());
        for p in &self.positives {
            out[p.prior as usize] = T::try_from(p.label).unwrap_or_default();
        }
    }
}

/// Reusable per-thread buffers for matching (no allocation per image beyond the result).
#[derive(Debug, Default)]
pub struct Matcher {
    best_iou: Vec<f32>,
    best_gt: Vec<u32>,
    touched: Vec<u32>,
    is_touched: Vec<bool>,
    /// IoUs of the current run of candidates.
    ious: Vec<f32>,
}

impl Matcher {
    pub fn new() -> Self {
        Self::default()
    }

    /// Matches `gts` against `priors`.
    ///
    /// Longer than the house's ~80 lines on purpose: it is the reference's matching in its
    /// order (per-GT best prior, per-prior best GT, forced matches written in GT order, the
    /// threshold), and the exactness argument (ties, f32 order, which priors can be skipped) is
    /// read against the reference step by step; split into helpers, the shared scratch arrays
    /// and the early exits would have to cross function boundaries on the hottest path.
    pub fn match_image(
        &mut self,
        priors: &PriorSet,
        gts: &[GtBox],
        params: &MatchParams,
    ) -> ImageMatch {
        let np = priors.len();
        if self.best_iou.len() != np {
            self.best_iou = vec![0.0; np];
            self.best_gt = vec![0; np];
            self.is_touched = vec![false; np];
            self.ious = vec![0.0; np];
        }
        let columns = priors.corner_columns();
        let areas = priors.areas();
        let mut gt_best: Vec<(u32, f32)> = Vec::with_capacity(gts.len());
        // Per prior, only overlaps at or above the threshold are recorded: a prior whose best
        // overlap is below it is background unless forced, whichever GT that overlap is with,
        // and the best GT of any other prior has an overlap at or above it. So the outcome is
        // the reference's, and `touched` stays short (8732 priors: a few dozen, not thousands).
        // Blocks of priors that cannot reach min(threshold, best so far) are skipped (exact:
        // see `PriorSet::for_each_candidate_pruned`); blocks are not visited in index order, so
        // the GT's best prior breaks ties by comparing indices.
        let threshold = params.threshold;
        for (j, gt) in gts.iter().enumerate() {
            let area_gt = gt.corners.area();
            let mut best = (0u32, 0.0f32);
            let floor = |best: f32| if best < threshold { best } else { threshold };
            priors.for_each_candidate_pruned(&gt.corners, area_gt, floor(0.0), |run| {
                let ious = &mut self.ious[..run.len()];
                // The run's maximum comes with its IoUs: most runs neither beat the GT's best
                // nor reach the threshold, and then need no per-prior scan.
                let run_max =
                    iou_run_columns(&gt.corners, area_gt, columns, areas, run.clone(), ious);
                if run_max > 0.0 && run_max >= best.1 {
                    let k = first_at_least(ious, run_max).expect("max is present");
                    let p = (run.start + k) as u32;
                    if run_max > best.1 || p < best.0 {
                        best = (p, run_max);
                    }
                }
                if run_max < threshold {
                    return floor(best.1);
                }
                // From the first IoU at or above the threshold (found 8 at a time) on.
                let from = first_at_least(ious, threshold).unwrap_or(ious.len());
                for (p, &iou) in run.skip(from).zip(&ious[from..]) {
                    if iou >= threshold && iou > 0.0 {
                        if !self.is_touched[p] {
                            self.is_touched[p] = true;
                            self.touched.push(p as u32);
                        }
                        if iou > self.best_iou[p] {
                            self.best_iou[p] = iou;
                            self.best_gt[p] = j as u32;
                        }
                    }
                }
                floor(best.1)
            });
            gt_best.push(best);
        }

        let mut result = ImageMatch {
            positives: Vec::new(),
            gts: gt_best
                .iter()
                .map(|&(p, iou)| GtMatch {
                    best_prior: p,
                    best_iou: iou,
                    forced_prior: None,
                    forced_iou: 0.0,
                    positives: 0,
                    forced_only: false,
                    lost_collision: false,
                })
                .collect(),
            num_priors: np as u32,
        };
        if np == 0 {
            return result;
        }

        let optimal;
        let forced: &[(u32, f32)] = match params.collision {
            CollisionPolicy::Optimal if has_collision(&gt_best) && gts.len() <= np => {
                optimal = optimal_forced(priors, gts);
                &optimal
            }
            _ => &gt_best,
        };
        // Reference index write: later GTs overwrite earlier ones.
        for (j, &(p, _)) in forced.iter().enumerate() {
            let p = p as usize;
            if !self.is_touched[p] {
                self.is_touched[p] = true;
                self.touched.push(p as u32);
            }
            self.best_gt[p] = j as u32;
            self.best_iou[p] = 1.0;
        }
        for (j, &(p, iou)) in forced.iter().enumerate() {
            let g = &mut result.gts[j];
            if self.best_gt[p as usize] == j as u32 {
                g.forced_prior = Some(p);
                g.forced_iou = iou;
            } else {
                g.lost_collision = true;
            }
        }

        self.touched.sort_unstable();
        for &p in &self.touched {
            let pu = p as usize;
            if self.best_iou[pu] >= params.threshold {
                let j = self.best_gt[pu];
                result.positives.push(Positive {
                    prior: p,
                    gt: j,
                    label: gts[j as usize].label,
                });
                result.gts[j as usize].positives += 1;
            }
            self.best_iou[pu] = 0.0;
            self.best_gt[pu] = 0;
            self.is_touched[pu] = false;
        }
        self.touched.clear();
        for g in &mut result.gts {
            g.forced_only =
                g.positives == 1 && g.forced_prior.is_some() && g.forced_iou < params.threshold;
        }
        result
    }
}

/// Index of the first value `>= x`: whole groups of 8 are skipped with one vector compare.
#[inline]
fn first_at_least(values: &[f32], x: f32) -> Option<usize> {
    const LANES: usize = 8;
    let chunks = values.chunks_exact(LANES);
    let tail_start = values.len() - chunks.remainder().len();
    for (c, chunk) in chunks.enumerate() {
        if chunk.iter().fold(false, |hit, &v| hit | (v >= x)) {
            let k = chunk.iter().position(|&v| v >= x).expect("a lane hit");
            return Some(c * LANES + k);
        }
    }
    values[tail_start..]
        .iter()
        .position(|&v| v >= x)
        .map(|k| tail_start + k)
}

fn has_collision(best: &[(u32, f32)]) -> bool {
    let mut ps: Vec<u32> = best.iter().map(|b| b.0).collect();
    ps.sort_unstable();
    ps.windows(2).any(|w| w[0] == w[1])
}

/// Maximum-total-IoU assignment of GTs to distinct priors. Only each GT's `n` best priors can be
/// needed (an exchange argument: among a GT's n best, at least one is free of the other n-1
/// GTs), so the problem is an n x (<= n^2) Hungarian assignment. Deterministic: columns are in
/// prior order and ties keep the first optimum found.
fn optimal_forced(priors: &PriorSet, gts: &[GtBox]) -> Vec<(u32, f32)> {
    let n = gts.len();
    let corners = priors.corners();
    let areas = priors.areas();
    let mut cols: Vec<u32> = Vec::new();
    let mut rows_top: Vec<Vec<(u32, f32)>> = Vec::with_capacity(n);
    for gt in gts {
        let area_gt = gt.corners.area();
        let mut cand: Vec<(u32, f32)> = Vec::new();
        priors.for_each_candidate(&gt.corners, |p| {
            let iou = iou_with_areas(&gt.corners, area_gt, &corners[p], areas[p]);
            if iou > 0.0 {
                cand.push((p as u32, iou));
            }
        });
        cand.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        cand.truncate(n);
        cols.extend(cand.iter().map(|c| c.0));
        rows_top.push(cand);
    }
    // Zero-IoU fillers so that every GT can be given some distinct prior.
    let mut filler = 0u32;
    cols.sort_unstable();
    cols.dedup();
    while cols.len() < n && (filler as usize) < priors.len() {
        if cols.binary_search(&filler).is_err() {
            cols.push(filler);
            cols.sort_unstable();
        }
        filler += 1;
    }
    let m = cols.len();
    let mut cost = vec![0.0f64; n * m];
    for (j, top) in rows_top.iter().enumerate() {
        for &(p, iou) in top {
            let c = cols.binary_search(&p).expect("column present");
            cost[j * m + c] = -(iou as f64);
        }
    }
    let assignment = hungarian(n, m, &cost);
    assignment
        .iter()
        .enumerate()
        .map(|(j, &c)| {
            let p = cols[c];
            let iou = rows_top[j]
                .iter()
                .find(|t| t.0 == p)
                .map(|t| t.1)
                .unwrap_or(0.0);
            (p, iou)
        })
        .collect()
}

/// Minimum-cost assignment of `n` rows to distinct columns of an `n x m` matrix (`n <= m`),
/// O(n^2 m). Returns the column of each row.
pub fn hungarian(n: usize, m: usize, cost: &[f64]) -> Vec<usize> {
    assert!(n <= m && cost.len() == n * m);
    let inf = f64::INFINITY;
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![inf; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0;
            for j in 1..=m {
                if !used[j] {
                    let cur = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut ans = vec![0usize; n];
    for j in 1..=m {
        if p[j] != 0 {
            ans[p[j] - 1] = j - 1;
        }
    }
    ans
}

#[cfg(test)]
mod tests {
    //! Hand-computed cases on tiny prior sets whose corners are exact binary fractions, so
    //! every IoU below can be checked on paper.

    use super::*;
    use crate::geometry::{iou, CenterSize};

    /// A prior set from corner boxes (converted to centre form; the corners come back exact).
    fn priors(boxes: &[[f32; 4]]) -> PriorSet {
        let cxcy: Vec<CenterSize> = boxes
            .iter()
            .map(|&[x1, y1, x2, y2]| Corners::new(x1, y1, x2, y2).to_center())
            .collect();
        let set = PriorSet::from_cxcy("test", cxcy, &[]);
        for (c, b) in set.corners().iter().zip(boxes) {
            assert_eq!(c.to_array(), *b, "prior corners must be exact");
        }
        set
    }

    fn gt([x1, y1, x2, y2]: [f32; 4], label: u32) -> GtBox {
        GtBox {
            corners: Corners::new(x1, y1, x2, y2),
            label,
        }
    }

    fn run(set: &PriorSet, gts: &[GtBox], collision: CollisionPolicy) -> ImageMatch {
        let params = MatchParams {
            collision,
            ..MatchParams::default()
        };
        Matcher::new().match_image(set, gts, &params)
    }

    fn pairs(m: &ImageMatch) -> Vec<(u32, u32, u32)> {
        m.positives
            .iter()
            .map(|p| (p.prior, p.gt, p.label))
            .collect()
    }

    /// GT 0x0-w x h with w*h just below 1/8 (exactly, in f64) inside the prior 0.5 x 0.5: the
    /// true IoU 2wh is below 0.5, but the f32 computation rounds it to exactly 0.5, and the
    /// threshold is compared in f32 with `>=`, as the reference does: positive. One ulp less
    /// height and the f32 IoU falls below 0.5: background.
    #[test]
    fn threshold_is_compared_in_f32_and_inclusive() {
        // Prior 0 (0.5 x 0.25) is the GT's best (IoU ~0.91), prior 1 (0.5 x 0.5) the one tested.
        let set = priors(&[[0.0, 0.0, 0.5, 0.25], [0.0, 0.0, 0.5, 0.5]]);
        let w = f32::from_bits(1056145581); // 0.4755911
        let h = f32::from_bits(1049006531); // 0.26283082
        assert!((w as f64 * h as f64) / 0.25 < 0.5, "exact IoU below 0.5");
        let g = gt([0.0, 0.0, w, h], 7);
        assert_eq!(iou(&g.corners, &set.corners()[1]), 0.5);
        let m = run(&set, &[g], CollisionPolicy::Reference);
        assert_eq!(m.gts[0].best_prior, 0);
        assert_eq!(pairs(&m), [(0, 0, 7), (1, 0, 7)]);
        assert_eq!(m.gts[0].positives, 2);

        let lower = gt([0.0, 0.0, w, f32::from_bits(h.to_bits() - 1)], 7);
        assert!(iou(&lower.corners, &set.corners()[1]) < 0.5);
        let m = run(&set, &[lower], CollisionPolicy::Reference);
        assert_eq!(pairs(&m), [(0, 0, 7)]);
        // Matched by its best prior alone: IoU ~0.91, not forced-only.
        assert!(!m.gts[0].forced_only);
    }

    /// Prior 1 overlaps GT a = [0, 0.625] and GT b = [0.375, 1] (x; y 0-0.5) equally:
    /// intersection 0.375 x 0.5 = 0.1875, union 0.3125 + 0.25 - 0.1875 = 0.375, IoU 0.5 for
    /// both. It goes to the lower GT index, whichever box that is.
    #[test]
    fn a_prior_tied_between_gts_goes_to_the_lowest_gt_index() {
        let a = [0.0, 0.0, 0.625, 0.5];
        let b = [0.375, 0.0, 1.0, 0.5];
        let set = priors(&[a, [0.25, 0.0, 0.75, 0.5], b]);
        assert_eq!(iou(&gt(a, 1).corners, &set.corners()[1]), 0.5);
        assert_eq!(iou(&gt(b, 2).corners, &set.corners()[1]), 0.5);
        let m = run(&set, &[gt(a, 1), gt(b, 2)], CollisionPolicy::Reference);
        assert_eq!(pairs(&m), [(0, 0, 1), (1, 0, 1), (2, 1, 2)]);
        assert_eq!((m.gts[0].positives, m.gts[1].positives), (2, 1));
        let m = run(&set, &[gt(b, 2), gt(a, 1)], CollisionPolicy::Reference);
        assert_eq!(pairs(&m), [(0, 1, 1), (1, 0, 2), (2, 0, 2)]);
    }

    /// Priors 1 and 2 are the same box, equal to the GT (IoU 1 each): its best prior is the
    /// lower index, 1, which becomes its forced prior; both are positive.
    #[test]
    fn a_gt_tied_between_priors_takes_the_lowest_prior_index() {
        let set = priors(&[
            [0.75, 0.75, 1.0, 1.0],
            [0.0, 0.0, 0.5, 0.5],
            [0.0, 0.0, 0.5, 0.5],
        ]);
        let m = run(
            &set,
            &[gt([0.0, 0.0, 0.5, 0.5], 3)],
            CollisionPolicy::Reference,
        );
        let g = m.gts[0];
        assert_eq!(
            (g.best_prior, g.best_iou, g.forced_prior),
            (1, 1.0, Some(1))
        );
        assert_eq!(pairs(&m), [(1, 0, 3), (2, 0, 3)]);
    }

    /// GT 0 (0.25 x 0.25, IoU 0.0625 / 0.25 = 0.25 with prior 0) and GT 1 (prior 0's own box,
    /// IoU 1) both have prior 0 as their best. The forced matches are written in GT order, so
    /// the later GT keeps it: in the order [small, big] the big one wins and the small one has
    /// no positive; in the order [big, small] the small one wins (forced, overlap 1.0, though
    /// its IoU is 0.25) and the big one has none.
    #[test]
    fn in_a_collision_the_later_gt_keeps_the_prior() {
        let set = priors(&[[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]]);
        let small = gt([0.0, 0.0, 0.25, 0.25], 4);
        let big = gt([0.0, 0.0, 0.5, 0.5], 5);
        let m = run(&set, &[small, big], CollisionPolicy::Reference);
        assert_eq!((m.gts[0].best_prior, m.gts[0].best_iou), (0, 0.25));
        assert_eq!(pairs(&m), [(0, 1, 5)]);
        let (s, b) = (m.gts[0], m.gts[1]);
        assert!(s.lost_collision && s.forced_prior.is_none() && s.positives == 0);
        assert!(!b.lost_collision && b.forced_prior == Some(0) && b.forced_iou == 1.0);
        assert_eq!(
            (m.taken_by(0), m.taken_by(1), m.taken_by(2)),
            (Some(1), None, None)
        );

        let m = run(&set, &[big, small], CollisionPolicy::Reference);
        assert_eq!(pairs(&m), [(0, 1, 4)]);
        let (b, s) = (m.gts[0], m.gts[1]);
        assert!(b.lost_collision && b.positives == 0);
        assert_eq!(
            (s.forced_prior, s.forced_iou, s.positives),
            (Some(0), 0.25, 1)
        );
        assert!(
            s.forced_only,
            "its only positive is forced, below the threshold"
        );
    }

    /// A GT that intersects no prior has best IoU 0 at prior 0 (argmax over zeros) and is
    /// forced onto it: one positive, forced-only.
    #[test]
    fn a_gt_intersecting_nothing_falls_back_to_prior_0() {
        let set = priors(&[[0.0, 0.0, 0.5, 0.5], [0.0, 0.5, 0.5, 1.0]]);
        let far = gt([0.75, 0.75, 1.0, 1.0], 9);
        let m = run(&set, &[far], CollisionPolicy::Reference);
        let g = m.gts[0];
        assert_eq!((g.best_prior, g.best_iou), (0, 0.0));
        assert_eq!(
            (g.forced_prior, g.forced_iou, g.positives),
            (Some(0), 0.0, 1)
        );
        assert!(g.forced_only && !g.lost_collision);
        assert_eq!(pairs(&m), [(0, 0, 9)]);
        // Beside a GT that owns prior 1, nothing changes for it.
        let m = run(
            &set,
            &[far, gt([0.0, 0.5, 0.5, 1.0], 2)],
            CollisionPolicy::Reference,
        );
        assert_eq!(pairs(&m), [(0, 0, 9), (1, 1, 2)]);
    }

    /// GT 0 = [0, 0.375] x [0, 0.5] and GT 1 = prior 0's box both have prior 0 (0.5 x 0.5) as
    /// their best (IoUs 0.1875 / 0.25 = 0.75 and 1). Prior 1 = [0, 0.125] x [0, 0.5] has IoU
    /// 0.0625 / 0.1875 = 1/3 with GT 0 and 0.0625 / 0.25 = 0.25 with GT 1. Reference: GT 1
    /// keeps prior 0, GT 0 loses it and, 1/3 being below the threshold, has no positive.
    /// Optimal: {GT 0 -> 1, GT 1 -> 0} totals 1/3 + 1 = 1.33 > {GT 0 -> 0, GT 1 -> 1}
    /// 0.75 + 0.25 = 1.0, so GT 0 is forced onto prior 1 and keeps one positive.
    #[test]
    fn optimal_policy_resolves_a_two_gt_collision_by_total_iou() {
        let set = priors(&[[0.0, 0.0, 0.5, 0.5], [0.0, 0.0, 0.125, 0.5]]);
        let gts = [gt([0.0, 0.0, 0.375, 0.5], 1), gt([0.0, 0.0, 0.5, 0.5], 2)];
        let reference = run(&set, &gts, CollisionPolicy::Reference);
        assert_eq!(
            (reference.gts[0].best_prior, reference.gts[1].best_prior),
            (0, 0)
        );
        assert_eq!(reference.gts[0].best_iou, 0.75);
        assert_eq!(pairs(&reference), [(0, 1, 2)]);
        assert!(reference.gts[0].lost_collision && reference.gts[0].positives == 0);

        let optimal = run(&set, &gts, CollisionPolicy::Optimal);
        assert_eq!(pairs(&optimal), [(0, 1, 2), (1, 0, 1)]);
        let (g0, g1) = (optimal.gts[0], optimal.gts[1]);
        assert_eq!((g0.forced_prior, g0.forced_iou), (Some(1), 1.0f32 / 3.0));
        assert!(!g0.lost_collision && g0.forced_only && g0.positives == 1);
        assert_eq!((g1.forced_prior, g1.forced_iou), (Some(0), 1.0));
        // The best priors are still reported as the reference's.
        assert_eq!((g0.best_prior, g0.best_iou), (0, 0.75));
    }

    /// The Hungarian method on the 3 x 3 matrix `c[r][k] = (r + 1)(k + 1)`: of the six
    /// permutations (14, 13, 13, 11, 11, 10) only the anti-diagonal reaches the minimum,
    /// 3 + 4 + 3 = 10; the greedy row-by-row choice (the diagonal) costs 14.
    #[test]
    fn hungarian_finds_the_minimum_cost_assignment() {
        #[rustfmt::skip]
        let cost = [
            1.0, 2.0, 3.0,
            2.0, 4.0, 6.0,
            3.0, 6.0, 9.0,
        ];
        assert_eq!(hungarian(3, 3, &cost), [2, 1, 0]);
    }
}
