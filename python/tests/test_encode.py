"""Assigner.encode / encode_batch / match and read_annotation against two independent truths:
the CLI's `encode` outputs (bit for bit) and the reference's golden files (labels exact,
positive targets within 1e-5, per-object matching facts exact)."""

import numpy as np
import pytest

import ssd_assign
from conftest import (
    FIXTURES,
    GOLDEN,
    GOLDEN_SETS,
    annotation_path,
    assert_bits_equal,
    assert_golden_targets,
    classes_arg,
    golden,
    need_shared,
)


@pytest.fixture(params=GOLDEN_SETS, ids=lambda s: f"{s[0]}/{s[1]}")
def golden_set(request):
    need_shared()
    name, expected, priors, classes = request.param
    d = GOLDEN / name
    return d, expected, priors, classes_arg(d, classes)


def encode_files(assigner, dataset, ids, classes):
    """Each image read with read_annotation and encoded alone, stacked."""
    labels, locs = [], []
    images = dataset / "JPEGImages"
    for image_id in ids:
        path = annotation_path(dataset, image_id)
        ann = ssd_assign.read_annotation(path, classes, images=images if images.is_dir() else None)
        l, c = assigner.encode(ann["boxes"], ann["labels"])
        labels.append(l)
        locs.append(c)
    return np.stack(labels), np.stack(locs)


def test_encode_of_read_annotation_equals_cli_encode_and_golden(golden_set, cli_encode):
    d, expected, priors, classes = golden_set
    ids, cli_labels, cli_locs = cli_encode(d, "--priors", priors, "--classes", classes)
    gids, glabels, glocs, _ = golden(d, expected)
    assert ids == gids
    labels, locs = encode_files(ssd_assign.Assigner(priors), d, ids, classes)
    assert_bits_equal(labels, cli_labels, f"{d.name} labels vs CLI")
    assert_bits_equal(locs, cli_locs, f"{d.name} locs vs CLI")
    assert_golden_targets(labels, locs, glabels, glocs, f"{d.name}/{expected}")


def test_encode_of_the_reference_boxes_is_the_reference_targets(golden_set, cli_encode):
    """What a training loop does: the reference's own normalised boxes (objects.jsonl) in,
    targets out, without reading any XML."""
    d, expected, priors, classes = golden_set
    _, cli_labels, cli_locs = cli_encode(d, "--priors", priors, "--classes", classes)
    _, glabels, glocs, objects = golden(d, expected)
    a = ssd_assign.Assigner(priors)
    rows = [a.encode(o["boxes"], o["labels"]) for o in objects]  # lists of float64 and int
    labels, locs = np.stack([r[0] for r in rows]), np.stack([r[1] for r in rows])
    assert_golden_targets(labels, locs, glabels, glocs, f"{d.name}/{expected}")
    assert_bits_equal(labels, cli_labels, f"{d.name} labels vs CLI")
    assert_bits_equal(locs, cli_locs, f"{d.name} locs vs CLI")
    # The batch, on one and two threads, is the same rows.
    boxes = [np.asarray(o["boxes"], np.float32).reshape(-1, 4) for o in objects]
    classes_ = [np.asarray(o["labels"], np.int64) for o in objects]
    for jobs in (1, 2):
        bl, bc = ssd_assign.Assigner(priors, jobs=jobs).encode_batch(boxes, classes_)
        assert_bits_equal(bl, labels, f"{d.name} encode_batch labels, jobs {jobs}")
        assert_bits_equal(bc, locs, f"{d.name} encode_batch locs, jobs {jobs}")


def test_match_gives_the_reference_facts_per_object(golden_set):
    d, expected, priors, _ = golden_set
    _, _, _, objects = golden(d, expected)
    a = ssd_assign.Assigner(priors)
    for o in objects:
        m = a.match(o["boxes"], o["labels"])
        n = len(o["labels"])
        assert m["best_prior"].dtype == np.int64 and m["best_prior"].shape == (n,)
        assert m["best_prior"].tolist() == o["best_prior"], o["id"]
        assert m["best_iou"].dtype == np.float32
        assert m["best_iou"].tolist() == np.float32(o["best_iou"]).tolist(), o["id"]
        assert m["positives"].tolist() == o["positives"], o["id"]
        assert m["lost_collision"].astype(int).tolist() == o["collided"], o["id"]
        assert m["num_positives"] == sum(o["positives"])


def test_read_annotation_gives_the_reference_boxes(golden_set):
    d, expected, _, classes = golden_set
    ids, _, _, objects = golden(d, expected)
    for image_id, o in zip(ids, objects):
        ann = ssd_assign.read_annotation(annotation_path(d, image_id), classes)
        assert ann["size"] == (o["width"], o["height"]), image_id
        assert ann["boxes"].dtype == np.float32
        want = np.asarray(o["boxes"], np.float32).reshape(-1, 4)
        assert_bits_equal(ann["boxes"], want, f"{image_id} boxes")
        assert ann["labels"].tolist() == o["labels"], image_id
        assert ann["difficult"].astype(int).tolist() == o["difficult"], image_id
        invalid = [s for s in ann["skipped"] if s[2] not in ("unknown class", "difficult (dropped)")]
        assert len(invalid) == o["dropped_invalid"], image_id


@pytest.mark.parametrize(
    "flags, kwargs",
    [
        ([], {}),
        (["--threshold", "0.35", "--variances", "1,1"], {"threshold": 0.35, "variances": (1, 1)}),
        (["--collision", "optimal", "--priors", "ssd300"], {"collision": "optimal", "priors": "ssd300"}),
    ],
    ids=["defaults", "threshold-variances", "optimal-ssd300"],
)
def test_encode_equals_cli_on_the_fixtures_for_every_setting(cli_encode, flags, kwargs):
    ids, cli_labels, cli_locs = cli_encode(FIXTURES, *flags)
    a = ssd_assign.Assigner(**kwargs)
    labels, locs = encode_files(a, FIXTURES, ids, "voc")
    assert_bits_equal(labels, cli_labels, "voc-mini labels vs CLI")
    assert_bits_equal(locs, cli_locs, "voc-mini locs vs CLI")
    assert (labels != 0).any() and locs.any()


def test_an_image_without_objects_is_all_background():
    a = ssd_assign.Assigner()
    for empty in (np.zeros((0, 4), np.float32), [], np.zeros((0,))):
        labels, locs = a.encode(empty, [])
        assert labels.shape == (441,) and labels.dtype == np.int64 and not labels.any()
        assert locs.shape == (441, 4) and locs.dtype == np.float32 and not locs.any()
    m = a.match([], [])
    assert m["best_prior"].shape == (0,) and m["num_positives"] == 0 and m["hard_negatives"] == 0
    bl, bc = a.encode_batch([[], [[0.1, 0.1, 0.5, 0.5]]], [[], [3]])
    assert bl.shape == (2, 441) and not bl[0].any() and (bl[1] == 3).any()
    bl, bc = a.encode_batch([], [])
    assert bl.shape == (0, 441) and bc.shape == (0, 441, 4)


def test_converted_inputs_give_the_same_targets():
    """float64, lists, non-contiguous and Fortran-ordered arrays, other integer dtypes."""
    a = ssd_assign.Assigner()
    boxes = np.float32([[0.1, 0.2, 0.45, 0.7], [0.3, 0.3, 0.9, 0.8], [0.435, 0.435, 0.565, 0.565]])
    labels = np.int64([3, 12, 8])
    want = a.encode(boxes, labels)
    wide = np.zeros((3, 8), np.float64)
    wide[:, ::2] = boxes
    for b, l in [
        (boxes.astype(np.float64), labels),
        (boxes.tolist(), labels.tolist()),
        (wide[:, ::2], labels.astype(np.int32)),
        (np.asfortranarray(boxes), labels.astype(np.uint8)),
        (boxes[::-1][::-1], labels[::-1][::-1].astype(np.int16)),
    ]:
        got = a.encode(b, l)
        assert_bits_equal(got[0], want[0], "labels")
        assert_bits_equal(got[1], want[1], "locs")


def test_priors_and_properties():
    a = ssd_assign.Assigner("ssd300", threshold=0.6, variances=(0.1, 0.25), collision="optimal")
    assert a.num_priors == 8732 and a.priors.shape == (8732, 4)
    assert a.threshold == np.float32(0.6) and a.variances == (0.1, 0.25) and a.collision == "optimal"
    assert "ssd300" in repr(a) and "8732" in repr(a)
