r"""The regularizer step of Corollary 3 (Appendix B.5): the constant C a given :math:`W_*` needs.

With :math:`R(W) = \|W\|_{2,4}^8` (λ = 1), B.5 shows
:math:`\Delta_\lambda - \Delta_0 = E_{\Sigma'}\nabla^2R(W)[W_*\Sigma', W_*\Sigma'] - 6R(W)
\le -R(W) + C\,R(W_*)`. The smallest C that works for one :math:`W_*` is

.. math:: C(W_*) = \sup_W \frac{g(W)}{\|W_*\|_{2,4}^8}, \qquad
   g(W) = E_{\Sigma'}\nabla^2R(W)[W_*\Sigma', W_*\Sigma'] - 5R(W),

with (B.5) :math:`E\nabla^2R = 32\sum_r\|w_r\|^4\langle w_r, w_{*,r}\rangle^2 + 8S\sum_r(2\langle w_r,
w_{*,r}\rangle^2 + \|w_r\|^2\|w_{*,r}\|^2)`, :math:`S = \sum_r\|w_r\|^4`. For fixed row norms both
inner products enter with positive weights, so the supremum has :math:`w_r` parallel to
:math:`w_{*,r}`; rows with :math:`w_{*,r} = 0` enter only through S. Hence, with
:math:`y_r = \|w_r\|^2`, :math:`c_r = \|w_{*,r}\|^2` (rows with :math:`c_r > 0`) and :math:`u \ge 0`
the S of the other rows,

.. math:: g = 32\sum_r y_r^3c_r + 24\,(\textstyle\sum_r y_r^2 + u)\sum_r y_rc_r - 5(\sum_r y_r^2 + u)^2,

a smooth function of :math:`k + 1` non-negative numbers, maximized here by L-BFGS-B from several
starts (:func:`corollary3_needed_constant`). Along the ray :math:`W = sW_*` alone the maximum has a
closed form (:func:`corollary3_constant_on_ray`); it is only a lower bound on :math:`C(W_*)`.
B.5's C, :math:`378\cdot14^3/5^3 = 8297.9`, is attained by a :math:`W_*` with one nonzero row.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from .._lazy import lazy

optimize = lazy("scipy.optimize")

__all__ = ["regularizer_gap_reduced", "corollary3_constant_on_ray", "corollary3_needed_constant"]


def _row_norms_sq(w_star):
    w_star = validate.matrix("w_star", w_star)
    c = np.sum(w_star**2, axis=1)
    c = c[c > 0]
    if c.size == 0:
        raise validate.BoundcheckInputError("w_star must have a nonzero row; got the zero matrix")
    return c


def regularizer_gap_reduced(y, u, c):
    r""":math:`g(y, u)` of the module docstring and its gradient in (y, u); ``c`` the squared row norms of :math:`W_*`."""
    y = np.asarray(y, dtype=np.float64)
    s = float(np.sum(y**2) + u)
    lin = float(np.sum(y * c))
    value = 32.0 * np.sum(y**3 * c) + 24.0 * s * lin - 5.0 * s**2
    grad_y = 96.0 * y**2 * c + 24.0 * (2.0 * y * lin + s * c) - 20.0 * s * y
    grad_u = 24.0 * lin - 10.0 * s
    return float(value), grad_y, float(grad_u)


def corollary3_constant_on_ray(w_star):
    r"""The largest :math:`g(sW_*)/\|W_*\|^8` over :math:`s > 0`: with :math:`A = E\nabla^2R(W_*)[W_*\Sigma']`
    and :math:`B = \|W_*\|^8`, :math:`\max_s As^6 - 5Bs^8 = As^6/4` at :math:`s^2 = 3A/(20B)`. A lower bound on
    :func:`corollary3_needed_constant`."""
    c = _row_norms_sq(w_star)
    a = 32.0 * np.sum(c**4) + 24.0 * np.sum(c**2) * np.sum(c**2)  # y = c: E grad^2 R(W_*)[W_* Sigma']
    b = float(np.sum(c**2)) ** 2
    s2 = 3.0 * a / (20.0 * b)
    return float(a * s2**3 / 4.0 / b)


def corollary3_needed_constant(w_star, *, rng, restarts=8):
    r"""The smallest C with :math:`\Delta_\lambda - \Delta_0 \le -\lambda\|W\|^8 + C\lambda\|W_*\|^8` for every W.

    Maximizes :math:`g(y, u)` (module docstring) over :math:`y \ge 0, u \ge 0` by L-BFGS-B with the
    analytic gradient, from the ray's optimum and ``restarts`` random starts drawn from ``rng``.
    Returns a dict: ``constant`` (the best value found, a lower bound on the supremum that the
    restarts make tight in practice), ``on_ray`` (:func:`corollary3_constant_on_ray`), ``row_scales``
    (the maximizing :math:`\|w_r\|^2` per nonzero row of :math:`W_*`, in units of
    :math:`\|W_*\|_{2,4}^2`), ``extra_s`` (u) and ``starts``.
    """
    c = _row_norms_sq(w_star)
    restarts = validate.integer("restarts", restarts, minimum=0, maximum=1000)
    c = c / np.sqrt(np.sum(c**2))  # scale invariance: ||W_*||_{2,4} = 1, so the answer is max g
    k = c.size
    ray = corollary3_constant_on_ray(np.sqrt(c)[:, None])

    def negative(z):
        value, grad_y, grad_u = regularizer_gap_reduced(z[:k], z[k], c)
        return -value, -np.concatenate([grad_y, [grad_u]])

    s2 = 3.0 * (32.0 * np.sum(c**4) + 24.0 * np.sum(c**2) ** 2) / 20.0  # the ray's s^2 (B = ||W_*||^8 = 1)
    starts = [np.concatenate([s2 * c, [0.0]])]
    scale = np.sqrt(k) * 3.0 * max(s2 * float(c.max()), 1.0)
    starts += [np.concatenate([rng.uniform(0.0, scale, size=k), [rng.uniform(0.0, scale)]]) for _ in range(restarts)]
    best, best_z = -np.inf, starts[0]
    for z0 in starts:  # a loop over restarts of a small smooth maximization
        res = optimize.minimize(negative, z0, jac=True, method="L-BFGS-B", bounds=[(0.0, None)] * (k + 1),
                                options=dict(maxiter=2000, ftol=1e-15, gtol=1e-12))
        if -res.fun > best:
            best, best_z = -float(res.fun), res.x
    return {"constant": best, "on_ray": ray, "row_scales": [float(v) for v in best_z[:k]],
            "extra_s": float(best_z[k]), "starts": len(starts)}
