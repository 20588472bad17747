//! Kinds of finding: the machine-readable name of everything reading a dataset can report (a
//! rejected file, an invalid object, a warning, an image-check finding...), with what it means
//! for training and the fix.
//!
//! Every finding is made with its [`FindingKind`] where it is found (`voc::xml`, `voc::resolve`,
//! `voc::dataset`, `pipeline`, `voc::images`); the reports fold findings by kind
//! (`report::FindingTally`) and never look at message texts. One grouping serves the audit
//! text, its JSON, the `--findings` file and `encode`'s stderr.

use serde::Serialize;

/// What a finding does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// The file is left out (exit status 2).
    FileRejected,
    /// The object is left out of matching (exit status 2).
    ObjectInvalid,
    /// `--check-images` found something about the image.
    ImageCheck,
    /// The object's class is not in the label map: skipped, as the reference does (not an error).
    UnknownClass,
    /// The data is used as the reference would use it, and the report says so.
    Warning,
    /// Not an annotation at all (macOS metadata): skipped with one grouped note.
    FileIgnored,
}

impl Category {
    /// The heading of the category's findings in the text report.
    pub fn heading(self) -> &'static str {
        match self {
            Category::FileRejected => "files rejected (left out)",
            Category::ObjectInvalid => "objects rejected (left out of matching)",
            Category::ImageCheck => "image checks",
            Category::UnknownClass => {
                "objects of unknown classes (skipped like the reference does)"
            }
            Category::Warning => "warnings (data used as the reference would use it)",
            Category::FileIgnored => "files ignored (not annotations)",
        }
    }
}

macro_rules! kinds {
    ($( $(#[$doc:meta])* $variant:ident => $name:literal, $cat:ident, $unit:literal,
        $title:literal, $meaning:literal, $fix:literal; )*) => {
        /// The kind of a finding. Its `name()` is stable (JSON, `--findings`), its order is the
        /// order of the text report.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum FindingKind {
            $( $(#[$doc])* $variant, )*
        }

        impl FindingKind {
            /// Every kind, in report order.
            pub const ALL: &'static [FindingKind] = &[$(FindingKind::$variant),*];

            /// The stable machine name (`snake_case`).
            pub fn name(self) -> &'static str {
                match self { $(FindingKind::$variant => $name,)* }
            }
            pub fn category(self) -> Category {
                match self { $(FindingKind::$variant => Category::$cat,)* }
            }
            /// What is counted: `files`, `objects`, `images` or `notes`.
            pub fn unit(self) -> &'static str {
                match self { $(FindingKind::$variant => $unit,)* }
            }
            /// What the findings of this kind are, after their count ("7 files ...").
            pub fn title(self) -> &'static str {
                match self { $(FindingKind::$variant => $title,)* }
            }
            /// What it means for training.
            pub fn meaning(self) -> &'static str {
                match self { $(FindingKind::$variant => $meaning,)* }
            }
            /// What to do about it.
            pub fn fix(self) -> &'static str {
                match self { $(FindingKind::$variant => $fix,)* }
            }
        }
    };
}

kinds! {
    // Files rejected.
    MissingAnnotation => "missing_annotation", FileRejected, "files",
        "listed in the split file have no annotation file",
        "those images are not trained on",
        "add the files, or remove the ids from the split file";
    NotRegularFile => "not_regular_file", FileRejected, "files",
        "named .xml are not regular files (folders, FIFOs, broken or looping links)",
        "not read",
        "replace them with the annotation files, or delete them";
    UnreadableFile => "unreadable_file", FileRejected, "files",
        "cannot be read (permissions, I/O errors)",
        "those images are not trained on",
        "give the user running ssd-assign read permission, or restore the files";
    FileTooLarge => "file_too_large", FileRejected, "files",
        "are over the 64 MiB limit for an annotation",
        "not read: a VOC annotation is a few kB, so these are not annotations",
        "replace them with the annotation files";
    EmptyFile => "empty_file", FileRejected, "files",
        "are empty",
        "those images are not trained on",
        "re-export them, or delete them and their ids from the split files";
    NotXml => "not_xml", FileRejected, "files",
        "are not XML (images, JSON, archives...)",
        "those images are not trained on",
        "put Pascal VOC XML files in their place (convert COCO/LabelMe JSON to VOC)";
    BadEncoding => "bad_encoding", FileRejected, "files",
        "are not valid text in their encoding",
        "those images are not trained on",
        "re-save them as UTF-8, or declare their real encoding";
    MalformedXml => "malformed_xml", FileRejected, "files",
        "are malformed or truncated XML",
        "those images are not trained on",
        "re-export them (the message names the line and column)";
    NotVocAnnotation => "not_voc_annotation", FileRejected, "files",
        "are XML but not Pascal VOC annotations",
        "those images are not trained on",
        "export them as Pascal VOC (one <annotation> per file)";
    NoImageSize => "no_image_size", FileRejected, "files",
        "have no usable <size> and no image to take it from",
        "their boxes cannot be normalised: those images are not trained on",
        "add <size> to the files, or pass --images DIR with their images";
    BadImageId => "bad_image_id", FileRejected, "files",
        "have an id (file name) that ids.txt cannot hold",
        "not encoded",
        "rename the files (no line breaks in names)";
    IdOutsideDataset => "id_outside_dataset", FileRejected, "ids",
        "in split files name no file inside Annotations/ (absolute paths, \"..\")",
        "not read: an id names a file inside the dataset",
        "correct or remove those lines of the split file";
    UnreadableFolder => "unreadable_folder", FileRejected, "folders",
        "cannot be read (links that loop or dangle, an Annotations link to an unmounted share)",
        "none of their annotation files is read",
        "fix or delete the links, or mount the share";
    ArchiveDamaged => "archive_damaged", FileRejected, "archives",
        "are truncated or corrupt (a tar cut short, a damaged gzip stream)",
        "the members after the damage are not read",
        "download or pack the archive again (tar -tf / gzip -t / unzip -t check it)";
    UnsafeMember => "unsafe_member", FileRejected, "members",
        "of archives cannot be read safely (links, devices, repeated names, names climbing out with \"..\" or absolute, zip bombs)",
        "not read: an archive is read in place, nothing is extracted or followed",
        "repack the archive with plain files under unique relative paths";
    // Objects rejected.
    NoName => "no_name", ObjectInvalid, "objects",
        "have no class name",
        "not trained on; the image trains with them as background",
        "fill in <name>";
    NoBndbox => "no_bndbox", ObjectInvalid, "objects",
        "have no <bndbox> (polygons or masks only)",
        "not trained on; the image trains with them as background",
        "export boxes as <bndbox>";
    BadCoordinate => "bad_coordinate", ObjectInvalid, "objects",
        "have a missing, empty, non-numeric or out-of-range coordinate",
        "not trained on; the image trains with them as background",
        "correct the coordinates (the message names the field)";
    EmptyBox => "empty_box", ObjectInvalid, "objects",
        "have an empty or inverted box (xmax <= xmin or ymax <= ymin)",
        "not trained on; the image trains with them as background",
        "correct the boxes (swapped corners?)";
    ClippedAway => "clipped_away", ObjectInvalid, "objects",
        "lie wholly outside the image, so --clip leaves nothing of them",
        "not trained on",
        "correct the boxes or the <size>";
    // Unknown classes.
    UnknownClass => "unknown_class", UnknownClass, "objects",
        "have a class that is not in the label map",
        "skipped, as the reference does: the model never sees them",
        "correct the names (the examples show the closest known class), or pass --classes auto or FILE";
    // Image checks.
    MissingImage => "missing_image", ImageCheck, "images",
        "are missing",
        "training fails or skips these images",
        "add the images, or pass --images DIR";
    UnreadableImage => "unreadable_image", ImageCheck, "images",
        "cannot be read as an image",
        "training fails on these images",
        "replace them with valid images";
    FormatMismatch => "format_mismatch", ImageCheck, "images",
        "hold another format than their extension says",
        "a loader that trusts the extension fails on them (not counted as rejected)",
        "rename or convert them";
    SizeSwapped => "size_swapped", ImageCheck, "images",
        "have <size> with width and height swapped (EXIF rotation)",
        "the boxes were drawn on one view; training may decode the other",
        "check the boxes against the image as your training code decodes it";
    SizeMismatch => "size_mismatch", ImageCheck, "images",
        "have a <size> that disagrees with the image",
        "the boxes are normalised by a wrong size",
        "correct <size> (or the image is not the one annotated)";
    // Warnings.
    ZeroBasedCoordinate => "zero_based_coordinate", Warning, "objects",
        "have a coordinate of 0 and so extend past the left/top edge",
        "kept unclipped as the reference does; the exporter writes 0-based pixels",
        "--coords zero-based reads them as such (or --clip clamps them)";
    OutsideImage => "outside_image", Warning, "objects",
        "extend outside the image",
        "kept unclipped as the reference does: their targets point outside the image",
        "correct the boxes or the <size> (--clip clamps them)";
    WhollyOutside => "wholly_outside", Warning, "objects",
        "lie wholly outside the image",
        "kept unclipped as the reference does: they teach the model nothing useful",
        "correct the boxes or the <size> (--clip drops them)";
    SizeFromImage => "size_from_image", Warning, "files",
        "have an unusable <size>; the size was taken from the image",
        "none: the image's size is used",
        "correct <size>";
    SizeUnknown => "size_unknown", Warning, "files",
        "have no <size> and no image, but no objects either",
        "none: an image without objects needs no size",
        "add <size>";
    DuplicateField => "duplicate_field", Warning, "files",
        "give a field twice; the first is used",
        "the second value is ignored",
        "remove the duplicate fields";
    EntityKept => "entity_kept", Warning, "files",
        "use XML entities, which are never expanded",
        "references stay as written in the field (a class name holding one matches no class)",
        "replace the entity references with their text";
    EncodingDeclaration => "encoding_declaration", Warning, "files",
        "declare an encoding they are not written in",
        "none: read as UTF-8",
        "correct the XML declaration";
    MoreWarnings => "more_warnings", Warning, "files",
        "have over 20 warnings; the rest are counted, not listed",
        "see the kinds listed for those files",
        "fix the listed warnings, then audit again";
    DuplicateId => "duplicate_id", Warning, "files",
        "list an id more than once; it is used each time, as the reference would",
        "those images weigh double in training",
        "remove the duplicates if that is not meant";
    SeveralIdsOnALine => "several_ids_on_a_line", Warning, "files",
        "hold several ids on one line, each naming an annotation file",
        "each is used as an id (the reference reads one id a line)",
        "put one id on each line";
    NestedObject => "nested_object", Warning, "objects",
        "are <object> elements inside an <object>",
        "not read: objects are children of <annotation>",
        "move them out of the enclosing <object> if they are meant as objects";
    NonUtf8FileName => "non_utf8_file_name", FileRejected, "files",
        "have a name that is not valid UTF-8",
        "not read: their ids could not be written without two files sharing one",
        "rename them to UTF-8 (e.g. convmv -f latin1 -t utf8 --notest FILE)";
    FolderLink => "folder_link", Warning, "files",
        "are links to folders, not followed by --recursive",
        "the annotations behind them are not read",
        "pass the link's target as a DATASET of its own";
    // Ignored.
    AppleDouble => "apple_double", FileIgnored, "files",
        "are macOS AppleDouble metadata (\"._*.xml\"), not annotations: skipped",
        "none: they are not annotations (a Mac archive left them)",
        "delete them (find DATASET -name '._*' -delete)";
}

impl FindingKind {
    /// Counted as rejected (exit status 2): rejected files and invalid objects, and image
    /// findings other than a format mismatch (loaders that sniff the content read those fine).
    pub fn is_rejection(self) -> bool {
        match self.category() {
            Category::FileRejected | Category::ObjectInvalid => true,
            Category::ImageCheck => self != FindingKind::FormatMismatch,
            _ => false,
        }
    }

    /// The kind whose stable name is `name`.
    pub fn from_name(name: &str) -> Option<FindingKind> {
        FindingKind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A warning found while reading one annotation: its kind, where (0 when unknown) and the
/// message users read.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub kind: FindingKind,
    /// 1-based line and column (0: not known).
    pub line: usize,
    pub column: usize,
    /// Index of the object among the file's `<object>` elements, when about one.
    pub object: Option<usize>,
    pub message: String,
}

impl Warning {
    /// The message.
    pub fn as_str(&self) -> &str {
        &self.message
    }

    pub fn new(kind: FindingKind, line: usize, message: String) -> Warning {
        Warning {
            kind,
            line,
            column: 0,
            object: None,
            message,
        }
    }
}

/// A warning reads as its message (`&w[..]`, `w.starts_with(..)`): code that held warnings as
/// strings before they had a kind keeps working.
impl std::ops::Deref for Warning {
    type Target = str;
    fn deref(&self) -> &str {
        &self.message
    }
}

impl PartialEq<&str> for Warning {
    fn eq(&self, other: &&str) -> bool {
        self.message == *other
    }
}

impl PartialEq<String> for Warning {
    fn eq(&self, other: &String) -> bool {
        &self.message == other
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = FindingKind::ALL.iter().map(|k| k.name()).collect();
        for k in FindingKind::ALL {
            assert_eq!(FindingKind::from_name(k.name()), Some(*k));
            // serde's name is the stable name.
            assert_eq!(
                serde_json::to_string(k).unwrap(),
                format!("\"{}\"", k.name())
            );
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FindingKind::ALL.len());
    }

    #[test]
    fn all_is_in_declaration_order() {
        let mut sorted = FindingKind::ALL.to_vec();
        sorted.sort();
        assert_eq!(sorted, FindingKind::ALL);
    }
}

/// `title` (written for a plural subject: "have no class name") for a count of one ("has no
/// class name"): the first verb of the phrase and the pronouns that refer to the subject are
/// made singular. Titles are this module's and report's own texts; a unit test covers each.
pub fn singular_title(title: &str) -> String {
    // Titles whose nouns or second verb the rule below would leave plural.
    const WHOLE: [(&str, &str); 6] = [
        (
            "named .xml are not regular files (folders, FIFOs, broken or looping links)",
            "named .xml is not a regular file (a folder, FIFO, broken or looping link)",
        ),
        (
            "are XML but not Pascal VOC annotations",
            "is XML but not a Pascal VOC annotation",
        ),
        (
            "have a coordinate of 0 and so extend past the left/top edge",
            "has a coordinate of 0 and so extends past the left/top edge",
        ),
        (
            "declare an encoding they are not written in",
            "declares an encoding it is not written in",
        ),
        (
            "are links to folders, not followed by --recursive",
            "is a link to a folder, not followed by --recursive",
        ),
        (
            "are macOS AppleDouble metadata (\"._*.xml\"), not annotations: skipped",
            "is macOS AppleDouble metadata (\"._*.xml\"), not an annotation: skipped",
        ),
    ];
    if let Some((_, s)) = WHOLE.iter().find(|(p, _)| *p == title) {
        return (*s).to_string();
    }
    const VERBS: [(&str, &str); 14] = [
        ("have", "has"),
        ("are", "is"),
        ("lie", "lies"),
        ("hold", "holds"),
        ("extend", "extends"),
        ("give", "gives"),
        ("use", "uses"),
        ("declare", "declares"),
        ("list", "lists"),
        ("name", "names"),
        ("learn", "learns"),
        ("cannot", "cannot"),
        ("lost", "lost"),
        ("were", "was"),
    ];
    const PRONOUNS: [(&str, &str); 4] = [
        ("their", "its"),
        ("them", "it"),
        ("they", "it"),
        ("elements", "element"),
    ];
    let mut verb_done = false;
    let words: Vec<String> = title
        .split(' ')
        .map(|w| {
            if !verb_done {
                if let Some((_, s)) = VERBS.iter().find(|(p, _)| *p == w) {
                    verb_done = true;
                    return (*s).to_string();
                }
                return w.to_string();
            }
            let (core, rest) = w.split_at(w.find(|c: char| !c.is_alphabetic()).unwrap_or(w.len()));
            match PRONOUNS.iter().find(|(p, _)| *p == core) {
                Some((_, s)) => format!("{s}{rest}"),
                None => w.to_string(),
            }
        })
        .collect();
    let mut out = words.join(" ");
    // "is <object> elements" reads "is an <object> element".
    if let Some(rest) = out.strip_prefix("is <object> element") {
        out = format!("is an <object> element{rest}");
    }
    out
}

/// `files` -> `file`: the unit of a count of one.
pub fn singular_unit(unit: &str) -> &str {
    unit.strip_suffix('s').unwrap_or(unit)
}

#[cfg(test)]
mod singular_tests {
    use super::*;

    /// Every title in the singular, written out: a new kind whose title the rule gets wrong
    /// fails here.
    #[test]
    fn every_title_reads_in_the_singular() {
        let got: Vec<String> = FindingKind::ALL
            .iter()
            .map(|k| {
                format!(
                    "1 {} {}",
                    singular_unit(k.unit()),
                    singular_title(k.title())
                )
            })
            .collect();
        let expected = [
            "1 file listed in the split file has no annotation file",
            "1 file named .xml is not a regular file (a folder, FIFO, broken or looping link)",
            "1 file cannot be read (permissions, I/O errors)",
            "1 file is over the 64 MiB limit for an annotation",
            "1 file is empty",
            "1 file is not XML (images, JSON, archives...)",
            "1 file is not valid text in its encoding",
            "1 file is malformed or truncated XML",
            "1 file is XML but not a Pascal VOC annotation",
            "1 file has no usable <size> and no image to take it from",
            "1 file has an id (file name) that ids.txt cannot hold",
            "1 id in split files names no file inside Annotations/ (absolute paths, \"..\")",
            "1 folder cannot be read (links that loop or dangle, an Annotations link to an unmounted share)",
            "1 archive is truncated or corrupt (a tar cut short, a damaged gzip stream)",
            "1 member of archives cannot be read safely (links, devices, repeated names, names climbing out with \"..\" or absolute, zip bombs)",
            "1 object has no class name",
            "1 object has no <bndbox> (polygons or masks only)",
            "1 object has a missing, empty, non-numeric or out-of-range coordinate",
            "1 object has an empty or inverted box (xmax <= xmin or ymax <= ymin)",
            "1 object lies wholly outside the image, so --clip leaves nothing of it",
            "1 object has a class that is not in the label map",
            "1 image is missing",
            "1 image cannot be read as an image",
            "1 image holds another format than its extension says",
            "1 image has <size> with width and height swapped (EXIF rotation)",
            "1 image has a <size> that disagrees with the image",
            "1 object has a coordinate of 0 and so extends past the left/top edge",
            "1 object extends outside the image",
            "1 object lies wholly outside the image",
            "1 file has an unusable <size>; the size was taken from the image",
            "1 file has no <size> and no image, but no objects either",
            "1 file gives a field twice; the first is used",
            "1 file uses XML entities, which are never expanded",
            "1 file declares an encoding it is not written in",
            "1 file has over 20 warnings; the rest are counted, not listed",
            "1 file lists an id more than once; it is used each time, as the reference would",
            "1 file holds several ids on one line, each naming an annotation file",
            "1 object is an <object> element inside an <object>",
            "1 file has a name that is not valid UTF-8",
            "1 file is a link to a folder, not followed by --recursive",
            "1 file is macOS AppleDouble metadata (\"._*.xml\"), not an annotation: skipped",
        ];
        assert_eq!(got, expected);
        // The report's own groups of objects to look at.
        assert_eq!(
            singular_title("have no positive prior"),
            "has no positive prior"
        );
        assert_eq!(
            singular_title("lost their forced prior to a later object in the same file"),
            "lost its forced prior to a later object in the same file"
        );
        assert_eq!(
            singular_title("learn only from their forced prior, whose IoU is below the threshold"),
            "learns only from its forced prior, whose IoU is below the threshold"
        );
    }
}
