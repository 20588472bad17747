//! Prior configurations: the recipe a [`PriorSet`](super::PriorSet) is generated from, read from
//! TOML or JSON files and written back as editable TOML.
//!
//! A configuration is one or more feature maps. Each map lays a grid of cells over the image and
//! puts the same shapes (scale x aspect ratio, plus optional extras) at every cell centre. The
//! generation order is the one the SSD300 tutorial, Tiny-Detector and torchvision share: map by
//! map, row by row (y), column by column (x), then the cell's shapes in [`FeatureMap::shapes`]
//! order.
//!
//! The file format (docs/priors.md has the full reference):
//!
//! ```toml
//! name = "ssd300"
//! clip = true                      # clamp w, h to [0, 1] after rounding to f32
//!
//! [[feature_maps]]
//! grid = 38                        # cells per side, or [rows, cols]
//! scales = [0.1]                   # fractions of the image side
//! aspect_ratios = [1.0, 2.0, 0.5]  # w / h
//! extra_scale = "next"             # extra square prior after ratio 1: sqrt(s_k * s_k+1)
//! ```
//!
//! Unknown keys are rejected, and every value is checked with a message that names the key
//! (`feature_maps[2].scales[0]`) and says how to fix it.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Most priors a configuration may generate (prior indices are `u32` in matching results, and
/// each prior costs about 40 bytes per set plus 8 per matching thread).
pub const MAX_PRIORS: u64 = 4_000_000;

/// The order of the two inner loops that generate the shapes of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LoopOrder {
    /// `for scale { for ratio { .. } }` (Tiny-Detector).
    #[default]
    ScaleRatio,
    /// `for ratio { for scale { .. } }`.
    RatioScale,
}

impl LoopOrder {
    fn as_str(self) -> &'static str {
        match self {
            LoopOrder::ScaleRatio => "scale-ratio",
            LoopOrder::RatioScale => "ratio-scale",
        }
    }
}

/// The side of the extra square prior placed right after each prior of aspect ratio 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ExtraScale {
    /// A fixed side (fraction of the image side); the SSD300 tutorial uses 1.0 on its last map.
    Side(f64),
    /// `sqrt(s * s_next)` in f64, where `s` is the scale of the ratio-1 prior and `s_next` the
    /// first scale of the next feature map (on the last map: [`PriorConfig::scale_after_last`]).
    Next,
}

/// One feature map: a grid of cells, each holding the same shapes.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMap {
    /// Grid rows (cells along y).
    pub rows: u32,
    /// Grid columns (cells along x).
    pub cols: u32,
    /// Prior scales (fraction of the image side); a prior of scale `s` and ratio `r` has
    /// `w = s * sqrt(r)`, `h = s / sqrt(r)` (f64, then rounded to f32), so area `s^2`.
    pub scales: Vec<f64>,
    /// Aspect ratios `w / h`, in generation order.
    pub aspect_ratios: Vec<f64>,
    /// SSD300 style: one more square prior right after each prior of ratio 1.
    pub extra_scale: Option<ExtraScale>,
    /// torchvision style: every prior of ratio `r != 1` is followed by its transpose `(h, w)`.
    pub flip: bool,
    /// Which of scales and ratios is the outer loop.
    pub order: LoopOrder,
    /// torchvision style centre step in pixels: `cx = (j + 0.5) / (image_width / step)`
    /// (needs [`PriorConfig::image_size`]); without it `cx = (j + 0.5) / cols`.
    pub step: Option<f64>,
    /// Explicit per-cell shapes `(w, h)` in generation order (`shapes = [[w, h], ...]` in a
    /// file, as `ssd-assign suggest` writes them). When set, `scales` and `aspect_ratios` are
    /// empty and `extra_scale`, `flip` and `order` are unset: the shapes are the whole cell.
    pub shapes: Option<Vec<(f64, f64)>>,
}

/// A whole prior configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorConfig {
    /// Shown in reports; defaults to the file's stem.
    pub name: String,
    /// Clamp each prior's `w` and `h` to `[0, 1]` after rounding to f32. (The SSD300 tutorial
    /// clamps `cx, cy` too, but its centres always lie inside the image, so that is the same.)
    pub clip: bool,
    /// Image `(width, height)` in pixels: only used with [`FeatureMap::step`].
    pub image_size: Option<(u32, u32)>,
    /// The scale that follows the last map's for `extra_scale = "next"` (torchvision: 1.05).
    pub scale_after_last: Option<f64>,
    pub feature_maps: Vec<FeatureMap>,
}

/// Why a configuration could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read the prior configuration: {message}")]
    Read { path: String, message: String },
    /// Not valid TOML / JSON, or the wrong keys or types.
    #[error("{path}: not a valid prior configuration: {message}")]
    Syntax { path: String, message: String },
    /// A value out of range: `key` names it, `message` says what to do.
    #[error("{path}: {key}: {message}")]
    Value {
        path: String,
        key: String,
        message: String,
    },
}

impl ConfigError {
    fn with_path(self, p: &str) -> ConfigError {
        match self {
            ConfigError::Read { message, .. } => ConfigError::Read {
                path: p.into(),
                message,
            },
            ConfigError::Syntax { message, .. } => ConfigError::Syntax {
                path: p.into(),
                message,
            },
            ConfigError::Value { key, message, .. } => ConfigError::Value {
                path: p.into(),
                key,
                message,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The file schema. Numbers are read wide (i64 / f64) so that out-of-range values reach the
// validator, whose messages name the key and the fix.

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clip: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image_size: Option<RawSize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scale_after_last: Option<f64>,
    feature_maps: Vec<RawMap>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    grid: RawSize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scales: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aspect_ratios: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shapes: Option<Vec<Vec<f64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    extra_scale: Option<RawExtra>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    flip: bool,
    #[serde(default, skip_serializing_if = "is_default_order")]
    order: LoopOrder,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    step: Option<f64>,
}

fn is_default_order(o: &LoopOrder) -> bool {
    *o == LoopOrder::default()
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a size: one positive integer (e.g. 38) or two, [rows, cols] / [width, height]"
)]
enum RawSize {
    One(i64),
    Two(Vec<i64>),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "a positive number (the side, e.g. 1.0) or the string \"next\""
)]
enum RawExtra {
    Side(f64),
    Rule(String),
}

fn value_err(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Value {
        path: String::new(),
        key: key.into(),
        message: message.into(),
    }
}

fn positive(key: &str, v: f64, example: &str) -> Result<f64, ConfigError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(value_err(
            key,
            format!("{v} is not allowed: must be a positive finite number, e.g. {example}"),
        ))
    }
}

/// `(a, b)` from one number or a pair, each at least 1.
fn size(key: &str, s: &RawSize, example: &str) -> Result<(u32, u32), ConfigError> {
    let (a, b) = match s {
        RawSize::One(n) => (*n, *n),
        RawSize::Two(v) if v.len() == 2 => (v[0], v[1]),
        RawSize::Two(v) => {
            return Err(value_err(
                key,
                format!(
                    "{} numbers given: give one, or two, e.g. {example}",
                    v.len()
                ),
            ))
        }
    };
    for n in [a, b] {
        if !(1..=i64::from(u32::MAX)).contains(&n) {
            return Err(value_err(
                key,
                format!("{n} is not allowed: must be a positive integer, e.g. {example}"),
            ));
        }
    }
    Ok((a as u32, b as u32))
}

impl RawConfig {
    fn validate(self, default_name: &str) -> Result<PriorConfig, ConfigError> {
        let name = match self.name {
            Some(n) if n.trim().is_empty() => {
                return Err(value_err(
                    "name",
                    "empty: give a short name for reports, e.g. name = \"my-ssd\"",
                ))
            }
            Some(n) => n,
            None => default_name.to_string(),
        };
        let image_size = self
            .image_size
            .as_ref()
            .map(|s| size("image_size", s, "image_size = 300 or [width, height]"))
            .transpose()?;
        let scale_after_last = self
            .scale_after_last
            .map(|v| positive("scale_after_last", v, "scale_after_last = 1.05"))
            .transpose()?;
        if self.feature_maps.is_empty() {
            return Err(value_err(
                "feature_maps",
                "none given: add at least one [[feature_maps]] table with grid, scales and \
                 aspect_ratios",
            ));
        }
        let n_maps = self.feature_maps.len();
        let next_has_shapes: Vec<bool> = self
            .feature_maps
            .iter()
            .map(|m| m.shapes.is_some())
            .collect();
        let mut maps = Vec::with_capacity(n_maps);
        let mut total: u64 = 0;
        for (k, m) in self.feature_maps.into_iter().enumerate() {
            let key = |f: &str| format!("feature_maps[{k}].{f}");
            let (rows, cols) = size(&key("grid"), &m.grid, "grid = 38 or [rows, cols]")?;
            let (map, fewer) = match &m.shapes {
                Some(raw_shapes) => (
                    shapes_map(&key, rows, cols, &m, raw_shapes, image_size.is_some())?,
                    "fewer shapes",
                ),
                None => {
                    let next = MapNeighbours {
                        is_last: k + 1 == n_maps,
                        next_has_shapes: k + 1 < n_maps && next_has_shapes[k + 1],
                        scale_after_last: scale_after_last.is_some(),
                        image_size: image_size.is_some(),
                    };
                    (
                        scales_map(&key, rows, cols, m, next)?,
                        "fewer scales and ratios",
                    )
                }
            };
            total += u64::from(rows) * u64::from(cols) * map.shapes_per_cell() as u64;
            if total > MAX_PRIORS {
                return Err(value_err(
                    key("grid"),
                    format!(
                        "the configuration makes more than {MAX_PRIORS} priors: use smaller \
                         grids or {fewer}"
                    ),
                ));
            }
            maps.push(map);
        }
        Ok(PriorConfig {
            name,
            clip: self.clip.unwrap_or(true),
            image_size,
            scale_after_last,
            feature_maps: maps,
        })
    }
}

impl FeatureMap {
    /// A map with one grid size per side, the given shapes and no extras.
    pub fn square(grid: u32, scales: &[f64], aspect_ratios: &[f64]) -> FeatureMap {
        FeatureMap {
            rows: grid,
            cols: grid,
            scales: scales.to_vec(),
            aspect_ratios: aspect_ratios.to_vec(),
            extra_scale: None,
            flip: false,
            order: LoopOrder::ScaleRatio,
            step: None,
            shapes: None,
        }
    }

    /// A map of explicit per-cell shapes `(w, h)` on a `rows x cols` grid.
    pub fn with_shapes(rows: u32, cols: u32, shapes: Vec<(f64, f64)>) -> FeatureMap {
        FeatureMap {
            rows,
            cols,
            scales: Vec::new(),
            aspect_ratios: Vec::new(),
            extra_scale: None,
            flip: false,
            order: LoopOrder::ScaleRatio,
            step: None,
            shapes: Some(shapes),
        }
    }

    /// Priors per cell.
    pub fn shapes_per_cell(&self) -> usize {
        if let Some(shapes) = &self.shapes {
            return shapes.len();
        }
        let ones = self.aspect_ratios.iter().filter(|&&r| r == 1.0).count();
        let others = self.aspect_ratios.len() - ones;
        let per_scale = self.aspect_ratios.len()
            + if self.extra_scale.is_some() { ones } else { 0 }
            + if self.flip { others } else { 0 };
        per_scale * self.scales.len()
    }

    /// The `(w, h)` of one cell's priors in generation order, in f64 (rounded to f32 later):
    /// for each (scale `s`, ratio `r`) in [`LoopOrder`] order, `(s * sqrt(r), s / sqrt(r))`;
    /// then, if `r == 1` and there is an extra scale, the extra square; else, with `flip`,
    /// the transpose `(s / sqrt(r), s * sqrt(r))`. `next_scale` is the scale `"next"` refers to.
    pub fn shapes(&self, next_scale: Option<f64>) -> Vec<(f64, f64)> {
        if let Some(shapes) = &self.shapes {
            return shapes.clone();
        }
        let mut shapes = Vec::with_capacity(self.shapes_per_cell());
        let mut push = |s: f64, r: f64| {
            let sq = r.sqrt();
            let (w, h) = (s * sq, s / sq);
            shapes.push((w, h));
            if r == 1.0 {
                match self.extra_scale {
                    Some(ExtraScale::Side(e)) => shapes.push((e, e)),
                    Some(ExtraScale::Next) => {
                        // Validated: a "next" map always has a next scale.
                        let e = (s * next_scale.unwrap_or(s)).sqrt();
                        shapes.push((e, e));
                    }
                    None => {}
                }
            } else if self.flip {
                shapes.push((h, w));
            }
        };
        match self.order {
            LoopOrder::ScaleRatio => {
                for &s in &self.scales {
                    for &r in &self.aspect_ratios {
                        push(s, r);
                    }
                }
            }
            LoopOrder::RatioScale => {
                for &r in &self.aspect_ratios {
                    for &s in &self.scales {
                        push(s, r);
                    }
                }
            }
        }
        shapes
    }
}

impl PriorConfig {
    /// Number of priors this configuration generates.
    pub fn num_priors(&self) -> usize {
        self.feature_maps
            .iter()
            .map(|m| m.rows as usize * m.cols as usize * m.shapes_per_cell())
            .sum()
    }

    /// The scale `extra_scale = "next"` refers to on map `k`.
    pub fn next_scale(&self, k: usize) -> Option<f64> {
        match self.feature_maps.get(k + 1) {
            Some(m) => m.scales.first().copied(),
            None => self.scale_after_last,
        }
    }

    /// Parses a TOML configuration; `default_name` is used when it has no `name`.
    pub fn from_toml_str(text: &str, default_name: &str) -> Result<PriorConfig, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: String::new(),
            message: format!("{}", e).trim_end().to_string(),
        })?;
        raw.validate(default_name)
    }

    /// Parses a JSON configuration (the same keys as TOML).
    pub fn from_json_str(text: &str, default_name: &str) -> Result<PriorConfig, ConfigError> {
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| ConfigError::Syntax {
            path: String::new(),
            message: e.to_string(),
        })?;
        raw.validate(default_name)
    }

    /// Reads a configuration file: JSON if its name ends in `.json`, TOML otherwise. Errors
    /// start with the path.
    pub fn load(path: &Path) -> Result<PriorConfig, ConfigError> {
        let shown = path.display().to_string();
        // As every input is read (crate::voc::input): a regular file (a FIFO does not hang),
        // at most 1 MiB (a wrong path to a huge file is not echoed back by the TOML error),
        // UTF-8 with or without a byte-order mark, or UTF-16.
        let text = crate::voc::input::read_text(path, crate::voc::input::InputKind::PriorConfig)
            .map_err(|e| ConfigError::Read {
                path: shown.clone(),
                message: e.to_string(),
            })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "priors".into());
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if is_json {
            PriorConfig::from_json_str(&text, &stem)
        } else {
            PriorConfig::from_toml_str(&text, &stem)
        };
        parsed.map_err(|e| e.with_path(&shown))
    }

    fn to_raw(&self) -> RawConfig {
        let size = |(a, b): (u32, u32)| {
            if a == b {
                RawSize::One(a.into())
            } else {
                RawSize::Two(vec![a.into(), b.into()])
            }
        };
        RawConfig {
            name: Some(self.name.clone()),
            clip: Some(self.clip),
            image_size: self.image_size.map(size),
            scale_after_last: self.scale_after_last,
            feature_maps: self
                .feature_maps
                .iter()
                .map(|m| RawMap {
                    grid: size((m.rows, m.cols)),
                    scales: m.scales.clone(),
                    aspect_ratios: m.aspect_ratios.clone(),
                    extra_scale: m.extra_scale.map(|e| match e {
                        ExtraScale::Side(v) => RawExtra::Side(v),
                        ExtraScale::Next => RawExtra::Rule("next".into()),
                    }),
                    flip: m.flip,
                    order: m.order,
                    step: m.step,
                    shapes: m
                        .shapes
                        .as_ref()
                        .map(|v| v.iter().map(|&(w, h)| vec![w, h]).collect()),
                })
                .collect(),
        }
    }

    /// The configuration as an editable, commented TOML file that [`PriorConfig::from_toml_str`]
    /// reads back to the same configuration (floats are written in shortest round-trip form).
    pub fn to_toml(&self) -> String {
        let mut s = String::new();
        let q = |t: &str| toml::Value::String(t.to_string()).to_string();
        let list = |v: &[f64]| {
            let items: Vec<String> = v.iter().map(|x| fmt_f64(*x)).collect();
            format!("[{}]", items.join(", "))
        };
        let size = |(a, b): (u32, u32)| {
            if a == b {
                a.to_string()
            } else {
                format!("[{a}, {b}]")
            }
        };
        let _ = writeln!(
            s,
            "# ssd-assign prior configuration ({} priors). Use it with --priors FILE;\n\
             # docs/priors.md describes every key.",
            self.num_priors()
        );
        let _ = writeln!(s, "name = {}", q(&self.name));
        let _ = writeln!(
            s,
            "clip = {}  # clamp w and h to [0, 1] after rounding to f32",
            self.clip
        );
        if let Some(sz) = self.image_size {
            let _ = writeln!(
                s,
                "image_size = {}  # pixels (width, height), for steps",
                size(sz)
            );
        }
        if let Some(v) = self.scale_after_last {
            let _ = writeln!(
                s,
                "scale_after_last = {}  # for extra_scale = \"next\" on the last map",
                fmt_f64(v)
            );
        }
        for (k, m) in self.feature_maps.iter().enumerate() {
            let _ = writeln!(
                s,
                "\n# map {k}: {} priors per cell, {} in all",
                m.shapes_per_cell(),
                m.rows as usize * m.cols as usize * m.shapes_per_cell()
            );
            let _ = writeln!(s, "[[feature_maps]]");
            let _ = writeln!(s, "grid = {}", size((m.rows, m.cols)));
            if let Some(shapes) = &m.shapes {
                let items: Vec<String> = shapes
                    .iter()
                    .map(|&(w, h)| format!("[{}, {}]", fmt_f64(w), fmt_f64(h)))
                    .collect();
                let _ = writeln!(s, "shapes = [{}]  # [w, h] per cell", items.join(", "));
            } else {
                let _ = writeln!(s, "scales = {}", list(&m.scales));
                let _ = writeln!(s, "aspect_ratios = {}", list(&m.aspect_ratios));
            }
            match m.extra_scale {
                Some(ExtraScale::Side(v)) => {
                    let _ = writeln!(s, "extra_scale = {}", fmt_f64(v));
                }
                Some(ExtraScale::Next) => {
                    let _ = writeln!(s, "extra_scale = \"next\"");
                }
                None => {}
            }
            if m.flip {
                let _ = writeln!(s, "flip = true");
            }
            if m.order != LoopOrder::default() {
                let _ = writeln!(s, "order = {}", q(m.order.as_str()));
            }
            if let Some(v) = m.step {
                let _ = writeln!(s, "step = {}", fmt_f64(v));
            }
        }
        s
    }
}

/// A map given by `shapes = [[w, h], ...]`: nothing of the scale/ratio recipe may be set beside
/// it (it would be ignored), each pair is two positive finite numbers.
/// What a map's validation needs to know of the configuration around it.
#[derive(Debug, Clone, Copy)]
struct MapNeighbours {
    /// The last map (`extra_scale = "next"` then needs `scale_after_last`).
    is_last: bool,
    /// The next map gives explicit shapes (so it has no first scale for `"next"`).
    next_has_shapes: bool,
    /// `scale_after_last` is set.
    scale_after_last: bool,
    /// `image_size` is set (a `step` needs it).
    image_size: bool,
}

/// A map given by scales and aspect ratios, validated (`[[feature_maps]]` without `shapes`).
fn scales_map(
    key: &dyn Fn(&str) -> String,
    rows: u32,
    cols: u32,
    m: RawMap,
    next: MapNeighbours,
) -> Result<FeatureMap, ConfigError> {
    if m.scales.is_empty() {
        return Err(value_err(
            key("scales"),
            "empty: give at least one scale (fraction of the image side), e.g. \
             scales = [0.2]",
        ));
    }
    for (i, &s) in m.scales.iter().enumerate() {
        positive(&key(&format!("scales[{i}]")), s, "0.2")?;
    }
    if m.aspect_ratios.is_empty() {
        return Err(value_err(
            key("aspect_ratios"),
            "empty: give at least one ratio w/h, e.g. aspect_ratios = [1.0, 2.0, 0.5]",
        ));
    }
    for (i, &r) in m.aspect_ratios.iter().enumerate() {
        positive(
            &key(&format!("aspect_ratios[{i}]")),
            r,
            "2.0 (wide) or 0.5 (tall)",
        )?;
    }
    let extra_scale = match m.extra_scale {
        None => None,
        Some(RawExtra::Side(v)) => Some(ExtraScale::Side(positive(
            &key("extra_scale"),
            v,
            "extra_scale = 1.0",
        )?)),
        Some(RawExtra::Rule(r)) if r == "next" => {
            if next.next_has_shapes {
                return Err(value_err(
                    key("extra_scale"),
                    "\"next\" needs the next map's first scale, and the next map gives \
                     explicit shapes: give the side instead, e.g. extra_scale = 0.3",
                ));
            }
            if next.is_last && !next.scale_after_last {
                return Err(value_err(
                    key("extra_scale"),
                    "\"next\" on the last map needs the scale after it: set \
                     scale_after_last = 1.05 at the top (torchvision), or give the side, \
                     e.g. extra_scale = 1.0 (SSD300 tutorial)",
                ));
            }
            Some(ExtraScale::Next)
        }
        Some(RawExtra::Rule(r)) => {
            return Err(value_err(
                key("extra_scale"),
                format!(
                    "\"{r}\" is not allowed: give a number (the side, e.g. 1.0) or \
                     \"next\" (sqrt of this scale times the next map's)"
                ),
            ))
        }
    };
    let step = match m.step {
        None => None,
        Some(v) => {
            let v = positive(&key("step"), v, "step = 8 (pixels)")?;
            if !next.image_size {
                return Err(value_err(
                    key("step"),
                    "a step needs the image size: set image_size = 300 (or [width, \
                     height]) at the top, or remove step to centre priors in their cells",
                ));
            }
            Some(v)
        }
    };
    let map = FeatureMap {
        rows,
        cols,
        scales: m.scales,
        aspect_ratios: m.aspect_ratios,
        extra_scale,
        flip: m.flip,
        order: m.order,
        step,
        shapes: None,
    };
    Ok(map)
}

fn shapes_map(
    key: &dyn Fn(&str) -> String,
    rows: u32,
    cols: u32,
    m: &RawMap,
    raw: &[Vec<f64>],
    has_image_size: bool,
) -> Result<FeatureMap, ConfigError> {
    let conflicting = [
        ("scales", !m.scales.is_empty()),
        ("aspect_ratios", !m.aspect_ratios.is_empty()),
        ("extra_scale", m.extra_scale.is_some()),
        ("flip", m.flip),
        ("order", m.order != LoopOrder::default()),
    ];
    if let Some((name, _)) = conflicting.iter().find(|(_, set)| *set) {
        return Err(value_err(
            key(name),
            "not allowed beside shapes: explicit shapes are the whole cell; remove one of the two",
        ));
    }
    if raw.is_empty() {
        return Err(value_err(
            key("shapes"),
            "empty: give at least one [w, h] pair, e.g. shapes = [[0.2, 0.2], [0.28, 0.14]]",
        ));
    }
    let mut shapes = Vec::with_capacity(raw.len());
    for (i, pair) in raw.iter().enumerate() {
        let k = key(&format!("shapes[{i}]"));
        if pair.len() != 2 {
            return Err(value_err(
                k,
                format!(
                    "{} numbers given: give a [w, h] pair (fractions of the image), e.g. [0.2, 0.3]",
                    pair.len()
                ),
            ));
        }
        let w = positive(&format!("{k}[0]"), pair[0], "0.2")?;
        let h = positive(&format!("{k}[1]"), pair[1], "0.3")?;
        shapes.push((w, h));
    }
    let step = match m.step {
        None => None,
        Some(v) => {
            let v = positive(&key("step"), v, "step = 8 (pixels)")?;
            if !has_image_size {
                return Err(value_err(
                    key("step"),
                    "a step needs the image size: set image_size = 300 (or [width, height]) at \
                     the top, or remove step to centre priors in their cells",
                ));
            }
            Some(v)
        }
    };
    Ok(FeatureMap {
        step,
        ..FeatureMap::with_shapes(rows, cols, shapes)
    })
}

/// An f64 in shortest round-trip form, always a valid TOML float (`1.0`, `0.333`, `1e-7`).
fn fmt_f64(v: f64) -> String {
    format!("{v:?}")
}

impl Serialize for PriorConfig {
    /// The file schema (so a JSON rendering is itself a loadable `.json` configuration).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_raw().serialize(serializer)
    }
}
