//! Writes NPY files with the crate's streaming writer for tests/python/check_npy.py, which
//! loads them with numpy (an independent reader) and compares every element with the same
//! formula computed in numpy. `cargo run --example write_npy_samples -- OUT_DIR`
//!
//! Each sample is one dtype and row shape, streamed row by row; some state their row count up
//! front (the header is written once and the SHA-256 computed while writing), some do not or
//! state a wrong one (the header is rewritten at the end). OUT_DIR/samples.json lists them.

use std::path::PathBuf;

use ssd_assign::npy::Dtype;
use ssd_assign::sink::npy::NpyStreamWriter;

/// The element at flat index `i` (tests/python/check_npy.py computes the same in numpy).
fn element(dtype: Dtype, i: u64, out: &mut Vec<u8>) {
    match dtype {
        Dtype::U8 => out.push(((i * 7 + 3) % 256) as u8),
        Dtype::I16 => out.extend(((((i * 7919 + 13) % 65536) as i64 - 32768) as i16).to_le_bytes()),
        Dtype::I32 => out
            .extend(((((i * 2_654_435_761) % (1 << 32)) as i64 - (1 << 31)) as i32).to_le_bytes()),
        Dtype::I64 => out.extend((i.wrapping_mul(0x9E37_79B9_7F4A_7C15) as i64).to_le_bytes()),
        Dtype::F32 => out.extend((((i % 1_000_003) as f32) * 0.125 - 3.0).to_le_bytes()),
        Dtype::F64 => out.extend(((i as f64) * 0.5 + 0.1).to_le_bytes()),
    }
}

/// Name, dtype, row shape, rows written, rows stated up front.
type Sample = (&'static str, Dtype, &'static [u64], u64, Option<u64>);

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: write_npy_samples OUT_DIR"),
    );
    std::fs::create_dir_all(&dir)?;
    let samples: [Sample; 10] = [
        ("u8_1d", Dtype::U8, &[], 1000, Some(1000)),
        ("i16_small", Dtype::I16, &[3], 5, None),
        (
            "i32_3d_fewer_than_stated",
            Dtype::I32,
            &[4, 5],
            17,
            Some(20),
        ),
        ("i64_labels", Dtype::I64, &[441], 300, Some(300)),
        ("f64_pairs", Dtype::F64, &[2], 1000, Some(1000)),
        ("f32_empty", Dtype::F32, &[441, 4], 0, Some(0)),
        ("i64_empty_unstated", Dtype::I64, &[441], 0, None),
        ("u8_zero_width_rows", Dtype::U8, &[0], 4, None),
        // 21 MB: many 256 KiB blocks and write-back ranges, hashed beside the writer.
        ("f32_large_locs", Dtype::F32, &[441, 4], 3000, Some(3000)),
        ("f32_large_unstated", Dtype::F32, &[8732, 4], 100, None),
    ];
    let mut listing = Vec::new();
    for (name, dtype, row_shape, rows, stated) in samples {
        let path = dir.join(format!("{name}.npy"));
        let mut w = NpyStreamWriter::create_expecting(&path, dtype, row_shape, stated)?;
        let per_row: u64 = row_shape.iter().product();
        let mut row = Vec::new();
        for r in 0..rows {
            row.clear();
            for i in r * per_row..(r + 1) * per_row {
                element(dtype, i, &mut row);
            }
            w.write_row(&row)?;
        }
        let (written, checksum) = w.finish_with_checksum()?;
        assert_eq!(written, rows);
        listing.push(serde_json::json!({
            "name": name,
            "descr": dtype.descr(),
            "shape": std::iter::once(rows).chain(row_shape.iter().copied()).collect::<Vec<_>>(),
            "sha256": checksum.map(|(sha, _)| sha),
        }));
    }
    let json = serde_json::to_string_pretty(&listing).expect("json");
    std::fs::write(dir.join("samples.json"), json + "\n")
}
