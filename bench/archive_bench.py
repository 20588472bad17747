#!/usr/bin/env python3
"""The archive benchmark (issue #14): `audit` of a dataset packed as a tar and a tar.gz, against
the cost of reading the archive at all and against the audit of the extracted folder.

    python3 bench/archive_bench.py                  # 100k annotations, 100 KB images (~20 GB of disk)
    python3 bench/archive_bench.py --gz-images 10000   # the tar.gz pair on the 10k set (1 GB)
    python3 bench/archive_bench.py --images 10000 --rss-images 0   # a quick run

The annotations are bench/gen_voc.py's (the same generator and seed as bench.py's sets, under
bench/data). Each annotation gets a stand-in JPEG of --image-kb KB: a real baseline JPEG of the
annotation's size (SOI, tables, SOF0, a scan of flat blocks, EOI, so that header reads work)
followed by random padding (from a pool of random blocks: deflate's 32 KB window cannot see
the repetition, so the tar.gz does not shrink). Members are in the official VOC tars' order:
VOCdevkit/VOC2007/Annotations/*, ImageSets/, JPEGImages/*.

Timings: median of --repeat runs after one warm-up run of each command (the page cache is warm
only if the archive fits in it beside everything else: a 10 GB tar on a shared 24 GiB machine
did not), interleaved (one run of each command per round) so that a slow spell of a shared
machine hits all alike; peak RSS from /usr/bin/time. The binary is
$CARGO_TARGET_DIR/release/ssd-assign (default target/). The archives are deleted once measured
(--keep keeps them). Commands:

    cat set.tar > /dev/null                 the floor of reading the tar once
    ssd-assign audit set.tar -q -j2
    ssd-assign audit EXTRACTED_FOLDER -q -j2   (annotations and split; audit reads no image)
    gzip -dc set.tar.gz > /dev/null         the floor of decompressing the tar.gz once
    ssd-assign audit set.tar.gz -q -j2
"""
import argparse
import io
import os
import random
import statistics
import struct
import subprocess
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the generator's driver and run_once)

ROOT = bench.ROOT
DATA = bench.DATA
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
BIN = os.path.join(TARGET, "release", "ssd-assign")


def jpeg(width, height):
    """A valid baseline grayscale JPEG of width x height whose every 8x8 block is flat grey:
    one quantisation table, one-code DC and AC Huffman tables (category 0; end of block), so
    each block is 2 bits."""
    out = bytearray(b"\xff\xd8")  # SOI
    out += b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    out += b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes([1] * 64)  # DQT
    out += b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"  # SOF0
    # DHT: DC table 0, one code of length 1 -> category 0; AC table 0, one code -> EOB (0x00).
    out += b"\xff\xc4" + struct.pack(">H", 20) + b"\x00" + bytes([1] + [0] * 15) + b"\x00"
    out += b"\xff\xc4" + struct.pack(">H", 20) + b"\x10" + bytes([1] + [0] * 15) + b"\x00"
    out += b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00" + b"\x00\x3f\x00"  # SOS
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    bits = 2 * blocks
    out += b"\x00" * (bits // 8)
    if bits % 8:
        out += bytes([(1 << (8 - bits % 8)) - 1])  # the last byte's free bits are 1s
    out += b"\xff\xd9"  # EOI
    return bytes(out)


def size_of(xml_bytes):
    t = xml_bytes.decode()
    w = int(t[t.index("<width>") + 7:t.index("</width>")])
    h = int(t[t.index("<height>") + 8:t.index("</height>")])
    return w, h


def pack_tar(folder, tar_path, image_bytes, seed=7):
    """The tar of `folder` (a year folder from gen_voc.py) as VOCdevkit/VOC2007/..., with a
    stand-in JPEG per annotation. Returns its size."""
    rng = random.Random(seed)
    pool = [rng.randbytes(image_bytes) for _ in range(64)]
    ann = os.path.join(folder, "Annotations")
    names = sorted(os.listdir(ann))
    prefix = "VOCdevkit/VOC2007/"
    sizes = {}

    def add(tf, name, data):
        info = tarfile.TarInfo(prefix + name)
        info.size = len(data)
        info.mtime = 1_700_000_000
        info.mode = 0o644
        tf.addfile(info, io.BytesIO(data))

    def add_dir(tf, name):
        info = tarfile.TarInfo(prefix + name)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        info.mtime = 1_700_000_000
        tf.addfile(info)

    tmp = tar_path + ".part"
    with open(tmp, "wb", buffering=1 << 20) as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for d in ("", "Annotations/"):
            add_dir(tf, d)
        for n in names:
            with open(os.path.join(ann, n), "rb") as f:
                data = f.read()
            sizes[n[:-4]] = size_of(data)
            add(tf, "Annotations/" + n, data)
        add_dir(tf, "ImageSets/")
        add_dir(tf, "ImageSets/Main/")
        with open(os.path.join(folder, "ImageSets", "Main", "trainval.txt"), "rb") as f:
            add(tf, "ImageSets/Main/trainval.txt", f.read())
        add_dir(tf, "JPEGImages/")
        for i, n in enumerate(names):
            image_id = n[:-4]
            head = jpeg(*sizes[image_id])
            add(tf, f"JPEGImages/{image_id}.jpg", head + pool[i % len(pool)][: image_bytes - len(head)])
    os.replace(tmp, tar_path)
    return os.path.getsize(tar_path)


def archives(images, image_kb):
    """The generated set and its tar (built once, under bench/data)."""
    name = f"voc-{images // 1000}k" if images % 1000 == 0 else f"voc-{images}"
    folder = bench.dataset(name, images)
    tar_path = os.path.join(DATA, f"{name}-img{image_kb}k.tar")
    if not os.path.exists(tar_path):
        print(f"packing {tar_path}...", file=sys.stderr)
        t = time.perf_counter()
        pack_tar(folder, tar_path, image_kb * 1000)
        print(f"  {os.path.getsize(tar_path) / 1e9:.2f} GB in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return folder, tar_path


def gz_of(tar_path):
    gz = tar_path + ".gz"
    if not os.path.exists(gz):
        print(f"compressing {gz} (gzip -1)...", file=sys.stderr)
        t = time.perf_counter()
        subprocess.run(f"gzip -1 -c {tar_path} > {gz}.part && mv {gz}.part {gz}", shell=True, check=True)
        print(f"  {os.path.getsize(gz) / 1e9:.2f} GB in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return gz


def interleaved(runs, repeat):
    """Median wall time and peak RSS of each (name, cmd, shell); one warm-up run each first."""
    samples = {name: [] for name, _, _ in runs}
    peak = {name: 0.0 for name, _, _ in runs}
    for name, cmd, shell in runs:
        if bench.run_once(cmd, shell) is None:
            sys.exit(f"{name} failed")
    for _ in range(repeat):
        for name, cmd, shell in runs:
            r = bench.run_once(cmd, shell)
            if r is None:
                sys.exit(f"{name} failed")
            samples[name].append(r[0])
            peak[name] = max(peak[name], r[1])
    return {name: (statistics.median(samples[name]), peak[name], samples[name]) for name, _, _ in runs}


def table(results, note):
    print(note)
    print()
    print("| run | wall (median) | runs | peak RSS |")
    print("|---|---:|---|---:|")
    for name, (med, rss, walls) in results.items():
        shown = ", ".join(f"{w:.2f}" for w in walls)
        print(f"| {name} | {med:.3f} s | {shown} | {rss:.0f} MB |")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=100000, help="annotations in the tar set")
    ap.add_argument("--gz-images", type=int, help="annotations in the tar.gz set (default: --images)")
    ap.add_argument("--rss-images", type=int, default=10000,
                    help="a second tar size, for peak RSS against the archive's size")
    ap.add_argument("--image-kb", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--gz-repeat", type=int, default=3, help="runs of the (slow) tar.gz pair")
    ap.add_argument("--keep", action="store_true", help="keep the archives in bench/data")
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    if not a.no_build:
        print("building the release binary...", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    os.makedirs(DATA, exist_ok=True)
    made = []

    def drop(path):
        if not a.keep and os.path.exists(path):
            os.remove(path)

    try:
        # The tar: cat, audit of the tar, audit of the extracted folder, interleaved.
        folder, tar_path = archives(a.images, a.image_kb)
        made.append(tar_path)
        tar_gb = os.path.getsize(tar_path) / 1e9
        tar_runs = [
            ("cat set.tar > /dev/null", f"cat {tar_path} > /dev/null", True),
            ("audit set.tar -q -j2", [BIN, "audit", tar_path, "-q", "-j2"], False),
            ("audit EXTRACTED -q -j2", [BIN, "audit", folder, "-q", "-j2"], False),
        ]
        r1 = interleaved(tar_runs, a.repeat)
        table(r1, f"{a.images} annotations, tar {tar_gb:.2f} GB, {a.repeat} interleaved runs:")
        cat, at, af = (r1[k][0] for k, _, _ in tar_runs)
        print(f"audit set.tar / cat set.tar = {at / cat:.2f}; audit set.tar / audit folder = {at / af:.2f}")
        print()

        # Peak RSS of the tar audit at a second size.
        if a.rss_images and a.rss_images != a.images:
            _, small = archives(a.rss_images, a.image_kb)
            made.append(small)
            r = interleaved([(f"audit set.tar -q -j2, {a.rss_images} annotations",
                              [BIN, "audit", small, "-q", "-j2"], False)], 3)
            table(r, f"{a.rss_images} annotations, tar {os.path.getsize(small) / 1e9:.2f} GB:")

        # The tar.gz: gzip -dc against the audit, interleaved, on its own page cache.
        n = a.gz_images or a.images
        _, gz_tar = archives(n, a.image_kb)
        made.append(gz_tar)
        gz = gz_of(gz_tar)
        made.append(gz)
        if gz_tar != tar_path:
            drop(tar_path)
        drop(gz_tar)
        gz_runs = [
            ("gzip -dc set.tar.gz > /dev/null", f"gzip -dc {gz} > /dev/null", True),
            ("audit set.tar.gz -q -j2", [BIN, "audit", gz, "-q", "-j2"], False),
        ]
        r2 = interleaved(gz_runs, a.gz_repeat)
        table(r2, f"{n} annotations, tar.gz {os.path.getsize(gz) / 1e9:.2f} GB (gzip -1), "
                  f"{a.gz_repeat} interleaved runs:")
        g, ag = (r2[k][0] for k, _, _ in gz_runs)
        print(f"audit set.tar.gz / gzip -dc = {ag / g:.2f}")
    finally:
        for p in made:
            drop(p)


if __name__ == "__main__":
    main()
