//! The per-image work and the parallel, order-preserving run over a dataset.
//!
//! Only this module knows about threads. Images are processed in batches by `--jobs` threads;
//! the batches' results are handed to the sink in input order, so every output is identical
//! whatever the thread count, and memory is bounded by a window of batches, not the dataset
//! size (see [`Engine::run`]).

pub mod beside;

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use rayon::prelude::*;

use crate::assign::{GtBox, ImageMatch, MatchParams, Matcher};
use crate::encode::BoxCoder;
use crate::findings::FindingKind;
use crate::priors::PriorSet;
use crate::voc::dataset::ImageEntry;
use crate::voc::images::ImageCheck;
use crate::voc::source::{read_annotation, read_raw_entry, AnnotationSource, FileSystem};
use crate::voc::{self, Annotation, LabelMap, ReadOptions};

/// Everything that decides an assignment.
#[derive(Debug, Clone)]
pub struct Engine {
    pub priors: Arc<PriorSet>,
    pub labels: LabelMap,
    pub read: ReadOptions,
    pub params: MatchParams,
    pub coder: BoxCoder,
    /// Also read each image's header and compare it with the annotation (`--check-images`).
    pub check_images: bool,
}

/// What a thread reuses from image to image.
#[derive(Debug, Default)]
pub struct Worker {
    matcher: Matcher,
    /// The bytes of the annotation file being read.
    bytes: Vec<u8>,
}

/// One image, read and matched.
#[derive(Debug, Clone)]
pub struct ImageResult {
    pub id: String,
    pub xml: PathBuf,
    pub annotation: Annotation,
    pub matching: ImageMatch,
    /// What `--check-images` found (None when not asked).
    pub image_check: Option<ImageCheck>,
}

/// An annotation file that could not be used at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct FileError {
    pub id: String,
    pub path: PathBuf,
    pub message: String,
    /// What kind of rejection it is.
    pub kind: FindingKind,
    /// Line and column the message points at (0: none).
    pub line: usize,
    pub column: usize,
}

pub type Outcome = Result<ImageResult, FileError>;

pub use crate::voc::source::{read_raw, ReadError};

impl FileError {
    fn new(entry: &ImageEntry, path: PathBuf, e: ReadError) -> FileError {
        FileError {
            id: entry.id.clone(),
            path,
            message: e.message,
            kind: e.kind,
            line: e.line,
            column: e.column,
        }
    }
}

/// The ground truths the matcher takes from a resolved annotation, in object order.
pub fn gt_boxes(annotation: &voc::Annotation) -> Vec<GtBox> {
    annotation
        .objects
        .iter()
        .map(|o| GtBox {
            corners: o.corners,
            label: o.label,
        })
        .collect()
}

impl Engine {
    /// Reads, resolves and matches one image from the file system.
    pub fn process(&self, entry: &ImageEntry, worker: &mut Worker) -> Outcome {
        self.process_from(&FileSystem, entry, worker)
    }

    /// Reads one image's annotation from `source` (into the worker's buffer), resolves and
    /// matches it.
    pub fn process_from<S: AnnotationSource>(
        &self,
        source: &S,
        entry: &ImageEntry,
        worker: &mut Worker,
    ) -> Outcome {
        let xml = source.location(entry);
        let annotation = read_annotation(
            source,
            entry,
            &xml,
            &mut worker.bytes,
            &self.labels,
            &self.read,
        );
        let annotation = match annotation {
            Ok(a) => a,
            Err(e) => return Err(FileError::new(entry, xml, e)),
        };
        let matching =
            worker
                .matcher
                .match_image(&self.priors, &gt_boxes(&annotation), &self.params);
        let image_check = self
            .check_images
            .then(|| source.check_image(entry, &annotation));
        Ok(ImageResult {
            id: entry.id.clone(),
            xml,
            annotation,
            matching,
            image_check,
        })
    }

    /// Processes `entries` on `jobs` threads (0 = one per core) and calls `sink` with each
    /// outcome in input order. `progress` is called with the number of images done so far.
    /// Stops at the first error the sink returns.
    ///
    /// Images are taken in batches of [`BATCH`] from a shared counter by `jobs - 1` helper
    /// threads and by the calling thread, which also hands the finished batches to `sink` in
    /// order: whenever the next batch is done it consumes it, otherwise it reads one itself.
    /// So `jobs` threads work (no more helpers than there are batches; fewer if the system
    /// refuses a thread), nobody waits at a barrier, and at most [`WINDOW`] + 1 batches of
    /// results exist at any time besides those being read (helpers wait when they get that
    /// far ahead of the sink).
    pub fn run<E: Send>(
        &self,
        entries: &[ImageEntry],
        jobs: usize,
        progress: impl FnMut(usize) + Send,
        sink: impl FnMut(Outcome) -> Result<(), E> + Send,
    ) -> Result<(), E> {
        self.run_from(&FileSystem, entries, jobs, progress, sink)
    }

    /// [`Engine::run`] reading the annotations from `source`.
    ///
    /// Kept in one piece (~85 lines): the stop guard, the window of batches in flight and the
    /// in-order hand-over to the sink are one protocol between the helpers and the calling
    /// thread; its invariants (every helper stops, no batch is lost or reordered, a sink error
    /// or a panic ends the run) are checked by reading it whole, and by the pipeline tests.
    pub fn run_from<S: AnnotationSource, E: Send>(
        &self,
        source: &S,
        entries: &[ImageEntry],
        jobs: usize,
        mut progress: impl FnMut(usize) + Send,
        mut sink: impl FnMut(Outcome) -> Result<(), E> + Send,
    ) -> Result<(), E> {
        let jobs = match jobs {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let batches: Vec<&[ImageEntry]> = entries.chunks(BATCH).collect();
        let shared = Shared {
            state: Mutex::new(State {
                done: (0..WINDOW).map(|_| None).collect(),
                next: 0,
                consumed: 0,
                stop: false,
            }),
            batch_done: Condvar::new(),
            window_moved: Condvar::new(),
        };
        let (shared, batches) = (&shared, &batches);
        std::thread::scope(|scope| {
            // Set up before any helper starts: whatever ends this closure (done, a sink error, a
            // panic) stops the helpers, so none is left waiting for the window to move.
            let _stop = StopOnDrop {
                shared,
                always: true,
            };
            let helpers = (jobs - 1).min(batches.len().saturating_sub(1));
            for _ in 0..helpers {
                let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                    let _stop = StopOnDrop {
                        shared,
                        always: false,
                    };
                    let mut worker = Worker::default();
                    while let Some(b) = shared.claim(batches.len(), true) {
                        let out = self.process_batch(source, batches[b], &mut worker);
                        shared.finish(b, out);
                    }
                });
                if spawned.is_err() {
                    // The system refuses more threads (a process limit): the run goes on
                    // with those it has; the calling thread alone can finish it.
                    break;
                }
            }
            // The calling thread: consume in order; read a batch itself while the next one is
            // not ready.
            let mut worker = Worker::default();
            let mut done = 0;
            for b in 0..batches.len() {
                let outcomes = loop {
                    let mut state = shared.lock();
                    if let Some(out) = state.done[b % WINDOW].take() {
                        state.consumed = b + 1;
                        drop(state);
                        shared.window_moved.notify_all();
                        break out;
                    }
                    drop(state);
                    if let Some(own) = shared.claim(batches.len(), false) {
                        let out = self.process_batch(source, batches[own], &mut worker);
                        shared.finish(own, out);
                        continue;
                    }
                    let state = shared.lock();
                    if state.done[b % WINDOW].is_none() {
                        if state.stop {
                            // A helper panicked: leaving lets the scope re-raise its panic.
                            return Ok(());
                        }
                        drop(shared.batch_done.wait(state));
                    }
                };
                done += outcomes.len();
                for o in outcomes {
                    sink(o)?;
                }
                progress(done);
            }
            Ok(())
        })
    }

    fn process_batch<S: AnnotationSource>(
        &self,
        source: &S,
        batch: &[ImageEntry],
        worker: &mut Worker,
    ) -> Vec<Outcome> {
        batch
            .iter()
            .map(|e| self.process_from(source, e, worker))
            .collect()
    }
}

/// Images per unit of work handed to a thread.
pub const BATCH: usize = 16;
/// Batches of results that may exist at once (bounds memory: `WINDOW * BATCH` results).
pub const WINDOW: usize = 32;

/// What the threads of [`Engine::run`] share.
struct Shared {
    state: Mutex<State>,
    /// A batch was finished (or the run stops).
    batch_done: Condvar,
    /// The consumer took a batch (or the run stops).
    window_moved: Condvar,
}

struct State {
    /// Finished batches not yet consumed, at `index % WINDOW`.
    done: Vec<Option<Vec<Outcome>>>,
    /// The next batch nobody has claimed.
    next: usize,
    /// Batches consumed so far.
    consumed: usize,
    /// The run is over (finished, failed or panicking): helpers stop.
    stop: bool,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // After a panic elsewhere the data is still consistent (each update is one store), and
        // the thread scope re-raises the panic.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the next batch if it fits in the window. A helper (`wait`) waits until it does;
    /// the consumer does not (it reads a batch only while it has nothing to consume).
    fn claim(&self, total: usize, wait: bool) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.stop || state.next >= total {
                return None;
            }
            if state.next < state.consumed + WINDOW {
                state.next += 1;
                return Some(state.next - 1);
            }
            if !wait {
                return None;
            }
            state = self
                .window_moved
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    fn finish(&self, batch: usize, out: Vec<Outcome>) {
        self.lock().done[batch % WINDOW] = Some(out);
        self.batch_done.notify_one();
    }
}

/// Stops the run for every thread when the consumer leaves (done, a sink error, a panic) or a
/// helper panics, so that no thread waits for a batch that will never come.
struct StopOnDrop<'a> {
    shared: &'a Shared,
    always: bool,
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        if self.always || std::thread::panicking() {
            self.shared.lock().stop = true;
            self.shared.batch_done.notify_all();
            self.shared.window_moved.notify_all();
        }
    }
}

/// A rayon pool of `jobs` threads (0 = one per core).
/// `f` of every item, each call with a reusable [`Worker`] of the thread it runs on, on rayon's
/// global pool; the results in input order (so they do not depend on the thread count). For
/// small independent jobs such as the gallery's pictures, each reading one image.
pub fn map_in_order<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T, &mut Worker) -> R + Sync,
) -> Vec<R> {
    items
        .par_iter()
        .map_init(Worker::default, |w, item| f(item, w))
        .collect()
}

pub fn thread_pool(jobs: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .expect("thread pool")
}

/// The class names found in a dataset's annotations (for a label map taken from the data).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassNames {
    /// Normalised class names, sorted, unique.
    pub names: Vec<String>,
    /// Files that could not be read (they are reported by the main pass).
    pub unreadable: usize,
    /// The first of them, with its message.
    pub first_error: Option<String>,
}

/// The normalised class names used in the annotations of `entries`, read from `source` in
/// parallel (`--classes auto`). Annotations that cannot be read are counted and skipped here
/// (they are reported by the main pass).
pub fn collect_class_names<S: AnnotationSource>(
    source: &S,
    entries: &[ImageEntry],
    jobs: usize,
) -> ClassNames {
    let pool = thread_pool(jobs);
    let per_file: Vec<Result<Vec<String>, String>> = pool.install(|| {
        entries
            .par_iter()
            .map(|e| {
                let mut bytes = Vec::new();
                let xml = source.location(e);
                read_raw_entry(source, e, &xml, &mut bytes)
                    .map(|r| {
                        r.objects
                            .iter()
                            .filter_map(|o| o.name.as_deref())
                            .map(voc::labels::normalize_name)
                            .collect::<Vec<_>>()
                    })
                    .map_err(|m| format!("{}: {m}", xml.display()))
            })
            .collect()
    });
    let mut out = ClassNames::default();
    for r in per_file {
        match r {
            Ok(names) => out.names.extend(names),
            Err(e) => {
                out.unreadable += 1;
                out.first_error.get_or_insert(e);
            }
        }
    }
    out.names.sort();
    out.names.dedup();
    out
}
