import pytest
import sympy as sp

from boundcheck.complexity import exponent
from boundcheck.symbolic import scalings as sc


def test_exponents_of_the_two_families():
    assert exponent(sp.sqrt(sc.quadratic_term_second_moment("plus")), sc.m) == 0
    assert exponent(sp.sqrt(sc.quadratic_term_second_moment("all")), sc.m) == sp.Rational(-1, 2)


def test_row_variance_fixes_the_24_norm():
    for family, rows in (("plus", sc.m / 2), ("all", sc.m)):
        assert sp.simplify(rows * sc.row_variance(family) * sc.d * (sc.d + 2) - sc.N**4) == 0


def test_bad_family():
    with pytest.raises(ValueError, match="family must be one of"):
        sc.quadratic_term_second_moment("aligned")
