r"""The public API for writing and running claims: everything a claim needs, in one import.

A claim is one function that returns its two sides as records; boundcheck does the rest (the
intervals, the verdicts, the run's calibration, the hypotheses check, more draws on demand,
sweeps, tables and figures). The paper's own checks (:mod:`boundcheck.lemmas`) are written with
exactly these names and nothing else; a user's claim file is too::

    import numpy as np
    import boundcheck.api as bc

    @bc.claim("Linear term vanishes on average", statement="E_Sigma f^L_{W Sigma}(x) = 0",
              section="Bai & Lee, Sec. 3", pack="my-notes", hypotheses=(bc.hyp.SYMMETRIC,))
    def linear_term_mean(*, rng, width=256, dim=8, draws=400):
        x = bc.sample_inputs("sphere", 1, dim, rng=rng)
        w_init, w_out = bc.symmetric_init(width, dim, rng=rng)
        w_move = rng.standard_normal((width, dim)) * width ** -0.25 / np.sqrt(dim)
        signs = bc.sample_signs(draws, width, rng=rng)
        f_lin = bc.randomized_taylor_term(x, w_init, w_out, w_move, signs, 1)[:, 0]
        return bc.mean(f_lin, 0.0, "==", margin=1e-2, margin_reason="1% of the O(1) output scale",
                       hypotheses=bc.hyp.symmetric_init(w_init, w_out))

    records = bc.run_claim("Linear term vanishes on average", seed=0)

Record constructors (:mod:`boundcheck.results`)
    :func:`exact`, :func:`worst_case`, :func:`mean`, :func:`paired`, :func:`proportion`, :func:`rate`.
Registration and runs (:mod:`boundcheck.run`)
    :func:`claim`, :func:`run_claim`, :func:`run_claims`, :func:`get_claim`, :func:`claims`,
    :func:`load_claims_file`.
"For every" claims (:mod:`boundcheck.search`)
    :func:`for_every` (random draws, known points and a worst-case search in one record),
    :func:`search_worst`, and the domains :class:`Ball24`, :class:`Sphere`, :class:`Box`.
Hypotheses (:mod:`boundcheck.hypotheses`, as ``hyp``)
    Named predicates evaluated on the arrays in hand.
The model
    :func:`sample_inputs`, :func:`symmetric_init`, :func:`sample_signs`, :func:`network`,
    :func:`taylor_term`, :func:`randomized_taylor_term`, :func:`randomized_network`, :func:`norm_24`.
"""

from __future__ import annotations

from . import hypotheses as hyp
from .data import sample_inputs
from .network import (network, norm_24, randomized_network, randomized_taylor_term, sample_signs, symmetric_init,
                      taylor_term)
from .results import (HOLDS, INCONCLUSIVE, VIOLATED, CheckResult, exact, mean, paired, proportion, rate,
                      worst_case)
from .run.registry import claim, claims, get_claim, load_claims_file
from .run.runner import Run, run_claim, run_claims
from .search import Ball24, Box, Sphere, WorstCase, for_every, search_worst

__all__ = [
    "claim", "claims", "get_claim", "load_claims_file", "run_claim", "run_claims", "Run",
    "exact", "worst_case", "mean", "paired", "proportion", "rate", "CheckResult", "HOLDS", "VIOLATED",
    "INCONCLUSIVE", "hyp", "sample_inputs", "symmetric_init", "sample_signs", "network", "taylor_term",
    "randomized_taylor_term", "randomized_network", "norm_24", "for_every", "search_worst", "Ball24", "Sphere",
    "Box", "WorstCase",
]
