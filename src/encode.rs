//! Regression targets (reference.md section 5).
//!
//! With GT `g` and prior `d` in centre form (f32):
//!
//! ```text
//! t_cx = (g_cx - d_cx) / (d_w / (1 / v_center))      // the reference writes d_w / 10
//! t_cy = (g_cy - d_cy) / (d_h / (1 / v_center))
//! t_w  = ln(g_w / d_w) * (1 / v_size)                 // the reference writes * 5
//! t_h  = ln(g_h / d_h) * (1 / v_size)
//! ```
//!
//! The divisors `1/v` are computed in f64 and rounded to f32, so the default variances
//! `0.1, 0.2` give exactly the reference's 10 and 5.

use crate::assign::{GtBox, ImageMatch};
use crate::geometry::CenterSize;
use crate::priors::PriorSet;

/// SSD's two variances (`--variances 0.1,0.2`; `1,1` is the textbook form without them).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Variances {
    pub center: f64,
    pub size: f64,
}

impl Default for Variances {
    fn default() -> Self {
        Variances {
            center: 0.1,
            size: 0.2,
        }
    }
}

/// Variances that are not two positive finite numbers.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("variances {center}, {size}: expected two positive numbers, e.g. 0.1, 0.2")]
pub struct VariancesError {
    pub center: f64,
    pub size: f64,
}

impl Variances {
    /// The variances, checked to be positive and finite.
    pub fn checked(center: f64, size: f64) -> Result<Variances, VariancesError> {
        if [center, size].iter().all(|x| x.is_finite() && *x > 0.0) {
            Ok(Variances { center, size })
        } else {
            Err(VariancesError { center, size })
        }
    }
}

/// Encoder/decoder for one pair of variances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxCoder {
    center_div: f32,
    size_mul: f32,
}

impl BoxCoder {
    pub fn new(v: Variances) -> Self {
        BoxCoder {
            center_div: (1.0 / v.center) as f32,
            size_mul: (1.0 / v.size) as f32,
        }
    }

    /// Targets `[t_cx, t_cy, t_w, t_h]` of GT `g` relative to prior `d`.
    #[inline]
    pub fn encode(&self, g: &CenterSize, d: &CenterSize) -> [f32; 4] {
        [
            (g.cx - d.cx) / (d.w / self.center_div),
            (g.cy - d.cy) / (d.h / self.center_div),
            (g.w / d.w).ln() * self.size_mul,
            (g.h / d.h).ln() * self.size_mul,
        ]
    }

    /// The inverse of [`encode`](Self::encode) (the detector's decoding step).
    #[inline]
    pub fn decode(&self, t: &[f32; 4], d: &CenterSize) -> CenterSize {
        CenterSize {
            cx: t[0] * d.w / self.center_div + d.cx,
            cy: t[1] * d.h / self.center_div + d.cy,
            w: (t[2] / self.size_mul).exp() * d.w,
            h: (t[3] / self.size_mul).exp() * d.h,
        }
    }
}

impl Default for BoxCoder {
    fn default() -> Self {
        BoxCoder::new(Variances::default())
    }
}

/// One image's dense targets, what `encode` writes as its row and the reference's loss
/// computes as `true_classes`/`true_locs`: the label of every prior into `labels` (0:
/// background) and the encoded box of each positive's GT into `locs` (zeros elsewhere).
/// `gts` are the ground truths `matching` was made from, in the same order; `labels` and
/// `locs` hold one entry per prior.
pub fn dense_targets<T: Copy + Default + TryFrom<u32>>(
    matching: &ImageMatch,
    gts: &[GtBox],
    priors: &PriorSet,
    coder: &BoxCoder,
    labels: &mut [T],
    locs: &mut [[f32; 4]],
) {
    matching.fill_labels(labels);
    locs.fill([0.0; 4]);
    let cxcy = priors.cxcy();
    for pos in &matching.positives {
        let p = pos.prior as usize;
        let gt = gts[pos.gt as usize].corners.to_center();
        locs[p] = coder.encode(&gt, &cxcy[p]);
    }
}
