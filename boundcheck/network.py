r"""The two-layer network of the paper, its symmetric initialization and its Taylor models.

Paper, equation (1) and Section 3:

.. math::

    f_{W_0 + W}(x) = \frac{1}{\sqrt m} \sum_{r=1}^m a_r \, \sigma\big((w_{0,r} + w_r)^\top x\big),

with the trainable movement ``w_move`` (:math:`W`) from the initialization ``w_init``
(:math:`W_0`) and fixed output signs ``w_out`` (:math:`a`). Its Taylor terms in :math:`W` are

.. math::

    f^{(k)}_{W_0, W}(x) = \frac{1}{\sqrt m} \sum_r a_r \frac{\sigma^{(k)}(w_{0,r}^\top x)}{k!}
    (w_r^\top x)^k ,

so the linear (NTK) model is :math:`f^L = f^{(1)}` and the quadratic model
:math:`f^Q = f^{(2)} = \frac{1}{2\sqrt m}\sum_r a_r \sigma''(w_{0,r}^\top x)(w_r^\top x)^2`.
The randomized network replaces :math:`w_r` by :math:`\Sigma_{rr} w_r`.

Section 6 uses 2m neurons, :math:`f_{W_0, W}(x) = m^{-1/2}\sum_{r\le m}
[\sigma((w_{0,r} + w_{+,r})^\top x) - \sigma((w_{0,r} + w_{-,r})^\top x)]`, available as
:func:`network_pm` and :func:`taylor_term_pm`.

Every function is batched: a loop runs only over memory chunks of neurons, each chunk one GEMM,
so that peak memory stays near ``chunk_bytes`` whatever ``(n, m)``.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as validate
from .activations import get_activation

__all__ = [
    "symmetric_init", "equation4_bound", "equation4_event", "network", "taylor_term", "taylor_terms",
    "linear_model", "quadratic_model", "randomized_network", "randomized_taylor_term", "network_pm",
    "taylor_term_pm", "norm_24", "project_ball_24", "sample_signs",
]

#: Working memory for one chunk of (samples x neurons) intermediate arrays, in bytes.
CHUNK_BYTES = 32 * 2**20


def symmetric_init(width, dim, *, input_radius=1.0, rng):
    r"""Symmetric initialization, paper equation (3).

    :math:`a_1 = \dots = a_{m/2} = +1`, :math:`a_{m/2+1} = \dots = a_m = -1`, and
    :math:`w_{0,r} = w_{0,r+m/2} \sim N(0, B_x^{-2} I_d)` i.i.d. for :math:`r \le m/2`, so
    that :math:`w_{0,r}^\top x \sim N(0, 1)` for :math:`\|x\| = B_x` and :math:`f_{W_0} \equiv 0`.

    Parameters
    ----------
    width : int
        m, an even integer >= 2.
    dim : int
        d, the input dimension.
    input_radius : float
        B_x, the norm of every input.
    rng : numpy.random.Generator

    Returns
    -------
    w_init : ndarray, shape (width, dim)
    w_out : ndarray, shape (width,)
    """
    width = validate.even_width("width", width)
    dim = validate.integer("dim", dim, minimum=1)
    input_radius = validate.positive("input_radius", input_radius)
    half = rng.standard_normal((width // 2, dim)) / input_radius
    w_init = np.concatenate([half, half])
    w_out = np.concatenate([np.ones(width // 2), -np.ones(width // 2)])
    return w_init, w_out


def equation4_bound(width, dim, failure_prob):
    r"""The threshold of equation (4) from its proof (Appendix A.3).

    With probability at least :math:`1 - \delta`,
    :math:`\max_r B_x \|w_{0,r}\|_2 \le t = \sqrt{8(d \log 5 + \log(m/\delta))}`
    (a 1/2-net of the sphere has at most :math:`5^d` points and
    :math:`P(v^\top B_x w_{0,r} > t/2) \le e^{-t^2/8}`). The printed proof has
    :math:`\log(m/d)`; the union bound gives :math:`\log(m/\delta)`, used here.
    """
    width = validate.integer("width", width, minimum=1)
    dim = validate.integer("dim", dim, minimum=1)
    failure_prob = validate.probability("failure_prob", failure_prob)
    return math.sqrt(8.0 * (dim * math.log(5.0) + math.log(width / failure_prob)))


def equation4_event(w_init, input_radius, failure_prob=0.05):
    """Whether this draw satisfies equation (4): ``(max_r B_x ||w_{0,r}||, bound, holds)``."""
    w_init = validate.matrix("w_init", w_init)
    input_radius = validate.positive("input_radius", input_radius)
    largest = float(input_radius * np.max(np.linalg.norm(w_init, axis=1)))
    bound = equation4_bound(w_init.shape[0], w_init.shape[1], failure_prob)
    return largest, bound, largest <= bound


def norm_24(w_move):
    r""":math:`\|W\|_{2,4} = (\sum_r \|w_r\|_2^4)^{1/4}`, batched over leading axes."""
    w_move = np.asarray(w_move, dtype=np.float64)
    return np.sum(np.sum(w_move**2, axis=-1) ** 2, axis=-1) ** 0.25


def project_ball_24(w_move, radius):
    r"""Euclidean projection of ``w_move`` (m, d) onto the ball :math:`\|W\|_{2,4} \le` ``radius``.

    KKT: each row keeps its direction, :math:`w_r = p_r / (1 + \theta\|w_r\|^2)`, so its new norm
    :math:`\rho_r` solves :math:`\theta\rho^3 + \rho = \|p_r\|`, i.e.
    :math:`\rho = \frac{2}{\sqrt{3\theta}}\sinh\big(\frac13\operatorname{arsinh}(\frac32\sqrt{3\theta}\|p_r\|)\big)`;
    the multiplier :math:`\theta` is found by bisection (to machine precision, always on the
    feasible side) so that :math:`\sum_r\rho_r^4 = B_w^4`. ``radius=inf`` returns a copy.
    """
    w_move = np.asarray(w_move, dtype=np.float64)
    if radius == math.inf:
        return w_move.copy()
    radius = validate.positive("radius", radius)
    norms = np.linalg.norm(w_move, axis=-1)
    target = radius**4
    if np.sum(norms**4) <= target:
        return w_move.copy()

    def shrunk(theta):
        root = np.sqrt(3.0 * theta)
        return 2.0 / root * np.sinh(np.arcsinh(1.5 * root * norms) / 3.0)

    lo, hi = 0.0, 1.0
    while np.sum(shrunk(hi) ** 4) > target:
        hi *= 4.0
    for _ in range(200):  # bisection on the multiplier
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if np.sum(shrunk(mid) ** 4) > target:
            lo = mid
        else:
            hi = mid
    scale = np.divide(shrunk(hi), norms, out=np.zeros_like(norms), where=norms > 0)
    out = w_move * scale[..., None]
    total = float(norm_24(out))
    if total > radius * (1.0 - 1e-12):  # rounding: land strictly inside, so feasibility is certain
        out *= radius * (1.0 - 1e-12) / total
    return out


def sample_signs(n_draws, width, *, rng):
    r"""``n_draws`` i.i.d. sign vectors :math:`\Sigma_{rr} \sim \mathrm{Unif}\{\pm 1\}`, shape (n_draws, width)."""
    n_draws = validate.integer("n_draws", n_draws, minimum=1)
    width = validate.integer("width", width, minimum=1)
    return rng.choice(np.array([-1.0, 1.0]), size=(n_draws, width))


# --------------------------------------------------------------------------------------------
# shared plumbing


def _inputs(x, w_init, w_out, w_move=None):
    x = validate.matrix("x", x)
    w_init = validate.matrix("w_init", w_init)
    validate.same_dim("w_init", w_init, "x", x)
    w_out = validate.vector("w_out", w_out, length=w_init.shape[0])
    if w_move is not None:
        w_move = validate.matrix("w_move", w_move, shape=w_init.shape)
    return x, w_init, w_out, w_move


def _neuron_chunks(n_samples, width, arrays=4, chunk_bytes=None):
    """Slices of neurons such that ``arrays`` float64 arrays of shape (n, chunk) fit the budget.

    This loop is over memory chunks, not over neurons: each chunk is one GEMM.
    """
    budget = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    size = max(1, min(width, budget // (8 * arrays * max(n_samples, 1))))
    return [slice(start, min(start + size, width)) for start in range(0, width, size)]


def _scale(width, scale):
    return 1.0 / math.sqrt(width) if scale is None else float(scale)


# --------------------------------------------------------------------------------------------
# the network and its Taylor terms


def network(x, w_init, w_out, w_move=None, *, activation="relu3", scale=None):
    r"""The network :math:`f_{W_0 + W}(x)` of equation (1), shape (n_samples,).

    ``w_move`` None means :math:`W = 0`; ``scale`` defaults to :math:`m^{-1/2}`.
    """
    x, w_init, w_out, w_move = _inputs(x, w_init, w_out, w_move)
    act = get_activation(activation)
    n, m = x.shape[0], w_init.shape[0]
    out = np.zeros(n)
    for chunk in _neuron_chunks(n, m, arrays=2):
        weights = w_init[chunk] if w_move is None else w_init[chunk] + w_move[chunk]
        out += act(x @ weights.T) @ w_out[chunk]
    return out * _scale(m, scale)


def taylor_terms(x, w_init, w_out, w_move, orders, *, activation="relu3", scale=None):
    r"""The Taylor terms :math:`f^{(k)}_{W_0, W}(x)` for each k in ``orders``, shape (len(orders), n).

    :math:`f^{(k)}(x) = m^{-1/2}\sum_r a_r \sigma^{(k)}(w_{0,r}^\top x)(w_r^\top x)^k / k!`;
    :math:`f^{(0)} = f_{W_0}`.
    """
    x, w_init, w_out, w_move = _inputs(x, w_init, w_out, w_move)
    orders = [validate.integer("order", k, minimum=0) for k in np.atleast_1d(orders)]
    act = get_activation(activation)
    n, m = x.shape[0], w_init.shape[0]
    out = np.zeros((len(orders), n))
    for chunk in _neuron_chunks(n, m, arrays=3):
        pre = x @ w_init[chunk].T
        proj = x @ w_move[chunk].T
        for i, k in enumerate(orders):
            out[i] += (act.derivative(pre, k) * proj**k) @ w_out[chunk] / math.factorial(k)
    return out * _scale(m, scale)


def taylor_term(x, w_init, w_out, w_move, order, *, activation="relu3", scale=None):
    r"""One Taylor term :math:`f^{(k)}_{W_0, W}(x)`, shape (n_samples,)."""
    return taylor_terms(x, w_init, w_out, w_move, [order], activation=activation, scale=scale)[0]


def linear_model(x, w_init, w_out, w_move, *, activation="relu3"):
    r"""The NTK model :math:`f^L_W(x) = m^{-1/2}\sum_r a_r \sigma'(w_{0,r}^\top x)(w_r^\top x)`."""
    return taylor_term(x, w_init, w_out, w_move, 1, activation=activation)


def quadratic_model(x, w_init, w_out, w_move, *, activation="relu3"):
    r"""The quadratic model :math:`f^Q_W(x) = (2\sqrt m)^{-1}\sum_r a_r\sigma''(w_{0,r}^\top x)(w_r^\top x)^2`."""
    return taylor_term(x, w_init, w_out, w_move, 2, activation=activation)


def randomized_taylor_term(x, w_init, w_out, w_move, signs, order, *, activation="relu3", scale=None):
    r""":math:`f^{(k)}_{W_0, W\Sigma}(x)` for each row of ``signs``, shape (n_draws, n_samples).

    Since :math:`(\Sigma_{rr} w_r^\top x)^k = \Sigma_{rr}^k (w_r^\top x)^k`, all draws come from
    one GEMM per chunk; ``signs`` may hold any real values (Section 6 uses :math:`z_\pm`).
    """
    x, w_init, w_out, w_move = _inputs(x, w_init, w_out, w_move)
    k = validate.integer("order", order, minimum=0)
    signs = validate.matrix("signs", np.atleast_2d(signs), shape=(None, w_init.shape[0]))
    act = get_activation(activation)
    n, m = x.shape[0], w_init.shape[0]
    coef = signs**k * w_out
    out = np.zeros((signs.shape[0], n))
    for chunk in _neuron_chunks(n, m, arrays=3):
        term = act.derivative(x @ w_init[chunk].T, k) * (x @ w_move[chunk].T) ** k
        out += coef[:, chunk] @ term.T
    return out * _scale(m, scale) / math.factorial(k)


def randomized_network(x, w_init, w_out, w_move, signs, *, activation="relu3"):
    r"""The randomized network :math:`f_{W_0 + W\Sigma}(x)`, shape (n_draws, n_samples).

    For sign matrices (entries :math:`\pm 1`) each neuron takes one of two values,
    :math:`\sigma(w_{0,r}^\top x \pm w_r^\top x)`, so all draws come from two GEMMs per chunk.
    Other real diagonals are evaluated draw by draw (a loop over draws, each batched).
    """
    x, w_init, w_out, w_move = _inputs(x, w_init, w_out, w_move)
    signs = validate.matrix("signs", np.atleast_2d(signs), shape=(None, w_init.shape[0]))
    act = get_activation(activation)
    n, m = x.shape[0], w_init.shape[0]
    if not np.all(np.abs(signs) == 1.0):
        return np.stack([network(x, w_init, w_out, w_move * s[:, None], activation=act) for s in signs])
    plus = (1.0 + signs) / 2.0 * w_out
    minus = (1.0 - signs) / 2.0 * w_out
    out = np.zeros((signs.shape[0], n))
    for chunk in _neuron_chunks(n, m, arrays=4):
        pre = x @ w_init[chunk].T
        proj = x @ w_move[chunk].T
        out += plus[:, chunk] @ act(pre + proj).T + minus[:, chunk] @ act(pre - proj).T
    return out / math.sqrt(m)


def _pm_weights(w_init, w_plus, w_minus):
    w_init = validate.matrix("w_init", w_init)
    w_plus = validate.matrix("w_plus", w_plus, shape=w_init.shape)
    w_minus = validate.matrix("w_minus", w_minus, shape=w_init.shape)
    m = w_init.shape[0]
    w_out = np.concatenate([np.ones(m), -np.ones(m)])
    return np.concatenate([w_init, w_init]), w_out, np.concatenate([w_plus, w_minus]), 1.0 / math.sqrt(m)


def network_pm(x, w_init, w_plus, w_minus, *, activation="softplus"):
    r"""Section 6's 2m-neuron network.

    :math:`m^{-1/2}\sum_{r\le m}[\sigma((w_{0,r}+w_{+,r})^\top x) - \sigma((w_{0,r}+w_{-,r})^\top x)]`,
    with ``w_init`` of shape (m, d) holding the m distinct :math:`w_{0,r}`.
    """
    w_init2, w_out, w_move, scale = _pm_weights(w_init, w_plus, w_minus)
    return network(x, w_init2, w_out, w_move, activation=activation, scale=scale)


def taylor_term_pm(x, w_init, w_plus, w_minus, order, *, activation="softplus"):
    r"""Section 6's k-th order NTK.

    :math:`f^{(k)}(x) = m^{-1/2}\sum_{r\le m} \frac{\sigma^{(k)}(w_{0,r}^\top x)}{k!}
    [(w_{+,r}^\top x)^k - (w_{-,r}^\top x)^k]`.
    """
    w_init2, w_out, w_move, scale = _pm_weights(w_init, w_plus, w_minus)
    return taylor_term(x, w_init2, w_out, w_move, order, activation=activation, scale=scale)
