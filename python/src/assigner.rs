//! `ssd_assign.Assigner`: one prior set and matching configuration, encoding images given as
//! arrays (what a training loop's data loader has after augmenting a sample).

use std::sync::{Arc, Mutex};

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use ssd_assign::assign::{CollisionPolicy, GtBox, ImageMatch, MatchParams, Matcher};
use ssd_assign::encode::{dense_targets, BoxCoder, Variances};
use ssd_assign::pipeline::{encode_images, thread_pool};
use ssd_assign::priors::PriorSet;
use ssd_assign::report::gt_rows::GtStatus;

use crate::arrays::{array_of, ground_truths, value_error};

/// Labels `(N, P)` int64 and locs `(N, P, 4)` float32, as numpy arrays.
type Targets<'py> = (Bound<'py, PyAny>, Bound<'py, PyAny>);

/// Assigns priors to ground truths and encodes the targets, exactly as `ssd-assign encode`
/// (and the reference's MultiBoxLoss) does.
#[pyclass(frozen, module = "ssd_assign")]
pub struct Assigner {
    priors: Arc<PriorSet>,
    params: MatchParams,
    coder: BoxCoder,
    variances: Variances,
    jobs: usize,
    /// The arguments it was made with, for pickling (a DataLoader with the spawn start
    /// method pickles the dataset that holds it).
    args: (String, f64),
    /// `encode_batch`'s threads, made on first use in each process: a pool made before a
    /// `fork` (a DataLoader worker) has no threads in the child.
    pool: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>>,
    /// Reused by `encode` and `match` (a fresh one when another thread holds it).
    matcher: Mutex<Matcher>,
}

/// The prior set a `priors` argument names: a preset, a TOML/JSON configuration file.
pub fn resolve_priors(spec: &str) -> PyResult<PriorSet> {
    ssd_assign::priors::resolve(spec).map_err(|e| value_error(format!("priors: {e}")))
}

pub fn collision_of(name: &str) -> PyResult<CollisionPolicy> {
    name.parse()
        .map_err(|e| value_error(format!("collision: {e}")))
}

pub fn variances_of(v: (f64, f64)) -> PyResult<Variances> {
    Variances::checked(v.0, v.1).map_err(|e| value_error(e.to_string()))
}

pub fn params_of(threshold: f64, collision: &str, neg_pos_ratio: u32) -> PyResult<MatchParams> {
    MatchParams::checked(threshold, collision_of(collision)?, neg_pos_ratio)
        .map_err(|e| value_error(e.to_string()))
}

impl Assigner {
    fn with_matcher<R>(&self, f: impl FnOnce(&mut Matcher) -> R) -> R {
        match self.matcher.try_lock() {
            Ok(mut m) => f(&mut m),
            Err(_) => f(&mut Matcher::new()),
        }
    }

    /// This process's pool (made now if it has none).
    fn pool(&self) -> Arc<rayon::ThreadPool> {
        let pid = std::process::id();
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        match pool.as_ref() {
            Some((owner, p)) if *owner == pid => p.clone(),
            _ => {
                let p = Arc::new(thread_pool(self.jobs));
                // A parent's pool is left alone, not dropped: its locks may have been held by
                // one of its threads at the fork, and those threads do not exist here.
                if let Some(stale) = pool.replace((pid, p.clone())) {
                    std::mem::forget(stale);
                }
                p
            }
        }
    }

    fn match_gts(&self, gts: &[GtBox]) -> ImageMatch {
        self.with_matcher(|m| m.match_image(&self.priors, gts, &self.params))
    }
}

#[pymethods]
impl Assigner {
    #[new]
    #[pyo3(signature = (priors="tiny-detector", threshold=0.5, variances=(0.1, 0.2), collision="reference", neg_pos_ratio=3, jobs=0))]
    fn new(
        priors: &str,
        threshold: f64,
        variances: (f64, f64),
        collision: &str,
        neg_pos_ratio: u32,
        jobs: usize,
    ) -> PyResult<Self> {
        let variances = variances_of(variances)?;
        Ok(Assigner {
            priors: Arc::new(resolve_priors(priors)?),
            params: params_of(threshold, collision, neg_pos_ratio)?,
            coder: BoxCoder::new(variances),
            variances,
            jobs,
            args: (priors.to_string(), threshold),
            pool: Mutex::new(None),
            matcher: Mutex::new(Matcher::new()),
        })
    }

    /// Number of priors P.
    #[getter]
    fn num_priors(&self) -> usize {
        self.priors.len()
    }

    /// The priors, (P, 4) float32 cx, cy, w, h.
    #[getter]
    fn priors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::priors_array(py, &self.priors)
    }

    #[getter]
    fn threshold(&self) -> f32 {
        self.params.threshold
    }

    #[getter]
    fn variances(&self) -> (f64, f64) {
        (self.variances.center, self.variances.size)
    }

    #[getter]
    fn collision(&self) -> &'static str {
        self.params.collision.name()
    }

    /// Pickled as the arguments it was made with.
    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(
        Bound<'py, PyAny>,
        (String, f64, (f64, f64), &'static str, u32, usize),
    )> {
        let a = slf.get();
        Ok((
            slf.get_type().into_any(),
            (
                a.args.0.clone(),
                a.args.1,
                (a.variances.center, a.variances.size),
                a.params.collision.name(),
                a.params.neg_pos_ratio,
                a.jobs,
            ),
        ))
    }

    fn __repr__(&self) -> String {
        format!(
            "Assigner(priors={:?} ({} priors), threshold={}, variances=({}, {}), \
             collision={:?}, jobs={})",
            self.priors.name(),
            self.priors.len(),
            self.params.threshold,
            self.variances.center,
            self.variances.size,
            self.params.collision.name(),
            self.jobs
        )
    }

    /// One image's targets: labels (P,) int64 and locs (P, 4) float32.
    fn encode<'py>(
        &self,
        py: Python<'py>,
        boxes: &Bound<'py, PyAny>,
        labels: &Bound<'py, PyAny>,
    ) -> PyResult<Targets<'py>> {
        let gts = ground_truths(boxes, labels, "boxes", "labels")?;
        let np = self.priors.len();
        let mut out_labels = vec![0i64; np];
        let mut out_locs = vec![[0f32; 4]; np];
        let m = self.match_gts(&gts);
        dense_targets(
            &m,
            &gts,
            &self.priors,
            &self.coder,
            &mut out_labels,
            &mut out_locs,
        );
        let labels = array_of(py, out_labels, np);
        let locs = array_of(py, out_locs.into_flattened(), (np, 4));
        Ok((labels, locs))
    }

    /// Many images' targets, matched in parallel without the GIL: labels (N, P) int64 and
    /// locs (N, P, 4) float32.
    fn encode_batch<'py>(
        &self,
        py: Python<'py>,
        boxes: &Bound<'py, PyAny>,
        labels: &Bound<'py, PyAny>,
    ) -> PyResult<Targets<'py>> {
        let images = batch_ground_truths(boxes, labels)?;
        let (n, np) = (images.len(), self.priors.len());
        let mut out_labels = vec![0i64; n * np];
        let mut out_locs = vec![[0f32; 4]; n * np];
        let pool = self.pool();
        py.detach(|| {
            encode_images(
                &pool,
                &self.priors,
                &self.params,
                &self.coder,
                &images,
                &mut out_labels,
                &mut out_locs,
            )
        });
        let labels = array_of(py, out_labels, (n, np));
        let locs = array_of(py, out_locs.into_flattened(), (n, np, 4));
        Ok((labels, locs))
    }

    /// Per-object details of the matching (what the audit counts), as arrays of length n.
    #[pyo3(name = "match")]
    fn match_<'py>(
        &self,
        py: Python<'py>,
        boxes: &Bound<'py, PyAny>,
        labels: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let gts = ground_truths(boxes, labels, "boxes", "labels")?;
        let m = self.match_gts(&gts);
        match_dict(py, &m, self.params.neg_pos_ratio)
    }
}

/// The items of one of `encode_batch`'s sequences (one per image).
fn images_of<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let refuse = || {
        value_error(format!(
            "{name}: expected a sequence (e.g. a list) of arrays, one per image"
        ))
    };
    if obj.is_instance_of::<pyo3::types::PyString>() {
        return Err(refuse());
    }
    obj.try_iter()
        .and_then(|it| it.collect::<PyResult<Vec<_>>>())
        .map_err(|_| refuse())
}

/// The images of `encode_batch`: two sequences of the same length.
fn batch_ground_truths(
    boxes: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
) -> PyResult<Vec<Vec<GtBox>>> {
    let seq = images_of;
    let b = seq(boxes, "boxes")?;
    let l = seq(labels, "labels")?;
    if b.len() != l.len() {
        return Err(value_error(format!(
            "boxes and labels have different lengths ({} and {} images): give one labels array \
             per boxes array",
            b.len(),
            l.len()
        )));
    }
    b.iter()
        .zip(&l)
        .enumerate()
        .map(|(k, (b, l))| ground_truths(b, l, &format!("boxes[{k}]"), &format!("labels[{k}]")))
        .collect()
}

/// `Assigner.match`'s dict: per-object arrays and the image's counts.
fn match_dict<'py>(
    py: Python<'py>,
    m: &ImageMatch,
    neg_pos_ratio: u32,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let col = |f: &dyn Fn(&ssd_assign::assign::GtMatch) -> i64| -> Vec<i64> {
        m.gts.iter().map(f).collect()
    };
    d.set_item(
        "best_prior",
        PyArray1::from_vec(py, col(&|g| g.best_prior as i64)),
    )?;
    d.set_item(
        "best_iou",
        PyArray1::from_vec(py, m.gts.iter().map(|g| g.best_iou).collect()),
    )?;
    d.set_item(
        "forced_prior",
        PyArray1::from_vec(py, col(&|g| g.forced_prior.map_or(-1, i64::from))),
    )?;
    d.set_item(
        "forced_iou",
        PyArray1::from_vec(py, m.gts.iter().map(|g| g.forced_iou).collect()),
    )?;
    d.set_item(
        "positives",
        PyArray1::from_vec(py, col(&|g| g.positives as i64)),
    )?;
    d.set_item(
        "forced_only",
        PyArray1::from_vec(py, m.gts.iter().map(|g| g.forced_only).collect()),
    )?;
    d.set_item(
        "lost_collision",
        PyArray1::from_vec(py, m.gts.iter().map(|g| g.lost_collision).collect()),
    )?;
    let status: Vec<&str> = m
        .gts
        .iter()
        .map(|g| GtStatus::of(g.positives, g.forced_only, g.lost_collision).as_str())
        .collect();
    d.set_item("status", PyList::new(py, status)?)?;
    d.set_item("num_positives", m.num_positives())?;
    d.set_item("hard_negatives", m.hard_negative_budget(neg_pos_ratio))?;
    Ok(d)
}
