//! The Python face of ssd-assign (`import ssd_assign`): the library's own matching, encoding,
//! reading and audit, with arrays in and out. Every semantic is the library's; this crate
//! converts Python values, names the argument in every `ValueError`, and releases the GIL
//! while images are matched in parallel.

mod arrays;
mod assigner;

use std::path::PathBuf;
use std::sync::Arc;

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use ssd_assign::audit::{AuditHooks, AuditOptions};
use ssd_assign::encode::BoxCoder;
use ssd_assign::pipeline::Worker;
use ssd_assign::priors::PriorSet;
use ssd_assign::setup::{DatasetSpec, SetupError};
use ssd_assign::voc::dataset::ListingError;
use ssd_assign::voc::labels::ClassesSpec;
use ssd_assign::voc::ReadOptions;

use arrays::{array_of, value_error};
use assigner::{params_of, resolve_priors, variances_of, Assigner};

/// A prior set as a (P, 4) float32 array of cx, cy, w, h.
fn priors_array<'py>(py: Python<'py>, priors: &PriorSet) -> PyResult<Bound<'py, PyAny>> {
    let flat: Vec<f32> = priors
        .cxcy()
        .iter()
        .flat_map(|c| [c.cx, c.cy, c.w, c.h])
        .collect();
    Ok(array_of(py, flat, (priors.len(), 4)))
}

/// The priors of a preset (tiny-detector, ssd300, torchvision-ssd300) or of a TOML or JSON
/// configuration file, as a (P, 4) float32 array of cx, cy, w, h.
#[pyfunction]
#[pyo3(signature = (name_or_file="tiny-detector"))]
fn priors<'py>(py: Python<'py>, name_or_file: &str) -> PyResult<Bound<'py, PyAny>> {
    priors_array(py, &resolve_priors(name_or_file)?)
}

/// One or several paths (`str`, `os.PathLike`, or a sequence of them).
fn paths_of(obj: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(vec![p]);
    }
    let paths: Vec<PathBuf> = obj.extract().map_err(|_| {
        value_error("paths: expected a path or a list of paths (str or os.PathLike)")
    })?;
    if paths.is_empty() {
        return Err(value_error(
            "paths: no dataset given; pass a VOC year folder, a folder of .xml files or an \
             .xml file",
        ));
    }
    Ok(paths)
}

/// How the dataset is read: the keyword arguments `read_annotation` and `audit` share.
struct ReadArgs<'a> {
    classes: &'a str,
    coords: &'a str,
    difficult: &'a str,
    clip: bool,
}

impl ReadArgs<'_> {
    fn spec(&self, datasets: Vec<PathBuf>) -> PyResult<DatasetSpec> {
        let read = ReadOptions {
            coords: self
                .coords
                .parse()
                .map_err(|e| value_error(format!("coords: {e}")))?,
            difficult: self
                .difficult
                .parse()
                .map_err(|e| value_error(format!("difficult: {e}")))?,
            clip: self.clip,
        };
        let Ok(classes) = ClassesSpec::parse(self.classes);
        Ok(DatasetSpec {
            classes,
            read,
            ..DatasetSpec::new(datasets)
        })
    }
}

/// A setup error in the terms of the keyword arguments that fix it (`paths`: how the
/// function names its dataset argument).
fn setup_error(e: SetupError, paths: &str) -> PyErr {
    value_error(match &e {
        SetupError::Listing(ListingError::OnlyInSubfolders {
            dir,
            files,
            folders,
            examples,
            example_id,
        }) => format!(
            "{paths}: {}: no .xml files here, but {files} in {folders} subfolders ({examples}): \
             pass recursive=True to read them (ids are then relative paths, e.g. {example_id})",
            dir.display()
        ),
        SetupError::Listing(
            l @ (ListingError::SplitFile { .. }
            | ListingError::SplitOfFile { .. }
            | ListingError::SplitOfPlainFolder { .. }),
        ) => format!("split: {l}"),
        SetupError::Listing(l) => format!("{paths}: {l}"),
        SetupError::NoFilesForClassNames { .. } | SetupError::NoClassNames { .. } => {
            format!("classes='auto': {e}")
        }
        SetupError::ClassFile(c) => format!("classes: {c}"),
    })
}

/// Reads one annotation file as the command line does (size from the image when `<size>` is
/// missing or 0, the label map, skipped objects): a dict of `filename`, `size` (width,
/// height), `boxes` (n, 4) float32 fractional x1, y1, x2, y2 (what `Assigner.encode` takes),
/// `labels` (n,) int64, `difficult` (n,) bool, `names` and `skipped` (objects left out, with
/// the reason). `images`: the folder holding the image, for a `<size>` missing or 0 (default:
/// the folder holding the XML, as `ssd-assign audit FILE.xml`).
#[pyfunction]
#[pyo3(signature = (path, classes="voc", *, images=None, coords="one-based", difficult="keep", clip=false))]
fn read_annotation<'py>(
    py: Python<'py>,
    path: PathBuf,
    classes: &str,
    images: Option<PathBuf>,
    coords: &str,
    difficult: &str,
    clip: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = DatasetSpec {
        images,
        ..ReadArgs {
            classes,
            coords,
            difficult,
            clip,
        }
        .spec(vec![path.clone()])?
    };
    if path.is_dir() {
        return Err(value_error(format!(
            "path: {} is a folder; read_annotation reads one .xml file (audit reads folders)",
            path.display()
        )));
    }
    let priors = Arc::new(PriorSet::tiny_detector());
    let setup = ssd_assign::setup::setup(&spec, priors, Default::default(), BoxCoder::default())
        .map_err(|e| setup_error(e, "path"))?;
    let Some(entry) = setup.listing.entries.first() else {
        return Err(value_error(format!("path: {}", setup.listing.why_empty())));
    };
    let r = setup
        .engine
        .process(entry, &mut Worker::default())
        .map_err(|e| value_error(format!("path: {e}")))?;
    annotation_dict(py, &r.annotation)
}

fn annotation_dict<'py>(
    py: Python<'py>,
    a: &ssd_assign::voc::Annotation,
) -> PyResult<Bound<'py, PyDict>> {
    let n = a.objects.len();
    let d = PyDict::new(py);
    d.set_item("filename", a.filename.as_deref())?;
    d.set_item("size", (a.width, a.height))?;
    let boxes: Vec<f32> = a
        .objects
        .iter()
        .flat_map(|o| o.corners.to_array())
        .collect();
    d.set_item("boxes", array_of(py, boxes, (n, 4)))?;
    let labels: Vec<i64> = a.objects.iter().map(|o| i64::from(o.label)).collect();
    d.set_item("labels", PyArray1::from_vec(py, labels))?;
    let difficult: Vec<bool> = a.objects.iter().map(|o| o.difficult).collect();
    d.set_item("difficult", PyArray1::from_vec(py, difficult))?;
    let names: Vec<&str> = a.objects.iter().map(|o| o.name.as_str()).collect();
    d.set_item("names", names)?;
    let skipped = a
        .skipped
        .iter()
        .map(|s| {
            let reason = match &s.reason {
                ssd_assign::voc::SkipReason::UnknownClass => "unknown class".to_string(),
                ssd_assign::voc::SkipReason::Invalid(why) => why.to_string(),
                ssd_assign::voc::SkipReason::Difficult => "difficult (dropped)".to_string(),
            };
            (s.index_in_file, s.name.clone(), reason)
        })
        .collect::<Vec<_>>();
    d.set_item("skipped", skipped)?;
    Ok(d)
}

/// One prior set name or a list of them.
fn prior_specs(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.extract::<String>() {
        return Ok(vec![s]);
    }
    let specs: Vec<String> = obj
        .extract()
        .map_err(|_| value_error("priors: expected a preset or file name, or a list of them"))?;
    if specs.is_empty() {
        return Err(value_error(
            "priors: no prior configuration given; pass e.g. \"tiny-detector\"",
        ));
    }
    Ok(specs)
}

/// The audit of `paths` (VOC year folders, VOCdevkit folders, folders of .xml files, .xml
/// files): the report `ssd-assign audit --format json` prints, as a dict.
#[pyfunction]
#[pyo3(signature = (
    paths, *, split=None, images=None, recursive=false, classes="voc", coords="one-based",
    difficult="keep", clip=false, priors=None, threshold=0.5, collision="reference",
    variances=(0.1, 0.2), neg_pos_ratio=3, examples=3, worst=20, max_unmatched=1000,
    check_images=false, jobs=0
))]
#[allow(clippy::too_many_arguments)] // Python keyword arguments, one per CLI flag.
fn audit<'py>(
    py: Python<'py>,
    paths: &Bound<'py, PyAny>,
    split: Option<String>,
    images: Option<PathBuf>,
    recursive: bool,
    classes: &str,
    coords: &str,
    difficult: &str,
    clip: bool,
    priors: Option<&Bound<'py, PyAny>>,
    threshold: f64,
    collision: &str,
    variances: (f64, f64),
    neg_pos_ratio: u32,
    examples: usize,
    worst: usize,
    max_unmatched: usize,
    check_images: bool,
    jobs: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let spec = DatasetSpec {
        split,
        images,
        recursive,
        jobs,
        ..ReadArgs {
            classes,
            coords,
            difficult,
            clip,
        }
        .spec(paths_of(paths)?)?
    };
    let specs = match priors {
        Some(p) => prior_specs(p)?,
        None => vec!["tiny-detector".to_string()],
    };
    let sets: Vec<Arc<PriorSet>> = specs
        .iter()
        .map(|s| resolve_priors(s).map(Arc::new))
        .collect::<PyResult<_>>()?;
    let params = params_of(threshold, collision, neg_pos_ratio)?;
    let coder = BoxCoder::new(variances_of(variances)?);
    let options = AuditOptions {
        examples,
        worst,
        max_unmatched,
        check_images,
        // What only the HTML page asks for: the JSON report is the same without it.
        ..AuditOptions::default()
    };
    let json = py.detach(|| -> PyResult<String> {
        let setup = ssd_assign::setup::setup(&spec, sets[0].clone(), params, coder)
            .map_err(|e| setup_error(e, "paths"))?;
        let report = ssd_assign::audit::audit(&setup, &sets, &options, AuditHooks::default())
            .map_err(|e| value_error(e.to_string()))?;
        serde_json::to_string(&report).map_err(|e| value_error(e.to_string()))
    })?;
    py.import("json")?.call_method1("loads", (json,))
}

/// The compiled module; `ssd_assign/__init__.py` re-exports it.
#[pymodule]
fn _ssd_assign(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(priors, m)?)?;
    m.add_function(wrap_pyfunction!(read_annotation, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_class::<Assigner>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
