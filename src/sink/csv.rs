//! `--format csv`: `targets.csv`, one row per positive prior (every prior with
//! `--all-priors`), and `priors.csv`.
//!
//! Floats are written in the shortest form that reads back to the same f32, so a CSV reader
//! that parses into float32 recovers the exact values of the NPY output.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::{Finished, ImageTargets, TargetSink};
use crate::priors::PriorSet;

pub const TARGETS_CSV: &str = "targets.csv";
pub const PRIORS_CSV: &str = "priors.csv";

/// Header of `targets.csv`.
pub const TARGETS_HEADER: [&str; 8] = [
    "image_id", "prior", "label", "class", "t_cx", "t_cy", "t_w", "t_h",
];

#[derive(Debug)]
pub struct CsvTargets {
    out: csv::Writer<BufWriter<File>>,
    /// Class name by label (0 = "background").
    class_names: Vec<String>,
    all_priors: bool,
    /// Files written beside `targets.csv` before it (priors.csv), reported by `finish` after it.
    also: Vec<&'static str>,
}

fn csv_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl CsvTargets {
    pub fn create(dir: &Path, class_names: Vec<String>, all_priors: bool) -> io::Result<Self> {
        let file = BufWriter::with_capacity(1 << 20, File::create(dir.join(TARGETS_CSV))?);
        let mut out = csv::Writer::from_writer(file);
        out.write_record(TARGETS_HEADER).map_err(csv_err)?;
        Ok(CsvTargets {
            out,
            class_names,
            all_priors,
            also: Vec::new(),
        })
    }

    /// Reports `name` (a file already written and synced in the same folder) as finished
    /// after `targets.csv`.
    pub fn with_finished(mut self, name: &'static str) -> Self {
        self.also.push(name);
        self
    }
}

impl TargetSink for CsvTargets {
    fn write_image(&mut self, t: &ImageTargets<'_>) -> io::Result<()> {
        for (p, (&label, loc)) in t.labels.iter().zip(t.locs).enumerate() {
            if label == 0 && !self.all_priors {
                continue;
            }
            let class = self
                .class_names
                .get(label as usize)
                .map(String::as_str)
                .unwrap_or("");
            self.out
                .serialize((t.id, p, label, class, loc[0], loc[1], loc[2], loc[3]))
                .map_err(csv_err)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> io::Result<Vec<Finished>> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        let mut done = vec![(TARGETS_CSV.to_string(), None)];
        done.extend(self.also.iter().map(|n| (n.to_string(), None)));
        Ok(done)
    }
}

/// Header of `priors.csv`; `prior` is the column of `targets.csv` that indexes it.
pub const PRIORS_HEADER: [&str; 5] = ["prior", "cx", "cy", "w", "h"];

/// Writes the priors as CSV (prior index, cx, cy, w, h) to `w`: the one priors CSV writer,
/// used by `encode --format csv` and by `ssd-assign priors --format csv`. Returns `w`.
pub fn write_priors_csv_to<W: Write>(w: W, priors: &PriorSet) -> io::Result<W> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(PRIORS_HEADER).map_err(csv_err)?;
    for (p, c) in priors.cxcy().iter().enumerate() {
        out.serialize((p, c.cx, c.cy, c.w, c.h)).map_err(csv_err)?;
    }
    out.into_inner().map_err(|e| e.into_error())
}

/// Writes `priors.csv` at `path` ([`write_priors_csv_to`]), flushed and synced.
pub fn write_priors_csv(path: &Path, priors: &PriorSet) -> io::Result<()> {
    let file = write_priors_csv_to(BufWriter::new(File::create(path)?), priors)?;
    file.into_inner().map_err(|e| e.into_error())?.sync_all()
}
