r"""Section 5.2, measured: the targets, data and scoring rule of the learning curves and the figures.

Targets of unit :math:`L_2` norm (:func:`make_problem`): ``single`` (:math:`(\beta^\top x)^p` on the
sphere), ``sparse`` (Nichani-Bai-Lee's low-degree plus sparse target) and ``xor`` (the noisy 2-XOR
on the hypercube). The test loss (:class:`Problem`) is the normalised test mean squared error
:math:`E(\hat f - f_\star)^2 / E f_\star^2` for ``single`` and ``sparse``, the classification error
against the clean labels for ``xor`` (trained on labels flipped with probability 0.1). The radius
:math:`B_w` of the fits is Theorem 7's :math:`B_{w,\star}` (:func:`radius_for`).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from .._lazy import lazy
from ..data import LowDegreePlusSparse, NoisyXor, Polynomial, sample_hypercube, sample_sphere

cx = lazy("boundcheck.complexity")  # sympy: imported when a prediction is first needed

__all__ = ["TARGETS", "Problem", "make_problem", "problem_rng", "radius_for"]

TARGETS = ("single", "xor", "sparse")


class Problem:
    """Training pool, test set and the scoring rule of one sweep cell."""

    def __init__(self, target, x_pool, y_pool, x_test, f_test, kind):
        self.target, self.kind = target, kind
        self.x_pool, self.y_pool, self.x_test, self.f_test = x_pool, y_pool, x_test, f_test
        self.scale = float(np.mean(f_test**2))

    def point_losses(self, predictions):
        """Per-test-point loss of ``predictions`` (shape (..., n_test)), averaged over leading axes: (n_test,)."""
        predictions = np.asarray(predictions, dtype=np.float64)
        if self.kind == "xor":
            per = (np.sign(predictions) != np.sign(self.f_test)).astype(np.float64)
        else:
            per = (predictions - self.f_test) ** 2 / self.scale
        return per.reshape(-1, per.shape[-1]).mean(axis=0)

    def loss(self, predictions):
        """Test loss of ``predictions`` (shape (..., n_test)): the mean of :meth:`point_losses`."""
        return float(np.mean(self.point_losses(predictions)))

    def sample_inputs(self, n_samples, *, rng):
        """Fresh unlabeled inputs from this problem's input distribution."""
        if self.kind == "xor":
            return sample_hypercube(n_samples, self.x_pool.shape[1], rng=rng)
        return sample_sphere(n_samples, self.x_pool.shape[1], rng=rng)


class _Scaled:
    """A target rescaled to unit L2 norm (the slides' sparse target with both parts normalised)."""

    def __init__(self, func, scale):
        self.func, self.scale = func, scale

    def __call__(self, x):
        return self.func(x) * self.scale


def make_problem(target, dim, n_pool, *, degree=2, n_test=500, rng, flip_prob=0.1):
    r"""A target of unit :math:`L_2` norm on the unit sphere (hypercube for ``xor``) with data.

    ``single``: :math:`(\beta^\top x)^p` scaled by :math:`\sqrt{\prod_{j<p}(d+2j)/(2p-1)!!}`;
    ``sparse``: Nichani-Bai-Lee with k = degree - 1, its dense and sparse parts each rescaled
    to unit norm (estimated on 4000 fresh points) so neither swamps the other, then the sum too;
    ``xor``: :math:`x_1x_2 d` with labels flipped with ``flip_prob``.
    """
    validate.choice("target", target, TARGETS)
    dim = validate.integer("dim", dim, minimum=2)
    n_pool = validate.integer("n_pool", n_pool, minimum=1)
    n_test = validate.integer("n_test", n_test, minimum=10)
    if target == "xor":
        func = NoisyXor(dim, 1.0, flip_prob)
        x_pool = sample_hypercube(n_pool, dim, rng=rng)
        x_test = sample_hypercube(n_test, dim, rng=rng)
        return Problem(func, x_pool, func.labels(x_pool, rng=rng), x_test, func(x_test), "xor")
    if target == "single":
        beta = rng.standard_normal(dim)
        scale = math.sqrt(float(cx.beta_power_normalized(degree, dim)))
        func = Polynomial(scale, beta / np.linalg.norm(beta), degree)
    else:
        if degree < 2:
            raise validate.BoundcheckInputError(f"degree must be >= 2 for the sparse target; got {degree}")
        base = LowDegreePlusSparse(dim, degree - 1, 1, rng=rng)
        probe = sample_sphere(4000, dim, rng=rng)
        dense_scale = 1.0 / math.sqrt(np.mean(base.dense(probe) ** 2))
        sparse_scale = 1.0 / math.sqrt(np.mean(base.sparse(probe) ** 2))
        combined = _Scaled(lambda x: dense_scale * base.dense(x) + sparse_scale * base.sparse(x), 1.0)
        func = _Scaled(combined, 1.0 / math.sqrt(np.mean(combined(probe) ** 2)))
    x_pool = sample_sphere(n_pool, dim, rng=rng)
    x_test = sample_sphere(n_test, dim, rng=rng)
    return Problem(func, x_pool, func(x_pool), x_test, func(x_test), target)


def radius_for(target, dim, degree, *, factor=1.0):
    r"""Default radius :math:`B_w`: ``factor`` times Theorem 7's :math:`B_{w,\star}` at :math:`\delta = 1`."""
    deg = 2 if target == "xor" else degree
    amp = cx._theorem7_amplitude(deg, "xor" if target == "xor" else "single")
    t_star = float((32 * math.pi * float(amp.subs({cx.d: dim, cx.alpha: 1.0}))) ** 0.25)
    # unit-sphere inputs: B_x = 1 (for the 2-XOR, Theorem 7's B_x = sqrt(d) units are rescaled)
    return factor * (t_star / math.sqrt(dim) if target == "xor" else t_star)


def problem_rng(data_seed, dim, repeat):
    """The Generator of the problem (pool and test set) shared by every cell with this (dim, repeat)."""
    return np.random.default_rng(np.random.SeedSequence(int(data_seed), spawn_key=(int(dim), int(repeat))))

