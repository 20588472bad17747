#!/usr/bin/env bash
# The HTML report in a real browser: installs Debian's chromium when it is missing, then runs
# the browser tests (tests/integration/browser.rs) with CI=true, so that they fail rather than
# skip. Screenshots of the reports are left in $CARGO_TARGET_DIR/browser/ (or target/browser/).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
    && ! command -v google-chrome >/dev/null && [ -z "${CHROMIUM:-}" ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
CI=true cargo test --test integration browser
