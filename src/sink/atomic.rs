//! All-or-nothing output: files are written into a hidden staging folder inside the output
//! folder and renamed into place only when every one of them is complete.
//!
//! - The staging folder is `DIR/.ssd-assign-<pid>.partial/`: inside DIR, so that the final
//!   renames stay on one file system (a rename is atomic; a copy is not).
//! - [`OutputDir::commit`] renames the files in the order given; the caller puts the manifest
//!   last, so a manifest in DIR means every file it lists is complete.
//! - Dropping an [`OutputDir`] that was not committed (an error, `--strict`) removes the
//!   staging folder, and DIR itself if this run created it and it is empty: no half-written file
//!   is ever visible under an output name.
//! - [`install_signal_handlers`]: SIGINT, SIGTERM and SIGHUP (Ctrl-C, `timeout`, `docker stop`,
//!   Slurm, a closed terminal) end the run through [`abort_and_exit`], which removes every live
//!   staging folder, lock and temporary file of this process, then exits with 128 + the signal
//!   number. A commit in progress finishes first (they share one mutex), so a signal never
//!   leaves a half-renamed set of outputs.
//! - One writer per folder: `DIR/.ssd-assign.lock` carries a kernel advisory lock (`flock`,
//!   through the `fs4` crate) for as long as the run lives. The kernel releases it when the
//!   process ends in any way, SIGKILL included, so a lock is never stale: whoever holds it is
//!   alive, and taking it is one atomic call (many runs started at once over a dead run's lock
//!   file: exactly one gets it). The pid written into the file only names the holder in the
//!   message; a lock file that is empty (its write failed: disk full) blocks nobody.
//! - Whoever holds the lock also knows that any other staging folder in DIR belongs to a run
//!   that is gone (SIGKILL, a power cut): it is removed, and the run says so.
//! - Existing outputs are refused unless `force`; with `force`, known outputs of an earlier run
//!   that this run does not write are removed at commit, so that DIR never mixes two runs.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Name of the lock file in an output folder.
pub const LOCK_NAME: &str = ".ssd-assign.lock";

/// What this process must clean up if a signal ends it.
#[derive(Debug, Clone, PartialEq)]
enum Live {
    /// An uncommitted output folder.
    Dir {
        staging: PathBuf,
        lock: PathBuf,
        /// The output folder, if this run created it.
        created: Option<PathBuf>,
    },
    /// The temporary file of an uncommitted [`AtomicFile`].
    File(PathBuf),
}

impl Live {
    /// Removes the staging folder, the lock and, if it was created for this run and is now
    /// empty, the output folder (or the temporary file).
    fn discard(&self) {
        match self {
            Live::Dir {
                staging,
                lock,
                created,
            } => {
                // The run's other threads may still be creating files in it (a signal does not
                // stop them). Renamed away first, in one atomic step: from then on nothing can be
                // created under the staging name, and the renamed folder, which no thread knows,
                // is emptied at leisure. Its name still matches `.ssd-assign-*.partial`, so a
                // run killed meanwhile leaves it to the next run's cleanup.
                let doomed = staging.with_file_name(format!(
                    ".ssd-assign-{}-discarded.partial",
                    std::process::id()
                ));
                let gone = match std::fs::rename(staging, &doomed) {
                    Ok(()) => &doomed,
                    Err(_) => staging,
                };
                let _ = std::fs::remove_dir_all(gone);
                // Unlinked while still locked: a run waiting on this file sees it replaced.
                let _ = std::fs::remove_file(lock);
                if let Some(dir) = created {
                    // Only succeeds if nothing else was put there meanwhile.
                    let _ = std::fs::remove_dir(dir);
                }
            }
            Live::File(tmp) => {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

/// Live outputs of this process.
static LIVE: Mutex<Vec<Live>> = Mutex::new(Vec::new());

fn registry() -> MutexGuard<'static, Vec<Live>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn unregister(live: &Live) {
    registry().retain(|l| l != live);
}

/// Handles SIGINT, SIGTERM and SIGHUP for the whole process: on any of them, every live
/// output is discarded and the process exits with 128 + the signal number (130, 143, 129),
/// printing which signal ended it. Installed once (later calls do nothing). The handler runs
/// on a thread of its own, so it works while the other threads are blocked in I/O.
pub fn install_signal_handlers() -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static INSTALLED: Mutex<bool> = Mutex::new(false);
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    if *installed {
        return Ok(());
    }
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let name = match sig {
                    SIGINT => "SIGINT",
                    SIGTERM => "SIGTERM",
                    _ => "SIGHUP",
                };
                abort_and_exit(
                    128 + sig,
                    &format!("ssd-assign: interrupted ({name}); no output written"),
                );
            }
        })?;
    *installed = true;
    Ok(())
}

/// The advisory lock on `DIR/.ssd-assign.lock`, held while the value lives.
#[derive(Debug)]
struct DirLock {
    /// Kept open: closing it (or the process ending) releases the lock.
    _file: std::fs::File,
    path: PathBuf,
}

/// Whether the open `file` is the file `path` names now (not one unlinked meanwhile).
fn is_same_file(file: &std::fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// Takes the advisory lock of `dir`, or says who holds it.
fn take_lock(dir: &Path) -> Result<DirLock, OutputError> {
    use fs4::{FileExt, TryLockError};
    let path = dir.join(LOCK_NAME);
    // The holder unlinks the file before it lets go: a run that opened the old file then
    // locks a file nobody else sees, notices, and tries again on the new one.
    for _ in 0..100 {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_at(&path))?;
        match FileExt::try_lock(&file) {
            Ok(()) if is_same_file(&file, &path) => {
                // Only to name the holder in another run's message: a failed write (disk
                // full) changes nothing, the kernel lock is what counts.
                use std::io::Write;
                let _ = file
                    .set_len(0)
                    .and_then(|()| writeln!(&file, "{}", std::process::id()));
                return Ok(DirLock { _file: file, path });
            }
            Ok(()) => continue,
            Err(TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| t.trim().parse::<u32>().ok());
                return Err(OutputError::Busy {
                    dir: dir.to_path_buf(),
                    lock: path,
                    pid,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_at(&path)(e)),
        }
    }
    Err(OutputError::Busy {
        dir: dir.to_path_buf(),
        lock: path,
        pid: None,
    })
}

/// Removes the staging folders `DIR/.ssd-assign-*.partial` of runs that are gone. Called with
/// the lock held: every run holds it as long as its staging folder exists, so any such folder
/// is a dead run's. Returns the names removed.
fn remove_dead_staging(dir: &Path) -> Result<Vec<String>, OutputError> {
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_at(dir))? {
        let entry = entry.map_err(io_at(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".ssd-assign-") && name.ends_with(".partial") {
            let p = entry.path();
            std::fs::remove_dir_all(&p).map_err(io_at(&p))?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

/// Discards every uncommitted output and exits the process with `code` after printing
/// `message` on stderr. Meant for a signal handler thread: it waits for a commit in progress,
/// and holds the mutex until the process is gone so that no commit starts after it.
pub fn abort_and_exit(code: i32, message: &str) -> ! {
    let mut guard = registry();
    for l in guard.drain(..) {
        l.discard();
    }
    eprintln!("{message}");
    std::process::exit(code)
}

/// Why the output folder cannot be used. The texts name the settings (`force`, the output
/// folder); `cmd` words the ones a user fixes with a flag in the flag's terms.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{dir}: already holds output ({names}); overwrite it (force), or choose another output folder",
        dir = .dir.display(), names = .existing.join(", ")
    )]
    Exists { dir: PathBuf, existing: Vec<String> },
    #[error(
        "{dir}: another ssd-assign run ({who}) is writing there (it holds the lock on {lock}); \
         wait for it to finish, or choose another output folder",
        dir = .dir.display(), lock = .lock.display(),
        who = .pid.map_or("pid unknown".to_string(), |p| format!("pid {p}"))
    )]
    Busy {
        dir: PathBuf,
        lock: PathBuf,
        pid: Option<u32>,
    },
    #[error("{}: is not a directory; the output must be a folder", .0.display())]
    NotADirectory(PathBuf),
    #[error(
        "{}: is a symbolic link to {}, which does not exist: create that folder, or choose \
         another output folder", .0.display(), .1.display()
    )]
    DanglingLink(PathBuf, PathBuf),
    /// The OS error is part of the message and not a `source`, so that it is printed once.
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |error| OutputError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// An output folder being filled.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    staging: PathBuf,
    live: Live,
    lock: DirLock,
    /// Known output names that exist in DIR now (only non-empty with `force`).
    existing: Vec<String>,
    /// Staging folders of dead runs removed when this one started.
    removed_dead: Vec<String>,
    committed: bool,
}

impl OutputDir {
    /// Prepares `dir` (created if missing). `known_outputs` are every file name any run of the
    /// command may write there; any of them existing is refused unless `force`.
    pub fn create(dir: &Path, known_outputs: &[&str], force: bool) -> Result<Self, OutputError> {
        let created_dir = match std::fs::symlink_metadata(dir) {
            Ok(m) if m.file_type().is_symlink() && !dir.exists() => {
                let target = std::fs::read_link(dir).unwrap_or_default();
                return Err(OutputError::DanglingLink(dir.to_path_buf(), target));
            }
            Ok(_) => {
                if !dir.is_dir() {
                    return Err(OutputError::NotADirectory(dir.to_path_buf()));
                }
                false
            }
            Err(_) => {
                std::fs::create_dir_all(dir).map_err(io_at(dir))?;
                true
            }
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
        let live = Live::Dir {
            staging: staging.clone(),
            lock: lock.path.clone(),
            created: created_dir.then(|| dir.to_path_buf()),
        };
        // From here on every failure cleans up through `live`.
        let prepared = (|| {
            let removed_dead = remove_dead_staging(dir)?;
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
            Ok((existing, removed_dead))
        })();
        let mut guard = registry();
        let (existing, removed_dead) = match prepared.and_then(|e| {
            std::fs::create_dir(&staging)
                .map_err(io_at(&staging))
                .map(|_| e)
        }) {
            Ok(e) => e,
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
            lock,
            existing,
            removed_dead,
            committed: false,
        })
    }

    /// Staging folders left by runs that are gone (killed), removed when this one started.
    pub fn removed_dead_staging(&self) -> &[String] {
        &self.removed_dead
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
                error: io::Error::new(io::ErrorKind::Interrupted, "output discarded"),
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
        // Released last (unlinked, then closed when `self` drops): no other run starts
        // before the folder is consistent.
        let _ = std::fs::remove_file(&self.lock.path);
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
            msg.contains("a.npy, b.txt") && msg.contains("(force)"),
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
    fn a_lock_file_left_behind_blocks_nobody() {
        // What a killed run leaves (its pid, the lock itself gone with the process), what a
        // failed write leaves (an empty file), and a staging folder of the dead run.
        for content in ["4194304000\n", ""] {
            let tmp = tempfile::tempdir().unwrap();
            std::fs::write(tmp.path().join(LOCK_NAME), content).unwrap();
            let dead = tmp.path().join(".ssd-assign-4194304000.partial");
            std::fs::create_dir(&dead).unwrap();
            std::fs::write(dead.join("labels.npy"), b"half").unwrap();
            let out = OutputDir::create(tmp.path(), &KNOWN, false).unwrap();
            let holder = std::fs::read_to_string(tmp.path().join(LOCK_NAME)).unwrap();
            assert_eq!(holder.trim(), std::process::id().to_string());
            assert_eq!(
                out.removed_dead_staging(),
                [".ssd-assign-4194304000.partial"]
            );
            assert!(!dead.exists());
            drop(out);
            assert!(!tmp.path().join(LOCK_NAME).exists());
        }
    }

    #[test]
    fn a_lock_unlinked_by_its_holder_is_not_shared() {
        // A run that opened the lock file just before its holder unlinked it must not take
        // a lock on the dead file while a third run locks the new one.
        let tmp = tempfile::tempdir().unwrap();
        let first = take_lock(tmp.path()).unwrap();
        let stale = std::fs::File::open(&first.path).unwrap();
        std::fs::remove_file(&first.path).unwrap();
        drop(first);
        assert!(!is_same_file(&stale, &tmp.path().join(LOCK_NAME)));
        let second = take_lock(tmp.path()).unwrap();
        assert!(matches!(
            take_lock(tmp.path()),
            Err(OutputError::Busy { .. })
        ));
        drop(second);
    }

    #[test]
    fn a_dangling_link_as_out_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("out");
        std::os::unix::fs::symlink("missing-target", &link).unwrap();
        let e = OutputDir::create(&link, &KNOWN, false).unwrap_err();
        assert!(matches!(e, OutputError::DanglingLink(..)), "{e}");
        assert!(e.to_string().contains("which does not exist"), "{e}");
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

/// One output file written all-or-nothing (`--gt-csv`, `priors --out`).
///
/// - A regular file (or a path that does not exist yet) is written to a temporary file in the
///   target's folder (`tempfile::NamedTempFile`: same file system, so the final rename is
///   atomic), which [`AtomicFile::commit`] syncs and renames into place. Dropped uncommitted
///   (an error, a panic) or ended by a signal, the temporary file is removed.
/// - A symbolic link is written through: its target (followed to the end, even if it does
///   not exist yet) is replaced, the link stays a link, as a shell's `>` would do.
/// - A path that exists and is not a regular file (`/dev/stdout`, a FIFO, a terminal) is
///   written directly, without a temporary file: a device node is never replaced.
/// - `-` is the standard output.
/// - An existing regular file is refused unless `force`.
#[derive(Debug)]
pub struct AtomicFile {
    out: io::BufWriter<Target>,
    path: PathBuf,
    live: Option<Live>,
}

#[derive(Debug)]
enum Target {
    Temp(tempfile::NamedTempFile),
    Direct(std::fs::File),
    Stdout(io::Stdout),
}

impl io::Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::Temp(f) => f.write(buf),
            Target::Direct(f) => f.write(buf),
            Target::Stdout(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::Temp(f) => f.flush(),
            Target::Direct(f) => f.flush(),
            Target::Stdout(s) => s.flush(),
        }
    }
}

/// Why an output file cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum FileOutputError {
    #[error("{flag} {}: the file exists; pass --force to overwrite it", path.display())]
    Exists { flag: String, path: PathBuf },
    #[error("{flag} {}: not a file name", path.display())]
    NotAFileName { flag: String, path: PathBuf },
    #[error("{flag} {}: symbolic links loop", path.display())]
    LinkLoop { flag: String, path: PathBuf },
    #[error("{flag} {}: cannot write there: {error}", path.display())]
    Create {
        flag: String,
        path: PathBuf,
        error: io::Error,
    },
}

/// Follows `path` through symbolic links to the file they end at (which may not exist yet).
fn link_target(path: &Path) -> Option<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let t = std::fs::read_link(&p).ok()?;
                p = match p.parent() {
                    Some(parent) if t.is_relative() => parent.join(t),
                    _ => t,
                };
            }
            _ => return Some(p),
        }
    }
    None
}

impl AtomicFile {
    /// `flag` names the option that gave `path`, for messages (e.g. `--gt-csv`).
    pub fn create(path: &Path, force: bool, flag: &str) -> Result<AtomicFile, FileOutputError> {
        let err_create = |error: io::Error| FileOutputError::Create {
            flag: flag.into(),
            path: path.to_path_buf(),
            error,
        };
        let direct = |target: Target| AtomicFile {
            out: io::BufWriter::with_capacity(1 << 16, target),
            path: path.to_path_buf(),
            live: None,
        };
        if path.as_os_str() == "-" {
            return Ok(direct(Target::Stdout(io::stdout())));
        }
        // Through the kernel, which also follows /proc's links (/dev/stdout -> a pipe).
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(err_create(io::Error::other("it is a directory")));
            }
            Ok(m) if !m.is_file() => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(err_create)?;
                return Ok(direct(Target::Direct(f)));
            }
            Ok(_) if !force => {
                return Err(FileOutputError::Exists {
                    flag: flag.into(),
                    path: path.to_path_buf(),
                })
            }
            _ => {}
        }
        let target = link_target(path).ok_or_else(|| FileOutputError::LinkLoop {
            flag: flag.into(),
            path: path.to_path_buf(),
        })?;
        let name = target
            .file_name()
            .ok_or_else(|| FileOutputError::NotAFileName {
                flag: flag.into(),
                path: path.to_path_buf(),
            })?;
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut guard = registry();
        let prefix = format!(".{}.", name.to_string_lossy());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        // The mode a plain File::create gives (0666 less the umask), not tempfile's 0600.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let tmp = builder.tempfile_in(dir).map_err(err_create)?;
        let live = Live::File(tmp.path().to_path_buf());
        guard.push(live.clone());
        drop(guard);
        Ok(AtomicFile {
            out: io::BufWriter::with_capacity(1 << 16, Target::Temp(tmp)),
            path: target,
            live: Some(live),
        })
    }

    /// Flushes, syncs and renames the file into place (a direct target is only flushed).
    pub fn commit(mut self) -> io::Result<()> {
        io::Write::flush(&mut self.out)?;
        let live = self.live.take();
        let out = std::mem::replace(
            &mut self.out,
            io::BufWriter::new(Target::Stdout(io::stdout())),
        );
        let target = out.into_inner().map_err(|e| e.into_error())?;
        let Target::Temp(tmp) = target else {
            return Ok(());
        };
        let result = tmp.as_file().sync_all().and_then(|()| {
            // Under the registry's mutex: a signal arriving now waits for the rename.
            let mut guard = registry();
            let done = tmp.persist(&self.path).map(|_| ()).map_err(|e| e.error);
            guard.retain(|l| Some(l) != live.as_ref());
            done
        });
        if let Some(l) = &live {
            unregister(l);
        }
        result
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
        // The NamedTempFile removes itself; only the registry entry is left to drop.
        if let Some(l) = self.live.take() {
            unregister(&l);
        }
    }
}
