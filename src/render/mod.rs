//! Pictures of what matching did: renderers fed by the report's data and by the matcher's
//! result of single images, never a second computation of the report's figures.
//!
//! - [`overlay`]: one image with its objects, their best and positive priors, and for a lost
//!   collision the object that took the prior (raster PNG and SVG); `ssd-assign show`.
//! - [`gallery`]: the worst cases of a report as thumbnails with those overlays, an HTML
//!   fragment the page embeds.
//! - [`charts`]: SVG charts (bars, grouped bars, a log-log scatter); [`figures`]: which chart
//!   shows which of the report's figures.
//! - [`html`]: the self-contained HTML audit report (`audit --html`).

pub mod charts;
pub mod figures;
pub mod gallery;
pub mod html;
pub mod overlay;
