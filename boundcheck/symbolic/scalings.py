r"""Section 3's scaling of the quadratic term, in closed form for two families of random movements W.

With :math:`\sigma = \mathrm{relu}^3/6` (:math:`\sigma'' = \mathrm{relu}`), an input of norm
:math:`B_x` and the symmetric initialization (3), :math:`p_r = w_{0,r}^\top x \sim N(0, 1)` and

.. math:: f^Q_W(x) = \frac{1}{2\sqrt m}\sum_r a_r\,\mathrm{relu}(p_r)\,(w_r^\top x)^2 .

Rows :math:`w_r \sim N(0, s^2I_d)` are scaled so that :math:`E\|W\|_{2,4}^4 = N^4` (so
:math:`\|w_r\| \sim m^{-1/4}`, the regime of Section 3). Two families:

``"plus"``
    rows on the :math:`a_r = +1` half only: the terms are non-negative and add up,
    :math:`E(f^Q)^2 \to` a constant (exponent 0 in m);
``"all"``
    independent rows on all m neurons: neuron r and its copy :math:`r + m/2` share :math:`p_r` with
    opposite :math:`a_r`, so each pair contributes :math:`\mathrm{relu}(p_r)(q_r - q_r')`, of mean 0,
    and :math:`E(f^Q)^2 = s^4B_x^4/4 \propto m^{-1}` (rms exponent -1/2).

The paper's :math:`f^Q = O(1)` (Section 3) is an upper bound on the size; it is attained when the
terms :math:`a_r\sigma''(p_r)(w_r^\top x)^2` do not cancel across :math:`a_r`, whatever the rows'
directions (aligned or independent).
"""

from __future__ import annotations

import sympy as sp

from .. import _validate as validate

__all__ = ["FAMILIES", "quadratic_term_second_moment", "row_variance"]

FAMILIES = ("plus", "all")
m, d, N, B = sp.symbols("m d N B_x", positive=True)


def row_variance(family):
    r""":math:`s^4` with :math:`E\|W\|_{2,4}^4 = k\,s^4d(d+2) = N^4` (k = m/2 moving rows for ``plus``, m for ``all``)."""
    validate.choice("family", family, FAMILIES)
    rows = m / 2 if family == "plus" else m
    return N**4 / (rows * d * (d + 2))


def quadratic_term_second_moment(family):
    r""":math:`E[f^Q_W(x)^2]` over :math:`W_0` and W, exactly, as a sympy expression in m, d, N, B_x.

    ``plus``: :math:`\frac{1}{4m}[\frac m2 E c^2 + \frac m2(\frac m2 - 1)(Ec)^2]` with
    :math:`c = \mathrm{relu}(p)q`, :math:`q = (w^\top x)^2`, :math:`Ec = s^2B_x^2/\sqrt{2\pi}`,
    :math:`Ec^2 = \frac12\cdot3s^4B_x^4`; ``all``: :math:`\frac{1}{4m}\frac m2\,E[\mathrm{relu}(p)^2]
    E(q - q')^2 = s^4B_x^4/4`.
    """
    s4 = row_variance(family)
    s2 = sp.sqrt(s4)
    if family == "all":
        return sp.simplify(s4 * B**4 / 4)
    mean_c = s2 * B**2 / sp.sqrt(2 * sp.pi)
    second_c = sp.Rational(3, 2) * s4 * B**4
    return sp.simplify((m / 2 * second_c + m / 2 * (m / 2 - 1) * mean_c**2) / (4 * m))
