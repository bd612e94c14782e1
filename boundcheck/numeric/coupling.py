r"""Coupling of the randomized network with its quadratic model: Lemmas 10-14 (Appendix B.2-B.3).

Each ``lemma*_bound`` returns the right side with the constants the proof gives, written with

* :math:`C`: the Assumption A constant (1 for boundcheck's ``relu3`` = relu^3/6);
* :math:`t = B_x\max_r\|w_{0,r}\|` (:func:`boundcheck.numeric.landscape.init_sup`), which is
  :math:`\sup_{x\in S^{d-1}(B_x)}\max_r|w_{0,r}^\top x|`; the paper replaces it by
  :math:`\tilde O(\sqrt d)` through (4);
* :math:`N = \|W\|_{2,4}`, :math:`N_* = \|W_*\|_{2,4}`;
* :math:`\sup|\ell'| \le 1`, :math:`\sup|\ell''| \le 1` (the paper's loss hypotheses).

Steps, in the order of the proofs:

* Lemma 10: :math:`|f^Q_W(x)| \le \frac C2 tB_x^2N^2`.
* Lemma 11(a): :math:`E_\Sigma f^L_{W\Sigma}(x)^2 = \frac1m\sum_r\sigma'(p_r)^2u_r^2
  \le C^2t^4B_x^2N^2m^{-1/2}`.
* Lemma 11(b): :math:`|\Delta| = |f_{W_0+W\Sigma} - f^L - f^Q| \le \frac{C}{6}B_x^3N^3m^{-1/4}`
  (Taylor with :math:`\sigma''` C-Lipschitz: :math:`|\sigma(p+s)-\sigma(p)-\sigma'(p)s-\sigma''(p)s^2/2|
  \le C|s|^3/6`, then Hölder :math:`\sum_r\|w_r\|^3 \le m^{1/4}N^3`).
* Lemma 12: :math:`|\widetilde L - L^Q| \le S_{12} := m^{-1/4}\sqrt{2C^2t^4B_x^2N^2 + \frac{C^2}{18}B_x^6N^6}`.
* Lemma 13: :math:`|\langle\nabla\widetilde L - \nabla L^Q, W\rangle| \le (Ct^2B_xN + \frac C2B_x^3N^3)m^{-1/4}
  + S_{12}\,CtB_x^2N^2`.
* Lemma 14: :math:`|E_{\Sigma'}(\nabla^2\widetilde L - \nabla^2L^Q)[W_*\Sigma', W_*\Sigma']| \le
  8C^2B_x^2N_*^2(t^4m^{-1/2} + B_x^4N^4m^{-1}) + C^2t^2B_x^4N^2N_*^2m^{-1} + CB_x^3NN_*^2m^{-1/4}
  + S_{12}\,CtB_x^2N_*^2`.

The leading rate of every bound in 11(b)-14 is :math:`m^{-1/4}` (11(a): :math:`m^{-1/2}`), as printed.

Below the bounds, the quantities the checks of :mod:`boundcheck.lemmas.coupling` and
:mod:`boundcheck.lemmas.higher_order` compare: both sides of Lemmas 10-11 at many W (with closed-form
extremizers, and the exact supremum of the Taylor remainder over all :math:`2^m` sign patterns), the
Monte Carlo samples of Lemmas 12-14, the sizes of Section 3 and Section 6 (exact over the
randomization), and :func:`pooled_sweep`, the independent replicate sweeps in m behind every rate.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import math
import threading

import numpy as np

from .. import _validate as validate
from ..activations import get_activation
from ..network import norm_24, quadratic_model, symmetric_init
from .landscape import init_sup

__all__ = [
    "planted_problem", "aligned_move", "random_in_ball", "assumption_constant", "bound_context", "lemma10_bound",
    "lemma11a_bound", "lemma11b_bound", "lemma12_bound", "lemma13_bound", "lemma14_bound",
    # quantities of the checks (appended for the verdict rule of issue 11)
    "pooled_sweep", "fitted_exponent", "pooled_power_law", "SECTION3_MOVES", "one_sided_move", "section3_move",
    "sign_draws", "linear_term_for_signs", "linear_second_moment", "section3_cell", "quadratic_model_extremizer",
    "linear_second_moment_extremizer", "remainder_extremizer", "remainder_sup_over_signs", "remainder_for_signs",
    "lemma10_sides", "lemma11_sides", "lemma11_cell", "COUPLING_KINDS", "coupling_samples", "coupling_bound",
    "coupling_cell", "moment_pair", "section6_moments", "section6_cell", "section6_leading_constants",
    "taylor_second_moments",
]


def _sphere(n, d, input_radius, rng):
    g = rng.standard_normal((n, d))
    return g * (input_radius / np.linalg.norm(g, axis=1, keepdims=True))


def aligned_move(w_out, dim, radius, *, rng, input_radius=1.0, directions=1):
    r"""A movement W with :math:`\|W\|_{2,4}` = ``radius`` whose quadratic model is O(1) in m.

    Rows :math:`w_r` on the :math:`a_r = +1` half are one of ``directions`` fixed unit vectors
    :math:`\beta` (assigned at random), scaled so that :math:`\|w_r\| \propto m^{-1/4}`; the other
    half is 0. Then :math:`f^Q_W(x) = \frac{1}{2\sqrt m}\sum_{a_r=1}\sigma''(p_r)(w_r^\top x)^2` adds
    up without cancelling (order 1). What matters is that the moving rows share one output sign
    (:func:`boundcheck.hypotheses.no_sign_cancellation`), not that they are aligned: independent random
    rows on the :math:`a_r = +1` half (:func:`one_sided_move`) are order 1 too, whereas independent rows
    on every neuron cancel across :math:`a_r` and give :math:`f^Q = O(m^{-1/2})`.
    """
    m = w_out.shape[0]
    beta = rng.standard_normal((directions, dim))
    beta /= np.linalg.norm(beta, axis=1, keepdims=True)
    rows = beta[rng.integers(0, directions, size=m)] * (w_out > 0)[:, None]
    return rows * (radius / norm_24(rows)) / 1.0 if np.any(rows) else rows


def random_in_ball(width, dim, radius, *, rng, min_fraction=0.2):
    r"""A W with i.i.d. Gaussian rows rescaled to :math:`\|W\|_{2,4} = u\cdot` ``radius``,
    :math:`u \sim \mathrm{Unif}[` ``min_fraction`` :math:`, 1]`."""
    rows = rng.standard_normal((width, dim))
    return rows * (radius * rng.uniform(min_fraction, 1.0) / norm_24(rows))


def planted_problem(n_samples, width, dim, *, radius_star=None, input_radius=1.0, loss="logistic", rng,
                    aligned=True, label_noise=0.0, output_scale=2.0):
    r"""A data set whose labels come from a planted quadratic model :math:`f^Q_{W_*}`.

    ``x`` uniform on :math:`S^{d-1}(B_x)`, symmetric initialization (3), :math:`W_*` with
    :math:`\|W_*\|_{2,4}` = ``radius_star`` (:func:`aligned_move` when ``aligned``, else random
    rows; when ``radius_star`` is None, :math:`W_*` is scaled so that the root mean square of
    :math:`f^Q_{W_*}(x_i)` is ``output_scale``, which makes the teacher's outputs order 1), labels
    :math:`y = \mathrm{sign}(f^Q_{W_*}(x) - \mathrm{median})` for classification losses
    (each flipped with probability ``label_noise``) and :math:`y = f^Q_{W_*}(x)` for squared loss.
    Returns a dict with ``x, y, w_init, w_out, w_star``.
    """
    n_samples = validate.integer("n_samples", n_samples, minimum=2)
    dim = validate.integer("dim", dim, minimum=1)
    if radius_star is not None:
        radius_star = validate.positive("radius_star", radius_star)
    input_radius = validate.positive("input_radius", input_radius)
    x = _sphere(n_samples, dim, input_radius, rng)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    if aligned:
        w_star = aligned_move(w_out, dim, radius_star or 1.0, rng=rng, input_radius=input_radius, directions=2)
    else:
        w_star = random_in_ball(width, dim, radius_star or 1.0, rng=rng, min_fraction=1.0)
    fstar = quadratic_model(x, w_init, w_out, w_star)
    if radius_star is None:  # f^Q is 2-homogeneous in W_*
        factor = output_scale / max(float(np.sqrt(np.mean(fstar**2))), 1e-300)
        w_star, fstar = w_star * math.sqrt(factor), fstar * factor
    if loss == "squared":
        y = fstar
    else:
        y = np.where(fstar >= np.median(fstar), 1.0, -1.0)
        if label_noise:
            y = np.where(rng.random(n_samples) < label_noise, -y, y)
    return dict(x=x, y=y, w_init=w_init, w_out=w_out, w_star=w_star)


def assumption_constant(activation):
    """Assumption A's C for ``activation`` (the C of every bound here); bad input when it violates Assumption A."""
    from ..activations import check_assumption_a

    result = check_assumption_a(activation)
    if not result.holds:
        raise validate.BoundcheckInputError(
            f"activation must satisfy Assumption A for the bounds of Appendix B (e.g. 'relu3'); {activation!r} "
            f"fails the clause {result.failing_clause}")
    return float(result.constant)


def bound_context(w_init, w_move, w_star=None, *, input_radius=1.0, constant=1.0):
    """The numbers every bound uses: ``m, t, N, N_star, B_x, C``."""
    return dict(m=w_init.shape[0], t=init_sup(w_init, input_radius), N=float(norm_24(w_move)),
                N_star=float(norm_24(w_star)) if w_star is not None else float("nan"), B=float(input_radius),
                C=float(constant))


def lemma10_bound(ctx):
    r"""Lemma 10: :math:`\sup_x|f^Q_W(x)| \le \frac C2 t B_x^2\|W\|_{2,4}^2`."""
    return ctx["C"] / 2 * ctx["t"] * ctx["B"] ** 2 * ctx["N"] ** 2


def lemma11a_bound(ctx):
    r"""Lemma 11(a): :math:`E_\Sigma f^L_{W\Sigma}(x)^2 \le C^2t^4B_x^2\|W\|_{2,4}^2m^{-1/2}`."""
    return ctx["C"] ** 2 * ctx["t"] ** 4 * ctx["B"] ** 2 * ctx["N"] ** 2 / math.sqrt(ctx["m"])


def lemma11b_bound(ctx):
    r"""Lemma 11(b): :math:`|\Delta| \le \frac C6 B_x^3\|W\|_{2,4}^3m^{-1/4}`."""
    return ctx["C"] / 6 * ctx["B"] ** 3 * ctx["N"] ** 3 * ctx["m"] ** -0.25


def _s12(ctx):
    c, t, b, n = ctx["C"], ctx["t"], ctx["B"], ctx["N"]
    return ctx["m"] ** -0.25 * math.sqrt(2 * c**2 * t**4 * b**2 * n**2 + c**2 / 18 * b**6 * n**6)


def lemma12_bound(ctx, *, lipschitz=1.0):
    r"""Lemma 12: :math:`|\widetilde L(W) - L^Q(W)| \le \mathrm{Lip}(\ell)\,S_{12}` (see the module docstring)."""
    return lipschitz * _s12(ctx)


def lemma13_bound(ctx, *, first=1.0, second=1.0):
    r"""Lemma 13: terms I + III (:math:`\sup|\ell'|` = ``first``) plus term II (:math:`\sup|\ell''|` = ``second``)."""
    c, t, b, n, m = ctx["C"], ctx["t"], ctx["B"], ctx["N"], ctx["m"]
    return first * (c * t**2 * b * n + c / 2 * b**3 * n**3) * m**-0.25 + second * _s12(ctx) * c * t * b**2 * n**2


def lemma14_bound(ctx, *, first=1.0, second=1.0):
    r"""Lemma 14: :math:`I(L) + I(L^Q) + |II(L) - II(L^Q)|` with the constants of the proof."""
    c, t, b, n, ns, m = ctx["C"], ctx["t"], ctx["B"], ctx["N"], ctx["N_star"], ctx["m"]
    i_net = second * 8 * c**2 * b**2 * ns**2 * (t**4 / math.sqrt(m) + b**4 * n**4 / m)
    i_clean = second * c**2 * t**2 * b**4 * n**2 * ns**2 / m
    ii = first * c * b**3 * n * ns**2 * m**-0.25 + second * _s12(ctx) * c * t * b**2 * ns**2
    return i_net + i_clean + ii


# ------------------------------------------------------------------------------------------------
# sweeps in m for the rate records (boundcheck.lemmas.coupling, higher_order)


def pooled_sweep(cell, widths, *, replicates, rng, pool=None):
    r"""Independent replicate sweeps of ``cell(width, rng)`` over ``widths``, for the rate fits of
    :func:`boundcheck.results.rate`.

    ``cell`` returns a dict of numbers (or arrays) and of booleans (hypotheses met on its arrays). Each
    (replicate, width) averages the numbers of ``ceil(pool / width)`` independent cells (``pool``
    defaults to the largest width) and requires every boolean: the small widths, cheap and noisy, are
    then measured about as precisely as the largest one, for a cost per width about that of the
    largest cell. Replicates share nothing, so the Student t interval over their fitted slopes is valid.

    Returns ``{key: array of shape (replicates, len(widths), ...)}`` for numbers and ``{key: bool}``
    (met in every cell) for booleans.
    """
    widths = [int(m) for m in widths]
    pool = max(widths) if pool is None else int(pool)
    numbers, met = {}, {}
    for rep in range(replicates):  # independent replicate sweeps
        for j, m in enumerate(widths):  # sweep cells
            count = max(1, math.ceil(pool / m))
            for _ in range(count):  # pooled draws at this width
                for key, value in cell(m, rng).items():
                    if isinstance(value, (bool, np.bool_)):
                        met[key] = met.get(key, True) and bool(value)
                        continue
                    value = np.asarray(value, dtype=np.float64)
                    if key not in numbers:
                        numbers[key] = np.zeros((replicates, len(widths)) + value.shape)
                    numbers[key][rep, j] += value / count
    return {**numbers, **met}


def fitted_exponent(widths, values):
    r"""The mean over replicate rows of ``values`` (replicates, len(widths)) of the least-squares slope of
    :math:`\log` value against :math:`\log m` (for params; records use :func:`boundcheck.results.rate`)."""
    logs = np.log(np.atleast_2d(np.asarray(values, dtype=np.float64)))
    return float(np.mean(np.polyfit(np.log(np.asarray(widths, dtype=np.float64)), logs.T, 1)[0]))


def pooled_power_law(widths, values):
    r"""``(exponent, constant)`` of the least-squares fit :math:`c\,m^b` to the geometric mean over replicate
    rows of ``values`` (replicates, len(widths)) (for params and extrapolations)."""
    logs = np.mean(np.log(np.atleast_2d(np.asarray(values, dtype=np.float64))), axis=0)
    slope, intercept = np.polyfit(np.log(np.asarray(widths, dtype=np.float64)), logs, 1)
    return float(slope), float(np.exp(intercept))


# ------------------------------------------------------------------------------------------------
# Section 3: the sizes of f^L and f^Q


#: Movements of the Section 3 sweep (:func:`section3_move`).
SECTION3_MOVES = ("one-sided", "both-sided", "aligned")


def one_sided_move(w_out, dim, radius, *, rng):
    r"""A movement W with independent Gaussian rows on the :math:`a_r = +1` half, zero on the other
    half, rescaled to :math:`\|W\|_{2,4}` = ``radius`` (so :math:`\|w_r\| \propto m^{-1/4}`).

    Every term of :math:`f^Q_W` then has the sign of :math:`\sigma'' \ge 0`: there is no sign
    cancellation across :math:`a_r` (:func:`boundcheck.hypotheses.no_sign_cancellation`), and
    :math:`f^Q_W` is of order 1 without any alignment of the rows.
    """
    rows = rng.standard_normal((w_out.shape[0], dim)) * (np.asarray(w_out) > 0)[:, None]
    return rows * (radius / norm_24(rows))


def section3_move(w_out, dim, radius, *, rng, move="one-sided"):
    """The movement of the Section 3 sweep: ``one-sided`` (:func:`one_sided_move`), ``both-sided``
    (independent rows on every neuron, :func:`random_in_ball`) or ``aligned`` (:func:`aligned_move`)."""
    if move == "one-sided":
        return one_sided_move(w_out, dim, radius, rng=rng)
    if move == "both-sided":
        return random_in_ball(w_out.shape[0], dim, radius, rng=rng, min_fraction=1.0)
    if move == "aligned":
        return aligned_move(w_out, dim, radius, rng=rng, directions=2)
    raise ValueError(f"move must be one of {SECTION3_MOVES}; got {move!r}")


def linear_second_moment(x, w_init, w_move, *, activation="relu3"):
    r""":math:`E_\Sigma f^L_{W\Sigma}(x_i)^2 = \frac1m\sum_r\sigma'(w_{0,r}^\top x_i)^2(w_r^\top x_i)^2`,
    exact (the cross terms vanish as :math:`E\Sigma_{rr}\Sigma_{ss} = 0` for :math:`r \ne s`); shape (n,)."""
    act = get_activation(activation)
    return np.mean((act.derivative(x @ w_init.T, 1) * (x @ w_move.T)) ** 2, axis=1)


def sign_draws(draws, width, *, rng):
    r"""``draws`` i.i.d. sign vectors :math:`\Sigma_{rr} \sim \mathrm{Unif}\{\pm1\}`, shape (draws, width) (as
    :func:`boundcheck.network.sample_signs`, from integers: fast for many draws)."""
    return rng.integers(0, 2, size=(draws, width)).astype(np.float64) * 2.0 - 1.0


def linear_term_for_signs(x, w_init, w_out, w_move, signs, *, activation="relu3"):
    r""":math:`f^L_{W\Sigma}(x_i) = m^{-1/2}\sum_ra_r\Sigma_{rr}\sigma'(w_{0,r}^\top x_i)w_r^\top x_i` for each sign
    draw, shape (draws, n): linear in :math:`\Sigma`, one product."""
    act = get_activation(activation)
    coefficients = act.derivative(x @ w_init.T, 1) * (x @ w_move.T) * w_out
    return signs @ coefficients.T / math.sqrt(w_init.shape[0])


def section3_cell(width, rng, *, n_samples, dim, radius, input_radius=1.0, move="one-sided", activation="relu3"):
    r"""One draw of Section 3's sizes: inputs on the sphere of radius :math:`B_x`, symmetric
    initialization (3), a movement of :math:`\|W\|_{2,4}` = ``radius`` (:func:`section3_move`).

    Returns mean squares over the inputs: ``linear_sq`` of :math:`(E_\Sigma f^L_{W\Sigma}(x)^2)^{1/2}`
    (exact), ``quadratic_sq`` of :math:`f^Q_W(x)`, ``both_sided_sq`` of :math:`f^Q_{W'}(x)` for a W' of
    independent rows on every neuron (the cancelling contrast), and the hypotheses met on these
    arrays (:data:`boundcheck.hypotheses.SPHERE`, :data:`~boundcheck.hypotheses.NO_CANCELLATION`).
    """
    from .. import hypotheses as hyp

    x = _sphere(n_samples, dim, input_radius, rng)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    w_move = section3_move(w_out, dim, radius, rng=rng, move=move)
    contrast = random_in_ball(width, dim, radius, rng=rng, min_fraction=1.0)
    return dict(linear_sq=float(np.mean(linear_second_moment(x, w_init, w_move, activation=activation))),
                quadratic_sq=float(np.mean(quadratic_model(x, w_init, w_out, w_move, activation=activation) ** 2)),
                both_sided_sq=float(np.mean(quadratic_model(x, w_init, w_out, contrast, activation=activation) ** 2)),
                **hyp.inputs_on_sphere(x, input_radius), **hyp.no_sign_cancellation(w_move, w_out))


# ------------------------------------------------------------------------------------------------
# Lemmas 10 and 11: both sides at many W


def _along(x_point, weight, radius, *, power):
    r"""Rows :math:`w_r = \alpha_r x/\|x\|` with :math:`\alpha_r \propto` ``weight``:math:`^{power}` and
    :math:`\|W\|_{2,4}` = ``radius`` (zero when every weight is 0)."""
    alpha = np.asarray(weight, dtype=np.float64) ** power
    if not np.any(alpha > 0):
        return np.zeros((alpha.size, x_point.size))
    alpha = alpha * (radius / np.sum(alpha**4) ** 0.25)
    return alpha[:, None] * (x_point / np.linalg.norm(x_point))[None, :]


def quadratic_model_extremizer(x_point, w_init, w_out, radius, *, sign=1.0, activation="relu3"):
    r"""The W of :math:`\|W\|_{2,4} \le` ``radius`` that maximizes ``sign`` :math:`\cdot f^Q_W(x)` at one input x.

    :math:`f^Q_W(x) = \frac{1}{2\sqrt m}\sum_r a_r\sigma''(p_r)(w_r^\top x)^2` is largest with every
    :math:`w_r = \alpha_r x/\|x\|`, and :math:`\max\sum_rc_r\alpha_r^2` subject to :math:`\sum_r\alpha_r^4 \le N^4`
    is :math:`N^2\|(c)_+\|_2`, at :math:`\alpha_r^2 = N^2(c_r)_+/\|(c)_+\|_2` (Cauchy-Schwarz), with
    :math:`c_r` = ``sign`` :math:`a_r\sigma''(p_r)`.
    """
    act = get_activation(activation)
    x_point = np.asarray(x_point, dtype=np.float64).ravel()
    weight = np.maximum(sign * np.asarray(w_out) * act.derivative(w_init @ x_point, 2), 0.0)
    return _along(x_point, weight, radius, power=0.5)


def linear_second_moment_extremizer(x_point, w_init, radius, *, activation="relu3"):
    r"""The W of :math:`\|W\|_{2,4} \le` ``radius`` that maximizes :math:`E_\Sigma f^L_{W\Sigma}(x)^2` at one input:
    rows along x with :math:`\alpha_r^2 \propto \sigma'(p_r)^2` (Cauchy-Schwarz, as in
    :func:`quadratic_model_extremizer`)."""
    act = get_activation(activation)
    x_point = np.asarray(x_point, dtype=np.float64).ravel()
    return _along(x_point, act.derivative(w_init @ x_point, 1) ** 2, radius, power=0.5)


def remainder_extremizer(x_point, w_init, radius, *, activation="relu3"):
    r"""A W of :math:`\|W\|_{2,4}` = ``radius`` at which the Taylor remainder of Lemma 11(b) is large at one
    input: rows along x with :math:`\alpha_r \propto |\sigma^{(3)}(p_r)|`, the maximizer of the cubic
    term :math:`\sum_r|\sigma^{(3)}(p_r)|\alpha_r^3` subject to :math:`\sum_r\alpha_r^4 = N^4` (for ``relu3``:
    equal norms on the neurons with :math:`p_r > 0`)."""
    act = get_activation(activation)
    x_point = np.asarray(x_point, dtype=np.float64).ravel()
    return _along(x_point, np.abs(act.derivative(w_init @ x_point, 3)), radius, power=1.0)


def _remainder_per_neuron(x, w_init, w_out, w_move, act):
    r"""The terms of :math:`\sqrt m\,\Delta(x_i)` of each neuron r for :math:`\Sigma_{rr} = +1` and :math:`-1`,
    each (n, m): :math:`a_r[\sigma(p+su) - \sigma(p) - \sigma'(p)su - \sigma''(p)u^2/2]`."""
    pre, u = x @ w_init.T, x @ w_move.T
    base = act(pre) + act.derivative(pre, 2) * u * u / 2
    first = act.derivative(pre, 1) * u
    return (act(pre + u) - base - first) * w_out, (act(pre - u) - base + first) * w_out


def remainder_sup_over_signs(x, w_init, w_out, w_move, *, activation="relu3"):
    r""":math:`\max_\Sigma|\Delta_\Sigma(x_i)|` over all :math:`2^m` sign patterns, exactly, shape (n,).

    :math:`\Delta = f_{W_0+W\Sigma} - f_{W_0} - f^L_{W\Sigma} - f^Q_W` (Lemma 11(b), the Taylor remainder
    of its proof; :math:`f_{W_0} = 0` under (3)) is a sum over neurons of terms that each depend on one
    :math:`\Sigma_{rr}`, so its largest and smallest values over :math:`\Sigma` take the larger and the
    smaller term of every neuron.
    """
    act = get_activation(activation)
    plus, minus = _remainder_per_neuron(x, w_init, w_out, w_move, act)
    high, low = np.maximum(plus, minus).sum(axis=1), np.minimum(plus, minus).sum(axis=1)
    return np.maximum(high, -low) / math.sqrt(w_init.shape[0])


def remainder_for_signs(x, w_init, w_out, w_move, signs, *, activation="relu3"):
    r""":math:`\Delta_\Sigma(x_i)` of Lemma 11(b) for each sign draw, shape (draws, n)."""
    act = get_activation(activation)
    plus, minus = _remainder_per_neuron(x, w_init, w_out, w_move, act)
    up = (np.asarray(signs) > 0).astype(np.float64)
    return (up @ plus.T + (1.0 - up) @ minus.T) / math.sqrt(w_init.shape[0])


def lemma10_sides(x, w_init, w_out, moves, *, input_radius, constant=1.0, activation="relu3"):
    r"""Lemma 10 at each movement of ``moves``: ``(lhs, rhs)``, :math:`\max_i|f^Q_W(x_i)|` and
    :func:`lemma10_bound` with :math:`B_x` = ``input_radius``."""
    lhs = [float(np.max(np.abs(quadratic_model(x, w_init, w_out, w, activation=activation)))) for w in moves]
    rhs = [lemma10_bound(bound_context(w_init, w, input_radius=input_radius, constant=constant)) for w in moves]
    return np.array(lhs), np.array(rhs)  # both lists: a loop over candidate W


def lemma11_sides(x, w_init, w_out, moves, *, input_radius, constant=1.0, activation="relu3"):
    r"""Lemma 11 at each movement of ``moves``: (a) :math:`\max_iE_\Sigma f^L_{W\Sigma}(x_i)^2` (exact) and
    :func:`lemma11a_bound`; (b) :math:`\max_i\max_\Sigma|\Delta_\Sigma(x_i)|` over all sign patterns
    (:func:`remainder_sup_over_signs`) and :func:`lemma11b_bound`, with :math:`B_x` = ``input_radius``.

    Returns ``dict(second, second_bound, remainder, remainder_bound)``, arrays over the movements.
    """
    out = dict(second=[], second_bound=[], remainder=[], remainder_bound=[])
    for w in moves:  # a loop over candidate W
        ctx = bound_context(w_init, w, input_radius=input_radius, constant=constant)
        out["second"].append(float(np.max(linear_second_moment(x, w_init, w, activation=activation))))
        out["second_bound"].append(lemma11a_bound(ctx))
        out["remainder"].append(float(np.max(remainder_sup_over_signs(x, w_init, w_out, w, activation=activation))))
        out["remainder_bound"].append(lemma11b_bound(ctx))
    return {k: np.array(v) for k, v in out.items()}


def lemma11_cell(width, rng, *, n_samples, dim, radius, input_radius=1.0, draws=32, activation="relu3"):
    r"""One draw for Lemma 11's rates: inputs on the sphere, symmetric initialization, a movement of
    independent Gaussian rows with :math:`\|W\|_{2,4}` = ``radius``. Returns ``second``: the mean over inputs of
    :math:`E_\Sigma f^L_{W\Sigma}(x)^2` (exact), and ``remainder``: the mean of :math:`|\Delta_\Sigma(x)|` over
    inputs and ``draws`` random sign draws; and :data:`boundcheck.hypotheses.BALL` on the inputs."""
    from .. import hypotheses as hyp

    x = _sphere(n_samples, dim, input_radius, rng)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    w_move = random_in_ball(width, dim, radius, rng=rng, min_fraction=1.0)
    signs = sign_draws(draws, width, rng=rng)
    remainder = remainder_for_signs(x, w_init, w_out, w_move, signs, activation=activation)
    return dict(second=float(np.mean(linear_second_moment(x, w_init, w_move, activation=activation))),
                remainder=float(np.mean(np.abs(remainder))), **hyp.inputs_in_ball(x, input_radius))


# ------------------------------------------------------------------------------------------------
# Lemmas 12-14: the randomized landscape against the quadratic model's

#: The left sides of Lemmas 12, 13 and 14 (:func:`coupling_samples`).
COUPLING_KINDS = ("risk", "gradient", "hessian")


def coupling_samples(kind, x, y, w_init, w_out, w_move, w_star, signs, *, loss="logistic", activation="relu3"):
    r"""Per sign draw, a sample whose mean over :math:`\Sigma` is the left side of Lemma 12 (``risk``:
    :math:`\widetilde L(W) - L^Q(W)`), 13 (``gradient``: :math:`\langle\nabla\widetilde L(W) - \nabla L^Q(W), W\rangle`)
    or 14 (``hessian``: :math:`E_{\Sigma'}(\nabla^2\widetilde L - \nabla^2L^Q)(W)[W_*\Sigma', W_*\Sigma']`), with an
    exactly mean-zero control variate subtracted (:func:`boundcheck.numeric.landscape.randomized_sides`)."""
    s = _coupling_sides(x, y, w_init, w_out, w_move, w_star, signs, loss, activation)
    if kind == "risk":
        return s["risk"] - s["quadratic_risk"] - s["control"]
    if kind == "gradient":
        return s["grad_inner"] - s["quadratic_grad_inner"] - s["control"]
    if kind == "hessian":
        return s["hess_form"] - s["quadratic_hess_form"] - s["hess_control"]
    raise ValueError(f"kind must be one of {COUPLING_KINDS}; got {kind!r}")


#: The per-draw sides :func:`coupling_samples` reads, kept for inputs seen lately: Lemmas 12, 13 and 14 draw
#: the same problems from the same seed (their defaults agree), so the second and third reuse the first's.
_SIDES = ("risk", "quadratic_risk", "control", "grad_inner", "quadratic_grad_inner", "hess_form",
          "quadratic_hess_form", "hess_control")
_SIDES_CACHE, _SIDES_LOCK, _SIDES_ENTRIES = collections.OrderedDict(), threading.Lock(), 1024


def _coupling_sides(x, y, w_init, w_out, w_move, w_star, signs, loss, activation):
    """:func:`boundcheck.numeric.landscape.randomized_sides`' per-draw sides, memoized by the inputs' contents."""
    from .landscape import randomized_sides

    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (x, y, w_init, w_out, w_move, w_star, signs)]
    digest = hashlib.blake2b(repr((str(loss), str(activation), [a.shape for a in arrays])).encode(), digest_size=20)
    for a in arrays:
        digest.update(a.data)
    key = digest.digest()
    with _SIDES_LOCK:
        found = _SIDES_CACHE.get(key)
        if found is not None:
            _SIDES_CACHE.move_to_end(key)
            return found
    s = randomized_sides(x, y, w_init, w_out, w_move, w_star, signs, loss=loss, activation=activation)
    found = {k: np.array(s[k]) for k in _SIDES}
    for v in found.values():
        v.flags.writeable = False
    with _SIDES_LOCK:
        _SIDES_CACHE[key] = found
        while len(_SIDES_CACHE) > _SIDES_ENTRIES:  # the oldest first (about 10 KB each at the defaults)
            _SIDES_CACHE.popitem(last=False)
    return found


def coupling_bound(kind, ctx):
    """The right side of Lemma 12, 13 or 14 with the proof's constants (:func:`lemma12_bound`,
    :func:`lemma13_bound`, :func:`lemma14_bound`; ``|l'| <= 1``, ``|l''| <= 1``)."""
    return {"risk": lemma12_bound, "gradient": lemma13_bound, "hessian": lemma14_bound}[kind](ctx)


def coupling_cell(kind, width, rng, *, n_samples, dim, radius, input_radius=1.0, loss="logistic", draws=100,
                  activation="relu3"):
    r"""One draw for the rates of Lemmas 12-14: a planted problem (:func:`planted_problem`, aligned
    :math:`W_*` of :math:`\|W_*\|_{2,4}` = ``radius``), an aligned W of the same norm, and ``draws`` sign
    draws. Returns ``difference``: the absolute Monte Carlo mean of :func:`coupling_samples`, and the
    hypotheses :data:`~boundcheck.hypotheses.BALL` and :data:`~boundcheck.hypotheses.SYMMETRIC` on its arrays."""
    from .. import hypotheses as hyp

    prob = planted_problem(n_samples, width, dim, radius_star=radius, input_radius=input_radius, loss=loss, rng=rng)
    w_move = aligned_move(prob["w_out"], dim, radius, rng=rng, directions=2)
    samples = coupling_samples(kind, prob["x"], prob["y"], prob["w_init"], prob["w_out"], w_move, prob["w_star"],
                               sign_draws(draws, width, rng=rng), loss=loss, activation=activation)
    return dict(difference=abs(float(np.mean(samples))), **hyp.inputs_in_ball(prob["x"], input_radius),
                **hyp.symmetric_init(prob["w_init"], prob["w_out"]))


# ------------------------------------------------------------------------------------------------
# Section 6: the k-th order term of the 2m-neuron network (boundcheck.lemmas.higher_order)


@functools.lru_cache(maxsize=None)
def moment_pair(order):
    r"""Support and probabilities of Section 6.1's :math:`(z_+, z_-)` for ``order`` k, as floats:
    ``(points_plus, probs_plus, points_minus, probs_minus, source)``, from the exact pair of
    :func:`boundcheck.symbolic.moments.moment_matching_pair` (first k-1 moments equal, k-th ones
    differ by 1). Computed once per order (sympy); the arrays are read-only."""
    from ..symbolic.moments import moment_matching_pair

    plus, minus = moment_matching_pair(order)
    points = [np.array([float(t) for t in d], dtype=np.float64) for d in (plus, minus)]
    probs = [np.array([float(q) for q in d.values()], dtype=np.float64) for d in (plus, minus)]
    for array in points + probs:
        array.flags.writeable = False
    return points[0], probs[0], points[1], probs[1], "boundcheck.symbolic.moments"


def _taylor_coefficients(pre, proj, order, act):
    r""":math:`c_{jr} = \sigma^{(j)}(p_r)v_r^j/j!` for j = 0..k, each (n, m): the j-th Taylor term of neuron r
    at the step :math:`z v_r` is :math:`c_{jr}z^j`."""
    coefficients, power = [], np.ones_like(proj)
    for j in range(order + 1):  # a loop over Taylor orders
        coefficients.append(act.derivative(pre, j) * power / math.factorial(j))
        power = power * proj
    return coefficients


def section6_moments(x, w_init, w_star, order, *, activation="softplus"):
    r"""Exact moments over :math:`z_\pm` of every Taylor term :math:`f^{(j)}` (j = 1..k) and of the remainder
    :math:`f - \sum_{j\le k}f^{(j)}` of Section 6's network, at each input.

    With :math:`(w_{+,r}, w_{-,r}) = (z_{+,r}w_{*,r}, z_{-,r}w_{*,r})`, independent over r, each of these is
    :math:`m^{-1/2}\sum_r[g_r(z_{+,r}) - g_r(z_{-,r})]`: :math:`g_r(z) = c_{jr}z^j` for :math:`f^{(j)}`
    (:math:`c_{jr} = \sigma^{(j)}(p_r)v_r^j/j!`) and :math:`g_r(z) = \sigma(p_r + zv_r) - \sum_{j\le k}c_{jr}z^j`
    for the remainder (:math:`p_r = w_{0,r}^\top x`, :math:`v_r = w_{*,r}^\top x`). Its mean over z is
    :math:`m^{-1/2}\sum_r(E g_r(z_+) - E g_r(z_-))` and its variance :math:`\frac1m\sum_r(\mathrm{Var}\,g_r(z_+)
    + \mathrm{Var}\,g_r(z_-))`, both exact over the finite supports of :func:`moment_pair`.

    Returns ``(mean, var)``, each of shape (k + 1, n): rows 0..k-1 are :math:`f^{(1)}..f^{(k)}`, row k
    the remainder.
    """
    act = get_activation(activation)
    pre, proj = x @ w_init.T, x @ w_star.T
    return _section6_moments(pre, proj, _taylor_coefficients(pre, proj, order, act), order, act)


def _section6_moments(pre, proj, coefficients, order, act):
    """:func:`section6_moments` from the pre-activations, projections and Taylor coefficients."""
    pp, qp, pm, qm, _ = moment_pair(order)
    mean, var = np.zeros((order + 1, pre.shape[0])), np.zeros((order + 1, pre.shape[0]))
    for sign, points, probs in ((1.0, pp, qp), (-1.0, pm, qm)):  # z_+ and z_-
        for j in range(1, order + 1):  # Taylor terms: E z^j and Var z^j are numbers
            moment, second = float(probs @ points**j), float(probs @ points ** (2 * j))
            mean[j - 1] += sign * moment * coefficients[j].sum(axis=1)
            var[j - 1] += (second - moment**2) * np.sum(coefficients[j] ** 2, axis=1)
        first, square = np.zeros_like(pre), np.zeros_like(pre)
        for t, q in zip(points, probs):  # the remainder at each support point
            rest = act(pre + t * proj) - sum(c * t**j for j, c in enumerate(coefficients))
            first += q * rest
            square += q * rest * rest
        mean[order] += sign * first.sum(axis=1)
        var[order] += np.sum(square - first * first, axis=1)
    return mean / math.sqrt(pre.shape[1]), var / pre.shape[1]


def section6_cell(width, rng, *, order, n_samples, dim, scale=1.0, activation="softplus"):
    r"""One draw for Section 6: inputs on the unit sphere, :math:`W_0` with rows :math:`N(0, I_d)` and
    :math:`w_{*,r}` = ``scale`` :math:`m^{-1/(2k)}w_{0,r}`; mean squares over the inputs, exact over z.

    ``terms_sq`` (k,): of :math:`f^{(j)}`, j = 1..k (:math:`E_zf^{(j)}(x)^2`: the size of the term of a random
    draw of z); ``remainder_sq``: the same for the remainder; ``kth_mean_sq``: of :math:`E_zf^{(k)}(x)` with
    its square replaced by the U-statistic of :func:`taylor_second_moments` (no :math:`O(1/m)` term from
    the finite sample of neurons: the function the k-th term expresses); ``kth_fluctuation_sq``: of
    :math:`\mathrm{sd}_zf^{(k)}(x)`.

    With :math:`w_{*,r} \propto w_{0,r}`, :math:`w_{*,r}^\top x` = ``scale`` :math:`m^{-1/(2k)}p_r` and the mean of
    :math:`f^{(k)}` tends to ``scale``:math:`^kE[\sigma^{(k)}(Z)Z^k]/k!` (Z standard normal) for every k;
    with a direction shared by all neurons instead, an odd :math:`\sigma^{(k)}` (softplus, k = 3) would
    make it vanish.
    """
    act = get_activation(activation)
    x = _sphere(n_samples, dim, 1.0, rng)
    w_init = rng.standard_normal((width, dim))
    pre = x @ w_init.T
    proj = pre * (scale * width ** (-1.0 / (2 * order)))  # x . w_star with w_star proportional to w_init
    coefficients = _taylor_coefficients(pre, proj, order, act)
    mean, var = _section6_moments(pre, proj, coefficients, order, act)
    squares = np.mean(mean**2 + var, axis=1)
    mean_sq, fluct = _kth_parts(coefficients, order)
    return dict(terms_sq=squares[:order], remainder_sq=float(squares[order]),
                kth_mean_sq=float(np.mean(mean_sq[-1])), kth_fluctuation_sq=float(np.mean(fluct[-1])))


def section6_leading_constants(order, *, scale=1.0, activation="softplus", nodes=160):
    r"""The constants of the leading terms of Section 6's sizes, from Gaussian quadrature (Z standard normal).

    For a Taylor term j of the network with :math:`w_{*,r}` = ``scale`` :math:`m^{-1/(2k)}w_{0,r}`, as m grows,
    its mean over z is :math:`A_j m^{1/2 - j/(2k)}` and its standard deviation over z is
    :math:`B_j m^{-j/(2k)}`, with :math:`A_j = \delta_j s^jE[\sigma^{(j)}(Z)Z^j]/j!` and
    :math:`B_j = s^j(V_jE[\sigma^{(j)}(Z)^2Z^{2j}])^{1/2}/j!` (:math:`\delta_j, V_j` as in
    :func:`taylor_second_moments`). The mean dominates from the width :math:`(B_j/A_j)^2` on.

    Returns, for ``kth`` (j = k) and ``remainder`` (its leading term j = k + 1), ``dict(mean, sd, crossover)``,
    and ``next_mean`` = :math:`A_{k+2}`, the next term of the remainder's mean (its sign against
    :math:`A_{k+1}` says from which side the remainder's exponent approaches :math:`-1/(2k)`).
    """
    from numpy.polynomial.hermite_e import hermegauss

    act = get_activation(activation)
    points, weights = hermegauss(nodes)
    weights = weights / weights.sum()
    pp, qp, pm, qm, _ = moment_pair(order)

    def constants(j):
        delta = float(qp @ pp**j - qm @ pm**j)
        var = float(qp @ pp ** (2 * j) - (qp @ pp**j) ** 2 + qm @ pm ** (2 * j) - (qm @ pm**j) ** 2)
        deriv = act.derivative(points, j) * points**j
        mean = delta * scale**j * float(weights @ deriv) / math.factorial(j)
        sd = abs(scale) ** j * math.sqrt(var * float(weights @ deriv**2)) / math.factorial(j)
        return dict(mean=mean, sd=sd, crossover=(sd / mean) ** 2 if mean else math.inf)

    return dict(kth=constants(order), remainder=constants(order + 1), next_mean=constants(order + 2)["mean"])


def taylor_second_moments(x, w_init, w_star, order, *, activation="softplus"):
    r"""The mean part of :math:`E_zf^{(j)}(x_i)^2` without its finite-neuron term, and the variance over z,
    j = 1..k, for :math:`(w_{+,r}, w_{-,r}) = (z_{+,r}w_{*,r}, z_{-,r}w_{*,r})`.

    Returns ``(mean_sq, fluct)``, each (k, n): the U-statistic :math:`\frac{\delta_j^2}{m-1}\sum_{r\ne s}c_{jr}c_{js}`
    (its mean over :math:`W_0` is :math:`m\,\delta_j^2(E c_j)^2`, the square of the limit, with no
    :math:`O(1/m)` term) and :math:`\mathrm{Var}_zf^{(j)}(x_i) = \frac1m V_j\sum_rc_{jr}^2`, from
    :math:`c_{jr} = \sigma^{(j)}(p_r)(w_{*,r}^\top x)^j/j!`, :math:`\delta_j = Ez_+^j - Ez_-^j` and
    :math:`V_j = \mathrm{Var}z_+^j + \mathrm{Var}z_-^j`.
    """
    pre, proj = x @ w_init.T, x @ w_star.T
    mean_sq, fluct = [], []
    coefficients = _taylor_coefficients(pre, proj, order, get_activation(activation))
    for j in range(1, order + 1):  # a loop over Taylor orders
        parts = _kth_parts(coefficients[: j + 1], j, pair=order)
        mean_sq.append(parts[0])
        fluct.append(parts[1])
    return np.array(mean_sq), np.array(fluct)


def _kth_parts(coefficients, j, *, pair=None):
    r"""The U-statistic :math:`\frac{\delta_j^2}{m-1}\sum_{r\ne s}c_{jr}c_{js}` and :math:`\frac1mV_j\sum_rc_{jr}^2`,
    each (n,), for the Taylor term j of the pair of order ``pair`` (default j) (:func:`taylor_second_moments`)."""
    pp, qp, pm, qm, _ = moment_pair(j if pair is None else pair)
    delta = float(qp @ pp**j - qm @ pm**j)
    var = float(qp @ pp ** (2 * j) - (qp @ pp**j) ** 2 + qm @ pm ** (2 * j) - (qm @ pm**j) ** 2)
    c = coefficients[j]
    width = c.shape[1]
    return delta**2 * (c.sum(axis=1) ** 2 - np.sum(c * c, axis=1)) / (width - 1), np.mean(c * c, axis=1) * var


# --------------------------------------------------------------------------------------------
# worst-case searches for the "for every W" bounds of Lemmas 10 and 11


def _norm_24_sq_gradient(w_move):
    r"""Gradient of :math:`\|W\|_{2,4}^2 = (\sum_r\|w_r\|^4)^{1/2}`: rows :math:`2\|w_r\|^2w_r/\|W\|_{2,4}^2`."""
    sq = np.sum(w_move**2, axis=1, keepdims=True)
    total = math.sqrt(float(np.sum(sq**2)))
    return 2.0 * sq * w_move / total if total > 0 else np.zeros_like(w_move)


def lemma10_search(x, w_init, w_out, radius, *, input_radius, constant=1.0, activation="relu3", rng, starts=(),
                   max_evaluations=400):
    r"""The W of the (2,4)-ball where Lemma 10's ratio :math:`\max_i|f^Q_W(x_i)|/\text{bound}` is largest, by
    :func:`boundcheck.search.search_worst` with the model core's pullback of :math:`f^Q` (projected gradient,
    random restarts and the given ``starts``). Returns ``(W, summary of the search)``."""
    from ..network import TaylorModel
    from ..search import Ball24, search_worst

    model = TaylorModel(x, w_init, w_out, activation=activation)
    scale = constant / 2 * init_sup(w_init, input_radius) * input_radius**2

    def sides(w_move):
        values = model.value(w_move, orders=(2,))
        return float(np.max(np.abs(values))), scale * float(norm_24(w_move)) ** 2

    def gradient(w_move):
        point = model.at(w_move, orders=(2,))
        i = int(np.argmax(np.abs(point.value)))
        weights = np.zeros_like(point.value)
        weights[i] = math.copysign(1.0, point.value[i])
        return {"w_move": point.vjp(weights)}, {"w_move": scale * _norm_24_sq_gradient(w_move)}

    found = search_worst(sides, {"w_move": Ball24(w_init.shape, radius)}, rng=rng, gradient=gradient,
                         starts=[{"w_move": s} for s in starts], restarts=2, max_evaluations=max_evaluations)
    return found.point["w_move"], found.summary()


def lemma11_search(x, w_init, w_out, radius, part, *, input_radius, constant=1.0, activation="relu3", rng, starts=(),
                   max_evaluations=300):
    r"""The W of the (2,4)-ball where Lemma 11's ratio (``part`` "a": :math:`\max_iE_\Sigma f^L(x_i)^2` over its
    bound; "b": :math:`\max_i\max_\Sigma|\Delta|` over its bound) is largest, by a derivative-free
    :func:`boundcheck.search.search_worst` from the given ``starts``. Returns ``(W, summary of the search)``."""
    from ..search import Ball24, search_worst

    def sides(w_move):
        ctx = bound_context(w_init, w_move, input_radius=input_radius, constant=constant)
        if part == "a":
            return float(np.max(linear_second_moment(x, w_init, w_move, activation=activation))), lemma11a_bound(ctx)
        return (float(np.max(remainder_sup_over_signs(x, w_init, w_out, w_move, activation=activation))),
                lemma11b_bound(ctx))

    found = search_worst(sides, {"w_move": Ball24(w_init.shape, radius)}, rng=rng,
                         starts=[{"w_move": s} for s in starts], restarts=1, max_evaluations=max_evaluations)
    return found.point["w_move"], found.summary()


def coupling_search(kind, x, y, w_init, w_out, w_star, radius, *, start, rng, loss="logistic", activation="relu3",
                    selection_draws=16, max_evaluations=100):
    r"""The W of the (2,4)-ball where Lemma 12, 13 or 14 (``kind``) is tightest: the ratio of
    :math:`|\mathrm{mean}|` of :func:`coupling_samples` over ``selection_draws`` fixed sign draws (common
    random numbers, so the objective is a function of W) to the bound, by a derivative-free
    :func:`boundcheck.search.search_worst` from ``start``. The caller evaluates the claim at the returned W
    on fresh draws. Returns ``(W, summary of the search)``; with ``max_evaluations=0``, ``start``."""
    from ..search import Ball24, search_worst

    if not max_evaluations:
        return start, None
    constant = assumption_constant(activation)
    input_radius = float(np.max(np.linalg.norm(x, axis=1)))
    signs = sign_draws(selection_draws, w_init.shape[0], rng=rng)

    def sides(w_move):
        mean = abs(float(np.mean(coupling_samples(kind, x, y, w_init, w_out, w_move, w_star, signs, loss=loss,
                                                  activation=activation))))
        return mean, coupling_bound(kind, bound_context(w_init, w_move, w_star, input_radius=input_radius,
                                                        constant=constant))

    found = search_worst(sides, {"w_move": Ball24(w_init.shape, radius)}, rng=rng, restarts=0,
                         starts=[{"w_move": start}], max_evaluations=max_evaluations)
    return found.point["w_move"], found.summary()
