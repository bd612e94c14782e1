"""Heavy modules imported on first use, so that ``boundcheck --help`` and ``verify --list`` start fast.

``sp = lazy("sympy")`` at the top of a module reads like ``import sympy as sp`` and behaves like it
on every attribute access (``sp.Symbol``, ``stats.t.ppf``), but sympy is imported only when the
first attribute is read: listing the claims never pays for sympy, scipy.stats, scipy.optimize or
the symbolic modules built on them. The import goes through :func:`importlib.import_module`
(thread-safe, and a no-op once the module is loaded).
"""

from __future__ import annotations

import importlib

__all__ = ["lazy"]


class _LazyModule:
    __slots__ = ("_name", "_module")

    def __init__(self, name):
        self._name = name
        self._module = None

    def __getattr__(self, attr):
        module = self._module
        if module is None:
            module = importlib.import_module(self._name)
            self._module = module
        return getattr(module, attr)

    def __repr__(self):
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy(name):
    """A stand-in for the module ``name`` (absolute, e.g. ``"scipy.stats"``) that imports it on first use."""
    return _LazyModule(name)
