r"""The feature operator norm :math:`M_{x,\mathrm{op}}` of Theorem 6 (paper Section 5.1, Appendix C.2).

.. math::

    M_{x,\mathrm{op}} = \Big(B_x^{-2}\, \mathbb E_x \Big\| \frac1n \sum_{i=1}^n x_i x_i^\top
    \Big\|_{\mathrm{op}}\Big)^{1/2},

the rescaled operator norm of the empirical second-moment matrix of n inputs of norm
:math:`B_x`. The paper's reference values: :math:`M_{x,\mathrm{op}} \le 1` always;
:math:`O(1/\sqrt d)` for isotropic inputs (uniform on the sphere or on the hypercube
:math:`\{\pm B_x/\sqrt d\}^d`) once :math:`n \gtrsim d`; for :math:`K`-sub-Gaussian inputs whose
covariance has condition number at most :math:`\kappa`, :math:`\kappa/\sqrt d` as printed in
Appendix C.2, while the argument (:math:`\|\mathrm{Cov}\|_{\mathrm{op}} \le \kappa B_x^2/d`)
gives the smaller :math:`\sqrt{\kappa/d}`; both are reported.

The expectation is a Monte Carlo mean over ``trials`` independent samples of n inputs; the
interval of :math:`M_{x,\mathrm{op}}` is the square root of the Student-t interval of the mean
of :math:`\|\hat\Sigma\|_{\mathrm{op}}/B_x^2` (the square root is monotone).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from .._lazy import lazy
from ..data import DISTRIBUTIONS, sample_inputs
from ..network import CHUNK_BYTES  # the one memory constant: one chunk of trials (trials x n x d inputs)
from ..results import mean_interval

special = lazy("scipy.special")

__all__ = ["covariance_opnorm", "m_op_of_array", "estimate_m_op", "m_op_reference",
           "isotropic_m_op_asymptotic", "hypercube_m_op_exact_dim2", "sphere_m_op_exact_dim2", "m_op_sweep", "DIGITS_DIM", "DIGITS_ROWS"]

DIGITS_DIM = 64
DIGITS_ROWS = 1797


def covariance_opnorm(x):
    r""":math:`\|\frac1n\sum_i x_i x_i^\top\|_{\mathrm{op}}`, batched over leading axes of ``x``.

    ``x`` has shape (..., n, d). The smaller of the d x d second-moment matrix and the n x n Gram
    matrix (same nonzero spectrum) goes to a batched ``eigvalsh``.
    """
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape[-2:]
    if d <= n:
        gram = np.swapaxes(x, -1, -2) @ x
    else:
        gram = x @ np.swapaxes(x, -1, -2)
    return np.linalg.eigvalsh(gram)[..., -1] / n


def _radius_of(x, input_radius):
    norms = np.linalg.norm(x, axis=1)
    if input_radius is None:
        return float(np.max(norms))
    return validate.positive("input_radius", input_radius)


def m_op_of_array(x, input_radius=None):
    r""":math:`(B_x^{-2}\|\frac1n\sum_i x_i x_i^\top\|_{\mathrm{op}})^{1/2}` of one array (no expectation).

    ``input_radius`` defaults to the largest row norm, so the value is at most 1.
    """
    x = validate.matrix("x", x)
    radius = _radius_of(x, input_radius)
    return math.sqrt(float(covariance_opnorm(x)) / radius**2)


def isotropic_m_op_asymptotic(n_samples, dim):
    r"""Large-(n, d) value for isotropic inputs: :math:`(1 + \sqrt{d/n})/\sqrt d`.

    The top eigenvalue of the sample second-moment matrix of n isotropic vectors with covariance
    :math:`B_x^2 I/d` approaches :math:`\frac{B_x^2}{d}(1+\sqrt{d/n})^2` (the Marchenko-Pastur
    edge); the finite-size correction is of relative order :math:`n^{-2/3}`.
    """
    n_samples = validate.integer("n_samples", n_samples, minimum=1)
    dim = validate.integer("dim", dim, minimum=1)
    return (1.0 + math.sqrt(dim / n_samples)) / math.sqrt(dim)


def hypercube_m_op_exact_dim2(n_samples):
    r"""Exact :math:`M_{x,\mathrm{op}}` for inputs uniform on :math:`\{\pm B_x/\sqrt2\}^2`.

    With :math:`c = \frac1n\sum_i \mathrm{sign}(x_{i1}x_{i2})`, the second-moment matrix is
    :math:`\frac{B_x^2}{2}\begin{pmatrix}1 & c\\ c & 1\end{pmatrix}`, of norm
    :math:`\frac{B_x^2}{2}(1+|c|)`; :math:`nc` is a sum of n Rademacher signs, so
    :math:`M_{x,\mathrm{op}} = \big(\tfrac12(1 + E|S_n|/n)\big)^{1/2}` with
    :math:`E|S_n| = 2^{-n}\sum_k \binom nk |2k - n|`.
    """
    n = validate.integer("n_samples", n_samples, minimum=1)
    k = np.arange(n + 1)
    log_w = special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1) - n * math.log(2.0)
    mean_abs = float(np.sum(np.exp(log_w) * np.abs(2 * k - n)))
    return math.sqrt(0.5 * (1.0 + mean_abs / n))


def sphere_m_op_exact_dim2(n_samples):
    r"""Exact :math:`M_{x,\mathrm{op}}` for inputs uniform on the circle of radius :math:`B_x` (d = 2).

    For :math:`x_i = B_x(\cos\theta_i, \sin\theta_i)` the second-moment matrix is
    :math:`\frac{B_x^2}{2}(I + \frac1n\begin{pmatrix}C & S\\ S & -C\end{pmatrix})` with
    :math:`C + iS = \sum_i e^{2i\theta_i}`, of norm :math:`\frac{B_x^2}{2}(1 + |C+iS|/n)`. The mean
    length of a planar walk of n unit steps in uniform directions is
    :math:`\int_0^\infty (1 - J_0(k)^n)\,k^{-2}\,dk` (from :math:`\int_0^\infty (1-J_0(kr))k^{-2}dk = r`),
    integrated numerically to about 1e-6.
    """
    from scipy import integrate

    n = validate.integer("n_samples", n_samples, minimum=1)
    cutoff = 400.0

    def integrand(k):
        return n / 4.0 if k == 0 else (1.0 - special.j0(k) ** n) / k**2

    body, _ = integrate.quad(integrand, 0.0, cutoff, limit=4000)
    mean_length = body + 1.0 / cutoff  # tail: J_0(k)^n / k^2 is below 1e-6 beyond the cutoff for n >= 2
    return math.sqrt(0.5 * (1.0 + mean_length / n))


def m_op_reference(dist, n_samples, dim, *, condition=10.0, rng=None, pool_size=20000, input_radius=1.0):
    r"""The paper's reference values of :math:`M_{x,\mathrm{op}}` for ``dist``, as a dict.

    Always ``always = 1`` (Appendix C.2 (a)). For ``sphere``/``hypercube``: ``paper`` =
    :math:`1/\sqrt d` (the :math:`O(1/\sqrt d)` of Theorem 6 with constant 1) and ``finite_n`` =
    :func:`isotropic_m_op_asymptotic`; for d = 2 also ``exact``. For
    ``anisotropic``: ``paper`` = :math:`\kappa/\sqrt d` (as printed), ``derived`` =
    :math:`\sqrt{\kappa/d}`, and ``population`` = :math:`(\|\mathrm{Cov}\|_{\mathrm{op}}/B_x^2)^{1/2}`
    estimated from ``pool_size`` draws (needs ``rng``). For ``digits``: ``isotropic`` =
    :math:`1/\sqrt{64}` and ``full_data`` = the value on all 1797 rows.
    """
    validate.choice("dist", dist, DISTRIBUTIONS)
    ref = {"always": 1.0}
    if dist in ("sphere", "hypercube"):
        ref["paper"] = 1.0 / math.sqrt(dim)
        ref["finite_n"] = isotropic_m_op_asymptotic(n_samples, dim)
        if dim == 2:
            ref["exact"] = (hypercube_m_op_exact_dim2 if dist == "hypercube" else sphere_m_op_exact_dim2)(n_samples)
        ref["note"] = "paper: O(1/sqrt(d)) for n >= d, shown with constant 1; finite_n: (1+sqrt(d/n))/sqrt(d)"
    elif dist == "anisotropic":
        condition = validate.positive("condition", condition)
        ref["paper"] = condition / math.sqrt(dim)
        ref["derived"] = math.sqrt(condition / dim)
        if rng is not None:
            pool = sample_inputs("anisotropic", pool_size, dim, condition=condition, input_radius=input_radius,
                                 rng=rng)
            ref["population"] = math.sqrt(float(covariance_opnorm(pool)) / input_radius**2)
        ref["note"] = ("paper (App. C.2 as printed): kappa/sqrt(d); the proof's ||Cov|| <= kappa B_x^2/d gives "
                       "sqrt(kappa/d), smaller by sqrt(kappa); both need n >= O(K^4 d)")
    else:
        ref["isotropic"] = 1.0 / math.sqrt(DIGITS_DIM)
        ref["full_data"] = m_op_of_array(_digits_pool(input_radius), input_radius)
        ref["note"] = "real data (sklearn digits, centred, rows on the sphere): compare with isotropic 1/sqrt(64)"
    return ref


def _digits_pool(input_radius):
    from ..data import load_digits

    return load_digits(input_radius)


def estimate_m_op(dist, n_samples, dim, *, trials=64, input_radius=1.0, condition=10.0, level=0.95, rng):
    r"""Monte Carlo :math:`M_{x,\mathrm{op}}` for inputs from ``dist`` with its confidence interval.

    Parameters
    ----------
    dist : {"sphere", "hypercube", "anisotropic", "digits"}
    n_samples, dim : int
        n and d (d must be 64 for ``digits``, whose trials subsample the 1797 rows).
    trials : int
        Independent samples of n inputs; the expectation is their mean.
    input_radius : float
        :math:`B_x`.
    condition : float
        :math:`\kappa` for ``anisotropic``.
    level : float
        Confidence level.
    rng : numpy.random.Generator

    Returns
    -------
    dict with ``m_op``, ``interval``, ``reference`` (see :func:`m_op_reference`), ``per_trial``
    (the values :math:`(\|\hat\Sigma\|_{\mathrm{op}}/B_x^2)^{1/2}` of each trial) and the inputs.
    """
    validate.choice("dist", dist, DISTRIBUTIONS)
    n_samples = validate.integer("n_samples", n_samples, minimum=1)
    dim = validate.integer("dim", dim, minimum=1)
    trials = validate.integer("trials", trials, minimum=2)
    input_radius = validate.positive("input_radius", input_radius)
    level = validate.probability("level", level)
    if dist == "digits" and dim != DIGITS_DIM:
        raise validate.BoundcheckInputError(f"dim must be {DIGITS_DIM} for the digits data set; got {dim}")
    ops = np.empty(trials)
    per_chunk = max(1, CHUNK_BYTES // (8 * n_samples * dim))
    for start in range(0, trials, per_chunk):  # loop over memory chunks of trials, each one batched eigvalsh
        stop = min(trials, start + per_chunk)
        if dist == "digits":  # subsample the rows (without replacement when n <= 1797), as data.sample_inputs
            pool = _digits_pool(input_radius) if start == 0 else pool
            idx = np.stack([rng.choice(pool.shape[0], size=n_samples, replace=n_samples > pool.shape[0])
                            for _ in range(stop - start)])
            x = pool[idx]
        else:
            x = np.stack([sample_inputs(dist, n_samples, dim, input_radius=input_radius, condition=condition,
                                        rng=rng) for _ in range(stop - start)])
        ops[start:stop] = covariance_opnorm(x) / input_radius**2
    mean, (low, high) = mean_interval(ops, level)
    ref = m_op_reference(dist, n_samples, dim, condition=condition, rng=rng, input_radius=input_radius)
    return {"dist": dist, "n": n_samples, "dim": dim, "trials": trials, "level": level,
            "m_op": math.sqrt(mean), "interval": (math.sqrt(max(low, 0.0)), math.sqrt(max(high, 0.0))),
            "reference": ref, "per_trial": np.sqrt(ops)}


def m_op_sweep(dist, n_values, dim_values, *, trials=32, input_radius=1.0, condition=10.0, level=0.95, rng):
    r""":math:`M_{x,\mathrm{op}}` over a grid: one row per (n, d) pair of ``n_values`` x ``dim_values``.

    Rows hold ``n``, ``dim``, ``m_op``, ``low``, ``high``, ``paper`` (:math:`1/\sqrt d`, or
    :math:`\kappa/\sqrt d` for anisotropic inputs) and ``finite_n`` where defined. Each cell draws from
    its own sub-stream (``rng.spawn``), so a cell's value does not depend on the grid around it.
    """
    cells = [(int(n), int(d)) for d in np.atleast_1d(dim_values) for n in np.atleast_1d(n_values)]
    rows = []
    for (n, d), sub in zip(cells, rng.spawn(len(cells))):  # loop over sweep cells, each batched inside
        est = estimate_m_op(dist, n, d, trials=trials, input_radius=input_radius, condition=condition, level=level,
                            rng=sub)
        ref = est["reference"]
        rows.append({"dist": dist, "n": n, "dim": d, "m_op": est["m_op"], "low": est["interval"][0],
                     "high": est["interval"][1], "paper": ref.get("paper", ref.get("isotropic")),
                     "finite_n": ref.get("finite_n", ref.get("derived", ref.get("full_data")))})
    return rows
