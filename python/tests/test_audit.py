"""ssd_assign.audit() is `ssd-assign audit --format json`, parsed: on the fixtures and every
golden set, with the options that change the report."""

import pytest

import ssd_assign
from conftest import FIXTURES, GOLDEN, need_shared


def test_fixtures_default_audit_equals_cli_json(cli_audit):
    want = cli_audit(FIXTURES)
    got = ssd_assign.audit(FIXTURES)
    assert got == want
    # Not vacuous: the fixtures' collisions and unknown class are in it.
    c = got["configurations"][0]
    assert got["tool"] == "ssd-assign" and c["config"]["num_priors"] == 441
    assert got["dataset"]["images"] == 8 and c["overall"]["lost_collision"]["count"] == 3


@pytest.mark.parametrize(
    "flags, kwargs",
    [
        (["--priors", "tiny-detector", "--priors", "ssd300"], {"priors": ["tiny-detector", "ssd300"]}),
        (["--threshold", "0.4", "--collision", "optimal", "--neg-pos-ratio", "5"],
         {"threshold": 0.4, "collision": "optimal", "neg_pos_ratio": 5}),
        (["--classes", "auto", "--difficult", "drop", "--clip"], {"classes": "auto", "difficult": "drop", "clip": True}),
        (["--examples", "1", "--worst", "2", "--max-unmatched", "1", "--check-images"],
         {"examples": 1, "worst": 2, "max_unmatched": 1, "check_images": True}),
        (["--split", "trainval", "-j", "1"], {"split": "trainval", "jobs": 1}),
        (["--variances", "1,1", "--coords", "zero-based"], {"variances": (1, 1), "coords": "zero-based"}),
    ],
    ids=["two-prior-sets", "matching", "reading", "report-sizes", "split", "variances-coords"],
)
def test_fixtures_audit_with_options_equals_cli_json(cli_audit, flags, kwargs):
    if "split" in kwargs and not (FIXTURES / "ImageSets" / "Main" / "trainval.txt").exists():
        pytest.skip("fixtures/voc-mini has no trainval split")
    assert ssd_assign.audit(FIXTURES, **kwargs) == cli_audit(FIXTURES, *flags)


def test_several_paths_and_path_like(cli_audit):
    need_shared()
    paths = [FIXTURES, GOLDEN / "edge-cases"]
    assert ssd_assign.audit(paths) == cli_audit(*paths)
    assert ssd_assign.audit(str(FIXTURES / "Annotations" / "000001.xml")) == cli_audit(
        FIXTURES / "Annotations" / "000001.xml"
    )


@pytest.mark.parametrize(
    "name, flags, kwargs",
    [
        ("voc2012-sample", ["--check-images"], {"check_images": True}),
        ("voc2012-cvat", [], {}),
        ("edge-cases", ["--priors", "ssd300"], {"priors": "ssd300"}),
        ("bccd", ["--classes", "{d}/classes.txt", "--split", "trainval"], {"classes": "{d}/classes.txt", "split": "trainval"}),
        ("wider-face", ["--classes", "{d}/classes.txt"], {"classes": "{d}/classes.txt"}),
    ],
)
def test_golden_sets_audit_equals_cli_json(cli_audit, name, flags, kwargs):
    need_shared()
    d = GOLDEN / name
    flags = [f.format(d=d) for f in flags]
    kwargs = {k: v.format(d=d) if isinstance(v, str) else v for k, v in kwargs.items()}
    got = ssd_assign.audit(d, **kwargs)
    assert got == cli_audit(d, *flags)
    assert got["dataset"]["images"] > 0
