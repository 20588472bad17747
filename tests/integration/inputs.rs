//! Issue #16 (every input file and every way a run ends) and #11.6 (split files as exporters
//! write them): one test per numbered defect, each written from the issue's description, plus
//! property tests for split-file line ends and separators and for class-list encodings.
//!
//! Waits on child processes are bounded (generous limits, no timing assertions); where a race
//! with the child is inherent (a signal sent while it runs), the test retries on more work.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use ssd_assign::voc::dataset::{classify_split_line, list_datasets, SplitLine};
use ssd_assign::voc::input::decode_text;
use ssd_assign::voc::labels::class_names;
use ssd_assign::voc::{parse_annotation, LabelMap};

use crate::bad_input::GOOD;

const BIN: &str = env!("CARGO_BIN_EXE_ssd-assign");

fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

/// A year folder with `ids` as annotation files and `split` as ImageSets/Main/train.txt.
fn year(root: &Path, ids: &[&str], split: &[u8]) -> PathBuf {
    let y = root.join("VOC2007");
    std::fs::create_dir_all(y.join("Annotations")).unwrap();
    for id in ids {
        write(&y.join("Annotations").join(format!("{id}.xml")), GOOD);
    }
    write(&y.join("ImageSets/Main/train.txt"), split);
    y
}

fn split_ids(y: &Path) -> Vec<String> {
    let l = list_datasets(&[y.to_path_buf()], Some("train"), None).unwrap();
    l.entries.into_iter().map(|e| e.id).collect()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Waits at most `limit` for `child`; kills it and returns None if it is still running.
fn wait_bounded(mut child: Child, limit: Duration) -> Option<Output> {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    let child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_bounded(child, Duration::from_secs(120)).expect("the run hung (killed after 120 s)")
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

// ------------------------------------------------------------------ 1. BOM in --classes

#[test]
fn a_bom_in_the_class_file_is_not_part_of_the_first_name() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("classes.txt");
    write(&f, "\u{FEFF}dog\r\ncat\r\n");
    let m = LabelMap::from_file(&f).unwrap();
    assert_eq!((m.label("dog"), m.label("cat")), (Some(1), Some(2)));
    // With background first: still label 0, dog 1 (not shifted by a "\u{FEFF}background").
    write(&f, "\u{FEFF}background\ndog\ncat\n");
    let m = LabelMap::from_file(&f).unwrap();
    assert_eq!(m.classes(), ["dog", "cat"]);
    // Through the binary: the dog of GOOD is matched, not "unknown".
    let o = run(&[
        "audit".as_ref(),
        "-q".as_ref(),
        "--classes".as_ref(),
        f.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
        write_good(tmp.path()).as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["dataset"]["skipped_unknown_class_total"], 0, "{v}");
}

fn write_good(dir: &Path) -> PathBuf {
    let p = dir.join("ds/good.xml");
    write(&p, GOOD);
    p.parent().unwrap().to_path_buf()
}

// ------------------------------------------------------- 2. unreadable VOCdevkit years

#[cfg(unix)]
#[test]
fn year_folders_that_cannot_be_read_are_named_not_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let kit = tmp.path().join("VOCdevkit");
    write(&kit.join("VOC2007/Annotations/a.xml"), GOOD);
    std::os::unix::fs::symlink("VOC2008", kit.join("VOC2008")).unwrap(); // loops
    std::os::unix::fs::symlink("/nonexistent/share", kit.join("VOC2009")).unwrap(); // dangles
    std::fs::create_dir_all(kit.join("VOC2010")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/ann", kit.join("VOC2010/Annotations")).unwrap();
    let l = list_datasets(std::slice::from_ref(&kit), None, None).unwrap();
    assert_eq!(l.entries.len(), 1);
    let bad: Vec<String> = l
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.path.display(), p.message))
        .collect();
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert!(
        bad[0].contains("VOC2008: is a symbolic link that cannot be followed"),
        "{bad:?}"
    );
    assert!(bad[1].contains("VOC2009: is a symbolic link"), "{bad:?}");
    assert!(
        bad[2].contains("VOC2010: Annotations is a symbolic link that cannot be followed")
            && bad[2].contains("this year folder is not read"),
        "{bad:?}"
    );
    let o = run(&["audit".as_ref(), "-q".as_ref(), kit.as_os_str()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("VOC2010"), "{}", text(&o));
}

// ------------------------------------------------------------ 3. split ids are not lost

#[test]
fn split_files_with_cr_line_ends_or_several_ids_a_line_lose_no_id() {
    let tmp = tempfile::tempdir().unwrap();
    let y = year(tmp.path(), &["a", "b", "c", "d"], b"a\rb\rc\r");
    assert_eq!(split_ids(&y), ["a", "b", "c"]);
    write(&y.join("ImageSets/Main/train.txt"), "a b\nc\td\n");
    let l = list_datasets(std::slice::from_ref(&y), Some("train"), None).unwrap();
    let ids: Vec<&str> = l.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(l.warnings.len(), 1, "one grouped note: {:?}", l.warnings);
    assert!(
        l.warnings[0]
            .message
            .starts_with("2 lines (lines 1, 2) hold several ids"),
        "{}",
        l.warnings[0].message
    );
    assert!(
        l.sources[0].contains("2 lines holding several ids"),
        "{:?}",
        l.sources
    );
}

// ---------------------------------------------- 4. two non-UTF-8 names never one id
// (bad_input::non_utf8_file_names)

// ------------------------------------------------------ 5. split ids stay in Annotations/

#[test]
fn split_ids_cannot_escape_the_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("elsewhere/secret.xml"), GOOD);
    let secret = tmp.path().join("elsewhere/secret");
    let split = format!("a\n../../elsewhere/secret\n{}\n", secret.display());
    let y = year(tmp.path(), &["a"], split.as_bytes());
    let l = list_datasets(std::slice::from_ref(&y), Some("train"), None).unwrap();
    let ids: Vec<&str> = l.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["a"]);
    assert_eq!(l.problems.len(), 2, "{:?}", l.problems);
    assert!(
        l.problems[0]
            .message
            .starts_with("line 2: id \"../../elsewhere/secret\" climbs out of the folder"),
        "{}",
        l.problems[0].message
    );
    assert!(
        l.problems[1].message.starts_with("line 3: id ")
            && l.problems[1].message.contains("is an absolute path"),
        "{}",
        l.problems[1].message
    );
    // encode writes neither into ids.txt.
    let out = tmp.path().join("out");
    let o = run(&[
        "encode".as_ref(),
        "-q".as_ref(),
        y.as_os_str(),
        "--split".as_ref(),
        "train".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(out.join("ids.txt")).unwrap(), "a\n");
}

// --------------------------------------------------------- 6. --gt-csv through a link

#[cfg(unix)]
#[test]
fn gt_csv_is_written_through_a_symlink_and_dash_is_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = write_good(tmp.path());
    let target = tmp.path().join("real.csv");
    write(&target, "old\n");
    let link = tmp.path().join("gts.csv");
    std::os::unix::fs::symlink("real.csv", &link).unwrap();
    let audit = |file: &Path, force: bool| {
        let mut a: Vec<&std::ffi::OsStr> = vec!["audit".as_ref(), "-q".as_ref(), ds.as_os_str()];
        a.extend(["--gt-csv".as_ref(), file.as_os_str()]);
        if force {
            a.push("--force".as_ref());
        }
        run(&a)
    };
    let o = audit(&link, false);
    assert_eq!(o.status.code(), Some(1), "an existing target needs --force");
    let o = audit(&link, true);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link stays a link");
    let csv = std::fs::read_to_string(&target).unwrap();
    assert!(csv.starts_with("image_id,") && csv.contains("dog"), "{csv}");
    assert_eq!(names_in(tmp.path()), ["ds", "gts.csv", "real.csv"]);
    {
        // The mode of a plain File::create (0666 less the umask), not a temporary file's 0600.
        use std::os::unix::fs::PermissionsExt;
        let plain = tmp.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&target), mode(&plain));
        std::fs::remove_file(&plain).unwrap();
    }
    // A dangling link: its target is created.
    std::fs::remove_file(&target).unwrap();
    let o = audit(&link, false);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(target.is_file() && std::fs::symlink_metadata(&link).unwrap().is_symlink());
    // `-`: the CSV on stdout, the report on stderr.
    let o = audit(Path::new("-"), false);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out, std::fs::read_to_string(&target).unwrap());
    assert!(String::from_utf8_lossy(&o.stderr).contains("Dataset"));
    // A link to the standard output (a pipe here): written directly, nothing replaced.
    let o = audit(Path::new("/proc/self/fd/1"), false);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("dog"));
}

// ------------------------------------------------------- 7. size caps on every input

/// `audit -q DATASET FLAGS...` fails (status 1) with a message holding the expected text (and
/// shorter than `max_len` bytes, if given), for each case.
fn audit_fails_with(
    dataset: &Path,
    cases: [(Vec<&std::ffi::OsStr>, &str); 3],
    max_len: Option<usize>,
) {
    for (flags, expected) in cases {
        let mut a: Vec<&std::ffi::OsStr> =
            vec!["audit".as_ref(), "-q".as_ref(), dataset.as_os_str()];
        a.extend(flags);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains(expected), "{}", text(&o));
        if let Some(max) = max_len {
            assert!(text(&o).len() < max, "a short message: {}", text(&o));
        }
    }
}

#[test]
fn every_input_file_has_a_size_cap_named_in_the_message() {
    let tmp = tempfile::tempdir().unwrap();
    // One byte over each cap, sparse (no disk used; never read).
    let big = |p: &Path, size: u64| {
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        let f = std::fs::File::create(p).unwrap();
        f.set_len(size).unwrap();
    };
    let y = year(tmp.path(), &["a"], b"a\n");
    big(&y.join("ImageSets/Main/huge.txt"), (64 << 20) + 1);
    let classes = tmp.path().join("classes.txt");
    big(&classes, (1 << 20) + 1);
    let priors = tmp.path().join("priors.toml");
    big(&priors, (1 << 20) + 1);
    let cases: [(Vec<&std::ffi::OsStr>, &str); 3] = [
        (
            vec!["--split".as_ref(), "huge".as_ref()],
            "huge.txt: file is 67108865 bytes, over the 67108864-byte (64 MiB) limit for a split file",
        ),
        (
            vec!["--classes".as_ref(), classes.as_os_str()],
            "classes.txt: file is 1048577 bytes, over the 1048576-byte (1 MiB) limit for a class list",
        ),
        (
            vec!["--priors".as_ref(), priors.as_os_str()],
            "priors.toml: cannot read the prior configuration: file is 1048577 bytes, over the 1048576-byte (1 MiB) limit for a prior configuration",
        ),
    ];
    // The messages are short too (a 1 GiB file's content is never echoed).
    audit_fails_with(&y, cases, Some(1000));
}

// ------------------------------------------------------------- 8. FIFOs never hang

#[cfg(unix)]
#[test]
fn a_fifo_as_split_classes_or_priors_file_does_not_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let y = year(tmp.path(), &["a"], b"a\n");
    let fifo = |p: &Path| {
        let ok = Command::new("mkfifo").arg(p).status();
        ok.is_ok_and(|s| s.success())
    };
    if !fifo(&y.join("ImageSets/Main/pipe.txt")) {
        eprintln!("SKIPPED: mkfifo not available");
        return;
    }
    let classes = tmp.path().join("classes.fifo");
    let priors = tmp.path().join("priors.fifo");
    assert!(fifo(&classes) && fifo(&priors));
    let cases: [(Vec<&std::ffi::OsStr>, &str); 3] = [
        (
            vec!["--split".as_ref(), "pipe".as_ref()],
            "pipe.txt: is not a regular file (a FIFO, socket or device): not read; replace it with the split file",
        ),
        (
            vec!["--classes".as_ref(), classes.as_os_str()],
            "classes.fifo: is not a regular file (a FIFO, socket or device): not read; replace it with the class list",
        ),
        (
            vec!["--priors".as_ref(), priors.as_os_str()],
            "priors.fifo: cannot read the prior configuration: is not a regular file",
        ),
    ];
    audit_fails_with(&y, cases, None);
}

// ------------------------------------------------------ 9. SIGTERM, SIGHUP, SIGKILL

fn encode_child(ds: &Path, out: &Path) -> Child {
    Command::new(BIN)
        .arg("encode")
        .arg(ds)
        .args(["--jobs", "1", "-q", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (bounded, 120 s) until `cond` holds.
fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(120) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn has_staging(out: &Path) -> bool {
    names_in(out).iter().any(|n| n.ends_with(".partial"))
}

#[cfg(unix)]
#[test]
fn sigterm_and_sighup_leave_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    for (signal, code) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let mut done = false;
        for attempt in 0..4u32 {
            let ds = tmp.path().join(format!("ds-{signal}-{attempt}"));
            crate::common::crowded_dataset(&ds, 1000 << (2 * attempt), 60);
            let out = tmp.path().join(format!("out-{signal}-{attempt}"));
            let child = encode_child(&ds, &out);
            assert!(wait_until(|| has_staging(&out)), "encode never started");
            let sent = Command::new("kill")
                .args([&format!("-{signal}"), &child.id().to_string()])
                .status()
                .unwrap();
            let o = wait_bounded(child, Duration::from_secs(120)).expect("exits");
            if o.status.code() == Some(0) || !sent.success() || out.join("manifest.json").exists() {
                eprintln!("{signal} attempt {attempt}: the run finished first; retrying larger");
                continue;
            }
            assert_eq!(o.status.code(), Some(code), "{}", text(&o));
            assert!(
                text(&o).contains(&format!("interrupted (SIG{signal})")),
                "{}",
                text(&o)
            );
            assert!(!out.exists(), "nothing left: {:?}", names_in(&out));
            done = true;
            break;
        }
        assert!(done, "every run finished before SIG{signal} arrived");
    }
}

#[cfg(unix)]
#[test]
fn after_sigkill_the_next_run_removes_the_staging_folder_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    for attempt in 0..4u32 {
        let ds = tmp.path().join(format!("ds{attempt}"));
        crate::common::crowded_dataset(&ds, 1500 << (2 * attempt), 60);
        let out = tmp.path().join(format!("out{attempt}"));
        let mut child = encode_child(&ds, &out);
        assert!(wait_until(|| has_staging(&out)), "encode never started");
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        if out.join("manifest.json").exists() {
            eprintln!("attempt {attempt}: finished before SIGKILL; retrying larger");
            continue;
        }
        let left = names_in(&out);
        assert!(left.iter().any(|n| n.ends_with(".partial")), "{left:?}");
        let o = run(&[
            "encode".as_ref(),
            "-q".as_ref(),
            ds.join("000000.xml").as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "the dead run's lock blocks nobody: {}",
            text(&o)
        );
        assert!(
            text(&o).contains("the staging folder of an earlier run that was killed"),
            "{}",
            text(&o)
        );
        let left = names_in(&out);
        assert!(!left.iter().any(|n| n.starts_with('.')), "{left:?}");
        return;
    }
    panic!("every run finished before SIGKILL");
}

// ----------------------------------------- 10. an empty lock file (failed write) blocks nobody

#[test]
fn a_lock_file_whose_write_failed_does_not_block_later_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = write_good(tmp.path());
    let out = tmp.path().join("out");
    write(&out.join(".ssd-assign.lock"), b"");
    let o = run(&[
        "encode".as_ref(),
        "-q".as_ref(),
        ds.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!out.join(".ssd-assign.lock").exists(), "released");
}

// ------------------------------------------------- 11. stale-lock takeover is atomic

#[test]
fn many_runs_over_a_dead_runs_lock_exactly_one_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = write_good(tmp.path());
    for trial in 0..12 {
        let out = tmp.path().join(format!("out{trial}"));
        // What a killed run leaves: its lock file (with a pid no process has) and staging.
        write(&out.join(".ssd-assign.lock"), "4194304000\n");
        write(
            &out.join(".ssd-assign-4194304000.partial/labels.npy"),
            b"half",
        );
        let children: Vec<Child> = (0..8)
            .map(|_| {
                Command::new(BIN)
                    .args(["encode", "-q", "--jobs", "1"])
                    .arg(&ds)
                    .arg("--out")
                    .arg(&out)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|c| wait_bounded(c, Duration::from_secs(120)).expect("exits"))
            .collect();
        let winners = outputs
            .iter()
            .filter(|o| o.status.code() == Some(0))
            .count();
        assert_eq!(
            winners, 1,
            "trial {trial}: {winners} runs wrote into one folder"
        );
        for o in outputs.iter().filter(|o| o.status.code() != Some(0)) {
            assert_eq!(o.status.code(), Some(1));
            let t = text(o);
            assert!(
                t.contains("another ssd-assign run") || t.contains("already holds output"),
                "{t}"
            );
        }
        let left = names_in(&out);
        assert!(!left.iter().any(|n| n.starts_with('.')), "{left:?}");
    }
}

// ------------------------------------------- 12. audit --gt-csv interrupted leaves no temp

#[cfg(unix)]
#[test]
fn audit_gt_csv_interrupted_leaves_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    for attempt in 0..4u32 {
        let ds = tmp.path().join(format!("ds{attempt}"));
        crate::common::crowded_dataset(&ds, 1000 << (2 * attempt), 60);
        let dir = tmp.path().join(format!("csv{attempt}"));
        std::fs::create_dir(&dir).unwrap();
        let child = Command::new(BIN)
            .args(["audit", "-q", "--jobs", "1"])
            .arg(&ds)
            .arg("--gt-csv")
            .arg(dir.join("gts.csv"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        assert!(wait_until(|| !names_in(&dir).is_empty()), "never started");
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        let o = wait_bounded(child, Duration::from_secs(120)).expect("exits");
        // The signal may come after the CSV was renamed into place (then it is whole).
        if o.status.code() == Some(0) || !sent.success() || dir.join("gts.csv").exists() {
            eprintln!("attempt {attempt}: finished first; retrying larger");
            continue;
        }
        assert_eq!(o.status.code(), Some(130), "{}", text(&o));
        assert_eq!(
            names_in(&dir),
            Vec::<String>::new(),
            "no temporary file left"
        );
        return;
    }
    panic!("every audit finished before the signal");
}

// ----------------------------------------------------------- 13. nested <object>

#[test]
fn a_nested_object_is_warned_about() {
    let xml = "<annotation><size><width>9</width><height>9</height></size>\n\
               <object><name>dog</name>\n<object><name>cat</name></object></object></annotation>";
    let raw = parse_annotation(xml.as_bytes()).unwrap();
    assert_eq!(raw.objects.len(), 1);
    assert_eq!(raw.warnings.len(), 1);
    let w = &raw.warnings[0];
    assert_eq!(w.kind, ssd_assign::findings::FindingKind::NestedObject);
    assert_eq!((w.line, w.column, w.object), (3, 1, Some(0)));
    assert!(
        w.contains("line 3, column 1: an <object> inside object 0: it is not read"),
        "{}",
        w.as_str()
    );
}

// ------------------------------------------------------------------- 14. messages

#[test]
fn messages_say_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = write_good(tmp.path());
    // An OS error is printed once.
    let o = run(&[
        "encode".as_ref(),
        "-q".as_ref(),
        ds.as_os_str(),
        "--out".as_ref(),
        "/proc/self/no/out".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o).matches("os error").count(), 1, "{}", text(&o));
    // A dangling --out link.
    #[cfg(unix)]
    {
        let link = tmp.path().join("out-link");
        std::os::unix::fs::symlink("gone", &link).unwrap();
        let o = run(&[
            "encode".as_ref(),
            "-q".as_ref(),
            ds.as_os_str(),
            "--out".as_ref(),
            link.as_os_str(),
        ]);
        assert!(
            text(&o).contains("is a symbolic link to gone, which does not exist"),
            "{}",
            text(&o)
        );
        // A FIFO as DATASET.
        let fifo = tmp.path().join("fifo");
        if Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            let o = run(&["audit".as_ref(), "-q".as_ref(), fifo.as_os_str()]);
            assert!(
                text(&o).contains("is not a folder or a file (a FIFO, socket or device)"),
                "{}",
                text(&o)
            );
        }
        // An Annotations link to itself.
        let y = tmp.path().join("VOCloop");
        std::fs::create_dir(&y).unwrap();
        std::os::unix::fs::symlink("Annotations", y.join("Annotations")).unwrap();
        let o = run(&["audit".as_ref(), "-q".as_ref(), y.as_os_str()]);
        assert!(
            text(&o).contains("Annotations is a symbolic link that cannot be followed")
                && text(&o).contains("it loops"),
            "{}",
            text(&o)
        );
    }
    // An id with .xml: the hint.
    let y = year(&tmp.path().join("x"), &["000003"], b"000003.xml\n");
    let l = list_datasets(std::slice::from_ref(&y), Some("train"), None).unwrap();
    assert!(
        l.problems[0]
            .message
            .contains("(ids carry no extension: write \"000003\", not \"000003.xml\")"),
        "{}",
        l.problems[0].message
    );
    // UTF-16 split and class files are read.
    let utf16: Vec<u8> = "\u{FEFF}000003\r\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    write(&y.join("ImageSets/Main/train.txt"), &utf16);
    assert_eq!(split_ids(&y), ["000003"]);
    let classes = tmp.path().join("classes.txt");
    let be: Vec<u8> = "dog\ncat\n"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    write(&classes, be);
    assert_eq!(
        LabelMap::from_file(&classes).unwrap().classes(),
        ["dog", "cat"]
    );
    // A CVAT labelmap name with a colon keeps it.
    write(
        &classes,
        "# label:color_rgb:parts:actions\ntraffic:light:250,170,30::\nperson:220,20,60::\n",
    );
    assert_eq!(
        LabelMap::from_file(&classes).unwrap().classes(),
        ["traffic:light", "person"]
    );
}

// --------------------------------------------- #11.6: split files as exporters write them

#[test]
fn split_ids_with_spaces_parentheses_and_non_ascii_read_every_file() {
    let tmp = tempfile::tempdir().unwrap();
    let ids = ["Screenshot (573)", "Screenshot (574)", "café 1", "Ünïcödé"];
    let y = year(
        tmp.path(),
        &ids,
        "Screenshot (573)\r\nScreenshot (574)\r\ncafé 1\r\nÜnïcödé\r\n".as_bytes(),
    );
    assert_eq!(split_ids(&y), ids);
    let l = list_datasets(std::slice::from_ref(&y), Some("train"), None).unwrap();
    assert!(l.problems.is_empty() && l.warnings.is_empty());
    assert!(
        l.sources[0].contains("4 annotation files; 3 ids holding spaces, each its whole line"),
        "{:?}",
        l.sources
    );
}

#[test]
fn per_class_split_files_read_as_before() {
    let tmp = tempfile::tempdir().unwrap();
    let y = year(
        tmp.path(),
        &["000005", "000007", "000009"],
        b"000005 -1\n000007  1\n000009  0\n000012 -1\n",
    );
    let l = list_datasets(std::slice::from_ref(&y), Some("train"), None).unwrap();
    let ids: Vec<&str> = l.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["000005", "000007", "000009"]);
    assert_eq!(l.problems.len(), 1);
    assert!(l.problems[0].message.contains("id \"000012\" is listed in"));
    assert!(
        l.sources[0].contains("4 lines in the per-class form (id, then -1, 0 or 1)"),
        "{:?}",
        l.sources
    );
}

#[test]
fn an_empty_dataset_says_why_it_is_empty() {
    let tmp = tempfile::tempdir().unwrap();
    // All 149 listed ids are missing (each line cut at its first space, as before the fix).
    let y = year(tmp.path(), &[], b"Screenshot\nOther\n");
    let o = run(&[
        "audit".as_ref(),
        "-q".as_ref(),
        y.as_os_str(),
        "--split".as_ref(),
        "train".as_ref(),
        "--classes".as_ref(),
        "auto".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("none of the 2 ids listed in the split file has an annotation file"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("no object names found"), "{}", text(&o));
    // Every file rejected.
    let d = tmp.path().join("broken");
    write(&d.join("a.xml"), "not xml");
    write(&d.join("b.xml"), "");
    let o = run(&[
        "audit".as_ref(),
        "-q".as_ref(),
        d.as_os_str(),
        "--classes".as_ref(),
        "auto".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("all 2 annotation files were rejected (first: "),
        "{}",
        text(&o)
    );
}

// ------------------------------------------------------------------ property tests

fn id_strategy() -> impl Strategy<Value = String> {
    // Letters, digits, spaces inside, parentheses, non-ASCII: what exporters write.
    "[a-zA-Z0-9éÜ_()-]{1,8}( [a-zA-Z0-9()]{1,4})?"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any mix of LF, CRLF and CR line ends, blank lines, padding and per-class flags reads
    /// back exactly the ids written, in order.
    #[test]
    fn split_lines_read_back_every_id(
        ids in prop::collection::vec(id_strategy(), 1..12),
        ends in prop::collection::vec(0usize..3, 12),
        blanks in prop::collection::vec(any::<bool>(), 12),
        flags in prop::collection::vec(prop::option::of(0usize..3), 12),
    ) {
        let mut ids = ids;
        ids.sort();
        ids.dedup();
        let exists = |id: &str| ids.iter().any(|i| i == id);
        let mut text = String::new();
        for (k, id) in ids.iter().enumerate() {
            let end = ["\n", "\r\n", "\r"][ends[k]];
            if blanks[k] {
                text.push_str(" \t");
                text.push_str(end);
            }
            text.push_str(id);
            // A per-class flag only where the id has no space (the per-class form's shape).
            if let (Some(f), false) = (flags[k], id.contains(' ')) {
                text.push_str(["  1", " -1", "  0"][f]);
            }
            text.push_str(end);
        }
        let read: Vec<&str> = ssd_assign::voc::dataset::split_lines(&text)
            .flat_map(|(_, line)| match classify_split_line(line, exists) {
                SplitLine::Blank => vec![],
                SplitLine::Id { id, .. } => vec![id],
                SplitLine::Several(v) => v,
            })
            .collect();
        prop_assert_eq!(read, ids.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// Several space- or tab-separated existing ids on a line are each an id; a line whose
    /// tokens do not all exist is one (missing) id.
    #[test]
    fn several_ids_on_a_line(
        ids in prop::collection::vec("[a-z0-9]{1,6}", 2..5),
        tabs in any::<bool>(),
    ) {
        // `000001 1` has the per-class form, which rule 2 reads before rule 3.
        prop_assume!(!(ids.len() == 2 && ["0", "1"].contains(&ids[1].as_str())));
        let sep = if tabs { "\t" } else { " " };
        let line = ids.join(sep);
        let exists = |id: &str| ids.iter().any(|i| i == id);
        prop_assert_eq!(
            classify_split_line(&line, exists),
            SplitLine::Several(ids.iter().map(String::as_str).collect())
        );
        let none = |_: &str| false;
        prop_assert_eq!(
            classify_split_line(&line, none),
            SplitLine::Id { id: line.as_str(), per_class: false }
        );
    }

    /// A class list reads the same names in UTF-8 (with or without a byte-order mark) and in
    /// UTF-16 LE or BE (with or without one), whatever its line ends.
    #[test]
    fn class_lists_in_any_encoding(
        names in prop::collection::vec("[a-z][a-zà-ÿ0-9 _-]{0,10}[a-z0-9]", 1..8),
        encoding in 0usize..6,
        crlf in any::<bool>(),
    ) {
        let mut names = names;
        names.sort();
        names.dedup();
        let end = if crlf { "\r\n" } else { "\n" };
        let body: String = names.iter().map(|n| format!("{n}{end}")).collect();
        let bytes: Vec<u8> = match encoding {
            0 => body.clone().into_bytes(),
            1 => format!("\u{FEFF}{body}").into_bytes(),
            2 => format!("\u{FEFF}{body}").encode_utf16().flat_map(u16::to_le_bytes).collect(),
            3 => format!("\u{FEFF}{body}").encode_utf16().flat_map(u16::to_be_bytes).collect(),
            4 => body.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            _ => body.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        };
        let text = decode_text(&bytes).unwrap();
        prop_assert_eq!(class_names(&text), names.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
