r"""Section 6: randomization that makes the k-th order NTK dominate (Section 6.1).

With :math:`z_+, z_-` whose first k-1 moments agree and whose k-th moments differ by 1, and
:math:`(w_{+,r}, w_{-,r}) = (z_{+,r}w_{*,r}, z_{-,r}w_{*,r})` with :math:`\|w_{*,r}\| \sim m^{-1/(2k)}`,
the paper argues that :math:`f^{(j)} = O(m^{-j/(2k)})` for :math:`j < k` (mean zero), :math:`f^{(k)} = O(1)`
(mean of order 1), and the remainder :math:`f - \sum_{j\le k}f^{(j)} = O(m^{-1/(2k)})`.
The slowest lower term is :math:`j = 1`, so "the lower terms shrink like :math:`m^{-1/(2k)}`".
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from ..network import TaylorModel, network_pm, taylor_term_pm
from ..run.registry import register
from ..symbolic.moments import moment_matching_pair


def forward_difference_pair(order):
    r"""The pair built here: signed weights :math:`(-1)^{k-i}\binom ki/k!` on :math:`i = 0..k` (the k-th
    forward difference over k!), positive part to :math:`z_+`, negative part to :math:`z_-`, the
    missing mass on 0 in both. Returns ``(points, probs_plus, probs_minus)`` (floats)."""
    k = validate.integer("order", order, minimum=1, maximum=20)
    weights = np.array([(-1) ** (k - i) * math.comb(k, i) / math.factorial(k) for i in range(k + 1)])
    mass = weights[weights > 0].sum()
    plus = np.where(weights > 0, weights, 0.0)
    minus = np.where(weights < 0, -weights, 0.0)
    plus[0] += 1 - mass
    minus[0] += 1 - mass
    return np.arange(k + 1, dtype=np.float64), plus, minus


def moment_pair(order):
    """Support and probabilities of (z_+, z_-): ``(points_plus, probs_plus, points_minus, probs_minus, source)``.

    From :func:`boundcheck.symbolic.moments.moment_matching_pair`.
    """
    plus, minus = moment_matching_pair(order)
    arrays = [np.array([float(t) for t in d], dtype=np.float64) for d in (plus, minus)]
    probs = [np.array([float(q) for q in d.values()], dtype=np.float64) for d in (plus, minus)]
    return arrays[0], probs[0], arrays[1], probs[1], "boundcheck.symbolic.moments"


def taylor_second_moments(x, w_init, w_star, order, *, activation="softplus"):
    r"""Exact :math:`E_z f^{(j)}(x_i)` mean part and fluctuation, j = 1..k, for
    :math:`(w_{+,r}, w_{-,r}) = (z_{+,r}w_{*,r}, z_{-,r}w_{*,r})` with independent :math:`z_\pm`.

    Returns ``(mean_sq, fluct)``, each (k, n): :math:`(E_zf^{(j)}(x_i))^2` (the U-statistic
    :math:`\frac{\delta_j^2}{m-1}\sum_{r\ne s}c_{jr}c_{js}`, whose mean over :math:`W_0` is
    :math:`m\,\delta_j^2(E c_j)^2` without the :math:`O(1/m)` finite-sample term) and
    :math:`\mathrm{Var}_zf^{(j)}(x_i)`,
    from :math:`c_{jr} = \sigma^{(j)}(p_r)(w_{*,r}^\top x)^j/j!`: mean :math:`m^{-1/2}\delta_j\sum_rc_{jr}`,
    variance :math:`\frac1m V_j\sum_rc_{jr}^2` (neurons independent given :math:`W_0, W_*`).
    """
    pp, qp, pm, qm, _ = moment_pair(order)
    width = w_init.shape[0]
    model = TaylorModel(x, w_init, np.ones(width), activation=activation, scale=1.0)  # terms without a_r, m^-1/2
    mean_sq, fluct = [], []
    for j in range(1, order + 1):  # a loop over Taylor orders
        delta = float(qp @ pp**j - qm @ pm**j)
        var = float(qp @ pp ** (2 * j) - (qp @ pp**j) ** 2 + qm @ pm ** (2 * j) - (qm @ pm**j) ** 2)
        c = model.neuron_terms(w_star, j)
        # (sum_r c_r)^2 - sum_r c_r^2 = sum_{r != s} c_r c_s: unbiased for m(m-1)(E c)^2 over W_0, so the
        # mean part carries no O(1/m) bias from the finite sample of neurons
        mean_sq.append(delta**2 * (c.sum(axis=1) ** 2 - np.sum(c * c, axis=1)) / (width - 1))
        fluct.append(np.mean(c * c, axis=1) * var)
    return np.array(mean_sq), np.array(fluct)


def section6_terms(width, dim, order, *, n_samples, repeats, scale, rng, activation="softplus", z_draws=1):
    r"""Root mean squares over samples and ``repeats`` draws of (:math:`W_0`, :math:`W_*`, x) of
    :math:`f^{(j)}` for :math:`j = 1..k` (exact second moments over z) and of the remainder
    :math:`f - \sum_{j\le k}f^{(j)}` (Monte Carlo over z).

    Neurons are independent given :math:`W_0, W_*`, so with :math:`c_{jr} = \sigma^{(j)}(p_r)(w_{*,r}^\top x)^j/j!`,
    :math:`E_zf^{(j)}(x)^2 = (m^{-1/2}\sum_rc_{jr}\delta_j)^2 + \frac1m\sum_rc_{jr}^2V_j` with
    :math:`\delta_j = E z_+^j - E z_-^j` (0 for j < k, 1 for j = k) and :math:`V_j = \mathrm{Var}z_+^j
    + \mathrm{Var}z_-^j` (:math:`z_\pm` independent).

    :math:`w_{*,r}` = ``scale`` :math:`\cdot m^{-1/(2k)}w_{0,r}`, so that :math:`w_{*,r}^\top x` is
    ``scale`` :math:`\cdot m^{-1/(2k)}p_r` and the mean of :math:`f^{(k)}` tends to
    ``scale``:math:`^k E[\sigma^{(k)}(Z)Z^k]/k!` (Z standard
    normal) for every k. With :math:`w_{*,r} \propto \beta` shared by all neurons instead, an odd k
    and an odd :math:`\sigma^{(k)}` (softplus, k = 3) give :math:`E\sigma^{(k)}(Z) = 0`, and
    :math:`f^{(k)}` would vanish as m grows.
    Returns an array of shape (k + 3,): entries 0..k-1 are :math:`f^{(1)}..f^{(k)}`, entry k the
    remainder, entries k+1 and k+2 the two parts of :math:`f^{(k)}`: the rms over x of its mean over z
    (:math:`E_zf^{(k)}`) and of its fluctuation (:math:`\mathrm{sd}_zf^{(k)}`).
    """
    pp, qp, pm, qm, _ = moment_pair(order)
    sums = np.zeros(order + 3)
    for _ in range(repeats):  # a loop over independent repetitions, each batched
        x = rng.standard_normal((n_samples, dim))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        w_init = rng.standard_normal((width, dim))
        w_star = w_init * scale * width ** (-1.0 / (2 * order))
        mean_sq, fluct = taylor_second_moments(x, w_init, w_star, order, activation=activation)
        sums[:order] += np.mean(mean_sq + fluct, axis=1)
        sums[order + 1] += max(float(np.mean(mean_sq[-1])), 0.0)
        sums[order + 2] += np.mean(fluct[-1])
        for _ in range(z_draws):  # a loop over z draws (Monte Carlo for the remainder), each batched
            z_plus = rng.choice(pp, size=width, p=qp / qp.sum())
            z_minus = rng.choice(pm, size=width, p=qm / qm.sum())
            w_plus, w_minus = z_plus[:, None] * w_star, z_minus[:, None] * w_star
            terms = [taylor_term_pm(x, w_init, w_plus, w_minus, j, activation=activation)
                     for j in range(1, order + 1)]
            rest = network_pm(x, w_init, w_plus, w_minus, activation=activation) - np.sum(terms, axis=0)
            sums[order] += np.mean(rest**2) / z_draws
    return np.sqrt(sums / repeats)


def _slope_record(widths, per_replicate, claimed, relation, level, params):
    from ..numeric.coupling import replicate_slope_record

    return replicate_slope_record("Section 6", widths, per_replicate, claimed, relation, level=level, params=params)


@register("Section 6", statement="with moment-matched z_+, z_-: f^(k) = O(1) dominates, f^(1..k-1) and the "
          "remainder are O(m^-1/(2k))", section="6.1")
def check_section6(*, rng, n_samples=32, dim=4, activation="softplus", level=0.95, orders=(2, 3, 4),
                   widths=(64, 256, 1024, 4096), replicates=4, scale=1.0, claimed_exponent=None):
    r"""Section 6.1 for k in ``orders``: three records per k, each an exponent in m estimated by
    ``replicates`` independent sweeps over ``widths`` (the interval is the t-interval of their slopes).

    1. the exponent of :math:`\mathrm{rms}f^{(1)}` against :math:`-1/(2k)` ("==": the j = 1 term, the
       slowest lower term, decays exactly at that rate); params hold the exponent of every
       :math:`f^{(j)}`, j < k (the paper: :math:`-j/(2k)`);
    2. the exponent of the remainder :math:`f - \sum_{j\le k}f^{(j)}` against :math:`-1/(2k)` ("<=": at
       least as fast; it is faster when :math:`E\sigma^{(k+1)}(Z)Z^{k+1}` is small);
    3. the exponent of the rms over x of :math:`E_zf^{(k)}(x)` (the function the k-th term expresses)
       against 0 ("==": order 1); params hold the exponent of its fluctuation over z
       (:math:`m^{-1/2}`), whether :math:`E_zf^{(k)}` dominates every other term at the largest width,
       and the width where it would overtake :math:`f^{(1)}` by the two fits.

    ``claimed_exponent`` (tests) replaces :math:`-1/(2k)`.
    """
    from ..results import fit_power_law

    replicates = validate.integer("replicates", replicates, minimum=2)
    records = []
    for k in orders:  # a loop over orders k
        k = validate.integer("order", k, minimum=2, maximum=8)
        # replicate sweeps: (replicates, widths, k + 3); a loop over sweep cells
        rms = np.array([[section6_terms(m, dim, k, n_samples=n_samples, repeats=1, scale=scale, rng=rng,
                                        activation=activation) for m in widths] for _ in range(replicates)])
        claimed = -1.0 / (2 * k) if claimed_exponent is None else claimed_exponent
        pooled = np.exp(np.mean(np.log(np.maximum(rms, 1e-300)), axis=0))  # (widths, k + 3)
        rest, dominant, fluctuation = pooled[:, k], pooled[:, k + 1], pooled[:, k + 2]
        b1, _, c1 = fit_power_law(widths, pooled[:, 0], level)
        bk, _, ck = fit_power_law(widths, dominant, level)
        base = dict(order=k, n_samples=n_samples, dim=dim, activation=str(activation), z_source=moment_pair(k)[4],
                    dominates_at_largest_width=bool(dominant[-1] > max(pooled[-1, : k - 1].max(), rest[-1],
                                                                        fluctuation[-1])),
                    kth_fluctuation_exponent=fit_power_law(widths, fluctuation, level)[0],
                    lower_term_exponents={f"f^({j + 1})": fit_power_law(widths, pooled[:, j], level)[0]
                                          for j in range(k - 1)},
                    paper_lower_term_exponents={f"f^({j + 1})": -(j + 1) / (2 * k) for j in range(k - 1)},
                    width_where_kth_dominates_first=(float((c1 / ck) ** (1.0 / (bk - b1))) if bk > b1
                                                     else float("inf")),
                    dominance_note="extrapolated from the fits of E_z f^(k) and f^(1): the width where the k-th "
                                   "term overtakes the first (the constants E[sigma^(k)(Z) Z^k]/k! shrink fast with k)",
                    rms_per_width={int(m): [float(v) for v in row] for m, row in zip(widths, pooled)})
        records.append(_slope_record(widths, rms[:, :, 0], claimed, "==", level,
                                     dict(base, part=f"k={k}: rms f^(1) ~ m^-1/(2k)")))
        rec = _slope_record(widths, rms[:, :, k], claimed, "<=", level,
                            dict(base, part=f"k={k}: remainder f - sum_(j<=k) f^(j) = O(m^-1/(2k))"))
        rec.params["faster_by"] = claimed - rec.lhs
        records.append(rec)
        records.append(_slope_record(widths, np.maximum(rms[:, :, k + 1], 1e-300), 0.0, "==", level,
                                     dict(base, part=f"k={k}: rms_x E_z f^(k) = O(1)")))
    return records
