"""ssd_assign.priors against the reference's prior arrays and the CLI's TOML configuration."""

import numpy as np
import pytest

import ssd_assign
from conftest import GOLDEN, assert_bits_equal, need_shared, run_cli


def test_tiny_detector_spot_values_from_reference_md():
    p = ssd_assign.priors()
    assert p.shape == (441, 4) and p.dtype == np.float32 and p.flags.c_contiguous
    assert p[216].tolist() == np.float32([0.5, 0.5, 0.2, 0.2]).tolist()
    assert np.allclose(p[440], [0.928571403, 0.928571403, 0.424264073, 0.848528147], rtol=0, atol=1e-7)


@pytest.mark.parametrize("name", ["tiny-detector", "ssd300"])
def test_presets_equal_the_golden_priors_bit_for_bit(name):
    need_shared()
    assert_bits_equal(ssd_assign.priors(name), np.load(GOLDEN / "priors" / f"{name}.npy"), name)


def test_torchvision_preset_within_1e6_of_torchvision():
    need_shared()
    want = np.load(GOLDEN / "priors" / "torchvision-ssd300.npy")
    got = ssd_assign.priors("torchvision-ssd300")
    assert got.shape == want.shape and np.abs(got - want).max() <= 1e-6


def test_a_configuration_file_gives_the_cli_priors(cli, tmp_path):
    toml = tmp_path / "mine.toml"
    run_cli(cli, "priors", "--priors", "ssd300", "--format", "toml", "--out", toml)
    assert_bits_equal(ssd_assign.priors(str(toml)), ssd_assign.priors("ssd300"), "toml")
    npy = tmp_path / "p.npy"
    run_cli(cli, "priors", "--priors", str(toml), "--format", "npy", "--out", npy)
    assert_bits_equal(ssd_assign.priors(str(toml)), np.load(npy), "CLI npy of the toml")
    a = ssd_assign.Assigner(str(toml))
    assert a.num_priors == 8732
