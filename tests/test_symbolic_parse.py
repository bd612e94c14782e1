"""Constants written as text are parsed by a whitelist grammar, never evaluated as Python."""

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest
import sympy as sp

from boundcheck._validate import BoundcheckInputError
from boundcheck.cli import main
from boundcheck.lemmas.expressivity import check_lemma9_coefficients
from boundcheck.symbolic import expressivity as ex
from boundcheck.symbolic.parse import exact_number, parse_constant

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(ROOT, "data", "injection_payloads.json")) as _handle:
    PAYLOADS = json.load(_handle)["payloads"]


@pytest.mark.parametrize("text, expected", [
    ("2*pi", 2 * sp.pi),
    ("2 * pi", 2 * sp.pi),
    ("sqrt(2)/4 + 0.5", sp.sqrt(2) / 4 + sp.Rational(1, 2)),
    ("1e-3", sp.Rational(1, 1000)),
    ("0.1", sp.Rational(1, 10)),
    ("2^3", sp.Integer(8)),
    ("2**-2", sp.Rational(1, 4)),
    ("(1 + sqrt(5)) / 2", (1 + sp.sqrt(5)) / 2),
    ("pi**2/6", sp.pi**2 / 6),
    ("-(3 - e)", sp.E - 3),
    ("32*pi/0.1", 320 * sp.pi),
    ("4**0.5", sp.Integer(2)),
])
def test_the_grammar_gives_exact_sympy_numbers(text, expected):
    value = parse_constant(text)
    assert sp.simplify(value - expected) == 0


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_payloads_are_refused_and_never_run(payload, tmp_path):
    marker = tmp_path / "pwned"
    text = payload.replace("{marker}", str(marker))
    with pytest.raises((ValueError, TypeError), match="constant"):
        parse_constant(text)
    with pytest.raises((ValueError, TypeError)):
        ex.lemma9_paper_bound(2, 1.0, 1.0, 1.0, constant=text)
    assert not marker.exists()


def test_size_limits_are_checked_before_the_work():
    for text, why in [("9**9**9**9", "exponent is larger"), ("10**301", "outside 1e-300"),
                      ("(10**100)**(10**100)", "exponent is larger"), ("1e-400", "outside 1e-300"),
                      ("1" * 300, "longer than"), ("2**900 * 2**900", "outside 1e-300")]:
        with pytest.raises(BoundcheckInputError, match=why):
            parse_constant(text)


def test_exact_number_keeps_the_old_readings():
    assert exact_number(0.1) == sp.Rational(1, 10)
    assert exact_number(np.float64(0.25)) == sp.Rational(1, 4)
    assert exact_number(3) == 3 and exact_number(np.int64(3)) == 3
    assert exact_number(sp.pi) is sp.pi
    with pytest.raises(TypeError, match="paper_constant must be a number"):
        exact_number([2], name="paper_constant")
    with pytest.raises(TypeError):
        exact_number(True)
    with pytest.raises(TypeError):
        exact_number(sp.Symbol("x"))
    with pytest.raises(ValueError, match="finite"):
        exact_number(float("inf"))


def test_a_textual_constant_gives_the_numeric_constants_verdicts(rng):
    kwargs = dict(max_degree=6, n_terms=6, draws=200, dim=3)
    default = check_lemma9_coefficients(rng=np.random.default_rng(3), **kwargs)
    text = check_lemma9_coefficients(rng=np.random.default_rng(3), paper_constant="2*pi", **kwargs)
    assert [r.verdict for r in text] == [r.verdict for r in default]
    assert text[0].rhs == default[0].rhs
    shrunk = check_lemma9_coefficients(rng=np.random.default_rng(3), paper_constant="pi/100", **kwargs)
    assert shrunk[0].verdict == "VIOLATED"


def _sweep_config(tmp_path, payload, claim="Lemma 9 coefficients"):
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[sweep]\nclaim = "{claim}"\n[fixed]\nmax_degree = 4\nn_terms = 4\ndraws = 100\ndim = 3\n'
                   f"paper_constant = {json.dumps(payload)}\n")
    return str(cfg)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_sweep_config_cannot_run_code(tmp_path, workers):
    marker = tmp_path / "pwned"
    for payload in PAYLOADS[:20]:
        cfg = _sweep_config(tmp_path, payload.replace("{marker}", str(marker)))
        err = io.StringIO()
        with redirect_stdout(io.StringIO()), redirect_stderr(err):
            status = main(["sweep", cfg, "--store", str(tmp_path / "s.sqlite"), "--workers", workers])
        assert status == 2 and len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
        assert "paper_constant" in err.getvalue() and not marker.exists()
    cfg = _sweep_config(tmp_path, "2*pi")
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        assert main(["sweep", cfg, "--store", str(tmp_path / "ok.sqlite"), "--workers", workers]) == 0


def test_a_dask_worker_cannot_be_made_to_run_code(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    marker = tmp_path / "pwned"
    cfg = _sweep_config(tmp_path, PAYLOADS[0].replace("{marker}", str(marker)))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster:
        err = io.StringIO()
        with redirect_stdout(io.StringIO()), redirect_stderr(err):
            status = main(["sweep", cfg, "--store", str(tmp_path / "s.sqlite"), "--scheduler",
                           cluster.scheduler_address])
    assert status == 2 and len(err.getvalue().strip().splitlines()) == 1, err.getvalue()
    assert not marker.exists()
