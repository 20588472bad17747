//! A run's configuration from plain settings: the listing of the datasets, the label map (for
//! [`ClassesSpec::Auto`], read from every listed annotation) and the [`Engine`]. Every face of
//! the library (the command line's `cmd::setup`, the Python binding) resolves its settings
//! here; each words the [`SetupError`]s in its own terms (flags, keyword arguments).

use std::path::PathBuf;
use std::sync::Arc;

use crate::assign::MatchParams;
use crate::encode::BoxCoder;
use crate::pipeline::{collect_class_names, ClassNames, Engine};
use crate::priors::PriorSet;
use crate::voc::dataset::{list_datasets_with, ListOptions, Listing, ListingError};
use crate::voc::labels::{ClassesSpec, LabelError};
use crate::voc::source::FileSystem;
use crate::voc::{LabelMap, ReadOptions};

/// Which images, and how to read them.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSpec {
    /// VOC year folders, VOCdevkit folders, plain folders of .xml files or single .xml files,
    /// combined in order.
    pub datasets: Vec<PathBuf>,
    /// Read the ids from `ImageSets/Main/NAME.txt`; None: every annotation file, by name.
    pub split: Option<String>,
    /// Folder holding the images (for `<size>`-less annotations).
    pub images: Option<PathBuf>,
    /// Also list .xml files in subfolders.
    pub recursive: bool,
    pub classes: ClassesSpec,
    pub read: ReadOptions,
    /// Threads reading and matching (0 = one per core).
    pub jobs: usize,
}

impl DatasetSpec {
    /// The datasets with every other setting at the reference's default.
    pub fn new(datasets: Vec<PathBuf>) -> DatasetSpec {
        DatasetSpec {
            datasets,
            split: None,
            images: None,
            recursive: false,
            classes: ClassesSpec::Voc,
            read: ReadOptions::default(),
            jobs: 0,
        }
    }
}

/// A resolved, validated configuration: the listing of images and the engine.
#[derive(Debug)]
pub struct Setup {
    pub listing: Listing,
    pub engine: Engine,
    pub jobs: usize,
}

/// Why a configuration cannot be set up. The texts name the settings (the split, the class
/// names); faces with flags word them in their terms.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Listing(#[from] ListingError),
    /// Class names are to be taken from the data, but no annotation file is listed.
    #[error("there is no annotation file to take class names from: {why}")]
    NoFilesForClassNames { why: String },
    /// Class names are to be taken from the data, but none was found.
    #[error("{}", no_class_names(.found, *.files))]
    NoClassNames { found: ClassNames, files: usize },
    /// The class file cannot be read or its names are refused.
    #[error(transparent)]
    ClassFile(LabelError),
}

/// Why no class name was found in `files` annotation files.
fn no_class_names(found: &ClassNames, files: usize) -> String {
    if found.unreadable == files {
        format!(
            "no class name can be taken from the dataset: all {files} annotation files were \
             rejected{}",
            found
                .first_error
                .as_deref()
                .map(|e| format!(" (first: {e})"))
                .unwrap_or_default()
        )
    } else {
        format!(
            "the {} annotation files read hold no object with a <name>",
            files - found.unreadable
        )
    }
}

/// Lists the datasets, builds the label map (reading every annotation for
/// [`ClassesSpec::Auto`]) and the engine for `priors`.
pub fn setup(
    spec: &DatasetSpec,
    priors: Arc<PriorSet>,
    params: MatchParams,
    coder: BoxCoder,
) -> Result<Setup, SetupError> {
    let listing = list_datasets_with(
        &spec.datasets,
        spec.split.as_deref(),
        spec.images.as_deref(),
        ListOptions {
            recursive: spec.recursive,
        },
    )?;
    let labels = label_map(&spec.classes, &listing, spec.jobs)?;
    Ok(Setup {
        listing,
        engine: Engine {
            priors,
            labels,
            read: spec.read,
            params,
            coder,
            check_images: false,
        },
        jobs: spec.jobs,
    })
}

/// The label map `spec` names; `auto` reads the class names of every listed file.
pub fn label_map(
    spec: &ClassesSpec,
    listing: &Listing,
    jobs: usize,
) -> Result<LabelMap, SetupError> {
    Ok(match spec {
        ClassesSpec::Voc => LabelMap::voc(),
        ClassesSpec::Auto => {
            if listing.entries.is_empty() {
                return Err(SetupError::NoFilesForClassNames {
                    why: listing.why_empty(),
                });
            }
            let found = collect_class_names(&FileSystem, &listing.entries, jobs);
            if found.names.is_empty() {
                return Err(SetupError::NoClassNames {
                    found,
                    files: listing.entries.len(),
                });
            }
            LabelMap::auto(found.names)
        }
        ClassesSpec::File(file) => LabelMap::from_file(file).map_err(SetupError::ClassFile)?,
    })
}
