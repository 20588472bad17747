//! Built-in prior configurations, each equal to its source's priors (checked against
//! `golden/priors/*.npy` by the integration tests), and the `--priors PRESET|FILE` resolver.
//!
//! Each preset also ships as an editable file in the repository's `priors/` folder
//! (`priors/<name>.toml`); a test asserts that file and preset make the same priors.

use std::path::Path;

use super::config::{ConfigError, ExtraScale, FeatureMap, LoopOrder, PriorConfig};
use super::PriorSet;

/// Preset names, the default first.
pub const PRESETS: &[&str] = &["tiny-detector", "ssd300", "torchvision-ssd300"];

/// The configuration of a preset, or `None` for an unknown name.
pub fn preset_config(name: &str) -> Option<PriorConfig> {
    Some(match name {
        "tiny-detector" => tiny_detector(),
        "ssd300" => ssd300(),
        "torchvision-ssd300" => torchvision_ssd300(),
        _ => return None,
    })
}

/// Tiny-Detector (reference.md section 1): one 7x7 map, scales 0.2/0.4/0.6, ratios 1/2/0.5,
/// scale loop outside: 441 priors.
fn tiny_detector() -> PriorConfig {
    PriorConfig {
        name: "tiny-detector".into(),
        clip: true,
        image_size: None,
        scale_after_last: None,
        feature_maps: vec![FeatureMap::square(7, &[0.2, 0.4, 0.6], &[1.0, 2.0, 0.5])],
    }
}

/// The SSD300 PyTorch tutorial's `create_prior_boxes`: maps 38/19/10/5/3/1, one scale each,
/// ratios `[1, 2, 0.5]` or `[1, 2, 3, 0.5, .333]` (its literal 0.333, not 1/3), an extra square
/// of side `sqrt(s_k * s_k+1)` right after ratio 1 (1.0 on the last map), values clamped to
/// `[0, 1]` after conversion to f32: 8732 priors.
fn ssd300() -> PriorConfig {
    let three = [1.0, 2.0, 0.5];
    let five = [1.0, 2.0, 3.0, 0.5, 0.333];
    let maps: [(u32, f64, &[f64]); 6] = [
        (38, 0.1, &three),
        (19, 0.2, &five),
        (10, 0.375, &five),
        (5, 0.55, &five),
        (3, 0.725, &three),
        (1, 0.9, &three),
    ];
    let n = maps.len();
    PriorConfig {
        name: "ssd300".into(),
        clip: true,
        image_size: None,
        scale_after_last: None,
        feature_maps: maps
            .iter()
            .enumerate()
            .map(|(k, &(grid, scale, ratios))| FeatureMap {
                extra_scale: Some(if k + 1 < n {
                    ExtraScale::Next
                } else {
                    ExtraScale::Side(1.0)
                }),
                ..FeatureMap::square(grid, &[scale], ratios)
            })
            .collect(),
    }
}

/// torchvision's `ssd300_vgg16` `DefaultBoxGenerator([[2], [2, 3], [2, 3], [2, 3], [2], [2]],
/// scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05], steps=[8, 16, 32, 64, 100, 300])` on a
/// 300x300 image: per cell `(s, s)`, `(s', s')` with `s' = sqrt(s_k * s_k+1)`, then for each
/// ratio `r` the pair `(s*sqrt(r), s/sqrt(r))` and its transpose; centres `(j + 0.5) / (300 /
/// step)`; `w`, `h` clamped to `[0, 1]`: 8732 priors.
fn torchvision_ssd300() -> PriorConfig {
    let maps: [(u32, f64, &[f64], f64); 6] = [
        (38, 0.07, &[1.0, 2.0], 8.0),
        (19, 0.15, &[1.0, 2.0, 3.0], 16.0),
        (10, 0.33, &[1.0, 2.0, 3.0], 32.0),
        (5, 0.51, &[1.0, 2.0, 3.0], 64.0),
        (3, 0.69, &[1.0, 2.0], 100.0),
        (1, 0.87, &[1.0, 2.0], 300.0),
    ];
    PriorConfig {
        name: "torchvision-ssd300".into(),
        clip: true,
        image_size: Some((300, 300)),
        scale_after_last: Some(1.05),
        feature_maps: maps
            .iter()
            .map(|&(grid, scale, ratios, step)| FeatureMap {
                extra_scale: Some(ExtraScale::Next),
                flip: true,
                order: LoopOrder::ScaleRatio,
                step: Some(step),
                ..FeatureMap::square(grid, &[scale], ratios)
            })
            .collect(),
    }
}

impl PriorSet {
    /// Tiny-Detector's 441 priors (reference.md section 1), the default.
    pub fn tiny_detector() -> PriorSet {
        PriorSet::from_config(&tiny_detector())
    }

    /// The SSD300 PyTorch tutorial's 8732 priors.
    pub fn ssd300() -> PriorSet {
        PriorSet::from_config(&ssd300())
    }

    /// torchvision `ssd300_vgg16`'s 8732 default boxes, as fractional `(cx, cy, w, h)`.
    pub fn torchvision_ssd300() -> PriorSet {
        PriorSet::from_config(&torchvision_ssd300())
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Option<PriorSet> {
        preset_config(name).map(|c| PriorSet::from_config(&c))
    }
}

/// Why a `--priors` value names no prior set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResolveError {
    #[error(
        "{spec}: neither a preset ({presets}) nor an existing configuration file (TOML, or JSON \
         ending in .json; `ssd-assign priors --priors ssd300 --format toml` writes one to \
         start from)",
        presets = PRESETS.join(", ")
    )]
    Unknown { spec: String },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Resolves a `--priors` value: a preset name, else a TOML or JSON configuration file. The
/// error says which presets exist when the value is neither.
pub fn resolve(spec: &str) -> Result<PriorSet, ResolveError> {
    if let Some(set) = PriorSet::preset(spec) {
        return Ok(set);
    }
    let path = Path::new(spec);
    // symlink_metadata: a link that loops or dangles is a file the user named, and reading
    // it says what is wrong with it.
    if path.symlink_metadata().is_err() {
        return Err(ResolveError::Unknown { spec: spec.into() });
    }
    let config = PriorConfig::load(path)?;
    Ok(PriorSet::from_config(&config))
}
