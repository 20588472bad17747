//! Label maps: class name <-> integer label, background = 0.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use super::input::{read_text, InputError, InputKind};

/// Why a label map cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LabelError {
    #[error("empty class name")]
    Empty,
    #[error("\"background\" is label 0 and cannot be a class")]
    Background,
    #[error("class \"{0}\" listed twice")]
    Twice(String),
    /// The class file cannot be read (not a regular file, too large, not text).
    #[error("{}: {error}", path.display())]
    File { path: PathBuf, error: InputError },
    #[error("{}: no class names in the file", .0.display())]
    NoNames(PathBuf),
    /// A class file's names are refused.
    #[error("{}: {error}", path.display())]
    InFile {
        path: PathBuf,
        error: Box<LabelError>,
    },
}

/// Which label map a run uses (`--classes voc|auto|FILE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassesSpec {
    /// The reference's 20 VOC classes.
    Voc,
    /// The sorted class names found in the dataset.
    Auto,
    /// One class name a line (a file named `auto` or `voc` is given as `./auto`).
    File(PathBuf),
}

impl ClassesSpec {
    /// The flag's value, as given.
    pub fn parse(s: &str) -> Result<ClassesSpec, std::convert::Infallible> {
        Ok(match s {
            "voc" => ClassesSpec::Voc,
            "auto" => ClassesSpec::Auto,
            file => ClassesSpec::File(PathBuf::from(file)),
        })
    }
}

impl fmt::Display for ClassesSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClassesSpec::Voc => f.write_str("voc"),
            ClassesSpec::Auto => f.write_str("auto"),
            ClassesSpec::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The reference's 20 VOC classes, labels 1..=20 in this order.
pub const VOC_CLASSES: [&str; 20] = [
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
];

/// Class names by label; label 0 is background and never a class of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMap {
    names: Vec<String>,
    lookup: HashMap<String, u32>,
}

/// Trims and lower-cases a class name, as the reference does before lookup.
pub fn normalize_name(name: &str) -> String {
    name.trim().to_lowercase()
}

impl LabelMap {
    /// Background plus `classes` as labels 1, 2, ... (names are normalised; duplicates refused).
    pub fn from_classes<S: AsRef<str>>(classes: &[S]) -> Result<LabelMap, LabelError> {
        let mut names = vec!["background".to_string()];
        let mut lookup = HashMap::new();
        for c in classes {
            let n = normalize_name(c.as_ref());
            if n.is_empty() {
                return Err(LabelError::Empty);
            }
            if n == "background" {
                return Err(LabelError::Background);
            }
            if lookup.insert(n.clone(), names.len() as u32).is_some() {
                return Err(LabelError::Twice(n));
            }
            names.push(n);
        }
        Ok(LabelMap { names, lookup })
    }

    /// The reference's VOC map.
    pub fn voc() -> LabelMap {
        LabelMap::from_classes(&VOC_CLASSES).expect("valid")
    }

    /// `--classes auto`: sorted unique normalised names, label = position + 1.
    pub fn auto<I: IntoIterator<Item = String>>(names: I) -> LabelMap {
        let set: BTreeSet<String> = names
            .into_iter()
            .map(|n| normalize_name(&n))
            .filter(|n| !n.is_empty() && n != "background")
            .collect();
        let v: Vec<String> = set.into_iter().collect();
        LabelMap::from_classes(&v).expect("unique names")
    }

    /// Reads a class file: one name a line (label = line number among names). Blank lines and
    /// `#` comments are skipped; a CVAT/Datumaro `labelmap.txt` (`name:color:parts:actions`) is
    /// understood; a first entry `background` (or `__background__`) stands for label 0. The file
    /// is read as every input is ([`super::input`]): a regular file under 1 MiB, UTF-8 (a
    /// byte-order mark, which Notepad writes, is dropped) or UTF-16.
    pub fn from_file(path: &Path) -> Result<LabelMap, LabelError> {
        let text = read_text(path, InputKind::ClassList).map_err(|error| LabelError::File {
            path: path.to_path_buf(),
            error,
        })?;
        let names = class_names(&text);
        if names.is_empty() {
            return Err(LabelError::NoNames(path.to_path_buf()));
        }
        LabelMap::from_classes(&names).map_err(|e| LabelError::InFile {
            path: path.to_path_buf(),
            error: Box::new(e),
        })
    }

    /// The label of a (raw) name, after trimming and lower-casing.
    pub fn label(&self, name: &str) -> Option<u32> {
        match self.lookup.get(name) {
            Some(&l) => Some(l),
            None => self.lookup.get(&normalize_name(name)).copied(),
        }
    }

    /// Name of a label (0 = "background").
    pub fn name(&self, label: u32) -> Option<&str> {
        self.names.get(label as usize).map(String::as_str)
    }

    /// Class names without background, by label order.
    pub fn classes(&self) -> &[String] {
        &self.names[1..]
    }

    /// Number of labels including background.
    pub fn num_labels(&self) -> usize {
        self.names.len()
    }

    /// A known class close to an unknown name (edit distance <= 2, or one contains the other),
    /// for "did you mean" hints.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        // A name far longer than any class is no typo of one (and its edit distances would
        // cost length x class length).
        let longest = self.classes().iter().map(|c| c.chars().count()).max()?;
        if name.len() > 4 * (longest + 2) + 64 {
            return None;
        }
        let n = normalize_name(name);
        let n_compact: String = n.chars().filter(|c| c.is_alphanumeric()).collect();
        let mut best: Option<(usize, &str)> = None;
        for c in self.classes() {
            let limit = if c.len() <= 4 { 1 } else { 2 };
            let d = if c.as_str() == n_compact {
                0
            } else if n.chars().count().abs_diff(c.chars().count()) > limit {
                continue;
            } else {
                edit_distance(&n, c)
            };
            if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, c));
            }
        }
        best.map(|(_, c)| c)
    }
}

/// The class names of a class file's text, without a leading `background` entry.
pub fn class_names(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = super::dataset::split_lines(text)
        .map(|(_, l)| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(labelmap_name)
        .collect();
    if let Some(first) = names.first() {
        if matches!(
            normalize_name(first).as_str(),
            "background" | "__background__"
        ) {
            names.remove(0);
        }
    }
    names
}

/// The name of a class-file line: a CVAT/Datumaro `labelmap.txt` line is
/// `name:color:parts:actions` (`traffic:light:250,170,30::` names `traffic:light`): its last
/// three fields are cut when the colour field is empty or `r,g,b`. Any other line is a name,
/// colons included.
fn labelmap_name(line: &str) -> &str {
    let fields: Vec<&str> = line.rsplitn(4, ':').collect();
    let is_color = |c: &str| {
        c.is_empty()
            || (c.split(',').count() == 3
                && c.split(',').all(|v| {
                    let v = v.trim();
                    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
                }))
    };
    match fields[..] {
        [_actions, _parts, color, name] if is_color(color) => name.trim(),
        _ => line,
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
