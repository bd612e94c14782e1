r"""Derivatives of the risks of Section 4: clean risk, network risk, randomized risk, regularized risk.

Paper, Sections 3.1 and 4.1. With :math:`p_{ir} = w_{0,r}^\top x_i`, :math:`u_{ir} = w_r^\top x_i`:

* clean risk :math:`L^Q(W) = \frac1n\sum_i \ell(y_i, f^Q_W(x_i))`,
  :math:`f^Q_W(x_i) = \frac{1}{2\sqrt m}\sum_r a_r\sigma''(p_{ir})u_{ir}^2`;
* network risk at one sign draw, :math:`L(W_0 + W\Sigma) = \frac1n\sum_i\ell(y_i, f_{W_0+W\Sigma}(x_i))`,
  as a function of :math:`W` (the chain rule through :math:`W \mapsto W\Sigma` is included);
* randomized risk :math:`\widetilde L(W) = E_\Sigma L(W_0 + W\Sigma)`: the functions below average
  over the rows of ``signs`` (a Monte Carlo estimate; exact for squared loss, see
  :func:`randomized_risk_squared`);
* regularized risk :math:`\widetilde L_\lambda = \widetilde L + \lambda\|W\|_{2,4}^8` (Section 3.1;
  the power 8 is the one B.5 differentiates: :math:`\langle\nabla\lambda\|W\|^8_{2,4}, W\rangle
  = 8\lambda\|W\|^8_{2,4}`).

Everything is O(n m d) per evaluation (O(K n m + n m d) with K sign draws): a loop runs only over
memory chunks of neurons, each chunk a few GEMMs of shape (n, d) @ (d, chunk). Hessians are never
formed: Hessian-vector products feed :func:`smallest_hessian_eigenvalue` (Lanczos, scipy ``eigsh``).

Expectations over a second, independent sign matrix :math:`\Sigma'` of Hessian quadratic forms in the
direction :math:`W_*\Sigma'` are exact: in :math:`(\sum_r c_r\Sigma'_{rr})^2` the cross terms
have mean zero, leaving :math:`\sum_r c_r^2`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from .. import _validate as validate
from ..activations import get_activation
from ..losses import get_loss

__all__ = [
    "clean_risk", "clean_risk_gradient", "clean_risk_hvp", "clean_risk_hessian_form",
    "clean_expected_hessian_form", "clean_hessian_operator", "lemma1_terms", "lemma1_bound", "init_sup",
    "network_risk", "network_risk_gradient", "network_risk_hvp", "network_risk_hessian_form",
    "randomized_sides", "randomized_risk_squared", "randomized_risk", "regularized_risk",
    "regularized_risk_gradient", "regularized_risk_hvp",
    "regularizer", "regularizer_gradient", "regularizer_hvp", "regularizer_expected_form",
    "smallest_hessian_eigenvalue", "CHUNK_BYTES",
    "COROLLARY3_CONSTANT", "lemma1_sides", "shared_planted_problem", "lemma1_remainder_sweep", "theorem2_samples",
    "theorem2_coupling_error", "theorem2_coupling_sweep", "width_required_by_6", "corollary3_regularizer_gap",
    "corollary3_needed_constant", "theorem4_norm_bound",
]

#: Working memory for one chunk of (samples x neurons) intermediate arrays, in bytes.
CHUNK_BYTES = 32 * 2**20


def _chunks(n_rows, width, arrays):
    """Neuron slices so that ``arrays`` float64 arrays of shape (n_rows, chunk) fit ``CHUNK_BYTES``.

    Loops over these slices are loops over memory chunks, each chunk one GEMM.
    """
    size = max(1, min(width, CHUNK_BYTES // (8 * arrays * max(n_rows, 1))))
    return [slice(s, min(s + size, width)) for s in range(0, width, size)]


def _check(x, y, w_init, w_out, w_move, **others):
    x = validate.matrix("x", x)
    w_init = validate.matrix("w_init", w_init)
    validate.same_dim("w_init", w_init, "x", x)
    w_out = validate.vector("w_out", w_out, length=w_init.shape[0])
    y = validate.vector("y", y, length=x.shape[0])
    w_move = validate.matrix("w_move", w_move, shape=w_init.shape)
    out = [x, y, w_init, w_out, w_move]
    for name, value in others.items():
        out.append(None if value is None else validate.matrix(name, value, shape=w_init.shape))
    return out


def _check_signs(signs, width):
    signs = validate.signs("signs", np.atleast_2d(signs), length=width)
    return signs


# --------------------------------------------------------------------------------------------
# clean risk L^Q


def _clean_pass(x, w_init, w_out, w_move, act, directions=()):
    r"""One pass over neuron chunks: :math:`f^Q_W(x_i)` and, for each direction V,
    :math:`Df^Q[V](x_i) = m^{-1/2}\sum_r a_r\sigma''(p_{ir})u_{ir}v_{ir}` and
    :math:`D^2f^Q[V,V](x_i) = m^{-1/2}\sum_r a_r\sigma''(p_{ir})v_{ir}^2`."""
    n, m = x.shape[0], w_init.shape[0]
    fq = np.zeros(n)
    first = [np.zeros(n) for _ in directions]
    second = [np.zeros(n) for _ in directions]
    for c in _chunks(n, m, 3 + len(directions)):  # memory chunks
        s2 = act.derivative(x @ w_init[c].T, 2) * w_out[c]
        u = x @ w_move[c].T
        fq += np.sum(s2 * u * u, axis=1)
        for j, v_dir in enumerate(directions):
            v = x @ v_dir[c].T
            first[j] += np.sum(s2 * u * v, axis=1)
            second[j] += np.sum(s2 * v * v, axis=1)
    root = math.sqrt(m)
    return fq / (2 * root), [f / root for f in first], [s / root for s in second]


def clean_risk(x, y, w_init, w_out, w_move, *, loss="logistic", activation="relu3"):
    r"""The clean risk :math:`L^Q(W) = \frac1n\sum_i\ell(y_i, f^Q_W(x_i))` (Section 4.1)."""
    x, y, w_init, w_out, w_move = _check(x, y, w_init, w_out, w_move)
    fq, _, _ = _clean_pass(x, w_init, w_out, w_move, get_activation(activation))
    return float(np.mean(get_loss(loss).value(y, fq)))


def clean_risk_gradient(x, y, w_init, w_out, w_move, *, loss="logistic", activation="relu3"):
    r""":math:`\nabla L^Q(W)`, shape (m, d): row r is
    :math:`\frac{1}{n\sqrt m}\sum_i \ell'(y_i, f^Q_W(x_i))\,a_r\sigma''(p_{ir})u_{ir}\,x_i` (B.1)."""
    x, y, w_init, w_out, w_move = _check(x, y, w_init, w_out, w_move)
    act, lo = get_activation(activation), get_loss(loss)
    fq, _, _ = _clean_pass(x, w_init, w_out, w_move, act)
    d1 = lo.derivative(y, fq, 1)
    n, m = x.shape[0], w_init.shape[0]
    grad = np.empty_like(w_move)
    for c in _chunks(n, m, 3):  # memory chunks
        coef = act.derivative(x @ w_init[c].T, 2) * w_out[c] * (x @ w_move[c].T) * d1[:, None]
        grad[c] = coef.T @ x
    return grad / (n * math.sqrt(m))


def clean_risk_hvp(x, y, w_init, w_out, w_move, direction, *, loss="logistic", activation="relu3"):
    r"""Hessian-vector product :math:`\nabla^2 L^Q(W)[V]`, shape (m, d), never forming the Hessian.

    Row r: :math:`\frac{1}{n\sqrt m}\sum_i a_r\sigma''(p_{ir})[\ell''_i\,Df^Q[V](x_i)\,u_{ir}
    + \ell'_i\,v_{ir}]x_i`.
    """
    x, y, w_init, w_out, w_move, direction = _check(x, y, w_init, w_out, w_move, direction=direction)
    act, lo = get_activation(activation), get_loss(loss)
    fq, (dfv,), _ = _clean_pass(x, w_init, w_out, w_move, act, (direction,))
    d1, d2 = lo.derivative(y, fq, 1), lo.derivative(y, fq, 2)
    n, m = x.shape[0], w_init.shape[0]
    out = np.empty_like(w_move)
    for c in _chunks(n, m, 4):  # memory chunks
        s2 = act.derivative(x @ w_init[c].T, 2) * w_out[c]
        coef = s2 * ((d2 * dfv)[:, None] * (x @ w_move[c].T) + d1[:, None] * (x @ direction[c].T))
        out[c] = coef.T @ x
    return out / (n * math.sqrt(m))


def clean_hessian_operator(x, y, w_init, w_out, w_move, *, loss="logistic", activation="relu3",
                           cache_bytes=512 * 2**20):
    r"""The Hessian of :math:`L^Q` at W as a function ``V -> H V`` for repeated products (Lanczos).

    What depends on W only (:math:`f^Q`, :math:`\ell'`, :math:`\ell''`, and when the two (n, m)
    arrays :math:`a_r\sigma''(p_{ir})` and :math:`a_r\sigma''(p_{ir})u_{ir}` fit in ``cache_bytes``,
    those arrays) is computed once; each product then costs one GEMM for :math:`x V^\top`, one for
    the output, and elementwise work. Without the cache each product recomputes them chunk by chunk.
    """
    x, y, w_init, w_out, w_move = _check(x, y, w_init, w_out, w_move)
    act, lo = get_activation(activation), get_loss(loss)
    n, m = x.shape[0], w_init.shape[0]
    fq, _, _ = _clean_pass(x, w_init, w_out, w_move, act)
    d1, d2 = lo.derivative(y, fq, 1), lo.derivative(y, fq, 2)
    scale = 1.0 / (n * math.sqrt(m))
    if 2 * 8 * n * m > cache_bytes:
        return lambda v: clean_risk_hvp(x, y, w_init, w_out, w_move, v, loss=loss, activation=activation)
    s2 = act.derivative(x @ w_init.T, 2) * w_out
    jac = s2 * (x @ w_move.T)  # row i: sqrt(m) * gradient of f^Q(x_i) in the coordinates u_{ir}

    def hvp(direction):
        direction = validate.matrix("direction", direction, shape=w_move.shape)
        v = x @ direction.T
        dfv = np.sum(jac * v, axis=1) / math.sqrt(m)
        coef = (d2 * dfv)[:, None] * jac + d1[:, None] * (s2 * v)
        return (coef.T @ x) * scale

    return hvp


def clean_risk_hessian_form(x, y, w_init, w_out, w_move, direction, *, loss="logistic", activation="relu3"):
    r"""The quadratic form :math:`\nabla^2 L^Q(W)[V, V] = \frac1n\sum_i \ell''_i (Df^Q[V])^2
    + \ell'_i D^2f^Q[V,V]`."""
    x, y, w_init, w_out, w_move, direction = _check(x, y, w_init, w_out, w_move, direction=direction)
    lo = get_loss(loss)
    fq, (dfv,), (d2fv,) = _clean_pass(x, w_init, w_out, w_move, get_activation(activation), (direction,))
    return float(np.mean(lo.derivative(y, fq, 2) * dfv**2 + lo.derivative(y, fq, 1) * d2fv))


def clean_expected_hessian_form(x, y, w_init, w_out, w_move, w_star, *, loss="logistic", activation="relu3"):
    r""":math:`E_{\Sigma}\nabla^2 L^Q(W)[W_*\Sigma, W_*\Sigma]`, exact; returns ``(value, first, second)``.

    ``second`` :math:`= \frac1n\sum_i\ell'_i\cdot 2f^Q_{W_*}(x_i)` (term I of B.1, as
    :math:`\Sigma_{rr}^2 = 1`), ``first`` :math:`= \frac{1}{nm}\sum_i\ell''_i\sum_r
    \sigma''(p_{ir})^2u_{ir}^2 (w_{*,r}^\top x_i)^2` (term II of B.1 in expectation: cross-neuron
    terms vanish).
    """
    terms = lemma1_terms(x, y, w_init, w_out, w_move, w_star, loss=loss, activation=activation)
    return terms["lhs_exact"], terms["remainder"], terms["lhs_exact"] - terms["remainder"]


def lemma1_terms(x, y, w_init, w_out, w_move, w_star, *, opt=None, loss="logistic", activation="relu3"):
    r"""Every term of Lemma 1 and of its proof (B.1) at W, exactly over :math:`\Sigma`.

    Returns a dict with

    * ``lhs_exact`` :math:`= E_\Sigma\nabla^2L^Q(W)[W_*\Sigma, W_*\Sigma]`;
    * ``grad_inner`` :math:`= \langle\nabla L^Q(W), W\rangle = \frac2n\sum_i\ell'_i f^Q_W(x_i)`
      (:math:`f^Q` is 2-homogeneous);
    * ``risk`` :math:`L^Q(W)`, ``risk_star`` :math:`L^Q(W_*)`, ``opt`` (``risk_star`` if None);
    * ``rhs_main`` :math:`= \langle\nabla L^Q(W), W\rangle - 2(L^Q(W) - \mathrm{OPT})`;
    * ``remainder`` (term II) :math:`= \frac{1}{nm}\sum_i\ell''_i\sum_r\sigma''(p_{ir})^2u_{ir}^2
      (w_{*,r}^\top x_i)^2`;
    * ``convexity_gap`` :math:`= \frac1n\sum_i[\ell(f^Q_{W_*}) - \ell(f^Q_W) - \ell'(f^Q_W)(f^Q_{W_*}
      - f^Q_W)] \ge 0`, the slack of step (i) in B.1;
    * ``opt_gap`` :math:`= \mathrm{OPT} - L^Q(W_*) \ge 0`, the slack of step (ii);
    * ``identity_residual``: ``lhs_exact - (rhs_main - 2 convexity_gap - 2 opt_gap + remainder)``,
      zero up to rounding (the exact form of the proof);
    * ``scale``: the sum of magnitudes of the terms (for a rounding tolerance).
    """
    x, y, w_init, w_out, w_move, w_star = _check(x, y, w_init, w_out, w_move, w_star=w_star)
    act, lo = get_activation(activation), get_loss(loss)
    n, m = x.shape[0], w_init.shape[0]
    fq = np.zeros(n)
    fstar = np.zeros(n)
    rem = np.zeros(n)
    for c in _chunks(n, m, 4):  # memory chunks
        s2 = act.derivative(x @ w_init[c].T, 2)
        u2 = (x @ w_move[c].T) ** 2
        v2 = (x @ w_star[c].T) ** 2
        fq += (s2 * u2) @ w_out[c]
        fstar += (s2 * v2) @ w_out[c]
        rem += np.sum(s2 * s2 * u2 * v2, axis=1)
    fq /= 2 * math.sqrt(m)
    fstar /= 2 * math.sqrt(m)
    rem /= m
    val, d1, d2 = lo.derivative(y, fq, 0), lo.derivative(y, fq, 1), lo.derivative(y, fq, 2)
    val_star = lo.derivative(y, fstar, 0)
    risk, risk_star = float(np.mean(val)), float(np.mean(val_star))
    opt = risk_star if opt is None else float(opt)
    second = float(np.mean(d1 * 2 * fstar))
    remainder = float(np.mean(d2 * rem))
    grad_inner = float(np.mean(2 * d1 * fq))
    rhs_main = grad_inner - 2 * (risk - opt)
    gap = float(np.mean(val_star - val - d1 * (fstar - fq)))
    lhs = second + remainder
    predicted = rhs_main - 2 * gap - 2 * (opt - risk_star) + remainder
    scale = float(np.mean(np.abs(d1 * fstar)) * 2 + np.mean(np.abs(d1 * fq)) * 2 + np.mean(np.abs(val))
                  + np.mean(np.abs(val_star)) + abs(opt) + np.mean(np.abs(d2 * rem)))
    return dict(lhs_exact=lhs, grad_inner=grad_inner, risk=risk, risk_star=risk_star, opt=opt, rhs_main=rhs_main,
                remainder=remainder, convexity_gap=gap, opt_gap=opt - risk_star, identity_residual=lhs - predicted,
                scale=scale)


def init_sup(w_init, input_radius):
    r""":math:`t = B_x\max_r\|w_{0,r}\|_2 = \sup_{\|x\|=B_x}\max_r|w_{0,r}^\top x|` (the quantity (4) bounds)."""
    return float(input_radius * np.max(np.linalg.norm(w_init, axis=1)))


def lemma1_bound(w_init, w_move, w_star, *, input_radius=1.0, constant=1.0, loss_second=1.0):
    r"""Explicit bound on Lemma 1's remainder (term II of B.1), with the proof's constants.

    :math:`\frac1m\sum_r\sigma''(p)^2u^2v^2 \le C^2 t^2 B_x^4\frac1m\sum_r\|w_r\|^2\|w_{*,r}\|^2
    \le C^2 t^2 B_x^4\|W\|_{2,4}^2\|W_*\|_{2,4}^2\,m^{-1}` (Cauchy-Schwarz), times
    :math:`\sup|\ell''| \le 1`; :math:`t` from :func:`init_sup`. The paper prints
    :math:`m^{-1/2}`; the same Cauchy-Schwarz step gives :math:`m^{-1}`.
    """
    m = w_init.shape[0]
    t = init_sup(w_init, input_radius)
    n24 = np.sum(np.sum(w_move**2, axis=1) ** 2) ** 0.25
    s24 = np.sum(np.sum(w_star**2, axis=1) ** 2) ** 0.25
    return float(loss_second * constant**2 * t**2 * input_radius**4 * n24**2 * s24**2 / m)


# --------------------------------------------------------------------------------------------
# network risk at given signs, and the randomized risk (mean over sign draws)


def _masks(signs, w_out):
    plus = (1.0 + signs) / 2.0
    return plus * w_out, (1.0 - plus) * w_out, plus, 1.0 - plus


def _network_outputs(x, w_init, w_out, w_move, signs, act):
    """f_{W_0 + W Sigma_k}(x_i), shape (K, n): two activation evaluations per chunk for all draws."""
    n, m = x.shape[0], w_init.shape[0]
    ap, am, _, _ = _masks(signs, w_out)
    out = np.zeros((signs.shape[0], n))
    for c in _chunks(n, m, 4):  # memory chunks
        pre, u = x @ w_init[c].T, x @ w_move[c].T
        out += ap[:, c] @ act(pre + u).T + am[:, c] @ act(pre - u).T
    return out / math.sqrt(m)


def network_risk(x, y, w_init, w_out, w_move, signs, *, loss="logistic", activation="relu3"):
    r""":math:`L(W_0 + W\Sigma_k)` for each row of ``signs``, shape (K,)."""
    x, y, w_init, w_out, w_move = _check(x, y, w_init, w_out, w_move)
    signs = _check_signs(signs, w_init.shape[0])
    f = _network_outputs(x, w_init, w_out, w_move, signs, get_activation(activation))
    return np.mean(get_loss(loss).value(y, f), axis=1)


def network_risk_gradient(x, y, w_init, w_out, w_move, signs, *, loss="logistic", activation="relu3"):
    r"""Gradient in W of :math:`\frac1K\sum_k L(W_0 + W\Sigma_k)`, shape (m, d).

    With one row of ``signs`` it is :math:`\nabla_W L(W_0+W\Sigma)`; with many it is the Monte Carlo
    gradient of the randomized risk. Row r: :math:`\frac{a_r}{nK\sqrt m}\sum_{i,k}\ell'_{ik}
    \Sigma_{k,r}\sigma'(p_{ir}+\Sigma_{k,r}u_{ir})x_i`.
    """
    x, y, w_init, w_out, w_move = _check(x, y, w_init, w_out, w_move)
    signs = _check_signs(signs, w_init.shape[0])
    act, lo = get_activation(activation), get_loss(loss)
    f = _network_outputs(x, w_init, w_out, w_move, signs, act)
    d1 = lo.derivative(y, f, 1)  # (K, n)
    _, _, plus, minus = _masks(signs, w_out)
    n, m, k = x.shape[0], w_init.shape[0], signs.shape[0]
    grad = np.empty_like(w_move)
    for c in _chunks(n, m, 5):  # memory chunks
        pre, u = x @ w_init[c].T, x @ w_move[c].T
        coef = (d1.T @ plus[:, c]) * act.derivative(pre + u, 1) - (d1.T @ minus[:, c]) * act.derivative(pre - u, 1)
        grad[c] = (coef * w_out[c]).T @ x
    return grad / (n * k * math.sqrt(m))


def _network_direction_pass(x, w_init, w_out, w_move, signs, direction, act):
    """Per draw: f, Df[V Sigma] and D^2 f[V Sigma, V Sigma], each (K, n)."""
    n, m = x.shape[0], w_init.shape[0]
    ap, am, _, _ = _masks(signs, w_out)
    f = np.zeros((signs.shape[0], n))
    df = np.zeros_like(f)
    d2f = np.zeros_like(f)
    for c in _chunks(n, m, 6):  # memory chunks
        pre, u, v = x @ w_init[c].T, x @ w_move[c].T, x @ direction[c].T
        f += ap[:, c] @ act(pre + u).T + am[:, c] @ act(pre - u).T
        # d/dt sigma(p + Sigma (u + t v)) = Sigma sigma'(.) v
        df += ap[:, c] @ (act.derivative(pre + u, 1) * v).T - am[:, c] @ (act.derivative(pre - u, 1) * v).T
        d2f += ap[:, c] @ (act.derivative(pre + u, 2) * v * v).T + am[:, c] @ (act.derivative(pre - u, 2) * v * v).T
    root = math.sqrt(m)
    return f / root, df / root, d2f / root


def network_risk_hessian_form(x, y, w_init, w_out, w_move, signs, direction, *, loss="logistic",
                              activation="relu3"):
    r""":math:`\nabla_W^2 L(W_0 + W\Sigma_k)[V, V]` for each row of ``signs``, shape (K,)."""
    x, y, w_init, w_out, w_move, direction = _check(x, y, w_init, w_out, w_move, direction=direction)
    signs = _check_signs(signs, w_init.shape[0])
    lo = get_loss(loss)
    f, df, d2f = _network_direction_pass(x, w_init, w_out, w_move, signs, direction, get_activation(activation))
    return np.mean(lo.derivative(y, f, 2) * df**2 + lo.derivative(y, f, 1) * d2f, axis=1)


def network_risk_hvp(x, y, w_init, w_out, w_move, signs, direction, *, loss="logistic", activation="relu3"):
    r"""Hessian-vector product of :math:`\frac1K\sum_k L(W_0 + W\Sigma_k)` in W, shape (m, d).

    Row r: :math:`\frac{a_r}{nK\sqrt m}\sum_{i,k}[\ell''_{ik}Df_{ik}[V]\Sigma_{k,r}\sigma'(\cdot)
    + \ell'_{ik}\sigma''(\cdot)v_{ir}]x_i` at :math:`\cdot = p_{ir} + \Sigma_{k,r}u_{ir}`.
    """
    x, y, w_init, w_out, w_move, direction = _check(x, y, w_init, w_out, w_move, direction=direction)
    signs = _check_signs(signs, w_init.shape[0])
    act, lo = get_activation(activation), get_loss(loss)
    f, df, _ = _network_direction_pass(x, w_init, w_out, w_move, signs, direction, act)
    d1, d2 = lo.derivative(y, f, 1), lo.derivative(y, f, 2)
    a1 = d2 * df  # (K, n)
    _, _, plus, minus = _masks(signs, w_out)
    n, m, k = x.shape[0], w_init.shape[0], signs.shape[0]
    out = np.empty_like(w_move)
    for c in _chunks(n, m, 6):  # memory chunks
        pre, u, v = x @ w_init[c].T, x @ w_move[c].T, x @ direction[c].T
        coef = ((a1.T @ plus[:, c]) * act.derivative(pre + u, 1) - (a1.T @ minus[:, c]) * act.derivative(pre - u, 1)
                + ((d1.T @ plus[:, c]) * act.derivative(pre + u, 2)
                   + (d1.T @ minus[:, c]) * act.derivative(pre - u, 2)) * v)
        out[c] = (coef * w_out[c]).T @ x
    return out / (n * k * math.sqrt(m))


def randomized_sides(x, y, w_init, w_out, w_move, w_star, signs, *, loss="logistic", activation="relu3"):
    r"""Per sign draw :math:`\Sigma_k`, every quantity Theorem 2 and Lemmas 11-14 compare; one pass.

    Returns a dict of arrays of shape (K,) (per draw) and (K, n) (per draw and sample):

    * ``outputs`` (K, n): :math:`f_{W_0+W\Sigma_k}(x_i)`; ``linear`` (K, n): :math:`f^L_{W\Sigma_k}(x_i)`;
      ``quadratic`` (n,): :math:`f^Q_W(x_i)`; ``remainder`` (K, n): :math:`\Delta = f - f^L - f^Q`
      (Lemma 11(b));
    * ``risk`` (K,): :math:`L(W_0+W\Sigma_k)`; ``clean_risk``: :math:`L^Q(W)`;
    * ``grad_inner`` (K,): :math:`\langle\nabla_W L(W_0+W\Sigma_k), W\rangle`, whose mean is
      :math:`\langle\nabla\widetilde L(W), W\rangle`; ``clean_grad_inner``: :math:`\langle\nabla L^Q(W), W\rangle`;
    * ``hess_form`` (K,): :math:`E_{\Sigma''}\nabla^2L(W_0+W\Sigma_k)[W_*\Sigma'', W_*\Sigma'']`, exact over
      :math:`\Sigma''`; its mean over k is :math:`E_{\Sigma'}\nabla^2\widetilde L(W)[W_*\Sigma', W_*\Sigma']`
      (as :math:`\Sigma'\Sigma` is again uniform); ``hess_first`` / ``hess_second`` its two terms;
      ``clean_hess_form``: Lemma 1's exact left side;
    * ``control`` (K,): :math:`\frac1n\sum_i\ell'(y_i, f^Q_W(x_i))f^L_{W\Sigma_k}(x_i)`, mean zero
      exactly (a control variate for the differences of risks and of directional gradients);
      ``hess_control`` (K,): :math:`\frac1n\sum_i\ell'(y_i, f^Q_W(x_i))m^{-1/2}\sum_r a_r\Sigma_{k,r}
      \sigma'''(p_{ir})u_{ir}(w_{*,r}^\top x_i)^2 + \frac1n\sum_i\ell''(y_i, f^Q_W(x_i))
      f^L_{W\Sigma_k}(x_i)\,2f^Q_{W_*}(x_i)`, mean zero exactly (the first-order part in
      :math:`\Sigma` of the Hessian difference of Lemma 14).
    """
    x, y, w_init, w_out, w_move, w_star = _check(x, y, w_init, w_out, w_move, w_star=w_star)
    signs = _check_signs(signs, w_init.shape[0])
    act, lo = get_activation(activation), get_loss(loss)
    n, m, k = x.shape[0], w_init.shape[0], signs.shape[0]
    ap, am, plus, minus = _masks(signs, w_out)
    f, lin, g, h1, h2, hc = (np.zeros((k, n)) for _ in range(6))
    fq, fstar = np.zeros(n), np.zeros(n)
    for c in _chunks(n, m, 12):  # memory chunks
        pre, u, v = x @ w_init[c].T, x @ w_move[c].T, x @ w_star[c].T
        v2 = v * v
        f += ap[:, c] @ act(pre + u).T + am[:, c] @ act(pre - u).T
        s1p, s1m = act.derivative(pre + u, 1), act.derivative(pre - u, 1)
        s2p, s2m = act.derivative(pre + u, 2), act.derivative(pre - u, 2)
        # <grad, W>: sum_r a_r sigma'(p + S u) S u
        g += ap[:, c] @ (s1p * u).T - am[:, c] @ (s1m * u).T
        # E_{Sigma''}: squared first-derivative term has no cross-neuron terms
        h1 += plus[:, c] @ (s1p * s1p * v2).T + minus[:, c] @ (s1m * s1m * v2).T
        h2 += ap[:, c] @ (s2p * v2).T + am[:, c] @ (s2m * v2).T
        lin += (signs[:, c] * w_out[c]) @ (act.derivative(pre, 1) * u).T
        hc += (signs[:, c] * w_out[c]) @ (act.derivative(pre, 3) * u * v2).T
        fq += (act.derivative(pre, 2) * u * u) @ w_out[c]
        fstar += (act.derivative(pre, 2) * v2) @ w_out[c]
    root = math.sqrt(m)
    f, lin, g, h1, h2, hc = f / root, lin / root, g / root, h1 / m, h2 / root, hc / root
    fq /= 2 * root
    fstar /= 2 * root
    d0, d1, d2 = lo.derivative(y, f, 0), lo.derivative(y, f, 1), lo.derivative(y, f, 2)
    q0, q1, q2 = lo.derivative(y, fq, 0), lo.derivative(y, fq, 1), lo.derivative(y, fq, 2)
    first, second = np.mean(d2 * h1, axis=1), np.mean(d1 * h2, axis=1)
    clean = lemma1_terms(x, y, w_init, w_out, w_move, w_star, loss=loss, activation=activation)
    return dict(outputs=f, linear=lin, quadratic=fq, remainder=f - lin - fq, risk=np.mean(d0, axis=1),
                clean_risk=float(np.mean(q0)), grad_inner=np.mean(d1 * g, axis=1),
                clean_grad_inner=float(np.mean(2 * q1 * fq)), hess_form=first + second, hess_first=first,
                hess_second=second, clean_hess_form=clean["lhs_exact"], clean_terms=clean,
                control=np.mean(q1 * lin, axis=1), hess_control=np.mean(q1 * hc + q2 * lin * 2 * fstar, axis=1))


def randomized_risk_squared(x, y, w_init, w_out, w_move, *, activation="relu3"):
    r"""Exact randomized risk :math:`E_\Sigma L(W_0+W\Sigma)` for the squared loss (no Monte Carlo).

    Neurons are independent under :math:`\Sigma`, so :math:`E f(x_i) = \mu_i = m^{-1/2}\sum_r a_r
    \frac{\sigma(p+u)+\sigma(p-u)}{2}` and :math:`\mathrm{Var} f(x_i) = \frac1m\sum_r
    (\frac{\sigma(p+u)-\sigma(p-u)}{2})^2`; the risk is :math:`\frac1n\sum_i\frac12[(\mu_i-y_i)^2
    + \mathrm{Var} f(x_i)]`.
    """
    x, y, w_init, w_out, w_move = _check(x, y, w_init, w_out, w_move)
    act = get_activation(activation)
    n, m = x.shape[0], w_init.shape[0]
    mean, var = np.zeros(n), np.zeros(n)
    for c in _chunks(n, m, 4):  # memory chunks
        pre, u = x @ w_init[c].T, x @ w_move[c].T
        up, down = act(pre + u), act(pre - u)
        mean += (up + down) @ w_out[c] / 2
        var += np.sum(((up - down) / 2) ** 2, axis=1)
    mean /= math.sqrt(m)
    var /= m
    return float(np.mean(0.5 * ((mean - y) ** 2 + var)))


# --------------------------------------------------------------------------------------------
# the regularizer lambda ||W||_{2,4}^8


def regularizer(w_move, reg):
    r""":math:`\lambda\|W\|_{2,4}^8 = \lambda(\sum_r\|w_r\|^4)^2`."""
    s = np.sum(np.sum(w_move**2, axis=1) ** 2)
    return float(reg * s * s)


def regularizer_gradient(w_move, reg):
    r""":math:`\nabla\lambda\|W\|_{2,4}^8`: row r is :math:`8\lambda S\|w_r\|^2w_r`, :math:`S = \sum_r\|w_r\|^4`."""
    sq = np.sum(w_move**2, axis=1)
    return 8.0 * reg * np.sum(sq**2) * sq[:, None] * w_move


def regularizer_hvp(w_move, direction, reg):
    r"""Hessian-vector product of :math:`\lambda\|W\|_{2,4}^8`:
    row r is :math:`8\lambda[dS\,\|w_r\|^2w_r + S(2\langle w_r,v_r\rangle w_r + \|w_r\|^2v_r)]`,
    :math:`dS = 4\sum_r\|w_r\|^2\langle w_r, v_r\rangle`."""
    sq = np.sum(w_move**2, axis=1)
    dots = np.sum(w_move * direction, axis=1)
    s = np.sum(sq**2)
    ds = 4.0 * np.sum(sq * dots)
    return 8.0 * reg * (ds * sq[:, None] * w_move + s * (2.0 * dots[:, None] * w_move + sq[:, None] * direction))


def regularizer_expected_form(w_move, w_star, reg):
    r""":math:`E_{\Sigma'}\nabla^2(\lambda\|W\|_{2,4}^8)[W_*\Sigma', W_*\Sigma']`, exact (B.5):
    :math:`32\lambda\sum_r\|w_r\|^4\langle w_r,w_{*,r}\rangle^2 + 8\lambda S\sum_r(2\langle w_r,w_{*,r}\rangle^2
    + \|w_r\|^2\|w_{*,r}\|^2)`."""
    sq = np.sum(w_move**2, axis=1)
    dots = np.sum(w_move * w_star, axis=1)
    s = np.sum(sq**2)
    return float(32.0 * reg * np.sum(sq**2 * dots**2)
                 + 8.0 * reg * s * np.sum(2.0 * dots**2 + sq * np.sum(w_star**2, axis=1)))


def randomized_risk(x, y, w_init, w_out, w_move, *, rng, draws=1000, level=0.95, loss="logistic",
                    activation="relu3"):
    r"""The randomized risk :math:`\widetilde L(W) = E_\Sigma L(W_0 + W\Sigma)`: ``(value, interval)``.

    Monte Carlo over ``draws`` sign draws with a Student-t interval at ``level``; for the squared
    loss the exact value (:func:`randomized_risk_squared`) with a degenerate interval.
    """
    from ..results import mean_interval

    if get_loss(loss).name == "squared":
        value = randomized_risk_squared(x, y, w_init, w_out, w_move, activation=activation)
        return value, (value, value)
    signs = rng.choice(np.array([-1.0, 1.0]), size=(validate.integer("draws", draws, minimum=2), np.shape(w_init)[0]))
    return mean_interval(network_risk(x, y, w_init, w_out, w_move, signs, loss=loss, activation=activation), level)


def regularized_risk(x, y, w_init, w_out, w_move, signs, reg, *, loss="logistic", activation="relu3"):
    r""":math:`L(W_0 + W\Sigma_k) + \lambda\|W\|_{2,4}^8` per row of ``signs`` (mean: the Monte Carlo
    :math:`\widetilde L_\lambda(W)`), shape (K,)."""
    return network_risk(x, y, w_init, w_out, w_move, signs, loss=loss, activation=activation) + regularizer(w_move, reg)


def regularized_risk_gradient(x, y, w_init, w_out, w_move, signs, reg, *, loss="logistic", activation="relu3"):
    r"""Gradient of :math:`\frac1K\sum_kL(W_0 + W\Sigma_k) + \lambda\|W\|_{2,4}^8`, shape (m, d)."""
    return (network_risk_gradient(x, y, w_init, w_out, w_move, signs, loss=loss, activation=activation)
            + regularizer_gradient(w_move, reg))


def regularized_risk_hvp(x, y, w_init, w_out, w_move, signs, reg, direction, *, loss="logistic",
                         activation="relu3"):
    r"""Hessian-vector product of :math:`\frac1K\sum_kL(W_0 + W\Sigma_k) + \lambda\|W\|_{2,4}^8`."""
    return (network_risk_hvp(x, y, w_init, w_out, w_move, signs, direction, loss=loss, activation=activation)
            + regularizer_hvp(w_move, direction, reg))


# --------------------------------------------------------------------------------------------
# smallest Hessian eigenvalue


def smallest_hessian_eigenvalue(hvp, shape, *, rng, tol=1e-6, maxiter=None):
    r"""Smallest eigenvalue of the Hessian behind ``hvp`` (a function V -> H V on arrays of ``shape``).

    Lanczos (``scipy.sparse.linalg.eigsh``, ``which="SA"``) on a ``LinearOperator``; the Hessian is
    never formed. Returns ``(eigenvalue, eigenvector)`` with the eigenvector shaped like ``shape``.
    """
    size = int(np.prod(shape))

    def matvec(vec):
        return np.asarray(hvp(np.asarray(vec, dtype=np.float64).reshape(shape)), dtype=np.float64).ravel()

    op = LinearOperator((size, size), matvec=matvec, dtype=np.float64)
    start = rng.standard_normal(size)
    if size <= 2:
        dense = np.column_stack([matvec(e) for e in np.eye(size)])  # at most 2 x 2
        vals, vecs = np.linalg.eigh((dense + dense.T) / 2)
        return float(vals[0]), vecs[:, 0].reshape(shape)
    try:
        vals, vecs = eigsh(op, k=1, which="SA", v0=start, tol=tol, maxiter=maxiter or 20 * size)
    except ArpackNoConvergence as err:  # keep the best Ritz value found
        if len(err.eigenvalues) == 0:
            raise
        vals, vecs = err.eigenvalues, err.eigenvectors
    return float(vals[0]), vecs[:, 0].reshape(shape)


# --------------------------------------------------------------------------------------------
# the two sides compared by the Section 4 checks (boundcheck.lemmas.landscape)

#: Corollary 3's constant C from B.5: the AM-GM step with :math:`\alpha = 5/14` leaves
#: :math:`378\lambda\alpha^{-3}\|W_*\|_{2,4}^8`, i.e. :math:`C = 378\cdot14^3/5^3 \approx 8297.9`.
COROLLARY3_CONSTANT = 378.0 * 14.0**3 / 5.0**3


def lemma1_sides(x, y, w_init, w_out, w_move, w_star, *, opt, input_radius, constant=1.0, loss="logistic",
                 activation="relu3"):
    r"""Lemma 1 at one W: :func:`lemma1_terms` and, under ``bound``, the explicit bound
    :func:`lemma1_bound` on its remainder (:math:`C^2t^2B_x^4\|W\|_{2,4}^2\|W_*\|_{2,4}^2/m`,
    with :math:`B_x` = ``input_radius`` and C = ``constant``)."""
    terms = lemma1_terms(x, y, w_init, w_out, w_move, w_star, opt=opt, loss=loss, activation=activation)
    terms["bound"] = lemma1_bound(w_init, w_move, w_star, input_radius=input_radius, constant=constant)
    return terms


def shared_planted_problem(n_samples, width, dim, *, radius_star, seed, rng, input_radius=1.0, loss="logistic"):
    r"""A planted problem whose data and teacher shape are shared across widths (common random numbers).

    As :func:`boundcheck.numeric.coupling.planted_problem` with an aligned teacher of
    :math:`\|W_*\|_{2,4}` = ``radius_star``, except that the inputs and the teacher's two
    directions come from ``seed`` (the same at every width) and only the initialization
    :math:`(W_0, a)` from ``rng``: a sweep in m then varies the network alone. Labels are
    :math:`\mathrm{sign}(f^Q_{W_*} - \mathrm{median})` (:math:`f^Q_{W_*}` itself for squared loss).
    Returns a dict with ``x, y, w_init, w_out, w_star``.
    """
    from ..data import sample_sphere
    from ..network import quadratic_model, symmetric_init
    from .coupling import aligned_move

    shared = np.random.default_rng(seed)
    x = sample_sphere(n_samples, dim, input_radius=input_radius, rng=shared)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    w_star = aligned_move(w_out, dim, radius_star, rng=shared, directions=2)
    fstar = quadratic_model(x, w_init, w_out, w_star)
    y = fstar if get_loss(loss).name == "squared" else np.where(fstar >= np.median(fstar), 1.0, -1.0)
    return dict(x=x, y=y, w_init=w_init, w_out=w_out, w_star=w_star)


def lemma1_remainder_sweep(widths, replicates, *, n_samples, dim, radius_star, rng, input_radius=1.0,
                           loss="logistic", activation="relu3"):
    r"""Lemma 1's remainder (term II of B.1) at :math:`W = W_*` across ``widths``: shape (replicates, widths).

    Each replicate is one data set and one teacher shape (:func:`shared_planted_problem`) with a
    fresh initialization at every width, and :math:`\|W_*\|_{2,4}` = ``radius_star`` fixed, so the
    series isolates the dependence on m. With :math:`\|w_{*,r}\| \propto m^{-1/4}` the remainder
    is :math:`m^{-1}` times a mean over neurons whose law does not depend on m.
    """
    out = np.empty((replicates, len(widths)))
    for k in range(replicates):  # a loop over replicate series
        seed = int(rng.integers(2**63))
        for j, m in enumerate(widths):  # a loop over widths (sweep cells)
            p = shared_planted_problem(n_samples, m, dim, radius_star=radius_star, seed=seed, rng=rng,
                                       input_radius=input_radius, loss=loss)
            out[k, j] = lemma1_terms(p["x"], p["y"], p["w_init"], p["w_out"], p["w_star"], p["w_star"], loss=loss,
                                     activation=activation)["remainder"]
    return out


def theorem2_samples(x, y, w_init, w_out, w_move, w_star, signs, *, opt, loss="logistic", activation="relu3",
                     control=True):
    r"""Theorem 2's inequality (7) per sign draw, as one number: returns ``(h, sides)`` with

    :math:`h(\Sigma) = E_{\Sigma''}\nabla^2L(W_0+W\Sigma)[W_*\Sigma'', W_*\Sigma''] -
    \langle\nabla_WL(W_0+W\Sigma), W\rangle + 2(L(W_0+W\Sigma) - \mathrm{OPT})`, whose mean over
    :math:`\Sigma` is (7)'s left side minus its right side without :math:`\epsilon`
    (``sides`` from :func:`randomized_sides`). With ``control`` the exactly mean-zero first-order
    terms are subtracted (same mean, smaller variance).
    """
    s = randomized_sides(x, y, w_init, w_out, w_move, w_star, signs, loss=loss, activation=activation)
    h = s["hess_form"] - s["grad_inner"] + 2 * (s["risk"] - opt)
    if control:
        h = h - s["hess_control"] - s["control"]
    return h, s


def theorem2_coupling_error(x, y, w_init, w_out, w_star, family, signs, *, opt, loss="logistic",
                            activation="relu3"):
    r"""``(coupling, largest)`` over the movements W of ``family``: the largest
    :math:`|\overline{h}(W) - (\mathrm{lhs} - \mathrm{rhs\_main})(W)|` (the Monte Carlo mean of
    :func:`theorem2_samples` minus Lemma 1's exact slack of the quadratic model at the same W: what
    Lemmas 12-14 bound, the part of :math:`\epsilon` condition (6) pays for), and the largest
    :math:`\overline{h}(W)` (the smallest :math:`\epsilon` for which (7) holds on the family)."""
    coupling, largest = 0.0, -math.inf
    for w in family:  # a loop over a few movements, each batched over sign draws
        h, _ = theorem2_samples(x, y, w_init, w_out, w, w_star, signs, opt=opt, loss=loss, activation=activation)
        t = lemma1_terms(x, y, w_init, w_out, w, w_star, opt=opt, loss=loss, activation=activation)
        coupling = max(coupling, abs(float(np.mean(h)) - (t["lhs_exact"] - t["rhs_main"])))
        largest = max(largest, float(np.mean(h)))
    return coupling, largest


def theorem2_coupling_sweep(widths, replicates, *, n_samples, dim, radius, radius_star, draws, rng,
                            input_radius=1.0, loss="logistic", activation="relu3"):
    r""":func:`theorem2_coupling_error` across ``widths``: two arrays of shape (replicates, widths).

    Each replicate shares its data, teacher shape and movement directions across widths
    (:func:`shared_planted_problem`); the family of W is :math:`W_*`, :math:`W_*` scaled to
    :math:`B_w` (``radius``), and aligned movements of norm :math:`B_w` and :math:`B_w/2`: the
    same shapes at every width. OPT is :math:`L^Q(W_*)`.
    """
    from .coupling import aligned_move

    coupling = np.empty((replicates, len(widths)))
    largest = np.empty_like(coupling)
    for k in range(replicates):  # a loop over replicate series
        seed = int(rng.integers(2**63))
        for j, m in enumerate(widths):  # a loop over widths (sweep cells)
            p = shared_planted_problem(n_samples, m, dim, radius_star=radius_star, seed=seed, rng=rng,
                                       input_radius=input_radius, loss=loss)
            x, y, w_init, w_out, w_star = p["x"], p["y"], p["w_init"], p["w_out"], p["w_star"]
            moves = np.random.default_rng([seed, 1])
            family = [w_star, w_star * (radius / radius_star), aligned_move(w_out, dim, radius, rng=moves),
                      aligned_move(w_out, dim, radius / 2, rng=moves)]
            opt = clean_risk(x, y, w_init, w_out, w_star, loss=loss, activation=activation)
            signs = rng.choice(np.array([-1.0, 1.0]), size=(draws, m))
            coupling[k, j], largest[k, j] = theorem2_coupling_error(x, y, w_init, w_out, w_star, family, signs,
                                                                    opt=opt, loss=loss, activation=activation)
    return coupling, largest


def width_required_by_6(accuracy, *, dim, radius, radius_star, input_radius=1.0, constant=1.0, failure_prob=0.05):
    r"""The smallest width m for which the proof of Theorem 2 (B.4) gives (7) with ``accuracy`` epsilon.

    The proof asks :math:`|L - L^Q| \le \epsilon/6` (Lemma 12), Lemma 1's remainder
    :math:`\le \epsilon/3`, Lemma 13's and Lemma 14's errors :math:`\le \epsilon/6` each, at
    :math:`\|W\|_{2,4} = B_w`, :math:`\|W_*\|_{2,4} = B_{w,*}` and :math:`t` from (4)
    (:func:`boundcheck.network.equation4_bound` at ``failure_prob``). Each bound carries the
    explicit constants of :mod:`boundcheck.numeric.coupling`, so this is condition (6) with its
    :math:`\tilde O` made explicit. Returns m (a float; bisection on :math:`\log_{10} m`; inf beyond
    :math:`10^{200}`).
    """
    from ..network import equation4_bound
    from . import coupling as cp

    def ok(m):
        ctx = dict(m=m, t=equation4_bound(max(2, int(m)), dim, failure_prob), N=radius, N_star=radius_star,
                   B=input_radius, C=constant)
        rem = constant**2 * ctx["t"] ** 2 * input_radius**4 * radius**2 * radius_star**2 / m
        return (cp.lemma12_bound(ctx) <= accuracy / 6 and rem <= accuracy / 3 and cp.lemma13_bound(ctx) <= accuracy / 6
                and cp.lemma14_bound(ctx) <= accuracy / 6)

    lo, hi = 0.0, 1.0
    while not ok(10.0**hi):  # doubling in log10 m, a scalar search
        lo, hi = hi, 2 * hi
        if hi > 200:
            return math.inf
    for _ in range(60):  # bisection in log10 m
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if ok(10.0**mid) else (mid, hi)
    return 10.0**hi


def corollary3_regularizer_gap(w_move, w_star, reg):
    r"""B.5's regularizer part of :math:`\Delta_\lambda - \Delta_0`:
    :math:`E\nabla^2R[W_*\Sigma', W_*\Sigma'] - \langle\nabla R, W\rangle + 2R = E\nabla^2R[\cdot] - 6R`
    for :math:`R = \lambda\|W\|_{2,4}^8` (:math:`\langle\nabla R, W\rangle = 8R`)."""
    return regularizer_expected_form(w_move, w_star, reg) - 6.0 * regularizer(w_move, reg)


def corollary3_needed_constant(w_star):
    r"""The smallest C in :math:`\Delta_\lambda - \Delta_0 \le -\lambda\|W\|^8_{2,4} + C\lambda\|W_*\|^8_{2,4}`
    over the ray :math:`W = sW_*`, :math:`s > 0`: a lower bound on the C this :math:`W_*` needs
    over all W (the ray is the worst direction when the rows of :math:`W_*` have equal norms, not
    in general).

    Closed form: with :math:`A = E\nabla^2R(W_*)[W_*\Sigma', W_*\Sigma']/\lambda` and
    :math:`B = \|W_*\|^8_{2,4}`, the maximum over s of :math:`As^6 - 5Bs^8` is :math:`As^6/4` at
    :math:`s^2 = 3A/(20B)`.
    """
    a = regularizer_expected_form(w_star, w_star, 1.0)
    b = regularizer(w_star, 1.0)
    s2 = 3 * a / (20 * b)
    return float(a * s2**3 / 4 / b)


def theorem4_norm_bound(radius_star, *, gamma, accuracy, opt_lower, opt_upper, constant=COROLLARY3_CONSTANT):
    r"""B.6's explicit :math:`O(B_{w,*})`: :math:`\|\widehat W\|_{2,4} \le B_{w,*}[C(1 +
    (2\mathrm{OPT}+\epsilon)/(2\gamma\mathrm{OPT}+\epsilon))]^{1/8}`.

    :math:`\lambda = (2\gamma\,\mathrm{OPT}_{\rm lower}+\epsilon)/(CB_{w,*}^8)` is what the check
    chose, so the denominator holds the lower end of OPT's bracket; the numerator comes from
    :math:`2(\mathrm{OPT} - \widetilde L_\lambda) \le 2\,\mathrm{OPT}` and takes the upper end.
    """
    ratio = (2 * opt_upper + accuracy) / (2 * gamma * opt_lower + accuracy)
    return float(radius_star * (constant * (1 + ratio)) ** 0.125)
