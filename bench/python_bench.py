#!/usr/bin/env python3
"""Per-image target assignment in Python: ssd_assign.Assigner.encode against the reference's
matching (MultiBoxLoss's matching part, torch on CPU, as the golden generator runs it) and
against a numpy implementation of the same rule; then encode_batch on 1 and 2 threads.

    python3 bench/python_bench.py [--golden ../shared/golden] [--rounds 5]

Needs numpy and the installed package (pip install ./python); torch is optional (without it
the reference column is left out and said so). Before timing, each implementation is checked
on every image against the reference's golden files: labels exact, positive targets within
1e-5. Images come from the golden sets' objects.jsonl (the reference's own normalised boxes):
voc2012-sample (100 images, 2.7 objects each) and wider-face (3,226 images, 12.3 faces each).

Figures: the median over rounds of the mean time per image (each round encodes every image of
the set once, one call per image, every implementation in turn); ratios are of those medians.
torch runs on 1 thread (as in a DataLoader worker, which sets torch.set_num_threads(1)) and on
its default thread count (the loss in the main process, the golden generator's way).
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

import ssd_assign

try:
    import torch
except ImportError:  # the reference column needs torch; the rest does not
    torch = None


# --- the reference's rule in numpy (reference.md sections 3-5), f32 throughout -------------


def np_corners(cxcy):
    return np.concatenate([cxcy[:, :2] - cxcy[:, 2:] / np.float32(2), cxcy[:, :2] + cxcy[:, 2:] / np.float32(2)], 1)


def np_encode(boxes, labels, priors_cxcy, priors_xy, threshold=np.float32(0.5)):
    """labels (P,) int64 and locs (P, 4) float32 (zeros for background), numpy."""
    p = len(priors_cxcy)
    out_labels = np.zeros(p, np.int64)
    out_locs = np.zeros((p, 4), np.float32)
    n = len(boxes)
    if n == 0:
        return out_labels, out_locs
    lo = np.maximum(boxes[:, None, :2], priors_xy[None, :, :2])
    hi = np.minimum(boxes[:, None, 2:], priors_xy[None, :, 2:])
    dims = np.clip(hi - lo, np.float32(0), None)
    inter = dims[:, :, 0] * dims[:, :, 1]
    area_b = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    area_p = (priors_xy[:, 2] - priors_xy[:, 0]) * (priors_xy[:, 3] - priors_xy[:, 1])
    overlap = inter / ((area_b[:, None] + area_p[None, :]) - inter)  # (n, P)
    object_for_prior = overlap.argmax(0)  # first maximum: lowest GT index
    overlap_for_prior = overlap.max(0)
    prior_for_object = overlap.argmax(1)  # lowest prior index
    object_for_prior[prior_for_object] = np.arange(n)  # later GT wins a shared prior
    overlap_for_prior[prior_for_object] = np.float32(1)
    pos = overlap_for_prior >= threshold
    out_labels[pos] = labels[object_for_prior[pos]]
    g = boxes[object_for_prior[pos]]
    g_cxcy = np.concatenate([(g[:, 2:] + g[:, :2]) / np.float32(2), g[:, 2:] - g[:, :2]], 1)
    d = priors_cxcy[pos]
    out_locs[pos] = np.concatenate(
        [(g_cxcy[:, :2] - d[:, :2]) / (d[:, 2:] / np.float32(10)), np.log(g_cxcy[:, 2:] / d[:, 2:]) * np.float32(5)], 1
    )
    return out_labels, out_locs


# --- the reference's own matching, torch (MultiBoxLoss.forward up to true_classes/true_locs) ---


def torch_reference(priors_cxcy_np):
    priors_cxcy = torch.from_numpy(priors_cxcy_np)
    priors_xy = torch.cat([priors_cxcy[:, :2] - priors_cxcy[:, 2:] / 2, priors_cxcy[:, :2] + priors_cxcy[:, 2:] / 2], 1)

    def find_jaccard_overlap(set_1, set_2):
        lower = torch.max(set_1[:, :2].unsqueeze(1), set_2[:, :2].unsqueeze(0))
        upper = torch.min(set_1[:, 2:].unsqueeze(1), set_2[:, 2:].unsqueeze(0))
        dims = torch.clamp(upper - lower, min=0)
        intersection = dims[:, :, 0] * dims[:, :, 1]
        areas_1 = (set_1[:, 2] - set_1[:, 0]) * (set_1[:, 3] - set_1[:, 1])
        areas_2 = (set_2[:, 2] - set_2[:, 0]) * (set_2[:, 3] - set_2[:, 1])
        union = areas_1.unsqueeze(1) + areas_2.unsqueeze(0) - intersection
        return intersection / union

    def encode(boxes, labels, threshold=0.5):
        n_priors = priors_cxcy.size(0)
        if boxes.size(0) == 0:  # the golden generator's case of an image without objects
            return torch.zeros(n_priors, dtype=torch.long), torch.zeros(n_priors, 4)
        n_objects = boxes.size(0)
        overlap = find_jaccard_overlap(boxes, priors_xy)
        overlap_for_each_prior, object_for_each_prior = overlap.max(dim=0)
        _, prior_for_each_object = overlap.max(dim=1)
        object_for_each_prior[prior_for_each_object] = torch.LongTensor(range(n_objects))
        overlap_for_each_prior[prior_for_each_object] = 1.0
        label_for_each_prior = labels[object_for_each_prior]
        label_for_each_prior[overlap_for_each_prior < threshold] = 0
        g = boxes[object_for_each_prior]
        g_cxcy = torch.cat([(g[:, 2:] + g[:, :2]) / 2, g[:, 2:] - g[:, :2]], 1)
        true_locs = torch.cat(
            [(g_cxcy[:, :2] - priors_cxcy[:, :2]) / (priors_cxcy[:, 2:] / 10), torch.log(g_cxcy[:, 2:] / priors_cxcy[:, 2:]) * 5],
            1,
        )
        return label_for_each_prior, true_locs

    return encode


# --- data, checks, timing ----------------------------------------------------------------------


def load_set(golden, name):
    exp = os.path.join(golden, name, "expected")
    with open(os.path.join(exp, "objects.jsonl")) as f:
        objects = [json.loads(line) for line in f]
    boxes = [np.asarray(o["boxes"], np.float32).reshape(-1, 4) for o in objects]
    labels = [np.asarray(o["labels"], np.int64) for o in objects]
    return boxes, labels, np.load(os.path.join(exp, "labels.npy")), np.load(os.path.join(exp, "locs.npy"))


def check(name, impl, encode, boxes, labels, glabels, glocs):
    for k, (b, l) in enumerate(zip(boxes, labels)):
        lab, loc = encode(b, l)
        lab, loc = np.asarray(lab), np.asarray(loc)
        if not np.array_equal(lab, glabels[k]):
            sys.exit(f"{impl} disagrees with the reference's labels on {name} image {k}")
        pos = glabels[k] != 0
        err = np.abs(loc[pos] - glocs[k][pos]).max(initial=0)
        if err > 1e-5:
            sys.exit(f"{impl}: positive targets of {name} image {k} differ by {err}")


def per_image(encode, boxes, labels, rounds):
    """Median over rounds of the mean seconds per image."""
    return interleaved({"one": encode}, boxes, labels, rounds)["one"]


def interleaved(impls, boxes, labels, rounds):
    """Per implementation, the median over rounds of the mean seconds per image; each round
    runs every implementation once, so a slow spell of the shared machine hits all alike."""
    times = {impl: [] for impl in impls}
    for _ in range(rounds):
        for impl, encode in impls.items():
            t = time.perf_counter()
            for b, l in zip(boxes, labels):
                encode(b, l)
            times[impl].append((time.perf_counter() - t) / len(boxes))
    return {impl: statistics.median(ts) for impl, ts in times.items()}


def batch_time(assigner, boxes, labels, rounds):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        assigner.encode_batch(boxes, labels)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--golden", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "golden"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    assigner = ssd_assign.Assigner()
    pcxcy = ssd_assign.priors()
    pxy = np_corners(pcxcy)
    impls = {
        "ssd_assign": assigner.encode,
        "numpy": lambda b, l: np_encode(b, l, pcxcy, pxy),
    }
    threads = {}
    if torch is not None:
        ref = torch_reference(pcxcy)
        threads["default"] = torch.get_num_threads()

        def with_threads(n):
            def run(b, l):
                torch.set_num_threads(n)
                return ref(torch.from_numpy(b), torch.from_numpy(l))

            return run

        # A DataLoader worker runs torch on 1 thread; the loss in the main process on all cores.
        impls["torch, 1 thread"] = with_threads(1)
        impls[f"torch, {threads['default']} threads"] = with_threads(threads["default"])
        print(f"torch {torch.__version__}; ", end="")
    else:
        print("torch not installed: no reference column; ", end="")
    print(f"numpy {np.__version__}; ssd_assign {ssd_assign.__version__}; {os.cpu_count()} cores")

    for name in ("voc2012-sample", "wider-face"):
        boxes, labels, glabels, glocs = load_set(args.golden, name)
        for impl, encode in impls.items():
            check(name, impl, encode, boxes, labels, glabels, glocs)
        objects = sum(len(b) for b in boxes) / len(boxes)
        print(f"\n{name}: {len(boxes)} images, {objects:.1f} objects each; all implementations equal the goldens")
        t = interleaved(impls, boxes, labels, args.rounds)
        if torch is not None:
            torch.set_num_threads(threads["default"])
        for impl, s in t.items():
            ratio = s / t["ssd_assign"]
            print(f"  {impl:16s} {s * 1e6:9.1f} us/image   {ratio:6.1f}x ssd_assign's time")

    boxes, labels, _, _ = load_set(args.golden, "wider-face")
    print(f"\nencode_batch, wider-face ({len(boxes)} images), median of {args.rounds} interleaved runs:")
    one_thread, two_threads = ssd_assign.Assigner(jobs=1), ssd_assign.Assigner(jobs=2)
    runs = [(batch_time(one_thread, boxes, labels, 1), batch_time(two_threads, boxes, labels, 1)) for _ in range(args.rounds)]
    one = statistics.median(r[0] for r in runs)
    two = statistics.median(r[1] for r in runs)
    loop = per_image(assigner.encode, boxes, labels, args.rounds) * len(boxes)
    print(f"  encode per image (loop)  {loop * 1e3:7.1f} ms")
    print(f"  encode_batch jobs=1      {one * 1e3:7.1f} ms")
    print(f"  encode_batch jobs=2      {two * 1e3:7.1f} ms   speed-up {one / two:.2f}x over 1 thread")


if __name__ == "__main__":
    main()
