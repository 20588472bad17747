#!/usr/bin/env python3
"""Checks `ssd-assign encode` outputs with their real consumer, numpy.

Two ways to run it:

    # Run the binary on the golden sets and the repo's fixtures in every format, check all:
    python3 tests/python/check_encode.py --bin target/debug/ssd-assign --golden ../shared/golden

    # Check output folders that already exist (format read from their manifest.json):
    python3 tests/python/check_encode.py OUT_DIR [OUT_DIR...]

What is checked, per folder: every file's size and SHA-256 against manifest.json; the arrays'
shapes and dtypes against the manifest (np.load, np.load(mmap_mode="r") for .npy, np.load on
.npz); ids.txt has N lines; labels in [0, num classes]; locs exactly zero where the label is
background; priors spot values from reference.md; targets.csv against the manifest counts.
With --golden: labels equal the reference's labels.npy exactly, locs of positive priors within
1e-5 of its locs.npy, ids.txt equal, priors bit-equal, and the npz/csv/narrow-dtype outputs
equal to the npy ones.

Exits non-zero on the first failure. Prints "N passed, 0 failed" at the end.
"""

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

from checks import check, done


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_arrays(out, manifest):
    """Returns dict name -> ndarray for npy / npz outputs (None for csv)."""
    fmt = manifest["format"]
    if fmt == "npy":
        arrays = {}
        for name in ("labels", "locs", "priors"):
            path = os.path.join(out, f"{name}.npy")
            a = np.load(path)
            m = np.load(path, mmap_mode="r")  # the header must describe the data exactly
            check(m.shape == a.shape and np.array_equal(m, a), f"{path}: mmap load differs")
            arrays[name] = a
        return arrays
    if fmt == "npz":
        path = os.path.join(out, "targets.npz")
        with zipfile.ZipFile(path) as z:
            check(z.testzip() is None, f"{path}: a member's CRC is wrong")
            check(
                sorted(z.namelist()) == ["labels.npy", "locs.npy", "priors.npy"],
                f"{path}: members {z.namelist()}",
            )
        with np.load(path) as d:
            check(sorted(d.files) == ["labels", "locs", "priors"], f"{path}: keys {d.files}")
            return {k: d[k] for k in d.files}
    return None


def check_folder(out):
    """Checks one output folder on its own; returns (manifest, arrays or None)."""
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    check(manifest["tool"] == "ssd-assign", "manifest tool")
    for name, info in manifest["files"].items():
        path = os.path.join(out, name)
        check(os.path.getsize(path) == info["bytes"], f"{path}: size vs manifest")
        check(sha256(path) == info["sha256"], f"{path}: SHA-256 vs manifest")
    listed = set(manifest["files"]) | {"manifest.json"}
    present = set(os.listdir(out))
    check(present == listed, f"{out}: files {sorted(present)} vs manifest {sorted(listed)}")

    counts = manifest["counts"]
    n, p = counts["images"], manifest["priors"]["count"]
    names = manifest["label_map"]["names"]
    check(names[0] == "background", "label 0 is background")
    with open(os.path.join(out, "ids.txt")) as f:
        ids = f.read().splitlines()
    check(len(ids) == n, f"{out}: ids.txt has {len(ids)} lines, N = {n}")

    arrays = load_arrays(out, manifest)
    specs = {a["name"]: a for a in manifest["arrays"]}
    if arrays is not None:
        labels, locs, priors = arrays["labels"], arrays["locs"], arrays["priors"]
        for name, a in arrays.items():
            check(list(a.shape) == specs[name]["shape"], f"{name}: shape {a.shape}")
            check(a.dtype == np.dtype(specs[name]["dtype"]), f"{name}: dtype {a.dtype}")
        check(labels.shape == (n, p) and locs.shape == (n, p, 4), "labels/locs shapes")
        check(locs.dtype == np.float32 and priors.dtype == np.float32, "float32 arrays")
        want = {"i64": "int64", "i32": "int32", "i16": "int16", "u8": "uint8"}[manifest["label_dtype"]]
        check(labels.dtype == np.dtype(want), f"labels dtype {labels.dtype}, --label-dtype {want}")
        check(int(labels.min(initial=0)) >= 0, "labels >= 0")
        check(int(labels.max(initial=0)) < len(names), "labels within the label map")
        check(int((labels != 0).sum()) == counts["positives"], "positives vs manifest")
        check(not locs[labels == 0].any(), "locs are zero for background priors")
        check(np.isfinite(locs).all(), "locs finite")
    else:
        priors = np.loadtxt(os.path.join(out, "priors.csv"), delimiter=",", skiprows=1,
                            dtype=np.float64)[:, 1:].astype(np.float32)
        with open(os.path.join(out, "targets.csv"), newline="") as f:
            rows = list(csv.reader(f))
        check(rows[0] == ["image_id", "prior", "label", "class", "t_cx", "t_cy", "t_w", "t_h"],
              "targets.csv header")
        expected = n * p if manifest["all_priors"] else counts["positives"]
        check(len(rows) - 1 == expected, f"targets.csv: {len(rows) - 1} rows, expected {expected}")
        for r in rows[1:50]:
            check(names[int(r[2])] == r[3], f"targets.csv: class of label {r[2]} is {r[3]}")
    check(priors.shape == (p, 4), "priors shape")
    if manifest["priors"]["name"] == "tiny-detector":
        # reference.md section 1 spot values (f32).
        check(np.array_equal(priors[216], np.float32([0.5, 0.5, 0.2, 0.2])), "prior 216")
        check(np.allclose(priors[440], [0.928571403, 0.928571403, 0.424264073, 0.848528147],
                          rtol=0, atol=1e-7), "prior 440")
    return manifest, arrays


def csv_as_arrays(out, n, p):
    """Rebuilds dense labels / locs from targets.csv (to compare with the npy output)."""
    with open(os.path.join(out, "ids.txt")) as f:
        row_of = {i: k for k, i in enumerate(f.read().splitlines())}
    labels = np.zeros((n, p), np.int64)
    locs = np.zeros((n, p, 4), np.float32)
    with open(os.path.join(out, "targets.csv"), newline="") as f:
        r = csv.reader(f)
        next(r)
        for image_id, prior, label, _cls, *t in r:
            k, j = row_of[image_id], int(prior)
            labels[k, j] = int(label)
            locs[k, j] = np.float32([float(v) for v in t])  # shortest repr reads back exactly
    return labels, locs


def encode(binary, dataset, out, *flags):
    cmd = [binary, "encode", dataset, "--out", out, "-q", *flags]
    r = subprocess.run(cmd, capture_output=True, text=True)
    check(r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}: {r.stderr}")


def run_all(binary, golden, fixtures):
    sets = []
    if golden and os.path.isdir(golden):
        for s in ("voc2012-sample", "edge-cases"):
            sets.append((os.path.join(golden, s), os.path.join(golden, s, "expected"), []))
            sets.append((os.path.join(golden, s), os.path.join(golden, s, "expected-ssd300"),
                         ["--priors", "ssd300"]))
    elif os.environ.get("CI") in ("true", "1"):
        check(False, f"golden folder {golden} missing under CI")
    else:
        print(f"SKIPPED golden comparisons: {golden} not found", file=sys.stderr)
    sets.append((fixtures, None, []))
    with tempfile.TemporaryDirectory() as tmp:
        for k, (dataset, expected, priors_flags) in enumerate(sets):
            outs = {}
            for variant, flags in [
                ("npy", []),
                ("npz", ["--format", "npz"]),
                ("csv", ["--format", "csv"]),
                ("u8", ["--label-dtype", "u8"]),
                ("i16npz", ["--format", "npz", "--label-dtype", "i16", "--jobs", "1"]),
            ]:
                out = os.path.join(tmp, f"{k}-{variant}")
                encode(binary, dataset, out, *priors_flags, *flags)
                outs[variant] = check_folder(out)
            manifest, ref = outs["npy"]
            n, p = manifest["counts"]["images"], manifest["priors"]["count"]
            for variant in ("npz", "u8", "i16npz"):
                a = outs[variant][1]
                for name in ("labels", "locs", "priors"):
                    check(np.array_equal(a[name], ref[name]), f"{variant} {name} equals npy")
            check(outs["u8"][1]["labels"].dtype == np.uint8, "u8 labels dtype")
            check(outs["i16npz"][1]["labels"].dtype == np.int16, "i16 labels dtype")
            labels, locs = csv_as_arrays(os.path.join(tmp, f"{k}-csv"), n, p)
            check(np.array_equal(labels, ref["labels"]), "csv labels equal npy")
            check(np.array_equal(locs, ref["locs"]), "csv targets equal npy bit for bit")
            if expected is None:
                continue
            out = os.path.join(tmp, f"{k}-npy")
            with open(os.path.join(expected, "ids.txt")) as f:
                gids = f.read().splitlines()
            with open(os.path.join(out, "ids.txt")) as f:
                check(f.read().splitlines() == gids, f"{dataset}: ids.txt equals golden")
            glabels = np.load(os.path.join(expected, "labels.npy"))
            glocs = np.load(os.path.join(expected, "locs.npy"))
            gpriors = np.load(os.path.join(expected, "priors_cxcy.npy"))
            check(ref["labels"].dtype == np.int64, "default labels dtype int64")
            check(np.array_equal(ref["labels"], glabels), f"{dataset}: labels equal golden")
            pos = glabels != 0
            err = np.abs(ref["locs"][pos] - glocs[pos]).max(initial=0)
            check(err <= 1e-5, f"{dataset}: positive locs within 1e-5 of golden (max {err})")
            check(np.array_equal(ref["priors"], gpriors), f"{dataset}: priors equal golden")
            print(f"{os.path.basename(dataset)} {os.path.basename(expected)}: {n} images, {int(pos.sum())} positives, "
                  f"max |locs - golden| = {err:.3g}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", help="existing encode output folders to check")
    ap.add_argument("--bin", help="ssd-assign binary: run encode and check everything")
    ap.add_argument("--golden", default="../shared/golden", help="shared/golden folder")
    ap.add_argument("--fixtures", default="fixtures/voc-mini", help="a small dataset")
    args = ap.parse_args()
    if not args.dirs and not args.bin:
        ap.error("give output folders, or --bin to run the binary")
    for d in args.dirs:
        check_folder(d)
    if args.bin:
        run_all(args.bin, args.golden, args.fixtures)
    done()


if __name__ == "__main__":
    main()
