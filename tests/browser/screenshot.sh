#!/usr/bin/env bash
# The README's picture of the HTML report (docs/img/report.png): the report of
# fixtures/pictures, its top (verdict, first charts) above its gallery, as headless Chromium
# renders them. Run from anywhere, after a build: bash tests/browser/screenshot.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-${CARGO_TARGET_DIR:-target}/debug/ssd-assign}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" audit fixtures/pictures -q --html "$work/report.html" >/dev/null || [ $? -eq 2 ]
cat > "$work/shot.html" <<'HTML'
<!DOCTYPE html><html><body style="margin:0;background:#f6f7f9">
<iframe src="report.html" style="display:block;border:0;width:1100px;height:1180px" scrolling="no"></iframe>
<iframe src="report.html#worst-cases" style="display:block;border:0;width:1100px;height:700px;border-top:3px solid #1d2a3a" scrolling="no"></iframe>
</body></html>
HTML
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$work/profile" --virtual-time-budget=3000 --window-size=1100,1883 \
    --screenshot="$PWD/docs/img/report.png" "file://$work/shot.html" 2>/dev/null
ls -l docs/img/report.png
