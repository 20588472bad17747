//! Findings folded by kind: one group per [`FindingKind`], with its count, the files it touches
//! and every item in dataset order. The one grouping behind the audit's text and JSON, the
//! `--findings` file and `encode`'s stderr.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use serde::{Serialize, Serializer};

use super::UnknownClass;
use crate::findings::{Category, FindingKind};

/// One finding: what, where, and the message users read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The annotation file (or the split file, for a listing finding).
    pub path: String,
    /// 1-based line and column (0: not known).
    pub line: usize,
    pub column: usize,
    /// Index of the object among the file's `<object>` elements, when about one.
    pub object_index: Option<usize>,
    pub class: Option<String>,
    pub message: String,
}

impl Finding {
    /// `path:line:column: message` (the position when known).
    pub fn located(&self) -> String {
        match (self.line, self.column) {
            (0, _) => format!("{}: {}", self.path, self.message),
            (l, 0) => format!("{}:{l}: {}", self.path, self.message),
            (l, c) => format!("{}:{l}:{c}: {}", self.path, self.message),
        }
    }
}

fn static_str<S: Serializer>(s: &&'static str, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s)
}

/// Every finding of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingGroup {
    pub kind: FindingKind,
    pub category: Category,
    /// Number of findings (`items.len()`).
    pub count: u64,
    /// Distinct files they are in.
    pub files: u64,
    /// What is counted: files, objects or images.
    pub unit: &'static str,
    #[serde(serialize_with = "static_str")]
    pub title: &'static str,
    /// What it means for training.
    #[serde(serialize_with = "static_str")]
    pub meaning: &'static str,
    #[serde(serialize_with = "static_str")]
    pub fix: &'static str,
    /// Every finding, in dataset order.
    pub items: Vec<Finding>,
}

impl FindingGroup {
    /// `5068 files are macOS AppleDouble metadata ...` / `12 objects in 9 files have ...`.
    pub fn headline(&self) -> String {
        let files = match self.files {
            f if self.unit != "objects" || f == self.count => String::new(),
            1 => " in 1 file".to_string(),
            f => format!(" in {f} files"),
        };
        if self.count == 1 {
            let unit = crate::findings::singular_unit(self.unit);
            let title = crate::findings::singular_title(self.title);
            format!("1 {unit}{files} {title}")
        } else {
            format!("{} {}{files} {}", self.count, self.unit, self.title)
        }
    }
}

#[derive(Debug, Default)]
struct GroupAcc {
    items: Vec<Finding>,
    files: u64,
    /// The file the last item was in (findings of a file arrive together).
    last_file: Option<u64>,
}

/// Accumulates findings as results arrive, grouped by kind.
#[derive(Debug, Default)]
pub struct FindingTally {
    groups: BTreeMap<FindingKind, GroupAcc>,
}

impl FindingTally {
    /// Adds a finding from file number `file` (any number identifying the file).
    pub fn add(&mut self, file: u64, f: Finding) {
        let g = self.groups.entry(f.kind).or_default();
        if g.last_file != Some(file) {
            g.files += 1;
            g.last_file = Some(file);
        }
        g.items.push(f);
    }

    /// The groups in report order (by category, then kind).
    pub fn finish(self) -> Vec<FindingGroup> {
        let mut groups: Vec<FindingGroup> = self
            .groups
            .into_iter()
            .map(|(kind, g)| FindingGroup {
                kind,
                category: kind.category(),
                count: g.items.len() as u64,
                files: g.files,
                unit: kind.unit(),
                title: kind.title(),
                meaning: kind.meaning(),
                fix: kind.fix(),
                items: g.items,
            })
            .collect();
        groups.sort_by_key(|g| (g.category, g.kind));
        groups
    }
}

/// Renders the groups for people: per category a heading, per kind its headline, meaning and
/// fix, then up to `examples` items (for unknown classes: the names, with their counts and a
/// close known name, from `unknown`); `indent` starts every line. At most `max_lines` lines
/// (examples are cut first, then the meaning lines; a group always keeps its headline).
pub fn render_groups(
    groups: &[FindingGroup],
    unknown: &[UnknownClass],
    examples: usize,
    max_lines: Option<usize>,
    indent: &str,
    out: &mut String,
) {
    let categories = {
        let mut c: Vec<Category> = groups.iter().map(|g| g.category).collect();
        c.dedup();
        c.len()
    };
    let available = |g: &FindingGroup| -> usize {
        if g.kind == FindingKind::UnknownClass && !unknown.is_empty() {
            unknown.len()
        } else {
            g.items.len()
        }
    };
    // Lines for a given number of examples per group, with or without the meaning line.
    let lines = |e: usize, meaning: bool| -> usize {
        categories
            + groups
                .iter()
                .map(|g| 1 + usize::from(meaning) + available(g).min(e))
                .sum::<usize>()
    };
    let (examples, meaning) = match max_lines {
        None => (examples, true),
        Some(max) => {
            let mut e = examples;
            while e > 0 && lines(e, true) > max {
                e -= 1;
            }
            (e, lines(e, true) <= max)
        }
    };
    let mut category = None;
    for g in groups {
        if category != Some(g.category) {
            let _ = writeln!(out, "{indent}{}", g.category.heading());
            category = Some(g.category);
        }
        let _ = writeln!(out, "{indent}  {}", g.headline());
        if meaning {
            let _ = writeln!(out, "{indent}      means: {}; fix: {}", g.meaning, g.fix);
        }
        if g.kind == FindingKind::UnknownClass && !unknown.is_empty() {
            let shown = unknown.len().min(examples);
            for (k, u) in unknown.iter().take(shown).enumerate() {
                let hint = u
                    .did_you_mean
                    .as_ref()
                    .map(|s| format!(", did you mean \"{s}\"?"))
                    .unwrap_or_default();
                let more = if k + 1 == shown && shown < unknown.len() {
                    format!(" (and {} more names)", unknown.len() - shown)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "{indent}      e.g. \"{}\" {}{hint}{more}",
                    u.name, u.count
                );
            }
            continue;
        }
        for f in g.items.iter().take(examples) {
            let _ = writeln!(out, "{indent}      e.g. {}", f.located());
        }
    }
}

/// One row of the `--findings` file.
#[derive(Debug, Serialize)]
struct Row<'a> {
    path: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    object_index: Option<usize>,
    kind: &'static str,
    category: Category,
    class: Option<&'a str>,
    message: &'a str,
    fix: &'static str,
}

/// The `--findings` file's format, from its extension: `.jsonl` / `.ndjson` give JSON Lines,
/// anything else CSV.
pub fn is_jsonl(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"))
}

/// Writes one row per finding (every group, every item) as CSV or JSON Lines to `w`.
pub fn write_findings(
    groups: &[FindingGroup],
    jsonl: bool,
    w: impl std::io::Write,
) -> std::io::Result<()> {
    let rows = groups.iter().flat_map(|g| {
        g.items.iter().map(move |f| Row {
            path: &f.path,
            line: (f.line > 0).then_some(f.line),
            column: (f.column > 0).then_some(f.column),
            object_index: f.object_index,
            kind: f.kind.name(),
            category: g.category,
            class: f.class.as_deref(),
            message: &f.message,
            fix: f.kind.fix(),
        })
    });
    if jsonl {
        let mut w = std::io::BufWriter::new(w);
        for r in rows {
            serde_json::to_writer(&mut w, &r)?;
            w.write_all(b"\n")?;
        }
        w.flush()
    } else {
        let mut w = csv::Writer::from_writer(w);
        for r in rows {
            w.serialize(r).map_err(std::io::Error::other)?;
        }
        w.flush()
    }
}
