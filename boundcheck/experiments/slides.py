r"""The Nichani-Bai-Lee slides' experiment: :math:`f_L + f_Q` against :math:`f_L`, :math:`f_Q` at :math:`n = d^{1.5}`.

A degree-2 signal (a linear part plus a sparse quadratic, :func:`boundcheck.experiments.problems.make_problem`
with target ``sparse``) fitted by the Taylor-model learners of :mod:`boundcheck.experiments.learners`.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from .learners import ALL_LEARNERS, fit_and_score
from .problems import make_problem, radius_for

__all__ = ["slides_experiment"]


def _cell_rng(base, key):
    return np.random.default_rng(np.random.SeedSequence(base, spawn_key=tuple(int(k) for k in key)))


def slides_experiment(dims=(8, 12, 16), *, power=1.5, repeats=2, width=64, steps=200, n_test=400, rng,
                      n_jobs=1, models=("linear", "quadratic", "linear+quadratic"), reg=1.0, top_degree=None):
    r"""Nichani-Bai-Lee slides: :math:`f_L + f_Q` on a degree-2 (linear + sparse quadratic) signal
    with :math:`n = d^{1.5}` samples, against :math:`f_L` alone and :math:`f_Q` alone.

    ``models`` may add ``"LQ-reg"`` (the regularized :math:`f_L + f_Q`,
    :class:`boundcheck.experiments.learners.EigenRegularizer` with ``reg`` and ``top_degree``). Returns one
    row per (dim, repeat, model) with the normalised test MSE.
    """
    dims = [validate.integer("dim", v, minimum=2) for v in dims]
    power = validate.positive("power", power)
    base = int(rng.integers(2**63))
    models = [validate.choice("model", v, ALL_LEARNERS) for v in models]

    def run(i_dim, dim, rep):
        n_value = int(round(dim**power))
        problem = make_problem("sparse", dim, n_value, degree=2, n_test=n_test, rng=_cell_rng(base, (i_dim, rep, 0)))
        radius = radius_for("sparse", dim, 2)
        rows = []
        for j, model in enumerate(models):  # three models on the same data
            loss = fit_and_score(model, problem, n_value, width=width, radius=radius, steps=steps,
                                 rng=_cell_rng(base, (i_dim, rep, 1 + j)), degree=2, reg=reg, top_degree=top_degree)
            rows.append(dict(model=model, dim=dim, n=n_value, repeat=rep, test_loss=loss))
        return rows

    jobs = [(i, dim, rep) for i, dim in enumerate(dims) for rep in range(repeats)]
    if n_jobs == 1:
        results = [run(*job) for job in jobs]
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs)(delayed(run)(*job) for job in jobs)
    return [row for rows in results for row in rows]
