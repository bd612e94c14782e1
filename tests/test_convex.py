"""Tests of boundcheck.convex: the OPT relaxation, its certificate, the fast solver, the bracket."""

import warnings

import numpy as np
import pytest

from boundcheck.convex.bracket import local_descent, opt_bracket, planted_instance, round_blocks
from boundcheck.convex.fast import numerical_rank, project_blocks, solve_relaxation
from boundcheck.convex.problem import QuadraticProblem
from boundcheck.convex.relaxation import CvxpyRelaxation, solve_relaxation_cvxpy
from boundcheck.data import sample_sphere
from boundcheck.lemmas.opt import check_opt_bracket, random_feasible_weights
from boundcheck.losses import get_loss
from boundcheck.network import norm_24, quadratic_model, symmetric_init
from boundcheck.numeric.landscape import quadratic_risk
from boundcheck.numeric.optimize import regularizer
from boundcheck.results import HOLDS, VIOLATED

LOSSES = ("logistic", "soft-hinge", "squared")


def small_problem(rng, n=40, m=6, d=3, loss="logistic", radius=2.0, reg=0.0):
    x = sample_sphere(n, d, rng=rng)
    w_init, w_out = symmetric_init(m, d, rng=rng)
    y = rng.standard_normal(n) if loss == "squared" else np.where(rng.standard_normal(n) > 0, 1.0, -1.0)
    return QuadraticProblem(x, w_init, w_out, y, radius=radius, loss=loss, reg=reg)


def random_blocks(rng, m, d, radius_sq, rank=None):
    """Random feasible PSD blocks with trace vector of norm uniform in [0, radius_sq]."""
    factors = rng.standard_normal((m, d, rank or d))
    blocks = np.einsum("rdk,rek->rde", factors, factors)
    traces = np.trace(blocks, axis1=1, axis2=2)
    return blocks * (radius_sq * rng.uniform() / np.linalg.norm(traces))


# ---------------------------------------------------------------------------------------------
# the operator


def test_operator_matches_quadratic_model_and_adjoint(rng):
    p = small_problem(rng, n=30, m=8, d=4)
    w = rng.standard_normal((8, 4))
    blocks = w[:, :, None] * w[:, None, :]
    reference = np.array([sum(a * max(w0 @ xi, 0.0) * (wr @ xi) ** 2 for a, w0, wr in zip(p.w_out, p.w_init, w))
                          for xi in p.x]) / (2 * np.sqrt(8))  # f^Q by its definition, a double loop
    np.testing.assert_allclose(p.predict_weights(w), reference, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(p.predict_blocks(blocks), reference, rtol=1e-12, atol=1e-14)
    factors = rng.standard_normal((8, 4, 3))
    np.testing.assert_allclose(p.predict_weights(factors),
                               p.predict_blocks(np.einsum("rdk,rek->rde", factors, factors)), rtol=1e-12)
    u = rng.standard_normal(30)
    sym = random_blocks(rng, 8, 4, 3.0)
    assert np.isclose(u @ p.predict_blocks(sym), np.sum(p.adjoint(u) * sym), rtol=1e-12)


@pytest.mark.parametrize("shape", [(6, 3), (6, 3, 2)])
@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_factor_gradient_matches_finite_differences(rng, shape, reg):
    p = small_problem(rng, loss="logistic", reg=reg)
    v = rng.standard_normal(shape)
    value, grad = p.quadratic_risk_and_gradient(v)
    factors = v.reshape(6, 3, -1)
    assert np.isclose(value, p.objective_blocks(np.einsum("rdk,rek->rde", factors, factors)))
    h = 1e-6
    for _ in range(3):
        e = rng.standard_normal(shape)
        fd = (p.quadratic_risk_and_gradient(v + h * e)[0] - p.quadratic_risk_and_gradient(v - h * e)[0]) / (2 * h)
        assert np.isclose(fd, np.sum(grad * e), rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# projections against cvxpy


def test_block_projection_matches_cvxpy(rng):
    cp = pytest.importorskip("cvxpy")
    m, d, radius_sq = 4, 3, 1.5
    points = rng.standard_normal((m, d, d)) * 2
    points = points + points.transpose(0, 2, 1)
    blocks = [cp.Variable((d, d), PSD=True) for _ in range(m)]
    traces = cp.hstack([cp.trace(b) for b in blocks])
    distance = sum(cp.sum_squares(b - points[r]) for r, b in enumerate(blocks))
    for shrink in (0.0, 0.7):  # the projection, then the prox of the penalty 0.7 ||t||^2 / 2 as well
        ours = project_blocks(points, radius_sq, shrink=shrink)[0]
        problem = cp.Problem(cp.Minimize(distance / 2 + shrink / 2 * cp.sum_squares(traces)),
                             [cp.norm(traces, 2) <= radius_sq])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            problem.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
        theirs = np.stack([b.value for b in blocks])
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
        ours_value = np.sum((ours - points) ** 2) / 2 + shrink / 2 * np.sum(np.trace(ours, axis1=1, axis2=2) ** 2)
        assert ours_value <= problem.value + 1e-8
        assert np.linalg.norm(np.trace(ours, axis1=1, axis2=2)) <= radius_sq


# ---------------------------------------------------------------------------------------------
# the certificate: a lower bound whatever the point


@pytest.mark.parametrize("loss", LOSSES)
def test_lower_bound_never_exceeds_loss_at_random_feasible_points(rng, loss):
    p = small_problem(rng, n=50, m=8, d=4, loss=loss, radius=1.7)
    zs = [np.zeros(p.n_samples), rng.standard_normal(p.n_samples),
          p.predict_weights(random_feasible_weights(8, 4, 1.7, 1, rng=rng)[0])]
    relax = solve_relaxation(p, tol=1e-3)
    zs.append(p.predict_blocks(relax.blocks))
    lowers = np.array([p.certificate(z).value for z in zs])
    weights = random_feasible_weights(8, 4, 1.7, 300, rng=rng)
    assert np.all(norm_24(weights) <= 1.7)
    losses = np.array([quadratic_risk(p.x, p.y, p.w_init, p.w_out, w, loss=loss) for w in weights])
    assert lowers.max() <= losses.min()
    # and the relaxation objective at random feasible blocks (of every rank)
    for _ in range(100):
        blocks = random_blocks(rng, 8, 4, p.radius_sq, rank=int(rng.integers(1, 5)))
        assert lowers.max() <= p.objective_blocks(blocks)
    # the relaxation's certified lower bound is close to its value
    assert relax.upper - relax.lower <= 1e-3 * abs(relax.upper) + 1e-12


def test_lower_bound_with_penalty_below_penalized_objective(rng):
    p = small_problem(rng, n=50, m=8, d=4, loss="logistic", radius=None, reg=0.05)
    lower = p.certificate(rng.standard_normal(50)).value
    for _ in range(200):
        w = rng.standard_normal((8, 4)) * rng.uniform(0, 3)
        assert lower <= p.quadratic_risk(w)


# ---------------------------------------------------------------------------------------------
# fast vs cvxpy


@pytest.mark.parametrize("loss", LOSSES)
def test_fast_and_both_cvxpy_solvers_agree(rng, loss):
    pytest.importorskip("cvxpy")
    p = small_problem(rng, n=40, m=6, d=3, loss=loss, radius=2.0)
    fast = solve_relaxation(p, tol=1e-7)
    assert fast.status == "optimal"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scs = solve_relaxation_cvxpy(p, solver="scs", tol=1e-8)
        clarabel = solve_relaxation_cvxpy(p, solver="clarabel", tol=1e-7)
    for other in (scs, clarabel):
        # the certified lower bound of each is below the feasible value of every other
        assert other.lower <= fast.upper + 1e-12 and fast.lower <= other.upper + 1e-12
        assert abs(other.upper - fast.upper) <= 1e-5 * abs(fast.upper)
    assert fast.upper - fast.lower <= 1e-7 * abs(fast.upper) + 1e-12


@pytest.mark.parametrize("radius", [None, 1.2])
def test_penalized_fast_and_cvxpy_agree(rng, radius):
    pytest.importorskip("cvxpy")
    p = small_problem(rng, n=40, m=6, d=3, loss="squared", radius=radius, reg=0.02)
    fast = solve_relaxation(p, tol=1e-8)
    clarabel = solve_relaxation_cvxpy(p, solver="clarabel", tol=1e-8)
    assert clarabel.status == "optimal"
    assert abs(clarabel.upper - fast.upper) <= 1e-5 * abs(fast.upper)
    assert fast.lower <= clarabel.upper and clarabel.lower <= fast.upper


def test_cvxpy_problem_is_compiled_once_for_a_sweep(rng):
    pytest.importorskip("cvxpy")
    p = small_problem(rng, n=30, m=4, d=3, loss="logistic", radius=1.0)
    relax = CvxpyRelaxation(30, 4, 3, loss="logistic")
    values = []
    for radius in (0.5, 1.0, 2.0):
        q = QuadraticProblem(p.x, p.w_init, p.w_out, p.y, radius=radius, loss="logistic")
        values.append(solve_relaxation_cvxpy(q, solver="clarabel", compiled=relax).upper)
        fast = solve_relaxation(q, tol=1e-7)
        assert abs(values[-1] - fast.upper) <= 1e-5
    assert relax.problem.is_dpp()
    assert values[0] >= values[1] >= values[2]  # a larger ball fits better
    with pytest.raises(ValueError, match="problem must have sizes"):
        relax.set_data(small_problem(rng, n=31, m=4, d=3))
    # above the parameter limit the data are constants: same values
    constant = CvxpyRelaxation(30, 4, 3, loss="logistic", parametrize=False)
    q = QuadraticProblem(p.x, p.w_init, p.w_out, p.y, radius=2.0, loss="logistic")
    assert solve_relaxation_cvxpy(q, solver="clarabel", compiled=constant).upper == pytest.approx(values[2], rel=1e-6)


# ---------------------------------------------------------------------------------------------
# statuses are surfaced


def test_non_optimal_status_is_surfaced(rng):
    p = small_problem(rng, n=40, m=6, d=3, loss="squared", radius=2.0)
    relax = solve_relaxation(p, tol=1e-12, max_iter=2)
    assert relax.status == "iteration_limit"
    assert relax.lower <= relax.upper
    with pytest.warns(UserWarning, match="iteration_limit"):
        res = opt_bracket(p.x, p.y, p.w_init, p.w_out, radius=2.0, loss="squared", tol=1e-15, atol=0.0,
                          max_rank=1, max_iter=2)
    assert res.status == "iteration_limit" and "relaxation status iteration_limit" in res.to_dict()["notes"]
    assert res.lower <= res.upper


def test_cvxpy_bad_status_still_gives_a_valid_bracket(rng):
    p = small_problem(rng, n=40, m=6, d=3, loss="logistic", radius=2.0)
    with pytest.warns(UserWarning, match="status"):
        relax = solve_relaxation_cvxpy(p, solver="scs", tol=1e-9, max_iters=3)
    assert relax.status != "optimal"
    exact = solve_relaxation(p, tol=1e-8)
    assert relax.lower <= exact.upper + 1e-12


# ---------------------------------------------------------------------------------------------
# the bracket


@pytest.mark.parametrize("solver", ["fast", "cvxpy-scs", "cvxpy-clarabel"])
def test_bracket_solvers_agree_and_upper_is_recomputed(rng, solver):
    inst = planted_instance(60, 8, 3, loss="logistic", noise=0.3, rng=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = opt_bracket(inst["x"], inst["y"], inst["w_init"], inst["w_out"], radius=inst["radius_star"],
                          loss="logistic", solver=solver, tol=1e-6)
    assert res.lower <= res.upper
    assert norm_24(res.w_move) <= inst["radius_star"]
    again = float(np.mean(get_loss("logistic").value(inst["y"], quadratic_model(inst["x"], inst["w_init"],
                                                                               inst["w_out"], res.w_move))))
    assert res.upper == pytest.approx(again, rel=1e-13)
    reference = opt_bracket(inst["x"], inst["y"], inst["w_init"], inst["w_out"], radius=inst["radius_star"],
                            loss="logistic", solver="fast", tol=1e-8)
    assert res.lower <= reference.upper and reference.lower <= res.upper
    assert res.upper == pytest.approx(reference.upper, rel=1e-4)


def test_rounding_is_feasible_and_rank_one_blocks_round_to_themselves(rng):
    p = small_problem(rng, n=40, m=6, d=3, loss="squared", radius=1.5)
    w = random_feasible_weights(6, 3, 1.5, 1, rng=rng)[0]
    blocks = w[:, :, None] * w[:, None, :]
    assert numerical_rank(blocks)[0] == 1
    rounded = round_blocks(p, blocks)
    assert norm_24(rounded) <= 1.5
    assert p.quadratic_risk(rounded) <= p.quadratic_risk(w) + 1e-12
    high = random_blocks(rng, 6, 3, p.radius_sq)
    assert numerical_rank(high)[0] == 3 and norm_24(round_blocks(p, high)) <= 1.5


def test_local_descent_stays_in_the_ball_and_decreases(rng):
    p = small_problem(rng, n=40, m=6, d=3, loss="logistic", radius=1.0)
    w0 = random_feasible_weights(6, 3, 1.0, 1, rng=rng)[0]
    w, value, _ = local_descent(p, w0)
    assert norm_24(w) <= 1.0
    assert value <= p.quadratic_risk(w0)
    assert value == pytest.approx(p.quadratic_risk(w), rel=1e-12)


def test_planted_rank_one_teacher_is_recovered(rng):
    inst = planted_instance(400, 8, 4, loss="squared", noise=0.0, rng=rng)
    res = opt_bracket(inst["x"], inst["y"], inst["w_init"], inst["w_out"], radius=inst["radius_star"],
                      loss="squared", tol=1e-6, atol=1e-9)  # OPT = 0: only an absolute gap is meaningful
    signal = float(np.mean(inst["y"] ** 2))
    assert res.upper <= 1e-8 * signal and res.lower <= res.upper and res.gap <= 1e-8 * signal
    # the teacher's function is recovered on fresh inputs (f^Q depends on W through the blocks only)
    fresh = sample_sphere(500, 4, rng=rng)
    teacher = quadratic_model(fresh, inst["w_init"], inst["w_out"], inst["w_star"])
    found = quadratic_model(fresh, inst["w_init"], inst["w_out"], res.w_move)
    assert np.linalg.norm(found - teacher) <= 1e-3 * np.linalg.norm(teacher)
    # a ball too small cannot reach it: the certified lower bound is then bounded away from 0
    small = opt_bracket(inst["x"], inst["y"], inst["w_init"], inst["w_out"], radius=0.5 * inst["radius_star"],
                        loss="squared", tol=1e-6)
    assert small.lower > 0.1 * signal


def test_bracket_with_penalty(rng):
    inst = planted_instance(80, 8, 3, loss="logistic", noise=0.2, rng=rng)
    res = opt_bracket(inst["x"], inst["y"], inst["w_init"], inst["w_out"], radius=None, reg=1e-3, loss="logistic",
                      tol=1e-6)
    value = (quadratic_risk(inst["x"], inst["y"], inst["w_init"], inst["w_out"], res.w_move, loss="logistic")
             + regularizer(res.w_move, 1e-3, power=4))
    assert res.upper == pytest.approx(value, rel=1e-13)
    assert res.lower <= res.upper and res.rel_gap <= 1e-3


# ---------------------------------------------------------------------------------------------
# the registered check can fail


def test_check_holds_and_fails_with_a_too_large_lower_bound(rng):
    good = check_opt_bracket(rng=rng, n_samples=80, width=8, dim=3, draws=50)
    assert [r.verdict for r in good] == [HOLDS, HOLDS]
    # a lower bound wrong by 0.05: the bracket record catches it (random W are far above OPT)
    bad = check_opt_bracket(rng=np.random.default_rng(5), n_samples=80, width=8, dim=3, draws=50, lower_offset=0.05)
    assert bad[0].verdict == VIOLATED and bad[0].lhs > bad[0].rhs
    # wrong by more than the loss at W = 0 (log 2): both records catch it
    bad = check_opt_bracket(rng=np.random.default_rng(5), n_samples=80, width=8, dim=3, draws=50, lower_offset=1.0)
    assert [r.verdict for r in bad] == [VIOLATED, VIOLATED]


def test_check_on_an_instance_needs_y_and_radius(rng):
    inst = planted_instance(50, 6, 3, loss="logistic", rng=rng)
    arrays = {k: inst[k] for k in ("x", "w_init", "w_out")}
    with pytest.raises(ValueError, match="instance must hold y"):
        check_opt_bracket(rng=rng, instance=arrays, radius=1.0)
    arrays["y"] = inst["y"]
    with pytest.raises(ValueError, match="radius must be given"):
        check_opt_bracket(rng=rng, instance=arrays)
    records = check_opt_bracket(rng=rng, instance=arrays, radius=inst["radius_star"], draws=20)
    assert all(r.verdict == HOLDS for r in records)


# ---------------------------------------------------------------------------------------------
# bad input


def test_bad_input_messages(rng):
    inst = planted_instance(20, 4, 3, loss="logistic", rng=rng)
    args = (inst["x"], inst["y"], inst["w_init"], inst["w_out"])
    with pytest.raises(ValueError, match="solver must be one of"):
        opt_bracket(*args, radius=1.0, solver="mosek")
    with pytest.raises(ValueError, match="radius must be > 0; got -1"):
        opt_bracket(*args, radius=-1.0)
    with pytest.raises(ValueError, match="radius must be given"):
        opt_bracket(*args, radius=None)
    with pytest.raises(ValueError, match="loss must be one of"):
        opt_bracket(*args, radius=1.0, loss="hinge")
    with pytest.raises(ValueError, match="y must have length 20"):
        opt_bracket(inst["x"], inst["y"][:5], inst["w_init"], inst["w_out"], radius=1.0)
    with pytest.raises(ValueError, match="tol must be > 0"):
        opt_bracket(*args, radius=1.0, tol=0.0)
    with pytest.raises(ValueError, match="width must be an even integer"):
        planted_instance(20, 5, 3, rng=rng)
