r"""Section 5.2, measured: learning curves and the sample complexities :math:`n_\epsilon` read off them.

A learning curve is the test loss of a learner (:mod:`boundcheck.experiments.learners`) on a problem
(:mod:`boundcheck.experiments.problems`) against the number of samples n; :func:`threshold` reads
the n at which it reaches the accuracy :math:`\epsilon`, and :func:`exponent_rows` fits the exponent
of :math:`n_\epsilon` in d beside the prediction of :mod:`boundcheck.complexity`.

Learning curves are sweeps (:mod:`boundcheck.run.sweep`) of the registered claim
:data:`CURVE_CLAIM` (:mod:`boundcheck.experiments.curve_cell`), one cell per (dim, repeat, learner, n):
:func:`curve_sweep_config` builds the configuration, :func:`run_curve_cells` runs it in this process
and ``boundcheck curves --store FILE`` runs it into a store with
:func:`boundcheck.run.sweep.run_sweep`; :func:`thresholds_from_curves` turns either into thresholds.

Randomness: two integers are drawn from the caller's ``rng``, the sweep seed and the data seed.
Every cell fits with its own ``default_rng(cell_seed(sweep_seed, index))`` and draws its problem
from ``SeedSequence(data_seed, spawn_key=(dim, repeat))``, so results do not depend on how many
workers ran them, nor on whether they went through a store.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from .._lazy import lazy
from ..losses import SQUARED_WARNING
from .learners import ALL_LEARNERS, LEARNERS, fit_and_score, fit_point_losses
from .problems import TARGETS, make_problem, problem_rng, radius_for

cx = lazy("boundcheck.complexity")  # sympy: imported when a prediction is first needed

__all__ = ["CURVE_CLAIM", "threshold", "learning_curve", "curve_cell", "curve_sweep_config", "run_curve_cells",
           "curve_rows_from_records", "thresholds_from_curves", "sample_complexity", "predicted_exponent",
           "exponent_rows"]

#: The registered claim whose check fits one learning-curve cell (:mod:`boundcheck.experiments.curve_cell`).
CURVE_CLAIM = "Learning curve cell"


def threshold(n_values, losses, accuracy):
    r"""The n at which the test loss first reaches ``accuracy``, log-log interpolated.

    Returns ``(n_eps, status)``: status ``"interpolated"``, ``"at_first"`` (already reached at
    the smallest n, so n_eps is an upper bound) or ``"not_reached"`` (n_eps = inf).
    """
    n_values = np.asarray(n_values, dtype=float)
    losses = np.asarray(losses, dtype=float)
    below = np.nonzero(losses <= accuracy)[0]
    if below.size == 0:
        return math.inf, "not_reached"
    i = int(below[0])
    if i == 0:
        return float(n_values[0]), "at_first"
    n0, n1 = math.log(n_values[i - 1]), math.log(n_values[i])
    l0, l1 = math.log(max(losses[i - 1], 1e-300)), math.log(max(losses[i], 1e-300))
    la = math.log(accuracy)
    frac = 1.0 if l0 == l1 else (l0 - la) / (l0 - l1)
    return float(math.exp(n0 + frac * (n1 - n0))), "interpolated"


def learning_curve(learner, target, dim, n_values, *, degree=2, width=64, steps=200, n_test=500, radius=None,
                   rng, activation="relu3", reg=1.0):
    """Test loss of ``learner`` at every n in ``n_values`` (nested training sets), one problem draw."""
    validate.choice("learner", learner, ALL_LEARNERS)
    n_values = sorted(validate.integer("n", v, minimum=1) for v in n_values)
    data_rng, fit_rng = rng.spawn(2)
    problem = make_problem(target, dim, n_values[-1], degree=degree, n_test=n_test, rng=data_rng)
    radius = radius_for(target, dim, degree) if radius is None else radius
    fit_rngs = fit_rng.spawn(len(n_values))
    return [fit_and_score(learner, problem, n, width=width, radius=radius, steps=steps, rng=r,
                           activation=activation, degree=degree, reg=reg) for n, r in zip(n_values, fit_rngs)]



def curve_cell(*, learner, target, dim, n_samples, rng, repeat=0, data_seed=0, n_pool=None, degree=2, width=64,
               steps=150, n_test=400, radius_factor=1.0, reg=1.0, top_degree=None):
    r"""One learning-curve cell: ``learner`` fitted on ``n_samples`` points; per-test-point losses (n_test,).

    The problem (training pool of ``n_pool`` points, test set, target) is drawn from
    :func:`problem_rng` ``(data_seed, dim, repeat)`` alone, so every learner and every n with the
    same (dim, repeat) sees the same data and nested training sets (the first n pool points); ``rng``
    drives only the fit (initialization, sign draws, noise, unlabeled inputs of ``"LQ-reg"``).
    The test loss is the mean of the returned array (see :class:`boundcheck.experiments.problems.Problem`). ``reg`` and
    ``top_degree`` (None: k) set the ``"LQ-reg"`` regularizer
    (:class:`boundcheck.experiments.learners.EigenRegularizer`).
    """
    validate.choice("learner", learner, ALL_LEARNERS)
    validate.choice("target", target, TARGETS)
    dim = validate.integer("dim", dim, minimum=2)
    n_samples = validate.integer("n_samples", n_samples, minimum=1)
    n_pool = n_samples if n_pool is None else validate.integer("n_pool", n_pool, minimum=n_samples)
    repeat = validate.integer("repeat", repeat, minimum=0)
    data_seed = validate.integer("data_seed", data_seed, minimum=0, maximum=2**63 - 1)
    degree = validate.integer("degree", degree, minimum=1)
    width = validate.even_width("width", width)
    steps = validate.integer("steps", steps, minimum=0)
    n_test = validate.integer("n_test", n_test, minimum=10)
    radius_factor = validate.positive("radius_factor", radius_factor)
    problem = make_problem(target, dim, n_pool, degree=degree, n_test=n_test, rng=problem_rng(data_seed, dim, repeat))
    radius = radius_for(target, dim, degree, factor=radius_factor)
    return fit_point_losses(learner, problem, n_samples, width=width, radius=radius, steps=steps, rng=rng,
                             degree=degree, reg=reg, top_degree=top_degree)


def curve_sweep_config(learners=LEARNERS, target="single", dims=(4, 6, 8), n_values=None, *, degree=2, accuracy=0.3,
                       repeats=2, width=64, steps=150, n_test=400, radius_factor=1.0, reg=1.0, top_degree=None,
                       name=None, rng):
    r"""The learning-curve sweep as a :mod:`boundcheck.run.sweep` configuration (the dict a TOML file would hold).

    Claim :data:`CURVE_CLAIM`; grid ``dim x repeat x learner x n_samples`` (row-major, so cells
    group by (dim, repeat, learner) with n varying fastest); fixed options the rest, with
    ``n_pool = max(n_values)`` and a ``data_seed``. Two integers are drawn from ``rng``: the sweep
    seed (each cell's fit seed is spawned from it by :func:`boundcheck.run.sweep.cell_seed`) and the
    data seed. Default ``n_values``: 6 geometric steps from 8 to :math:`20 d_{\max}^{\max(p-1,1)}`.
    """
    learners = [validate.choice("learner", v, ALL_LEARNERS) for v in learners]
    validate.choice("target", target, TARGETS)
    dims = [validate.integer("dim", v, minimum=2) for v in dims]
    accuracy = validate.probability("accuracy", accuracy)
    repeats = validate.integer("repeats", repeats, minimum=1)
    width = validate.even_width("width", width)
    degree = validate.integer("degree", degree, minimum=1)
    if n_values is None:
        n_values = np.unique(np.geomspace(8, 20 * max(dims) ** max(degree - 1, 1), 6).astype(int)).tolist()
    n_values = sorted(validate.integer("n", v, minimum=1) for v in n_values)
    seed, data_seed = (int(v) for v in rng.integers(2**63, size=2))
    extra = {} if top_degree is None else {"top_degree": validate.integer("top_degree", top_degree, minimum=0)}
    return {"sweep": {"claim": CURVE_CLAIM, "name": name or f"curves-{target}-p{degree}", "seed": seed,
                      "replicates": 1},
            "grid": {"dim": dims, "repeat": list(range(repeats)), "learner": learners, "n_samples": n_values},
            "fixed": {"target": target, "degree": degree, "accuracy": float(accuracy), "width": width,
                      "steps": validate.integer("steps", steps, minimum=0),
                      "n_test": validate.integer("n_test", n_test, minimum=10), "n_pool": max(n_values),
                      "data_seed": data_seed, "radius_factor": float(radius_factor),
                      "reg": float(validate.nonnegative("reg", reg)), **extra}}


def _curve_cell_loss(seed, options):
    """Test loss of one cell run in this process (top level, so joblib can pickle it)."""
    options = {k: v for k, v in options.items() if k not in ("accuracy", "level")}
    return float(np.mean(curve_cell(rng=np.random.default_rng(seed), **options)))


def run_curve_cells(config_data, *, n_jobs=1):
    """Run every cell of :func:`curve_sweep_config` ``config_data`` in this process (no store).

    Uses the sweep's own cell order and seeds (:func:`boundcheck.run.sweep.make_cells`), so the rows
    equal those :func:`boundcheck.run.sweep.run_sweep` stores; returns the curve rows.
    """
    from ..run.sweep import SweepConfig, make_cells  # sweep imports the registry; imported here, not at the top

    head = config_data["sweep"]
    config = SweepConfig(head["claim"], head["name"], head["seed"], head.get("replicates", 1),
                         dict(config_data["grid"]), dict(config_data.get("fixed", {})))
    cells = make_cells(config)
    if n_jobs == 1:
        losses = [_curve_cell_loss(c.seed, c.options) for c in cells]  # a loop over sweep cells
    else:
        from joblib import Parallel, delayed

        losses = Parallel(n_jobs=n_jobs)(delayed(_curve_cell_loss)(c.seed, c.options) for c in cells)
    return [dict(learner=c.options["learner"], target=c.options["target"], dim=c.options["dim"],
                 degree=c.options["degree"], repeat=c.options["repeat"], n=c.options["n_samples"], test_loss=loss)
            for c, loss in zip(cells, losses)]


def curve_rows_from_records(records):
    """Curve rows (learner, target, dim, degree, repeat, n, test_loss) from stored :data:`CURVE_CLAIM` records."""
    rows = []
    for rec in records:
        if rec["claim"] != CURVE_CLAIM:
            continue
        p = rec["params"]
        rows.append(dict(learner=p["learner"], target=p["target"], dim=p["dim"], degree=p["degree"],
                         repeat=p["repeat"], n=p["n_samples"], test_loss=float(rec["lhs"])))
    return rows


def thresholds_from_curves(curve_rows, accuracy):
    """One threshold row per (learner, target, dim, degree, repeat) of ``curve_rows`` (:func:`threshold`)."""
    accuracy = validate.probability("accuracy", accuracy)
    groups = {}
    for row in curve_rows:
        groups.setdefault((row["learner"], row["target"], row["dim"], row["degree"], row["repeat"]), []).append(row)
    out = []
    for (learner, target, dim, degree, repeat), rows in groups.items():  # one threshold per curve
        rows = sorted(rows, key=lambda r: r["n"])
        n_eps, status = threshold([r["n"] for r in rows], [r["test_loss"] for r in rows], accuracy)
        out.append(dict(learner=learner, target=target, dim=dim, degree=degree, repeat=repeat, accuracy=accuracy,
                        n_eps=n_eps, status=status))
    return out


def sample_complexity(learners=LEARNERS, target="single", dims=(4, 6, 8), n_values=None, *, degree=2,
                      accuracy=0.3, repeats=2, width=64, steps=150, n_test=400, radius_factor=1.0, reg=1.0,
                      top_degree=None, n_jobs=1, rng):
    r"""Measured thresholds :math:`n_\epsilon` for each (learner, d, repeat), in this process.

    The cells and their seeds are those of :func:`curve_sweep_config` (the same sweep run into a
    store by ``boundcheck curves --store`` gives the same rows). Returns ``(curve_rows,
    threshold_rows)``: one row per (learner, dim, repeat, n) with the test loss, and one per
    (learner, dim, repeat) with ``n_eps`` and its status.
    """
    config = curve_sweep_config(learners, target, dims, n_values, degree=degree, accuracy=accuracy, repeats=repeats,
                                width=width, steps=steps, n_test=n_test, radius_factor=radius_factor, reg=reg,
                                top_degree=top_degree, rng=rng)
    curve_rows = run_curve_cells(config, n_jobs=n_jobs)
    return curve_rows, thresholds_from_curves(curve_rows, accuracy)


def predicted_exponent(learner, target, degree):
    """``(exponent, bound)``: the d-exponent theory predicts for ``learner`` and whether it is an
    upper or a lower bound (from :mod:`boundcheck.complexity`)."""
    key = {"ntk": "ntk_lower", "linear": "ntk_lower", "quadratic": "quadratic", "randomized": "quadratic",
           "linear+quadratic": "quadratic", "LQ-reg": "quadratic"}[learner]
    if target == "sparse":
        key = {"ntk_lower": "ntk_lower", "quadratic": "quadntk_lower"}[key]
        if learner in ("linear+quadratic", "LQ-reg"):
            key = "ntk+quadntk"
    pred = {pr.learner: pr for pr in cx.predictions(target, degree)}[key]
    return float(cx.exponent(pred.expression, cx.d)), pred.bound


def exponent_rows(threshold_rows, *, level=0.95):
    r"""Per learner: the fitted exponent of :math:`n_\epsilon` in d with its interval, beside the prediction.

    Fits every interpolated threshold (repeats as separate points) with
    :func:`boundcheck.results.rate`: against an upper-bound prediction the relation
    is ``<=`` (grows no faster), against a lower bound ``>=``. Fewer than 3 points, or fewer than
    2 distinct d, gives NaN. The verdict is reported as ``agreement`` (consistent / inconsistent /
    inconclusive), not as HOLDS / VIOLATED: small d is far from the asymptotic regime the predictions
    describe, so a disagreement is a measurement at these sizes, not a refutation of a theorem.
    """
    from ..results import HOLDS, INCONCLUSIVE, VIOLATED, rate

    out = []
    groups = {}
    for row in threshold_rows:
        groups.setdefault((row["learner"], row["target"], row["degree"]), []).append(row)
    for (learner, target, degree), rows in groups.items():  # one fit per learner
        pts = [(r["dim"], r["n_eps"]) for r in rows if math.isfinite(r["n_eps"]) and r["status"] == "interpolated"]
        xs = np.array([q[0] for q in pts], float)
        ys = np.array([q[1] for q in pts], float)
        predicted, bound = predicted_exponent(learner, target, degree)
        slope, interval, verdict = math.nan, (math.nan, math.nan), INCONCLUSIVE
        agreement = "inconclusive"
        if len(pts) >= 3 and np.unique(xs).size >= 2:
            rec = rate(xs, ys, predicted, "<=" if bound == "upper" else ">=", level=level, claim="Section 5.2 curves")
            slope, interval, verdict = rec.lhs, rec.interval, rec.verdict
        agreement = {HOLDS: "consistent", VIOLATED: "inconsistent"}.get(verdict, "inconclusive")
        out.append(dict(learner=learner, target=target, degree=degree, fitted_exponent=slope,
                        interval_low=interval[0], interval_high=interval[1], predicted_exponent=predicted,
                        prediction=bound, agreement=agreement, points=len(pts),
                        not_reached=sum(r["status"] == "not_reached" for r in rows),
                        at_first=sum(r["status"] == "at_first" for r in rows),
                        note="squared loss: " + SQUARED_WARNING))
    return out

