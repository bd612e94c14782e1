r"""Section 5.2, measured: the learners of the learning curves, all fitted by squared loss on n samples.

``ntk``
    kernel ridge(less) regression with the infinite-width NTK (:func:`boundcheck.experiments.ntk.fit_ntk`).
``quadratic``
    the quadratic model :math:`f^Q_W` fitted by projected gradient descent (Armijo backtracking)
    in the ball :math:`\|W\|_{2,4} \le B_w` (:func:`fit_taylor`).
``randomized``
    the randomized network :math:`f_{W_0 + W\Sigma}` trained by noisy gradient descent on
    :math:`E_\Sigma L(W\Sigma) + \lambda\|W\|_{2,4}^8` with fresh signs every step (Section 3.1,
    Theorem 4; :func:`fit_randomized`), scored by its expected test loss over sign draws.
``linear+quadratic``
    :math:`f^L_W + f^Q_W` (the Nichani-Bai-Lee slides' NTK + QuadNTK) by projected gradient descent.
``LQ-reg`` (optional, not in the default set)
    the same with the slides' regularizer on the eigen-directions of the NTK feature covariance
    (:class:`EigenRegularizer`). ``linear`` (optional): :math:`f^L` alone.

Every model, gradient and feature comes from :class:`boundcheck.network.TaylorModel`; every fit from
:mod:`boundcheck.numeric.optimize`. Squared loss is not Lipschitz, so the paper's hypotheses on the
loss do not cover these fits (:data:`boundcheck.losses.SQUARED_WARNING`).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from ..network import TaylorModel, randomized_network, symmetric_init
from ..numeric.landscape import regularized_risk_descent
from ..numeric.optimize import projected_descent
from .ntk import feature_covariance, fit_ntk

__all__ = ["LEARNERS", "ALL_LEARNERS", "fit_taylor", "predict_taylor", "fit_randomized", "sphere_polynomial_dimension",
           "EigenRegularizer", "fit_point_losses", "fit_and_score"]

LEARNERS = ("ntk", "quadratic", "randomized", "linear+quadratic")
#: Every learner a curve accepts: ``LEARNERS`` (the default set) plus ``"LQ-reg"`` (learner (d) with the
#: slides' eigen-direction regularizer, :class:`EigenRegularizer`) and ``"linear"`` (:math:`f^L` alone).
ALL_LEARNERS = LEARNERS + ("LQ-reg", "linear")
#: The Taylor orders each Taylor-model learner fits (f^L: 1, f^Q: 2).
_ORDERS = {"quadratic": (2,), "linear+quadratic": (1, 2), "LQ-reg": (1, 2), "linear": (1,)}


# --------------------------------------------------------------------------------------------
# (b), (d) Taylor models by projected gradient descent


def fit_taylor(x, y, w_init, w_out, *, orders=(2,), radius=None, steps=300, activation="relu3", init_scale=1e-2,
               rng, tol=1e-10, penalty=None):
    r"""Fit the Taylor model :math:`\sum_{k\in\mathrm{orders}}f^{(k)}_W` by projected gradient descent.

    ``orders=(2,)`` is :math:`f^Q`, ``(1, 2)`` is :math:`f^L + f^Q`.

    Squared loss :math:`\frac1{2n}\sum_i (f_W(x_i) - y_i)^2`, plus ``penalty(w_move)`` when given
    (a callable returning ``(value, gradient)``, e.g. :class:`EigenRegularizer`), by
    :func:`boundcheck.numeric.optimize.projected_descent` with Armijo backtracking from the step
    :math:`\sqrt m` in the ball :math:`\|W\|_{2,4} \le` ``radius`` (None: no constraint). The
    start is a small random W (:math:`f^Q` has a saddle at 0). Returns ``w_move``.
    """
    x = validate.matrix("x", x)
    y = validate.vector("y", y, length=x.shape[0])
    model = TaylorModel(x, w_init, w_out, activation=activation)
    n, m = x.shape[0], model.width
    w = rng.standard_normal(model.w_init.shape) * (init_scale * m**-0.25 / math.sqrt(x.shape[1]))

    def objective(w_move):
        point = model.at(w_move, orders=orders)
        res = point.value - y
        value = 0.5 * float(np.mean(res**2))
        if penalty is None:
            return value, lambda: point.vjp(res / n)
        pen_value, pen_grad = penalty(w_move)
        return value + pen_value, lambda: point.vjp(res / n) + pen_grad

    fit = projected_descent(objective, w, radius=math.inf if radius is None else radius, steps=steps,
                            step_size=math.sqrt(m), armijo=0.5, min_step=1e-12, tol=tol)
    return fit.w_move


def predict_taylor(x, w_init, w_out, w_move, orders, activation="relu3"):
    r"""The fitted Taylor model :math:`\sum_{k\in\mathrm{orders}}f^{(k)}_W` on ``x``."""
    return TaylorModel(x, w_init, w_out, activation=activation).value(w_move, orders=orders)


# --------------------------------------------------------------------------------------------
# (d') the Nichani-Bai-Lee regularizer on the feature-covariance eigen-directions


def sphere_polynomial_dimension(dim, degree):
    r"""Dimension of the polynomials of degree :math:`\le k` restricted to the sphere :math:`S^{d-1}`.

    :math:`\sum_{l \le k} N(d, l) = \binom{d+k-1}{k} + \binom{d+k-2}{k-1}` (spherical harmonics of
    degree k and k-1 together span the restrictions of degree-:math:`\le k` polynomials).
    """
    dim = validate.integer("dim", dim, minimum=2)
    degree = validate.integer("degree", degree, minimum=0)
    if degree == 0:
        return 1
    return math.comb(dim + degree - 1, degree) + math.comb(dim + degree - 2, degree - 1)


class EigenRegularizer:
    r"""Penalty on the middle eigen-directions of the NTK feature covariance (Nichani, Bai & Lee slides).

    The slides (NeurIPS 2022 talk, "Identifying good directions to escape the NTK regime") split the
    eigen-directions of :math:`\Sigma = E[\phi(x)\phi(x)^\top]`, :math:`\phi(x) = \nabla_W f^L_W(x)`,
    into three groups: top directions (which, with :math:`n \gtrsim d^k` samples, express the
    degree-:math:`\le k` polynomials), middle "bad" directions (the NTK overfits there, test
    predictions blow up) and bottom "good" directions (near the null space: movement there leaves
    the NTK's test predictions unchanged, so the QuadNTK may move far); the regularizer keeps the
    movement out of the middle group. The slides do not print the regularizer; the form
    implemented here is this construction's:

    .. math:: R(W) = \frac{\lambda\,\lambda_1(\hat\Sigma)}{2}\,\|P_{Q_2}\,\mathrm{vec}(W)\|_2^2,

    with :math:`\hat\Sigma` estimated from ``x_unlabeled`` (fresh inputs from the input
    distribution, not the training set), :math:`Q_1` its ``n_top`` leading eigenvectors, :math:`Q_3`
    those with eigenvalue :math:`\le` ``null_tol`` :math:`\lambda_1` (for the symmetric initialization
    the paired neurons make half of the :math:`md` directions an exact null space: equal moves of a
    pair), and :math:`Q_2` the rest. Learner ``"LQ-reg"`` takes ``n_top`` =
    :func:`sphere_polynomial_dimension` (d, k) (``top_degree`` replaces k there) and
    ``null_tol`` = :math:`d^{-(k+1)}` (the
    inner-product kernel's degree-l eigenvalues scale as :math:`d^{-l}`, so the bottom group is below
    the degree-(k+1) scale), with k = degree - 1 (at least 1). The same W feeds :math:`f^L` and
    :math:`f^Q` (the slides' Taylor expansion); with the penalty large, W lies in
    :math:`Q_1 \oplus Q_3`, where :math:`f^L`'s test predictions are those of its :math:`Q_1` part up
    to eigenvalues :math:`\le` ``null_tol`` :math:`\lambda_1`, while :math:`f^Q` is free in the
    whole of :math:`Q_1 \oplus Q_3`. ``reg`` is :math:`\lambda`, in units of
    :math:`\lambda_1(\hat\Sigma)`. Called on ``w_move`` it returns ``(value, gradient)``.

    Measured (sparse target, k = 1, d = 8, width 64, n = 16 to 128, 2-4 seeds): with the top group
    of degree :math:`\le k` the regularized fit had a *higher* test loss than the plain
    :math:`f^L + f^Q` fit at every n (both interpolate the training set; at d = 8 the spectrum shows
    no gap between degrees 1 and 2, so the top d + 1 directions are not cleanly the linear
    functions); with ``top_degree`` = k + 1 it is within noise of the plain fit. At width 256 it was
    lower at n = 2d and slightly higher at 4d and 8d. The slides' guarantee needs m = poly(d) and a
    spectral gap, far beyond these sizes.
    """

    def __init__(self, w_init, w_out, x_unlabeled, *, n_top, reg=1.0, null_tol=1e-9, activation="relu3",
                 chunk=4096):
        x_unlabeled = validate.matrix("x_unlabeled", x_unlabeled)
        validate.same_dim("w_init", w_init, "x_unlabeled", x_unlabeled)
        n_top = validate.integer("n_top", n_top, minimum=1)
        self.reg = validate.nonnegative("reg", reg)
        null_tol = validate.probability("null_tol", null_tol)
        m, d = np.shape(w_init)
        values, vectors = np.linalg.eigh(feature_covariance(x_unlabeled, w_init, w_out, activation=activation,
                                                            chunk=chunk))
        values, vectors = values[::-1], vectors[:, ::-1]
        self.eigenvalues = values
        self.top_value = float(values[0])
        is_null = values <= null_tol * self.top_value
        self.n_null = int(np.sum(is_null))
        self.n_top = min(n_top, m * d - self.n_null)
        bad = ~is_null
        bad[:self.n_top] = False
        self.n_bad = int(np.sum(bad))
        self._bad = vectors[:, bad]  # (m d, |Q_2|)
        self._weight = self.reg * self.top_value

    def middle_share(self, w_move):
        r"""The share of :math:`\|W\|_F^2` in the middle directions :math:`Q_2`: :math:`\|P_{Q_2}\mathrm{vec}W\|^2/\|W\|_F^2`."""
        coords = self._bad.T @ w_move.ravel()
        total = float(np.sum(w_move**2))
        return float(coords @ coords) / total if total > 0 else 0.0

    def __call__(self, w_move):
        coords = self._bad.T @ w_move.ravel()
        value = 0.5 * self._weight * float(coords @ coords)
        return value, (self._weight * (self._bad @ coords)).reshape(w_move.shape)


# --------------------------------------------------------------------------------------------
# (c) randomized network, noisy GD


def fit_randomized(x, y, w_init, w_out, *, steps=300, learning_rate=None, reg=1e-4, noise=1e-3, sign_draws=1,
                   activation="relu3", init_scale=1.0, rng):
    r"""Noisy GD on :math:`E_\Sigma \frac1{2n}\sum_i (f_{W_0+W\Sigma}(x_i) - y_i)^2 + \lambda\|W\|_{2,4}^8`.

    Theorem 4's perturbed descent (:func:`boundcheck.numeric.landscape.regularized_risk_descent`, the
    paper's regularizer power 8): every step draws ``sign_draws`` fresh sign vectors (a Monte
    Carlo gradient of the expectation) and adds :math:`N(0, \eta\,\mathrm{noise}^2)` to every weight
    (:math:`\eta` the first step). A divergence guard steps back and halves the step when the
    sampled objective exceeds ten times its starting value. The default step is :math:`2\sqrt m`.
    Returns ``w_move``.
    """
    x = validate.matrix("x", x)
    m = np.shape(w_init)[0]
    lr = 2.0 * math.sqrt(m) if learning_rate is None else validate.positive("learning_rate", learning_rate)
    w = rng.standard_normal(np.shape(w_init)) * (init_scale * m**-0.25 / math.sqrt(x.shape[1]))
    reg = validate.nonnegative("reg", reg)
    noise = validate.nonnegative("noise", noise)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging step is caught by the guard
        return regularized_risk_descent(x, y, w_init, w_out, w, reg=reg, steps=steps, step_size=lr,
                                        sign_draws=sign_draws, noise=math.sqrt(lr) * noise, rng=rng, loss="squared",
                                        activation=activation, guard=10.0)


# --------------------------------------------------------------------------------------------
# one learner on one problem


def fit_point_losses(learner, problem, n_value, *, width, radius, steps, rng, activation="relu3", degree=2,
                     reg=1.0, top_degree=None):
    """Fit ``learner`` on the first ``n_value`` pool points; the per-test-point losses, shape (n_test,)."""
    x, y = problem.x_pool[:n_value], problem.y_pool[:n_value]
    if learner == "ntk":
        return problem.point_losses(fit_ntk(x, y, problem.x_test))
    w_init, w_out = symmetric_init(width, x.shape[1], rng=rng)
    if learner == "randomized":
        w = fit_randomized(x, y, w_init, w_out, steps=steps, rng=rng, activation=activation)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(32, width))
        preds = randomized_network(problem.x_test, w_init, w_out, w, signs, activation=activation)
        return problem.point_losses(preds)
    penalty = None
    if learner == "LQ-reg":
        dim = x.shape[1]
        # a child stream, so the fit's own draws match "linear+quadratic" (reg = 0 gives the same fit)
        x_unlabeled = problem.sample_inputs(max(2 * width * dim, 200), rng=rng.spawn(1)[0])
        k = max(degree - 1, 1)
        top = k if top_degree is None else validate.integer("top_degree", top_degree, minimum=0)
        penalty = EigenRegularizer(w_init, w_out, x_unlabeled, reg=reg, activation=activation,
                                   n_top=sphere_polynomial_dimension(dim, top), null_tol=float(dim) ** -(k + 1))
    orders = _ORDERS[learner]
    w = fit_taylor(x, y, w_init, w_out, orders=orders, radius=radius, steps=steps, rng=rng, activation=activation,
                   penalty=penalty)
    return problem.point_losses(predict_taylor(problem.x_test, w_init, w_out, w, orders, activation))


def fit_and_score(learner, problem, n_value, **kw):
    """The test loss of ``learner`` fitted on the first ``n_value`` pool points (mean of :func:`fit_point_losses`)."""
    return float(np.mean(fit_point_losses(learner, problem, n_value, **kw)))
