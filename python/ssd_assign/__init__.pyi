"""Type stubs of ssd_assign (the compiled module ssd_assign._ssd_assign)."""

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

ArrayLike = npt.ArrayLike
PathLike = Union[str, "os.PathLike[str]"]

def priors(name_or_file: str = "tiny-detector") -> npt.NDArray[np.float32]:
    """The priors of a preset (``tiny-detector``, ``ssd300``, ``torchvision-ssd300``) or of a
    TOML or JSON configuration file: a (P, 4) float32 array of cx, cy, w, h (fractions).

    Raises ValueError for an unknown preset or a bad file."""

class Assigner:
    """Assigns priors to ground truths and encodes targets exactly as ``ssd-assign encode``
    and the reference's MultiBoxLoss do.

    priors: a preset name or a TOML/JSON prior configuration file.
    threshold: IoU at or above which a prior is positive, in (0, 1].
    variances: SSD's centre and size variances (two positive numbers).
    collision: ``"reference"`` (the later object keeps a shared best prior) or ``"optimal"``.
    neg_pos_ratio: hard negatives per positive (``match``'s ``hard_negatives``).
    jobs: threads of ``encode_batch`` (0: one per core).

    Boxes are (n, 4) fractional x1, y1, x2, y2 (what the reference's loss receives), any real
    dtype, list or array (converted to float32); labels (n,) integers >= 1. An empty boxes
    array is an image without objects: every prior is background. Bad input (shape, dtype,
    NaN or inf, x2 <= x1, labels < 1, different lengths) raises ValueError naming the
    argument.

    An Assigner pickles (as its arguments) and works in DataLoader workers, forked or
    spawned: each process makes its own threads for ``encode_batch``.
    """

    def __init__(
        self,
        priors: str = "tiny-detector",
        threshold: float = 0.5,
        variances: Tuple[float, float] = (0.1, 0.2),
        collision: str = "reference",
        neg_pos_ratio: int = 3,
        jobs: int = 0,
    ) -> None: ...
    @property
    def num_priors(self) -> int:
        """Number of priors P."""
    @property
    def priors(self) -> npt.NDArray[np.float32]:
        """The priors, (P, 4) float32 cx, cy, w, h."""
    @property
    def threshold(self) -> float: ...
    @property
    def variances(self) -> Tuple[float, float]: ...
    @property
    def collision(self) -> str: ...
    def encode(
        self, boxes: ArrayLike, labels: ArrayLike
    ) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """One image's targets: labels (P,) int64 (0: background) and locs (P, 4) float32
        (encoded boxes of the positives, zeros elsewhere)."""
    def encode_batch(
        self, boxes: Sequence[ArrayLike], labels: Sequence[ArrayLike]
    ) -> Tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Many images' targets, matched in parallel with the GIL released: labels (N, P)
        int64 and locs (N, P, 4) float32; row k is ``encode(boxes[k], labels[k])``."""
    def match(self, boxes: ArrayLike, labels: ArrayLike) -> Dict[str, Any]:
        """Per-object details of the matching (what the audit counts), arrays of length n:
        ``best_prior`` (int64), ``best_iou`` (float32), ``forced_prior`` (int64, -1: lost),
        ``forced_iou`` (float32), ``positives`` (int64), ``forced_only`` (bool),
        ``lost_collision`` (bool), ``status`` (list of str: matched, forced_only,
        unmatched, lost_collision); and the image's ``num_positives`` and
        ``hard_negatives``."""

def read_annotation(
    path: PathLike,
    classes: str = "voc",
    *,
    images: Optional[PathLike] = None,
    coords: str = "one-based",
    difficult: str = "keep",
    clip: bool = False,
) -> Dict[str, Any]:
    """One Pascal VOC annotation file, read as the command line reads it: ``filename``,
    ``size`` (width, height), ``boxes`` (n, 4) float32 fractional x1, y1, x2, y2 (what
    ``Assigner.encode`` takes), ``labels`` (n,) int64, ``difficult`` (n,) bool, ``names``
    (list of str) and ``skipped`` (list of (object index, name, reason)).

    classes: ``"voc"`` (the reference's 20 classes), ``"auto"`` (the names in the file,
    sorted) or a file with one class name a line. images: the folder holding the image, for a
    ``<size>`` missing or 0 (default: the folder holding the XML, as ``ssd-assign audit
    FILE.xml`` looks). Raises ValueError naming the problem."""

def audit(
    paths: Union[PathLike, Sequence[PathLike]],
    *,
    split: Optional[str] = None,
    images: Optional[PathLike] = None,
    recursive: bool = False,
    classes: str = "voc",
    coords: str = "one-based",
    difficult: str = "keep",
    clip: bool = False,
    priors: Union[None, str, List[str]] = None,
    threshold: float = 0.5,
    collision: str = "reference",
    variances: Tuple[float, float] = (0.1, 0.2),
    neg_pos_ratio: int = 3,
    examples: int = 3,
    worst: int = 20,
    max_unmatched: int = 1000,
    check_images: bool = False,
    jobs: int = 0,
) -> Dict[str, Any]:
    """The audit of VOC year folders, VOCdevkit folders, folders of .xml files or .xml files:
    the report ``ssd-assign audit --format json`` prints (docs/report-schema.md), as a dict.
    Each keyword is the flag of the same name; ``priors`` may list several configurations
    (default ``"tiny-detector"``)."""
