#!/usr/bin/env python3
"""The `audit --html` benchmark (issue #12): wall time of the audit of a dataset without the
page, with the page but no gallery, and with the default gallery (24 worst images decoded,
reduced and drawn), interleaved, median and best of --repeat runs; a Markdown table.

    python3 bench/html_bench.py                       # ../shared/golden/voc2012-sample
    python3 bench/html_bench.py --repeat 5 --jobs 2 --bin target/release/ssd-assign DATASET

Release build, warm page cache. The target: the page of the 100 VOC2012 images written in
under 1 s on 2 cores.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", nargs="?", default=os.path.join(ROOT, "..", "shared", "golden", "voc2012-sample"))
    ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "ssd-assign"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    out = tempfile.mkdtemp(prefix="ssd-html-bench-")
    page = os.path.join(out, "report.html")
    base = [a.bin, "audit", a.dataset, "-q", "-j", str(a.jobs)]
    commands = {
        "audit (no page)": base,
        "audit --html --gallery 0": base + ["--html", page, "--force", "--gallery", "0"],
        "audit --html (gallery of 24)": base + ["--html", page, "--force"],
    }
    times = {k: [] for k in commands}
    for _ in range(a.repeat):
        for name, cmd in commands.items():
            t0 = time.perf_counter()
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            times[name].append(time.perf_counter() - t0)
            if p.returncode not in (0, 2):
                raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.decode()}")
    size = os.path.getsize(page)
    print(f"{a.dataset}, -j {a.jobs}, {a.repeat} interleaved runs; page {size / 1e3:.0f} kB\n")
    print("| command | median | best |")
    print("|---|---|---|")
    for name, t in times.items():
        print(f"| {name} | {statistics.median(t):.3f} s | {min(t):.3f} s |")


if __name__ == "__main__":
    main()
