#!/usr/bin/env bash
# The Python package's CI step (one line in .ci/run): a venv made for the run, maturin, pytest
# and numpy from PyPI, the package built in release mode and installed from python/ the way
# the README says (pip install ./python), then its pytest suite against the CLI's debug binary
# and ../shared/golden (CI=true makes a missing ../shared a failure).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
export PATH="$venv/bin:$PATH"
pip=("$venv/bin/pip" --quiet --disable-pip-version-check)
"${pip[@]}" install maturin pytest numpy
# The binary whose outputs the package must equal.
cargo build --quiet --bin ssd-assign
export SSD_ASSIGN_BIN="$target/debug/ssd-assign"
# maturin is in the venv already: no isolated build environment to download it into again.
CARGO_TARGET_DIR="$target/python" "${pip[@]}" install --no-build-isolation ./python
cd python/tests
"$venv/bin/python" -m pytest -q -p no:cacheprovider
# The binding's own Rust is held to the root crate's standard.
cd "$root/python"
cargo fmt --check
CARGO_TARGET_DIR="$target" cargo clippy --quiet -- -D warnings
