//! Fuzz target: any bytes into the annotation reader, then into `resolve` (issue #6).
//! Must never panic, whatever the bytes. Run: see docs/robustness.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssd_assign::voc::{parse_annotation, resolve, LabelMap, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = parse_annotation(data) else {
        return;
    };
    let labels = LabelMap::voc();
    let clip = ReadOptions {
        clip: true,
        ..ReadOptions::default()
    };
    for opts in [ReadOptions::default(), clip] {
        // Once with <size> from an "image", once with no image at all.
        let _ = resolve(raw.clone(), &labels, &opts, &mut |_| Ok((7, 3)));
        if let Ok(a) = resolve(raw.clone(), &labels, &opts, &mut |_| Err("none".into())) {
            for s in &a.skipped {
                let _ = s.to_string();
            }
        }
    }
});
