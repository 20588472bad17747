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
//! - One writer per folder: `DIR/.ssd-assign.lock` (created exclusively, holding the pid) is
//!   taken before the existing outputs are checked and released after the commit, so two runs
//!   into one DIR cannot interleave their renames. A lock whose process is gone (SIGKILL) is
//!   taken over where that can be checked (`/proc`); elsewhere the error says to delete it.
//! - Existing outputs are refused unless `force`; with `force`, known outputs of an earlier run
//!   that this run does not write are removed at commit, so that DIR never mixes two runs.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Name of the lock file in an output folder.
pub const LOCK_NAME: &str = ".ssd-assign.lock";

/// What an uncommitted [`OutputDir`] must clean up.
#[derive(Debug, Clone, PartialEq)]
struct Live {
    staging: PathBuf,
    lock: PathBuf,
    /// The output folder, if this run created it.
    created: Option<PathBuf>,
}

impl Live {
    /// Removes the staging folder, the lock and, if it was created for this run and is now
    /// empty, the output folder.
    fn discard(&self) {
        let _ = std::fs::remove_dir_all(&self.staging);
        let _ = std::fs::remove_file(&self.lock);
        if let Some(dir) = &self.created {
            // Only succeeds if nothing else was put there meanwhile.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Live [`OutputDir`]s of this process.
static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());

fn registry() -> MutexGuard<'static, Vec<Live>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether process `pid` is running: `Some` only where it can be told (Linux `/proc`).
fn process_alive(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    proc.join("self")
        .exists()
        .then(|| proc.join(pid.to_string()).exists())
}

/// Takes `DIR/.ssd-assign.lock`, or says who holds it.
fn take_lock(dir: &Path) -> Result<PathBuf, OutputError> {
    let lock = dir.join(LOCK_NAME);
    for _ in 0..2 {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(mut f) => {
                use std::io::Write;
                writeln!(f, "{}", std::process::id()).map_err(io_at(&lock))?;
                return Ok(lock);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let holder = std::fs::read_to_string(&lock)
                    .ok()
                    .and_then(|t| t.trim().parse::<u32>().ok());
                match holder.map(|pid| (pid, process_alive(pid))) {
                    // Its process is gone: take the lock over.
                    Some((_, Some(false))) => {
                        std::fs::remove_file(&lock).map_err(io_at(&lock))?;
                    }
                    _ => {
                        return Err(OutputError::Busy {
                            dir: dir.to_path_buf(),
                            lock,
                            pid: holder,
                        })
                    }
                }
            }
            Err(e) => return Err(io_at(&lock)(e)),
        }
    }
    Err(OutputError::Busy {
        dir: dir.to_path_buf(),
        lock,
        pid: None,
    })
}

/// Discards every uncommitted output and exits the process with `code` after printing
/// `message` on stderr. Meant for a signal handler thread: it waits for a commit in progress,
/// and holds the lock until the process is gone so that no commit starts after it.
pub fn abort_and_exit(code: i32, message: &str) -> ! {
    let mut guard = registry();
    for l in guard.drain(..) {
        l.discard();
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
    #[error(
        "{dir}: another ssd-assign run ({who}) is writing there; wait for it to finish, or \
         delete {lock} if no such run exists",
        dir = .dir.display(), lock = .lock.display(),
        who = .pid.map_or("pid unknown".to_string(), |p| format!("pid {p}"))
    )]
    Busy {
        dir: PathBuf,
        lock: PathBuf,
        pid: Option<u32>,
    },
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
    live: Live,
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
        let lock = match take_lock(dir) {
            Ok(lock) => lock,
            Err(e) => {
                if created_dir {
                    let _ = std::fs::remove_dir(dir);
                }
                return Err(e);
            }
        };
        let staging = dir.join(format!(".ssd-assign-{}.partial", std::process::id()));
        let live = Live {
            staging: staging.clone(),
            lock,
            created: created_dir.then(|| dir.to_path_buf()),
        };
        // From here on every failure cleans up through `live`.
        let prepared = (|| {
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
            if staging.exists() {
                std::fs::remove_dir_all(&staging).map_err(io_at(&staging))?;
            }
            Ok(existing)
        })();
        let mut guard = registry();
        let existing = match prepared.and_then(|e| {
            std::fs::create_dir(&staging)
                .map_err(io_at(&staging))
                .map(|_| e)
        }) {
            Ok(existing) => existing,
            Err(e) => {
                live.discard();
                return Err(e);
            }
        };
        guard.push(live.clone());
        drop(guard);
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            staging,
            live,
            existing,
            committed: false,
        })
    }

    /// Where to write output `name` until commit.
    pub fn staged(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Moves `names` (in this order) from staging into DIR, removes known outputs of an earlier
    /// run that were not rewritten, then the staging folder (with any scratch files left in it).
    /// Returns the names of the stale outputs removed.
    pub fn commit(mut self, names: &[&str]) -> Result<Vec<String>, OutputError> {
        let mut guard = registry();
        let Some(k) = guard.iter().position(|l| *l == self.live) else {
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
        let tidy = (|| {
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
        })();
        // Released last: no other run starts before the folder is consistent.
        let _ = std::fs::remove_file(&self.live.lock);
        tidy
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
        let mut guard = registry();
        guard.retain(|l| *l != self.live);
        self.live.discard();
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
    fn one_writer_per_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let first = OutputDir::create(dir, &KNOWN, false).unwrap();
        let err = OutputDir::create(dir, &KNOWN, true).unwrap_err();
        assert!(
            matches!(&err, OutputError::Busy { pid: Some(p), .. } if *p == std::process::id()),
            "{err}"
        );
        assert!(err.to_string().contains(LOCK_NAME), "{err}");
        std::fs::write(first.staged("a.npy"), b"1").unwrap();
        first.commit(&["a.npy"]).unwrap();
        assert!(!dir.join(LOCK_NAME).exists(), "released at commit");
        let second = OutputDir::create(dir, &KNOWN, true).unwrap();
        drop(second);
        assert!(!dir.join(LOCK_NAME).exists(), "released when dropped");
    }

    #[test]
    fn a_lock_left_by_a_dead_process_is_taken_over() {
        // Far above any pid_max, so never a running process.
        let dead = 4_194_304 * 100;
        if process_alive(dead) != Some(false) {
            eprintln!("SKIPPED: cannot tell whether a process runs here");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(LOCK_NAME), format!("{dead}\n")).unwrap();
        let out = OutputDir::create(tmp.path(), &KNOWN, false).unwrap();
        let holder = std::fs::read_to_string(tmp.path().join(LOCK_NAME)).unwrap();
        assert_eq!(holder.trim(), std::process::id().to_string());
        drop(out);
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

/// One output file written all-or-nothing: bytes go to a temporary file beside it (same folder,
/// so the rename is atomic), which [`AtomicFile::commit`] syncs and renames into place. Dropped
/// uncommitted (an error, a panic), it removes the temporary file. An existing file is refused
/// unless `force`.
#[derive(Debug)]
pub struct AtomicFile {
    out: io::BufWriter<std::fs::File>,
    tmp: PathBuf,
    path: PathBuf,
    committed: bool,
}

impl AtomicFile {
    /// `flag` names the option that gave `path`, for messages (e.g. `--gt-csv`).
    pub fn create(path: &Path, force: bool, flag: &str) -> Result<AtomicFile, String> {
        if path.exists() && !force {
            return Err(format!(
                "{flag} {}: the file exists; pass --force to overwrite it",
                path.display()
            ));
        }
        let name = path
            .file_name()
            .ok_or_else(|| format!("{flag} {}: not a file name", path.display()))?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        let file = std::fs::File::create(&tmp)
            .map_err(|e| format!("{flag} {}: cannot write there: {e}", path.display()))?;
        Ok(AtomicFile {
            out: io::BufWriter::with_capacity(1 << 16, file),
            tmp,
            path: path.to_path_buf(),
            committed: false,
        })
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(mut self) -> io::Result<()> {
        io::Write::flush(&mut self.out)?;
        self.out.get_ref().sync_all()?;
        std::fs::rename(&self.tmp, &self.path)?;
        self.committed = true;
        Ok(())
    }
}

impl io::Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
