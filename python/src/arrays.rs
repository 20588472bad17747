//! Python values in, checked ground truths out; results out as numpy arrays. Every rule about
//! what a box or a label may be is the library's ([`GtBox::checked`]): this module only
//! converts (lists, float64, non-contiguous arrays, torch CPU tensors: anything `numpy.asarray`
//! takes) and names the argument in the error.

use numpy::ndarray::{Array, Dimension, ShapeBuilder};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayDescrMethods, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use ssd_assign::assign::GtBox;

/// A `ValueError` with `message`.
pub fn value_error(message: impl Into<String>) -> PyErr {
    PyValueError::new_err(message.into())
}

/// `obj` as a numpy array (`numpy.asarray`), or a `ValueError` naming `name`.
fn as_array<'py>(obj: &Bound<'py, PyAny>, name: &str) -> PyResult<Bound<'py, PyUntypedArray>> {
    let np = obj.py().import("numpy")?;
    let arr = np.call_method1("asarray", (obj,)).map_err(|e| {
        value_error(format!(
            "{name}: cannot be read as a numpy array ({e}); pass a numpy array or a list of \
             numbers"
        ))
    })?;
    Ok(arr.cast_into::<PyUntypedArray>()?)
}

/// The array converted to `dtype` (a copy only when needed), C-contiguous.
fn contiguous<'py>(arr: &Bound<'py, PyUntypedArray>, dtype: &str) -> PyResult<Bound<'py, PyAny>> {
    let np = arr.py().import("numpy")?;
    let kwargs = pyo3::types::PyDict::new(arr.py());
    kwargs.set_item("dtype", dtype)?;
    np.call_method("ascontiguousarray", (arr,), Some(&kwargs))
}

fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Boxes `(n, 4)` as f32 corners `x1, y1, x2, y2` (an empty array of any shape is no box).
pub fn boxes_of(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<[f32; 4]>> {
    // The common case, a C-contiguous float32 (n, 4) array, read without a conversion.
    if let Some(a) = obj
        .cast::<PyArray2<f32>>()
        .ok()
        .filter(|a| a.is_c_contiguous())
    {
        if let Ok(ro) = a.try_readonly() {
            if let (Ok(flat), [_, 4]) = (ro.as_slice(), a.shape()) {
                return Ok(flat
                    .chunks_exact(4)
                    .map(|c| [c[0], c[1], c[2], c[3]])
                    .collect());
            }
        }
    }
    let arr = as_array(obj, name)?;
    let kind = arr.dtype().kind();
    if !b"fiu".contains(&kind) {
        return Err(value_error(format!(
            "{name}: expected numbers, got an array of dtype {}; pass float32 (or float64) \
             fractions x1, y1, x2, y2",
            arr.dtype()
        )));
    }
    if arr.len() == 0 || arr.shape().contains(&0) {
        return Ok(Vec::new());
    }
    if arr.ndim() != 2 || arr.shape()[1] != 4 {
        return Err(value_error(format!(
            "{name}: expected shape (n, 4), one row x1, y1, x2, y2 per object, got shape {}",
            shape_text(arr.shape())
        )));
    }
    let f = contiguous(&arr, "float32")?;
    let f = f.cast::<numpy::PyArray2<f32>>()?.readonly();
    let flat = f.as_slice()?;
    Ok(flat
        .chunks_exact(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect())
}

/// Labels `(n,)` as integers (any integer dtype; not floats or booleans).
pub fn labels_of(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<i64>> {
    if let Ok(a) = obj.cast::<PyArray1<i64>>() {
        if let Ok(ro) = a.try_readonly() {
            if let Ok(flat) = ro.as_slice() {
                return Ok(flat.to_vec());
            }
        }
    }
    let arr = as_array(obj, name)?;
    if arr.len() == 0 {
        return Ok(Vec::new());
    }
    let kind = arr.dtype().kind();
    if !b"iu".contains(&kind) {
        return Err(value_error(format!(
            "{name}: expected integer class labels, got an array of dtype {}; pass integers \
             from 1 (e.g. labels.astype(int))",
            arr.dtype()
        )));
    }
    if arr.ndim() != 1 {
        return Err(value_error(format!(
            "{name}: expected shape (n,), one label per object, got shape {}",
            shape_text(arr.shape())
        )));
    }
    if kind == b'u' {
        // Unsigned values past i64::MAX stay out of range rather than wrapping around.
        let u = contiguous(&arr, "uint64")?;
        let u = u.cast::<PyArray1<u64>>()?.readonly();
        return Ok(u
            .as_slice()?
            .iter()
            .map(|&v| i64::try_from(v).unwrap_or(i64::MAX))
            .collect());
    }
    let i = contiguous(&arr, "int64")?;
    let i = i.cast::<PyArray1<i64>>()?.readonly();
    Ok(i.as_slice()?.to_vec())
}

/// One image's ground truths, checked by the library. `boxes_name`/`labels_name` are how the
/// messages name the two arguments (e.g. `boxes[3]` in a batch).
pub fn ground_truths(
    boxes: &Bound<'_, PyAny>,
    labels: &Bound<'_, PyAny>,
    boxes_name: &str,
    labels_name: &str,
) -> PyResult<Vec<GtBox>> {
    let b = boxes_of(boxes, boxes_name)?;
    let l = labels_of(labels, labels_name)?;
    if b.len() != l.len() {
        return Err(value_error(format!(
            "{boxes_name} and {labels_name} have different lengths ({} boxes, {} labels): give \
             one label per box",
            b.len(),
            l.len()
        )));
    }
    b.iter()
        .zip(&l)
        .enumerate()
        .map(|(k, (xyxy, &label))| {
            GtBox::checked(*xyxy, label).map_err(|e| {
                let which = match e {
                    ssd_assign::assign::GtError::Label(_) => labels_name,
                    _ => boxes_name,
                };
                value_error(format!("{which}[{k}]: {e}"))
            })
        })
        .collect()
}

/// `values` as a numpy array of `shape` (the vector's buffer handed over, not copied).
pub fn array_of<'py, T: numpy::Element, D: Dimension>(
    py: Python<'py>,
    values: Vec<T>,
    shape: impl ShapeBuilder<Dim = D>,
) -> Bound<'py, PyAny> {
    Array::from_shape_vec(shape, values)
        .expect("the caller sizes the vector for the shape")
        .into_pyarray(py)
        .into_any()
}
