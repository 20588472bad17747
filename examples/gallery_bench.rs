//! Times the HTML report's gallery alone (issue #12), in-process: reads and matches a dataset
//! as the audit does (tiny-detector, the defaults), then builds the gallery of its N worst
//! images `--repeat` times and prints the median and best time, and the markup's size.
//! bench/pictures_bench.py runs it.
//!
//! `cargo run --release --example gallery_bench -- DATASET [N] [REPEAT]`

use std::sync::Arc;
use std::time::Instant;

use ssd_assign::assign::MatchParams;
use ssd_assign::encode::BoxCoder;
use ssd_assign::pipeline::Engine;
use ssd_assign::priors::PriorSet;
use ssd_assign::render::gallery::{gallery, gallery_markup};
use ssd_assign::report::AssignmentTally;
use ssd_assign::voc::dataset::list_datasets;
use ssd_assign::voc::{LabelMap, ReadOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let dataset = args
        .next()
        .expect("usage: gallery_bench DATASET [N] [REPEAT]");
    let n: usize = args.next().map_or(24, |s| s.parse().expect("N"));
    let repeat: usize = args.next().map_or(5, |s| s.parse().expect("REPEAT"));
    let engine = Engine {
        priors: Arc::new(PriorSet::tiny_detector()),
        labels: LabelMap::voc(),
        read: ReadOptions::default(),
        params: MatchParams::default(),
        coder: BoxCoder::default(),
        check_images: false,
    };
    let listing = list_datasets(&[dataset.into()], None, None).expect("the dataset lists");
    let mut tally = AssignmentTally::new(&engine.priors, &engine.params, &engine.labels);
    tally.keep_gallery(n);
    engine
        .run(
            &listing.entries,
            0,
            |_| {},
            |o| {
                if let Ok(r) = &o {
                    tally.add(r);
                }
                Ok::<(), ()>(())
            },
        )
        .expect("the run");
    let report = tally.finish(20, 1000);
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let items = gallery(&report, &engine, &listing.entries, n);
        bytes = gallery_markup(&items).into_string().len();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "gallery of {n}: median {:.0} ms, best {:.0} ms ({} runs), markup {:.2} MB",
        times[times.len() / 2] * 1000.0,
        times[0] * 1000.0,
        times.len(),
        bytes as f64 / 1e6
    );
}
