r"""Generalization (paper Section 5.1): Lemma 5, Lemma 8, equation (4) and Theorem 6.

Every check here computes both sides on the same draws; the constants are explicit keyword
arguments (``constant=...``) so a test can shrink one and watch the verdict turn VIOLATED.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _validate as validate
from ..data import NoisyXor, load_instance, sample_hypercube, sample_sphere
from ..losses import get_loss
from ..network import equation4_bound, norm_24, symmetric_init
from ..numeric import generalization as gen
from ..numeric import rademacher as rad
from ..run.registry import register
from ..results import CheckResult, decide

__all__ = ["check_lemma5", "check_lemma8", "check_equation4", "check_theorem6"]


def _arrays(instance, rng, n_samples, width, dim, input_radius, dist="sphere"):
    """The user's x, w_init, w_out (and the rest of the instance), or a fresh draw."""
    if instance is not None:
        arrays = load_instance(instance) if isinstance(instance, str) else dict(instance)
        for key in ("x", "w_init", "w_out"):
            if key not in arrays:
                raise validate.BoundcheckInputError(f"instance must hold {key} for this check")
        return arrays
    sampler = sample_sphere if dist == "sphere" else sample_hypercube
    x = sampler(validate.integer("n_samples", n_samples, minimum=2), validate.integer("dim", dim, minimum=1),
                input_radius=input_radius, rng=rng)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    return {"x": x, "w_init": w_init, "w_out": w_out}


def _sample_signs(arrays, draws, rng):
    if "rademacher" in arrays:
        return arrays["rademacher"]
    return rad.sample_rademacher(validate.integer("draws", draws, minimum=2), arrays["x"].shape[0], rng=rng)


@register("Lemma 5", statement="E_s sup_{||W||_{2,4}<=B_w} (1/n) sum s_i f^Q_W(x_i) <= (B_w^2/2) E_s max_r ||M_r(s)||_op "
          "(the proof's step; printed with 2B_w^2 for the loss class)", section="5.1, App. C.1")
def check_lemma5(*, rng, n_samples=200, width=100, dim=10, radius=1.0, input_radius=1.0, activation="relu3",
                 draws=100, level=0.95, instance=None, constant=0.5):
    r"""Lemma 5: the Rademacher complexity of :math:`\mathcal F^Q(B_w)` through feature operator norms.

    Left side: the exact supremum :math:`\frac{B_w^2}{2\sqrt m}\|(\lambda_{\max}(a_rM_r(s)))_+\|_2`
    for each sign draw s (mean and interval over ``draws`` draws, or the instance's
    ``rademacher`` rows). Right side, paired on the same draws: ``constant``
    :math:`\cdot B_w^2\max_r\|M_r(s)\|_{\mathrm{op}}`, the function-class step of the proof
    (constant 1/2). The printed lemma bounds the loss class by :math:`2B_w^2E\max_r\|M_r\|+1/\sqrt n`;
    after the contraction's factor 2 the proof gives :math:`B_w^2E\max_r\|M_r\|+1/\sqrt n`, so the
    printed constant is loose by a factor 2 (both in ``params``).
    """
    arrays = _arrays(instance, rng, n_samples, width, dim, input_radius)
    radius = validate.positive("radius", radius)
    constant = validate.positive("constant", constant)
    signs = _sample_signs(arrays, draws, rng)
    x, w_init, w_out = arrays["x"], arrays["w_init"], arrays["w_out"]
    extremes = rad.feature_operator_extremes(x, w_init, signs, activation=activation)
    sides = rad.lemma5_per_draw(x, w_init, w_out, signs, radius=radius, activation=activation, extremes=extremes)
    absolute = rad.quadratic_class_sup(x, w_init, w_out, signs, radius=radius, extremes=extremes, absolute=True)
    rhs = constant * radius**2 * sides["max_opnorm"]
    n = x.shape[0]
    mean_op = float(np.mean(sides["max_opnorm"]))
    params = dict(n_samples=n, width=w_init.shape[0], dim=x.shape[1], radius=radius, activation=str(activation),
                  constant=constant, ratio_exact_to_bound=float(np.mean(sides["exact"]) / np.mean(rhs)),
                  worst_draw_ratio=float(np.max(sides["exact"] / rhs)),
                  exact_absolute_mean=float(np.mean(absolute)),
                  worst_draw_ratio_absolute=float(np.max(absolute / rhs)),
                  loss_class_bound_printed=2 * radius**2 * mean_op + 1 / math.sqrt(n),
                  loss_class_bound_proof=radius**2 * mean_op + 1 / math.sqrt(n),
                  note="printed Lemma 5 has 2 B_w^2; its proof gives B_w^2 (power mean: sum ||w_r||^2/(2 sqrt m) "
                       "<= B_w^2/2)")
    return CheckResult.from_samples("Lemma 5", sides["exact"], rhs, "<=", level=level, params=params)


@register("Lemma 8", statement="E_sigma max_r ||sum_i sigma_i A_ri||_op <= 4 sqrt(max_r ||sum_i A_ri^2||_op log(2md))",
          section="A.1")
def check_lemma8(*, rng, n_samples=200, width=100, dim=10, input_radius=1.0, activation="relu3", draws=100,
                 level=0.95, instance=None, constant=4.0):
    r"""Lemma 8 (matrix Rademacher concentration) on :math:`A_{r,i} = \frac1n\sigma''(w_{0,r}^\top x_i)x_ix_i^\top`.

    Left side: Monte Carlo mean over sign draws of :math:`\max_r\|Y_r\|_{\mathrm{op}}` (exact per
    draw); right side ``constant`` :math:`\sqrt{V\log(2md)}` (the paper's 4). ``params`` also holds
    Tropp's :math:`\sqrt{2V\log(2md)}` and whether the proof's last step is valid (:math:`2md \ge e^{\pi/4}`).
    """
    arrays = _arrays(instance, rng, n_samples, width, dim, input_radius)
    signs = _sample_signs(arrays, draws, rng)
    sides = gen.lemma8_sides(arrays["x"], arrays["w_init"], signs, activation=activation, constant=constant)
    x, w_init = arrays["x"], arrays["w_init"]
    params = dict(n_samples=x.shape[0], width=w_init.shape[0], dim=x.shape[1], activation=str(activation),
                  constant=float(constant), variance=sides["variance"], log_2md=sides["log_term"],
                  tropp_rhs=sides["tropp_rhs"], last_step_valid=sides["last_step_valid"],
                  ratio=float(np.mean(sides["per_draw"]) / sides["rhs"]))
    if not sides["last_step_valid"]:
        params["note"] = ("log(2md) < pi/4: the proof's step sqrt(4VL) + sqrt(pi V) <= 4 sqrt(VL) fails; "
                          f"its own bound there is {math.sqrt(4 * sides['variance'] * sides['log_term']) + math.sqrt(math.pi * sides['variance']):.6g}")
    return CheckResult.from_samples("Lemma 8", sides["per_draw"], sides["rhs"], "<=", level=level, params=params)


@register("Equation 4", statement="P(max_r B_x ||w_0r|| > sqrt(8(d log 5 + log(m/delta)))) <= delta, for each delta",
          section="3.1, App. A.3")
def check_equation4(*, rng, width=100, dim=10, input_radius=1.0, draws=2000, level=0.95, instance=None,
                    failure_probs=(0.5, 0.1, 0.01), threshold_scale=1.0):
    r"""Equation (4): the frequency of :math:`\max_r B_x\|w_{0,r}\| > t(\delta)` against :math:`\delta`.

    One record per :math:`\delta`: the exceedance frequency over ``draws`` symmetric initializations
    with its Clopper-Pearson interval, against :math:`\delta`; ``params`` holds the exact
    chi-square probability. ``threshold_scale`` multiplies :math:`t(\delta)` (1 is the paper's;
    the printed proof's :math:`\log(m/d)` is read as :math:`\log(m/\delta)`, see ``equation4_bound``).
    With an instance, one more record: the instance's own draw against :math:`t(0.05)`.
    """
    if instance is not None:
        arrays = load_instance(instance) if isinstance(instance, str) else dict(instance)
        w_init = arrays.get("w_init")
        if w_init is None:
            raise validate.BoundcheckInputError("instance must hold w_init for this check")
        width, dim = w_init.shape[0] + w_init.shape[0] % 2, w_init.shape[1]
    rows = gen.equation4_exceedance(width, dim, failure_probs, trials=draws, input_radius=input_radius,
                                    threshold_scale=threshold_scale, level=level, rng=rng)
    records = []
    for row in rows:  # one record per requested delta
        interval = row["interval"]
        verdict = decide(row["frequency"], row["failure_prob"], "<=", interval)
        params = dict(width=width, dim=dim, failure_prob=row["failure_prob"], threshold=row["threshold"],
                      threshold_scale=threshold_scale, exceed=row["exceed"], n_draws=row["trials"],
                      exact_probability=row["exact"], level=level)
        records.append(CheckResult("Equation 4", row["frequency"], row["failure_prob"], "<=",
                                   row["failure_prob"] - row["frequency"], verdict, tuple(interval), params))
    if instance is not None:
        largest = float(input_radius * np.max(np.linalg.norm(w_init, axis=1)))
        t = threshold_scale * equation4_bound(w_init.shape[0], dim, 0.05)
        records.append(CheckResult.exact("Equation 4", largest, t, "<=",
                                         params=dict(part="the instance's w_init at delta = 0.05", width=w_init.shape[0],
                                                     dim=dim)))
    return records


def _theorem6_draw(rng, n_samples, width, dim, input_radius, n_test, flip_prob):
    x = sample_hypercube(n_samples, dim, input_radius=input_radius, rng=rng)
    target = NoisyXor(dim, input_radius, flip_prob=flip_prob)
    y = target.labels(x, rng=rng)
    x_test = sample_hypercube(n_test, dim, input_radius=input_radius, rng=rng)
    y_test = target.labels(x_test, rng=rng)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    return x, y, x_test, y_test, w_init, w_out


@register("Theorem 6", statement="E[L_P(W) - L(W)] <= O(B_w^2 B_x^2 M_op sqrt(log(dm)/n) + 1/sqrt(n)) + coupling "
          "O(m^{-1/4}), with the proof's explicit constants", section="5.1, App. C.2")
def check_theorem6(*, rng, n_samples=100, width=100, dim=10, radius=1.0, input_radius=1.0, loss="logistic",
                   activation="relu3", draws=32, level=0.95, instance=None, constant=1.0, repetitions=4, n_test=2000,
                   steps=150, flip_prob=0.1):
    r"""Theorem 6 assembled: each term of the bound against the measured generalization gap.

    Each of ``repetitions`` repetitions draws n hypercube inputs with noisy 2-XOR labels (Section 5.2),
    a symmetric initialization, fits the quadratic model by projected gradient descent inside
    :math:`\|W\|_{2,4}\le B_w` (:func:`~boundcheck.numeric.generalization.fit_quadratic_model`),
    and measures :math:`L_P(W) - L(W)` for the randomized network (population on ``n_test`` fresh
    points, :math:`E_\Sigma` and :math:`E_\sigma` over ``draws`` sign draws). The right side, paired per repetition, is
    ``constant`` times the explicit bound of
    :func:`~boundcheck.numeric.generalization.theorem6_terms` (the paper states it as
    :math:`O(\cdot)`; the constants here are those of its proof). Two records: the network gap
    against the full bound, and the quadratic model's gap against its term alone.
    """
    loss_obj = get_loss(loss)
    radius = validate.positive("radius", radius)
    constant = validate.nonnegative("constant", constant)
    if not loss_obj.meets_paper_hypotheses:
        warnings.warn(f"{loss_obj.name} loss is not 1-Lipschitz with l(y,0) <= 1: Theorem 6 does not cover this run",
                      stacklevel=2)
    gaps, quad_gaps, bounds, quad_bounds, terms_all = [], [], [], [], []
    sign_draws = validate.integer("draws", draws, minimum=2)
    if instance is not None:
        arrays = load_instance(instance) if isinstance(instance, str) else dict(instance)
        for key in ("x", "y", "w_init", "w_out"):
            if key not in arrays:
                raise validate.BoundcheckInputError(f"instance must hold {key} for Theorem 6 (the first half of the "
                                                    "rows trains, the second half measures the population risk)")
        half = arrays["x"].shape[0] // 2
        reps = [(arrays["x"][:half], arrays["y"][:half], arrays["x"][half:], arrays["y"][half:], arrays["w_init"],
                 arrays["w_out"])]
    else:
        reps = [_theorem6_draw(rng, n_samples, width, dim, input_radius, n_test, flip_prob)
                for _ in range(validate.integer("repetitions", repetitions, minimum=1))]
    for x, y, x_test, y_test, w_init, w_out in reps:  # loop over independent repetitions (each one fit)
        if instance is not None and "w_move" in arrays and norm_24(arrays["w_move"]) <= radius * (1 + 1e-9):
            w_move = arrays["w_move"]
        else:
            w_move, _ = gen.fit_quadratic_model(x, y, w_init, w_out, radius=radius, loss=loss, activation=activation,
                                                steps=steps, rng=rng)
        measured = gen.generalization_gaps(x, y, x_test, y_test, w_init, w_out, w_move, loss=loss,
                                           activation=activation, sign_draws=sign_draws, rng=rng)
        signs = rad.sample_rademacher(sign_draws, x.shape[0], rng=rng)
        terms = gen.theorem6_terms(x, w_init, w_out, signs, radius=radius, activation=activation)
        gaps.append(measured["network_gap"])
        quad_gaps.append(measured["quadratic_gap"])
        bounds.append(constant * terms["bound"])
        quad_bounds.append(constant * terms["quadratic_gap_mop"])
        terms_all.append(terms)
    mean_terms = {f"term_{k}": float(np.mean([t[k] for t in terms_all])) for k in terms_all[0]}
    params = dict(n_samples=reps[0][0].shape[0], width=reps[0][4].shape[0], dim=reps[0][0].shape[1], radius=radius,
                  loss=loss_obj.name, activation=str(activation), constant=constant, n_test=reps[0][2].shape[0],
                  loss_meets_hypotheses=loss_obj.meets_paper_hypotheses, **mean_terms)
    if len(reps) == 1:
        net = CheckResult.exact("Theorem 6", gaps[0], bounds[0], "<=", params=dict(params, part="network gap, one draw"))
        quad = CheckResult.exact("Theorem 6", quad_gaps[0], quad_bounds[0], "<=",
                                 params=dict(params, part="quadratic-model gap vs its term, one draw"))
        return [net, quad]
    net = CheckResult.from_samples("Theorem 6", gaps, bounds, "<=", level=level,
                                   params=dict(params, part="randomized-network gap vs the full bound"))
    quad = CheckResult.from_samples("Theorem 6", quad_gaps, quad_bounds, "<=", level=level,
                                    params=dict(params, part="quadratic-model gap vs its generalization term"))
    return [net, quad]
