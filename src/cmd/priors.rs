//! `ssd-assign priors`: print or write a prior set (CSV, JSON, NPY), or its configuration as
//! an editable TOML file to start a new one from.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::cli::UsageError;
use crate::cmd::ExitStatus;
use crate::priors::{self, PriorSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PriorsFormat {
    /// `index,cx,cy,w,h`, one prior a line (shortest round-trip f32 text).
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
}

pub fn run(args: &PriorsCmdArgs) -> anyhow::Result<ExitStatus> {
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
        Some(path) => write_atomic(path, &bytes)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(ExitStatus::Clean)
}

/// The bytes of `set` in `format`.
pub fn render(set: &PriorSet, format: PriorsFormat) -> anyhow::Result<Vec<u8>> {
    let mut buf = Vec::new();
    match format {
        PriorsFormat::Csv => {
            writeln!(buf, "index,cx,cy,w,h")?;
            for (p, c) in set.cxcy().iter().enumerate() {
                writeln!(buf, "{p},{},{},{},{}", c.cx, c.cy, c.w, c.h)?;
            }
        }
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
        PriorsFormat::Npy => {
            let flat: Vec<f32> = set.cxcy().iter().flat_map(|c| c.to_array()).collect();
            crate::npy::write_f32(&mut buf, &[set.len(), 4], &flat)?;
        }
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

/// Writes `bytes` to a temporary file beside `path`, then renames it into place, so that a
/// reader never sees half a file.
fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("--out {}: not a file name", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("--out {}: cannot write", path.display()))
}
