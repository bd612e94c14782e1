r"""NTK kernels and features: the infinite-width kernel, kernel regression, and the finite-width features.

* :func:`ntk_kernel`: the infinite-width NTK of the first layer,
  :math:`K(x,x') = x^\top x'\,E_{w}[\sigma'(w^\top x)\sigma'(w^\top x')]`; for
  :math:`\sigma = \mathrm{relu}^3/6` and :math:`w \sim N(0, B_x^{-2}I)` this is
  :math:`x^\top x'\,J_2(\theta)/(8\pi)` with Cho & Saul's
  :math:`J_2(\theta) = 3\sin\theta\cos\theta + (\pi-\theta)(1+2\cos^2\theta)`; :func:`fit_ntk` regresses with it
  (the learning curves' ``ntk`` learner).
* :func:`empirical_ntk` and :func:`feature_covariance`: the Gram matrix and the covariance of the
  finite-width features :math:`\phi(x) = \nabla_W f^L_W(x)` at the initialization, from the model
  core (:meth:`boundcheck.network.TaylorPoint.ntk_gram`, :meth:`~boundcheck.network.TaylorPoint.jacobian`).
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..network import TaylorModel
from ..numeric.spectrum import ntk_profile

__all__ = ["ntk_kernel", "fit_ntk", "fit_ntk_loo", "empirical_ntk", "feature_covariance"]


def ntk_kernel(x, z, *, input_radius=1.0):
    r"""Infinite-width NTK of the first layer for :math:`\sigma = \mathrm{relu}^3/6`, shape (len(x), len(z)).

    :math:`K(x,z) = x^\top z\,E[\mathrm{relu}(u)^2\mathrm{relu}(v)^2]/4` with (u, v) standard
    normal of correlation :math:`\rho = x^\top z/B_x^2`, and
    :math:`E[\mathrm{relu}(u)^2\mathrm{relu}(v)^2] = J_2(\theta)/(2\pi)`, :math:`\theta = \arccos\rho`.
    """
    x = validate.matrix("x", x)
    z = validate.matrix("z", z)
    validate.same_dim("z", z, "x", x)
    return ntk_profile(input_radius)(x @ z.T / input_radius**2)


def fit_ntk(x, y, x_test, *, ridge=1e-8, input_radius=None):
    r"""Kernel ridge regression with :func:`ntk_kernel`; ``ridge`` relative to the mean diagonal.

    ``input_radius`` is the :math:`B_x` of the kernel's initialization :math:`N(0, B_x^{-2}I)`
    (default :math:`\max_i\|x_i\|`).
    """
    radius = float(np.max(np.linalg.norm(x, axis=1))) if input_radius is None else input_radius
    gram = ntk_kernel(x, x, input_radius=radius)
    reg = ridge * float(np.mean(np.diag(gram)))
    coef = np.linalg.solve(gram + reg * np.eye(len(x)), y)
    return ntk_kernel(x_test, x, input_radius=radius) @ coef


def fit_ntk_loo(x, y, x_test, *, input_radius=None, ridges=np.logspace(-8, 1, 28)):
    r"""Kernel ridge regression with :func:`ntk_kernel`, the ridge chosen by leave-one-out error.

    For the hat matrix :math:`H = K(K + \lambda I)^{-1}` the leave-one-out residuals are
    :math:`(y_i - (Hy)_i)/(1 - H_{ii})`, so one eigendecomposition of K scores every ridge
    :math:`\lambda` in ``ridges`` (relative to the mean diagonal). Returns ``(predictions, ridge)``.
    """
    radius = float(np.max(np.linalg.norm(x, axis=1))) if input_radius is None else input_radius
    gram = ntk_kernel(x, x, input_radius=radius)
    scale = float(np.mean(np.diag(gram)))
    values, vectors = np.linalg.eigh(gram)
    rotated = vectors.T @ y
    best = None
    for ridge in ridges:  # a loop over candidate ridges, each a few matrix-vector products
        shrink = values / (values + ridge * scale)
        fitted = vectors @ (shrink * rotated)
        leverage = np.einsum("ij,j,ij->i", vectors, shrink, vectors)
        loo = float(np.mean(((y - fitted) / (1.0 - leverage)) ** 2))
        if best is None or loo < best[0]:
            best = (loo, float(ridge))
    coef = vectors @ (rotated / (values + best[1] * scale))
    return ntk_kernel(x_test, x, input_radius=radius) @ coef, best[1]


def _linear_point(x, w_init, w_out, activation):
    """The linear model :math:`f^L` at :math:`W = 0` (its features do not depend on W)."""
    model = TaylorModel(x, w_init, w_out, activation=activation)
    return model.at(np.zeros_like(model.w_init), orders=(1,))


def empirical_ntk(x, w_init, w_out, *, activation="relu3"):
    r"""The finite-width NTK Gram matrix :math:`K_{ij} = \langle\phi(x_i), \phi(x_j)\rangle`, shape (n, n).

    :math:`\phi(x) = \nabla_W f^L_W(x)`, row r :math:`m^{-1/2}a_r\sigma'(w_{0,r}^\top x)x`, so
    :math:`K = \frac1m(\Phi\Phi^\top)\odot(XX^\top)` with :math:`\Phi_{ir} = \sigma'(w_{0,r}^\top x_i)`.
    """
    return _linear_point(x, w_init, w_out, activation).ntk_gram()


def feature_covariance(x, w_init, w_out, *, activation="relu3", chunk=4096):
    r"""The feature covariance :math:`\hat\Sigma = \frac1n\sum_i\phi(x_i)\phi(x_i)^\top`, shape (m d, m d).

    :math:`\phi(x_i) = \nabla_W f^L_W(x_i)` flattened row-major (neuron, then dimension), over
    chunks of ``chunk`` inputs.
    """
    x = validate.matrix("x", x)
    m, d = np.shape(w_init)
    cov = np.zeros((m * d, m * d))
    for start in range(0, x.shape[0], chunk):  # a loop over memory chunks of the inputs
        phi = _linear_point(x[start:start + chunk], w_init, w_out, activation).jacobian().reshape(-1, m * d)
        cov += phi.T @ phi
    return cov / x.shape[0]
