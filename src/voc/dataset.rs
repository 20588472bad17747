//! Dataset layouts: which annotation files make up a DATASET argument, in which order, and
//! where their images are.
//!
//! A DATASET may be
//! - a VOC year folder (`Annotations/`, optional `ImageSets/Main/*.txt`, `JPEGImages/`);
//! - a `VOCdevkit` folder holding year folders (taken in name order);
//! - a plain folder of `.xml` files (images looked up beside them);
//! - a single `.xml` file;
//! - a `.tar`, `.tar.gz`/`.tgz` or `.zip` archive holding one of the folder layouts, at its root
//!   or in the one folder that holds everything (`voc::archive`).
//!
//! The layout rules read the names through `voc::tree::Tree`: the disk and an archive's
//! member index answer the same questions, so one set of rules serves both.
//!
//! Order: the split file's order with `--split NAME`, else file names sorted bytewise.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::archive::{Archive, ArchiveFormat};
use super::input::{confined_id, InputError, InputKind};
use super::tree::{os_bytes, Disk, NodeType, Stat, Tree};
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
    /// The archive the annotations are members of (`None`: files on disk); paths are then
    /// `ARCHIVE/member`.
    archive: Option<Arc<Archive>>,
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

    /// The archive its annotation is a member of (`None`: a file on disk). Its paths
    /// ([`ImageEntry::xml`], [`ImageEntry::image_dirs`]) are then the archive's path joined
    /// with member names.
    pub fn archive(&self) -> Option<&Arc<Archive>> {
        self.source.archive.as_ref()
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

/// How one DATASET argument is being listed: the tree its names are in (the disk, or an
/// archive's members) and the settings.
struct Lister<'a> {
    tree: &'a dyn Tree,
    k: usize,
    split: Option<&'a str>,
    images: Option<&'a Path>,
    opts: ListOptions,
    /// The archive the tree is, for the entries (`None`: the disk).
    archive: Option<Arc<Archive>>,
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
    if meta.is_file() && ArchiveFormat::of(path).is_some() {
        let archive = Arc::new(Archive::open(path).map_err(|e| dataset_err(path, e.to_string()))?);
        let lister = Lister {
            tree: &*archive,
            k,
            split,
            images,
            opts,
            archive: Some(archive.clone()),
        };
        return lister.list_archive(&archive, out);
    }
    if meta.is_file() {
        return list_single_file(path, k, split, images, out);
    }
    if !meta.is_dir() {
        return Err(dataset_err(
            path,
            "is not a folder or a file (a FIFO, socket or device): a DATASET is a VOC year \
             folder, a VOCdevkit folder, a folder of .xml files, one .xml file, or a .tar, \
             .tar.gz, .tgz or .zip archive of one of these",
        ));
    }
    let lister = Lister {
        tree: &Disk,
        k,
        split,
        images,
        opts,
        archive: None,
    };
    lister.list_layout(path, out)
}

/// The DATASET argument's metadata; a link that cannot be followed is named as one.
fn dataset_metadata(path: &Path) -> Result<std::fs::Metadata, ListingError> {
    std::fs::metadata(path).map_err(|e| match Disk.stat(path) {
        Stat::BrokenLink(_) => dataset_err(
            path,
            format!(
                "is a symbolic link that cannot be followed ({e}): it loops or its target is \
                 missing; fix the link"
            ),
        ),
        _ => io_err(path)(e),
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
        archive: None,
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

/// The folder an archive's layout is read from: its root, or the one folder that holds
/// everything else (`voc-mini/` in `voc-mini.zip`; a `__MACOSX/` folder beside it is not
/// counted), followed down while the folder holds nothing but that one folder.
const MAC_METADATA_FOLDER: &str = "__MACOSX";

/// The sub-folders of a VOC year folder other than `Annotations/`.
const YEAR_FOLDER_PARTS: [&str; 5] = [
    "ImageSets",
    "JPEGImages",
    "SegmentationClass",
    "SegmentationObject",
    "images",
];

impl Lister<'_> {
    fn shown(&self, p: &Path) -> PathBuf {
        self.tree.shown(p)
    }

    fn io_err(&self, path: &Path) -> impl Fn(std::io::Error) -> ListingError {
        let path = self.shown(path);
        move |e| ListingError::Io {
            path: path.clone(),
            error: e.to_string(),
        }
    }

    fn dataset_err(&self, path: &Path, message: impl Into<String>) -> ListingError {
        dataset_err(&self.shown(path), message)
    }

    fn entry_source(&self, dir: PathBuf, image_dirs: Vec<PathBuf>) -> Arc<EntrySource> {
        Arc::new(EntrySource {
            dir,
            image_dirs,
            dataset: self.k,
            archive: self.archive.clone(),
        })
    }

    /// An archive: what indexing it found wrong, then the layout at its root (or the one
    /// folder holding everything).
    fn list_archive(&self, archive: &Archive, out: &mut Listing) -> Result<(), ListingError> {
        for p in archive.problems() {
            out.problems.push(ListingProblem {
                path: p.path.clone(),
                message: p.message.clone(),
                kind: p.kind,
            });
        }
        let mut root = archive.path().to_path_buf();
        while let Some(only) = self.only_folder(&root)? {
            root = only;
        }
        self.list_layout(&root, out)
            .map_err(|e| match archive.problems().first() {
                // Damage can be why no layout is found: the error says so.
                Some(p) => dataset_err(
                    archive.path(),
                    format!("{e} ({}: {})", p.path.display(), p.message),
                ),
                None => e,
            })
    }

    /// The one sub-folder of `dir` when `dir` holds nothing else a layout is made of (no
    /// `Annotations/`, no `.xml` file, no other folder).
    fn only_folder(&self, dir: &Path) -> Result<Option<PathBuf>, ListingError> {
        if self.annotations_dir(dir).ok().flatten().is_some() {
            return Ok(None);
        }
        let names = self.tree.read_dir(dir).map_err(self.io_err(dir))?;
        let mut folders = names
            .iter()
            .filter(|(n, t)| *t == Some(NodeType::Dir) && n != MAC_METADATA_FOLDER);
        // A year folder's own parts are not followed into: the layout stops there.
        let part = |n: &std::ffi::OsStr| YEAR_FOLDER_PARTS.iter().any(|p| n == *p);
        let has_xml = names
            .iter()
            .any(|(n, t)| *t != Some(NodeType::Dir) && xml_stem(os_bytes(n)).is_some());
        match (folders.next(), folders.next(), has_xml) {
            (Some((only, _)), None, false) if !part(only) => Ok(Some(dir.join(only))),
            _ => Ok(None),
        }
    }

    /// A folder: a year folder, a VOCdevkit of year folders or a plain folder of `.xml` files.
    fn list_layout(&self, path: &Path, out: &mut Listing) -> Result<(), ListingError> {
        if self
            .annotations_dir(path)
            .map_err(|m| self.dataset_err(path, m))?
            .is_some()
        {
            return self.list_year(path, out);
        }
        let devkit = self.find_year_folders(path)?;
        if !devkit.years.is_empty() {
            out.problems.extend(devkit.broken);
            for y in devkit.years {
                self.list_year(&y, out)?;
            }
            return Ok(());
        }
        self.list_plain_folder(path, &devkit.broken, out)
    }

    fn find_child_dir(&self, dir: &Path, names: &[&str]) -> Option<PathBuf> {
        names
            .iter()
            .map(|n| dir.join(n))
            .find(|p| self.tree.is_dir(p))
    }

    /// The year folder's `Annotations/` (or `annotations/`). An `Annotations` that is a link
    /// which cannot be followed (it loops, or its target is gone: an unmounted share) is an
    /// error: the year's files must not vanish from the run without a word.
    fn annotations_dir(&self, dir: &Path) -> Result<Option<PathBuf>, String> {
        for n in ["Annotations", "annotations"] {
            let p = dir.join(n);
            match self.tree.stat(&p) {
                Stat::Dir => return Ok(Some(p)),
                Stat::BrokenLink(e) => {
                    return Err(format!(
                        "{n} is a symbolic link that cannot be followed ({e}): it loops or its \
                         target is missing (an unmounted share?); fix the link"
                    ))
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// VOCdevkit: sub-folders that are year folders. One that cannot be read (a link that
    /// loops or dangles, an Annotations link whose target is gone) is a listing problem,
    /// named, not a year that silently vanishes.
    fn find_year_folders(&self, path: &Path) -> Result<YearFolders, ListingError> {
        let mut years = Vec::new();
        let mut broken = Vec::new();
        for (name, file_type) in self.tree.read_dir(path).map_err(self.io_err(path))? {
            // A regular file is no year folder: no stat for each file of a plain folder.
            if file_type == Some(NodeType::File) {
                continue;
            }
            let p = path.join(name);
            match self.tree.stat(&p) {
                Stat::Dir => match self.annotations_dir(&p) {
                    Ok(Some(_)) => years.push(p),
                    Ok(None) => {}
                    Err(message) => broken.push(ListingProblem {
                        message: format!("{message}; this year folder is not read"),
                        path: self.shown(&p),
                        kind: FindingKind::UnreadableFolder,
                    }),
                },
                Stat::BrokenLink(e) => broken.push(ListingProblem {
                    message: format!(
                        "is a symbolic link that cannot be followed ({e}): it loops or its \
                         target is missing; if it is a year folder, none of its files is \
                         read: fix or delete the link"
                    ),
                    path: self.shown(&p),
                    kind: FindingKind::UnreadableFolder,
                }),
                _ => {}
            }
        }
        Ok(YearFolders { years, broken })
    }

    /// A DATASET that is a plain folder of `.xml` files (images looked up beside them).
    /// `broken`: the sub-folders that could not be read, named by the error when the folder
    /// holds nothing.
    fn list_plain_folder(
        &self,
        path: &Path,
        broken: &[ListingProblem],
        out: &mut Listing,
    ) -> Result<(), ListingError> {
        if let Some(s) = self.split {
            return Err(ListingError::SplitOfPlainFolder {
                path: self.shown(path),
                name: s.to_string(),
            });
        }
        let images = self.images.map(Path::to_path_buf);
        let source = self.entry_source(
            path.to_path_buf(),
            vec![images.unwrap_or_else(|| path.to_path_buf())],
        );
        let before = out.entries.len();
        let problems_before = out.problems.len();
        self.list_folder(path, &source, out)?;
        if out.entries.len() == before && out.problems.len() == problems_before {
            return Err(self.empty_folder_error(path, broken));
        }
        out.sources.push(format!(
            "{}: plain folder, {} annotation files",
            self.shown(path).display(),
            out.entries.len() - before
        ));
        Ok(())
    }

    /// Why a folder with no year folders and no `.xml` file is no dataset: its subfolders hold
    /// some (`--recursive`), one could not be read, or what it holds.
    fn empty_folder_error(&self, path: &Path, broken: &[ListingProblem]) -> ListingError {
        if let Err(e) = self.nested_hint(path) {
            return e;
        }
        let subdirs: Vec<String> = match self.tree.read_dir(path) {
            Ok(entries) => entries
                .into_iter()
                .filter(|(n, _)| self.tree.is_dir(&path.join(n)))
                .map(|(n, _)| n.to_string_lossy().into_owned())
                .collect(),
            Err(e) => return self.io_err(path)(e),
        };
        let hint = if let Some(b) = broken.first() {
            format!(" ({}: {})", b.path.display(), b.message)
        } else if subdirs.is_empty() {
            String::new()
        } else {
            // A folder inside an archive cannot be passed as a DATASET of its own.
            let fix = match self.archive {
                Some(_) => "repack the archive with a dataset layout",
                None => "pass one of them",
            };
            format!(" (it holds the folders {}: {fix})", subdirs.join(", "))
        };
        self.dataset_err(
            path,
            format!("no Annotations/ folder, no year folders and no .xml files{hint}"),
        )
    }

    fn list_year(&self, dir: &Path, out: &mut Listing) -> Result<(), ListingError> {
        let ann = self
            .annotations_dir(dir)
            .map_err(|m| self.dataset_err(dir, m))?
            .ok_or_else(|| self.dataset_err(dir, "no Annotations/ folder"))?;
        let image_dirs = match self.images {
            Some(p) => vec![p.to_path_buf()],
            None => match self.find_child_dir(dir, &["JPEGImages", "images", "Images"]) {
                Some(p) => vec![p, ann.clone()],
                None => vec![ann.clone()],
            },
        };
        let source = self.entry_source(ann.clone(), image_dirs);
        let before = out.entries.len();
        let mut how = String::new();
        match self.split {
            Some(name) => {
                let file = dir
                    .join("ImageSets")
                    .join("Main")
                    .join(format!("{name}.txt"));
                let text = self.tree.read_text(&file, InputKind::Split).map_err(|e| {
                    ListingError::SplitFile {
                        file: self.shown(&file),
                        name: name.to_string(),
                        error: match e {
                            InputError::Read(m) => m,
                            e => e.to_string(),
                        },
                        available: self.available_splits(dir),
                    }
                })?;
                how = self.read_split(&text, &file, &ann, &source, out).describe();
            }
            None => {
                self.list_folder(&ann, &source, out)?;
                if out.entries.len() == before {
                    self.nested_hint(&ann)?;
                }
            }
        }
        out.sources.push(format!(
            "{}: VOC year folder{}, {} annotation files{how}",
            self.shown(dir).display(),
            self.split
                .map(|s| format!(" (split {s})"))
                .unwrap_or_default(),
            out.entries.len() - before
        ));
        Ok(())
    }
    /// Lists the ids of a split file (`text`, read from `file`) as entries of `ann`. Every id
    /// must name a file inside `ann`: an absolute id or one climbing out with `..` is refused
    /// with its line number.
    fn read_split(
        &self,
        text: &str,
        file: &Path,
        ann: &Path,
        source: &Arc<EntrySource>,
        out: &mut Listing,
    ) -> SplitRead {
        let mut read = SplitRead::default();
        let exists = |id: &str| confined_id(id).is_ok() && self.tree.exists(&xml_of(ann, id));
        let mut seen = std::collections::HashSet::new();
        let shown = self.shown(file);
        for (n, line) in split_lines(text) {
            let Some(ids) = split_line_ids(line, n, exists, &mut read) else {
                continue;
            };
            for id in ids {
                let at = SplitAt {
                    n,
                    file: &shown,
                    ann,
                };
                self.admit_split_id(id, at, source, &mut seen, out);
            }
        }
        if !read.multi.is_empty() {
            out.warnings.push(several_ids_note(&read.multi, &shown));
        }
        read
    }

    /// Admits one id of a split file: an entry of `ann`, or a problem (an id outside the
    /// dataset, a file missing or unusable); an id `seen` before is used again, with a
    /// warning.
    fn admit_split_id<'a>(
        &self,
        id: &'a str,
        at: SplitAt<'_>,
        source: &Arc<EntrySource>,
        seen: &mut std::collections::HashSet<&'a str>,
        out: &mut Listing,
    ) {
        let SplitAt { n, file, ann } = at;
        if let Err(why) = confined_id(id) {
            out.problems.push(ListingProblem {
                path: file.to_path_buf(),
                message: format!(
                    "line {n}: id {id:?} {why}: an id names a file inside {}, without \
                     .xml; correct or remove the line",
                    self.shown(ann).display()
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
        let Some(problem) = self.tree.file_problem(&xml, InputKind::Annotation) else {
            out.entries
                .push(ImageEntry::new(id.to_string(), &xml, source));
            return;
        };
        let (kind, message) = if !self.tree.exists(&xml) {
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
            path: self.shown(&xml),
            message,
            kind,
        });
    }

    fn available_splits(&self, dir: &Path) -> String {
        let main = dir.join("ImageSets").join("Main");
        let Ok(files) = self.tree.read_dir(&main) else {
            return String::new();
        };
        let names: Vec<String> = files
            .iter()
            .map(|(n, _)| Path::new(n))
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

    /// Lists a folder's `.xml` files, and with `--recursive` those of its subfolders.
    fn list_folder(
        &self,
        dir: &Path,
        source: &Arc<EntrySource>,
        out: &mut Listing,
    ) -> Result<(), ListingError> {
        if self.opts.recursive {
            self.list_xml_files_recursive(dir, source, out)
        } else {
            self.list_xml_files(dir, source, out)
        }
    }

    /// Without `--recursive`, a folder with no `.xml` whose subfolders hold some: the error
    /// says so, with the counts and the flag.
    fn nested_hint(&self, dir: &Path) -> Result<(), ListingError> {
        if self.opts.recursive {
            return Ok(());
        }
        let nested = self.walk_xml_files(dir)?;
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
            dir: self.shown(dir),
            files: nested.files.len(),
            folders: folders.len(),
            examples: format!("{}{more}", examples.join(", ")),
            example_id: String::from_utf8_lossy(&nested.files[0].0)
                .trim_end_matches(".xml")
                .trim_end_matches(".XML")
                .to_string(),
        })
    }

    /// Every `.xml` file under `root`, by relative path, sorted bytewise. Links to folders are
    /// never followed (ids stay inside the dataset, and a link cannot make the walk loop);
    /// subfolders are visited through an explicit stack (no recursion).
    fn walk_xml_files(&self, root: &Path) -> Result<Walk, ListingError> {
        let mut walk = Walk::default();
        let mut stack: Vec<Vec<u8>> = vec![Vec::new()];
        while let Some(rel) = stack.pop() {
            let dir = if rel.is_empty() {
                root.to_path_buf()
            } else {
                root.join(path_of_bytes(&rel))
            };
            for (name, file_type) in self.tree.read_dir(&dir).map_err(self.io_err(&dir))? {
                let bytes = os_bytes(&name);
                let mut child = rel.clone();
                if !child.is_empty() {
                    child.push(b'/');
                }
                child.extend_from_slice(bytes);
                if file_type == Some(NodeType::Dir) {
                    stack.push(child);
                } else if xml_stem(bytes).is_some() {
                    walk.files.push((child, file_type));
                } else if file_type == Some(NodeType::Symlink) && self.tree.is_dir(&dir.join(&name))
                {
                    walk.folder_links.push(dir.join(&name));
                }
            }
        }
        walk.files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        walk.folder_links.sort();
        Ok(walk)
    }

    /// `--recursive`: the `.xml` files under `dir`, ids being their relative paths without
    /// `.xml`.
    fn list_xml_files_recursive(
        &self,
        dir: &Path,
        source: &Arc<EntrySource>,
        out: &mut Listing,
    ) -> Result<(), ListingError> {
        let walk = self.walk_xml_files(dir)?;
        for link in walk.folder_links {
            out.warnings.push(ListingProblem {
                path: self.shown(&link),
                message: "is a link to a folder: not followed by --recursive (it could lead out \
                          of the dataset or loop); pass its target as a DATASET of its own"
                    .into(),
                kind: FindingKind::FolderLink,
            });
        }
        for (rel, file_type) in walk.files {
            let base = rel.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
            let listed = path_of_bytes(&rel).into_os_string();
            self.admit_xml_file(dir, listed, base, file_type, source, out);
        }
        Ok(())
    }

    fn list_xml_files(
        &self,
        dir: &Path,
        source: &Arc<EntrySource>,
        out: &mut Listing,
    ) -> Result<(), ListingError> {
        for (name, file_type) in self.tree.read_dir(dir).map_err(self.io_err(dir))? {
            // Names are looked at as bytes: no path is built for the usual `{id}.xml` file.
            if xml_stem(os_bytes(&name)).is_none() {
                continue;
            }
            self.admit_xml_file(dir, name, 0, file_type, source, out);
        }
        Ok(())
    }

    /// Admits one `.xml` file found by a listing of `dir`: `listed` is its name (or, with
    /// `--recursive`, its `/`-separated path relative to `dir`, its name starting at byte
    /// `base`), `file_type` its type as the directory listing gives it. It becomes an entry,
    /// or is skipped (AppleDouble metadata) or refused (not a regular file, a name that is not
    /// UTF-8). No path is built for the usual regular `{id}.xml` file, and `listed` is kept as
    /// the entry's file name when it is not `{id}.xml`.
    fn admit_xml_file(
        &self,
        dir: &Path,
        listed: std::ffi::OsString,
        base: usize,
        file_type: Option<NodeType>,
        source: &Arc<EntrySource>,
        out: &mut Listing,
    ) {
        let bytes = os_bytes(&listed);
        let name = &bytes[base..];
        if name.starts_with(b"._") && self.is_apple_double(&dir.join(&listed)) {
            out.ignored
                .push(apple_double_note(self.shown(&dir.join(&listed))));
            return;
        }
        // A regular file needs no further look; links and the rest are checked.
        if file_type != Some(NodeType::File) {
            let p = dir.join(&listed);
            if let Some(problem) = self.tree.file_problem(&p, InputKind::Annotation) {
                out.problems.push(ListingProblem {
                    path: self.shown(&p),
                    message: problem.to_string(),
                    kind: problem.finding_kind(),
                });
                return;
            }
        }
        // Not UTF-8: refused, since a lossy id (U+FFFD for the bad bytes) could be another
        // file's too (`\xff\xfe.xml` and `\xfe\xff.xml`), and ids.txt would not tell them
        // apart.
        let Ok(id) =
            std::str::from_utf8(&bytes[..bytes.len().saturating_sub(4)]).map(str::to_string)
        else {
            out.problems
                .push(not_utf8_name(self.shown(&dir.join(&listed))));
            return;
        };
        let plain = bytes.len() == id.len() + 4 && bytes.ends_with(b".xml");
        out.entries.push(ImageEntry {
            id,
            file_name: (!plain).then(|| listed.into_boxed_os_str()),
            source: source.clone(),
        });
    }

    /// A `._*` file holding AppleDouble metadata: skipped with a grouped note (the bytes are
    /// checked, so an annotation that happens to be named `._x.xml` is still read).
    fn is_apple_double(&self, path: &Path) -> bool {
        let mut head = [0u8; 4];
        self.tree.read_head(path, &mut head) && head == APPLE_DOUBLE_MAGIC
    }
}

/// Where in a split file an id was read: line `n` of `file` (as messages name it), the ids
/// naming files of `ann`.
#[derive(Clone, Copy)]
struct SplitAt<'a> {
    n: usize,
    file: &'a Path,
    ann: &'a Path,
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

/// Why a file whose name is not UTF-8 is not read.
const NOT_UTF8_NAME: &str = "file name is not valid UTF-8: not read, since its id could not be \
                             written without being confused with another file's (two such \
                             names would get one id); rename it to UTF-8 (e.g. convmv -f \
                             latin1 -t utf8 --notest FILE)";

/// What a recursive walk of a folder found.
#[derive(Default)]
struct Walk {
    /// `.xml` files: the path relative to the root (`/`-separated bytes), with its type as the
    /// directory listing gives it, sorted bytewise on the relative path.
    files: Vec<(Vec<u8>, Option<NodeType>)>,
    /// Links to folders, not followed (a link could lead out of the dataset, or loop).
    folder_links: Vec<PathBuf>,
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

fn apple_double_note(path: PathBuf) -> ListingProblem {
    ListingProblem {
        path,
        message: "macOS AppleDouble metadata (a \"._\" file left by a Mac archive), not an \
                  annotation: skipped; delete it"
            .into(),
        kind: FindingKind::AppleDouble,
    }
}

fn not_utf8_name(path: PathBuf) -> ListingProblem {
    ListingProblem {
        path,
        message: NOT_UTF8_NAME.into(),
        kind: FindingKind::NonUtf8FileName,
    }
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
