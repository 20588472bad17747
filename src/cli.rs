//! The command line: the subcommands (clap), how a parse error of a flag value is shown, and
//! the exit statuses. Each subcommand's flags and work are in [`crate::cmd`].

use clap::{Parser, Subcommand};

use crate::cmd::{self, args::FlagValueError, Outcome};

/// Offline, reference-exact SSD prior assignment for Pascal VOC datasets: see which objects
/// get positive priors, which collide, which are lost, and precompute training targets.
#[derive(Debug, Parser)]
#[command(name = "ssd-assign", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Match every image and report unmatched objects, collisions, coverage and bad files.
    Audit(cmd::audit::AuditArgs),
    /// Precompute training targets (labels, encoded boxes) as NPY, NPZ or CSV, with a manifest.
    Encode(cmd::encode::EncodeArgs),
    /// Print or write a prior set (csv, json, npy), or its configuration as an editable TOML.
    Priors(cmd::priors::PriorsCmdArgs),
    /// Suggest a prior configuration that covers the data, scored with the real matching.
    Suggest(cmd::suggest::SuggestArgs),
    /// Draw one image with its objects, their best and positive priors, and who took a lost
    /// collision's prior (PNG or SVG).
    Show(cmd::show::ShowArgs),
}

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

impl From<Outcome> for ExitStatus {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Clean => ExitStatus::Clean,
            Outcome::Rejected => ExitStatus::Rejected,
            Outcome::CoverageGate => ExitStatus::CoverageGate,
        }
    }
}

/// Parses the command line. A flag value that its typed parser refused ([`FlagValueError`],
/// e.g. `--variances`) is a fatal error of the run like any other, with its own message.
/// Clap's own errors (an unknown flag, a bad choice) are printed by clap but exit with status
/// 1 like every fatal error (clap's default, 2, is this tool's "something was rejected");
/// `--help` and `--version` exit 0.
pub fn parse() -> Result<Cli, FlagValueError> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) => {
            if e.kind() == clap::error::ErrorKind::ValueValidation {
                let ours =
                    std::error::Error::source(&e).and_then(|s| s.downcast_ref::<FlagValueError>());
                if let Some(f) = ours {
                    return Err(FlagValueError(f.0.clone()));
                }
            }
            if !e.use_stderr() {
                e.exit()
            }
            let _ = e.print();
            std::process::exit(ExitStatus::Fatal as i32)
        }
    }
}

/// Runs the subcommand.
pub fn run(cli: &Cli) -> anyhow::Result<ExitStatus> {
    let outcome = match &cli.command {
        Command::Audit(args) => cmd::audit::run(args),
        Command::Encode(args) => cmd::encode::run(args),
        Command::Priors(args) => cmd::priors::run(args),
        Command::Suggest(args) => cmd::suggest::run(args),
        Command::Show(args) => cmd::show::run(args),
    }?;
    Ok(outcome.into())
}
