//! The objects' normalised widths and heights, binned on log axes, and the prior shapes: what
//! the HTML page's (w, h) scatter draws. Kept only when asked
//! ([`super::AssignmentTally::keep_object_shapes`], `audit --html`): bounded (at most
//! [`BINS`] x [`BINS`] cells whatever the dataset), independent of the order of the images,
//! and left out of the JSON and text reports, which stay the same bytes with or without it.

/// log10 of the lower edge of the first bin, on both axes (a width or height of 0.001 of the
/// image).
pub const LOG_MIN: f64 = -3.0;

/// Bins per decade.
pub const BINS_PER_DECADE: u32 = 20;

/// Bins per axis: from 10^-3 to 10^0.5 (objects extending outside the image can be wider than
/// it). Values outside the range count in the first or last bin.
pub const BINS: usize = 70;

/// The objects of one (w, h) cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeCell {
    /// Bin of the width and of the height (0-based, see [`bin_edges`]).
    pub w_bin: u16,
    pub h_bin: u16,
    /// Objects some prior shape centred on them fits (shape IoU >= the threshold).
    pub fit: u64,
    /// Objects no prior shape fits even at their centre (shape IoU below the threshold).
    pub misfit: u64,
}

/// The objects' (w, h) summary of one configuration, and its prior shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectShapes {
    /// The non-empty cells, by width bin then height bin.
    pub cells: Vec<ShapeCell>,
    /// Objects whose width or height fell outside the bins' range (counted in an edge bin).
    pub clamped: u64,
    /// The distinct (w, h) of the priors, by width then height.
    pub prior_shapes: Vec<(f32, f32)>,
    /// The matching threshold "fit" is measured against.
    pub threshold: f32,
}

/// The lower and upper edge of bin `k`.
pub fn bin_edges(k: usize) -> (f64, f64) {
    let edge = |k: usize| 10f64.powf(LOG_MIN + k as f64 / BINS_PER_DECADE as f64);
    (edge(k), edge(k + 1))
}

/// The bin of a width or height, and whether it was outside the range.
pub fn bin_of(v: f32) -> (usize, bool) {
    let x = (f64::from(v).log10() - LOG_MIN) * f64::from(BINS_PER_DECADE);
    if x.is_nan() || x < 0.0 {
        (0, true)
    } else if x >= BINS as f64 {
        (BINS - 1, true)
    } else {
        (x as usize, false)
    }
}

/// Accumulates [`ObjectShapes`].
#[derive(Debug, Clone)]
pub(crate) struct ShapeTally {
    /// `[fit, misfit]` per cell, width-major.
    counts: Vec<[u64; 2]>,
    clamped: u64,
}

impl ShapeTally {
    pub(crate) fn new() -> Self {
        ShapeTally {
            counts: vec![[0; 2]; BINS * BINS],
            clamped: 0,
        }
    }

    pub(crate) fn add(&mut self, w: f32, h: f32, fits: bool) {
        let (wb, w_out) = bin_of(w);
        let (hb, h_out) = bin_of(h);
        self.clamped += u64::from(w_out || h_out);
        self.counts[wb * BINS + hb][usize::from(!fits)] += 1;
    }

    pub(crate) fn finish(self, prior_shapes: Vec<(f32, f32)>, threshold: f32) -> ObjectShapes {
        let cells = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| c[0] + c[1] > 0)
            .map(|(k, c)| ShapeCell {
                w_bin: (k / BINS) as u16,
                h_bin: (k % BINS) as u16,
                fit: c[0],
                misfit: c[1],
            })
            .collect();
        ObjectShapes {
            cells,
            clamped: self.clamped,
            prior_shapes,
            threshold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_three_and_a_half_decades_from_a_thousandth() {
        assert_eq!(bin_of(0.001), (0, false));
        assert_eq!(bin_of(0.0009), (0, true));
        assert_eq!(bin_of(0.0), (0, true));
        assert_eq!(bin_of(f32::NAN), (0, true));
        // 0.1 is 2 decades up: bin 40 (float log10 may land a hair below; either side of the
        // edge is the edge's own bin or the one before).
        assert!(matches!(bin_of(0.1), (39 | 40, false)));
        assert_eq!(bin_of(0.5), (53, false)); // log10 0.5 = -0.301: 2.699 decades
        assert_eq!(bin_of(1.0), (60, false));
        assert_eq!(bin_of(3.0), (69, false));
        assert_eq!(bin_of(4.0), (69, true));
        let (lo, hi) = bin_edges(53);
        assert!(lo <= 0.5 && 0.5 < hi, "{lo} {hi}");
        assert!((bin_edges(0).0 - 0.001).abs() < 1e-12);
        assert!((bin_edges(BINS - 1).1 - 10f64.sqrt()).abs() < 1e-9);
    }

    #[test]
    fn a_tally_keeps_non_empty_cells_in_order_with_fit_and_misfit_apart() {
        let mut t = ShapeTally::new();
        t.add(0.5, 0.5, true);
        t.add(0.5, 0.5, false);
        t.add(0.5, 0.5, true);
        t.add(0.01, 0.9, false);
        t.add(5.0, 0.01, true);
        let s = t.finish(vec![(0.2, 0.2)], 0.5);
        assert_eq!(s.clamped, 1);
        let (w01, _) = bin_of(0.01);
        let (h09, _) = bin_of(0.9);
        let (w05, _) = bin_of(0.5);
        assert_eq!(
            s.cells,
            vec![
                ShapeCell {
                    w_bin: w01 as u16,
                    h_bin: h09 as u16,
                    fit: 0,
                    misfit: 1
                },
                ShapeCell {
                    w_bin: w05 as u16,
                    h_bin: w05 as u16,
                    fit: 2,
                    misfit: 1
                },
                ShapeCell {
                    w_bin: (BINS - 1) as u16,
                    h_bin: w01 as u16,
                    fit: 1,
                    misfit: 0
                },
            ]
        );
    }
}
