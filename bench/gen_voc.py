#!/usr/bin/env python3
"""Writes a deterministic synthetic Pascal VOC year folder for benchmarks.

Realistic VOC XML: the 20 VOC classes, VOC2007 image sizes, 1-5 objects per image (mean ~2.5),
boxes of all sizes, ~10% float coordinates (CVAT style), ~10% difficult. `--crowd` writes up to
MAX objects per image instead (a crowded set). Same arguments, same bytes.

    python3 bench/gen_voc.py OUT_DIR --images 10000 [--seed 7] [--crowd 700]
"""
import argparse
import os
import random

CLASSES = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
           "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
           "train", "tvmonitor"]
SIZES = [(500, 375), (375, 500), (500, 333), (333, 500), (500, 500), (480, 360), (640, 480)]


def one_object(rng, w, h):
    # Relative size roughly log-uniform between 2% and 100% of the image side.
    side = min(1.0, 0.02 * (50 ** rng.random()))
    aspect = 2 ** rng.uniform(-2, 2)
    bw = max(2, min(w - 1, int(side * w * aspect ** 0.5)))
    bh = max(2, min(h - 1, int(side * h / aspect ** 0.5)))
    x = rng.randint(1, w - bw)
    y = rng.randint(1, h - bh)
    if rng.random() < 0.1:
        fmt = lambda v: f"{v + rng.choice([0.0, 0.25, 0.5, 0.325]):.3f}"
    else:
        fmt = str
    return (f"\t<object>\n\t\t<name>{rng.choice(CLASSES)}</name>\n\t\t<pose>Unspecified</pose>\n"
            f"\t\t<truncated>{int(rng.random() < 0.2)}</truncated>\n"
            f"\t\t<difficult>{int(rng.random() < 0.1)}</difficult>\n\t\t<bndbox>\n"
            f"\t\t\t<xmin>{fmt(x)}</xmin>\n\t\t\t<ymin>{fmt(y)}</ymin>\n"
            f"\t\t\t<xmax>{fmt(x + bw)}</xmax>\n\t\t\t<ymax>{fmt(y + bh)}</ymax>\n"
            f"\t\t</bndbox>\n\t</object>\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--crowd", type=int, default=0, help="objects per image up to this many")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    ann = os.path.join(a.out, "Annotations")
    os.makedirs(ann, exist_ok=True)
    main_dir = os.path.join(a.out, "ImageSets", "Main")
    os.makedirs(main_dir, exist_ok=True)
    ids = []
    for i in range(a.images):
        image_id = f"{i:06d}"
        ids.append(image_id)
        w, h = rng.choice(SIZES)
        if a.crowd:
            n = rng.randint(1, a.crowd)
        else:
            n = rng.choice([1, 1, 1, 2, 2, 3, 3, 4, 5, 3])
        objects = "".join(one_object(rng, w, h) for _ in range(n))
        xml = (f"<annotation>\n\t<folder>VOC2007</folder>\n\t<filename>{image_id}.jpg</filename>\n"
               f"\t<source>\n\t\t<database>The VOC2007 Database</database>\n"
               f"\t\t<annotation>PASCAL VOC2007</annotation>\n\t\t<image>flickr</image>\n\t</source>\n"
               f"\t<size>\n\t\t<width>{w}</width>\n\t\t<height>{h}</height>\n\t\t<depth>3</depth>\n\t</size>\n"
               f"\t<segmented>0</segmented>\n{objects}</annotation>\n")
        with open(os.path.join(ann, image_id + ".xml"), "w") as f:
            f.write(xml)
    with open(os.path.join(main_dir, "trainval.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")


if __name__ == "__main__":
    main()
