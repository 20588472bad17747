"""A torch Dataset that augments each sample, then assigns its targets with ssd_assign.

Run from the repository root: python3 python/examples/augmented_dataset.py
"""

import glob

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

import ssd_assign


class AugmentedVOC(Dataset):
    """VOC annotations; per sample a random flip and crop, then the reference's targets."""

    def __init__(self, xml_files, images=None, seed=0):
        self.samples = [ssd_assign.read_annotation(f, images=images) for f in xml_files]
        self.assigner = ssd_assign.Assigner()  # tiny-detector: 441 priors, threshold 0.5
        self.rng = np.random.default_rng(seed)  # forked workers copy it: seed each in worker_init_fn

    def __len__(self):
        return len(self.samples)

    def augment(self, boxes, labels):
        """Boxes are fractional x1, y1, x2, y2; crop and flip the image the same way."""
        if self.rng.random() < 0.5:  # horizontal flip: x -> 1 - x
            boxes = np.stack([1 - boxes[:, 2], boxes[:, 1], 1 - boxes[:, 0], boxes[:, 3]], 1)
        s = self.rng.uniform(0.6, 1.0)  # a random square crop of side s
        x0, y0 = self.rng.uniform(0, 1 - s, size=2)
        centres = (boxes[:, :2] + boxes[:, 2:]) / 2
        keep = ((centres > [x0, y0]) & (centres < [x0 + s, y0 + s])).all(1)
        origin = np.array([x0, y0, x0, y0])
        boxes = (np.clip(boxes[keep], origin, origin + s) - origin) / s
        return boxes, labels[keep]

    def __getitem__(self, i):
        sample = self.samples[i]
        boxes, labels = self.augment(sample["boxes"], sample["labels"])
        # float64 boxes are fine: converted to float32, as the reference's loss sees them.
        classes, locs = self.assigner.encode(boxes, labels)  # (441,) int64, (441, 4) float32
        return torch.from_numpy(classes), torch.from_numpy(locs)


if __name__ == "__main__":
    files = sorted(glob.glob("fixtures/voc-mini/Annotations/*.xml"))
    data = AugmentedVOC(files, images="fixtures/voc-mini/JPEGImages")
    for classes, locs in DataLoader(data, batch_size=4):
        # In training: cross-entropy on classes, smooth L1 on locs[classes > 0].
        print(tuple(classes.shape), tuple(locs.shape), int((classes > 0).sum()), "positives")
