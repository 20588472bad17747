//! Fuzz target: any bytes into the annotation reader, then into `resolve` (issue #6).
//! Must never panic, whatever the bytes, and the fast tokenizer must give exactly what
//! quick-xml alone gives (value or error). Run: see docs/robustness.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ssd_assign::voc::xml::parse_annotation_quick_xml;
use ssd_assign::voc::{parse_annotation, resolve, LabelMap, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let parsed = parse_annotation(data);
    assert_eq!(parsed, parse_annotation_quick_xml(data), "fast path differs");
    let Ok(raw) = parsed else {
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
