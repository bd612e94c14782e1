"""boundcheck: check the theory of wide two-layer networks beyond the NTK regime.

Bai & Lee, "Beyond Linearization: On Quadratic and Higher-Order Approximation of Wide Neural
Networks" (ICLR 2020), and Nichani, Bai & Lee (NeurIPS 2022). Every numbered result of the paper
has a check (``boundcheck.run.registry.claims()``) that returns a
:class:`~boundcheck.results.CheckResult` with both sides of the inequality and a verdict.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("boundcheck")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0+unknown"

# The public names are imported on first use (PEP 562), so that ``import boundcheck.cli`` stays light
# and a Ctrl-C while numpy and scipy load is caught by the command line.
_PUBLIC = {
    "check_assumption_a": ".activations", "get_activation": ".activations",
    "make_target": ".data", "sample_inputs": ".data",
    "get_loss": ".losses",
    "linear_model": ".network", "quadratic_model": ".network", "randomized_network": ".network",
    "symmetric_init": ".network", "taylor_term": ".network", "taylor_terms": ".network",
    "claims": ".run.registry", "run_claim": ".run.registry",
    "CheckResult": ".results",
}


def __getattr__(name):
    if name in _PUBLIC:
        import importlib

        value = getattr(importlib.import_module(_PUBLIC[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PUBLIC))


__all__ = [
    "CheckResult", "check_assumption_a", "claims", "get_activation", "get_loss", "linear_model", "make_target",
    "quadratic_model", "randomized_network", "run_claim", "sample_inputs", "symmetric_init",
    "taylor_term", "taylor_terms", "__version__",
]
