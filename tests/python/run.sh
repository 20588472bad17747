#!/usr/bin/env bash
# Loads ssd-assign's outputs with real numpy (called by .ci/run; numpy must be installed).
# 1. The NPY writer alone: examples/write_npy_samples.rs writes arrays of every dtype and
#    several shapes (empty, 1-D to 3-D, 21 MB), check_npy.py reads them with numpy.
# 2. Runs the debug binary on ../shared/golden (voc2012-sample, edge-cases) and
#    fixtures/voc-mini in every format and compares with the reference's arrays.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
samples="$(mktemp -d)"
trap 'rm -rf "$samples"' EXIT
cargo run --quiet --example write_npy_samples -- "$samples"
python3 tests/python/check_npy.py "$samples"
cargo build --quiet --bin ssd-assign
python3 tests/python/check_encode.py --bin "$target/debug/ssd-assign" --golden ../shared/golden --fixtures fixtures/voc-mini
