r"""Explicit constants of the proofs, beside the forms the paper prints (exact sympy expressions).

Each function answers one question the errata register (:mod:`boundcheck.errata`) asks, with the
symbols of the paper (:math:`m, d, \delta`, ...):

* :func:`equation4_threshold` -- the threshold of equation (4) from the union bound of Appendix
  A.3, :math:`t = \sqrt{8(d\log5 + \log(m/\delta))}`, and the reading :math:`\log(m/d)` of the
  extracted text;
* :func:`lemma8_bounds` -- Lemma 8's right side, printed :math:`4\sqrt{VL}` with
  :math:`L = \log(2md)`, and what the proof's two steps give when the tail integral is cut at
  Tropp's level :math:`\sqrt{2VL}`: :math:`\sqrt{2VL} + \sqrt{V/(2L)}`;
* :func:`corollary3_proof_constant` -- the C of Corollary 3 from Appendix B.5 (AM-GM
  :math:`p^3q \le ap^4/4 + 27q^4/(4a^3)` at :math:`a = 5/14`): :math:`378\cdot14^3/5^3`;
* :func:`lemma5_loss_class_coefficients` -- the coefficient of :math:`B_w^2\,E\max_r\|M_r\|_{op}`
  in Lemma 5, printed 2, and the proof's: contraction 2 times the function-class constant 1/2.
"""

from __future__ import annotations

import sympy as sp

from .. import _validate as validate

__all__ = ["equation4_threshold", "lemma8_bounds", "corollary3_proof_constant", "lemma5_loss_class_coefficients",
           "READINGS"]

#: The two readings of the logarithm in the printed proof of equation (4) (line 763 of the source).
READINGS = ("m/delta", "m/d")

_m, _d, _delta = sp.symbols("m d delta", positive=True)


def equation4_threshold(reading="m/delta"):
    r"""The threshold t of equation (4) as a sympy expression in ``m``, ``d``, ``delta``.

    ``reading="m/delta"``: :math:`\sqrt{8(d\log5 + \log(m/\delta))}`, what the union bound over the
    :math:`5^d` points of a 1/2-net and the m neurons gives
    (:math:`\exp(-t^2/8 + d\log5 + \log m) \le \delta`); ``reading="m/d"``: the same with
    :math:`\log(m/d)`, the letters of the extracted text.
    """
    validate.choice("reading", reading, READINGS)
    inner = _m / _delta if reading == "m/delta" else _m / _d
    return sp.sqrt(8 * (_d * sp.log(5) + sp.log(inner)))


def lemma8_bounds():
    r"""Lemma 8's right side per :math:`\sqrt V`, as functions of :math:`L = \log(2md)` (sympy).

    Returns ``{"printed": 4 sqrt(L), "paper_steps": 2 sqrt(L) + sqrt(pi), "derived": sqrt(2L) + 1/sqrt(2L),
    "tropp": sqrt(2L), "L": L}``. ``paper_steps`` is the bound before the printed proof's last
    step (its cut at :math:`\sqrt{4VL}`); ``derived`` cuts the integral of
    :math:`\min\{1, 2md\,e^{-t^2/(2V)}\}` at Tropp's :math:`t_0 = \sqrt{2VL}` and bounds the Gaussian
    tail by :math:`(V/t_0)e^{-t_0^2/(2V)}`.
    """
    ell = sp.Symbol("L", positive=True)
    return {"printed": 4 * sp.sqrt(ell), "paper_steps": 2 * sp.sqrt(ell) + sp.sqrt(sp.pi),
            "derived": sp.sqrt(2 * ell) + 1 / sp.sqrt(2 * ell), "tropp": sp.sqrt(2 * ell), "L": ell}


def corollary3_proof_constant(weight=sp.Rational(5, 14)):
    r"""Corollary 3's C from Appendix B.5: :math:`378/a^3` at the AM-GM weight :math:`a` (5/14 there).

    B.5 bounds :math:`56\lambda\|W\|^6\|W_*\|^2 \le 14a\lambda\|W\|^8 + (378/a^3)\lambda\|W_*\|^8` and
    needs :math:`14a - 6 = -1`; at :math:`a = 5/14` this is :math:`378\cdot14^3/5^3 = 8297.856`.
    """
    weight = sp.nsimplify(weight)
    return sp.Integer(378) / weight**3


def lemma5_loss_class_coefficients():
    r"""The coefficient of :math:`B_w^2\,E_{\sigma,x}\max_r\|M_r\|_{op}` in Lemma 5's bound on the loss class.

    Printed 2 (line 434 of the source). The proof: Rademacher contraction (factor 2) times the
    function class's constant, :math:`\sup_{\|W\|_{2,4}\le B_w}\frac{1}{2\sqrt m}\sum_r\|w_r\|^2 = B_w^2/2`
    (the :math:`\frac12` of :math:`f^Q`, then Cauchy-Schwarz), so 1.
    """
    return {"printed": sp.Integer(2), "contraction": sp.Integer(2), "function_class": sp.Rational(1, 2),
            "derived": sp.Integer(2) * sp.Rational(1, 2)}
