//! All-or-nothing output: files are written into a hidden staging folder inside the output
//! folder and renamed into place only when every one of them is complete.
//!
//! - The staging folder is `DIR/.ssd-assign-<pid>.partial/`: inside DIR, so that the final
//!   renames stay on one file system (a rename is atomic; a copy is not).
//! - [`OutputDir::commit`] renames the files in the order given; the caller puts the manifest
//!   last, so a manifest in DIR means every file it lists is complete.
//! - Dropping an [`OutputDir`] that was not committed (an error, `--strict`, Ctrl-C) removes the
//!   staging folder, and DIR itself if this run created it and it is empty: no half-written file
//!   is ever visible under an output name.
//! - [`abort_and_exit`] (the Ctrl-C handler) removes the staging folders of every live
//!   `OutputDir` and exits; a commit in progress finishes first (they share one lock), so a
//!   signal never leaves a half-renamed set of outputs.
//! - Existing outputs are refused unless `force`; with `force`, known outputs of an earlier run
//!   that this run does not write are removed at commit, so that DIR never mixes two runs.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Staging folders of live [`OutputDir`]s (and the output folder, if the run created it).
static LIVE: Mutex<Vec<(PathBuf, Option<PathBuf>)>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<(PathBuf, Option<PathBuf>)>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes the staging folder and, if it was created for it and is empty, the output folder.
fn discard(staging: &Path, created: Option<&Path>) {
    let _ = std::fs::remove_dir_all(staging);
    if let Some(dir) = created {
        // Only succeeds if nothing else was put there meanwhile.
        let _ = std::fs::remove_dir(dir);
    }
}

/// Discards every uncommitted output and exits the process with `code` after printing
/// `message` on stderr. Meant for a signal handler thread: it waits for a commit in progress,
/// and holds the lock until the process is gone so that no commit starts after it.
pub fn abort_and_exit(code: i32, message: &str) -> ! {
    let mut guard = live();
    for (staging, created) in guard.drain(..) {
        discard(&staging, created.as_deref());
    }
    eprintln!("{message}");
    std::process::exit(code)
}

/// Why the output folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{dir}: already holds output ({names}); pass --force to overwrite it, or choose another --out",
        dir = .dir.display(), names = .existing.join(", ")
    )]
    Exists { dir: PathBuf, existing: Vec<String> },
    #[error("{}: is not a directory; --out must name a folder", .0.display())]
    NotADirectory(PathBuf),
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An output folder being filled.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    staging: PathBuf,
    created_dir: bool,
    /// Known output names that exist in DIR now (only non-empty with `force`).
    existing: Vec<String>,
    committed: bool,
}

impl OutputDir {
    /// Prepares `dir` (created if missing). `known_outputs` are every file name any run of the
    /// command may write there; any of them existing is refused unless `force`.
    pub fn create(dir: &Path, known_outputs: &[&str], force: bool) -> Result<Self, OutputError> {
        let created_dir = if dir.exists() {
            if !dir.is_dir() {
                return Err(OutputError::NotADirectory(dir.to_path_buf()));
            }
            false
        } else {
            std::fs::create_dir_all(dir).map_err(io_at(dir))?;
            true
        };
        let existing: Vec<String> = known_outputs
            .iter()
            .filter(|n| dir.join(n).symlink_metadata().is_ok())
            .map(|n| n.to_string())
            .collect();
        if !existing.is_empty() && !force {
            return Err(OutputError::Exists {
                dir: dir.to_path_buf(),
                existing,
            });
        }
        let staging = dir.join(format!(".ssd-assign-{}.partial", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io_at(&staging))?;
        }
        let out = OutputDir {
            dir: dir.to_path_buf(),
            staging,
            created_dir,
            existing,
            committed: false,
        };
        let mut guard = live();
        std::fs::create_dir(&out.staging).map_err(io_at(&out.staging))?;
        guard.push((out.staging.clone(), created_dir.then(|| dir.to_path_buf())));
        drop(guard);
        Ok(out)
    }

    /// The final folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where to write output `name` until commit.
    pub fn staged(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Moves `names` (in this order) from staging into DIR, removes known outputs of an earlier
    /// run that were not rewritten, then the staging folder (with any scratch files left in it).
    /// Returns the names of the stale outputs removed.
    pub fn commit(mut self, names: &[&str]) -> Result<Vec<String>, OutputError> {
        let mut guard = live();
        let Some(k) = guard.iter().position(|(s, _)| *s == self.staging) else {
            return Err(OutputError::Io {
                path: self.staging.clone(),
                source: io::Error::new(io::ErrorKind::Interrupted, "output discarded"),
            });
        };
        for (k, name) in names.iter().enumerate() {
            let from = self.staged(name);
            if let Err(e) = std::fs::rename(&from, self.dir.join(name)) {
                // Take back what was already moved: no incomplete set stays visible.
                for done in &names[..k] {
                    let _ = std::fs::remove_file(self.dir.join(done));
                }
                drop(guard);
                return Err(io_at(&from)(e));
            }
        }
        self.committed = true;
        guard.remove(k);
        drop(guard);
        let mut removed = Vec::new();
        for old in &self.existing {
            if !names.contains(&old.as_str()) {
                let p = self.dir.join(old);
                std::fs::remove_file(&p).map_err(io_at(&p))?;
                removed.push(old.clone());
            }
        }
        std::fs::remove_dir_all(&self.staging).map_err(io_at(&self.staging))?;
        sync_dir(&self.dir);
        Ok(removed)
    }
}

/// Makes the renames durable where the platform allows (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        let mut guard = live();
        guard.retain(|(s, _)| *s != self.staging);
        discard(
            &self.staging,
            self.created_dir.then_some(self.dir.as_path()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 3] = ["a.npy", "b.txt", "manifest.json"];

    #[test]
    fn dropped_without_commit_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new");
        {
            let out = OutputDir::create(&dir, &KNOWN, false).unwrap();
            std::fs::write(out.staged("a.npy"), b"partial").unwrap();
        }
        assert!(!dir.exists(), "a folder this run created is removed again");

        let existing = tmp.path().join("existing");
        std::fs::create_dir(&existing).unwrap();
        std::fs::write(existing.join("notes.txt"), b"mine").unwrap();
        {
            let out = OutputDir::create(&existing, &KNOWN, false).unwrap();
            std::fs::write(out.staged("a.npy"), b"partial").unwrap();
        }
        let left: Vec<_> = std::fs::read_dir(&existing)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(left, vec!["notes.txt"]);
    }

    #[test]
    fn existing_outputs_refused_then_replaced_with_force() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("a.npy"), b"old").unwrap();
        std::fs::write(dir.join("b.txt"), b"old").unwrap();
        let err = OutputDir::create(dir, &KNOWN, false).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("a.npy, b.txt") && msg.contains("--force"),
            "{msg}"
        );
        assert_eq!(std::fs::read(dir.join("a.npy")).unwrap(), b"old");

        let out = OutputDir::create(dir, &KNOWN, true).unwrap();
        std::fs::write(out.staged("a.npy"), b"new").unwrap();
        std::fs::write(out.staged("manifest.json"), b"{}").unwrap();
        let removed = out.commit(&["a.npy", "manifest.json"]).unwrap();
        assert_eq!(removed, vec!["b.txt"]);
        assert_eq!(std::fs::read(dir.join("a.npy")).unwrap(), b"new");
        assert!(!dir.join("b.txt").exists());
        let names: Vec<_> = std::fs::read_dir(dir).unwrap().collect();
        assert_eq!(names.len(), 2, "no staging folder left");
    }

    #[test]
    fn a_file_as_out_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("file");
        std::fs::write(&f, b"x").unwrap();
        assert!(matches!(
            OutputDir::create(&f, &KNOWN, true),
            Err(OutputError::NotADirectory(_))
        ));
    }
}
