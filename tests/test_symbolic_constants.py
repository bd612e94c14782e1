import math

import pytest
import sympy as sp

from boundcheck.network import equation4_bound
from boundcheck.symbolic import constants as K


def test_equation4_reading_delta_is_the_network_threshold():
    m, d, delta = sp.symbols("m d delta", positive=True)
    expr = K.equation4_threshold("m/delta")
    for width, dim, prob in ((10, 2, 0.5), (1000, 30, 0.01)):
        assert float(expr.subs({m: width, d: dim, delta: prob})) == pytest.approx(equation4_bound(width, dim, prob))
    assert K.equation4_threshold("m/d").free_symbols == {m, d}
    with pytest.raises(ValueError, match="reading must be one of"):
        K.equation4_threshold("m/n")


def test_lemma8_forms_order():
    forms = K.lemma8_bounds()
    for ell in (math.log(4), 3.0, 20.0):  # log(2md) >= log 4
        value = {k: float(v.subs(forms["L"], ell)) for k, v in forms.items() if k != "L"}
        assert value["tropp"] < value["derived"] < value["paper_steps"] <= value["printed"]


def test_corollary3_constant_makes_the_coefficient_minus_one():
    a = sp.Rational(5, 14)
    assert 14 * a - 6 == -1
    assert K.corollary3_proof_constant() == sp.Rational(378 * 14**3, 5**3)
    # the AM-GM step p^3 q <= a p^4 / 4 + 27 q^4 / (4 a^3) with equality at q = a p / 3 ... checked on a grid
    p, q = sp.symbols("p q", positive=True)
    gap = a * p**4 / 4 + 27 * q**4 / (4 * a**3) - p**3 * q
    assert all(float(gap.subs({p: x, q: y})) >= -1e-12 for x in (0.1, 1, 3) for y in (0.05, 0.5, 2))


def test_lemma5_coefficients():
    coef = K.lemma5_loss_class_coefficients()
    assert coef["derived"] == coef["contraction"] * coef["function_class"] == 1 and coef["printed"] == 2
