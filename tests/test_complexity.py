import json
import math

import numpy as np
import pytest
import sympy as sp

from boundcheck import complexity as cx
from boundcheck.data import sample_sphere
from boundcheck.lemmas.sample_complexity import check_section52
from boundcheck.report.tables import format_output
from boundcheck.results import HOLDS, VIOLATED


# ---------------------------------------------------------------------------------------------
# closed forms against independent computations


@pytest.mark.parametrize("degree", [1, 2, 3])
def test_beta_normalization_matches_monte_carlo(rng, degree):
    dim = 5
    x = sample_sphere(200_000, dim, input_radius=2.0, rng=rng)
    size = float(cx.beta_power_normalized(degree, dim))  # (B_x |beta|)^(2p)
    beta_norm = size ** (1 / (2 * degree)) / 2.0
    beta = np.zeros(dim)
    beta[0] = beta_norm
    second_moment = np.mean((x @ beta) ** (2 * degree))
    assert second_moment == pytest.approx(1.0, rel=0.03)


def test_exponent_of_known_expressions():
    x = sp.Symbol("x", positive=True)
    assert cx.exponent(x**3 * sp.log(x), x) == 3
    assert cx.exponent(sp.sqrt(x) / sp.log(2 * x) ** 2, x) == sp.Rational(1, 2)
    assert cx.exponent(cx.beta_power_normalized(3, x), x) == 3


def test_single_ratio_is_p_over_d_up_to_logs():
    ratio = cx.ratio_expression("single")
    assert cx.exponent(ratio, cx.d) == -1
    assert cx.exponent(ratio, cx.p) == 1
    stated = cx.ratio_expression("single", form="stated")
    assert sp.simplify(stated - cx.p / cx.d) == 0


def test_xor_ratio_gains_a_dimension():
    assert cx.exponent(cx.ratio_expression("xor"), cx.d) == -1
    assert sp.simplify(cx.ratio_expression("xor", form="stated") - 1 / cx.d) == 0


def test_learner_exponents_in_d():
    preds = {pr.learner: pr.expression for pr in cx.predictions("single", 4)}
    assert cx.exponent(preds["ntk"], cx.d) == 4
    assert cx.exponent(preds["quadratic"], cx.d) == 3  # d^(p-1), as the blog says
    assert cx.exponent(preds["ntk_lower"], cx.d) == 4
    assert cx.exponent(preds["hierarchical"], cx.d) == 2
    sparse = {pr.learner: pr.expression for pr in cx.predictions("sparse", 3)}
    assert cx.exponent(sparse["ntk+quadntk"], cx.d) == 2
    assert cx.exponent(sparse["ntk_lower"], cx.d) == 3


def test_ntk_number_matches_hand_formula():
    rows = cx.prediction_rows("single", [10], [2], [0.1], constant=3.0)
    ntk = [r for r in rows if r["learner"] == "ntk"][0]
    # 3 * p^2 * d (d + 2) / 3 / eps^2 with p = 2
    assert ntk["n_predicted"] == pytest.approx(3.0 * 4 * 10 * 12 / 3 / 0.01)
    assert "C=3" in ntk["constant"]


def test_implicit_quadratic_size_solves_its_equation():
    pred = [pr for pr in cx.predictions("single", 2) if pr.learner == "quadratic"][0]
    n_value, width = cx.predicted_size(pred, dim=10, accuracy=0.2, failure_prob=0.1, degree=2)
    rhs = float(pred.expression.subs({cx.d: 10, cx.eps: 0.2, cx.delta: 0.1, cx.C: 1, cx.alpha: 1, cx.kappa: 1,
                                      cx.n: n_value, cx.m: width}))
    assert n_value == pytest.approx(rhs, rel=1e-9)
    w7 = cx.width_theorem7(n_value, 10, 2, accuracy=0.2, failure_prob=0.1)
    assert w7["width"] == pytest.approx(width)


def test_theorem7_width_fixed_point_and_printed_form():
    out = cx.width_theorem7(1000, 20, 4, accuracy=0.1, failure_prob=0.1)
    m_value = out["width"]
    radius_sq = 8 * (20 * math.log(5) + math.log(2 * m_value / 0.1))
    amplitude = 2**3 * float(cx.beta_power_normalized(4, 20))
    # C.4 by hand at this width: n Chebyshev bounds, each Var / t^2 with Var <= (2/m) R^2 E a^2 (a mean of m/2
    # terms), E a^2 B_x^4 |beta|^4 <= 2 pi ((p-2) v 1)^3 (B_x |beta|)^2p and t = eps / (2 B_x^2 |beta|^2), spend
    # exactly the failure probability delta/2
    failure = 1000 * (2 / m_value) * radius_sq * 2 * math.pi * amplitude / (0.1 / 2) ** 2
    assert failure == pytest.approx(0.1 / 2, rel=1e-9)
    # printed p^3 (as read) against derived ((p-2) v 1)^3: the same growth in d (R^2 ~ d)
    ratio = out["printed_expression"] / out["expression"]
    assert cx.exponent(ratio.subs(cx.m, cx.d), cx.d) == 0
    assert out["derived_over_printed"] == pytest.approx(m_value / out["width_printed_form"])


def test_theorem7_width_grows_like_one_over_delta():
    wide = cx.width_theorem7(1000, 20, 4, accuracy=0.1, failure_prob=0.001)["width"]
    narrow = cx.width_theorem7(1000, 20, 4, accuracy=0.1, failure_prob=0.1)["width"]
    assert 100 < wide / narrow < 100 * 1.2  # 1/delta, and a little more from log(2m/delta) in R^2


def test_condition6_collects_its_parts():
    parts = cx.width_condition6_parts()
    assert sp.simplify(parts["(6)"] - parts["(16)"]) == 0
    grid = np.meshgrid(np.geomspace(1, 1e3, 7), np.geomspace(1e-3, 1, 7), np.geomspace(1e-2, 1e2, 7), indexing="ij")
    for dim, accuracy, t in zip(*(g.ravel() for g in grid)):
        values = {cx.d: dim, cx.eps: accuracy, cx.B_x: 1.0, cx.B_w: t, cx.B_ws: t}
        six = float(parts["(6)"].subs(values))
        assert float(parts["(13)"].subs(values)) <= six * (1 + 1e-12)
        assert float(parts["(15)"].subs(values)) <= six * (1 + 1e-12)


def test_theorem4_width_exceeds_theorem2_at_the_target_radius():
    w2 = cx.width_theorem2(10, 2.0, 0.1)
    w4 = cx.width_theorem4(10, 2.0, 0.1)
    assert w4["width"] > w2["width"]  # the localisation radius is larger than B_w*
    # B.6 with the regularizer lambda ||W||^8: a stationary point has 8 lambda ||W||^8 <= 2, with
    # C_3 lambda B_w*^8 = 2 gamma OPT + eps (OPT = 0 here)
    lam = 0.1 / (w4["corollary3_constant"] * 2.0**8)
    assert 8 * lam * w4["localization_radius"] ** 8 == pytest.approx(2.0, rel=1e-12)
    assert w4["corollary3_constant"] == pytest.approx(378 * 14**3 / 5**3)
    smaller = cx.width_theorem4(10, 2.0, 0.1, corollary3_constant=1.0)
    assert smaller["localization_radius"] == pytest.approx(2.0 * (1 / 0.4) ** 0.125)


def test_crossover_root_equalizes_the_bounds():
    star = cx.crossover_dim("single", 4, form="stated")
    assert star == pytest.approx(4.0, rel=1e-9)
    explicit = cx.crossover_dim("single", 3, form="explicit", accuracy=0.1)
    preds = {pr.learner: pr for pr in cx.predictions("single", 3)}
    kw = dict(dim=explicit, accuracy=0.1, degree=3)
    assert cx.predicted_size(preds["quadratic"], **kw)[0] == pytest.approx(cx.predicted_size(preds["ntk"], **kw)[0],
                                                                            rel=1e-6)


def test_crossover_is_a_function_of_the_constants():
    rows = cx.crossover_rows("single", 4, ntk_constants=(1.0, 18.0), accuracy=0.1)
    assert [r["d_star_stated"] for r in rows] == pytest.approx([4.0, 4.0 / 18])
    assert rows[1]["d_star_explicit"] < rows[0]["d_star_explicit"]  # a larger NTK constant favours the quadratic
    # the explicit root equalizes C_Q n_Q and C_L n_L
    preds = {pr.learner: pr for pr in cx.predictions("single", 4)}
    kw = dict(dim=rows[1]["d_star_explicit"], accuracy=0.1, degree=4)
    assert cx.predicted_size(preds["quadratic"], **kw)[0] == pytest.approx(
        cx.predicted_size(preds["ntk"], constant=18.0, **kw)[0], rel=1e-6)


def test_comparison_rows_name_the_learner_with_fewer_samples():
    rows = cx.prediction_rows("single", [10, 10**9], [4], [0.1], form="stated", ntk_constant=2.0)
    table = {r["dim"]: r for r in cx.comparison_rows(rows)}
    assert table[10]["fewer_samples"] == "quadratic"  # stated: n_Q / n_L = (C_Q / C_L) p / d = 0.2
    assert table[10]["factor"] == pytest.approx(5.0)
    explicit = cx.comparison_rows(cx.prediction_rows("single", [10], [4], [0.1]))
    assert explicit[0]["fewer_samples"] == "ntk" and explicit[0]["factor"] > 1


def test_rows_format_in_every_format():
    rows = cx.prediction_rows("xor", [10, 20], [2, 4], [0.1])
    assert {r["degree"] for r in rows} == {2}
    assert {r["learner"] for r in rows} == {"quadratic", "ntk_lower"}
    for fmt in ("table", "markdown", "latex", "csv"):
        assert "ntk" in format_output(rows, fmt) and "quadratic" in format_output(rows, fmt)
    payload = json.loads(format_output(rows, "json"))
    assert {"learner", "dim", "degree", "accuracy", "n_predicted", "expression"} <= set(payload[0])
    assert sp.sympify(payload[0]["expression"]).free_symbols


def test_width_rows_cover_three_results():
    rows = cx.width_rows([10], [4], [0.1], n_samples=1000)
    assert [r["result"] for r in rows] == ["Theorem 7", "Theorem 2 (6)", "Theorem 4"]
    assert all(r["width"] > 0 for r in rows)


@pytest.mark.parametrize("kwargs, match", [
    (dict(target="nope"), "target must be one of"),
    (dict(accuracy=1.5), "accuracy must be strictly between 0 and 1"),
    (dict(constant=0.0), "constant must be > 0"),
    (dict(degree=0), "degree must be an integer >= 1"),
])
def test_bad_input_names_the_argument(kwargs, match):
    base = dict(target="single", dims=[10], degrees=[2], accuracies=[0.1])
    if "degree" in kwargs:
        base["degrees"] = [kwargs.pop("degree")]
    if "accuracy" in kwargs:
        base["accuracies"] = [kwargs.pop("accuracy")]
    base.update(kwargs)
    target = base.pop("target")
    with pytest.raises(ValueError, match=match):
        cx.prediction_rows(target, base.pop("dims"), base.pop("degrees"), base.pop("accuracies"), **base)


def test_sparse_needs_degree_two():
    with pytest.raises(ValueError, match="degree must be >= 2 for the sparse target"):
        cx.predictions("sparse", 1)


# ---------------------------------------------------------------------------------------------
# the registered check


def test_section52_holds_as_claimed(rng):
    records = check_section52(rng=rng)
    assert [r.verdict for r in records] == [HOLDS] * 4
    assert all(r.interval is None and r.params.get("tolerance") is None for r in records)  # exact, no tolerance
    crossover = records[3].params
    assert crossover["crossover_explicit"] > crossover["crossover_stated"] == 4.0  # stated form: d* = p
    assert "d* = 4" in crossover["part"]


@pytest.mark.parametrize("wrong, part", [
    (dict(claimed_exponent_d=-2), "n_Q/n_L exponent in d"),
    (dict(claimed_exponent_d=-1.05), "n_Q/n_L exponent in d"),  # off by 0.05
    (dict(claimed_exponent_p=2), "exponent in p"),
    (dict(claimed_exponent_p=-1), "exponent in p"),  # sign flipped
    (dict(claimed_xor_exponent_d=1), "2-XOR"),  # sign flipped
    (dict(claimed_xor_exponent_d=0), "2-XOR"),
])
def test_section52_wrong_exponent_is_violated(rng, wrong, part):
    records = check_section52(rng=rng, **wrong)
    assert [r.verdict for r in records if part in r.params["part"]] == [VIOLATED]
    assert [r.verdict for r in records if part not in r.params["part"]] == [HOLDS] * 3


def test_section52_rejects_bad_degree(rng):
    with pytest.raises(ValueError, match="degree must be an integer >= 3"):
        check_section52(rng=rng, degree=2)


def test_plot_predictions_marks_the_crossover(tmp_path):
    from boundcheck.report.plots_complexity import plot_predictions

    rows = cx.prediction_rows("single", [2, 4, 8, 16], [4], [0.1], form="stated")
    path = tmp_path / "n.svg"
    crossings = plot_predictions(rows, path)
    assert crossings[0][2] == pytest.approx(4.0, rel=1e-9)  # stated form: d* = p
    assert "crossover" in path.read_text()
    with pytest.raises(ValueError, match="out must end in one of"):
        plot_predictions(rows, tmp_path / "n.txt")
