r"""The data of OPT, its linear operator, and the dual certificate (the certified lower bound).

Paper, Section 4 (Lemma 1, Theorem 2, Theorem 4): OPT is the loss of the best quadratic model in
a (2,4)-norm ball,

.. math::

    \mathrm{OPT}(B_w) = \min_{\|W\|_{2,4} \le B_w} L^Q(W), \qquad
    L^Q(W) = \frac1n \sum_i \ell\big(y_i, f^Q_W(x_i)\big),\qquad
    f^Q_W(x) = \frac{1}{2\sqrt m}\sum_r a_r \sigma''(w_{0,r}^\top x)(w_r^\top x)^2 .

:math:`f^Q_W(x_i) = \sum_r c_{ir}\, x_i^\top M_r x_i` is linear in the blocks
:math:`M_r = w_r w_r^\top`, with :math:`c_{ir} = a_r\sigma''(w_{0,r}^\top x_i)/(2\sqrt m)`, and
:math:`\|W\|_{2,4}^4 = \sum_r (\mathrm{tr} M_r)^2`. Dropping rank one gives the convex set

.. math::

    K = \{ (M_r)_r : M_r \succeq 0,\ \|(\mathrm{tr} M_r)_r\|_2 \le B_w^2 \},

and the relaxation :math:`\min_{M\in K} F(\mathcal A M)`, :math:`F(z) = \frac1n\sum_i\ell(y_i, z_i)`,
whose value is at most OPT.

Certified lower bound (a dual point). For any :math:`z \in \mathbb R^n` put
:math:`u = \nabla F(z)` and :math:`G_r = (\mathcal A^* u)_r = \sum_i u_i c_{ir} x_i x_i^\top`. For
every :math:`M \in K`, convexity of :math:`F` gives
:math:`F(\mathcal A M) \ge F(z) - \langle u, z\rangle + \sum_r \langle G_r, M_r\rangle` and the
support function of :math:`K` is closed-form,
:math:`\min_{M\in K}\sum_r\langle G_r, M_r\rangle = -B_w^2\,\|(\lambda_{\min}(G_r))_-\|_2`, so

.. math::

    \mathrm{OPT} \ \ge\ \min_K F(\mathcal A M) \ \ge\
    F(z) - \langle u, z\rangle - B_w^2\,\|(\lambda_{\min}(G_r))_-\|_2

for EVERY z: the bound does not depend on how well any solver converged. At :math:`z = \mathcal A M_k`
it is the Frank-Wolfe gap bound; it is also the dual objective at the dual point u. With the
penalty :math:`\lambda\|W\|_{2,4}^4 = \lambda\|t\|_2^2` (``reg``), the support term becomes
:math:`\max_{0\le\rho\le B_w^2}(\rho\|g\|_2 - \lambda\rho^2)` with :math:`g = (\lambda_{\min}(G_r))_-`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .. import _validate as validate
from .. import _threads
from .._threads import large
from ..losses import get_loss
from ..network import CHUNK_BYTES, TaylorModel
from ..numeric.optimize import regularizer, regularizer_gradient

__all__ = ["QuadraticProblem", "Certificate", "support_term"]

EPS = np.finfo(np.float64).eps
#: What the relaxation's model keeps between evaluations (the core's default is 16 chunks, 512 MiB).
CACHE_BYTES = 2**30


def support_term(lam_min, radius_sq, reg):
    r""":math:`\max_{t\ge0,\ \|t\|_2\le R}\ \langle g, t\rangle - \lambda\|t\|_2^2` with :math:`g = (\lambda_{\min})_-`.

    ``radius_sq`` is :math:`R = B_w^2` (``math.inf`` for no constraint), ``reg`` is :math:`\lambda`.
    Returns ``(value, rho)`` with :math:`\rho` the optimal :math:`\|t\|_2`.
    """
    g = float(np.linalg.norm(np.maximum(-np.asarray(lam_min), 0.0)))
    if reg > 0:
        rho = min(radius_sq, g / (2.0 * reg))
    else:
        rho = radius_sq
    if g == 0.0:
        return 0.0, 0.0
    if not math.isfinite(rho):
        raise ValueError("the relaxation is unbounded below: no radius and no penalty")
    return rho * g - reg * rho * rho, rho


@dataclasses.dataclass
class Certificate:
    """A certified lower bound on the relaxation value, hence on OPT.

    ``value`` already has the float rounding allowance ``rounding`` subtracted.
    """

    value: float
    risk: float
    pairing: float
    support: float
    rounding: float
    lam_min: np.ndarray


class QuadraticProblem:
    r"""OPT's data: inputs, initialization, labels, loss, the ball (and optionally a penalty).

    Parameters
    ----------
    x : ndarray, shape (n_samples, dim)
        :math:`x_i`.
    w_init : ndarray, shape (width, dim)
        :math:`W_0`.
    w_out : ndarray, shape (width,)
        :math:`a`.
    y : ndarray, shape (n_samples,)
        Labels or targets :math:`y_i`.
    radius : float or None
        :math:`B_w`, the (2,4)-norm ball; None for the penalized problem without a ball.
    loss : str
        "logistic", "soft-hinge" or "squared".
    reg : float
        :math:`\lambda \ge 0`, the penalty :math:`\lambda\|W\|_{2,4}^4` (0 for plain OPT).
    activation : str
        :math:`\sigma` (default relu3, :math:`\sigma'' = \mathrm{relu}`).
    """

    def __init__(self, x, w_init, w_out, y, *, radius, loss="logistic", reg=0.0, activation="relu3"):
        self.x = validate.matrix("x", x)
        self.w_init = validate.matrix("w_init", w_init)
        validate.same_dim("w_init", self.w_init, "x", self.x)
        self.w_out = validate.vector("w_out", w_out, length=self.w_init.shape[0])
        self.y = validate.vector("y", y, length=self.x.shape[0])
        self.loss = get_loss(loss)
        self.reg = validate.nonnegative("reg", reg)
        if radius is None:
            if self.reg == 0:
                raise validate.BoundcheckInputError("radius must be given (> 0) when reg is 0; got None")
            self.radius = math.inf
        else:
            self.radius = validate.positive("radius", radius)
        self.activation = activation
        n, d = self.x.shape
        m = self.w_init.shape[0]
        self.n_samples, self.width, self.dim = n, m, d
        #: the model core at these inputs: f^Q and its pullback for W (m, d) and factors (m, d, k)
        # the solvers evaluate this one model hundreds of times: it keeps its W-independent arrays
        # (a_r sigma''(w_0r . x_i), n x m) up to CACHE_BYTES rather than the core's default
        self.model = TaylorModel(self.x, self.w_init, self.w_out, activation=activation, cache_bytes=CACHE_BYTES)
        # c_{ir} = a_r sigma''(w0_r . x_i) / (2 sqrt m), shape (n, m)
        self.coef = self.model.coefficients(2)
        rows, cols = np.triu_indices(d)
        self._rows, self._cols = rows, cols
        # packed x_i x_i^T (upper triangle); the weighted copy counts off-diagonal entries twice
        self.features = self.x[:, rows] * self.x[:, cols]
        self.features_w = self.features * np.where(rows == cols, 1.0, 2.0)
        # the adjoint's work: (n, chunk) weighted coefficients, reused from call to call
        self._adjoint_chunk = max(1, min(m, CHUNK_BYTES // (8 * max(n, 1))))
        self._adjoint_work = None
        self._abs_coef = None
        self._row_start = np.concatenate([[0], np.cumsum(np.arange(d, 0, -1))])

    # -- sizes ---------------------------------------------------------------------------------

    @property
    def radius_sq(self):
        """:math:`B_w^2`, the bound on :math:`\\|(\\mathrm{tr} M_r)_r\\|_2`."""
        return self.radius**2

    def pack(self, blocks):
        """(m, d, d) symmetric blocks -> (m, d(d+1)/2) upper triangles."""
        return blocks[:, self._rows, self._cols]

    def unpack(self, packed, out=None):
        """(m, d(d+1)/2) upper triangles -> (m, d, d) symmetric blocks (into ``out`` when given)."""
        out = np.empty((packed.shape[0], self.dim, self.dim)) if out is None else out
        for j in range(self.dim):  # loop over the rows of the triangle (dimension): row j and column j at once
            row = packed[:, self._row_start[j]:self._row_start[j + 1]]
            out[:, j, j:] = row
            out[:, j:, j] = row
        return out

    # -- the linear operator A and its adjoint ---------------------------------------------------

    def predict_blocks(self, blocks):
        r""":math:`(\mathcal A M)_i = \sum_r c_{ir} x_i^\top M_r x_i`, shape (n,); one GEMM."""
        packed = self.pack(blocks)
        with large(2.0 * self.n_samples * packed.size):  # one thread unless the GEMM is large
            product = self.coef @ packed
        return np.einsum("ip,ip->i", product, self.features_w)

    def adjoint(self, u, out=None):
        r""":math:`(\mathcal A^* u)_r = \sum_i u_i c_{ir} x_i x_i^\top`, shape (m, d, d) (into ``out`` when given);
        one GEMM per memory chunk of neurons."""
        n, m = self.coef.shape
        size = self._adjoint_chunk
        if self._adjoint_work is None:
            self._adjoint_work = np.empty((n, size))
        product = np.empty((m, self.features.shape[1]))
        with large(2.0 * n * m * self.features.shape[1]):  # one thread unless the GEMMs are large
            for start in range(0, m, size):  # memory chunks of neurons (no (n, m) temporary), each one GEMM
                c = slice(start, min(start + size, m))
                weighted = np.multiply(self.coef[:, c], u[:, None], out=self._adjoint_work[:, :c.stop - c.start])
                np.matmul(weighted.T, self.features, out=product[c])
        return self.unpack(product, out)

    def predict_weights(self, w_move):
        r""":math:`f^Q_W(x_i)` for W of shape (m, d), or of the blocks :math:`V_rV_r^\top` for factors (m, d, k)."""
        if w_move.ndim == 2:
            return self.model.value(w_move, orders=(2,))
        return sum(self.model.value(w_move[:, :, j], orders=(2,)) for j in range(w_move.shape[2]))  # k columns

    # -- the loss -------------------------------------------------------------------------------

    def risk(self, z):
        """:math:`F(z) = \\frac1n\\sum_i \\ell(y_i, z_i)`."""
        return float(np.mean(self.loss.value(self.y, z)))

    def risk_gradient(self, z):
        """:math:`\\nabla F(z) = \\ell'(y_i, z_i)/n`."""
        return self.loss.derivative(self.y, z, 1) / self.n_samples

    def smoothness(self):
        """A bound on :math:`\\ell''` (the curvature of the loss in z)."""
        return {"squared": 1.0, "logistic": 0.25, "soft-hinge": 0.25 / math.log1p(math.e)}[self.loss.name]

    def penalty(self, traces):
        """:math:`\\lambda\\|t\\|_2^2`, the penalty on the traces (0 when ``reg`` is 0)."""
        return self.reg * float(np.sum(np.asarray(traces) ** 2)) if self.reg else 0.0

    def objective_blocks(self, blocks, z=None):
        """:math:`F(\\mathcal A M) + \\lambda\\|t\\|^2` at blocks M."""
        z = self.predict_blocks(blocks) if z is None else z
        return self.risk(z) + self.penalty(np.trace(blocks, axis1=1, axis2=2))

    def quadratic_risk(self, w_move):
        r""":math:`L^Q(W) + \lambda\|W\|_{2,4}^4` at W (m, d), or at the blocks :math:`V_rV_r^\top`
        of factors V (m, d, k)."""
        return self.quadratic_risk_and_gradient(w_move, gradient=False)[0]

    def quadratic_risk_and_gradient(self, w_move, *, gradient=True):
        r""":math:`L^Q + \lambda\|W\|_{2,4}^4` and its gradient at W (m, d) or factors V (m, d, k) (the blocks
        :math:`M_r = V_rV_r^\top`, :math:`\|(\mathrm{tr}M_r)\|_2^2 = \|V\|_{2,4}^4` with rows flattened).

        :math:`f^Q` of the blocks is the sum of :math:`f^Q` over the k columns, so the gradient in
        column j is the model's pullback of :math:`\nabla F(z)` at that column.
        """
        columns = [w_move] if w_move.ndim == 2 else [w_move[:, :, j] for j in range(w_move.shape[2])]
        # per column one (n, d) @ (d, m) product forward and one back: every core when that is large
        with large(4.0 * self.n_samples * self.width * self.dim * len(columns)):
            points = [self.model.at(v, orders=(2,)) for v in columns]  # the k <= max_rank columns
            z = points[0].value if len(points) == 1 else sum(p.value for p in points)
            flat = w_move.reshape(self.width, -1)
            value = self.risk(z) + (regularizer(flat, self.reg, power=4) if self.reg else 0.0)
            if not gradient:
                return value, None
            u = self.risk_gradient(z)
            grads = [p.vjp(u) for p in points]
        grad = grads[0] if w_move.ndim == 2 else np.stack(grads, axis=2)
        if self.reg:
            grad = grad + regularizer_gradient(flat, self.reg, power=4).reshape(w_move.shape)
        return value, grad

    # -- the certificate ------------------------------------------------------------------------

    def certificate(self, z, gram=None):
        r"""The certified lower bound :math:`F(z) - \langle u,z\rangle - \text{support}` at any z.

        ``gram`` may pass :math:`\mathcal A^*\nabla F(z)` when the caller already has it.
        """
        z = np.asarray(z, dtype=np.float64)
        u = self.risk_gradient(z)
        risk = self.risk(z)
        pairing = float(u @ z)
        gram = self.adjoint(u) if gram is None else gram
        lam_min = _threads.eigvalsh(gram)[:, 0]  # the blocks split across the cores
        support, _ = support_term(lam_min, self.radius_sq, self.reg)
        # rounding allowance: the sums are off by at most ~n eps times the sum of magnitudes; G_r by
        # ~n eps sum_i |u_i c_ir| ||x_i||^2 entrywise (GEMM), eigvalsh by ~d eps ||G_r||_F (backward
        # stable); each moves the support term by at most rho times the perturbation
        block_norms = np.sqrt(np.sum(gram * gram, axis=(1, 2)))
        if self._abs_coef is None:  # |c_ir|, fixed: computed once
            self._abs_coef = np.abs(self.coef)
        gemm_err = self.n_samples * self.dim * (np.abs(u) @ self._abs_coef) * np.max(np.sum(self.x**2, axis=1))
        rho = self.radius_sq if math.isfinite(self.radius_sq) else support_term(lam_min, math.inf, self.reg)[1]
        rounding = 16 * EPS * (self.n_samples * (abs(risk) + float(np.abs(u) @ np.abs(z)))
                               + rho * (self.dim * float(np.linalg.norm(block_norms)) + float(np.linalg.norm(gemm_err)))
                               + abs(support))
        value = risk - pairing - support - rounding
        return Certificate(value, risk, pairing, support, rounding, lam_min)

    def frank_wolfe_vertex(self, gram):
        r"""The minimizer over K of :math:`\sum_r\langle G_r, M_r\rangle`, as rank-one factors (m, d).

        :math:`w_r = \sqrt{t_r}\, v_{\min}(G_r)` with :math:`t \propto (\lambda_{\min}(G_r))_-`
        of norm :math:`\rho` (the radius squared, or the penalized optimum).
        """
        lam, vec = _threads.eigh(gram)
        g = np.maximum(-lam[:, 0], 0.0)
        _, rho = support_term(lam[:, 0], self.radius_sq, self.reg)
        norm = np.linalg.norm(g)
        t = g * (rho / norm) if norm > 0 else g
        return vec[:, :, 0] * np.sqrt(t)[:, None]
