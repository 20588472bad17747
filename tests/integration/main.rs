//! The one integration-test binary (every extra test binary costs a link on a 2-core machine).

mod archive_builders;
mod archives;
mod audit;
mod bad_input;
mod browser;
mod common;
mod encode;
mod engine;
mod fast_path;
mod gallery;
mod golden;
mod grouped;
mod html;
mod inputs;
mod layouts;
mod priors;
mod quirks;
mod show;
mod suggest;
