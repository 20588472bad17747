#!/usr/bin/env python3
"""Benchmarks the pictures of issue #12 on ../shared/golden/voc2012-sample (100 VOC2012 images
with their JPEGs): `show` of one image (PNG and SVG), and the audit with and without its --html
page (whose gallery decodes and draws 24 images), interleaved, medians of --repeat runs.

    cargo build --release --example gallery_bench
    python3 bench/pictures_bench.py [--repeat 5] [--jobs 2]

Wall times of whole processes (start-up included), warm page cache. Without --html in the
binary (`audit --help`), the audit rows are skipped.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "ssd-assign")
SAMPLE = os.path.join(ROOT, "..", "shared", "golden", "voc2012-sample")
# A lost collision with six objects (the README's audit names it).
IMAGE = os.path.join(SAMPLE, "Annotations", "2007_000170.xml")


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True)
    wall = time.perf_counter() - t0
    if p.returncode not in (0, 2):
        sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr.decode()}")
    return wall


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not os.path.isfile(BIN):
        sys.exit(f"{BIN} not found: cargo build --release first")
    if not os.path.isdir(SAMPLE):
        sys.exit(f"{SAMPLE} not found")
    has_html = b"--html" in subprocess.run([BIN, "audit", "--help"], capture_output=True).stdout
    j = ["-j", str(args.jobs), "-q"]
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            "show PNG (2007_000170)": [BIN, "show", IMAGE, "--out", os.path.join(tmp, "s.png"),
                                       "--force"],
            "show SVG (2007_000170)": [BIN, "show", IMAGE, "--out", os.path.join(tmp, "s.svg"),
                                       "--force"],
        }
        if has_html:
            runs["audit (text)"] = [BIN, "audit", SAMPLE] + j
            runs["audit --html (gallery 24)"] = [BIN, "audit", SAMPLE, "--html",
                                                 os.path.join(tmp, "r.html"), "--force"] + j
            runs["audit --html --gallery 0"] = [BIN, "audit", SAMPLE, "--html",
                                                os.path.join(tmp, "r0.html"), "--force",
                                                "--gallery", "0"] + j
        else:
            print("this binary has no audit --html: audit rows skipped")
        times = {name: [] for name in runs}
        for _ in range(args.repeat):
            for name, cmd in runs.items():
                times[name].append(timed(cmd))
        print(f"{'run':32} {'median':>9} {'best':>9}  ({args.repeat} interleaved runs, -j{args.jobs})")
        for name, ts in times.items():
            print(f"{name:32} {statistics.median(ts) * 1000:7.0f} ms {min(ts) * 1000:7.0f} ms")
        if has_html:
            size = os.path.getsize(os.path.join(tmp, "r.html"))
            print(f"page with the gallery: {size / 1e6:.2f} MB")
    # The gallery alone, in-process (examples/gallery_bench.rs).
    example = os.path.join(TARGET, "release", "examples", "gallery_bench")
    if os.path.isfile(example):
        subprocess.run([example, SAMPLE, "24", str(args.repeat)], check=True)
    else:
        print(f"{example} not found: cargo build --release --example gallery_bench")


if __name__ == "__main__":
    main()
