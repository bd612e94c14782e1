"""What every output records about how it was made: seed, versions, parameters."""

from __future__ import annotations

import importlib.metadata
import platform

__all__ = ["provenance", "versions"]

_PACKAGES = ("boundcheck", "numpy", "scipy", "sympy", "mpmath", "cvxpy")


def versions():
    """Installed versions of boundcheck and the libraries its numbers depend on."""
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found


def provenance(seed, params):
    """The provenance block of an output: the seed, the versions and the parameters."""
    clean = {}
    for key, value in params.items():
        clean[key] = value if isinstance(value, (int, float, str, bool, type(None), list, tuple)) else repr(value)
    return {"seed": seed, "versions": versions(), "parameters": clean}
