#!/usr/bin/env python3
"""Benchmarks `ssd-assign suggest` (issue #13): candidates evaluated per second and the time to
a result, on generated VOC sets of about 10k and 100k objects (bench/gen_voc.py, ~2.5 objects
per image), for the tiny-detector and ssd300 start sets. Medians of --repeat runs.

    cargo build --release
    python3 bench/suggest_bench.py [--repeat 3] [--jobs 2] [--quick]

A run uses the defaults (--iterations, --patience, --time-limit) unless --iterations is given.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "ssd-assign")
CACHE = os.path.join(tempfile.gettempdir(), "ssd-assign-bench")


def dataset(name, images):
    d = os.path.join(CACHE, name)
    if not os.path.isdir(os.path.join(d, "Annotations")):
        subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_voc.py"), d,
                        "--images", str(images)], check=True)
    return d


def one_run(data, priors, jobs, extra):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "s.toml")
        cmd = [BIN, "suggest", data, "--priors", priors, "--out", out, "-q", "-j", str(jobs)] + extra
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode not in (0, 2):
            sys.exit(f"{' '.join(cmd)} failed:\n{p.stderr}")
        m = re.search(r"searched (\d+) candidates in ([\d.]+) s \((\d+)/s", p.stderr)
        fit = re.search(r"fit \((\d+) images, (\d+) objects\)", p.stdout)
        rows = re.findall(r"^  (\S+)\s+([\d.]+)%", p.stdout, re.M)
        return {
            "wall": wall,
            "candidates": int(m.group(1)),
            "search_s": float(m.group(2)),
            "per_s": int(m.group(3)) if float(m.group(2)) > 0 else 0,
            "objects": int(fit.group(2)),
            "start": rows[0][1],
            "result": rows[1][1],
            "stopped": re.search(r"k-means seed [\d.]+%; (.*)$", p.stdout, re.M).group(1),
            "screened": int((re.search(r"; (\d+) rejected on every 4th", p.stdout) or [0, 0])[1]),
        }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="10k objects only, one run")
    ap.add_argument("--iterations", type=int, help="instead of the default search budget")
    a = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit(f"{BIN} missing: cargo build --release first")
    sets = [("gen-4k", 4000)] if a.quick else [("gen-4k", 4000), ("gen-40k", 40000)]
    repeat = 1 if a.quick else a.repeat
    extra = ["--iterations", str(a.iterations)] if a.iterations else []
    print("| set | fit objects | start | -j | candidates | candidates/s (median) | "
          "time to result, s (median) | screened out | objective start -> result | stopped |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, images in sets:
        data = dataset(name, images)
        for priors in ["tiny-detector", "ssd300"]:
            runs = [one_run(data, priors, a.jobs, extra) for _ in range(repeat)]
            r = runs[0]
            print(f"| {name} | {r['objects']} | {priors} | {a.jobs} | {r['candidates']} | "
                  f"{statistics.median(x['per_s'] for x in runs)} | "
                  f"{statistics.median(x['wall'] for x in runs):.1f} | {r['screened']} | "
                  f"{r['start']}% -> {r['result']}% | {r['stopped']} |", flush=True)


if __name__ == "__main__":
    main()
