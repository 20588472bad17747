#!/usr/bin/env bash
# Loads `ssd-assign encode` outputs with real numpy (called by .ci/run; numpy must be installed).
# Runs the debug binary on ../shared/golden (voc2012-sample, edge-cases) and fixtures/voc-mini in
# every format and compares with the reference's arrays.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet --bin ssd-assign
python3 tests/python/check_encode.py --bin target/debug/ssd-assign --golden ../shared/golden --fixtures fixtures/voc-mini
