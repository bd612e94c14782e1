"""Funk-Hecke spectra of dot-product kernels (boundcheck.numeric.spectrum) against independent references.

The NTK profile is the closed form of boundcheck.experiments.ntk.ntk_kernel, tested against a wide
network's empirical NTK in tests/test_ntk.py.
"""

import math

import numpy as np
import pytest
import sympy as sp

from boundcheck.numeric import spectrum
from boundcheck.symbolic import kernels as kern


def test_harmonic_dimension_counts_homogeneous_polynomials():
    # harmonics of degree k = homogeneous polynomials of degree k minus |x|^2 times those of degree k - 2
    for d in range(2, 9):
        for k in range(0, 9):
            homogeneous = math.comb(k + d - 1, d - 1) - (math.comb(k + d - 3, d - 1) if k >= 2 else 0)
            assert spectrum.harmonic_dimension(k, d) == homogeneous, (k, d)
    assert kern.harmonic_dimension is spectrum.harmonic_dimension  # one definition


def test_eigenvalues_of_the_arccos_kernel_match_mpmath_quadrature():
    def arccos1(t):  # the order-1 arc-cosine kernel, as kern.sphere_eigenvalue integrates it at 30 digits
        return (t * (np.pi - np.arccos(t)) + np.sqrt(1.0 - t**2)) / (2.0 * np.pi)

    dim = 5
    mu = spectrum.degree_eigenvalues(arccos1, dim, 6, nodes=2000)
    reference = [float(kern.sphere_eigenvalue(1, k, dim)) for k in range(7)]
    assert mu == pytest.approx(reference, rel=1e-6, abs=1e-9)


def test_eigenvalues_rebuild_a_polynomial_kernel():
    # addition theorem: h(t) = sum_l mu_l N(d, l) P_l(t) for a polynomial h (exact quadrature)
    dim, t = 6, sp.Symbol("t")
    mu = spectrum.degree_eigenvalues(lambda s: s**4 - 0.5 * s, dim, 4, nodes=16)
    rebuilt = sum(mu[ell] * spectrum.harmonic_dimension(ell, dim) * kern.legendre_polynomial(ell, dim).subs(kern.U, t)
                  for ell in range(5))
    for point in (-0.9, -0.2, 0.3, 1.0):
        assert float(rebuilt.subs(t, point)) == pytest.approx(point**4 - 0.5 * point, abs=1e-12)
    assert mu[2] > 0 and mu[3] == pytest.approx(0.0, abs=1e-14)  # no odd part above degree 1


def test_spectral_gap_by_hand():
    top_small, rest_large, ratio = spectrum.spectral_gap([3.0, 2.0, 0.0, 0.5, 0.25], 2)
    assert (top_small, rest_large, ratio) == (2.0, 0.5, 4.0)  # degree 2's zero eigenvalue is left out
