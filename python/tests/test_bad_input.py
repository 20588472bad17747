"""Every bad input of issue #15: a ValueError that names the argument and the fix, never a
crash of the interpreter; whole messages asserted where the wording is ours."""

import re

import numpy as np
import pytest

import ssd_assign
from conftest import FIXTURES

GOOD = [[0.1, 0.2, 0.5, 0.6], [0.3, 0.3, 0.9, 0.8]]


@pytest.fixture(scope="module")
def a():
    return ssd_assign.Assigner()


def refused(call, message):
    with pytest.raises(ValueError) as e:
        call()
    assert str(e.value) == message
    return e


@pytest.mark.parametrize(
    "boxes, message",
    [
        ([0.1, 0.2, 0.5, 0.6], "boxes: expected shape (n, 4), one row x1, y1, x2, y2 per object, got shape (4,)"),
        (np.zeros((2, 5)) + 0.5, "boxes: expected shape (n, 4), one row x1, y1, x2, y2 per object, got shape (2, 5)"),
        (np.zeros((2, 4, 1)) + 0.5, "boxes: expected shape (n, 4), one row x1, y1, x2, y2 per object, got shape (2, 4, 1)"),
        (np.full((2, 4), "a"), "boxes: expected numbers, got an array of dtype <U1; pass float32 (or float64) fractions x1, y1, x2, y2"),
        (np.ones((2, 4), bool), "boxes: expected numbers, got an array of dtype bool; pass float32 (or float64) fractions x1, y1, x2, y2"),
        (np.ones((2, 4), complex), "boxes: expected numbers, got an array of dtype complex128; pass float32 (or float64) fractions x1, y1, x2, y2"),
    ],
    ids=["1-d", "5-columns", "3-d", "strings", "bool", "complex"],
)
def test_wrong_shapes_and_dtypes_of_boxes(a, boxes, message):
    labels = [1, 2]
    refused(lambda: a.encode(boxes, labels), message)
    refused(lambda: a.match(boxes, labels), message)


def test_ragged_lists_name_the_argument(a):
    with pytest.raises(ValueError, match=r"^boxes: cannot be read as a numpy array \(.*\); pass a numpy array"):
        a.encode([[0.1, 0.2, 0.5, 0.6], [0.1, 0.2]], [1, 2])


@pytest.mark.parametrize(
    "row, message",
    [
        ([0.1, np.nan, 0.5, 0.6], "boxes[1]: y1 is NaN: coordinates must be finite numbers"),
        ([0.1, 0.2, np.inf, 0.6], "boxes[1]: x2 is inf: coordinates must be finite numbers"),
        ([-np.inf, 0.2, 0.5, 0.6], "boxes[1]: x1 is -inf: coordinates must be finite numbers"),
        ([0.5, 0.2, 0.5, 0.6], "boxes[1]: x2 0.5 <= x1 0.5: a box is x1, y1, x2, y2 with x1 < x2 and y1 < y2 (fractions of the image size)"),
        ([0.6, 0.2, 0.5, 0.6], "boxes[1]: x2 0.5 <= x1 0.6: a box is x1, y1, x2, y2 with x1 < x2 and y1 < y2 (fractions of the image size)"),
        ([0.1, 0.7, 0.5, 0.6], "boxes[1]: y2 0.6 <= y1 0.7: a box is x1, y1, x2, y2 with x1 < x2 and y1 < y2 (fractions of the image size)"),
        # Different in float64, equal once float32 (what the matcher and the reference use).
        ([0.3, 0.2, 0.30000000001, 0.6], "boxes[1]: x2 0.3 <= x1 0.3: a box is x1, y1, x2, y2 with x1 < x2 and y1 < y2 (fractions of the image size)"),
        ([0.1, 0.2, 1e39, 0.6], "boxes[1]: x2 is inf: coordinates must be finite numbers"),
    ],
    ids=["nan", "inf", "-inf", "x2=x1", "x2<x1", "y2<y1", "equal-in-f32", "overflows-f32"],
)
def test_bad_coordinates_name_the_box(a, row, message):
    boxes = np.array([GOOD[0], row], np.float64)
    with np.errstate(over="ignore"):
        refused(lambda: a.encode(boxes, [1, 2]), message)
        refused(lambda: a.match(boxes, [1, 2]), message)


@pytest.mark.parametrize(
    "labels, message",
    [
        ([1, 0], "labels[1]: label 0: classes are numbered from 1 (0 is the background)"),
        ([-3, 1], "labels[0]: label -3: classes are numbered from 1 (0 is the background)"),
        ([1, 2**40], f"labels[1]: label {2**40}: classes are numbered from 1 (0 is the background)"),
        (np.array([1, 2**64 - 1], np.uint64), f"labels[1]: label {2**63 - 1}: classes are numbered from 1 (0 is the background)"),
        ([1.0, 2.0], "labels: expected integer class labels, got an array of dtype float64; pass integers from 1 (e.g. labels.astype(int))"),
        ([True, True], "labels: expected integer class labels, got an array of dtype bool; pass integers from 1 (e.g. labels.astype(int))"),
        ([[1, 2]], "labels: expected shape (n,), one label per object, got shape (1, 2)"),
    ],
    ids=["zero", "negative", "too-large", "uint64-max", "float", "bool", "2-d"],
)
def test_bad_labels_name_the_label(a, labels, message):
    refused(lambda: a.encode(GOOD, labels), message)


def test_different_lengths(a):
    refused(
        lambda: a.encode(GOOD, [1]),
        "boxes and labels have different lengths (2 boxes, 1 labels): give one label per box",
    )
    refused(
        lambda: a.encode([], [1]),
        "boxes and labels have different lengths (0 boxes, 1 labels): give one label per box",
    )


def test_batches_name_the_image(a):
    refused(
        lambda: a.encode_batch([GOOD, [[0.1, 0.2, 0.05, 0.6]]], [[1, 2], [3]]),
        "boxes[1][0]: x2 0.05 <= x1 0.1: a box is x1, y1, x2, y2 with x1 < x2 and y1 < y2 (fractions of the image size)",
    )
    refused(
        lambda: a.encode_batch([GOOD, GOOD], [[1, 2], [3, 0]]),
        "labels[1][1]: label 0: classes are numbered from 1 (0 is the background)",
    )
    refused(
        lambda: a.encode_batch([GOOD], [[1, 2], [3]]),
        "boxes and labels have different lengths (1 and 2 images): give one labels array per boxes array",
    )
    refused(
        lambda: a.encode_batch([GOOD], [[1]]),
        "boxes[0] and labels[0] have different lengths (2 boxes, 1 labels): give one label per box",
    )
    refused(
        lambda: a.encode_batch(3, [[1]]),
        "boxes: expected a sequence (e.g. a list) of arrays, one per image",
    )
    refused(
        lambda: a.encode_batch("boxes", [[1]]),
        "boxes: expected a sequence (e.g. a list) of arrays, one per image",
    )


def test_assigner_settings():
    refused(lambda: ssd_assign.Assigner(threshold=0), "threshold 0: must be in (0, 1], e.g. 0.5")
    refused(lambda: ssd_assign.Assigner(threshold=1.5), "threshold 1.5: must be in (0, 1], e.g. 0.5")
    refused(lambda: ssd_assign.Assigner(threshold=float("nan")), "threshold NaN: must be in (0, 1], e.g. 0.5")
    refused(
        lambda: ssd_assign.Assigner(variances=(0.1, 0)),
        "variances 0.1, 0: expected two positive numbers, e.g. 0.1, 0.2",
    )
    refused(
        lambda: ssd_assign.Assigner(collision="best"),
        'collision: "best": expected one of reference, optimal',
    )
    with pytest.raises(ValueError, match=r"^priors: .*tiny-detector, ssd300, torchvision-ssd300"):
        ssd_assign.Assigner("ssd512")
    with pytest.raises(ValueError, match=r"^priors: .*"):
        ssd_assign.priors("/nonexistent/priors.toml")
    with pytest.raises(TypeError):
        ssd_assign.Assigner(threshold="high")


def test_read_annotation_errors(tmp_path):
    with pytest.raises(ValueError, match=r"^path: .*nothing\.xml"):
        ssd_assign.read_annotation(tmp_path / "nothing.xml")
    refused(
        lambda: ssd_assign.read_annotation(FIXTURES),
        f"path: {FIXTURES} is a folder; read_annotation reads one .xml file (audit reads folders)",
    )
    broken = tmp_path / "broken.xml"
    broken.write_text("<annotation><object>")
    with pytest.raises(ValueError, match=r"^path: .*broken\.xml: "):
        ssd_assign.read_annotation(broken)
    with pytest.raises(ValueError, match=r"^classes: .*no-such-classes\.txt"):
        ssd_assign.read_annotation(FIXTURES / "Annotations" / "000001.xml", str(tmp_path / "no-such-classes.txt"))
    refused(
        lambda: ssd_assign.read_annotation(FIXTURES / "Annotations" / "000001.xml", coords="1"),
        'coords: "1": expected one of one-based, zero-based',
    )


def test_audit_errors(tmp_path):
    with pytest.raises(ValueError, match=r"^paths: .*missing"):
        ssd_assign.audit(tmp_path / "missing")
    refused(
        lambda: ssd_assign.audit([]),
        "paths: no dataset given; pass a VOC year folder, a folder of .xml files or an .xml file",
    )
    with pytest.raises(ValueError, match=r"^split: .*ImageSets/Main/nosuch\.txt"):
        ssd_assign.audit(FIXTURES, split="nosuch")
    refused(lambda: ssd_assign.audit(FIXTURES, threshold=2), "threshold 2: must be in (0, 1], e.g. 0.5")
    refused(
        lambda: ssd_assign.audit(FIXTURES, difficult="ignore"),
        'difficult: "ignore": expected one of keep, drop',
    )
    refused(lambda: ssd_assign.audit(FIXTURES, priors=[]), 'priors: no prior configuration given; pass e.g. "tiny-detector"')
    (tmp_path / "nameless").mkdir()
    (tmp_path / "nameless" / "a.xml").write_text(
        "<annotation><size><width>10</width><height>10</height></size></annotation>"
    )
    refused(
        lambda: ssd_assign.audit(tmp_path / "nameless", classes="auto"),
        "classes='auto': the 1 annotation files read hold no object with a <name>",
    )
    nested = tmp_path / "nested" / "sub"
    nested.mkdir(parents=True)
    (nested / "a.xml").write_text((FIXTURES / "Annotations" / "000001.xml").read_text())
    with pytest.raises(ValueError, match=re.escape("pass recursive=True to read them")):
        ssd_assign.audit(tmp_path / "nested")
    with pytest.raises(TypeError):
        ssd_assign.audit(FIXTURES, no_such_option=1)
