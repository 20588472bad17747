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

/// Image file extensions tried, in order, when `<filename>` does not name an existing file.
pub const IMAGE_EXTENSIONS: [&str; 12] = [
    "jpg", "jpeg", "png", "JPG", "JPEG", "PNG", "bmp", "BMP", "webp", "tif", "tiff", "gif",
];

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
    /// What was found, one line per year folder / plain folder, for the report.
    pub sources: Vec<String>,
}

/// Lists the images of several DATASET arguments, in order. A fatal error (a path that does not
/// exist, a split file missing, no annotations at all) names the path and the fix.
pub fn list_datasets(
    paths: &[PathBuf],
    split: Option<&str>,
    images: Option<&Path>,
) -> Result<Listing, String> {
    let mut listing = Listing::default();
    for (k, path) in paths.iter().enumerate() {
        list_one(path, k, split, images, &mut listing)?;
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

fn annotations_dir(dir: &Path) -> Option<PathBuf> {
    find_child_dir(dir, &["Annotations", "annotations"])
}

fn list_one(
    path: &Path,
    k: usize,
    split: Option<&str>,
    images: Option<&Path>,
    out: &mut Listing,
) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_file() {
        if split.is_some() {
            return Err(format!(
                "{}: --split needs a VOC year folder, not a file",
                path.display()
            ));
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let source = Arc::new(EntrySource {
            image_dirs: vec![images.map(Path::to_path_buf).unwrap_or_else(|| dir.clone())],
            dir,
            dataset: k,
        });
        out.entries.push(ImageEntry::new(stem(path), path, &source));
        out.sources
            .push(format!("{} (one annotation file)", path.display()));
        return Ok(());
    }
    if annotations_dir(path).is_some() {
        return list_year(path, k, split, images, out);
    }
    // VOCdevkit: sub-folders that are year folders.
    let mut years: Vec<PathBuf> = read_dir_sorted(path)?
        .into_iter()
        .filter(|p| p.is_dir() && annotations_dir(p).is_some())
        .collect();
    if !years.is_empty() {
        years.sort_by(|a, b| os_bytes(a).cmp(os_bytes(b)));
        for y in years {
            list_year(&y, k, split, images, out)?;
        }
        return Ok(());
    }
    if let Some(s) = split {
        return Err(format!(
            "{}: --split {s} needs ImageSets/Main/{s}.txt in a VOC year folder; this is a plain folder",
            path.display()
        ));
    }
    let source = Arc::new(EntrySource {
        dir: path.to_path_buf(),
        image_dirs: vec![images
            .map(Path::to_path_buf)
            .unwrap_or_else(|| path.to_path_buf())],
        dataset: k,
    });
    let before = out.entries.len();
    list_xml_files(path, &source, out)?;
    if out.entries.len() == before {
        let subdirs: Vec<String> = read_dir_sorted(path)?
            .into_iter()
            .filter(|p| p.is_dir())
            .map(|p| {
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let hint = if subdirs.is_empty() {
            String::new()
        } else {
            format!(
                " (it holds the folders {}: pass one of them)",
                subdirs.join(", ")
            )
        };
        return Err(format!(
            "{}: no Annotations/ folder, no year folders and no .xml files{hint}",
            path.display()
        ));
    }
    out.sources.push(format!(
        "{}: plain folder, {} annotation files",
        path.display(),
        out.entries.len() - before
    ));
    Ok(())
}

fn list_year(
    dir: &Path,
    k: usize,
    split: Option<&str>,
    images: Option<&Path>,
    out: &mut Listing,
) -> Result<(), String> {
    let ann = annotations_dir(dir).expect("checked by caller");
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
    match split {
        Some(name) => {
            let file = dir
                .join("ImageSets")
                .join("Main")
                .join(format!("{name}.txt"));
            let text = std::fs::read(&file).map_err(|e| {
                format!(
                    "{}: {e}; --split {name} reads ImageSets/Main/{name}.txt{}",
                    file.display(),
                    available_splits(dir)
                )
            })?;
            let text = String::from_utf8_lossy(&text);
            // Notepad starts its files with a byte-order mark.
            let text = text.trim_start_matches('\u{FEFF}');
            let mut seen = std::collections::HashSet::new();
            for line in text.lines() {
                // Class split files read "id  1" / "id -1": the id is the first field.
                let Some(id) = line.split_whitespace().next() else {
                    continue;
                };
                if !seen.insert(id) {
                    out.warnings.push(ListingProblem {
                        path: file.clone(),
                        message: format!(
                            "id {id:?} is listed more than once; it is used each time, as the \
                             reference would: remove the duplicates if that is not meant"
                        ),
                    });
                }
                let xml = ann.join(format!("{id}.xml"));
                match annotation_file_problem(&xml) {
                    None => out
                        .entries
                        .push(ImageEntry::new(id.to_string(), &xml, &source)),
                    Some(problem) => {
                        let message = if xml.symlink_metadata().is_err() {
                            format!(
                                "id {id:?} is listed in {} but there is no such annotation file: \
                                 add the file or remove the id from the split",
                                file.display()
                            )
                        } else {
                            format!("(listed in {}) {problem}", file.display())
                        };
                        out.problems.push(ListingProblem { path: xml, message });
                    }
                }
            }
        }
        None => list_xml_files(&ann, &source, out)?,
    }
    out.sources.push(format!(
        "{}: VOC year folder{}, {} annotation files",
        dir.display(),
        split.map(|s| format!(" (split {s})")).unwrap_or_default(),
        out.entries.len() - before
    ));
    Ok(())
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

fn list_xml_files(dir: &Path, source: &Arc<EntrySource>, out: &mut Listing) -> Result<(), String> {
    for (name, file_type) in read_dir_names_sorted(dir)? {
        // Names are looked at as bytes: no path is built for the usual `{id}.xml` file.
        let bytes = os_bytes(Path::new(&name));
        let Some(stem) = bytes
            .len()
            .checked_sub(4)
            .filter(|&n| n > 0 && bytes[n..].eq_ignore_ascii_case(b".xml"))
            .map(|n| &bytes[..n])
        else {
            continue;
        };
        // A regular file needs no further look; links and the rest are checked.
        if !file_type.is_some_and(|t| t.is_file()) {
            let p = dir.join(&name);
            if let Some(message) = annotation_file_problem(&p) {
                out.problems.push(ListingProblem { path: p, message });
                continue;
            }
        }
        let id = match std::str::from_utf8(stem) {
            Ok(id) => id.to_string(),
            Err(_) => {
                out.warnings.push(ListingProblem {
                    path: dir.join(&name),
                    message: "file name is not valid UTF-8: the file is read, but its id is \
                              written with U+FFFD in place of the bad bytes and its image is \
                              found only through <filename>; rename it"
                        .into(),
                });
                String::from_utf8_lossy(stem).into_owned()
            }
        };
        let plain = bytes.len() == id.len() + 4 && bytes.ends_with(b".xml");
        out.entries.push(ImageEntry {
            id,
            file_name: (!plain).then(|| name.into_boxed_os_str()),
            source: source.clone(),
        });
    }
    Ok(())
}

/// Why `path` cannot be an annotation file (`None`: a regular file, or a link to one).
///
/// Checked when listing, so that a directory named `*.xml`, a FIFO (reading one would block
/// forever), or a symbolic link that loops or dangles is reported instead of read.
pub fn annotation_file_problem(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => Some("is a directory, not an annotation file; skipped".into()),
        Ok(_) => Some(
            "is not a regular file (a FIFO, socket or device): not read; replace it with the annotation file"
                .into(),
        ),
        Err(e) => Some(match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => format!(
                "is a symbolic link that cannot be followed ({e}): it loops or its target is \
                 missing; fix or delete the link"
            ),
            _ => format!("cannot be read: {e}"),
        }),
    }
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
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
fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, String> {
    Ok(read_dir_sorted_typed(dir)?
        .into_iter()
        .map(|(p, _)| p)
        .collect())
}

/// Like [`read_dir_sorted`], with each entry's type as the directory listing gives it (no
/// `stat` per file on the usual file systems).
fn read_dir_sorted_typed(dir: &Path) -> Result<Vec<(PathBuf, Option<std::fs::FileType>)>, String> {
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
) -> Result<Vec<(std::ffi::OsString, Option<std::fs::FileType>)>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut v = Vec::new();
    for e in rd {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
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

/// Finds an entry's image: by `<filename>` (as written, then its last path component), then by
/// the id with the usual extensions, in each image folder in turn.
pub fn find_image(entry: &ImageEntry, filename: Option<&str>) -> Option<PathBuf> {
    for dir in entry.image_dirs() {
        if let Some(f) = filename.filter(|f| !f.is_empty()) {
            // An absolute <filename> (labelImg's C:\\... or /home/...) or one climbing out with
            // `..` must not pick up some other file on this machine: only its last component is
            // looked up then.
            let escapes = Path::new(f).is_absolute()
                || f.contains(':')
                || f.split(['/', '\\']).any(|c| c == "..");
            let p = dir.join(f);
            if !escapes && p.is_file() {
                return Some(p);
            }
            if let Some(base) = f.rsplit(['/', '\\']).next() {
                let p = dir.join(base);
                if p.is_file() {
                    return Some(p);
                }
            }
        }
        for ext in IMAGE_EXTENSIONS {
            let p = dir.join(format!("{}.{ext}", entry.id));
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Reads an image's size from its header (format sniffed from the content, not the extension;
/// pixels are not decoded). The size is the stored one, as the reference's decoder sees it
/// (EXIF orientation is not applied). See [`super::images`] for the full header checks.
pub fn read_image_header(path: &Path) -> Result<super::images::ImageInfo, String> {
    super::images::read_image_info(path)
        .map_err(|e| format!("image {} cannot be read: {e}", path.display()))
}
