#!/usr/bin/env python3
"""Benchmark of `ssd-assign encode`: throughput and peak RSS against the number of images.

Generates deterministic synthetic VOC datasets with bench/gen_voc.py (once, under bench/data,
which git ignores), runs the release binary on each, and prints a Markdown table: images/s,
output MB/s, output size and peak RSS. Peak RSS is `/usr/bin/time`'s "Maximum resident set
size" of the binary. The claim under test: RSS stays flat
as N grows, because rows are streamed to disk in image order.

    python3 bench/encode_bench.py                       # 1k, 10k, 100k images, npy
    python3 bench/encode_bench.py --sizes 10000 100000 --formats npy npz csv --jobs 2

Each run writes into a temporary folder that is deleted afterwards (100k images x 441 priors
is about 1.06 GB of npy output).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "bench", "data")
BIN = os.path.join(ROOT, "target", "release", "ssd-assign")


def label(n):
    return f"{n // 1000}k" if n % 1000 == 0 and n >= 1000 else str(n)


def dataset(images):
    """bench/data/voc-<N>: the same folders bench/bench.py uses. Generated into a temporary
    name and renamed, so a concurrent reader never sees a half-written set."""
    path = os.path.join(DATA, f"voc-{label(images)}")
    if os.path.exists(os.path.join(path, ".complete")):
        return path
    tmp = f"{path}.gen-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"generating {path} ({images} images)...", file=sys.stderr)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_voc.py"), tmp,
                    "--images", str(images)], check=True)
    open(os.path.join(tmp, ".complete"), "w").close()
    if os.path.exists(os.path.join(path, ".complete")):  # someone else finished first
        shutil.rmtree(tmp)
    else:
        shutil.rmtree(path, ignore_errors=True)
        os.rename(tmp, path)
    return path


def du(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def run(cmd):
    """(wall seconds, peak RSS in MiB) of one run, measured by `/usr/bin/time -f %M`.

    Not wait4() from Python: Linux carries the parent's RSS high-water mark across fork+exec
    into the child's ru_maxrss, so a Python parent's ~14 MiB would hide the binary's own peak.
    /usr/bin/time is a small C program, so its floor is about 2 MiB."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name, *cmd],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n"
                     f"{p.stderr.decode(errors='replace').strip()[:500]}")
        kib = int(tf.read().split()[-1])
    return wall, kib / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--formats", nargs="+", default=["npy"], choices=["npy", "npz", "csv"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="runs per cell; the fastest is kept")
    a = ap.parse_args()

    print("building the release binary...", file=sys.stderr)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "ssd-assign"], cwd=ROOT,
                   check=True)
    os.makedirs(DATA, exist_ok=True)
    rows = []
    for n in a.sizes:
        ds = dataset(n)
        for fmt in a.formats:
            best = None
            for _ in range(a.repeat):
                tmp = tempfile.mkdtemp(prefix="ssd-encode-bench-", dir=DATA)
                out = os.path.join(tmp, "out")
                cmd = [BIN, "encode", ds, "--out", out, "--format", fmt, "-q", "-j", str(a.jobs)]
                wall, rss = run(cmd)
                size = du(out)
                shutil.rmtree(tmp)
                if best is None or wall < best[0]:
                    best = (wall, rss, size)
                else:
                    best = (best[0], max(best[1], rss), best[2])
            wall, rss, size = best
            rows.append((label(n), fmt, wall, n / wall, size / 2**20, size / 2**20 / wall, rss))
            print(f"  {label(n)} {fmt}: {wall:.2f} s, {rss:.1f} MiB", file=sys.stderr)

    print(f"encode, --jobs {a.jobs}, {os.cpu_count()} cores, release build\n")
    print("| images | format | wall | images/s | output | output MB/s | peak RSS |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n, fmt, wall, ips, mib, mibs, rss in rows:
        print(f"| {n} | {fmt} | {wall:.2f} s | {ips:,.0f} | {mib:,.0f} MiB | {mibs:,.0f} | "
              f"{rss:.1f} MiB |")


if __name__ == "__main__":
    main()
