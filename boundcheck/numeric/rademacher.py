r"""Exact empirical Rademacher complexities of the quadratic class and of the NTK class (Section 5.1).

Quadratic class (Lemma 5). For sample signs :math:`s \in \{\pm1\}^n` write

.. math::

    M_r(s) = \frac1n \sum_{i=1}^n s_i\, \sigma''(w_{0,r}^\top x_i)\, x_i x_i^\top \in \mathbb R^{d\times d},

so that :math:`\frac1n\sum_i s_i f^Q_W(x_i) = \frac{1}{2\sqrt m}\sum_r a_r w_r^\top M_r w_r`.
For :math:`\|w_r\|_2 = t_r` the r-th term is at most :math:`t_r^2 \lambda_r` with
:math:`\lambda_r = \lambda_{\max}(a_r M_r)`, attained at the top eigenvector. With
:math:`u_r = t_r^2 \ge 0` and :math:`\sum_r u_r^2 \le B_w^4`, the sum :math:`\sum_r u_r\lambda_r` is
maximised (Cauchy-Schwarz) by :math:`u \propto (\lambda)_+`, so

.. math::

    \sup_{\|W\|_{2,4}\le B_w} \frac1n\sum_i s_i f^Q_W(x_i)
    = \frac{B_w^2}{2\sqrt m}\, \big\|(\lambda_{\max}(a_r M_r))_{+}\big\|_2 ,

and :math:`\le \frac{B_w^2}{2}\max_r\|M_r\|_{\mathrm{op}}`, the per-draw bound in the proof of
Lemma 5 (Appendix C.1) before the contraction step.

NTK class. :math:`\frac1n\sum_i s_i f^L_W(x_i) = \langle W, G(s)\rangle` with
:math:`G_r = \frac{a_r}{n\sqrt m}\sum_i s_i\sigma'(w_{0,r}^\top x_i)x_i`, so the supremum over
:math:`\|W\|_F\le R` is :math:`R\|G(s)\|_F = \frac{R}{n\sqrt m}\sqrt{s^\top K s}` with the kernel
:math:`K_{ij} = \sum_r\sigma'(w_{0,r}^\top x_i)\sigma'(w_{0,r}^\top x_j)\, x_i^\top x_j`. Its
Frobenius-norm (trace) bound is :math:`E_s \le \frac{R}{n\sqrt m}\sqrt{\mathrm{tr} K}` (Jensen).

The heavy step is the m matrices :math:`M_r` per sign draw and their extreme eigenvalues,
:math:`O(n m d^2 + m d^3)`. It runs as GEMMs over memory chunks of (draw, neuron) pairs: the
packed upper triangles of all :math:`x_i x_i^\top` form an (n, d(d+1)/2) matrix Z, and one chunk of
matrices is ``weights (chunk, n) @ Z``; a batched ``eigvalsh`` follows. Identical rows of
``w_init`` (the symmetric initialization copies every row) are computed once.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import _validate as validate
from .._threads import large, map_batches, small_products
from ..activations import get_activation
from ..network import CHUNK_BYTES, TaylorModel
from ..results import mean_interval

__all__ = ["weighted_gram_extremes", "feature_operator_extremes", "quadratic_class_sup",
           "quadratic_class_argmax", "lemma5_per_draw", "ntk_class_sup", "ntk_trace_bound",
           "ntk_class_argmax", "sample_rademacher", "ComplexityEstimate", "quadratic_complexity",
           "ntk_complexity", "complexity_sweep", "CHUNK_BYTES", "PACKED_BYTES"]

#: Largest packed outer-product matrix Z (n x d(d+1)/2) built at once; beyond it, columns are chunked.
PACKED_BYTES = 8 * CHUNK_BYTES


def sample_rademacher(n_draws, n_samples, *, rng):
    """``n_draws`` i.i.d. Rademacher sign vectors over the samples, shape (n_draws, n_samples)."""
    n_draws = validate.integer("n_draws", n_draws, minimum=1)
    n_samples = validate.integer("n_samples", n_samples, minimum=1)
    return rng.choice(np.array([-1.0, 1.0]), size=(n_draws, n_samples))


# --------------------------------------------------------------------------------------------
# the GEMM core


def _packed_outer(x, cols=None):
    """Columns ``cols`` (default all) of the packed upper triangles of x_i x_i^T: shape (n, len(cols)).

    The triangle is laid out row by row (the order of ``np.triu_indices``); the full matrix is
    built by a loop over its d rows (a loop over the dimension, each step one broadcast product).
    """
    n, d = x.shape
    if cols is not None:
        iu, ju = np.triu_indices(d)
        return x[:, iu[cols]] * x[:, ju[cols]]
    out = np.empty((n, d * (d + 1) // 2))
    offset = 0
    for j in range(d):  # loop over the rows of the triangle (dimension), not over samples or neurons
        np.multiply(x[:, j:j + 1], x[:, j:], out=out[:, offset:offset + d - j])
        offset += d - j
    return out


def _column_blocks(n, d, packed_bytes):
    p = d * (d + 1) // 2
    size = max(1, min(p, packed_bytes // (8 * max(n, 1))))
    return [slice(s, min(s + size, p)) for s in range(0, p, size)]


class _PackedGram:
    """The packed outer products Z of ``x`` (kept whole when it fits ``packed_bytes``)."""

    def __init__(self, x, packed_bytes=None):
        self.x = x
        self.n, self.d = x.shape
        self.blocks = _column_blocks(self.n, self.d, PACKED_BYTES if packed_bytes is None else packed_bytes)
        self.whole = _packed_outer(x) if len(self.blocks) == 1 else None
        self.row_start = np.concatenate([[0], np.cumsum(np.arange(self.d, 0, -1))])
        self._buffer = None

    def matrices(self, weights):
        """The (k, d, d) matrices sum_i weights[j, i] x_i x_i^T, upper triangles only.

        One GEMM per column block of Z; the packed rows are copied into the upper triangle (a loop
        over the d rows of the triangle). The lower triangle is left zero: read the result with
        ``eigvalsh(..., UPLO="U")`` (:func:`_extreme_eigs`) or symmetrize it. The array is a reused
        buffer, valid until the next call.
        """
        k, d = weights.shape[0], self.d
        if self._buffer is None or self._buffer.shape[0] < k:
            self._buffer = np.zeros((k, d, d))
        out = self._buffer[:k]
        for b in self.blocks:  # loop over column blocks of Z (memory), each one GEMM
            z = self.whole if self.whole is not None else _packed_outer(self.x, np.arange(b.start, b.stop))
            with large(2.0 * k * self.n * z.shape[1]):  # large builds opt into threads
                packed = weights @ z
            for j in range(d):  # loop over triangle rows (dimension): contiguous copies of the row's slice
                lo, hi = max(self.row_start[j], b.start), min(self.row_start[j + 1], b.stop)
                if lo < hi:
                    col = j + lo - self.row_start[j]
                    out[:, j, col:col + hi - lo] = packed[:, lo - b.start:hi - b.start]
        return out

    def full_matrices(self, weights):
        """The (k, d, d) symmetric matrices (a fresh array)."""
        upper = self.matrices(weights)
        return np.triu(upper) + np.swapaxes(np.triu(upper, 1), -1, -2)


def _chunk_rows(n, d, chunk_bytes):
    # two chunks of working memory: the (matrices x samples) weights and the matrices built from them
    budget = 2 * CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    return max(1, budget // (8 * (n + 2 * d * d)))


def _extreme_eigs(mats):
    """Smallest and largest eigenvalue of each matrix of a (k, d, d) stack (upper triangles read).

    A batch of small eigenproblems gains nothing from a threaded BLAS inside each one (on a busy
    machine the threads' spin-waiting made batched ``eigvalsh`` of 64 x 64 matrices 20 to 40 times
    slower): the batch is split across the cores as Python threads, one BLAS thread each
    (:func:`boundcheck._threads.map_batches`; benchmarks/bench_rademacher.py).
    """
    k, d = mats.shape[0], mats.shape[-1]
    lam_min, lam_max = np.empty(k), np.empty(k)

    def part(rows):
        eig = np.linalg.eigvalsh(mats[rows], UPLO="U")
        lam_min[rows], lam_max[rows] = eig[:, 0], eig[:, -1]

    map_batches(part, k, work_per_item=float(d) ** 3)
    return lam_min, lam_max


@small_products
def weighted_gram_extremes(x, weights, *, chunk_bytes=None, packed_bytes=None):
    r"""Extreme eigenvalues of :math:`A_j = \sum_i \mathrm{weights}_{j,i}\, x_i x_i^\top` for every row j.

    Parameters
    ----------
    x : ndarray, shape (n, d)
    weights : ndarray, shape (k, n)

    Returns
    -------
    lam_min, lam_max : ndarray, shape (k,)
    """
    x = validate.matrix("x", x)
    weights = validate.matrix("weights", weights, shape=(None, x.shape[0]))
    gram = _PackedGram(x, packed_bytes)
    k = weights.shape[0]
    chunk = _chunk_rows(*x.shape, chunk_bytes)
    lam_min, lam_max = np.empty(k), np.empty(k)
    for start in range(0, k, chunk):  # loop over memory chunks of matrices, each chunk one GEMM
        sl = slice(start, min(start + chunk, k))
        lam_min[sl], lam_max[sl] = _extreme_eigs(gram.matrices(weights[sl]))
    return lam_min, lam_max


def _unique_rows(w_init):
    """Distinct rows of ``w_init`` and the index of each row's copy (symmetric init has pairs)."""
    uniq, inverse = np.unique(w_init, axis=0, return_inverse=True)
    return uniq, np.asarray(inverse).ravel()


def _check_inputs(x, w_init, w_out=None, rademacher=None):
    x = validate.matrix("x", x)
    w_init = validate.matrix("w_init", w_init)
    validate.same_dim("w_init", w_init, "x", x)
    if w_out is not None:
        w_out = validate.vector("w_out", w_out, length=w_init.shape[0])
    if rademacher is not None:
        rademacher = validate.signs("rademacher", rademacher, length=x.shape[0])
        rademacher = np.atleast_2d(rademacher)
    return x, w_init, w_out, rademacher


@small_products
def feature_operator_extremes(x, w_init, rademacher, *, activation="relu3", chunk_bytes=None, packed_bytes=None):
    r"""Extreme eigenvalues of :math:`M_r(s) = \frac1n\sum_i s_i\sigma''(w_{0,r}^\top x_i)x_ix_i^\top`.

    Parameters
    ----------
    x : ndarray, shape (n, d)
        Inputs :math:`x_i`.
    w_init : ndarray, shape (m, d)
        :math:`W_0`.
    rademacher : ndarray, shape (k, n) or (n,)
        Sample signs :math:`s`, one row per draw.
    activation : str
        :math:`\sigma` (its second derivative is used).

    Returns
    -------
    lam_min, lam_max : ndarray, shape (k, m)
    """
    x, w_init, _, rademacher = _check_inputs(x, w_init, None, rademacher)
    return _extremes(x, w_init, rademacher, get_activation(activation), 2, chunk_bytes, packed_bytes)


def _extremes(x, w_init, rows, act, order, chunk_bytes, packed_bytes, power=1, extra=None):
    r"""Extremes of :math:`\frac1n\sum_i \mathrm{rows}_{k,i}\,(\sigma^{(order)}(w_{0,r}^\top x_i))^{power}
    \mathrm{extra}_i\, x_i x_i^\top` for every (k, r), computed on the distinct rows of ``w_init``.

    Returns (lam_min, lam_max), each of shape (k, m).
    """
    n, d = x.shape
    uniq, inverse = _unique_rows(w_init)
    mu, k = uniq.shape[0], rows.shape[0]
    scale = (1.0 / n) if extra is None else (extra / n)
    gram = _PackedGram(x, packed_bytes)
    chunk = _chunk_rows(n, d, chunk_bytes)
    per_neurons = max(1, chunk // k)
    per_draws = min(k, chunk)
    lam_min, lam_max = np.empty((k, mu)), np.empty((k, mu))
    for r0 in range(0, mu, per_neurons):  # loop over memory chunks of neurons ...
        r1 = min(mu, r0 + per_neurons)
        feat = act.derivative(uniq[r0:r1] @ x.T, order)  # (chunk, n), one GEMM
        if power != 1:
            feat = feat**power
        feat *= scale
        for k0 in range(0, k, per_draws):  # ... and of sign draws; each (neurons x draws) chunk is one GEMM
            k1 = min(k, k0 + per_draws)
            weights = (feat[:, None, :] * rows[None, k0:k1, :]).reshape(-1, n)
            lo, hi = _extreme_eigs(gram.matrices(weights))
            lam_min[k0:k1, r0:r1] = lo.reshape(r1 - r0, k1 - k0).T
            lam_max[k0:k1, r0:r1] = hi.reshape(r1 - r0, k1 - k0).T
    return lam_min[:, inverse], lam_max[:, inverse]


def _top_of_scaled(lam_min, lam_max, w_out):
    r""":math:`\lambda_{\max}(a_r M_r)` from the extremes of :math:`M_r`."""
    return np.where(w_out >= 0, w_out * lam_max, w_out * lam_min)


@small_products
def quadratic_class_sup(x, w_init, w_out, rademacher, *, radius, activation="relu3", extremes=None, absolute=False):
    r"""Exact :math:`\sup_{\|W\|_{2,4}\le B_w}\frac1n\sum_i s_i f^Q_W(x_i)` for each sign draw.

    Equals :math:`\frac{B_w^2}{2\sqrt m}\|(\lambda_{\max}(a_r M_r(s)))_+\|_2` (module docstring).
    With ``absolute=True``, the supremum of the absolute value, as in the contraction step of the
    proof of Lemma 5: since :math:`f^Q` is even in W, it is the larger of the values at s and -s
    (:math:`M_r(-s) = -M_r(s)`).

    Parameters
    ----------
    x : ndarray, shape (n, d)
    w_init : ndarray, shape (m, d)
    w_out : ndarray, shape (m,)
        :math:`a`.
    rademacher : ndarray, shape (k, n) or (n,)
        Sample signs.
    radius : float
        :math:`B_w`.
    extremes : tuple, optional
        Precomputed output of :func:`feature_operator_extremes`.
    absolute : bool
        Supremum of :math:`|\frac1n\sum_i s_i f^Q_W(x_i)|` instead.

    Returns
    -------
    ndarray, shape (k,)
    """
    x, w_init, w_out, rademacher = _check_inputs(x, w_init, w_out, rademacher)
    radius = validate.positive("radius", radius)
    lam_min, lam_max = extremes if extremes is not None else feature_operator_extremes(
        x, w_init, rademacher, activation=activation)
    scale = radius**2 / (2.0 * math.sqrt(w_init.shape[0]))
    value = scale * np.linalg.norm(np.maximum(_top_of_scaled(lam_min, lam_max, w_out), 0.0), axis=-1)
    if absolute:
        flipped = scale * np.linalg.norm(np.maximum(_top_of_scaled(-lam_max, -lam_min, w_out), 0.0), axis=-1)
        value = np.maximum(value, flipped)
    return value


def quadratic_class_argmax(x, w_init, w_out, signs_1d, *, radius, activation="relu3"):
    r"""A maximiser :math:`W` of :math:`\frac1n\sum_i s_i f^Q_W(x_i)` over :math:`\|W\|_{2,4}\le B_w`.

    Row r is :math:`t_r v_r` with :math:`v_r` a top unit eigenvector of :math:`a_r M_r` and
    :math:`t_r^2 = B_w^2 (\lambda_r)_+/\|(\lambda)_+\|_2`. For a single sign vector (tests and
    certificates; the loop-free eigendecomposition of all m matrices at once).
    """
    x, w_init, w_out, rademacher = _check_inputs(x, w_init, w_out, signs_1d)
    radius = validate.positive("radius", radius)
    act = get_activation(activation)
    n, d = x.shape
    coef = act.derivative(x @ w_init.T, 2) * rademacher[0][:, None] / n  # (n, m)
    mats = np.einsum("ir,ij,ik->rjk", coef * w_out, x, x, optimize=True)  # a_r M_r, (m, d, d)
    eig, vec = np.linalg.eigh(mats)
    lam = np.maximum(eig[:, -1], 0.0)
    norm = np.linalg.norm(lam)
    if norm == 0:
        return np.zeros_like(w_init)
    t = radius * np.sqrt(lam / norm)
    return vec[:, :, -1] * t[:, None]


def lemma5_per_draw(x, w_init, w_out, rademacher, *, radius, activation="relu3", extremes=None):
    r"""Both per-draw sides behind Lemma 5 on the same draws.

    Returns a dict of arrays of shape (k,): ``exact`` (the closed-form supremum), ``max_opnorm``
    (:math:`\max_r\|M_r(s)\|_{\mathrm{op}}`) and ``bound`` (:math:`\frac{B_w^2}{2}\max_r\|M_r\|_{\mathrm{op}}`).
    """
    x, w_init, w_out, rademacher = _check_inputs(x, w_init, w_out, rademacher)
    radius = validate.positive("radius", radius)
    if extremes is None:
        extremes = feature_operator_extremes(x, w_init, rademacher, activation=activation)
    exact = quadratic_class_sup(x, w_init, w_out, rademacher, radius=radius, extremes=extremes)
    max_op = np.max(np.maximum(np.abs(extremes[0]), np.abs(extremes[1])), axis=-1)
    return {"exact": exact, "max_opnorm": max_op, "bound": radius**2 / 2.0 * max_op}


def _ntk_kernel(x, w_init, activation):
    r""":math:`K = (\Phi\Phi^\top)\odot(XX^\top)` with :math:`\Phi_{ir} = \sigma'(w_{0,r}^\top x_i)`: the tangent kernel
    of :math:`f^L` with unit output weights and scale (:meth:`boundcheck.network.TaylorPoint.ntk_gram`)."""
    return _unit_linear_point(x, w_init, activation).ntk_gram()


def _unit_linear_point(x, w_init, activation):
    r""":math:`\sum_r\sigma'(w_{0,r}^\top x)(w_r^\top x)` at W = 0:
    features :math:`\sigma'(w_{0,r}^\top x_i)x_i`."""
    model = TaylorModel(x, w_init, np.ones(np.shape(w_init)[0]), activation=activation, scale=1.0)
    return model.at(np.zeros_like(model.w_init), orders=(1,))


def ntk_class_sup(x, w_init, w_out, rademacher, *, radius, activation="relu3", kernel=None):
    r"""Exact :math:`\sup_{\|W\|_F\le R}\frac1n\sum_i s_i f^L_W(x_i) = \frac{R}{n\sqrt m}\sqrt{s^\top K s}`.

    Returns an array of shape (k,), one value per sign draw (``w_out`` enters only through
    :math:`a_r^2`; it is validated and must be :math:`\pm1`).
    """
    x, w_init, w_out, rademacher = _check_inputs(x, w_init, w_out, rademacher)
    validate.signs("w_out", w_out)
    radius = validate.positive("radius", radius)
    kernel = _ntk_kernel(x, w_init, activation) if kernel is None else kernel
    quad = np.einsum("ki,ij,kj->k", rademacher, kernel, rademacher, optimize=True)
    n, m = x.shape[0], w_init.shape[0]
    return radius / (n * math.sqrt(m)) * np.sqrt(np.maximum(quad, 0.0))


def ntk_class_argmax(x, w_init, w_out, signs_1d, *, radius, activation="relu3"):
    r"""The maximiser :math:`W = R\,G(s)/\|G(s)\|_F` of the NTK-class supremum (tests)."""
    x, w_init, w_out, rademacher = _check_inputs(x, w_init, w_out, signs_1d)
    radius = validate.positive("radius", radius)
    model = TaylorModel(x, w_init, w_out, activation=activation)
    grad = model.vjp(np.zeros_like(w_init), rademacher[0] / x.shape[0], orders=(1,))  # G(s) = grad of (1/n) s.f^L
    norm = np.linalg.norm(grad)
    return np.zeros_like(w_init) if norm == 0 else radius * grad / norm


def ntk_trace_bound(x, w_init, *, radius, activation="relu3", kernel=None):
    r"""The Frobenius-norm bound :math:`\frac{R}{n\sqrt m}\sqrt{\mathrm{tr}K} \ge E_s\sup_{\|W\|_F\le R}\dots`."""
    x, w_init, _, _ = _check_inputs(x, w_init)
    radius = validate.positive("radius", radius)
    n, m = x.shape[0], w_init.shape[0]
    if kernel is not None:
        trace = float(np.trace(kernel))
    else:
        trace = float(np.sum(_unit_linear_point(x, w_init, activation).gradient_norms()))
    return radius / (n * math.sqrt(m)) * math.sqrt(trace)


# --------------------------------------------------------------------------------------------
# estimates over sign draws


@dataclasses.dataclass
class ComplexityEstimate:
    """Exact suprema per sign draw, their mean with a confidence interval, a bound and the ratio."""

    per_draw: np.ndarray
    exact: float
    interval: tuple
    bound: float
    ratio: float
    extra: dict = dataclasses.field(default_factory=dict)

    def to_dict(self, per_draw=False):
        out = {"exact": self.exact, "interval": self.interval, "bound": self.bound, "ratio": self.ratio}
        out.update(self.extra)
        if per_draw:
            out["per_draw"] = self.per_draw
        return out


@small_products
def quadratic_complexity(x, w_init, w_out, rademacher, *, radius, activation="relu3", level=0.95):
    r"""Empirical Rademacher complexity of :math:`\mathcal F^Q(B_w)` over the given sign draws.

    ``exact`` is the mean over draws of the closed-form supremum (interval at ``level``);
    ``bound`` is the mean of the per-draw bound :math:`\frac{B_w^2}{2}\max_r\|M_r(s)\|_{\mathrm{op}}`
    (Lemma 5's function-class step); ``ratio`` = exact / bound. ``extra`` holds the loss-class
    bound as printed in Lemma 5, :math:`2B_w^2 E\max_r\|M_r\|_{\mathrm{op}} + 1/\sqrt n`, and the
    one the proof gives, :math:`B_w^2 E\max_r\|M_r\|_{\mathrm{op}} + 1/\sqrt n`.
    """
    sides = lemma5_per_draw(x, w_init, w_out, rademacher, radius=radius, activation=activation)
    exact, interval = mean_interval(sides["exact"], level)
    bound = float(np.mean(sides["bound"]))
    n = np.shape(x)[0]
    mean_op = float(np.mean(sides["max_opnorm"]))
    radius = float(radius)
    extra = {"mean_max_opnorm": mean_op,
             "loss_class_bound_printed": 2 * radius**2 * mean_op + 1 / math.sqrt(n),
             "loss_class_bound_proof": radius**2 * mean_op + 1 / math.sqrt(n)}
    return ComplexityEstimate(sides["exact"], exact, interval, bound, exact / bound if bound > 0 else math.nan, extra)


@small_products
def ntk_complexity(x, w_init, w_out, rademacher, *, radius, activation="relu3", level=0.95):
    r"""Empirical Rademacher complexity of :math:`\{f^L_W: \|W\|_F\le R\}` over the given sign draws.

    ``bound`` is the Frobenius-norm (kernel trace) bound :func:`ntk_trace_bound`.
    """
    x, w_init, w_out, rademacher = _check_inputs(x, w_init, w_out, rademacher)
    kernel = _ntk_kernel(x, w_init, activation)
    per = ntk_class_sup(x, w_init, w_out, rademacher, radius=radius, activation=activation, kernel=kernel)
    exact, interval = mean_interval(per, level)
    bound = ntk_trace_bound(x, w_init, radius=radius, kernel=kernel)
    return ComplexityEstimate(per, exact, interval, bound, exact / bound if bound > 0 else math.nan)


@small_products
def complexity_sweep(dim_values, *, n_samples, width, radius, ntk_radius=None, draws=32, input_radius=1.0,
                     activation="relu3", dist="sphere", level=0.95, rng):
    r"""Quadratic (:math:`\|W\|_{2,4}\le B_w`) and NTK (:math:`\|W\|_F\le R`) complexities as d varies.

    One row per d: ``quadratic`` and ``ntk`` exact means with their intervals and bounds, and
    their ratio ``quadratic / ntk``. The paper's point (Section 5.1): the quadratic class is
    controlled by operator norms, :math:`\approx B_w^2 B_x^2/\sqrt{nd}` on isotropic inputs, the NTK
    class by a Frobenius norm, :math:`\approx R B_x/\sqrt n`, so the ratio falls like :math:`1/\sqrt d`.
    Each d draws from its own sub-stream.
    """
    from ..data import sample_inputs
    from ..network import symmetric_init

    ntk_radius = radius if ntk_radius is None else ntk_radius
    dims = [int(d) for d in np.atleast_1d(dim_values)]
    rows = []
    for d, sub in zip(dims, rng.spawn(len(dims))):  # loop over sweep cells, each batched inside
        x = sample_inputs(dist, n_samples, d, input_radius=input_radius, rng=sub)
        w_init, w_out = symmetric_init(width, d, input_radius=input_radius, rng=sub)
        signs = sample_rademacher(draws, n_samples, rng=sub)
        quad = quadratic_complexity(x, w_init, w_out, signs, radius=radius, activation=activation, level=level)
        ntk = ntk_complexity(x, w_init, w_out, signs, radius=ntk_radius, activation=activation, level=level)
        rows.append({"dim": d, "n": n_samples, "width": width,
                     "quadratic": quad.exact, "quadratic_low": quad.interval[0], "quadratic_high": quad.interval[1],
                     "quadratic_bound": quad.bound, "ntk": ntk.exact, "ntk_low": ntk.interval[0],
                     "ntk_high": ntk.interval[1], "ntk_bound": ntk.bound, "ratio": quad.exact / ntk.exact})
    return rows
