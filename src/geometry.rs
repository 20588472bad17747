//! Box types and the reference's f32 arithmetic.
//!
//! Every function here performs its floating-point operations in exactly the order the
//! Tiny-Detector reference (and the SSD300 PyTorch tutorial it copies) performs them, in `f32`,
//! so that results agree bit for bit. Rust never fuses a multiply and an add on its own, so the
//! order written is the order executed.

/// A box in corner form `(x1, y1, x2, y2)`, fractional image coordinates, `f32`.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Corners {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

/// A box in centre form `(cx, cy, w, h)`, fractional image coordinates, `f32`.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct CenterSize {
    pub cx: f32,
    pub cy: f32,
    pub w: f32,
    pub h: f32,
}

impl Corners {
    pub const fn new(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        Corners { x1, y1, x2, y2 }
    }

    /// `(x2 - x1) * (y2 - y1)`, no +1 pixel term.
    #[inline]
    pub fn area(&self) -> f32 {
        (self.x2 - self.x1) * (self.y2 - self.y1)
    }

    /// The reference's `xy_to_cxcy`: `cx = (x2 + x1) / 2`, `w = x2 - x1`.
    #[inline]
    pub fn to_center(&self) -> CenterSize {
        CenterSize {
            cx: (self.x2 + self.x1) / 2.0,
            cy: (self.y2 + self.y1) / 2.0,
            w: self.x2 - self.x1,
            h: self.y2 - self.y1,
        }
    }

    pub fn to_array(&self) -> [f32; 4] {
        [self.x1, self.y1, self.x2, self.y2]
    }
}

impl CenterSize {
    pub const fn new(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        CenterSize { cx, cy, w, h }
    }

    /// The reference's `cxcy_to_xy`: `x1 = cx - w/2`, `x2 = cx + w/2` (an f32 division, then an
    /// f32 subtraction or addition).
    #[inline]
    pub fn to_corners(&self) -> Corners {
        let hw = self.w / 2.0;
        let hh = self.h / 2.0;
        Corners {
            x1: self.cx - hw,
            y1: self.cy - hh,
            x2: self.cx + hw,
            y2: self.cy + hh,
        }
    }

    pub fn to_array(&self) -> [f32; 4] {
        [self.cx, self.cy, self.w, self.h]
    }
}

/// Intersection over union (Jaccard overlap) in the reference's order:
///
/// ```text
/// iw = max(min(ax2, bx2) - max(ax1, bx1), 0); ih likewise
/// inter = iw * ih
/// union = (area_a + area_b) - inter
/// iou = inter / union
/// ```
///
/// `a` is the ground truth, `b` the prior; `area_a`/`area_b` are passed in because the
/// reference computes each area once. The result is symmetric in its arguments.
#[inline]
pub fn iou_with_areas(a: &Corners, area_a: f32, b: &Corners, area_b: f32) -> f32 {
    let iw = (a.x2.min(b.x2) - a.x1.max(b.x1)).max(0.0);
    let ih = (a.y2.min(b.y2) - a.y1.max(b.y1)).max(0.0);
    let inter = iw * ih;
    let union = (area_a + area_b) - inter;
    inter / union
}

/// The corners of many boxes, one array per coordinate: the layout in which the IoUs of one
/// box against a run of priors vectorise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CornerColumns {
    pub x1: Vec<f32>,
    pub y1: Vec<f32>,
    pub x2: Vec<f32>,
    pub y2: Vec<f32>,
}

impl CornerColumns {
    pub fn from_corners(corners: &[Corners]) -> Self {
        CornerColumns {
            x1: corners.iter().map(|c| c.x1).collect(),
            y1: corners.iter().map(|c| c.y1).collect(),
            x2: corners.iter().map(|c| c.x2).collect(),
            y2: corners.iter().map(|c| c.y2).collect(),
        }
    }
}

/// `min` of two finite values as a compare-and-select (one `minps` lane); `f32::min`'s NaN
/// handling costs extra instructions and cannot matter here: coordinates are finite.
#[inline(always)]
fn min_finite(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

#[inline(always)]
fn max_finite(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// [`iou_with_areas`] of `a` with the boxes `range` of `boxes` (areas `areas`), written to
/// `out[..range.len()]`; returns their maximum (0 for an empty range). The same operations in
/// the same order per element, so the same values for finite coordinates (at most the sign of
/// a zero differs, which no comparison sees), in a loop the compiler vectorises: the maximum
/// is kept in 8 independent lanes, not one serial chain.
#[inline]
pub fn iou_run_columns(
    a: &Corners,
    area_a: f32,
    boxes: &CornerColumns,
    areas: &[f32],
    range: std::ops::Range<usize>,
    out: &mut [f32],
) -> f32 {
    const LANES: usize = 8;
    let n = range.len();
    let (x1, y1) = (&boxes.x1[range.clone()], &boxes.y1[range.clone()]);
    let (x2, y2) = (&boxes.x2[range.clone()], &boxes.y2[range.clone()]);
    let areas = &areas[range];
    let out = &mut out[..n];
    for k in 0..n {
        let iw = max_finite(min_finite(a.x2, x2[k]) - max_finite(a.x1, x1[k]), 0.0);
        let ih = max_finite(min_finite(a.y2, y2[k]) - max_finite(a.y1, y1[k]), 0.0);
        let inter = iw * ih;
        let union = (area_a + areas[k]) - inter;
        out[k] = inter / union;
    }
    // The maximum in LANES independent lanes (vector max), then across them and the tail.
    let mut lanes = [0.0f32; LANES];
    let chunks = out.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            lanes[l] = max_finite(c[l], lanes[l]);
        }
    }
    lanes
        .iter()
        .chain(tail)
        .fold(0.0f32, |m, &v| max_finite(v, m))
}

/// [`iou_with_areas`] computing both areas.
#[inline]
pub fn iou(a: &Corners, b: &Corners) -> f32 {
    iou_with_areas(a, a.area(), b, b.area())
}
