//! Dataset layouts: which annotation files make up a DATASET argument, in which order, and
//! where their images are.
//!
//! A DATASET may be
//! - a VOC year folder (`Annotations/`, optional `ImageSets/Main/*.txt`, `JPEGImages/`);
//! - a `VOCdevkit` folder holding year folders (taken in name order);
//! - a plain folder of `.xml` files (images looked up beside them);
//! - a single `.xml` file.
//!
//! Order: the split file's order with `--split NAME`, else file names sorted bytewise.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::input::{confined_id, file_problem, read_text, InputError, InputKind};
use crate::findings::FindingKind;

/// One image of a dataset: its id and annotation file.
///
/// Kept small (the listing holds one per image, a million for a large set): the folder, the
/// image folders and the dataset index are shared by every entry of a folder, and the file
/// name is stored only when it is not `{id}.xml`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageEntry {
    /// The file stem (or the split file's id).
    pub id: String,
    /// The annotation's file name when it is not `{id}.xml`.
    file_name: Option<Box<std::ffi::OsStr>>,
    source: Arc<EntrySource>,
}

/// What the entries of one folder share.
#[derive(Debug, Clone, PartialEq)]
struct EntrySource {
    /// The folder holding the annotation files.
    dir: PathBuf,
    /// Folders where the images may be.
    image_dirs: Vec<PathBuf>,
    /// Index of the DATASET argument.
    dataset: usize,
}

impl ImageEntry {
    fn new(id: String, xml: &Path, source: &Arc<EntrySource>) -> ImageEntry {
        let name = xml.file_name().unwrap_or_default();
        let plain = name.to_str().and_then(|n| n.strip_suffix(".xml")) == Some(id.as_str())
            && xml.parent() == Some(source.dir.as_path());
        let (file_name, source) = if plain {
            (None, source.clone())
        } else if xml.parent() == Some(source.dir.as_path()) {
            (Some(name.into()), source.clone())
        } else {
            // A file outside the shared folder (not produced by the listing): a source of its own.
            let own = EntrySource {
                dir: xml.parent().map(Path::to_path_buf).unwrap_or_default(),
                ..(**source).clone()
            };
            (Some(name.into()), Arc::new(own))
        };
        ImageEntry {
            id,
            file_name,
            source,
        }
    }

    /// The annotation file.
    pub fn xml(&self) -> PathBuf {
        match &self.file_name {
            Some(name) => self.source.dir.join(&**name),
            None => self.source.dir.join(format!("{}.xml", self.id)),
        }
    }

    /// Folders where its image may be, in lookup order.
    pub fn image_dirs(&self) -> &[PathBuf] {
        &self.source.image_dirs
    }

    /// Index of the DATASET argument it came from.
    pub fn dataset(&self) -> usize {
        self.source.dataset
    }
}

/// A problem found while listing a dataset (the rest of it is still used).
#[derive(Debug, Clone, PartialEq)]
pub struct ListingProblem {
    pub path: PathBuf,
    pub message: String,
    pub kind: FindingKind,
}

/// The result of listing the DATASET arguments.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub entries: Vec<ImageEntry>,
    /// Files that could not be used (split ids with no XML, directories named *.xml, links
    /// that loop...): each is a rejected file.
    pub problems: Vec<ListingProblem>,
    /// Files used despite a problem worth saying (a file name that is not UTF-8...).
    pub warnings: Vec<ListingProblem>,
    /// Files named `.xml` that are not annotations and are skipped with a grouped note (macOS
    /// AppleDouble `._*.xml` files).
    pub ignored: Vec<ListingProblem>,
    /// What was found, one line per year folder / plain folder, for the report.
    pub sources: Vec<String>,
    /// Split-file ids that name no annotation file (each is also a problem).
    pub missing_ids: usize,
}

impl Listing {
    /// Why the listing holds no file to read (for an error about an empty dataset): every id
    /// of the split files was missing, or every file was refused while listing.
    pub fn why_empty(&self) -> String {
        let first = self
            .problems
            .first()
            .map(|p| format!(" (first: {}: {})", p.path.display(), p.message))
            .unwrap_or_default();
        if self.missing_ids > 0 && self.missing_ids == self.problems.len() {
            format!(
                "none of the {} ids listed in the split file has an annotation file{first}",
                self.missing_ids
            )
        } else if !self.problems.is_empty() {
            format!(
                "all {} files listed were refused{first}",
                self.problems.len()
            )
        } else {
            "no annotation file was found".into()
        }
    }
}

/// Why the DATASET arguments cannot be listed at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ListingError {
    /// A folder or file that cannot be read (the OS error as text, so that it is printed once).
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: String },
    /// A DATASET argument that is not a dataset; the message says what it is and the fix.
    #[error("{}: {message}", path.display())]
    Dataset { path: PathBuf, message: String },
    /// A split `NAME` with no readable `ImageSets/Main/NAME.txt`.
    #[error("{}: {error}; the split {name} is read from ImageSets/Main/{name}.txt{available}", file.display())]
    SplitFile {
        file: PathBuf,
        name: String,
        error: String,
        /// " (available: train, val)" when other split files exist.
        available: String,
    },
    /// A split asked of a DATASET that is one `.xml` file.
    #[error("{}: a split needs a VOC year folder, not a file", path.display())]
    SplitOfFile { path: PathBuf },
    /// A split asked of a plain folder of `.xml` files.
    #[error("{}: the split {name} needs ImageSets/Main/{name}.txt in a VOC year folder; this is a plain folder", path.display())]
    SplitOfPlainFolder { path: PathBuf, name: String },
    /// A folder with no `.xml` file whose subfolders hold some, listed without recursion.
    #[error("{}: no .xml files here, but {files} in {folders} subfolders ({examples}): subfolders are read only when asked for (recursive; ids are then relative paths, e.g. {example_id})", dir.display())]
    OnlyInSubfolders {
        dir: PathBuf,
        files: usize,
        folders: usize,
        /// The first few subfolders, `a/, b/, c/, ...`.
        examples: String,
        example_id: String,
    },
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ListingError + '_ {
    move |e| ListingError::Io {
        path: path.to_path_buf(),
        error: e.to_string(),
    }
}

fn dataset_err(path: &Path, message: impl Into<String>) -> ListingError {
    ListingError::Dataset {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Lists the images of several DATASET arguments, in order. A fatal error (a path that does not
/// exist, a split file missing, no annotations at all) names the path and the fix.
pub fn list_datasets(
    paths: &[PathBuf],
    split: Option<&str>,
    images: Option<&Path>,
) -> Result<Listing, ListingError> {
    list_datasets_with(paths, split, images, ListOptions::default())
}

/// How folders are listed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// `--recursive`: also read `.xml` files in subfolders of a plain folder or of
    /// `Annotations/` (ids are then relative paths without `.xml`, `/`-separated).
    pub recursive: bool,
}

/// [`list_datasets`] with listing options.
pub fn list_datasets_with(
    paths: &[PathBuf],
    split: Option<&str>,
    images: Option<&Path>,
    opts: ListOptions,
) -> Result<Listing, ListingError> {
    let mut listing = Listing::default();
    for (k, path) in paths.iter().enumerate() {
        list_one(path, k, split, images, opts, &mut listing)?;
    }
    listing.entries.shrink_to_fit();
    Ok(listing)
}

fn find_child_dir(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    for n in names {
        let p = dir.join(n);
        if p.is_dir() {
            return Some(p);
        }
    }
    None
}

/// The year folder's `Annotations/` (or `annotations/`). An `Annotations` that is a link which
/// cannot be followed (it loops, or its target is gone: an unmounted share) is an error: the
/// year's files must not vanish from the run without a word.
fn annotations_dir(dir: &Path) -> Result<Option<PathBuf>, String> {
    for n in ["Annotations", "annotations"] {
        let p = dir.join(n);
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => return Ok(Some(p)),
            Ok(_) => {}
            Err(e) => {
                if broken_link(&p) {
                    return Err(format!(
                        "{n} is a symbolic link that cannot be followed ({e}): it loops or its \
                         target is missing (an unmounted share?); fix the link"
                    ));
                }
            }
        }
    }
    Ok(None)
}

fn broken_link(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
        && std::fs::metadata(p).is_err()
}

fn list_one(
    path: &Path,
    k: usize,
    split: Option<&str>,
    images: Option<&Path>,
    opts: ListOptions,
    out: &mut Listing,
) -> Result<(), ListingError> {
    let meta = dataset_metadata(path)?;
    if meta.is_file() {
        return list_single_file(path, k, split, images, out);
    }
    if !meta.is_dir() {
        return Err(dataset_err(
            path,
            "is not a folder or a file (a FIFO, socket or device): a DATASET is a VOC year \
             folder, a VOCdevkit folder, a folder of .xml files or one .xml file",
        ));
    }
    if annotations_dir(path)
        .map_err(|m| dataset_err(path, m))?
        .is_some()
    {
        return list_year(path, k, split, images, opts, out);
    }
    let devkit = find_year_folders(path)?;
    if !devkit.years.is_empty() {
        out.problems.extend(devkit.broken);
        for y in devkit.years {
            list_year(&y, k, split, images, opts, out)?;
        }
        return Ok(());
    }
    list_plain_folder(path, k, split, images, opts, &devkit.broken, out)
}

/// The DATASET argument's metadata; a link that cannot be followed is named as one.
fn dataset_metadata(path: &Path) -> Result<std::fs::Metadata, ListingError> {
    std::fs::metadata(path).map_err(|e| {
        if broken_link(path) {
            dataset_err(
                path,
                format!(
                    "is a symbolic link that cannot be followed ({e}): it loops or its target is \
                     missing; fix the link"
                ),
            )
        } else {
            io_err(path)(e)
        }
    })
}

/// A DATASET that is one `.xml` file: its image is looked up beside it.
fn list_single_file(
    path: &Path,
    k: usize,
    split: Option<&str>,
    images: Option<&Path>,
    out: &mut Listing,
) -> Result<(), ListingError> {
    if split.is_some() {
        return Err(ListingError::SplitOfFile {
            path: path.to_path_buf(),
        });
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let source = Arc::new(EntrySource {
        image_dirs: vec![images.map(Path::to_path_buf).unwrap_or_else(|| dir.clone())],
        dir,
        dataset: k,
    });
    match path.file_stem().unwrap_or_default().to_str() {
        Some(id) => out
            .entries
            .push(ImageEntry::new(id.to_string(), path, &source)),
        None => out.problems.push(not_utf8_name(path.to_path_buf())),
    }
    out.sources
        .push(format!("{} (one annotation file)", path.display()));
    Ok(())
}

/// The sub-folders of a folder that may be a VOCdevkit.
struct YearFolders {
    /// Sub-folders that are year folders, in name order.
    years: Vec<PathBuf>,
    /// Sub-folders that cannot be read (each a listing problem if this is a VOCdevkit).
    broken: Vec<ListingProblem>,
}

/// VOCdevkit: sub-folders that are year folders. One that cannot be read (a link that loops or
/// dangles, an Annotations link whose target is gone) is a listing problem, named, not a year
/// that silently vanishes.
fn find_year_folders(path: &Path) -> Result<YearFolders, ListingError> {
    let mut years = Vec::new();
    let mut broken = Vec::new();
    for (p, file_type) in read_dir_sorted_typed(path)? {
        // A regular file is no year folder: no stat for each file of a plain folder.
        if file_type.is_some_and(|t| t.is_file()) {
            continue;
        }
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => match annotations_dir(&p) {
                Ok(Some(_)) => years.push(p),
                Ok(None) => {}
                Err(message) => broken.push(ListingProblem {
                    message: format!("{message}; this year folder is not read"),
                    path: p,
                    kind: FindingKind::UnreadableFolder,
                }),
            },
            Ok(_) => {}
            Err(e) => broken.push(ListingProblem {
                message: format!(
                    "is a symbolic link that cannot be followed ({e}): it loops or its target \
                     is missing; if it is a year folder, none of its files is read: fix or \
                     delete the link"
                ),
                path: p,
                kind: FindingKind::UnreadableFolder,
            }),
        }
    }
    Ok(YearFolders { years, broken })
}

/// A DATASET that is a plain folder of `.xml` files (images looked up beside them). `broken`:
/// the sub-folders that could not be read, named by the error when the folder holds nothing.
fn list_plain_folder(
    path: &Path,
    k: usize,
    split: Option<&str>,
    images: Option<&Path>,
    opts: ListOptions,
    broken: &[ListingProblem],
    out: &mut Listing,
) -> Result<(), ListingError> {
    if let Some(s) = split {
        return Err(ListingError::SplitOfPlainFolder {
            path: path.to_path_buf(),
            name: s.to_string(),
        });
    }
    let source = Arc::new(EntrySource {
        dir: path.to_path_buf(),
        image_dirs: vec![images
            .map(Path::to_path_buf)
            .unwrap_or_else(|| path.to_path_buf())],
        dataset: k,
    });
    let before = out.entries.len();
    let problems_before = out.problems.len();
    list_folder(path, &source, opts, out)?;
    if out.entries.len() == before && out.problems.len() == problems_before {
        return Err(empty_folder_error(path, opts, broken));
    }
    out.sources.push(format!(
        "{}: plain folder, {} annotation files",
        path.display(),
        out.entries.len() - before
    ));
    Ok(())
}

/// Why a folder with no year folders and no `.xml` file is no dataset: its subfolders hold
/// some (`--recursive`), one could not be read, or what it holds.
fn empty_folder_error(path: &Path, opts: ListOptions, broken: &[ListingProblem]) -> ListingError {
    if let Err(e) = nested_hint(path, opts) {
        return e;
    }
    let subdirs: Vec<String> = match read_dir_sorted(path) {
        Ok(entries) => entries
            .into_iter()
            .filter(|p| p.is_dir())
            .map(|p| {
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(e) => return e,
    };
    let hint = if let Some(b) = broken.first() {
        format!(" ({}: {})", b.path.display(), b.message)
    } else if subdirs.is_empty() {
        String::new()
    } else {
        format!(
            " (it holds the folders {}: pass one of them)",
            subdirs.join(", ")
        )
    };
    dataset_err(
        path,
        format!("no Annotations/ folder, no year folders and no .xml files{hint}"),
    )
}

fn list_year(
    dir: &Path,
    k: usize,
    split: Option<&str>,
    images: Option<&Path>,
    opts: ListOptions,
    out: &mut Listing,
) -> Result<(), ListingError> {
    let ann = annotations_dir(dir)
        .map_err(|m| dataset_err(dir, m))?
        .ok_or_else(|| dataset_err(dir, "no Annotations/ folder"))?;
    let source = Arc::new(EntrySource {
        image_dirs: match images {
            Some(p) => vec![p.to_path_buf()],
            None => match find_child_dir(dir, &["JPEGImages", "images", "Images"]) {
                Some(p) => vec![p, ann.clone()],
                None => vec![ann.clone()],
            },
        },
        dir: ann.clone(),
        dataset: k,
    });
    let before = out.entries.len();
    let mut how = String::new();
    match split {
        Some(name) => {
            let file = dir
                .join("ImageSets")
                .join("Main")
                .join(format!("{name}.txt"));
            let text = read_text(&file, InputKind::Split).map_err(|e| ListingError::SplitFile {
                file: file.clone(),
                name: name.to_string(),
                error: match e {
                    InputError::Read(m) => m,
                    e => e.to_string(),
                },
                available: available_splits(dir),
            })?;
            let read = read_split(&text, &file, &ann, &source, out);
            how = read.describe();
        }
        None => {
            list_folder(&ann, &source, opts, out)?;
            if out.entries.len() == before {
                nested_hint(&ann, opts)?;
            }
        }
    }
    out.sources.push(format!(
        "{}: VOC year folder{}, {} annotation files{how}",
        dir.display(),
        split.map(|s| format!(" (split {s})")).unwrap_or_default(),
        out.entries.len() - before
    ));
    Ok(())
}

/// How the lines of a split file were read, for the report.
#[derive(Debug, Default)]
struct SplitRead {
    /// Lines in the per-class form `id  1` / `id -1`.
    per_class: usize,
    /// Whole lines holding white space that name a file (`Screenshot (573)`).
    with_spaces: usize,
    /// Lines that held several ids.
    multi: Vec<usize>,
}

impl SplitRead {
    fn describe(&self) -> String {
        let n =
            |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
        let mut parts = Vec::new();
        if self.per_class > 0 {
            parts.push(format!(
                "{} in the per-class form (id, then -1, 0 or 1)",
                n(self.per_class, "line", "lines")
            ));
        }
        if self.with_spaces > 0 {
            parts.push(format!(
                "{} holding spaces, each its whole line",
                n(self.with_spaces, "id", "ids")
            ));
        }
        if !self.multi.is_empty() {
            parts.push(format!(
                "{} holding several ids",
                n(self.multi.len(), "line", "lines")
            ));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("; {}", parts.join(", "))
        }
    }
}

/// The lines of a split file: they end at LF, CRLF or CR (old Mac files), as Python's
/// `splitlines()` reads them; numbered from 1.
pub fn split_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut n = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        n += 1;
        let (line, next) = match memchr::memchr2(b'\n', b'\r', rest.as_bytes()) {
            Some(i) => {
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                (&rest[..i], &rest[i + skip..])
            }
            None => (rest, ""),
        };
        rest = next;
        Some((n, line))
    })
}

/// How one line of a split file reads (see [`read_split`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitLine<'a> {
    /// Blank.
    Blank,
    /// One id: the whole trimmed line, or the id of a per-class line.
    Id { id: &'a str, per_class: bool },
    /// Several ids separated by white space, each naming an annotation file.
    Several(Vec<&'a str>),
}

/// Reads one (trimmed) split-file line. `exists(id)` says whether `Annotations/<id>.xml`
/// exists. In order:
/// 1. the whole line is the id when its file exists (ids with spaces: `Screenshot (573)`);
/// 2. else the per-class form `000001  1` / `000002 -1` (id, white space, -1/0/1) gives the
///    id, whether its file exists or not (per-class split files read as always);
/// 3. else, when white space splits the line into tokens that each name an existing file,
///    those are several ids;
/// 4. else the whole line is an id whose file is missing.
pub fn classify_split_line<'a>(line: &'a str, exists: impl Fn(&str) -> bool) -> SplitLine<'a> {
    let line = line.trim();
    if line.is_empty() {
        return SplitLine::Blank;
    }
    let whole = SplitLine::Id {
        id: line,
        per_class: false,
    };
    if !line.contains(char::is_whitespace) || exists(line) {
        return whole;
    }
    let tokens: Vec<&str> = line.split_whitespace().collect();
    if let [id, "-1" | "0" | "1"] = tokens[..] {
        return SplitLine::Id {
            id,
            per_class: true,
        };
    }
    if tokens.iter().all(|t| exists(t)) {
        return SplitLine::Several(tokens);
    }
    whole
}

/// Lists the ids of a split file (`text`, read from `file`) as entries of `ann`. Every id
/// must name a file inside `ann`: an absolute id or one climbing out with `..` is refused with
/// its line number.
fn read_split(
    text: &str,
    file: &Path,
    ann: &Path,
    source: &Arc<EntrySource>,
    out: &mut Listing,
) -> SplitRead {
    let mut read = SplitRead::default();
    let exists = |id: &str| confined_id(id).is_ok() && xml_of(ann, id).symlink_metadata().is_ok();
    let mut seen = std::collections::HashSet::new();
    for (n, line) in split_lines(text) {
        let Some(ids) = split_line_ids(line, n, exists, &mut read) else {
            continue;
        };
        for id in ids {
            admit_split_id(id, n, file, ann, source, &mut seen, out);
        }
    }
    if !read.multi.is_empty() {
        out.warnings.push(several_ids_note(&read.multi, file));
    }
    read
}

/// The annotation file of a split file's id.
fn xml_of(ann: &Path, id: &str) -> PathBuf {
    ann.join(format!("{id}.xml"))
}

/// The ids of line `n` of a split file (`None`: a blank line), counted in `read` by the form
/// they were written in.
fn split_line_ids<'a>(
    line: &'a str,
    n: usize,
    exists: impl Fn(&str) -> bool,
    read: &mut SplitRead,
) -> Option<Vec<&'a str>> {
    match classify_split_line(line, exists) {
        SplitLine::Blank => None,
        SplitLine::Id { id, per_class } => {
            read.per_class += per_class as usize;
            read.with_spaces += (!per_class && id.contains(char::is_whitespace)) as usize;
            Some(vec![id])
        }
        SplitLine::Several(ids) => {
            read.multi.push(n);
            Some(ids)
        }
    }
}

/// Admits one id of line `n` of the split file `file`: an entry of `ann`, or a problem (an id
/// outside the dataset, a file missing or unusable); an id `seen` before is used again, with
/// a warning.
fn admit_split_id<'a>(
    id: &'a str,
    n: usize,
    file: &Path,
    ann: &Path,
    source: &Arc<EntrySource>,
    seen: &mut std::collections::HashSet<&'a str>,
    out: &mut Listing,
) {
    if let Err(why) = confined_id(id) {
        out.problems.push(ListingProblem {
            path: file.to_path_buf(),
            message: format!(
                "line {n}: id {id:?} {why}: an id names a file inside {}, without \
                 .xml; correct or remove the line",
                ann.display()
            ),
            kind: FindingKind::IdOutsideDataset,
        });
        return;
    }
    if !seen.insert(id) {
        out.warnings.push(ListingProblem {
            path: file.to_path_buf(),
            message: format!(
                "id {id:?} is listed more than once; it is used each time, as the \
                 reference would: remove the duplicates if that is not meant"
            ),
            kind: FindingKind::DuplicateId,
        });
    }
    let xml = xml_of(ann, id);
    let Some(problem) = file_problem(&xml, InputKind::Annotation) else {
        out.entries
            .push(ImageEntry::new(id.to_string(), &xml, source));
        return;
    };
    let (kind, message) = if xml.symlink_metadata().is_err() {
        out.missing_ids += 1;
        (
            FindingKind::MissingAnnotation,
            missing_id_message(id, n, file),
        )
    } else {
        (
            problem.finding_kind(),
            format!("(listed in {}, line {n}) {problem}", file.display()),
        )
    };
    out.problems.push(ListingProblem {
        path: xml,
        message,
        kind,
    });
}

/// An id of line `n` of `file` with no annotation file; an id written with `.xml` is told to
/// drop it.
fn missing_id_message(id: &str, n: usize, file: &Path) -> String {
    let hint = match id.len().checked_sub(4) {
        Some(k) if k > 0 && id[k..].eq_ignore_ascii_case(".xml") => format!(
            " (ids carry no extension: write {:?}, not {id:?})",
            &id[..k]
        ),
        _ => String::new(),
    };
    format!(
        "id {id:?} is listed in {} (line {n}) but there is no such \
         annotation file{hint}: add the file or remove the id from the split",
        file.display()
    )
}

/// The grouped note on the lines of `file` (numbered `multi`) that held several ids.
fn several_ids_note(multi: &[usize], file: &Path) -> ListingProblem {
    let shown: Vec<String> = multi.iter().take(10).map(|n| n.to_string()).collect();
    let more = if multi.len() > 10 { ", ..." } else { "" };
    let one = multi.len() == 1;
    ListingProblem {
        path: file.to_path_buf(),
        message: format!(
            "{} ({} {}{more}) {} several ids separated by white space, each naming an \
             annotation file: each is used as an id (the reference reads one id a line): \
             put one id on each line",
            if one {
                "1 line".to_string()
            } else {
                format!("{} lines", multi.len())
            },
            if one { "line" } else { "lines" },
            shown.join(", "),
            if one { "holds" } else { "hold" },
        ),
        kind: FindingKind::SeveralIdsOnALine,
    }
}

fn available_splits(dir: &Path) -> String {
    let main = dir.join("ImageSets").join("Main");
    let Ok(files) = read_dir_sorted(&main) else {
        return String::new();
    };
    let names: Vec<String> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .filter(|s| !s.contains('_'))
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(" (available: {})", names.join(", "))
    }
}

/// Why a file whose name is not UTF-8 is not read.
const NOT_UTF8_NAME: &str = "file name is not valid UTF-8: not read, since its id could not be \
                             written without being confused with another file's (two such \
                             names would get one id); rename it to UTF-8 (e.g. convmv -f \
                             latin1 -t utf8 --notest FILE)";

/// Lists a folder's `.xml` files, and with `--recursive` those of its subfolders.
fn list_folder(
    dir: &Path,
    source: &Arc<EntrySource>,
    opts: ListOptions,
    out: &mut Listing,
) -> Result<(), ListingError> {
    if opts.recursive {
        list_xml_files_recursive(dir, source, out)
    } else {
        list_xml_files(dir, source, out)
    }
}

/// Without `--recursive`, a folder with no `.xml` whose subfolders hold some: the error says so,
/// with the counts and the flag.
fn nested_hint(dir: &Path, opts: ListOptions) -> Result<(), ListingError> {
    if opts.recursive {
        return Ok(());
    }
    let nested = walk_xml_files(dir)?;
    if nested.files.is_empty() {
        return Ok(());
    }
    let mut folders: Vec<&[u8]> = nested
        .files
        .iter()
        .filter_map(|(rel, _)| rel.iter().rposition(|&b| b == b'/').map(|i| &rel[..i]))
        .collect();
    folders.dedup();
    let examples: Vec<String> = folders
        .iter()
        .take(3)
        .map(|f| format!("{}/", String::from_utf8_lossy(f)))
        .collect();
    let more = if folders.len() > examples.len() {
        ", ..."
    } else {
        ""
    };
    Err(ListingError::OnlyInSubfolders {
        dir: dir.to_path_buf(),
        files: nested.files.len(),
        folders: folders.len(),
        examples: format!("{}{more}", examples.join(", ")),
        example_id: String::from_utf8_lossy(&nested.files[0].0)
            .trim_end_matches(".xml")
            .trim_end_matches(".XML")
            .to_string(),
    })
}

/// What a recursive walk of a folder found.
#[derive(Default)]
struct Walk {
    /// `.xml` files: the path relative to the root (`/`-separated bytes), with its type as the
    /// directory listing gives it, sorted bytewise on the relative path.
    files: Vec<(Vec<u8>, Option<std::fs::FileType>)>,
    /// Links to folders, not followed (a link could lead out of the dataset, or loop).
    folder_links: Vec<PathBuf>,
}

/// Every `.xml` file under `root`, by relative path, sorted bytewise. Links to folders are never
/// followed (ids stay inside the dataset, and a link cannot make the walk loop); subfolders are
/// visited through an explicit stack (no recursion).
fn walk_xml_files(root: &Path) -> Result<Walk, ListingError> {
    let mut walk = Walk::default();
    let mut stack: Vec<Vec<u8>> = vec![Vec::new()];
    while let Some(rel) = stack.pop() {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(path_of_bytes(&rel))
        };
        for (name, file_type) in read_dir_names_sorted(&dir)? {
            let bytes = os_bytes(Path::new(&name));
            let mut child = rel.clone();
            if !child.is_empty() {
                child.push(b'/');
            }
            child.extend_from_slice(bytes);
            if file_type.is_some_and(|t| t.is_dir()) {
                stack.push(child);
            } else if xml_stem(bytes).is_some() {
                walk.files.push((child, file_type));
            } else if file_type.is_some_and(|t| t.is_symlink()) && dir.join(&name).is_dir() {
                walk.folder_links.push(dir.join(&name));
            }
        }
    }
    walk.files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    walk.folder_links.sort();
    Ok(walk)
}

#[cfg(unix)]
fn path_of_bytes(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}
#[cfg(not(unix))]
fn path_of_bytes(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

/// The stem of a `.xml` file name (any letter case), if it is one.
fn xml_stem(bytes: &[u8]) -> Option<&[u8]> {
    bytes
        .len()
        .checked_sub(4)
        .filter(|&n| n > 0 && bytes[n..].eq_ignore_ascii_case(b".xml"))
        .map(|n| &bytes[..n])
}

/// The first bytes of a macOS AppleDouble file (`._name`, the resource fork a Mac archive
/// leaves beside each file).
const APPLE_DOUBLE_MAGIC: [u8; 4] = [0x00, 0x05, 0x16, 0x07];

/// A `._*` file holding AppleDouble metadata: skipped with a grouped note (the bytes are
/// checked, so an annotation that happens to be named `._x.xml` is still read).
fn is_apple_double(name: &[u8], path: &Path) -> bool {
    if !name.starts_with(b"._") {
        return false;
    }
    use std::io::Read;
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == APPLE_DOUBLE_MAGIC)
}

fn apple_double_note(path: PathBuf) -> ListingProblem {
    ListingProblem {
        path,
        message: "macOS AppleDouble metadata (a \"._\" file left by a Mac archive), not an \
                  annotation: skipped; delete it"
            .into(),
        kind: FindingKind::AppleDouble,
    }
}

/// `--recursive`: the `.xml` files under `dir`, ids being their relative paths without `.xml`.
fn list_xml_files_recursive(
    dir: &Path,
    source: &Arc<EntrySource>,
    out: &mut Listing,
) -> Result<(), ListingError> {
    let walk = walk_xml_files(dir)?;
    for link in walk.folder_links {
        out.warnings.push(ListingProblem {
            path: link,
            message: "is a link to a folder: not followed by --recursive (it could lead out of \
                      the dataset or loop); pass its target as a DATASET of its own"
                .into(),
            kind: FindingKind::FolderLink,
        });
    }
    for (rel, file_type) in walk.files {
        let base = rel.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
        admit_xml_file(
            dir,
            path_of_bytes(&rel).into_os_string(),
            base,
            file_type,
            source,
            out,
        );
    }
    Ok(())
}

fn not_utf8_name(path: PathBuf) -> ListingProblem {
    ListingProblem {
        path,
        message: NOT_UTF8_NAME.into(),
        kind: FindingKind::NonUtf8FileName,
    }
}

fn list_xml_files(
    dir: &Path,
    source: &Arc<EntrySource>,
    out: &mut Listing,
) -> Result<(), ListingError> {
    for (name, file_type) in read_dir_names_sorted(dir)? {
        // Names are looked at as bytes: no path is built for the usual `{id}.xml` file.
        if xml_stem(os_bytes(Path::new(&name))).is_none() {
            continue;
        }
        admit_xml_file(dir, name, 0, file_type, source, out);
    }
    Ok(())
}

/// Admits one `.xml` file found by a listing of `dir`: `listed` is its name (or, with
/// `--recursive`, its `/`-separated path relative to `dir`, its name starting at byte `base`),
/// `file_type` its type as the directory listing gives it. It becomes an entry, or is skipped
/// (AppleDouble metadata) or refused (not a regular file, a name that is not UTF-8). No path
/// is built for the usual regular `{id}.xml` file, and `listed` is kept as the entry's file
/// name when it is not `{id}.xml`.
fn admit_xml_file(
    dir: &Path,
    listed: std::ffi::OsString,
    base: usize,
    file_type: Option<std::fs::FileType>,
    source: &Arc<EntrySource>,
    out: &mut Listing,
) {
    let bytes = os_bytes(Path::new(&listed));
    let name = &bytes[base..];
    if name.starts_with(b"._") && is_apple_double(name, &dir.join(&listed)) {
        out.ignored.push(apple_double_note(dir.join(&listed)));
        return;
    }
    // A regular file needs no further look; links and the rest are checked.
    if !file_type.is_some_and(|t| t.is_file()) {
        let p = dir.join(&listed);
        if let Some((kind, message)) = annotation_file_problem_kind(&p) {
            out.problems.push(ListingProblem {
                path: p,
                message,
                kind,
            });
            return;
        }
    }
    // Not UTF-8: refused, since a lossy id (U+FFFD for the bad bytes) could be another
    // file's too (`\xff\xfe.xml` and `\xfe\xff.xml`), and ids.txt would not tell them apart.
    let Ok(id) = std::str::from_utf8(&bytes[..bytes.len().saturating_sub(4)]).map(str::to_string)
    else {
        out.problems.push(not_utf8_name(dir.join(&listed)));
        return;
    };
    let plain = bytes.len() == id.len() + 4 && bytes.ends_with(b".xml");
    out.entries.push(ImageEntry {
        id,
        file_name: (!plain).then(|| listed.into_boxed_os_str()),
        source: source.clone(),
    });
}

/// Why `path` cannot be an annotation file (`None`: a regular file, or a link to one): see
/// [`file_problem`].
pub fn annotation_file_problem(path: &Path) -> Option<String> {
    file_problem(path, InputKind::Annotation).map(|e| e.to_string())
}

/// [`annotation_file_problem`] with the kind of finding.
pub fn annotation_file_problem_kind(path: &Path) -> Option<(FindingKind, String)> {
    file_problem(path, InputKind::Annotation).map(|e| (e.finding_kind(), e.to_string()))
}

#[cfg(unix)]
fn os_bytes(p: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes()
}
#[cfg(not(unix))]
fn os_bytes(p: &Path) -> &[u8] {
    p.to_str().unwrap_or("").as_bytes()
}

/// Entries of a folder sorted bytewise by name.
fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, ListingError> {
    Ok(read_dir_sorted_typed(dir)?
        .into_iter()
        .map(|(p, _)| p)
        .collect())
}

/// Like [`read_dir_sorted`], with each entry's type as the directory listing gives it (no
/// `stat` per file on the usual file systems).
fn read_dir_sorted_typed(
    dir: &Path,
) -> Result<Vec<(PathBuf, Option<std::fs::FileType>)>, ListingError> {
    Ok(read_dir_names_sorted(dir)?
        .into_iter()
        .map(|(name, t)| (dir.join(name), t))
        .collect())
}

/// The names in a folder sorted bytewise, with each entry's type as the directory listing
/// gives it (no `stat` per file on the usual file systems). Names, not paths: a folder of a
/// million annotations is listed in a third of the memory.
fn read_dir_names_sorted(
    dir: &Path,
) -> Result<Vec<(std::ffi::OsString, Option<std::fs::FileType>)>, ListingError> {
    let rd = std::fs::read_dir(dir).map_err(io_err(dir))?;
    let mut v = Vec::new();
    for e in rd {
        let e = e.map_err(io_err(dir))?;
        let name = e.file_name();
        v.push((
            sort_key(os_bytes(Path::new(&name))),
            name,
            e.file_type().ok(),
        ));
    }
    // Bytewise order, compared through the first 16 bytes as one integer (the listing is
    // serial work before any file is read: 10k names were ~1.3 ms of comparisons through
    // memcmp); only names sharing those 16 bytes are compared in full.
    v.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| os_bytes(Path::new(&a.1)).cmp(os_bytes(Path::new(&b.1))))
    });
    Ok(v.into_iter().map(|(_, name, t)| (name, t)).collect())
}

/// The first 16 bytes of `name`, big-endian, zero-padded: ordered as the names are, bytewise
/// (a name has no NUL byte, so a shorter name sorts first, as it does bytewise).
fn sort_key(name: &[u8]) -> u128 {
    let mut k = [0u8; 16];
    let n = name.len().min(16);
    k[..n].copy_from_slice(&name[..n]);
    u128::from_be_bytes(k)
}
