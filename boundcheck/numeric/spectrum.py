r"""Spectra of dot-product kernels on the sphere, by degree of spherical harmonics (Funk-Hecke).

A kernel :math:`K(x, z) = h(\langle x, z\rangle / r^2)` on the sphere :math:`S^{d-1}(r)` commutes with
rotations, so its integral operator (against the uniform measure) is diagonal in the spherical
harmonics: the harmonics of degree :math:`\ell` (a space of dimension :math:`N(d, \ell)`) share the
eigenvalue

.. math::

    \mu_\ell = \frac{\Gamma(d/2)}{\sqrt\pi\,\Gamma((d-1)/2)} \int_{-1}^{1} h(t)\,P_\ell^{(d)}(t)\,
    (1-t^2)^{(d-3)/2}\,dt,

with :math:`P_\ell^{(d)} = C_\ell^{(d-2)/2}/C_\ell^{(d-2)/2}(1)` the Legendre polynomial of dimension d
(Funk-Hecke formula; e.g. Atkinson & Han, *Spherical Harmonics and Approximations on the Unit
Sphere*, 2012, Thm. 2.22). The integral is computed by Gauss-Jacobi quadrature with weight
:math:`(1-t^2)^{(d-3)/2}`.

The degree-:math:`\le k` polynomials on the sphere are the harmonics of degree :math:`\le k`, so
"the top eigen-directions express the degree-:math:`\le k` polynomials" (Nichani, Bai & Lee 2022,
after Montanari & Zhong 2020) holds for a kernel exactly when its eigenvalues of degree
:math:`\le k` exceed those of every higher degree.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from .._lazy import lazy

special = lazy("scipy.special")

__all__ = ["harmonic_dimension", "degree_eigenvalues", "ntk_profile", "spectral_gap"]


def harmonic_dimension(degree, dim):
    r""":math:`N(d, k)`, the dimension of the spherical harmonics of degree k on :math:`S^{d-1}`:
    :math:`(2k + d - 2)\binom{k + d - 3}{k - 1}/k` (and 1 for k = 0)."""
    k = validate.integer("degree", degree, minimum=0)
    d = validate.integer("dim", dim, minimum=2)
    if k == 0:
        return 1
    return (2 * k + d - 2) * math.comb(k + d - 3, k - 1) // k


def degree_eigenvalues(profile, dim, max_degree, *, nodes=400):
    r"""Eigenvalues :math:`\mu_0, \dots, \mu_L` of the kernel :math:`h(\langle x, z\rangle/r^2)` on :math:`S^{d-1}`.

    ``profile`` is :math:`h` as a vectorized function of :math:`t \in [-1, 1]`; ``nodes`` Gauss-Jacobi
    nodes (exact for polynomial :math:`h` up to degree ``2 * nodes - 1 - max_degree``).
    """
    dim = validate.integer("dim", dim, minimum=3)
    max_degree = validate.integer("max_degree", max_degree, minimum=0, maximum=200)
    alpha = (dim - 3) / 2.0
    t, weights = special.roots_jacobi(validate.integer("nodes", nodes, minimum=8, maximum=20000), alpha, alpha)
    values = np.asarray(profile(t), dtype=np.float64)
    norm = math.exp(special.gammaln(dim / 2.0) - special.gammaln((dim - 1) / 2.0)) / math.sqrt(math.pi)
    lam = (dim - 2) / 2.0
    out = []
    for ell in range(max_degree + 1):  # a loop over degrees, each one quadrature
        legendre = special.eval_gegenbauer(ell, lam, t) / special.eval_gegenbauer(ell, lam, 1.0)
        out.append(norm * float(np.sum(weights * values * legendre)))
    return np.array(out)


def ntk_profile(input_radius):
    r"""The profile :math:`h(t)` of the first-layer NTK of :math:`\sigma = \mathrm{relu}^3/6` on the sphere of
    radius :math:`B_x` with :math:`w \sim N(0, B_x^{-2}I)`:
    :math:`h(t) = B_x^2\,t\,J_2(\arccos t)/(8\pi)`; :func:`boundcheck.experiments.ntk.ntk_kernel` is
    :math:`h(x^\top z/B_x^2)`."""
    input_radius = validate.positive("input_radius", input_radius)

    def profile(t):
        t = np.asarray(t, dtype=np.float64)
        rho = np.clip(t, -1.0, 1.0)  # J_2 at the angle; the factor t itself is left as given
        theta = np.arccos(rho)
        j2 = 3.0 * np.sin(theta) * rho + (np.pi - theta) * (1.0 + 2.0 * rho**2)
        return input_radius**2 * t * j2 / (8.0 * np.pi)

    return profile


def spectral_gap(eigenvalues, degree):
    r"""``(smallest eigenvalue of degree <= k, largest of degree > k, their ratio)`` for ``k = degree``.

    Degrees whose eigenvalue vanishes (to quadrature accuracy) are left out of the top group: their
    harmonics are not expressed at all.
    """
    mu = np.asarray(eigenvalues, dtype=np.float64)
    k = validate.integer("degree", degree, minimum=0, maximum=mu.size - 2)
    scale = float(np.max(np.abs(mu)))
    low = mu[: k + 1]
    low = low[np.abs(low) > 1e-12 * scale]
    top_small = float(np.min(low)) if low.size else 0.0
    rest_large = float(np.max(mu[k + 1:]))
    return top_small, rest_large, (top_small / rest_large if rest_large > 0 else math.inf)
