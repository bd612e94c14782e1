r"""Losses with derivatives in the prediction z up to order 3, and the paper's hypotheses on them.

Paper, Section 2: :math:`\ell(y, 0) \le 1`, :math:`z \mapsto \ell(y, z)` convex, 1-Lipschitz and
three times differentiable with :math:`|\ell''|, |\ell'''| \le 1`.

* logistic :math:`\log(1 + e^{-yz})`: meets them (:math:`\ell(y,0) = \log 2`,
  :math:`|\ell''| \le 1/4`, :math:`|\ell'''| \le 1/(6\sqrt3)`).
* soft hinge :math:`\log(1 + e^{1 - yz}) / \log(1 + e)`, the smooth hinge normalized so that
  :math:`\ell(y, 0) = 1`: meets them (Lipschitz constant :math:`1/\log(1+e) \approx 0.76`).
* squared :math:`(z - y)^2 / 2`: not Lipschitz, so the paper's results do not cover it; every
  output that uses it says so.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import _validate as validate
from ._lazy import lazy

special = lazy("scipy.special")

__all__ = ["Loss", "get_loss", "LOSSES", "SQUARED_WARNING"]

LOSSES = ("logistic", "soft-hinge", "squared")
SQUARED_WARNING = ("squared loss is not Lipschitz: the paper's hypotheses on the loss (Section 2) fail, "
                   "so its results do not cover this run")
_SOFT_HINGE_NORM = math.log1p(math.e)


def _logistic_in_margin(t, order):
    """Derivatives of :math:`\\phi(t) = \\log(1 + e^{-t})` in the margin ``t``."""
    if order == 0:
        return np.logaddexp(0.0, -t)
    s = special.expit(-t)  # sigma(-t)
    if order == 1:
        return -s
    if order == 2:
        return s * (1.0 - s)
    return -s * (1.0 - s) * (1.0 - 2.0 * s)


@dataclasses.dataclass(frozen=True)
class Loss:
    """A loss :math:`\\ell(y, z)` with exact derivatives in z up to order 3."""

    name: str
    meets_paper_hypotheses: bool

    def derivative(self, y, z, order=0):
        """:math:`\\partial_z^{\\mathrm{order}} \\ell(y, z)`, elementwise, for order 0..3."""
        order = validate.integer("order", order, minimum=0, maximum=3)
        y = np.asarray(y, dtype=np.float64)
        z = np.asarray(z, dtype=np.float64)
        if self.name == "squared":
            return [(z - y) ** 2 / 2.0, z - y, np.ones_like(z + y), np.zeros_like(z + y)][order]
        if self.name == "logistic":
            return _logistic_in_margin(y * z, order) * y**order
        # soft hinge: phi(1 - y z) / log(1 + e), with phi(u) = log(1 + e^u) = logistic margin at -u
        margin = y * z - 1.0
        return _logistic_in_margin(margin, order) * y**order / _SOFT_HINGE_NORM

    def value(self, y, z):
        """:math:`\\ell(y, z)`."""
        return self.derivative(y, z, 0)

    def risk(self, y, z):
        """Empirical risk :math:`\\frac1n\\sum_i \\ell(y_i, z_i)` (mean over the last axis)."""
        return np.mean(self.value(y, z), axis=-1)

    def hypotheses(self, labels=(-1.0, 1.0)):
        """The paper's hypotheses, checked on a fine grid of z for the given labels.

        Returns a dict: ``value_at_zero`` (max over labels of :math:`\\ell(y,0)`, must be <= 1),
        ``lipschitz``, ``max_second``, ``max_third`` (each must be <= 1), ``convex`` and ``holds``.
        """
        z = np.linspace(-50.0, 50.0, 200001)
        out = {"value_at_zero": 0.0, "lipschitz": 0.0, "max_second": 0.0, "max_third": 0.0, "convex": True}
        for y in labels:
            out["value_at_zero"] = max(out["value_at_zero"], float(self.value(y, 0.0)))
            out["lipschitz"] = max(out["lipschitz"], float(np.max(np.abs(self.derivative(y, z, 1)))))
            second = self.derivative(y, z, 2)
            out["max_second"] = max(out["max_second"], float(np.max(np.abs(second))))
            out["max_third"] = max(out["max_third"], float(np.max(np.abs(self.derivative(y, z, 3)))))
            out["convex"] = out["convex"] and bool(np.all(second >= 0))
        out["holds"] = (out["value_at_zero"] <= 1 and out["lipschitz"] <= 1 and out["max_second"] <= 1
                        and out["max_third"] <= 1 and out["convex"])
        return out


_LOSSES = {
    "logistic": Loss("logistic", True),
    "soft-hinge": Loss("soft-hinge", True),
    "squared": Loss("squared", False),
}


def get_loss(name="logistic") -> Loss:
    """Return the loss called ``name`` (one of ``LOSSES``)."""
    if isinstance(name, Loss):
        return name
    validate.choice("loss", name, LOSSES)
    return _LOSSES[name]
