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
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from ..network import norm_24, quadratic_model, symmetric_init
from .landscape import init_sup

__all__ = ["replicate_slope_record", "planted_problem", "aligned_move", "random_in_ball", "lemma10_bound",
           "lemma11a_bound",
           "lemma11b_bound", "lemma12_bound", "lemma13_bound", "lemma14_bound", "bound_context"]


def replicate_slope_record(claim, widths, per_replicate, claimed, relation, *, level=0.95, params=None):
    """A rate record whose interval comes from independent replicate sweeps (one fitted slope per sweep).

    ``per_replicate`` has shape (replicates, len(widths)). The regression interval of one sweep
    reflects only that sweep's scatter (and, with few widths, is often too narrow for an "=="
    claim); the t-interval of the slopes of independent sweeps carries the real variability.
    ``fit_x``/``fit_y`` (geometric means over replicates) and ``fitted_constant`` are kept for plots.
    """
    from ..results import CheckResult, fit_power_law

    per_replicate = np.asarray(per_replicate, dtype=np.float64)
    slopes = [fit_power_law(widths, row, level)[0] for row in per_replicate]  # a loop over replicates
    pooled = np.exp(np.mean(np.log(per_replicate), axis=0))
    slope, _, const = fit_power_law(widths, pooled, level)
    rec = CheckResult.from_samples(claim, slopes, claimed, relation, level=level, params=dict(params or {}))
    rec.params.update(fit_x=[float(m) for m in widths], fit_y=[float(v) for v in pooled], fitted_constant=const,
                      pooled_slope=slope, replicate_slopes=[float(v) for v in slopes],
                      interval_note="mean and t-interval of the slopes of independent replicate sweeps")
    return rec


def _sphere(n, d, input_radius, rng):
    g = rng.standard_normal((n, d))
    return g * (input_radius / np.linalg.norm(g, axis=1, keepdims=True))


def aligned_move(w_out, dim, radius, *, rng, input_radius=1.0, directions=1):
    r"""A movement W with :math:`\|W\|_{2,4}` = ``radius`` whose quadratic model is O(1) in m.

    Rows :math:`w_r` on the :math:`a_r = +1` half are one of ``directions`` fixed unit vectors
    :math:`\beta` (assigned at random), scaled so that :math:`\|w_r\| \propto m^{-1/4}`; the other
    half is 0. Then :math:`f^Q_W(x) = \frac{1}{2\sqrt m}\sum_{a_r=1}\sigma''(p_r)(w_r^\top x)^2` adds
    coherently (order 1), whereas a W with independent random rows gives :math:`f^Q = O(m^{-1/2})`.
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
