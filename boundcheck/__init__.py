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

from .activations import check_assumption_a, get_activation
from .data import make_target, sample_inputs
from .losses import get_loss
from .network import (TaylorModel, linear_model, quadratic_model, randomized_network, symmetric_init, taylor_term,
                      taylor_terms)
from .run.registry import claims, run_claim
from .results import CheckResult

__all__ = [
    "CheckResult", "TaylorModel", "check_assumption_a", "claims", "get_activation", "get_loss", "linear_model", "make_target",
    "quadratic_model", "randomized_network", "run_claim", "sample_inputs", "symmetric_init",
    "taylor_term", "taylor_terms", "__version__",
]
