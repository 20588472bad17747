"""What the tests share: where the repository, ../shared and the CLI binary are, and the
CLI's own outputs (encode's arrays, audit's JSON) that the package must equal.

Tests that need ../shared fail when it is missing under CI=true and skip with a message
otherwise. The CLI binary is $SSD_ASSIGN_BIN, else the debug build in $CARGO_TARGET_DIR (or
the repository's target/), built with `cargo build --bin ssd-assign` when absent.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
GOLDEN = SHARED / "golden"
FIXTURES = REPO / "fixtures" / "voc-mini"

# (set, expected folder, priors, classes): every golden set, as the reference made it (VOC
# label map unless the set has a classes.txt, reference.md section 7).
GOLDEN_SETS = [
    ("voc2012-sample", "expected", "tiny-detector", "voc"),
    ("voc2012-sample", "expected-ssd300", "ssd300", "voc"),
    ("voc2012-cvat", "expected", "tiny-detector", "voc"),
    ("edge-cases", "expected", "tiny-detector", "voc"),
    ("edge-cases", "expected-ssd300", "ssd300", "voc"),
    ("bccd", "expected", "tiny-detector", "classes.txt"),
    ("wider-face", "expected", "tiny-detector", "classes.txt"),
]


def in_ci():
    return os.environ.get("CI") in ("true", "1")


def need_shared():
    """../shared/golden, or a skip (a failure under CI=true) saying it is missing."""
    if GOLDEN.is_dir():
        return GOLDEN
    message = f"{GOLDEN} not found: the golden comparisons need ../shared beside the checkout"
    if in_ci():
        pytest.fail(message + " (CI=true)")
    pytest.skip(message)


def classes_arg(set_dir, classes):
    """The `classes` value for a golden set: "voc" or the path of its class file."""
    return "voc" if classes == "voc" else str(set_dir / classes)


@pytest.fixture(scope="session")
def cli():
    """The path of the ssd-assign binary."""
    if os.environ.get("SSD_ASSIGN_BIN"):
        return os.environ["SSD_ASSIGN_BIN"]
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "debug" / "ssd-assign"
    if not binary.exists():
        subprocess.run(["cargo", "build", "--quiet", "--bin", "ssd-assign"], cwd=REPO, check=True)
    return str(binary)


def run_cli(cli, *args):
    r = subprocess.run([cli, *map(str, args)], capture_output=True, text=True, cwd=REPO)
    # 2: some file or object was rejected (reported), the output covers the rest.
    assert r.returncode in (0, 2), f"ssd-assign {' '.join(map(str, args))}: {r.stderr}"
    return r


@pytest.fixture(scope="session")
def cli_encode(cli):
    """cli_encode(dataset, *flags) -> (ids, labels, locs): `ssd-assign encode`'s NPY outputs."""
    cache = {}
    tmp = tempfile.TemporaryDirectory()

    def encode(dataset, *flags):
        key = (str(dataset), flags)
        if key not in cache:
            out = Path(tmp.name) / str(len(cache))
            run_cli(cli, "encode", dataset, "--out", out, "-q", *flags)
            ids = (out / "ids.txt").read_text().splitlines()
            cache[key] = (ids, np.load(out / "labels.npy"), np.load(out / "locs.npy"))
        return cache[key]

    yield encode
    tmp.cleanup()


@pytest.fixture(scope="session")
def cli_audit(cli):
    """cli_audit(*args) -> the dict of `ssd-assign audit ARGS --format json`."""

    def audit(*args):
        r = run_cli(cli, "audit", *args, "-q", "--format", "json")
        return json.loads(r.stdout)

    return audit


def golden(set_dir, expected):
    """(ids, labels, locs, objects) of a golden folder."""
    exp = set_dir / expected
    ids = (exp / "ids.txt").read_text().splitlines()
    with open(exp / "objects.jsonl") as f:
        objects = [json.loads(line) for line in f]
    return ids, np.load(exp / "labels.npy"), np.load(exp / "locs.npy"), objects


def annotation_path(set_dir, image_id):
    return set_dir / "Annotations" / f"{image_id}.xml"


def assert_bits_equal(a, b, what):
    """Equal dtype, shape and bits (float32 compared as integers: -0.0 is not 0.0)."""
    assert a.dtype == b.dtype and a.shape == b.shape, f"{what}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    if a.dtype == np.float32:
        a, b = a.view(np.uint32), b.view(np.uint32)
    bad = np.argwhere(a != b)
    assert bad.size == 0, f"{what}: {len(bad)} entries differ, first at {bad[0].tolist()}"


def assert_golden_targets(labels, locs, glabels, glocs, what):
    """The golden tests' rule: labels exact, positive targets within 1e-5."""
    assert labels.dtype == np.int64
    bad = np.argwhere(labels != glabels)
    assert bad.size == 0, f"{what}: {len(bad)} labels differ from the reference, first at {bad[0].tolist()}"
    pos = glabels != 0
    err = float(np.abs(locs[pos] - glocs[pos]).max(initial=0))
    assert err <= 1e-5, f"{what}: positive targets differ from the reference by {err}"
