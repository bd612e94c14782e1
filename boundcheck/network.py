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

Every value and derivative in W comes from one object, :class:`TaylorModel` (inputs fixed):
:meth:`TaylorModel.at` gives a :class:`TaylorPoint` with the value, the JVP, the pullback (VJP),
the second-order pullback (for Hessian-vector products) and the Hessian quadratic form of any sum
of Taylor terms, of the full network, and of their randomized forms. The functions
:func:`network`, :func:`taylor_terms`, :func:`quadratic_model`, ... are thin wrappers. Every pass
is batched: a loop runs only over memory chunks of neurons (``CHUNK_BYTES`` of (samples x neurons)
arrays per chunk), each chunk a few GEMMs.
"""

from __future__ import annotations

import math
import threading
import weakref

import numpy as np

from . import _validate as validate
from .activations import get_activation

__all__ = [
    "symmetric_init", "equation4_bound", "equation4_event", "network", "taylor_term", "taylor_terms",
    "linear_model", "quadratic_model", "randomized_network", "randomized_taylor_term", "network_pm",
    "taylor_term_pm", "norm_24", "project_ball_24", "sample_signs", "TaylorModel", "TaylorPoint", "TaylorTangent",
    "CHUNK_BYTES", "CACHE_BYTES", "release_buffers",
]

#: Working memory for one chunk of (samples x neurons) intermediate arrays, in bytes: the one
#: memory constant of boundcheck (other modules size their chunks from it).
CHUNK_BYTES = 32 * 2**20
#: What one model, point or tangent may keep between passes (arrays reused by later derivatives).
CACHE_BYTES = 16 * CHUNK_BYTES
#: (samples x neurons) arrays one chunk of a :class:`TaylorModel` pass works with at once.
_CHUNK_ARRAYS = 4


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

    work = np.empty_like(norms)  # one work array for every step of the bisection

    def shrunk(theta):
        root = math.sqrt(3.0 * theta)
        rho = np.multiply(1.5 * root, norms, out=work)
        np.arcsinh(rho, out=rho)
        np.divide(rho, 3.0, out=rho)
        np.sinh(rho, out=rho)
        return np.multiply(2.0 / root, rho, out=rho)

    def too_large(theta):  # sum_r rho_r^4 > B_w^4 (add.reduce: np.sum without its per-call overhead)
        return np.add.reduce(np.power(shrunk(theta), 4, out=work)) > target

    lo, hi = 0.0, 1.0
    while too_large(hi):
        hi *= 4.0
    for _ in range(200):  # bisection on the multiplier
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if too_large(mid):
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


def _neuron_chunks(n_samples, width, arrays=4, chunk_bytes=None):
    """Slices of neurons such that ``arrays`` float64 arrays of shape (n, chunk) fit the budget.

    This loop is over memory chunks, not over neurons: each chunk is one GEMM.
    """
    budget = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    size = max(1, min(width, budget // (8 * arrays * max(n_samples, 1))))
    return [slice(start, min(start + size, width)) for start in range(0, width, size)]


def _scale(width, scale):
    return 1.0 / math.sqrt(width) if scale is None else float(scale)


def _rowdot(a, b):
    r""":math:`\sum_r a_{ir}b_{ir}` for every row i, without an (n, m) temporary."""
    return np.vecdot(a, b) if _VECDOT else np.einsum("ir,ir->i", a, b)


_VECDOT = hasattr(np, "vecdot")  # numpy >= 2.0: a faster row-wise dot product than einsum


def _orders(orders):
    """None (the full network) or a tuple of distinct Taylor orders k >= 0."""
    if orders is None:
        return None
    ks = tuple(validate.integer("order", k, minimum=0) for k in np.atleast_1d(orders))
    if not ks or len(set(ks)) != len(ks):
        raise validate.BoundcheckInputError(f"orders must be distinct integers >= 0; got {list(ks)}")
    return ks


class _Pool:
    """Arrays the objects of the core no longer hold, by shape, for the next ones: fresh memory must be
    zeroed by the kernel page by page (about half a GEMM per (4096 x 4096) array), reused memory not.
    At most ``CACHE_BYTES`` are held; :func:`release_buffers` empties it."""

    def __init__(self):
        self.free, self.ids, self.held, self.lock = {}, set(), 0, threading.Lock()

    def take(self, shape):
        """A C-contiguous float64 array of ``shape`` (contents undefined)."""
        with self.lock:
            stack = self.free.get(shape)
            if stack:
                out = stack.pop()
                self.held -= out.nbytes
                self.ids.discard(id(out))
                if not stack:
                    del self.free[shape]
                return out
        return np.empty(shape)

    def give(self, arrays):
        """Arrays nothing else refers to (the caller's own), for later :meth:`take`."""
        with self.lock:
            for array in arrays:
                if array is None or array.base is not None or id(array) in self.ids or array.nbytes > CACHE_BYTES:
                    continue
                while self.held + array.nbytes > CACHE_BYTES:  # make room: drop the oldest shape's arrays first
                    shape = next(iter(self.free))
                    dropped = self.free[shape].pop()
                    self.held -= dropped.nbytes
                    self.ids.discard(id(dropped))
                    if not self.free[shape]:
                        del self.free[shape]
                array.flags.writeable = True
                self.free.setdefault(array.shape, []).append(array)
                self.ids.add(id(array))
                self.held += array.nbytes


_POOL = _Pool()


def release_buffers():
    """Return the core's reusable work memory (at most ``CACHE_BYTES``) to the system."""
    with _POOL.lock:
        _POOL.free, _POOL.ids, _POOL.held = {}, set(), 0


class _Scratch:
    """Work arrays of shape (n, chunk) reused from chunk to chunk of a pass, so that a pass allocates no
    temporaries per chunk; each name holds one live array at a time."""

    def __init__(self, rows):
        self.rows, self._flat = rows, {}

    def get(self, name, cols):
        flat = self._flat.get(name)
        if flat is None or flat.size < self.rows * cols:
            if flat is not None:
                _POOL.give([flat])
            flat = self._flat[name] = _POOL.take((self.rows * cols,))
        return flat[: self.rows * cols].reshape(self.rows, cols)

    def release(self):
        _POOL.give(list(self._flat.values()))
        self._flat = {}


def _width(chunk):
    return chunk.stop - chunk.start


def _nth(flag, j):
    """A flag given once for all directions, or one per direction."""
    return bool(flag) if isinstance(flag, (bool, np.bool_)) else bool(flag[j])


class _Once:
    """``fun(*args)`` computed at the first call and reused (arrays of one chunk needed by several sums)."""

    def __init__(self, fun, *args):
        self.fun, self.args, self.done, self.out = fun, args, False, None

    def __call__(self):
        if not self.done:
            self.out, self.done = self.fun(*self.args), True
        return self.out


# --------------------------------------------------------------------------------------------
# the model core: values and derivatives in W at fixed inputs


class TaylorModel:
    r"""The network :math:`f_{W_0+W}`, its Taylor terms and their sign-randomized forms at fixed inputs.

    Paper, equation (1), Sections 3 and 6. For the inputs ``x`` (:math:`x_i`), the initialization
    ``w_init`` (:math:`W_0`) and the output signs ``w_out`` (:math:`a`), every model here is
    :math:`f(x_i) = s\sum_r a_r\,g(p_{ir}, u_{ir})` with :math:`p_{ir} = w_{0,r}^\top x_i`,
    :math:`u_{ir} = w_r^\top x_i`, :math:`s` = ``scale`` (default :math:`m^{-1/2}`) and

    * a sum of Taylor terms (``orders``, a tuple of k): :math:`g(p, u) = \sum_k\sigma^{(k)}(p)u^k/k!`;
      ``orders=(1,)`` is :math:`f^L`, ``orders=(2,)`` is :math:`f^Q`;
    * the full network (``orders=None``): :math:`g(p, u) = \sigma(p + u)`;
    * randomized (``signs`` of shape (n_draws, width)): :math:`w_r \to \Sigma_{kr}w_r` for each draw
      k. Sign matrices (entries :math:`\pm1`) and, for Taylor terms, any real diagonal (Section 6's
      :math:`z_\pm`) are batched over draws (:math:`(\Sigma u)^k = \Sigma^k u^k`); the full network
      with a real diagonal is evaluated draw by draw.

    :meth:`at` fixes W and returns a :class:`TaylorPoint`: the value, the forward directional
    derivative (JVP), the pullback :math:`\sum_i c_i\partial f(x_i)/\partial W` (VJP, shape
    (width, dim)), the second-order pullback :math:`\sum_i e_i\nabla^2f(x_i)[V]` and the Hessian
    quadratic form :math:`\nabla^2f(x_i)[V, V]`. Every pass runs over memory chunks of neurons
    (``CHUNK_BYTES`` per chunk). Arrays that depend on the inputs only (:math:`a_r\sigma^{(k)}(p_{ir})`)
    are kept here, those that depend on W in the point and those of a direction in the tangent,
    each while they fit in ``cache_bytes``; beyond that they are recomputed chunk by chunk.

    Parameters
    ----------
    x, w_init, w_out : ndarray, shapes (n_samples, dim), (width, dim), (width,)
        The inputs :math:`x_i`, the initialization :math:`W_0` and the output signs :math:`a`.
    activation : str or Activation
        :math:`\sigma` (default relu3, :math:`\mathrm{relu}^3/6`).
    scale : float, optional
        The output scale :math:`s`; :math:`m^{-1/2}` by default.
    cache_bytes : int, optional
        What this model, and each point and tangent made from it, may keep (default ``CACHE_BYTES``).
    """

    def __init__(self, x, w_init, w_out, *, activation="relu3", scale=None, cache_bytes=None):
        self.x = validate.matrix("x", x)
        self.w_init = validate.matrix("w_init", w_init)
        validate.same_dim("w_init", self.w_init, "x", self.x)
        self.w_out = validate.vector("w_out", w_out, length=self.w_init.shape[0])
        self.activation = get_activation(activation)
        self.n_samples, self.dim = self.x.shape
        self.width = self.w_init.shape[0]
        self.scale = _scale(self.width, scale)
        self.cache_bytes = CACHE_BYTES if cache_bytes is None else int(cache_bytes)
        self.chunks = _neuron_chunks(self.n_samples, self.width, arrays=_CHUNK_ARRAYS)
        self._cache = {}
        self._room = self.cache_bytes
        self._last_pre, self._recent, self._parts = (None, None), {}, {}
        self.scratch = _Scratch(self.n_samples)  # last: __del__ tells a model whose construction failed by it

    # -- arrays that depend on the inputs only ---------------------------------------------------

    def _keep(self, key, array):
        if array.nbytes <= self._room:
            array.flags.writeable = False
            self._cache[key] = array
            self._room -= array.nbytes
        return array

    def _pre(self, i):
        r"""Pre-activations :math:`p_{ir} = w_{0,r}^\top x_i` of chunk i (read only).

        Kept while they fit in ``cache_bytes``; otherwise the last chunk's are reused (a work array).
        """
        if ("pre", i) in self._cache:
            return self._cache["pre", i]
        if self._last_pre[0] == i:
            return self._last_pre[1]
        c = self.chunks[i]
        if 8 * self.n_samples * _width(c) <= self._room:
            return self._keep(("pre", i), np.matmul(self.x, self.w_init[c].T, out=_POOL.take((self.n_samples,
                                                                                              _width(c)))))
        self._last_pre = (i, np.matmul(self.x, self.w_init[c].T, out=self.scratch.get("last pre", _width(c))))
        return self._last_pre[1]

    def _derivative(self, order, i):
        r""":math:`a_r\sigma^{(k)}(p_{ir})` of chunk i (read only).

        Kept while it fits in ``cache_bytes``; otherwise computed into a work array that serves the
        chunk asked for last (points do not keep it).
        """
        if (order, i) in self._cache:
            return self._cache[order, i]
        if self._recent.get("chunk") != i:
            self._recent = {"chunk": i}
        if order in self._recent:
            return self._recent[order]
        c = self.chunks[i]
        pre = self._cache.get(("pre", i), self._last_pre[1] if self._last_pre[0] == i else None)
        if pre is None:
            pre = np.matmul(self.x, self.w_init[c].T, out=self.scratch.get("pre", _width(c)))
        fits = pre.nbytes <= self._room
        out = np.multiply(self.activation.derivative(pre, order), self.w_out[c],
                          out=_POOL.take(pre.shape) if fits else self.scratch.get(f"derivative {order}", _width(c)))
        if fits:
            self._keep((order, i), out)
        out.flags.writeable = False  # the model's: points never give it back
        self._recent[order] = out
        return out

    def _is_kept(self, array):
        """Whether ``array`` is one of this model's kept arrays (not a work array)."""
        return any(array is kept for kept in self._cache.values())

    def _project(self, w_move, i, name=None):
        r""":math:`u_{ir} = w_r^\top x_i` on chunk i: a new array, or the work array ``name`` (reused later)."""
        c = self.chunks[i]
        out = _POOL.take((self.n_samples, _width(c))) if name is None else self.scratch.get(name, _width(c))
        return np.matmul(self.x, w_move[c].T, out=out)

    def __del__(self):  # the kept arrays and the work arrays, for the next model
        if _POOL is not None and hasattr(self, "scratch"):  # (not a model whose construction failed)
            _POOL.give(list(self._cache.values()))
            self.scratch.release()

    def _terms(self, i, u, orders, shift=0, work=None):
        r""":math:`\sum_k a_r\sigma^{(k)}(p)u^{k-j}/(k-j)!` over ``orders`` on chunk i, j = ``shift``.

        Shifts 0, 1, 2 give g, :math:`\partial_ug` and :math:`\partial_u^2g` of a Taylor sum; the
        result may be a read-only cached array, or the work array ``work`` (not to be kept).
        """
        out = None
        for k in orders:  # the few Taylor orders of the model
            j = k - shift
            if j < 0:
                continue
            term = self._derivative(k, i)
            if j == 1:
                buffer = _POOL.take(u.shape) if work is None else self.scratch.get(work, u.shape[1])
                term = np.multiply(term, u, out=buffer)
            elif j > 1:
                term = term * (u**j / math.factorial(j))
            out = term if out is None else out + term
        if out is None:
            return np.zeros((self.n_samples, self.chunks[i].stop - self.chunks[i].start))
        return out

    def _move(self, name, w_move):
        return validate.matrix(name, w_move, shape=(self.width, self.dim))

    # -- a point W -------------------------------------------------------------------------------

    def at(self, w_move, *, orders=None, signs=None, keep=True, along=()):
        r"""The model at W (``w_move``, shape (width, dim)): a :class:`TaylorPoint`.

        ``orders`` None is the full network :math:`f_{W_0+W}`, a tuple of k the sum of those
        Taylor terms; ``signs`` (n_draws, width) randomizes :math:`W \to W\Sigma_k` (values then
        have shape (n_draws, n_samples)). ``keep=False``: the point keeps no arrays for its
        derivatives (a value alone). ``along``: directions pushed forward (their ``jvp``) in the same
        pass, as the point's ``along`` tangents (a Hessian-vector product from scratch in two passes).
        A sign matrix passed again (the same array) is not checked and grouped again: do not change
        it in place between calls.
        """
        return self._point(w_move, orders, signs, keep=keep, along=along)

    def _point(self, w_move, orders, signs, **options):
        orders = _orders(orders)
        w_move = self._move("w_move", w_move)
        if signs is None:
            return TaylorPoint(self, w_move, orders, None, _groups(orders, None), **options)
        hit = self._parts.get((orders, id(signs)))
        if hit is not None and hit[0] is signs:  # the same sign matrix again: checked and grouped already
            return TaylorPoint(self, w_move, orders, signs, hit[1], **options)
        signs = validate.matrix("signs", np.atleast_2d(signs), shape=(None, self.width))
        if orders is None and not np.all(np.abs(signs) == 1.0):
            point = _PerDrawPoint(self, w_move, signs)
            flags = {k: v for k, v in options.items() if k in ("jvp", "form", "square")}
            keep = options.get("keep", True)
            point.along = [point.push(v, keep=keep, **flags) for v in options.get("along", ())]
            return point
        groups = _groups(orders, signs)
        self._parts[orders, id(signs)] = (signs, groups)
        while len(self._parts) > 4:  # the last few sign matrices only
            del self._parts[next(iter(self._parts))]
        return TaylorPoint(self, w_move, orders, signs, groups, **options)

    def evaluate(self, w_move, directions, *, orders=None, signs=None, jvp=True, form=False, square=False,
                 value=True):
        r"""The value at W and the ``directions`` pushed forward in one pass, keeping nothing.

        Returns ``(value, tangents)``: one :class:`TaylorTangent` per direction with the requested
        ``jvp``, ``form`` and ``square`` (see :meth:`TaylorPoint.push`; each a bool, or one bool per
        direction); the arrays of each chunk serve every sum while they are in cache, and none is kept,
        so the tangents cannot be pulled back. ``value=False`` skips the value (returned as None).
        """
        flags = dict(jvp=jvp, form=form, square=square)
        point = self._point(w_move, orders, signs, keep=False, along=directions, value=value, **flags)
        return point.value, point.along

    def value(self, w_move, *, orders=None, signs=None):
        r""":math:`f(x_i)` at W: shape (n_samples,), or (n_draws, n_samples) with ``signs`` (nothing kept)."""
        return self.at(w_move, orders=orders, signs=signs, keep=False).value

    def jvp(self, w_move, direction, *, orders=None, signs=None):
        r"""The forward directional derivative :math:`Df(x_i)[V]`, shaped like :meth:`value`."""
        return self.at(w_move, orders=orders, signs=signs).push(direction, keep=False).jvp

    def vjp(self, w_move, cotangent, *, orders=None, signs=None):
        r"""The pullback :math:`\sum_i c_i\,\partial f(x_i)/\partial W`, shape (width, dim)."""
        return self.at(w_move, orders=orders, signs=signs).pullback(cotangent)

    def hvp(self, w_move, direction, cotangent, *, orders=None, signs=None):
        r"""The second-order pullback :math:`\sum_i c_i\nabla^2f(x_i)[V]`, shape (width, dim)."""
        return self.at(w_move, orders=orders, signs=signs).hvp(direction, cotangent)

    def hessian_form(self, w_move, direction, *, orders=None, signs=None):
        r"""The Hessian quadratic form :math:`\nabla^2f(x_i)[V, V]`, shaped like :meth:`value`."""
        return self.at(w_move, orders=orders, signs=signs).push(direction, jvp=False, form=True, keep=False).form

    # -- closed forms over uniform signs, per-neuron terms ---------------------------------------

    def sign_moments(self, w_move, *, orders=None):
        r"""Mean and variance of :math:`f_{W\Sigma}(x_i)` over uniform signs :math:`\Sigma_{rr} = \pm1`, exactly.

        Neurons are independent under :math:`\Sigma`. For Taylor terms the even orders do not
        depend on :math:`\Sigma` and the odd ones flip sign, so the mean is :math:`s\sum_r` (even
        part) and the variance :math:`s^2\sum_r` (odd part)\ :sup:`2` (``orders=(1,)``:
        :math:`E_\Sigma(f^L_{W\Sigma})^2 = \frac1m\sum_r\sigma'(p)^2u^2`); for the network each neuron
        is :math:`a_r\sigma(p\pm u)` with probability 1/2. Returns ``(mean, variance)``, each (n_samples,).
        """
        orders = _orders(orders)
        w_move = self._move("w_move", w_move)
        mean, var = np.zeros(self.n_samples), np.zeros(self.n_samples)
        for i, c in enumerate(self.chunks):  # memory chunks of neurons
            u = self._project(w_move, i, "u")
            if orders is None:
                up, down = self.activation(self._pre(i) + u), self.activation(self._pre(i) - u)
                mean += (up + down) @ self.w_out[c] / 2.0
                half = (up - down) * (self.w_out[c] / 2.0)
                var += _rowdot(half, half)
                continue
            even, odd = [k for k in orders if k % 2 == 0], [k for k in orders if k % 2 == 1]
            if odd:
                odd_terms = self._terms(i, u, odd, work="odd")
                var += _rowdot(odd_terms, odd_terms)
            if even:
                mean += self._terms(i, u, even, work="even").sum(axis=1)
        return mean * self.scale, var * self.scale**2

    def neuron_terms(self, w_move, order):
        r"""Per-neuron terms of :math:`f^{(k)}`, :math:`s\,a_r\sigma^{(k)}(p_{ir})u_{ir}^k/k!`,
        shape (n_samples, width).

        Their row sums are :math:`f^{(k)}(x_i)` (for U-statistics over neurons).
        """
        order = validate.integer("order", order, minimum=0)
        w_move = self._move("w_move", w_move)
        out = np.empty((self.n_samples, self.width))
        for i, c in enumerate(self.chunks):  # memory chunks of neurons
            out[:, c] = self._terms(i, self.x @ w_move[c].T, [order])
        return out * self.scale

    def coefficients(self, order):
        r""":math:`c_{ir} = s\,a_r\sigma^{(k)}(p_{ir})/k!`, so that :math:`f^{(k)}(x_i) = \sum_rc_{ir}(w_r^\top x_i)^k`.

        Shape (n_samples, width); ``order`` 2 gives the coefficients of :math:`f^Q` in which OPT's
        convex relaxation is linear.
        """
        order = validate.integer("order", order, minimum=0)
        out = np.empty((self.n_samples, self.width))
        factor = self.scale / math.factorial(order)
        for i, c in enumerate(self.chunks):  # memory chunks of neurons
            np.multiply(self._derivative(order, i), factor, out=out[:, c])
        return out


class _Group:
    r"""Terms of a model that share one coefficient row per sign draw.

    :math:`f_k(x_i) = s\sum_r\mathrm{rows}_{kr}\,g(p_{ir}, u_{ir})` with g a-weighted: a sum of
    Taylor terms (``orders``) or one branch of the network, :math:`a_r\sigma(p + \epsilon u)`
    (``eps`` = +1 or -1). ``rows`` None means 1 for every draw and neuron.
    """

    def __init__(self, rows, orders=None, eps=None):
        self.rows, self.orders, self.eps = rows, orders, eps
        # g'' (and a recomputed g') depend on u, so a kept state must keep u
        self.needs_u = orders is None or max(orders) >= 3


def _groups(orders, signs):
    """The groups of a model (see :class:`_Group`)."""
    if orders is None:
        if signs is None:
            return [_Group(None, eps=1)]
        return [_Group((1.0 + signs) / 2.0, eps=1), _Group((1.0 - signs) / 2.0, eps=-1)]
    if signs is None:
        return [_Group(None, orders=orders)]
    if np.all(np.abs(signs) == 1.0):  # Sigma^k is 1 for even k and Sigma for odd k
        parts = [(None, tuple(k for k in orders if k % 2 == 0)), (signs, tuple(k for k in orders if k % 2 == 1))]
        return [_Group(rows, orders=ks) for rows, ks in parts if ks]
    return [_Group(None if k == 0 else signs**k, orders=(k,)) for k in orders]


def _pairs(groups):
    """Pairs of groups whose coefficient rows multiply to a nonzero product, with that product (None: all
    ones); kept with the groups, which a model reuses for the same sign matrix."""
    if groups and hasattr(groups[0], "pairs"):
        return groups[0].pairs
    pairs = {}
    for a, ga in enumerate(groups):  # the (at most two) groups
        for b in range(a, len(groups)):
            gb = groups[b]
            rows = ga.rows if gb.rows is None else gb.rows if ga.rows is None else ga.rows * gb.rows
            if rows is not None and not np.any(rows):
                continue  # e.g. the two branches of the network under signs: (1 + s)(1 - s) = 0
            pairs[a, b] = _Group(None if rows is None or np.all(rows == 1.0) else rows, eps=0)
    groups[0].pairs = pairs
    return pairs


def _owned_bytes(arrays):
    """Bytes of the arrays a state owns (cached input arrays it only refers to do not count)."""
    return sum(a.nbytes for a in arrays if a is not None and a.flags.writeable)


class TaylorPoint:
    r"""A :class:`TaylorModel` at one W: its value, and derivatives that reuse the arrays depending on W.

    Attributes
    ----------
    value : ndarray, shape (n_samples,) or (n_draws, n_samples)
        :math:`f(x_i)`, per sign draw when the model is randomized.
    """

    def __init__(self, model, w_move, orders, signs, groups, *, keep=True, along=(), value=True, **pushed):
        self.model, self.w_move, self.orders = model, w_move, orders
        self.n_draws = None if signs is None else signs.shape[0]
        self.groups = groups
        self._states = [None] * len(model.chunks)  # per chunk: u and g' of every group, while they fit
        self._room = model.cache_bytes if keep else 0
        shape = (model.n_samples,) if self.n_draws is None else (self.n_draws, model.n_samples)
        # directions pushed forward in the same pass (TaylorModel.at's along, TaylorModel.evaluate)
        pushed = dict(dict(jvp=True, form=False, square=False), **pushed)
        self.along = [TaylorTangent(self, model._move("direction", v), shape=shape, keep=keep,
                                    **{k: _nth(flag, j) for k, flag in pushed.items()}) for j, v in enumerate(along)]
        self.value = self._forward(shape, value)
        for tangent in self.along:
            tangent._finish()
            tangent._point = weakref.ref(self)  # no reference cycle: the point is freed (and its memory reused) at once

    # -- per-chunk arrays ------------------------------------------------------------------------

    def _arrays(self, i, u, group, shift):
        """g, g' or g'' (``shift`` 0, 1, 2) of one group on chunk i, a-weighted (may be read only)."""
        model = self.model
        if group.orders is not None:
            return model._terms(i, u, group.orders, shift)
        out = model.activation.derivative(model._pre(i) + group.eps * u, shift)
        out *= model.w_out[model.chunks[i]] if group.eps > 0 or shift != 1 else -model.w_out[model.chunks[i]]
        return out

    def _keep(self, i, u, g1):
        if g1 and any(not g.flags.writeable and not self.model._is_kept(g) for g in g1):
            g1 = None  # a model's work array (g' = a sigma'(p) when its chunk is not kept): recomputed when needed
        size = _owned_bytes([u] + (g1 or []))
        if size <= self._room:
            self._states[i] = (u, g1)
            self._room -= size

    def __del__(self):  # the point's own arrays (not the model's, which are read only), for the next point
        if _POOL is not None and hasattr(self, "_states"):
            _POOL.give([a for state in self._states if state is not None for a in [state[0]] + (state[1] or [])
                        if a is not None and a.flags.writeable])

    def _u(self, i):
        state = self._states[i]
        if state is not None and state[0] is not None:
            return state[0]
        return self.model.x @ self.w_move[self.model.chunks[i]].T

    def _first(self, i):
        """g' of every group on chunk i (kept with the point while it fits)."""
        state = self._states[i]
        if state is not None and state[1] is not None:
            return state[1]
        u = self._u(i)
        g1 = [self._arrays(i, u, group, 1) for group in self.groups]
        if state is not None:  # replace the kept u by (u if still needed, g')
            self._states[i] = None
            self._room += _owned_bytes([state[0]])
        self._keep(i, u if any(g.needs_u for g in self.groups) else None, g1)
        return g1

    def _second(self, i):
        """g'' of every group on chunk i (for Taylor orders <= 2, the cached input arrays)."""
        u = self._u(i) if any(g.needs_u for g in self.groups) else None
        return [self._arrays(i, u, group, 2) for group in self.groups]

    def _reduce(self, group, a, b, c):
        r""":math:`\sum_r\mathrm{rows}_{kr}a_{ir}b_{ir}` over chunk c (b None: 1).

        Shape (n,) when rows is None, else (n_draws, n).
        """
        if group.rows is None:
            return a.sum(axis=1) if b is None else _rowdot(a, b)
        product = a if b is None else np.multiply(a, b, out=self.model.scratch.get("reduce", a.shape[1]))
        return group.rows[:, c] @ product.T

    def _pairs(self):
        """Groups whose coefficient rows multiply to a nonzero product, with that product (None: all ones)."""
        return _pairs(self.groups)

    def _forward(self, shape, with_value=True):
        model = self.model
        value = np.zeros(shape)
        group = self.groups[0]
        euler = (with_value and len(self.groups) == 1 and group.rows is None and group.orders is not None
                 and len(group.orders) == 1 and group.orders[0] >= 1)
        for i, c in enumerate(model.chunks):  # memory chunks of neurons
            if euler:  # one Taylor order k: u g' = k g, and g' is kept for the derivatives
                u = model._project(self.w_move, i, None if group.needs_u else "u")
                g1 = [model._terms(i, u, group.orders, 1, work=None if self._room else "g1")]
                value += _rowdot(g1[0], u) / group.orders[0]
                self._keep(i, u if group.needs_u else None, g1)
            else:
                u, g1 = model._project(self.w_move, i, None if self._room else "u"), None
                for part in self.groups if with_value else ():
                    g = self._arrays(i, u, part, 0)
                    value += g.sum(axis=1) if part.rows is None else part.rows[:, c] @ g.T
                self._keep(i, u, None)
            if self.along:  # the directions pushed in this pass, on this chunk's arrays
                if g1 is None and self._states[i] is not None:
                    first = _Once(self._first, i)  # g' from the kept u, and kept with it
                else:
                    first = _Once(lambda: g1 or [self._arrays(i, u, part, 1) for part in self.groups])
                second = _Once(lambda: [self._arrays(i, u, part, 2) for part in self.groups])
                for tangent in self.along:
                    tangent._chunk(i, first, second)
        return value * model.scale if with_value else None

    # -- forward and backward --------------------------------------------------------------------

    def push(self, direction, *, jvp=True, form=False, square=False, keep=True, reuse=None):
        r"""The direction V (width, dim) pushed forward: a :class:`TaylorTangent`.

        Its ``jvp`` is :math:`Df(x_i)[V]`; on request ``form`` is :math:`\nabla^2f(x_i)[V, V]` and
        ``square`` is :math:`E_{\Sigma'}(Df(x_i)[V\Sigma'])^2` over uniform signs :math:`\Sigma'` of the
        direction's rows (exact: cross-neuron terms have mean zero). ``keep=False``: the tangent keeps
        no arrays for a later :meth:`pullback`. ``reuse``: a tangent no longer needed whose kept arrays
        the new one overwrites (repeated products allocate nothing).
        """
        tangent = TaylorTangent(self, self.model._move("direction", direction), jvp=jvp, form=form, square=square,
                                keep=keep, shape=np.shape(self.value))
        if reuse is not None:
            tangent._spare, reuse._v = reuse._v, [None] * len(reuse._v)
        for i in range(len(self.model.chunks)):  # memory chunks of neurons
            tangent._chunk(i, _Once(self._first, i), _Once(self._second, i))
        return tangent._finish()

    def _weights(self, name, weights):
        shape = np.shape(self.value)
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != shape:
            raise validate.BoundcheckInputError(f"{name} must have shape {shape}; got {weights.shape}")
        return weights

    def _carry(self, weights, group, c):
        """Per-sample weights carried to the neurons of chunk c: (n, 1) or (n, chunk)."""
        if self.n_draws is None:
            return weights[:, None]
        if group.rows is None:
            return weights.sum(axis=0)[:, None]
        return weights.T @ group.rows[:, c]

    def pullback(self, cotangent=None, *, tangent=None, curvature=None):
        r""":math:`\sum_i c_i\,\partial f(x_i)/\partial W + \sum_i e_i\nabla^2f(x_i)[V]`, shape (width, dim).

        ``cotangent`` c and ``curvature`` e are shaped like :attr:`value` (per draw and sample when
        randomized, summed over draws); V is the direction of ``tangent`` (pushed from this point,
        whose arrays are reused). One output GEMM per chunk gives a risk's gradient
        (:math:`c = \ell'/n`) or its Hessian-vector product (:math:`c = \ell''Df[V]/n`, :math:`e = \ell'/n`).
        """
        model = self.model
        cotangent = None if cotangent is None else self._weights("cotangent", cotangent)
        if curvature is not None:
            if tangent is None or tangent.point is not self:
                raise validate.BoundcheckInputError("curvature needs a tangent pushed from this point (push)")
            curvature = self._weights("curvature", curvature)
        out = np.zeros((model.width, model.dim))
        fast = curvature is None and cotangent is not None and self.n_draws is None and len(self.groups) == 1
        scaled_x = cotangent[:, None] * model.x if fast else None
        for i, c in enumerate(model.chunks):  # memory chunks of neurons
            if fast:  # no (n, chunk) temporary
                out[c] = self._first(i)[0].T @ scaled_x
                continue
            # sum of g' * c and g'' * v * e over the groups, in two work arrays
            weighted, term, first = model.scratch.get("weighted", _width(c)), model.scratch.get("term", _width(c)), True
            parts = [] if cotangent is None else [(g, None, self._carry(cotangent, group, c))
                                                  for group, g in zip(self.groups, self._first(i))]
            if curvature is not None:
                v = tangent._direction(i)
                parts += [(g, v, self._carry(curvature, group, c)) for group, g in zip(self.groups, self._second(i))]
            for g, v, carry in parts:  # the few groups
                target = weighted if first else term
                if v is None:
                    np.multiply(g, carry, out=target)
                else:
                    np.multiply(g, v, out=target)
                    target *= carry
                if not first:
                    weighted += term
                first = False
            if not first:
                out[c] = weighted.T @ model.x
        return out * model.scale

    def vjp(self, cotangent):
        r"""The pullback :math:`\sum_i c_i\,\partial f(x_i)/\partial W`, shape (width, dim)."""
        return self.pullback(cotangent)

    def hvp(self, direction, cotangent):
        r"""The second-order pullback :math:`\sum_i c_i\nabla^2f(x_i)[V]`, shape (width, dim)."""
        return self.pullback(tangent=self.push(direction), curvature=cotangent)

    def jacobian(self):
        r"""Per-sample gradients :math:`\partial f(x_i)/\partial W` (NTK features), shape (n_samples, width, dim)."""
        self._unrandomized("jacobian")
        model = self.model
        out = np.empty((model.n_samples, model.width, model.dim))
        for i, c in enumerate(model.chunks):  # memory chunks of neurons
            out[:, c, :] = self._first(i)[0][:, :, None] * model.x[:, None, :]
        return out * model.scale

    def gradient_norms(self):
        r"""The tangent kernel's diagonal :math:`\|\partial_Wf(x_i)\|_F^2 = s^2\|x_i\|^2\sum_rG_{ir}^2` (n_samples,)."""
        self._unrandomized("gradient_norms")
        model = self.model
        out = np.zeros(model.n_samples)
        for i in range(len(model.chunks)):  # memory chunks of neurons
            g = self._first(i)[0]
            out += _rowdot(g, g)
        return out * np.sum(model.x**2, axis=1) * model.scale**2

    def ntk_gram(self):
        r"""The tangent kernel :math:`K_{ij} = \langle\partial_Wf(x_i), \partial_Wf(x_j)\rangle`, shape (n, n).

        :math:`K = s^2(GG^\top)\odot(XX^\top)` with :math:`G_{ir} = a_r\partial_ug(p_{ir}, u_{ir})`.
        """
        self._unrandomized("ntk_gram")
        model = self.model
        gram = np.zeros((model.n_samples, model.n_samples))
        for i in range(len(model.chunks)):  # memory chunks of neurons
            g = self._first(i)[0]
            gram += g @ g.T
        return gram * (model.x @ model.x.T) * model.scale**2

    def _unrandomized(self, what):
        if self.n_draws is not None:
            raise validate.BoundcheckInputError(f"{what} needs a model without signs; got {self.n_draws} sign draws")


class TaylorTangent:
    r"""A direction V pushed forward at a :class:`TaylorPoint`; its arrays serve :meth:`TaylorPoint.pullback`.

    Attributes
    ----------
    jvp : ndarray or None
        :math:`Df(x_i)[V]`, shaped like the point's value (unless not requested).
    form : ndarray or None
        :math:`\nabla^2f(x_i)[V, V]`, when requested.
    square : ndarray or None
        :math:`E_{\Sigma'}(Df(x_i)[V\Sigma'])^2 = s^2\sum_r(a_r\partial_ug)^2(v_r^\top x_i)^2` over uniform
        signs of the direction's rows, when requested.
    """

    @property
    def point(self):
        """The :class:`TaylorPoint` this tangent was pushed from."""
        return self._point() if isinstance(self._point, weakref.ref) else self._point

    def __init__(self, point, direction, *, jvp, form, square, keep, shape):
        self._point, self.direction = point, direction
        self._v, self._spare = [None] * len(point.model.chunks), None
        self._room = point.model.cache_bytes if keep else 0
        self.jvp = np.zeros(shape) if jvp else None
        self.form = np.zeros(shape) if form else None
        self.square = np.zeros(shape) if square else None

    def _chunk(self, i, first, second):
        """Add chunk i's share; ``first()`` and ``second()`` give g' and g'' of every group there."""
        point, model = self.point, self.point.model
        c = model.chunks[i]
        kept = 8 * model.n_samples * _width(c) <= self._room
        spare = self._spare[i] if kept and self._spare and self._spare[i] is not None else None
        if spare is not None:  # a previous tangent's array, overwritten
            v = np.matmul(model.x, self.direction[c].T, out=spare)
        else:
            v = model._project(self.direction, i, None if kept else "v")
        if kept:
            self._v[i], self._room = v, self._room - v.nbytes
        if self.jvp is not None:
            for group, g in zip(point.groups, first()):
                self.jvp += point._reduce(group, g, v, c)
        if self.form is not None:
            vv = np.multiply(v, v, out=model.scratch.get("vv", _width(c)))
            for group, g in zip(point.groups, second()):
                self.form += point._reduce(group, g, vv, c)
        if self.square is not None:
            self.square += self._square(first(), v, c)
        if self._spare and self._spare[i] is not None and self._v[i] is not self._spare[i]:
            _POOL.give([self._spare[i]])  # not needed after all
        if self._spare:
            self._spare[i] = None

    def __del__(self):  # the kept x V^T, for the next tangent
        if _POOL is not None and hasattr(self, "_spare"):
            _POOL.give(self._v + (self._spare or []))

    def _finish(self):
        scale = self.point.model.scale
        for name, power in (("jvp", 1), ("form", 1), ("square", 2)):
            if getattr(self, name) is not None:
                setattr(self, name, getattr(self, name) * scale**power)
        return self

    def _square(self, g1, v, c):
        r""":math:`\sum_r(\sum_g\mathrm{rows}_{g,kr}g'_{g,ir})^2v_{ir}^2` on chunk c."""
        point = self.point
        if all(g.rows is None for g in point.groups):
            work = point.model.scratch.get("vv", _width(c))
            total = np.multiply(g1[0] if len(g1) == 1 else sum(g1), v, out=work)
            return _rowdot(total, total)
        vv = np.multiply(v, v, out=point.model.scratch.get("vv", _width(c)))
        out = 0.0
        for (a, b), pair in point._pairs().items():  # pairs of the (at most two) groups with nonzero products
            term = np.multiply(g1[a], g1[b], out=point.model.scratch.get("pair", _width(c)))
            term *= vv
            out = out + (1.0 if a == b else 2.0) * point._reduce(pair, term, None, c)
        return out

    def _direction(self, i):
        v = self._v[i]
        return self.point.model.x @ self.direction[self.point.model.chunks[i]].T if v is None else v


class _PerDrawPoint:
    r"""The full network under real (not :math:`\pm1`) diagonals: one :class:`TaylorPoint` per draw at
    :math:`W\Sigma_k` (a loop over draws, each batched), derivatives in W by the chain rule
    :math:`\partial_W f(W\Sigma) = \Sigma\,\nabla f(W\Sigma)`."""

    def __init__(self, model, w_move, signs):
        self.model, self.signs, self.n_draws = model, signs, signs.shape[0]
        self.points = [TaylorPoint(model, w_move * s[:, None], None, None, _groups(None, None)) for s in signs]
        self.value = np.stack([p.value for p in self.points])

    def push(self, direction, *, jvp=True, form=False, square=False, keep=True):
        direction = self.model._move("direction", direction)
        return _PerDrawTangent(self, [p.push(direction * s[:, None], jvp=jvp, form=form, square=square,
                                             keep=keep) for p, s in zip(self.points, self.signs)])

    def pullback(self, cotangent=None, *, tangent=None, curvature=None):
        out = np.zeros((self.model.width, self.model.dim))
        for k, (point, s) in enumerate(zip(self.points, self.signs)):  # a loop over draws
            out += s[:, None] * point.pullback(None if cotangent is None else cotangent[k],
                                               tangent=None if curvature is None else tangent.tangents[k],
                                               curvature=None if curvature is None else curvature[k])
        return out

    def vjp(self, cotangent):
        return self.pullback(cotangent)

    def hvp(self, direction, cotangent):
        return self.pullback(tangent=self.push(direction), curvature=cotangent)


class _PerDrawTangent:
    def __init__(self, point, tangents):
        self.point, self.tangents = weakref.proxy(point), tangents  # held by point.along: no reference cycle
        self.jvp = None if tangents[0].jvp is None else np.stack([t.jvp for t in tangents])
        self.form = None if tangents[0].form is None else np.stack([t.form for t in tangents])
        self.square = None if tangents[0].square is None else np.stack([t.square for t in tangents])


# --------------------------------------------------------------------------------------------
# the network and its Taylor terms: thin wrappers over TaylorModel


def network(x, w_init, w_out, w_move=None, *, activation="relu3", scale=None):
    r"""The network :math:`f_{W_0 + W}(x)` of equation (1), shape (n_samples,).

    ``w_move`` None means :math:`W = 0`; ``scale`` defaults to :math:`m^{-1/2}`.
    """
    model = TaylorModel(x, w_init, w_out, activation=activation, scale=scale, cache_bytes=0)
    return model.value(np.zeros_like(model.w_init) if w_move is None else w_move)


def taylor_terms(x, w_init, w_out, w_move, orders, *, activation="relu3", scale=None):
    r"""The Taylor terms :math:`f^{(k)}_{W_0, W}(x)` for each k in ``orders``, shape (len(orders), n).

    :math:`f^{(k)}(x) = m^{-1/2}\sum_r a_r \sigma^{(k)}(w_{0,r}^\top x)(w_r^\top x)^k / k!`;
    :math:`f^{(0)} = f_{W_0}`.
    """
    model = TaylorModel(x, w_init, w_out, activation=activation, scale=scale, cache_bytes=0)
    return np.stack([model.value(w_move, orders=(k,)) for k in _orders(orders)])  # the few orders, one model


def taylor_term(x, w_init, w_out, w_move, order, *, activation="relu3", scale=None):
    r"""One Taylor term :math:`f^{(k)}_{W_0, W}(x)`, shape (n_samples,)."""
    model = TaylorModel(x, w_init, w_out, activation=activation, scale=scale, cache_bytes=0)
    return model.value(w_move, orders=(order,))


def linear_model(x, w_init, w_out, w_move, *, activation="relu3"):
    r"""The NTK model :math:`f^L_W(x) = m^{-1/2}\sum_r a_r \sigma'(w_{0,r}^\top x)(w_r^\top x)`."""
    return taylor_term(x, w_init, w_out, w_move, 1, activation=activation)


def quadratic_model(x, w_init, w_out, w_move, *, activation="relu3"):
    r"""The quadratic model :math:`f^Q_W(x) = (2\sqrt m)^{-1}\sum_r a_r\sigma''(w_{0,r}^\top x)(w_r^\top x)^2`."""
    return taylor_term(x, w_init, w_out, w_move, 2, activation=activation)


def randomized_taylor_term(x, w_init, w_out, w_move, signs, order, *, activation="relu3", scale=None):
    r""":math:`f^{(k)}_{W_0, W\Sigma}(x)` for each row of ``signs``, shape (n_draws, n_samples).

    ``signs`` may hold any real values (Section 6 uses :math:`z_\pm`).
    """
    model = TaylorModel(x, w_init, w_out, activation=activation, scale=scale, cache_bytes=0)
    return model.value(w_move, orders=(order,), signs=np.atleast_2d(signs))


def randomized_network(x, w_init, w_out, w_move, signs, *, activation="relu3"):
    r"""The randomized network :math:`f_{W_0 + W\Sigma}(x)`, shape (n_draws, n_samples).

    For sign matrices each neuron takes one of two values, :math:`\sigma(w_{0,r}^\top x \pm
    w_r^\top x)`, so all draws come from two GEMMs per chunk; other real diagonals are evaluated
    draw by draw.
    """
    model = TaylorModel(x, w_init, w_out, activation=activation, cache_bytes=0)
    return model.value(w_move, signs=np.atleast_2d(signs))


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
