//! The HTML report in a real browser (issue #12): headless Chromium loads the pages of
//! `fixtures/voc-mini` and `../shared/golden/voc2012-sample` from disk, with name resolution
//! turned off, and the test asserts that nothing was logged to the console (the page has no
//! script: a message means a blocked load or a broken page), that the screenshot is not blank,
//! and that the network log holds no request made for the page.
//!
//! Chromium is `$CHROMIUM`, else `chromium` / `chromium-browser` / `google-chrome` on the PATH.
//! Missing, the test is skipped with a message, unless `CI=true`, where it fails
//! (`tests/browser/run.sh` installs it). Screenshots are kept in
//! `$CARGO_TARGET_DIR/browser/` (or `target/browser/`) to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::audit::ssd_assign;
use crate::common::{repo, shared};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The browser, or `None` (skipped) outside CI.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            if dir.join(name).is_file() {
                return Some(dir.join(name));
            }
        }
    }
    assert!(
        !ci(),
        "chromium is missing, and CI=true: tests/browser/run.sh installs it"
    );
    eprintln!("SKIPPED: no chromium on the PATH (tests/browser/run.sh installs it)");
    None
}

/// Where the screenshots are kept.
fn out_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let dir = target.join("browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What the browser made of a page.
struct Loaded {
    /// The console messages Chromium logged.
    console: Vec<String>,
    /// URLs requested on the page's behalf (other than the page itself).
    requests: Vec<String>,
    screenshot: image::RgbImage,
}

/// Loads `page` headless at 1280 x `height`, with a new profile, no network and a net log.
fn load(chromium: &Path, page: &Path, png: &Path, height: u32) -> Loaded {
    let profile = tempfile::tempdir().unwrap();
    let netlog = profile.path().join("netlog.json");
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let o = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("p").display()
        ))
        .arg(format!("--log-net-log={}", netlog.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size=1280,{height}"))
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "chromium failed on {url}: {o:?}");
    let stderr = String::from_utf8_lossy(&o.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    Loaded {
        console,
        requests: page_requests(&netlog, &url),
        screenshot: image::open(png).expect("a PNG screenshot").to_rgb8(),
    }
}

/// The URLs of the net log's requests made for a `file://` page (its network isolation key
/// names the file origin; the browser's own background requests have another), but the page.
fn page_requests(netlog: &Path, url: &str) -> Vec<String> {
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(netlog).expect("a net log")).expect("JSON net log");
    let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("the net log names its event types");
    let mut urls: Vec<String> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start))
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.contains("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .filter(|u| u != url)
        .collect();
    urls.dedup();
    urls
}

/// Distinct colours and the share of pixels that are not the page's background or white.
fn colours(img: &image::RgbImage) -> (usize, f64) {
    let mut seen = std::collections::HashSet::new();
    let mut inked = 0usize;
    for p in img.pixels() {
        seen.insert(p.0);
        let [r, g, b] = p.0;
        if !(r > 240 && g > 240 && b > 240) {
            inked += 1;
        }
    }
    (
        seen.len(),
        inked as f64 / (img.width() * img.height()) as f64,
    )
}

/// Writes the report of `dataset` and checks it in the browser.
fn check_report(chromium: &Path, name: &str, dataset: &str, extra: &[&str]) {
    let dir = out_dir();
    let page = dir.join(format!("{name}.html"));
    let mut args = vec![
        "audit",
        dataset,
        "-q",
        "--force",
        "--html",
        page.to_str().unwrap(),
    ];
    args.extend(extra);
    let o = ssd_assign(&args);
    assert!(o.status.code().is_some_and(|c| c == 0 || c == 2), "{o:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    crate::html::assert_self_contained(&html);
    let loaded = load(chromium, &page, &dir.join(format!("{name}.png")), 2400);
    assert_eq!(
        loaded.console,
        Vec::<String>::new(),
        "{name}: console messages"
    );
    assert_eq!(loaded.requests, Vec::<String>::new(), "{name}: requests");
    let (distinct, inked) = colours(&loaded.screenshot);
    eprintln!("{name}: {distinct} colours, {:.1}% inked", 100.0 * inked);
    assert!(distinct > 1000, "{name}: {distinct} colours: a blank page?");
    assert!(
        inked > 0.05,
        "{name}: {:.1}% inked: a blank page?",
        100.0 * inked
    );
}

#[test]
fn browser_loads_the_reports_without_errors_or_requests() {
    let Some(chromium) = chromium() else { return };
    check_report(&chromium, "voc-mini", "fixtures/voc-mini", &[]);
    if shared().is_some() {
        check_report(
            &chromium,
            "voc2012-sample",
            "../shared/golden/voc2012-sample",
            &["--priors", "tiny-detector", "--priors", "ssd300"],
        );
    }
}

/// The checks above can fail: a page that loads an outside image is caught by the console
/// (the report's policy blocks it) or, without the policy, by the net log; a blank page by the
/// colour count.
#[test]
fn browser_checks_catch_a_broken_page() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let img = "<img src=\"https://example.invalid/x.png\">";
    let csp = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">";
    let pages = [
        (
            "policy",
            format!("<!DOCTYPE html><html><head>{csp}</head><body>{img}</body></html>"),
        ),
        (
            "open",
            format!("<!DOCTYPE html><html><body>{img}</body></html>"),
        ),
    ];
    for (name, text) in pages {
        let page = dir.path().join(format!("{name}.html"));
        std::fs::write(&page, text).unwrap();
        let loaded = load(
            &chromium,
            &page,
            &dir.path().join(format!("{name}.png")),
            300,
        );
        if name == "policy" {
            assert!(
                loaded.console.iter().any(|l| l.contains("example.invalid")),
                "{:?}",
                loaded.console
            );
        } else {
            assert_eq!(loaded.requests, ["https://example.invalid/x.png"]);
        }
        // Only the broken-image icon: a few hundred anti-aliased colours, a few pixels.
        let (distinct, inked) = colours(&loaded.screenshot);
        assert!(
            distinct < 1000 && inked < 0.05,
            "{name}: blank: {distinct} {inked}"
        );
    }
}
