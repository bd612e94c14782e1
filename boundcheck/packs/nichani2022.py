r"""The claims of Nichani, Bai & Lee, "Identifying good directions to escape the NTK regime and efficiently
learn low-degree plus sparse polynomials" (NeurIPS 2022): the pack ``nichani-bai-lee-2022``.

Source: the talk's slides (``shared/seeds/003_5696d2f196e9c126.txt``), which state the results
informally. Written with the public claim API only (:mod:`boundcheck.api`) plus the package's public
quantities (:mod:`boundcheck.numeric.spectrum`, :mod:`boundcheck.experiments`, :mod:`boundcheck.complexity`).

Set-up of the slides: inputs uniform on the sphere of radius :math:`\sqrt d`; a two-layer network of
width m; the target :math:`f_* = f_{\le k} + \sum_{j\le R}(\beta_j^\top x)^{k+1}` (a dense polynomial of
degree :math:`\le k` plus a sparse term of degree k + 1); the NTK feature covariance
:math:`\Sigma = E[\phi(x)\phi(x)^\top]`.

What the slides do not fix, and what is assumed here (each check says it again):

* the activation: :math:`\sigma = \mathrm{relu}^3/6`, the Bai & Lee pack's, whose first-layer NTK has
  the closed form of :func:`boundcheck.experiments.ntk.ntk_kernel`;
* "with :math:`n \ge d^k` samples the large eigenvalue directions express degree-:math:`\le k`
  polynomials" (after Montanari & Zhong 2020): read at :math:`n = 16\,D_k` samples, with
  :math:`D_k = \sum_{\ell\le k}N(d,\ell)` the dimension of those polynomials, as "the top
  :math:`D_k` eigenvectors of the kernel matrix hold at least 90% of a degree-:math:`\le k` function
  and at most 25% of the sparse degree-(k+1) term";
* "the spectrum partitions into groups": the infinite-width kernel's eigenvalues of degree
  :math:`\le k` all exceed those of higher degree, and the ratio across the boundary grows with d
  at least like :math:`d^{1/2}` (kernel theory gives :math:`d^1` asymptotically);
* "NTK alone requires :math:`n \ge \Omega(d^{k+1})`" (Ghorbani et al. 2021): at :math:`n = 4D_k` samples the
  NTK (kernel ridge regression, ridge by leave-one-out) leaves at least half of the sparse term's
  variance unexplained, and a larger share of it than of the low-degree part's;
* "width m = poly(d)": read as :math:`m \ge d^2`, a hypothesis checked on the arrays;
* the regularizer: :class:`boundcheck.experiments.learners.EigenRegularizer` (a penalty on the
  middle eigen-directions of the empirical feature covariance); the slides do not print it.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from .._lazy import lazy
from ..api import claim, exact, hyp, mean, paired, rate
from ..data import sample_sphere
from ..experiments.learners import EigenRegularizer, fit_taylor, predict_taylor
from ..experiments.ntk import fit_ntk_loo, ntk_kernel
from ..network import symmetric_init
from ..numeric.spectrum import degree_eigenvalues, harmonic_dimension, ntk_profile, spectral_gap

cx = lazy("boundcheck.complexity")  # sympy: imported when a check first needs a prediction

PACK = "nichani-bai-lee-2022"
SLIDES = "NeurIPS 2022 talk slides"
WIDTH_POLY = "width m >= d^2 (our reading of the slides' m = poly(d))"


def _low_degree_dimension(dim, degree):
    return sum(harmonic_dimension(ell, dim) for ell in range(degree + 1))


def _low_degree_plus_sparse(dim, degree, rng):
    """A random target of the slides with R = 1: a dense degree-<= k part and (beta.x)^(k+1), each
    centred, as two callables of x (rows on the sphere of radius sqrt(d))."""
    coef = rng.standard_normal(dim)
    coef /= np.linalg.norm(coef)
    offset = rng.standard_normal()
    beta = rng.standard_normal(dim)
    beta /= np.linalg.norm(beta)
    sparse_mean = _sphere_power_mean(dim, degree + 1)
    dense = (lambda x: x @ coef + offset) if degree == 1 else (lambda x: (x @ coef) ** degree + offset)
    return dense, (lambda x: (x @ beta) ** (degree + 1) - sparse_mean)


def _sphere_power_mean(dim, power):
    r""":math:`E(\beta^\top x)^q` for x uniform on the sphere of radius :math:`\sqrt d` and unit :math:`\beta`."""
    if power % 2:
        return 0.0
    # (beta.x)^2 / d ~ Beta(1/2, (d-1)/2): E t^(q/2) = prod_{j<q/2} (1/2 + j) / (d/2 + j)
    out = 1.0
    for j in range(power // 2):
        out *= (0.5 + j) / (dim / 2 + j)
    return out * dim ** (power / 2)


def _sphere(x, dim):
    return hyp.inputs_on_sphere(x, math.sqrt(dim))


@claim("Spectral groups", statement="the NTK's top D_k eigen-directions express the degree <= k polynomials "
       "(n >= d^k); its spectrum splits by degree", section=f"{SLIDES}: 'Lemma (informal)' and [3]", pack=PACK,
       hypotheses=(hyp.SPHERE,))
def check_spectral_groups(*, rng, dim=16, degree=1, draws=12, sample_factor=16, max_degree=12,
                          dims=(16, 32, 64, 128, 256), claimed_share=0.9, claimed_sparse_share=0.25,
                          claimed_gap_exponent=0.5):
    r"""The eigen-directions of the NTK on the sphere of radius :math:`\sqrt d`, grouped by degree.

    1. exact: the infinite-width kernel's smallest eigenvalue of degree :math:`\le k` (Funk-Hecke,
       :func:`boundcheck.numeric.spectrum.degree_eigenvalues`) is at least its largest of degree
       :math:`k < \ell \le` ``max_degree``;
    2. the ratio across that boundary grows with d at least like :math:`d^{1/2}` (fitted exponent
       over ``dims``, ``">="``);
    3. at :math:`n = 16 D_k` samples the top :math:`D_k` eigenvectors of the kernel matrix hold at
       least 90% of the squared norm of a random degree-:math:`\le k` function (mean over draws);
    4. and at most 25% of the sparse term :math:`(\beta^\top x)^{k+1}` (centred).
    """
    mu = degree_eigenvalues(ntk_profile(math.sqrt(dim)), dim, max_degree)
    smallest_low, largest_high, _ = spectral_gap(mu, degree)
    x_check = sample_sphere(4, dim, input_radius=math.sqrt(dim), rng=rng)
    records = [exact(smallest_low, largest_high, ">=", tol=1e-12 * abs(mu).max(),
                     part=f"k={degree}, d={dim}: min eigenvalue of degree <= k >= max of degree in (k, {max_degree}]",
                     hypotheses=_sphere(x_check, dim), params=dict(dim=dim, degree=degree, eigenvalues=mu.tolist()))]
    ratios = [spectral_gap(degree_eigenvalues(ntk_profile(math.sqrt(d)), d, max_degree), degree)[2] for d in dims]
    records.append(rate(list(dims), ratios, claimed_gap_exponent, ">=", hypotheses=_sphere(x_check, dim),
                        part=f"k={degree}: the gap ratio across degree k grows with d at least like d^(1/2)",
                        params=dict(degree=degree, ratios=ratios)))
    top = _low_degree_dimension(dim, degree)
    n = sample_factor * top
    low, high, on_sphere = [], [], True
    for _ in range(draws):  # a loop over draws of (inputs, target), each one n x n eigendecomposition
        x = sample_sphere(n, dim, input_radius=math.sqrt(dim), rng=rng)
        on_sphere &= _sphere(x, dim)[hyp.SPHERE]
        _, vectors = np.linalg.eigh(ntk_kernel(x, x, input_radius=math.sqrt(dim)))
        basis = vectors[:, ::-1][:, :top]
        dense, sparse = _low_degree_plus_sparse(dim, degree, rng)
        for values, out in ((dense(x), low), (sparse(x), high)):
            out.append(float(np.sum((basis.T @ values) ** 2) / np.sum(values**2)))
    met = {hyp.SPHERE: on_sphere}
    params = dict(dim=dim, degree=degree, n_samples=n, top_directions=top)
    records.append(mean(low, claimed_share, ">=", hypotheses=met, params=params,
                        part=f"k={degree}, n = {sample_factor} D_k = {n}: share of a degree <= k function in the top "
                             f"D_k = {top} eigenvectors"))
    records.append(mean(high, claimed_sparse_share, "<=", hypotheses=met, params=params,
                        part=f"k={degree}, n = {n}: share of the sparse degree-(k+1) term in the same directions"))
    return records


@claim("NTK misses the sparse term", statement="NTK alone needs n >= Omega(d^(k+1)) for the sparse term of a low-degree "
       "plus sparse target", section=f"{SLIDES}: 'NTK or QuadNTK alone require n >= Omega(d^(k+1))' and [2]",
       pack=PACK, hypotheses=(hyp.SPHERE,))
def check_ntk_misses_sparse(*, rng, dim=16, degree=1, draws=12, sample_factor=4, n_test=1000, claimed_sparse_error=0.5):
    r"""At :math:`n = 4D_k` samples (the order :math:`d^k`), the NTK does not learn the sparse degree-(k+1)
    part, and learns the degree-:math:`\le k` part better.

    Kernel ridge regression with the infinite-width NTK, the ridge chosen by leave-one-out
    (:func:`boundcheck.experiments.ntk.fit_ntk_loo`), fitted separately on each part of the target;
    per draw the relative test error :math:`E(\hat f - f)^2/\mathrm{Var}\,f` on ``n_test`` fresh inputs:

    1. on the sparse part, at least 1/2 (mean over draws, ``">="``);
    2. on the low-degree part, at most the sparse part's (paired over draws, ``"<="``). (At these d the
       low-degree part is not yet learned to a small error either: the slides' separation is
       asymptotic in d.)
    """
    n = sample_factor * _low_degree_dimension(dim, degree)
    sparse_err, dense_err, on_sphere = [], [], True
    for _ in range(draws):  # a loop over draws, each two kernel fits
        x = sample_sphere(n, dim, input_radius=math.sqrt(dim), rng=rng)
        x_test = sample_sphere(n_test, dim, input_radius=math.sqrt(dim), rng=rng)
        on_sphere &= _sphere(x, dim)[hyp.SPHERE]
        dense, sparse = _low_degree_plus_sparse(dim, degree, rng)
        for part, out in ((sparse, sparse_err), (dense, dense_err)):
            pred, _ = fit_ntk_loo(x, part(x), x_test, input_radius=math.sqrt(dim))
            target = part(x_test)
            out.append(float(np.mean((pred - target) ** 2) / np.var(target)))
    met = {hyp.SPHERE: on_sphere}
    params = dict(dim=dim, degree=degree, n_samples=n, n_test=n_test)
    return [mean(sparse_err, claimed_sparse_error, ">=", hypotheses=met, params=params,
                 part=f"k={degree}, d={dim}, n = {n}: NTK test error / variance on the sparse degree-(k+1) term"),
            paired(dense_err, sparse_err, "<=", hypotheses=met, params=params,
                   part=f"k={degree}, d={dim}, n = {n}: NTK test error / variance, degree <= k part <= sparse part")]


def _fit_pair(rng, *, dim, degree, n, width, steps, reg, n_test):
    """One draw: the low-degree plus sparse target fitted by f^L + f^Q with and without the eigen-direction
    regularizer, and by the NTK; their relative test errors and the regularizer's movement shares."""
    radius_x = math.sqrt(dim)
    x = sample_sphere(n, dim, input_radius=radius_x, rng=rng)
    x_test = sample_sphere(n_test, dim, input_radius=radius_x, rng=rng)
    dense, sparse = _low_degree_plus_sparse(dim, degree, rng)
    y, y_test = dense(x) + sparse(x), dense(x_test) + sparse(x_test)
    w_init, w_out = symmetric_init(width, dim, input_radius=radius_x, rng=rng)
    unlabeled = sample_sphere(4 * width * dim, dim, input_radius=radius_x, rng=rng)
    penalty = EigenRegularizer(w_init, w_out, unlabeled, n_top=_low_degree_dimension(dim, degree), reg=reg,
                               null_tol=dim ** -(degree + 1.0))
    start = rng.spawn(1)[0]  # both fits start from the same small random W
    out = {"spectral_gap": _empirical_gap(penalty.eigenvalues, _low_degree_dimension(dim, degree)),
           "on_sphere": _sphere(x, dim)[hyp.SPHERE] and _sphere(x_test, dim)[hyp.SPHERE]}
    for name, pen in (("plain", None), ("regularized", penalty)):
        w = fit_taylor(x, y, w_init, w_out, orders=(1, 2), steps=steps, rng=copy.deepcopy(start), penalty=pen)
        out[name] = float(np.mean((predict_taylor(x_test, w_init, w_out, w, (1, 2)) - y_test) ** 2) / np.var(y_test))
        out[name + "_middle_share"] = penalty.middle_share(w)
    pred, _ = fit_ntk_loo(x, y, x_test, input_radius=radius_x)
    out["ntk"] = float(np.mean((pred - y_test) ** 2) / np.var(y_test))
    return out


def _empirical_gap(eigenvalues, top):
    values = np.sort(np.asarray(eigenvalues))[::-1]
    return float(values[top - 1] / values[top]) if values[top] > 0 else math.inf


@claim("Good directions", statement="the regularizer keeps the movement out of the middle ('bad') eigen-directions "
       "of the NTK feature covariance", section=f"{SLIDES}: 'Goal #1' and 'Goal #2'", pack=PACK,
       hypotheses=(hyp.SPHERE,))
def check_good_directions(*, rng, dim=8, degree=1, draws=4, sample_factor=8, width=64, steps=200, reg=1.0,
                          n_test=500):
    r"""The slides' regularizer (:class:`boundcheck.experiments.learners.EigenRegularizer`) against the plain
    fit of :math:`f^L + f^Q`, on the same data and start (paired over draws):

    the share of :math:`\|W\|_F^2` in the middle eigen-directions :math:`Q_2` of the empirical feature
    covariance is at most the plain fit's (``"<="``).
    """
    n = sample_factor * _low_degree_dimension(dim, degree)
    rows = [_fit_pair(rng, dim=dim, degree=degree, n=n, width=width, steps=steps, reg=reg, n_test=n_test)
            for _ in range(draws)]  # a loop over draws, each two fits
    params = dict(dim=dim, degree=degree, n_samples=n, width=width, reg=reg,
                  spectral_gaps=[r["spectral_gap"] for r in rows])
    return paired([r["regularized_middle_share"] for r in rows], [r["plain_middle_share"] for r in rows], "<=",
                  hypotheses={hyp.SPHERE: all(r["on_sphere"] for r in rows)}, params=params,
                  part=f"k={degree}, d={dim}: share of ||W||^2 in the middle eigen-directions, regularized <= plain")


@claim("Best of both worlds", statement="NTK + QuadNTK (with the regularizer) learns a low-degree plus sparse target "
       "with n ~ d^k samples, where the NTK alone needs d^(k+1)", section=f"{SLIDES}: 'Theorem (informal)'",
       pack=PACK, battery=False, hypotheses=(hyp.SPHERE,))
def check_best_of_both(*, rng, dim=10, degree=1, draws=6, sample_factor=8, width=100, steps=300, reg=1.0,
                       n_test=1000):
    r"""At :math:`n = 8D_k` samples, test errors relative to the target's variance (paired over draws):

    1. NTK + QuadNTK with the regularizer :math:`\le` the NTK alone (kernel ridge regression, ridge by
       leave-one-out);
    2. with the regularizer :math:`\le` without it.

    Hypotheses: inputs on the sphere, the width :math:`m \ge d^2` (our reading of m = poly(d)), and a
    spectral gap of at least 2 at the degree-k boundary of the empirical feature covariance (the
    regularizer's groups are only defined with one). Not in the default battery: each draw fits three
    models and eigendecomposes the (m d) x (m d) feature covariance (about 20 s at the defaults, d = 10,
    m = 100); ``boundcheck verify "Best of both worlds"`` runs it, ``--set dim=16 --set width=256`` in
    a few minutes. Measured at the defaults: the regularized fit's error is about twice the NTK's and
    the plain fit's (VIOLATED, outside the spectral-gap hypothesis: the empirical covariance shows no
    gap at d = 10).
    """
    n = sample_factor * _low_degree_dimension(dim, degree)
    rows = [_fit_pair(rng, dim=dim, degree=degree, n=n, width=width, steps=steps, reg=reg, n_test=n_test)
            for _ in range(draws)]  # a loop over draws, each three fits
    gaps = [r["spectral_gap"] for r in rows]
    met = {hyp.SPHERE: all(r["on_sphere"] for r in rows), WIDTH_POLY: width >= dim**2,
           "spectral gap >= 2 at degree k": min(gaps) >= 2}
    params = dict(dim=dim, degree=degree, n_samples=n, width=width, reg=reg, spectral_gaps=gaps)
    return [paired([r["regularized"] for r in rows], [r["ntk"] for r in rows], "<=", hypotheses=met, params=params,
                   part=f"k={degree}, d={dim}, n = {n}: test error of NTK + QuadNTK (regularized) <= NTK alone"),
            paired([r["regularized"] for r in rows], [r["plain"] for r in rows], "<=", hypotheses=met, params=params,
                   part=f"k={degree}, d={dim}, n = {n}: test error with the regularizer <= without")]


@claim("Sample complexity d^k", statement="NTK + QuadNTK needs n ~ d^k, NTK or QuadNTK alone Omega(d^(k+1))",
       section=f"{SLIDES}: 'Theorem (informal)'", pack=PACK)
def check_sample_complexity(*, rng, degree=2, claimed_exponent_d=-1):
    r"""The exponent in d of :math:`n_{\mathrm{NTK+QuadNTK}}/n_{\mathrm{NTK}}` for the sparse target of degree
    k + 1 = ``degree`` (:func:`boundcheck.complexity.predictions`), exactly: -1."""
    preds = {pr.learner: pr for pr in cx.predictions("sparse", degree)}
    ratio = preds["ntk+quadntk"].expression / preds["ntk_lower"].expression
    return exact(float(cx.exponent(ratio, cx.d)), claimed_exponent_d, "==",
                 part=f"k+1={degree}: exponent in d of n(NTK + QuadNTK) / n(NTK alone)",
                 params=dict(degree=degree, ratio=str(ratio)))
