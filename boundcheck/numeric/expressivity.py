r"""Monte Carlo quantities of the expressivity results (Lemma 9, Lemma 15, Theorem 7), batched.

The closed forms live in :mod:`boundcheck.symbolic.expressivity`; this module draws the samples
the checks of :mod:`boundcheck.lemmas.expressivity` compare with them.

Theorem 7's reduction (Appendix C.4). With the symmetric initialization and
:math:`W_{*,r} = 2m^{-1/4}w_+(w_{0,r})`, :math:`W_{*,r+m/2} = 2m^{-1/4}w_-(w_{0,r})`,

.. math:: f^Q_{W_*}(x) = \Big[\frac{2}{m}\sum_{r\le m/2}\mathrm{relu}(w_{0,r}^\top x)\,a(w_{0,r})\Big](\beta^\top x)^2,
   \qquad \|W_*\|_{2,4}^4 = 8\|\beta\|^4\,\frac{2}{m}\sum_{r\le m/2}a(w_{0,r})^2,

and :math:`a(w_0)` depends on :math:`w_0` only through :math:`Z = B_x w_0^\top\hat\beta \sim N(0, 1)`.
:func:`theorem7_quadratic_values` evaluates the first form for many initializations at once (it
equals ``network.quadratic_model`` at :math:`W_*`, which the check verifies at every width), and
:func:`theorem7_norm_samples` draws the second from Z alone.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from .._lazy import lazy
from ..losses import get_loss
from ..network import norm_24, quadratic_model, symmetric_init

ex = lazy("boundcheck.symbolic.expressivity")  # sympy: loaded when a closed form is first needed

__all__ = ["random_direction", "point_along", "points_at_correlations", "lemma9_scaling_series",
           "lemma15_fourth_moment_samples", "theorem7_quadratic_values", "theorem7_series", "theorem7_reduction_error",
           "theorem7_mean_square_samples", "theorem7_norm_samples"]

#: Floats per chunk of a batched (draws, neurons, inputs) array (about 64 MB).
_CHUNK_FLOATS = 8 * 2**20


def random_direction(dim, norm=1.0, *, rng):
    r"""A vector of length ``norm`` in a uniformly random direction of :math:`\mathbb R^d` (e.g. :math:`\beta`)."""
    dim = validate.integer("dim", dim, minimum=1)
    g = rng.standard_normal(dim)
    return validate.positive("norm", norm) * g / np.linalg.norm(g)


def point_along(beta, input_radius=1.0):
    r"""The input :math:`x = B_x\hat\beta` (shape (1, d)): where :math:`\alpha(\beta^\top x)^p =
    \alpha(B_x\|\beta\|)^p` is largest, so an identity for the target is tested at the target's own scale."""
    beta = validate.vector("beta", beta)
    return (validate.positive("input_radius", input_radius) * beta / np.linalg.norm(beta))[None, :]


def points_at_correlations(beta, correlations, input_radius=1.0, *, rng):
    r"""Inputs of :math:`S^{d-1}(B_x)` with :math:`\hat x^\top\hat\beta` equal to each of ``correlations``.

    Returns shape (len(correlations), d); the part orthogonal to :math:`\hat\beta` is random.
    """
    beta = validate.vector("beta", beta)
    unit = beta / np.linalg.norm(beta)
    g = rng.standard_normal((len(correlations), beta.shape[0]))
    g -= (g @ unit)[:, None] * unit
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    rho = np.asarray(correlations, dtype=np.float64)[:, None]
    return validate.positive("input_radius", input_radius) * (rho * unit + np.sqrt(1.0 - rho**2) * g)


def lemma9_scaling_series(beta, coef, degree, scales, *, varied, replicates, draws, input_radius=1.0, rng):
    r"""Monte Carlo :math:`E[a(w_0)^2]` with :math:`B_x` (``varied="input_radius"``) or :math:`\|\beta\|`
    (``varied="beta_norm"``) multiplied by each of ``scales``.

    Returns an array of shape ``(replicates, len(scales))``; every entry is a mean over ``draws``
    fresh importance-sampled features (independent across entries), so each row is an
    independent replicate series for :func:`boundcheck.results.rate`. :math:`a(w_0)` depends on
    :math:`w_0` only through :math:`B_xw_0^\top\hat\beta \sim N(0, 1)`, so the features are drawn
    along :math:`\hat\beta` alone (one dimension; the same values as in dimension d).
    """
    validate.choice("varied", varied, ("input_radius", "beta_norm"))
    beta_norm = float(np.linalg.norm(validate.vector("beta", beta)))
    input_radius = validate.positive("input_radius", input_radius)
    replicates = validate.integer("replicates", replicates, minimum=1)
    out = np.empty((replicates, len(scales)))
    for j, t in enumerate(scales):  # a few scales x replicates, each a batched draw of `draws` features
        radius = t * input_radius if varied == "input_radius" else input_radius
        b = np.array([beta_norm * (t if varied == "beta_norm" else 1.0)])
        for i in range(replicates):
            w0, weights = ex.importance_initial_weights(draws, b, input_radius=radius, rng=rng)
            a = ex.random_feature_coefficient(w0, b, coef, degree, input_radius=radius)
            out[i, j] = float(np.mean(weights * a**2))
    return out


def lemma15_fourth_moment_samples(beta, coef, degree, draws, *, input_radius=1.0, rng):
    r"""Weighted draws of :math:`\|w_+(w_0)\|^4 + \|w_-(w_0)\|^4` (equation (22)); their mean estimates
    :math:`E[\|w_+\|^4 + \|w_-\|^4] = \|\beta\|^4E[a^2]`.

    Importance-sampled along :math:`\hat\beta` (:func:`~boundcheck.symbolic.expressivity.importance_initial_weights`):
    :math:`\|w_\pm\|^4` is a squared Hermite polynomial of :math:`B_xw_0^\top\hat\beta`, too heavy-tailed
    for a t-interval under plain sampling.
    """
    w0, weights = ex.importance_initial_weights(draws, beta, input_radius=input_radius, rng=rng)
    w_plus, w_minus = ex.lemma15_directions(w0, beta, coef, degree, input_radius=input_radius)
    return weights * (np.sum(w_plus**2, axis=1) ** 2 + np.sum(w_minus**2, axis=1) ** 2)


def theorem7_quadratic_values(w_half, x, beta, coef, degree, *, input_radius=1.0):
    r""":math:`f^Q_{W_*}(x_i)` for a batch of symmetric initializations, through C.4's reduction.

    ``w_half`` has shape (draws, m/2, d): the distinct rows :math:`w_{0,r}`, r <= m/2, of each
    initialization. Returns shape (draws, n).
    """
    draws, half, dim = w_half.shape
    a = ex.random_feature_coefficient(w_half.reshape(-1, dim), beta, coef, degree - 2,
                                      input_radius=input_radius).reshape(draws, half)
    features = w_half.reshape(-1, dim) @ x.T  # one GEMM
    features = np.maximum(features, 0.0, out=features).reshape(draws, half, -1)  # relu in place
    return (1.0 / half) * np.einsum("krn,kr->kn", features, a) * (x @ beta) ** 2


def _in_chunks(total, per_draw):
    """Draw counts per chunk so that a chunk holds about _CHUNK_FLOATS floats."""
    step = max(1, _CHUNK_FLOATS // max(per_draw, 1))
    return [min(step, total - start) for start in range(0, total, step)]


def theorem7_series(x, beta, coef, degree, widths, *, replicates, draws, loss="logistic", input_radius=1.0, rng):
    r"""Theorem 7's deviation and loss gap at each width, as independent replicate series.

    For each width m and each of ``replicates`` x ``draws`` symmetric initializations (fresh
    :math:`w_{0,r} \sim N(0, B_x^{-2}I)`): :math:`\max_i|f^Q_{W_*}(x_i) - f_*(x_i)|`, the mean
    :math:`\frac1n\sum_i|f^Q_{W_*}(x_i) - f_*(x_i)|`, and :math:`|L^Q(W_*) - L(f_*)|` with labels
    :math:`y = \mathrm{sign} f_*`. Returns a dict of arrays of shape (replicates, draws, len(widths)):
    ``max_deviation``, ``mean_deviation``, ``loss_gap``; and ``loss_star`` (:math:`L(f_*)`).
    """
    x = validate.matrix("x", x)
    replicates = validate.integer("replicates", replicates, minimum=1)
    draws = validate.integer("draws", draws, minimum=1)
    loss = get_loss(loss)
    n, dim = x.shape
    f_star = ex.polynomial_target(x, beta, coef, degree)
    y = np.where(f_star >= 0, 1.0, -1.0)
    loss_star = float(np.mean(loss.value(y, f_star)))
    shape = (replicates * draws, len(widths))
    out = {key: np.empty(shape) for key in ("max_deviation", "mean_deviation", "loss_gap")}
    for k, m in enumerate(widths):  # a sweep over widths; each chunk of initializations is one batched draw
        start = 0
        for count in _in_chunks(shape[0], (m // 2) * max(n, dim)):
            w_half = rng.standard_normal((count, m // 2, dim)) / input_radius
            f_q = theorem7_quadratic_values(w_half, x, beta, coef, degree, input_radius=input_radius)
            gap = np.abs(f_q - f_star)
            rows = slice(start, start + count)
            out["max_deviation"][rows, k] = np.max(gap, axis=1)
            out["mean_deviation"][rows, k] = np.mean(gap, axis=1)
            out["loss_gap"][rows, k] = np.abs(np.mean(loss.value(y, f_q), axis=1) - loss_star)
            start += count
    out = {key: v.reshape(replicates, draws, len(widths)) for key, v in out.items()}
    out["loss_star"] = loss_star
    return out


def theorem7_reduction_error(x, beta, coef, degree, width, *, input_radius=1.0, rng):
    r"""C.4's reduction on one symmetric initialization at ``width``: ``(error, scale, norm_error)``.

    ``error`` is :math:`\max_i|f^Q_{W_*}(x_i) - \text{reduction}(x_i)|` between the network's
    quadratic model at C.4's :math:`W_*` (``network.quadratic_model``, :math:`\sigma = \mathrm{relu}^3/6`)
    and :func:`theorem7_quadratic_values`; ``scale`` is the largest sum of absolute terms
    :math:`\frac2m\sum_r\mathrm{relu}(w_{0,r}^\top x_i)|a_r|(\beta^\top x_i)^2` (for a rounding bound);
    ``norm_error`` the relative error of :math:`\|W_*\|_{2,4}^4 = 8\|\beta\|^4\frac2m\sum_r a_r^2`.
    """
    w_init, w_out = symmetric_init(width, x.shape[1], input_radius=input_radius, rng=rng)
    w_star = ex.theorem7_w_star(w_init, beta, coef, degree, input_radius=input_radius)
    network_value = quadratic_model(x, w_init, w_out, w_star, activation="relu3")
    half = w_init[None, : width // 2]
    reduction = theorem7_quadratic_values(half, x, beta, coef, degree, input_radius=input_radius)[0]
    a = ex.random_feature_coefficient(half[0], beta, coef, degree - 2, input_radius=input_radius)
    scale = float(np.max((2.0 / width) * (np.maximum(half[0] @ x.T, 0.0).T @ np.abs(a)) * (x @ beta) ** 2))
    norm4 = float(norm_24(w_star)) ** 4
    expected_norm4 = 8.0 * float(np.linalg.norm(beta)) ** 4 * float(np.mean(a**2))
    return float(np.max(np.abs(network_value - reduction))), scale, abs(norm4 - expected_norm4) / expected_norm4


def theorem7_mean_square_samples(x, beta, coef, degree, width, n_draws, *, input_radius=1.0, rng):
    r"""Per initialization, :math:`\frac1n\sum_i(f^Q_{W_*}(x_i) - f_*(x_i))^2` at ``width``, shape (n_draws,).

    Their mean estimates :math:`\frac{2}{mn}\sum_i(\beta^\top x_i)^4\,\mathrm{Var}(\mathrm{relu}(w_0^\top x_i)a(w_0))`
    (:func:`~boundcheck.symbolic.expressivity.theorem7_deviation_second_moment`), the variance
    behind the Chebyshev step of Appendix C.4.
    """
    x = validate.matrix("x", x)
    width = validate.even_width("width", width)
    n_draws = validate.integer("n_draws", n_draws, minimum=1)
    f_star = ex.polynomial_target(x, beta, coef, degree)
    out = []
    for count in _in_chunks(n_draws, (width // 2) * x.shape[0]):  # a loop over memory chunks of draws
        w_half = rng.standard_normal((count, width // 2, x.shape[1])) / input_radius
        f_q = theorem7_quadratic_values(w_half, x, beta, coef, degree, input_radius=input_radius)
        out.append(np.mean((f_q - f_star) ** 2, axis=1))
    return np.concatenate(out)


def theorem7_norm_samples(beta_norm, coef, degree, width, n_draws, *, input_radius=1.0, rng):
    r"""Draws of :math:`\|W_*\|_{2,4}^4 = 8\|\beta\|^4\frac2m\sum_{r\le m/2}a(w_{0,r})^2` over ``n_draws``
    initializations at ``width``, shape (n_draws,).

    :math:`a(w_0)` depends on :math:`w_0` only through :math:`Z = B_xw_0^\top\hat\beta \sim N(0,1)`, so
    the draws come from one (n_draws, m/2) array of Z (taking :math:`\beta = \|\beta\| e_1` in one
    dimension gives the same values as in dimension d).
    """
    width = validate.even_width("width", width)
    n_draws = validate.integer("n_draws", n_draws, minimum=1)
    z = rng.standard_normal((n_draws, width // 2))
    a = ex.random_feature_coefficient(z.reshape(-1, 1) / input_radius, np.array([float(beta_norm)]), coef,
                                      degree - 2, input_radius=input_radius).reshape(z.shape)
    return 8.0 * float(beta_norm) ** 4 * np.mean(a**2, axis=1)
