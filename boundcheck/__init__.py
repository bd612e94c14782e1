"""boundcheck: check the theory of wide two-layer networks beyond the NTK regime.

Bai & Lee, "Beyond Linearization: On Quadratic and Higher-Order Approximation of Wide Neural
Networks" (ICLR 2020), and Nichani, Bai & Lee (NeurIPS 2022). Every numbered result of the paper
has a check that returns records with both sides of the claim and a verdict; the public API for
writing claims of your own is :mod:`boundcheck.api`.

The names below are loaded on first use, so ``import boundcheck`` stays cheap.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("boundcheck")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0+unknown"

_PUBLIC = {
    "api": ("boundcheck.api", None),
    "hyp": ("boundcheck.hypotheses", None),
    "claim": ("boundcheck.run.registry", "claim"),
    "claims": ("boundcheck.run.registry", "claims"),
    "get_claim": ("boundcheck.run.registry", "get_claim"),
    "load_claims_file": ("boundcheck.run.registry", "load_claims_file"),
    "run_claim": ("boundcheck.run.runner", "run_claim"),
    "run_claims": ("boundcheck.run.runner", "run_claims"),
    "CheckResult": ("boundcheck.results", "CheckResult"),
    "exact": ("boundcheck.results", "exact"),
    "worst_case": ("boundcheck.results", "worst_case"),
    "mean": ("boundcheck.results", "mean"),
    "paired": ("boundcheck.results", "paired"),
    "proportion": ("boundcheck.results", "proportion"),
    "rate": ("boundcheck.results", "rate"),
    "check_assumption_a": ("boundcheck.activations", "check_assumption_a"),
    "get_activation": ("boundcheck.activations", "get_activation"),
    "make_target": ("boundcheck.data", "make_target"),
    "sample_inputs": ("boundcheck.data", "sample_inputs"),
    "get_loss": ("boundcheck.losses", "get_loss"),
    "linear_model": ("boundcheck.network", "linear_model"),
    "quadratic_model": ("boundcheck.network", "quadratic_model"),
    "randomized_network": ("boundcheck.network", "randomized_network"),
    "randomized_taylor_term": ("boundcheck.network", "randomized_taylor_term"),
    "sample_signs": ("boundcheck.network", "sample_signs"),
    "symmetric_init": ("boundcheck.network", "symmetric_init"),
    "taylor_term": ("boundcheck.network", "taylor_term"),
    "taylor_terms": ("boundcheck.network", "taylor_terms"),
    "norm_24": ("boundcheck.network", "norm_24"),
    "TaylorModel": ("boundcheck.network", "TaylorModel"),
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'boundcheck' has no attribute {name!r}")
    module_name, attribute = _PUBLIC[name]
    module = import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__():
    return __all__
