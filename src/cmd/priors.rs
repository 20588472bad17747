//! `ssd-assign priors`: print or write a prior set (CSV, JSON, NPY), or its configuration as
//! an editable TOML file to start a new one from.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::cmd::{Outcome, UsageError};
use crate::priors::{self, PriorSet};
use crate::sink::atomic::AtomicFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriorsFormat {
    /// `prior,cx,cy,w,h`, one prior a line (shortest round-trip f32 text), as `encode` writes
    /// priors.csv.
    Csv,
    /// `{"name", "count", "config", "priors": [[cx, cy, w, h], ...]}`.
    Json,
    /// A (P, 4) float32 array of cx, cy, w, h (numpy: `np.load`).
    Npy,
    /// The configuration, as an editable file for `--priors FILE`.
    Toml,
}

#[derive(Debug, Args)]
pub struct PriorsCmdArgs {
    /// A preset (tiny-detector, ssd300, torchvision-ssd300) or a TOML/JSON configuration file.
    #[arg(long, default_value = "tiny-detector", value_name = "PRESET|FILE")]
    pub priors: String,

    /// Output format; default: from the --out extension (.csv, .json, .npy, .toml), else csv.
    #[arg(long, value_enum)]
    pub format: Option<PriorsFormat>,

    /// Write to FILE (atomically: a temporary file renamed into place) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Overwrite the --out file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &PriorsCmdArgs) -> anyhow::Result<Outcome> {
    let set = priors::resolve(&args.priors).map_err(|e| UsageError(format!("--priors {e}")))?;
    let format = args.format.unwrap_or_else(|| {
        let ext = args
            .out
            .as_deref()
            .and_then(Path::extension)
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("json") => PriorsFormat::Json,
            Some("npy") => PriorsFormat::Npy,
            Some("toml") => PriorsFormat::Toml,
            _ => PriorsFormat::Csv,
        }
    });
    if format == PriorsFormat::Npy && args.out.is_none() && std::io::stdout().is_terminal() {
        return Err(UsageError(
            "--format npy is binary: give --out FILE.npy or redirect stdout to a file".into(),
        )
        .into());
    }
    let bytes = render(&set, format)?;
    match &args.out {
        Some(path) => {
            let mut file =
                AtomicFile::create(path, args.force, "--out").map_err(anyhow::Error::msg)?;
            file.write_all(&bytes)
                .and_then(|()| file.commit())
                .with_context(|| format!("--out {}: cannot write", path.display()))?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(Outcome::Clean)
}

/// The bytes of `set` in `format`.
pub fn render(set: &PriorSet, format: PriorsFormat) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    match format {
        PriorsFormat::Csv => buf = crate::sink::csv::write_priors_csv_to(buf, set)?,
        PriorsFormat::Json => {
            let priors: Vec<[f32; 4]> = set.cxcy().iter().map(|c| c.to_array()).collect();
            let doc = serde_json::json!({
                "name": set.name(),
                "count": set.len(),
                "config": set.config(),
                "priors": priors,
            });
            serde_json::to_writer(&mut buf, &doc)?;
            buf.push(b'\n');
        }
        PriorsFormat::Npy => buf = crate::sink::targets::priors_npy_bytes(set),
        PriorsFormat::Toml => {
            let config = set.config().ok_or_else(|| {
                UsageError(format!(
                    "{}: this prior set has no configuration to write as TOML",
                    set.name()
                ))
            })?;
            buf.extend_from_slice(config.to_toml().as_bytes());
        }
    }
    Ok(buf)
}
