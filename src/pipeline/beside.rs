//! Work done beside the caller: items handed over in order through a short queue are folded
//! into an accumulator on a thread of their own (the NPY writer's SHA-256, so that the thread
//! that serialises and writes the rows does not also hash them).
//!
//! This is the one place outside [`Engine::run`](super::Engine::run) that starts a thread
//! (docs/design.md: only `pipeline` knows about threads). It is not a scoped thread: the work
//! lives as long as its owner (a writer, from its creation to its `finish`), not for the length
//! of one call. If the system refuses a thread, the items are folded on the caller's thread
//! instead: slower, same result. If the owner is dropped without [`Beside::finish`], the queue
//! closes and the thread ends after the items already queued.

use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

type Fold<T, A> = Box<dyn FnMut(&mut A, T) + Send>;
/// The accumulator and its fold, until the thread (or, if none starts, the caller) takes them.
type Pending<T, A> = Arc<Mutex<Option<(A, Fold<T, A>)>>>;

/// An accumulator of type `A` fed items of type `T`, on another thread when one is available.
pub struct Beside<T, A> {
    inner: Inner<T, A>,
}

enum Inner<T, A> {
    Thread {
        tx: SyncSender<T>,
        handle: JoinHandle<A>,
    },
    Here {
        acc: A,
        fold: Fold<T, A>,
    },
}

/// The thread beside panicked (its panic message went to stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a helper thread failed")]
pub struct BesideFailed;

impl<T: Send + 'static, A: Send + 'static> Beside<T, A> {
    /// Starts folding `fold(&mut acc, item)` over the items [`push`](Self::push)ed, in order,
    /// on a new thread; at most `queue` items wait for it (then `push` waits).
    pub fn start(queue: usize, acc: A, fold: impl FnMut(&mut A, T) + Send + 'static) -> Self {
        let (tx, rx) = sync_channel::<T>(queue);
        let state: Pending<T, A> = Arc::new(Mutex::new(Some((acc, Box::new(fold)))));
        let for_thread = Arc::clone(&state);
        let spawned = std::thread::Builder::new()
            .name("ssd-assign-beside".into())
            .spawn(move || {
                let (mut acc, mut fold) = take(&for_thread);
                drop(for_thread);
                for item in rx {
                    fold(&mut acc, item);
                }
                acc
            });
        let inner = match spawned {
            Ok(handle) => Inner::Thread { tx, handle },
            // The closure was dropped without running: the state is still here.
            Err(_) => {
                let (acc, fold) = take(&state);
                Inner::Here { acc, fold }
            }
        };
        Beside { inner }
    }

    /// Folds on the caller's thread (what [`start`](Self::start) falls back to).
    pub fn here(acc: A, fold: impl FnMut(&mut A, T) + Send + 'static) -> Self {
        Beside {
            inner: Inner::Here {
                acc,
                fold: Box::new(fold),
            },
        }
    }

    /// Hands `item` over (waits while the queue is full).
    pub fn push(&mut self, item: T) {
        match &mut self.inner {
            // A send fails only if the thread is gone (it panicked); `finish` reports that.
            Inner::Thread { tx, .. } => drop(tx.send(item)),
            Inner::Here { acc, fold } => fold(acc, item),
        }
    }

    /// Waits for every item to be folded; returns the accumulator.
    pub fn finish(self) -> Result<A, BesideFailed> {
        match self.inner {
            Inner::Thread { tx, handle } => {
                drop(tx);
                handle.join().map_err(|_| BesideFailed)
            }
            Inner::Here { acc, .. } => Ok(acc),
        }
    }
}

fn take<S>(state: &Mutex<Option<S>>) -> S {
    state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .expect("taken once")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(b: Beside<u32, Vec<u32>>) -> Vec<u32> {
        let mut b = b;
        for i in 0..1000 {
            b.push(i);
        }
        b.finish().unwrap()
    }

    #[test]
    fn items_are_folded_in_order_beside_or_here() {
        let fold = |acc: &mut Vec<u32>, i: u32| acc.push(i * 3);
        let want: Vec<u32> = (0..1000).map(|i| i * 3).collect();
        assert_eq!(digits(Beside::start(2, Vec::new(), fold)), want);
        assert_eq!(digits(Beside::here(Vec::new(), fold)), want);
    }

    #[test]
    fn a_panic_beside_is_reported_by_finish() {
        let mut b = Beside::start(1, 0u32, |_: &mut u32, i: u32| assert!(i < 3, "item {i}"));
        for i in 0..10 {
            b.push(i);
        }
        assert_eq!(b.finish(), Err(BesideFailed));
    }
}
