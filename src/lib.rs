//! # ssd-assign
//!
//! Offline, reference-exact assignment of SSD prior boxes to Pascal VOC ground truths: the
//! matching that a MultiBoxLoss does silently inside training, done on a whole dataset so that
//! its outcome (unmatched objects, collisions, coverage, targets) can be seen and saved.
//!
//! Default semantics are those of the Tiny-Detector reference (441 priors on one 7x7 map), bit
//! for bit: see [`assign`] for matching, [`encode`] for targets, [`voc`] for reading.
//!
//! ```
//! use ssd_assign::{assign::{GtBox, MatchParams, Matcher}, geometry::Corners, priors::PriorSet};
//!
//! let priors = PriorSet::tiny_detector();
//! // A 0.13 x 0.13 box centred in the image: a near-tie decided by f32 rounding.
//! let gt = GtBox { corners: Corners::new(0.435, 0.435, 0.565, 0.565), label: 8 };
//! let m = Matcher::new().match_image(&priors, &[gt], &MatchParams::default());
//! assert_eq!(m.gts[0].best_prior, 217);
//! assert_eq!(m.num_positives(), 1); // only the forced prior
//! assert!(m.gts[0].forced_only);
//! ```

//!
//! The command line (`cli`, `cmd`: clap, progress bars, `anyhow`) is compiled only with the
//! default feature `cli`; `default-features = false` gives the library alone.

pub mod assign;
pub mod audit;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod cmd;
pub mod encode;
pub mod findings;
pub mod geometry;
pub mod names;
pub mod npy;
pub mod pipeline;
pub mod priors;
pub mod render;
pub mod report;
pub mod setup;
pub mod sink;
pub mod suggest;
pub mod voc;
