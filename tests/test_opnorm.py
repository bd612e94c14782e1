"""M_op: exact small cases, isotropic values within the interval, bounds, the command."""

import itertools
import json
import math

import numpy as np
import pytest

from boundcheck import cli
from boundcheck.numeric import opnorm


def test_covariance_opnorm_both_branches_match_spectral_norm(rng):
    for n, d in [(40, 5), (5, 40), (7, 7)]:
        x = rng.standard_normal((3, n, d))
        expected = [np.linalg.norm(xi, 2) ** 2 / n for xi in x]
        np.testing.assert_allclose(opnorm.covariance_opnorm(x), expected, rtol=1e-12)


def test_m_op_at_most_one_and_one_in_dimension_one(rng):
    for _ in range(5):  # several random arrays with unequal row norms
        x = rng.standard_normal((rng.integers(1, 30), rng.integers(1, 10))) * rng.random((1, 1))
        assert opnorm.m_op_of_array(x) <= 1 + 1e-12
    assert opnorm.m_op_of_array(np.full((9, 1), -2.0)) == pytest.approx(1.0)
    assert opnorm.m_op_of_array(rng.standard_normal((1, 6))) == pytest.approx(1.0)


def test_hypercube_dim2_exact_formula_by_enumeration():
    # enumerate all sign patterns of n points of {+-1/sqrt2}^2 (B_x = 1) and average the exact opnorm
    for n in (1, 2, 3, 5):
        values = []
        for pattern in itertools.product([-1.0, 1.0], repeat=2 * n):
            x = np.array(pattern).reshape(n, 2) / math.sqrt(2)
            values.append(opnorm.covariance_opnorm(x))
        assert math.sqrt(np.mean(values)) == pytest.approx(opnorm.hypercube_m_op_exact_dim2(n), rel=1e-12)


def test_isotropic_hypercube_exact_value_inside_interval(rng):
    est = opnorm.estimate_m_op("hypercube", 30, 2, trials=2000, level=0.99, rng=rng)
    low, high = est["interval"]
    assert low <= est["reference"]["exact"] <= high
    assert high - low < 0.02


def test_sphere_dim2_exact_value_inside_interval(rng):
    assert opnorm.sphere_m_op_exact_dim2(1) == pytest.approx(1.0, abs=1e-6)
    assert opnorm.sphere_m_op_exact_dim2(2) == pytest.approx(math.sqrt(0.5 * (1 + 2 / math.pi)), abs=1e-6)  # 4/pi walk
    est = opnorm.estimate_m_op("sphere", 25, 2, trials=2000, level=0.99, rng=rng)
    low, high = est["interval"]
    assert low <= est["reference"]["exact"] <= high


def test_isotropic_sphere_matches_marchenko_pastur_edge(rng):
    # n >> d: the finite-size correction is small; the interval is narrow and the edge value is close
    est = opnorm.estimate_m_op("sphere", 4000, 10, trials=100, rng=rng)
    assert est["m_op"] == pytest.approx(opnorm.isotropic_m_op_asymptotic(4000, 10), rel=0.02)
    assert est["interval"][1] <= 1.0
    assert est["m_op"] > 1 / math.sqrt(10)  # above the n = infinity value 1/sqrt(d)


def test_anisotropic_below_the_printed_and_derived_values(rng):
    est = opnorm.estimate_m_op("anisotropic", 2000, 20, trials=16, condition=9.0, rng=rng)
    ref = est["reference"]
    assert ref["paper"] == pytest.approx(9.0 / math.sqrt(20))
    assert ref["derived"] == pytest.approx(math.sqrt(9.0 / 20))
    assert est["interval"][1] <= ref["derived"] <= ref["paper"]
    assert est["m_op"] == pytest.approx(ref["population"], rel=0.1)


def test_digits_reference(rng):
    est = opnorm.estimate_m_op("digits", 500, 64, trials=8, rng=rng)
    assert est["reference"]["isotropic"] == pytest.approx(1 / 8)
    assert est["reference"]["full_data"] <= est["m_op"] <= 1  # subsamples of the data: opnorm is biased upward


def test_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="dist must be one of 'sphere', 'hypercube', 'anisotropic', 'digits'; got 'cube'"):
        opnorm.estimate_m_op("cube", 10, 2, rng=rng)
    with pytest.raises(ValueError, match="dim must be 64 for the digits data set; got 10"):
        opnorm.estimate_m_op("digits", 10, 10, rng=rng)
    with pytest.raises(ValueError, match="trials must be an integer >= 2; got 1"):
        opnorm.estimate_m_op("sphere", 10, 2, trials=1, rng=rng)


def test_opnorm_command(tmp_path):
    out = tmp_path / "o.json"
    assert cli.main(["opnorm", "--dist", "hypercube", "--n", "30", "--dim", "2", "--trials", "50", "--format", "json",
                     "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert set(data) >= {"m_op", "interval", "reference"}
    assert data["reference"]["always"] == 1.0


def test_opnorm_command_instance_and_plot(tmp_path, rng):
    x = rng.standard_normal((50, 4))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    path = tmp_path / "x.npz"
    np.savez(path, x=x)
    out = tmp_path / "o.json"
    png = tmp_path / "mop.png"
    assert cli.main(["opnorm", "--instance", str(path), "--trials", "100", "--format", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["m_op"] == pytest.approx(opnorm.m_op_of_array(x))
    assert data["interval"][0] <= data["interval"][1]
    assert cli.main(["opnorm", "--dist", "sphere", "--n", "20", "--dim", "4", "--trials", "4", "--plot", str(png),
                     "--format", "json", "--out", str(out)]) == 0
    assert png.stat().st_size > 1000
