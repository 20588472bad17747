//! One module per subcommand: its flags, and `run`, which returns the exit status.

pub mod audit;
pub mod encode;
pub mod priors;
pub mod suggest;

use std::io::IsTerminal;

/// Exit statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything was read and used.
    Clean = 0,
    /// A fatal error: nothing (more) was done.
    Fatal = 1,
    /// Some files or objects were rejected; the output covers the rest.
    Rejected = 2,
    /// `--fail-under-coverage` gate not met.
    CoverageGate = 3,
}

/// A progress bar on stderr when it is a terminal and not `--quiet`; hidden otherwise.
pub fn progress_bar(len: usize, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} images ({per_sec}, eta {eta})",
        )
        .expect("valid template"),
    );
    pb
}
