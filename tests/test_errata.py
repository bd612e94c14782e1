"""The errata register: every entry well formed, quoted verbatim, and its two numbers recomputed.

Each entry's printed and derived numbers are recomputed by ``boundcheck.errata.recompute`` from
the package's own functions and compared with the register; several are also checked here
against something independent of that function (brute force, Monte Carlo, finite differences).
"""

import dataclasses
import math
import os
from pathlib import Path

import numpy as np
import pytest

from boundcheck import errata
from boundcheck.run.registry import claims

# the source text sits in shared/seeds beside the repository (or a folder above a worktree); BOUNDCHECK_SEEDS overrides
_CANDIDATES = ([Path(os.environ["BOUNDCHECK_SEEDS"])] if "BOUNDCHECK_SEEDS" in os.environ else
               [folder / "shared" / "seeds" for folder in Path(__file__).resolve().parents[1:]])
SOURCE_FILE = next((c / errata.SOURCE_NAME for c in _CANDIDATES if (c / errata.SOURCE_NAME).exists()),
                   _CANDIDATES[0] / errata.SOURCE_NAME)
ENTRIES = errata.entries()
IDS = [e.id for e in ENTRIES]


def test_register_is_well_formed():
    assert IDS == [f"E{k}" for k in range(1, len(IDS) + 1)]
    registered = {c.label for c in claims(pack="bai-lee-2020").values()}
    for entry in ENTRIES:
        assert entry.status in errata.STATUSES
        assert entry.claims and set(entry.claims) <= registered, entry.id
        assert entry.quotes and all(line > 0 and text.strip() for line, text in entry.quotes), entry.id
        assert entry.printed and entry.derived and entry.setting, entry.id


@pytest.mark.skipif(not SOURCE_FILE.exists(), reason="the source text is not beside the repository")
def test_quotes_are_verbatim_at_their_lines():
    lines = SOURCE_FILE.read_text(encoding="utf-8").splitlines()
    for entry in ENTRIES:
        for line, text in entry.quotes:
            assert text in lines[line - 1], f"{entry.id}: line {line} is {lines[line - 1]!r}, not {text!r}"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_numbers_are_recomputed_by_the_package(entry):
    ok, (printed, derived) = errata.check(entry)
    assert ok, f"{entry.id}: register says ({entry.printed_value}, {entry.derived_value}); code gives ({printed}, {derived})"


def test_a_drifted_number_is_caught():
    entry = errata.get("E6")
    assert not errata.check(dataclasses.replace(entry, derived_value=2.0))[0]
    assert not errata.check(dataclasses.replace(errata.get("E10"), printed_value=8042.48 * 1.001))[0]


def test_for_claim_and_part():
    assert errata.for_claim("Lemma 5") == ["E6"]
    assert errata.for_claim("Theorem 7") == ["E8", "E9", "E10"]
    assert errata.for_claim("Theorem 7", "P(|W*|^4 > paper bound) <= delta/2") == ["E10"]
    assert errata.for_claim("Theorem 7", "max_i |f^Q_{W*}(x_i) - f_*(x_i)| ~ m^-1/2") == []
    assert errata.for_claim("Lemma 1", "rate in m of the remainder (term II)") == ["E3"]
    assert errata.for_claim("Corollary 3") == ["E4", "E5"]
    assert errata.for_claim("Assumption A") == []
    with pytest.raises(TypeError, match="label must be a claim label"):
        errata.for_claim(5)
    with pytest.raises(ValueError, match="erratum must be one of E1, E2"):
        errata.get("E99")


def test_rows_in_short_and_wide_form():
    short = errata.rows(wide=False)
    assert len(short) == len(ENTRIES) and "quotes" not in short[0]
    wide = errata.rows(["E1"], with_recomputed=True)
    assert wide[0]["matches"] and "763" in wide[0]["lines"]
    assert [r["id"] for r in errata.rows(claim="Lemma 15")] == ["E15", "E16"]


# -- independent checks of the numbers --------------------------------------------------------


def test_e1_threshold_meets_the_union_bound():
    from boundcheck.network import equation4_bound

    t = equation4_bound(100, 10, 0.1)
    assert math.exp(-t**2 / 8 + 10 * math.log(5) + math.log(100)) == pytest.approx(0.1)
    printed, _ = errata.recompute("E1")
    assert math.exp(-printed**2 / 8 + 10 * math.log(5) + math.log(100)) > 0.1  # log(m/d) misses delta


def test_e2_closed_form_against_monte_carlo(rng):
    from boundcheck.network import quadratic_model, symmetric_init
    from boundcheck.symbolic import scalings as sc

    dim, width, draws = 4, 32, 20000
    x = np.zeros((1, dim))
    x[0, 0] = 1.0
    values = {}
    for family in sc.FAMILIES:
        s = float(sc.row_variance(family).subs({sc.m: width, sc.d: dim, sc.N: 1.0})) ** 0.25
        out = np.empty(draws)
        for k in range(draws):  # independent draws of (W_0, W)
            w_init, w_out = symmetric_init(width, dim, rng=rng)
            w = rng.standard_normal((width, dim)) * s
            if family == "plus":
                w[width // 2:] = 0.0
            out[k] = quadratic_model(x, w_init, w_out, w, activation="relu3")[0] ** 2
        exact = float(sc.quadratic_term_second_moment(family).subs({sc.m: width, sc.d: dim, sc.N: 1.0, sc.B: 1.0}))
        assert abs(out.mean() - exact) < 4 * out.std() / math.sqrt(draws), family
        values[family] = exact
    assert values["plus"] > 3 * values["all"]


def test_e4_reduced_search_against_brute_force_over_w(rng):
    from scipy import optimize

    from boundcheck.numeric import landscape as ls
    from boundcheck.numeric.regularizer import corollary3_constant_on_ray, corollary3_needed_constant

    w_star = np.array([[1.0, 0.0, 0.0], [0.0, 0.7, 0.0], [0.0, 0.0, 0.0]])
    reduced = corollary3_needed_constant(w_star, rng=rng)
    best = -np.inf
    for _ in range(12):  # brute force over every entry of W, BFGS from random starts
        res = optimize.minimize(lambda v: -(ls.regularizer_expected_form(v.reshape(3, 3), w_star, 1.0)
                                            - 5 * ls.regularizer(v.reshape(3, 3), 1.0)),
                                rng.standard_normal(9), method="BFGS")
        best = max(best, -res.fun)
    assert reduced["constant"] == pytest.approx(best / ls.regularizer(w_star, 1.0), rel=1e-6)
    assert corollary3_constant_on_ray(w_star) < reduced["constant"]
    single = corollary3_needed_constant(np.array([[0.0, 2.0]]), rng=rng)
    assert single["constant"] == pytest.approx(378 * 14**3 / 5**3, rel=1e-9)  # B.5 is tight for one row


def test_e5_power_by_finite_differences(rng):
    from boundcheck.numeric.landscape import regularizer

    w = rng.standard_normal((5, 3))
    h = 1e-6
    derivative = (regularizer((1 + h) * w, 1.0) - regularizer((1 - h) * w, 1.0)) / (2 * h)  # d/dt R(tW) at 1
    assert derivative / regularizer(w, 1.0) == pytest.approx(8.0, rel=1e-6)


def test_e6_function_class_constant_one_half_is_attained(rng):
    from boundcheck.network import norm_24, quadratic_model

    # all m neurons equal, a_r = +1, every row sqrt(B_w^2 / sqrt m) v with v the top eigenvector of M:
    # (1/n) sum_i s_i f^Q_W(x_i) = (B_w^2 / 2) lambda_max(M), the function-class constant 1/2 attained
    n, dim, width, radius = 30, 4, 8, 1.3
    x = rng.standard_normal((n, dim))
    w_init = np.tile(rng.standard_normal((1, dim)), (width, 1))
    s = rng.choice([-1.0, 1.0], size=n)
    relu = np.maximum(x @ w_init[0], 0.0)  # sigma'' of relu^3/6
    matrix = (x * (s * relu)[:, None]).T @ x / n
    vals, vecs = np.linalg.eigh(matrix)
    w = np.tile(vecs[:, -1] * math.sqrt(radius**2 / math.sqrt(width)), (width, 1))
    assert norm_24(w) == pytest.approx(radius)
    value = np.mean(s * quadratic_model(x, w_init, np.ones(width), w, activation="relu3"))
    assert value == pytest.approx(radius**2 / 2 * vals[-1], rel=1e-12)
    printed, derived = errata.recompute("E6")
    assert derived == 2 * 0.5 and printed == 2 * derived  # contraction 2 x function class 1/2


def test_e8_delta_dependence_is_the_chebyshev_one():
    _, ratio = errata.recompute("E8")
    assert 10.0 < ratio < 11.0  # 1/delta = 10, times the growth of log(2m/delta) in R^2


def test_e12_against_lemma8_sides(rng):
    from boundcheck.data import sample_sphere
    from boundcheck.network import symmetric_init
    from boundcheck.numeric.generalization import lemma8_sides
    from boundcheck.symbolic.constants import lemma8_bounds

    x = sample_sphere(50, 10, rng=rng)
    w_init, _ = symmetric_init(100, 10, rng=rng)
    sides = lemma8_sides(x, w_init, rng.choice([-1.0, 1.0], size=(20, 50)))
    forms = lemma8_bounds()
    ell = sides["log_term"]
    root_v = math.sqrt(sides["variance"])
    assert sides["rhs"] == pytest.approx(root_v * float(forms["printed"].subs(forms["L"], ell)))
    assert sides["tropp_rhs"] == pytest.approx(root_v * float(forms["tropp"].subs(forms["L"], ell)))
    # the integral of min(1, 2md exp(-t^2/2V)) over t >= 0, numerically, is below the derived bound
    from scipy import integrate

    variance = sides["variance"]
    integral, _ = integrate.quad(lambda t: min(1.0, math.exp(ell - t**2 / (2 * variance))), 0, np.inf, limit=200)
    assert integral <= root_v * float(forms["derived"].subs(forms["L"], ell))
    assert integral >= root_v * float(forms["tropp"].subs(forms["L"], ell))


def test_e13_ratios():
    from boundcheck.symbolic.kernels import asymptotic_ratio, kernel_coefficient, paper_lower_bound

    ratio = lambda p: float(kernel_coefficient(1, p) / paper_lower_bound(p))  # noqa: E731
    assert ratio(2) == pytest.approx(4.0)
    assert ratio(4) == pytest.approx(8 / 3)
    assert abs(ratio(2) - asymptotic_ratio(2)) > 2.5  # sqrt(2p/pi) is asymptotic only
    assert ratio(400) == pytest.approx(asymptotic_ratio(400), rel=0.01)


# -- the command ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "csv", "json"])
def test_errata_command_in_every_format(fmt, capsys):
    from boundcheck.cli import main

    assert main(["errata", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert all(e.id in out for e in ENTRIES)
    if fmt == "table":
        assert max(len(line) for line in out.splitlines()) <= 120 and "Summary: 16 entries" in out


def test_errata_command_filters_and_recomputes(capsys):
    import json

    from boundcheck.cli import main

    assert main(["errata", "--claim", "lemma 15", "--recompute", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [e["id"] for e in payload] == ["E15", "E16"] and all(e["matches"] for e in payload)
    assert payload[0]["quotes"][0] == {"line": 1333, "text": "Elo”(wq x)a] = (8 x)P~? (23)"}
    assert main(["errata", "--id", "E99"]) == 2
    assert "erratum must be one of E1" in capsys.readouterr().err


def test_readme_lists_every_entry():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for entry in ENTRIES:
        assert f"| {entry.id} | {', '.join(entry.claims)} | {entry.status} |" in readme, entry.id
