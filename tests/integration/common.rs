//! Shared helpers: where `../shared` is, and running the engine on a folder.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ssd_assign::assign::MatchParams;
use ssd_assign::encode::BoxCoder;
use ssd_assign::pipeline::{Engine, Outcome};
use ssd_assign::priors::PriorSet;
use ssd_assign::voc::dataset::{list_datasets, Listing};
use ssd_assign::voc::{LabelMap, ReadOptions};

/// `../shared` beside the checkout. Under `CI=true` a missing folder fails the test loudly;
/// elsewhere the test is skipped with a message.
pub fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if p.join("golden").is_dir() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!(
            "../shared/golden is missing ({}), and CI=true: the golden tests cannot run",
            p.display()
        );
    }
    eprintln!("SKIPPED: ../shared/golden not found beside the checkout");
    None
}

/// The lines of a text file.
#[allow(dead_code)]
pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The repository root.
#[allow(dead_code)]
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's own fixtures folder.
#[allow(dead_code)]
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn engine(priors: PriorSet, params: MatchParams) -> Engine {
    Engine {
        priors: Arc::new(priors),
        labels: LabelMap::voc(),
        read: ReadOptions::default(),
        params,
        coder: BoxCoder::default(),
        check_images: false,
    }
}

/// Runs `engine` on a dataset folder with `jobs` threads; outcomes in order.
pub fn run(engine: &Engine, dataset: &Path, jobs: usize) -> Vec<Outcome> {
    run_listing(engine, dataset, jobs).1
}

/// [`run`], also returning the listing.
pub fn run_listing(engine: &Engine, dataset: &Path, jobs: usize) -> (Listing, Vec<Outcome>) {
    let listing = list_datasets(&[dataset.to_path_buf()], None, None).expect("dataset lists");
    let mut out = Vec::new();
    engine
        .run(
            &listing.entries,
            jobs,
            |_| {},
            |o| {
                out.push(o);
                Ok::<(), ()>(())
            },
        )
        .unwrap();
    (listing, out)
}

/// Writes `n` annotation files with `objects` boxes each (a dataset slow enough for a signal to arrive mid-run).
pub fn crowded_dataset(dir: &Path, n: usize, objects: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let mut xml =
            String::from("<annotation><size><width>640</width><height>480</height></size>");
        for j in 0..objects {
            let (x, y) = (1 + (i * 7 + j * 13) % 560, 1 + (i * 11 + j * 17) % 400);
            xml.push_str(&format!(
                "<object><name>dog</name><difficult>0</difficult><bndbox><xmin>{x}</xmin>\
                 <ymin>{y}</ymin><xmax>{}</xmax><ymax>{}</ymax></bndbox></object>",
                x + 40 + j % 30,
                y + 30 + j % 40
            ));
        }
        xml.push_str("</annotation>");
        std::fs::write(dir.join(format!("{i:06}.xml")), xml).unwrap();
    }
}
