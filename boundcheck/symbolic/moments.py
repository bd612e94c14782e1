r"""Section 6: random variables :math:`z_+, z_-` whose first k-1 moments agree and whose k-th differ by 1.

Paper, Section 6.1 asks for distributions with

.. math:: E[z_+^j] = E[z_-^j]\ (j = 0, \dots, k-1), \qquad E[z_+^k] = E[z_-^k] + 1 .

Construction (exact, integer support, rational probabilities). The signed weights
:math:`w_i = (-1)^{k-i}\binom{k}{i}/k!` on the points :math:`i = 0, \dots, k` are the k-th forward
difference divided by :math:`k!`: :math:`\sum_i w_i\,i^j = \Delta^k[t^j](0)/k!`, which is 0 for
:math:`j < k` and 1 for :math:`j = k`. Their positive and negative parts each have mass
:math:`S_k = 2^{k-1}/k! \le 1` (equal, since the 0-th moment vanishes). Put the positive part in
:math:`z_+`, the negative part in :math:`z_-`, and the missing mass :math:`1 - S_k` on the point 0
in both: the moment differences are exactly :math:`\sum_i w_i i^j`. (For k = 1, 2, :math:`S_k = 1`
and no mass is added.)
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from .. import _validate as validate
from .parse import exact_number

__all__ = ["moment_matching_pair", "moment_differences", "verify_pair", "sample_pair", "requirement_sides"]


def _exact(value):
    """A sympy number equal to ``value``: floats by their exact binary value (no rounding guesses)."""
    if isinstance(value, float):
        return sp.Rational(value)
    return exact_number(value, name="moment support point or probability")


def moment_matching_pair(order):
    r"""The exact pair for ``order`` k: two dicts ``{support point: probability}`` (sympy Integers/Rationals).

    Returns ``(z_plus, z_minus)``.
    """
    k = validate.integer("order", order, minimum=1, maximum=64)
    weights = {i: sp.Integer((-1) ** (k - i) * math.comb(k, i)) / sp.factorial(k) for i in range(k + 1)}
    mass = sum(w for w in weights.values() if w > 0)
    plus = {sp.Integer(i): w for i, w in weights.items() if w > 0}
    minus = {sp.Integer(i): -w for i, w in weights.items() if w < 0}
    for dist in (plus, minus):
        if mass < 1:
            dist[sp.Integer(0)] = dist.get(sp.Integer(0), sp.Integer(0)) + (1 - mass)
    return dict(sorted(plus.items())), dict(sorted(minus.items()))


def moment_differences(z_plus, z_minus, max_power):
    r""":math:`E[z_+^j] - E[z_-^j]` for j = 0..max_power, exact (sympy), from ``{point: probability}`` dicts."""
    max_power = validate.integer("max_power", max_power, minimum=0)
    out = []
    for j in range(max_power + 1):  # a loop over powers, exact arithmetic
        mp = sum(_exact(q) * _exact(t) ** j for t, q in z_plus.items())
        mm = sum(_exact(q) * _exact(t) ** j for t, q in z_minus.items())
        out.append(sp.expand(mp - mm))
    return out


def verify_pair(z_plus, z_minus, order):
    r"""Exact verification of the Section 6 requirements for ``order`` k.

    Returns a dict: ``is_distribution`` (probabilities >= 0 summing to 1, both),
    ``lower_moments_equal`` (differences 0 for j < k), ``kth_difference`` (should be 1),
    ``next_difference`` (:math:`E z_+^{k+1} - E z_-^{k+1}`, which the paper's remainder term
    carries), ``all_rational`` and ``holds``.
    """
    k = validate.integer("order", order, minimum=1)
    is_dist = all(sum(_exact(q) for q in d.values()) == 1 and all(_exact(q) >= 0 for q in d.values())
                  for d in (z_plus, z_minus))
    diffs = moment_differences(z_plus, z_minus, k + 1)
    rational = all(_exact(v).is_rational for d in (z_plus, z_minus) for kv in d.items() for v in kv)
    lower = all(v == 0 for v in diffs[:k])
    holds = bool(is_dist and lower and diffs[k] == 1 and rational)
    return dict(order=k, is_distribution=bool(is_dist), lower_moments_equal=bool(lower), kth_difference=diffs[k],
                next_difference=diffs[k + 1], all_rational=bool(rational), holds=holds,
                max_lower_difference=max((abs(v) for v in diffs[:k]), default=sp.Integer(0)))


def sample_pair(order, size, *, rng):
    r"""Draws of :math:`(z_+, z_-)` for ``order`` k, each of shape ``size`` (independent, float64)."""
    plus, minus = moment_matching_pair(order)
    out = []
    for dist in (plus, minus):
        points = np.array([float(t) for t in dist], dtype=np.float64)
        probs = np.array([float(q) for q in dist.values()], dtype=np.float64)
        out.append(rng.choice(points, size=size, p=probs / probs.sum()))
    return out[0], out[1]


def requirement_sides(z_plus, z_minus, order):
    r"""The two sides of every requirement of Section 6.1 for ``order`` k, exactly (sympy).

    Returns ``(values, targets, labels)``: :math:`E z_+^j - E z_-^j` against 0 for j < k (j = 0 is
    the difference of total masses) and against 1 for j = k; each distribution's total mass
    against 1; and each distribution's smallest probability, clipped above at 0, against 0 (a
    negative probability shows as itself). All requirements are equalities.
    """
    k = validate.integer("order", order, minimum=1)
    diffs = moment_differences(z_plus, z_minus, k)
    values = list(diffs)
    targets = [sp.Integer(0)] * k + [sp.Integer(1)]
    labels = [f"E z+^{j} - E z-^{j}" for j in range(k + 1)]
    for name, dist in (("z+", z_plus), ("z-", z_minus)):
        probs = [_exact(q) for q in dist.values()]
        values += [sp.Add(*probs), sp.Min(sp.Integer(0), *probs)]
        targets += [sp.Integer(1), sp.Integer(0)]
        labels += [f"total mass of {name}", f"smallest probability of {name} (if negative)"]
    return values, targets, labels
