r"""Symbolic pieces (sympy / mpmath): the ReLU random-feature kernel series and its coefficient
bounds (Lemma 9), the expressivity constants of Lemma 15 and Theorem 7, and the moment-matching
variables of Section 6. Exact quantities come back as sympy numbers, high-precision ones as mpmath
numbers; nothing here is silently a float.
"""

from .expressivity import (feature_map_norm_sq, lemma9_paper_bound, lemma15_paper_bound, random_feature_coefficient,
                           sphere_norm_sq, theorem7_expected_norm, theorem7_paper_norm_bound, theorem7_w_star)
from .kernels import (arccos_kernel, bound_ratio_argument, coefficient_rows, kernel_coefficient, paper_lower_bound,
                      series_coefficients, tail_bound)
from .moments import moment_matching_pair, verify_pair

__all__ = [
    "arccos_kernel", "bound_ratio_argument", "coefficient_rows", "feature_map_norm_sq", "kernel_coefficient",
    "lemma9_paper_bound", "lemma15_paper_bound", "moment_matching_pair", "paper_lower_bound",
    "random_feature_coefficient", "series_coefficients", "sphere_norm_sq", "tail_bound", "theorem7_expected_norm",
    "theorem7_paper_norm_bound", "theorem7_w_star", "verify_pair",
]
