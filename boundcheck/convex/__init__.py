r"""The best-quadratic-model program OPT (paper Section 4) and its certificates.

:math:`\mathrm{OPT}(B_w) = \min_{\|W\|_{2,4}\le B_w} L^Q(W)` is reported as a certified bracket
``[lower, upper]``: the lower end from a dual point of the convex relaxation over the blocks
:math:`M_r = w_r w_r^\top` (:mod:`.problem`), the upper end from a feasible W whose loss is
recomputed (:mod:`.bracket`). Solvers of the relaxation: accelerated projected gradient over the
PSD blocks (:mod:`.fast`) and cvxpy with SCS or Clarabel (:mod:`.relaxation`).
"""

from .bracket import OptBracket, local_descent, opt_bracket, planted_instance, round_blocks
from .fast import numerical_rank, project_blocks, solve_relaxation
from .problem import Certificate, QuadraticProblem

__all__ = [
    "Certificate", "OptBracket", "QuadraticProblem", "local_descent", "numerical_rank", "opt_bracket",
    "planted_instance", "project_blocks", "round_blocks", "solve_relaxation",
]
