//! The cases a gallery of pictures draws, when the tally is asked to keep them
//! ([`super::AssignmentTally::keep_gallery`]): one per image, the image's worst object, over the
//! whole dataset (the report's `worst_cases` and examples hold too few images for a gallery of
//! 24 on a small set). Not serialised: the JSON and text reports are the same either way.

use super::{AssignmentTally, WorstCase};

/// Lost collisions and objects without a positive first.
fn rank(lost: bool, positives: u32) -> u8 {
    if lost || positives == 0 {
        0
    } else {
        1
    }
}

impl AssignmentTally {
    /// At most `n` cases, one per image (its worst object: lost or unmatched first, then the
    /// lowest best IoU, then the first in the file), images in that order, ties in dataset
    /// order. Empty when `n` is 0.
    pub(super) fn gallery_cases(&self, n: usize) -> Vec<WorstCase> {
        if n == 0 {
            return Vec::new();
        }
        let key = |k: usize| {
            let r = &self.records[k];
            (rank(r.lost, r.positives), r.best_iou)
        };
        let better = |a: usize, b: usize| {
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
        };
        // Records are in dataset order, an image's together: the worst of each run.
        let mut worst: Vec<usize> = Vec::new();
        for k in 0..self.records.len() {
            match worst.last_mut() {
                Some(w) if self.records[*w].image == self.records[k].image => {
                    if better(k, *w).is_lt() {
                        *w = k;
                    }
                }
                _ => worst.push(k),
            }
        }
        worst.sort_by(|&a, &b| better(a, b));
        worst.truncate(n);
        worst.into_iter().map(|k| self.case(k)).collect()
    }
}
