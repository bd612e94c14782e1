"""The speed work computes what it replaced: buffers, memos and faster formulas against direct references."""

import math

import numpy as np
import pytest

from boundcheck import _threads
from boundcheck.activations import get_activation
from boundcheck.convex.fast import project_blocks, solve_relaxation
from boundcheck.convex.problem import QuadraticProblem
from boundcheck.network import symmetric_init
from boundcheck.numeric import coupling as cpl
from boundcheck.numeric.landscape import randomized_sides

ULP = np.finfo(np.float64).eps


def _problem(rng, n=60, m=10, d=4, loss="squared"):
    x = rng.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    w_init, w_out = symmetric_init(m, d, rng=rng)
    y = rng.standard_normal(n)
    return QuadraticProblem(x, w_init, w_out, y, radius=1.5, loss=loss)


def test_unpack_by_rows_equals_fancy_indexing(rng):
    problem = _problem(rng)
    packed = rng.standard_normal((problem.width, problem.dim * (problem.dim + 1) // 2))
    rows, cols = np.triu_indices(problem.dim)
    ref = np.empty((problem.width, problem.dim, problem.dim))
    ref[:, rows, cols] = packed
    ref[:, cols, rows] = packed
    assert np.array_equal(problem.unpack(packed), ref)
    out = np.full_like(ref, np.nan)
    assert problem.unpack(packed, out) is out and np.array_equal(out, ref)


def test_adjoint_by_chunks_equals_one_product(rng):
    problem = _problem(rng, n=80, m=14, d=5)
    problem._adjoint_chunk = 3  # several chunks, the last one short
    u = rng.standard_normal(problem.n_samples)
    ref = problem.unpack((problem.coef * u[:, None]).T @ problem.features)
    np.testing.assert_allclose(problem.adjoint(u), ref, rtol=1e-13, atol=1e-15)


def test_projection_into_buffers_equals_fresh_arrays(rng):
    a = rng.standard_normal((7, 5, 5))
    fresh = project_blocks(a, 2.0, 0.1)
    out, work = np.empty_like(a), np.empty_like(a)
    buffered = project_blocks(a, 2.0, 0.1, out=out, work=work)
    assert buffered[0] is out
    for f, b in zip(fresh, buffered):
        assert np.array_equal(f, b)


def test_relaxation_certified_and_consistent_with_its_blocks(rng):
    """The buffered APG: its best point is feasible, its value is recomputed from the blocks it returns,
    and the certified lower bound stays below it."""
    problem = _problem(rng)
    relax = solve_relaxation(problem, tol=1e-6, max_iter=400)
    traces = np.trace(relax.blocks, axis1=1, axis2=2)
    assert np.linalg.norm(traces) <= problem.radius_sq * (1 + 1e-12)
    assert np.min(np.linalg.eigvalsh(relax.blocks)) >= -1e-12
    assert relax.upper == pytest.approx(problem.objective_blocks(relax.blocks), rel=1e-14, abs=1e-15)
    assert relax.lower <= relax.upper


def test_batched_eigh_equals_numpy(rng):
    a = rng.standard_normal((301, 9, 9))
    a = a + a.transpose(0, 2, 1)
    values, vectors = _threads.eigh(a)
    ref_values, ref_vectors = np.linalg.eigh(a)
    assert np.array_equal(values, ref_values) and np.array_equal(vectors, ref_vectors)
    assert np.array_equal(_threads.eigvalsh(a), np.linalg.eigvalsh(a))


@pytest.mark.parametrize("power", [2, 3, 4, 7])
def test_relu_powers_by_products_equal_pow_to_rounding(rng, power):
    t = rng.standard_normal(1000) * 3
    act = get_activation(f"relu{power}")
    ref = np.maximum(t, 0.0) ** power / math.factorial(power)
    np.testing.assert_allclose(act(t), ref, rtol=power * ULP, atol=0)
    np.testing.assert_allclose(act.derivative(t, 1), np.maximum(t, 0.0) ** (power - 1) / math.factorial(power - 1),
                               rtol=power * ULP, atol=0)


def test_softplus_equals_logaddexp_to_rounding(rng):
    t = np.concatenate([rng.standard_normal(1000) * 10, [-800.0, -40.0, 0.0, 40.0, 800.0]])
    act = get_activation("softplus")
    np.testing.assert_allclose(act(t), np.logaddexp(0.0, t), rtol=2 * ULP, atol=0)
    assert act(0.0) == pytest.approx(math.log(2.0), rel=2 * ULP)
    assert np.all(np.isfinite(act(t)))


def test_coupling_memo_returns_the_computed_sides_and_follows_the_inputs(rng):
    prob = cpl.planted_problem(16, 8, 3, radius_star=1.0, rng=rng)
    w_move = cpl.aligned_move(prob["w_out"], 3, 1.0, rng=rng, directions=2)
    signs = cpl.sign_draws(6, 8, rng=rng)
    args = (prob["x"], prob["y"], prob["w_init"], prob["w_out"], w_move, prob["w_star"])
    fresh = randomized_sides(*args, signs)
    for kind, expected in (("risk", fresh["risk"] - fresh["quadratic_risk"] - fresh["control"]),
                           ("hessian", fresh["hess_form"] - fresh["quadratic_hess_form"] - fresh["hess_control"])):
        assert np.array_equal(cpl.coupling_samples(kind, *args, signs), expected)
        assert np.array_equal(cpl.coupling_samples(kind, *args, signs.copy()), expected)  # by contents
    flipped = signs.copy()
    flipped[0] *= -1
    other = randomized_sides(*args, flipped)
    assert np.array_equal(cpl.coupling_samples("risk", *args, flipped),
                          other["risk"] - other["quadratic_risk"] - other["control"])


def test_moment_pair_is_computed_once_and_read_only():
    first, second = cpl.moment_pair(3), cpl.moment_pair(3)
    assert first is second
    with pytest.raises(ValueError):
        first[0][0] = 0.0


def test_section52_cached_numbers_give_the_same_records(rng):
    from boundcheck.lemmas.sample_complexity import check_section52

    a, b = check_section52(rng=rng), check_section52(rng=rng)
    assert [(r.lhs, r.rhs, r.verdict, r.params["part"]) for r in a] == [(r.lhs, r.rhs, r.verdict, r.params["part"])
                                                                       for r in b]
    assert a[-1].params["crossover_stated_exact"] == b[-1].params["crossover_stated_exact"]
