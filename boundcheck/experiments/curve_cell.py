r"""Section 5.2, measured: one cell of a learning curve as a registered claim, so curves run as sweeps.

A learning curve (:mod:`boundcheck.experiments.curves`) is the test loss of a learner against the number of
samples n; the sample complexity :math:`n_\epsilon` is where it reaches the accuracy
:math:`\epsilon`. The claim checked per cell is "this learner, fitted on n samples, has test loss
:math:`\le \epsilon`": the verdict is HOLDS above :math:`n_\epsilon` and VIOLATED below it (within
the test-set confidence interval), and :func:`boundcheck.experiments.curves.thresholds_from_curves` reads
:math:`n_\epsilon` off the stored left sides. Run a whole curve grid with ``boundcheck curves
--store FILE.sqlite`` or a TOML sweep naming ``claim = "Learning curve cell"``.
"""

from __future__ import annotations

from .. import _validate as validate
from . import curves as cv
from ..losses import SQUARED_WARNING
from ..run.registry import register
from ..results import CheckResult

__all__ = ["check_learning_curve_cell"]


@register(cv.CURVE_CLAIM, section="5.2", battery=False,
          statement="learner fitted on n samples reaches test loss <= accuracy (one cell of a learning curve)")
def check_learning_curve_cell(*, rng, learner="ntk", target="single", dim=4, n_samples=64, degree=2, width=16,
                              steps=30, n_test=200, n_pool=None, accuracy=0.3, repeat=0, data_seed=0,
                              radius_factor=1.0, reg=1.0, top_degree=None, level=0.95):
    r"""One learning-curve cell: test loss of ``learner`` on n samples against the accuracy :math:`\epsilon`.

    Left side: the test loss (normalised test MSE; 0-1 error against the clean labels for
    ``xor``), the mean over ``n_test`` fresh test points, with its Student-t interval over those
    points (given the fitted model). Right side: ``accuracy``. Relation ``<=``. All cell options are
    in the params, so stored records can be regrouped into curves. The problem comes from
    ``(data_seed, dim, repeat)`` (:func:`boundcheck.experiments.problems.problem_rng`), the fit from ``rng``.
    Learners: :data:`boundcheck.experiments.learners.ALL_LEARNERS`; squared-loss fits, outside the paper's loss
    hypotheses (said in the params). ``reg`` and ``top_degree`` only act on ``"LQ-reg"``.
    """
    accuracy = validate.probability("accuracy", accuracy)
    level = validate.probability("level", level)
    losses = cv.curve_cell(learner=learner, target=target, dim=dim, n_samples=n_samples, rng=rng, repeat=repeat,
                           data_seed=data_seed, n_pool=n_pool, degree=degree, width=width, steps=steps,
                           n_test=n_test, radius_factor=radius_factor, reg=reg, top_degree=top_degree)
    params = dict(learner=learner, target=target, dim=int(dim), n_samples=int(n_samples), degree=int(degree),
                  width=int(width), steps=int(steps), n_test=int(n_test),
                  n_pool=int(n_samples if n_pool is None else n_pool), accuracy=accuracy, repeat=int(repeat),
                  data_seed=int(data_seed), radius_factor=float(radius_factor), reg=float(reg),
                  top_degree=top_degree,
                  loss_note="squared loss: " + SQUARED_WARNING)
    return CheckResult.from_samples(cv.CURVE_CLAIM, losses, accuracy, "<=", level=level, params=params)
