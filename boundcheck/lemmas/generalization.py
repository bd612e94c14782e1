r"""Generalization (paper Section 5.1): Lemma 5, Lemma 8, equation (4) and Theorem 6.

Every check here computes both sides on the same draws; the constants are explicit keyword
arguments (``constant=...``) so a test can shrink one and watch the verdict turn VIOLATED.
Wherever a side involves :math:`B_x` it is :math:`\max_i\|x_i\|` of the inputs in hand.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from ..api import claim, hyp, mean, paired, proportion
from ..data import NoisyXor, load_instance, sample_hypercube, sample_sphere
from ..losses import get_loss
from ..network import symmetric_init
from ..numeric import generalization as gen
from ..numeric import rademacher as rad
from . import PACK

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
    return rad.sample_rademacher(validate.integer("draws", draws, minimum=1), arrays["x"].shape[0], rng=rng)


def _in_ball(x):
    """The hypothesis ||x_i|| <= B_x with B_x = max_i ||x_i||, and that B_x."""
    radius = hyp.input_radius_of(x)
    return hyp.inputs_in_ball(x, radius), radius


@claim("Lemma 5", section="5.1, App. C.1", pack=PACK, hypotheses=(hyp.BALL,),
       statement="E_s sup_{||W||_{2,4}<=B_w} (1/n) sum s_i f^Q_W(x_i) <= (B_w^2/2) E_s max_r ||M_r(s)||_op "
                 "(the proof's step; printed with 2B_w^2 for the loss class)")
def check_lemma5(*, rng, n_samples=200, width=100, dim=10, radius=1.0, input_radius=1.0, activation="relu3",
                 draws=100, instance=None, constant=0.5):
    r"""Lemma 5: the Rademacher complexity of :math:`\mathcal F^Q(B_w)` through feature operator norms.

    Left side: the exact supremum :math:`\frac{B_w^2}{2\sqrt m}\|(\lambda_{\max}(a_rM_r(s)))_+\|_2`
    for each sign draw s (``draws`` draws, or the instance's ``rademacher`` rows). Right side,
    paired on the same draws: ``constant`` :math:`\cdot B_w^2\max_r\|M_r(s)\|_{\mathrm{op}}`, the
    function-class step of the proof (constant 1/2). The printed lemma bounds the loss class by
    :math:`2B_w^2E\max_r\|M_r\|+1/\sqrt n`; after the contraction's factor 2 the proof gives
    :math:`B_w^2E\max_r\|M_r\|+1/\sqrt n`, so the printed constant is loose by a factor 2 (both in
    ``params``). The step needs no hypothesis on the data; the record states the inputs' radius
    :math:`B_x = \max_i\|x_i\|`.
    """
    arrays = _arrays(instance, rng, n_samples, width, dim, input_radius)
    radius = validate.positive("radius", radius)
    constant = validate.positive("constant", constant)
    signs = _sample_signs(arrays, draws, rng)
    x, w_init, w_out = arrays["x"], arrays["w_init"], arrays["w_out"]
    hypotheses, x_radius = _in_ball(x)
    extremes = rad.feature_operator_extremes(x, w_init, signs, activation=activation)
    sides = rad.lemma5_per_draw(x, w_init, w_out, signs, radius=radius, activation=activation, extremes=extremes)
    absolute = rad.quadratic_class_sup(x, w_init, w_out, signs, radius=radius, extremes=extremes, absolute=True)
    rhs = constant * radius**2 * sides["max_opnorm"]
    n = x.shape[0]
    mean_op = float(np.mean(sides["max_opnorm"]))
    params = dict(n_samples=n, width=w_init.shape[0], dim=x.shape[1], radius=radius, input_radius=x_radius,
                  activation=str(activation), constant=constant,
                  ratio_exact_to_bound=float(np.mean(sides["exact"]) / np.mean(rhs)),
                  worst_draw_ratio=float(np.max(sides["exact"] / rhs)),
                  exact_absolute_mean=float(np.mean(absolute)),
                  worst_draw_ratio_absolute=float(np.max(absolute / rhs)),
                  loss_class_bound_printed=2 * radius**2 * mean_op + 1 / math.sqrt(n),
                  loss_class_bound_proof=radius**2 * mean_op + 1 / math.sqrt(n),
                  note="printed Lemma 5 has 2 B_w^2; its proof gives B_w^2 (power mean: sum ||w_r||^2/(2 sqrt m) "
                       "<= B_w^2/2)")
    return paired(sides["exact"], rhs, "<=", hypotheses=hypotheses, params=params,
                  part="E_s sup_W (1/n) sum_i s_i f^Q_W(x_i) <= (B_w^2/2) E_s max_r ||M_r(s)||_op (paired draws)")


@claim("Lemma 8", section="A.1", pack=PACK, hypotheses=(hyp.BALL,),
       statement="E_sigma max_r ||sum_i sigma_i A_ri||_op <= 4 sqrt(max_r ||sum_i A_ri^2||_op log(2md))")
def check_lemma8(*, rng, n_samples=200, width=100, dim=10, input_radius=1.0, activation="relu3", draws=100,
                 instance=None, constant=4.0):
    r"""Lemma 8 (matrix Rademacher concentration) on :math:`A_{r,i} = \frac1n\sigma''(w_{0,r}^\top x_i)x_ix_i^\top`.

    Left side: the mean over sign draws of :math:`\max_r\|Y_r\|_{\mathrm{op}}` (exact per draw);
    right side ``constant`` :math:`\sqrt{V\log(2md)}` (the paper's 4). ``params`` also holds
    Tropp's :math:`\sqrt{2V\log(2md)}` and whether the proof's last step is valid (:math:`2md \ge e^{\pi/4}`).
    The lemma holds for any fixed symmetric :math:`A_{r,i}`; the record states :math:`B_x = \max_i\|x_i\|`.
    """
    arrays = _arrays(instance, rng, n_samples, width, dim, input_radius)
    signs = _sample_signs(arrays, draws, rng)
    x, w_init = arrays["x"], arrays["w_init"]
    hypotheses, x_radius = _in_ball(x)
    sides = gen.lemma8_sides(x, w_init, signs, activation=activation, constant=constant)
    params = dict(n_samples=x.shape[0], width=w_init.shape[0], dim=x.shape[1], input_radius=x_radius,
                  activation=str(activation), constant=float(constant), variance=sides["variance"],
                  log_2md=sides["log_term"], tropp_rhs=sides["tropp_rhs"], last_step_valid=sides["last_step_valid"],
                  ratio=float(np.mean(sides["per_draw"]) / sides["rhs"]))
    if not sides["last_step_valid"]:
        own = math.sqrt(4 * sides["variance"] * sides["log_term"]) + math.sqrt(math.pi * sides["variance"])
        params["note"] = ("log(2md) < pi/4: the proof's step sqrt(4VL) + sqrt(pi V) <= 4 sqrt(VL) fails; "
                          f"its own bound there is {own:.6g}")
    return mean(sides["per_draw"], sides["rhs"], "<=", hypotheses=hypotheses, params=params,
                part="E_sigma max_r ||Y_r||_op <= 4 sqrt(V log(2md))")


@claim("Equation 4", section="3.1, App. A.3", pack=PACK,
       statement="P(max_r B_x ||w_0r|| > sqrt(8(d log 5 + log(m/delta)))) <= delta, for each delta")
def check_equation4(*, rng, width=100, dim=10, input_radius=1.0, draws=2000, instance=None,
                    failure_probs=(0.5, 0.1, 0.01), threshold_scale=1.0):
    r"""Equation (4): the frequency of :math:`\max_r B_x\|w_{0,r}\| > t(\delta)` against :math:`\delta`.

    One record per :math:`\delta` (``params["failure_prob"]``): the number of exceedances among
    ``draws`` symmetric initializations (3), with its Clopper-Pearson interval, against
    :math:`\delta`; ``params`` holds the exact chi-square probability. ``threshold_scale``
    multiplies :math:`t(\delta)` (1 is the paper's; the printed :math:`\log(m/d)` is read as
    :math:`\log(m/\delta)`, see ``network.equation4_bound``). The draws follow (3) by construction,
    so the records carry no hypothesis. With an instance, its ``w_init`` sets m and d (and its
    ``x``, when present, :math:`B_x = \max_i\|x_i\|`; the frequency does not depend on it); the
    instance's own draw is the claim "Equation 4 event".
    """
    if instance is not None:
        arrays = load_instance(instance, required=("w_init",)) if isinstance(instance, str) else dict(instance)
        w_init = arrays.get("w_init")
        if w_init is None:
            raise validate.BoundcheckInputError("instance must hold w_init for this check")
        width, dim = w_init.shape[0] + w_init.shape[0] % 2, w_init.shape[1]
        if arrays.get("x") is not None:
            input_radius = hyp.input_radius_of(arrays["x"])
    rows = gen.equation4_exceedance(width, dim, failure_probs, trials=draws, input_radius=input_radius,
                                    threshold_scale=threshold_scale, rng=rng)
    records = []
    for row in rows:  # one record per requested delta
        records.append(proportion(
            row["exceed"], row["trials"], row["failure_prob"], "<=",
            part=f"delta = {row['failure_prob']:g}: P(max_r B_x ||w_0r|| > t(delta)) <= delta",
            params=dict(width=width, dim=dim, input_radius=input_radius, failure_prob=row["failure_prob"],
                        threshold=row["threshold"], threshold_scale=threshold_scale, exceedances=row["exceed"],
                        exact_probability=row["exact"])))
    return records


@claim("Theorem 6", section="5.1, App. C.2", pack=PACK, budget_options=("repetitions",),
       hypotheses=(hyp.BALL, hyp.LOSS, hyp.SYMMETRIC, hyp.IN_BALL_24),
       statement="E[L_P(W) - L(W)] <= O(B_w^2 B_x^2 M_op sqrt(log(dm)/n) + 1/sqrt(n)) + coupling O(m^{-1/4}), with "
                 "the proof's explicit constants")
def check_theorem6(*, rng, n_samples=100, width=100, dim=10, radius=1.0, input_radius=1.0, loss="logistic",
                   activation="relu3", draws=32, instance=None, constant=1.0, repetitions=6, n_test=2000,
                   steps=150, flip_prob=0.1):
    r"""Theorem 6 assembled: each term of the bound against the measured generalization gap.

    Each of ``repetitions`` repetitions draws n hypercube inputs with noisy 2-XOR labels (Section 5.2),
    a symmetric initialization, fits the quadratic model by projected gradient descent inside
    :math:`\|W\|_{2,4}\le B_w` (:func:`~boundcheck.numeric.generalization.fit_quadratic_model`),
    and measures :math:`L_P(W) - L(W)` for the randomized network (population on ``n_test`` fresh
    points, :math:`E_\Sigma` and :math:`E_\sigma` over ``draws`` sign draws). The right side, paired
    per repetition, is ``constant`` times the explicit bound of
    :func:`~boundcheck.numeric.generalization.theorem6_terms` with :math:`B_x = \max_i\|x_i\|` over
    the training and test inputs (the paper states it as :math:`O(\cdot)`; the constants here are
    those of its proof). Two records: the network gap against the full bound, and the quadratic
    model's gap against its term alone. An instance (``x``, ``y``, ``w_init``, ``w_out``, optionally
    ``w_move``: the first half of the rows trains, the second measures the population risk) is one
    repetition: a single draw says nothing about an expectation, so its records are INCONCLUSIVE.
    Hypotheses, evaluated on every repetition: inputs in the ball, the loss assumptions, symmetric
    initialization, and :math:`\|W\|_{2,4} \le B_w` for the W used.
    """
    loss_obj = get_loss(loss)
    radius = validate.positive("radius", radius)
    constant = validate.nonnegative("constant", constant)
    sign_draws = validate.integer("draws", draws, minimum=2)
    if instance is not None:
        reps = [_theorem6_instance(instance)]
    else:
        reps = [_theorem6_draw(rng, n_samples, width, dim, input_radius, n_test, flip_prob)
                for _ in range(validate.integer("repetitions", repetitions, minimum=1))]
    runs = [gen.theorem6_repetition(*rep, radius=radius, loss=loss_obj, activation=activation, steps=steps,
                                    sign_draws=sign_draws, rng=rng) for rep in reps]  # one fit per repetition
    hypotheses = {hyp.BALL: all(r["in_ball"] for r in runs), **hyp.loss_assumptions(loss_obj.name),
                  hyp.SYMMETRIC: all(hyp.symmetric_init(rep[4], rep[5])[hyp.SYMMETRIC] for rep in reps),
                  hyp.IN_BALL_24: all(hyp.in_ball_24(r["w_move"], radius)[hyp.IN_BALL_24] for r in runs)}
    mean_terms = {f"term_{k}": float(np.mean([r["terms"][k] for r in runs])) for k in runs[0]["terms"]}
    params = dict(n_samples=reps[0][0].shape[0], width=reps[0][4].shape[0], dim=reps[0][0].shape[1], radius=radius,
                  input_radius=max(r["input_radius"] for r in runs), loss=loss_obj.name, activation=str(activation),
                  constant=constant, n_test=reps[0][2].shape[0], repetitions=len(runs), **mean_terms)
    net = paired([r["network_gap"] for r in runs], [constant * r["terms"]["bound"] for r in runs], "<=",
                 hypotheses=hypotheses, params=params,
                 part="E[L_P - L] of the randomized network <= the full bound (paired repetitions)")
    quad = paired([r["quadratic_gap"] for r in runs], [constant * r["terms"]["quadratic_gap_mop"] for r in runs], "<=",
                  hypotheses=hypotheses, params=params,
                  part="E[L^Q_P - L^Q] of the quadratic model <= its generalization term (paired repetitions)")
    return [net, quad]


def _theorem6_draw(rng, n_samples, width, dim, input_radius, n_test, flip_prob):
    x = sample_hypercube(n_samples, dim, input_radius=input_radius, rng=rng)
    target = NoisyXor(dim, input_radius, flip_prob=flip_prob)
    y = target.labels(x, rng=rng)
    x_test = sample_hypercube(n_test, dim, input_radius=input_radius, rng=rng)
    y_test = target.labels(x_test, rng=rng)
    w_init, w_out = symmetric_init(width, dim, input_radius=input_radius, rng=rng)
    return x, y, x_test, y_test, w_init, w_out, None


def _theorem6_instance(instance):
    """One repetition from the user's arrays: the first half of the rows trains, the second tests."""
    arrays = load_instance(instance) if isinstance(instance, str) else dict(instance)
    for key in ("x", "y", "w_init", "w_out"):
        if key not in arrays:
            raise validate.BoundcheckInputError(f"instance must hold {key} for Theorem 6 (the first half of the "
                                                "rows trains, the second half measures the population risk)")
    half = arrays["x"].shape[0] // 2
    return (arrays["x"][:half], arrays["y"][:half], arrays["x"][half:], arrays["y"][half:], arrays["w_init"],
            arrays["w_out"], arrays.get("w_move"))
