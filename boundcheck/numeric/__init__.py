"""Numeric quantities of the paper: operator norms, Rademacher complexities, generalization terms
(and, from other modules added here, landscape quantities)."""

from .opnorm import estimate_m_op, m_op_of_array, m_op_reference
from .rademacher import (feature_operator_extremes, lemma5_per_draw, ntk_class_sup, ntk_complexity, ntk_trace_bound,
                         quadratic_class_sup, quadratic_complexity)
from .generalization import equation4_exceedance, fit_quadratic_model, lemma8_sides, theorem6_terms
