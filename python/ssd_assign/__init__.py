"""SSD prior assignment and target encoding, the ssd-assign engine inside a training loop.

The same Rust code as the ``ssd-assign`` command line, bit for bit: ``Assigner.encode``
returns the row ``ssd-assign encode`` writes, which is the Tiny-Detector reference's
``true_classes``/``true_locs``. Use it in a ``Dataset.__getitem__`` after augmenting a
sample::

    import ssd_assign
    assigner = ssd_assign.Assigner()               # tiny-detector, 441 priors, threshold 0.5
    labels, locs = assigner.encode(boxes, labels)  # (441,) int64, (441, 4) float32

See ``README.md`` ("Python") for a complete ``torch.utils.data.Dataset``.
"""

from ._ssd_assign import Assigner, __version__, audit, priors, read_annotation

__all__ = ["Assigner", "audit", "priors", "read_annotation", "__version__"]
