r"""Section 4: the landscape of the clean risk (Lemma 1), of the randomized risk (Theorem 2), of the
regularized risk (Corollary 3), and optimization to a second-order stationary point (Theorem 4).

Each check reads as the two sides of its claim; the sides are computed by
:mod:`boundcheck.numeric.landscape` (closed-form derivatives, expectations over the direction's
signs exact, Monte Carlo over the network's signs with mean-zero control variates).

Hypotheses (:mod:`boundcheck.hypotheses`), evaluated on the arrays each check uses, with
:math:`B_x = \max_i\|x_i\|`:

* Lemma 1: the loss convex with :math:`\ell'' \le 1` (all B.1 uses, so the squared loss is
  covered), Assumption A (the remainder's constant C), inputs in the ball of radius :math:`B_x`.
* Theorem 2, Corollary 3, Theorem 4 add the paper's loss hypotheses (:math:`|\ell'| \le 1` for the
  couplings of Lemmas 12-14), the symmetric initialization (:math:`f_{W_0} = 0`, used by the
  couplings), the event (4), and, where the statement needs them, W in the (2,4)-ball, the width
  condition (6) and (Theorem 4) an approximate second-order stationary point. At runnable widths
  (6) asks for m of order :math:`10^{40}`: those records are outside their hypotheses and keep
  their measured verdict.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from .._lazy import lazy
from ..activations import check_assumption_a
from ..api import Ball24, claim, exact, hyp, mean, rate, search_worst, worst_case
from ..convex.bracket import opt_bracket
from ..data import load_instance
from ..network import norm_24, sample_signs
from ..numeric import coupling as cpl
from ..numeric import landscape as ls
from ..numeric.regularizer import corollary3_needed_constant as needed_constant
from . import PACK

optimize = lazy("scipy.optimize")

EPS = np.finfo(np.float64).eps
#: Equivalence margin of Lemma 1's exponent: the fitted exponent of the remainder at m <= 2048 sits
#: about 0.026 above -1 (0.005 at 512 <= m <= 8192), a finite-size bias.
LEMMA1_RATE_MARGIN = 0.06
#: Failure probability of the event (4) behind the width condition (6).
FAILURE_PROB = 0.05


def _activation(activation):
    """``(C, hypothesis)``: Assumption A's C (1 when Assumption A fails: the record is then outside
    its hypotheses) and the hypothesis evaluated."""
    result = check_assumption_a(activation)
    return (float(result.constant) if result.holds else 1.0), hyp.assumption_a(activation)


def _instance_problem(instance):
    """``(prob, w_move, B_x)`` from the user's arrays, with :math:`B_x = \\max_i\\|x_i\\|`."""
    arrays = load_instance(instance, ("x", "w_init", "w_out", "y", "w_move", "w_star"))
    prob = {k: arrays[k] for k in ("x", "y", "w_init", "w_out", "w_star")}
    return prob, arrays["w_move"], hyp.input_radius_of(prob["x"])


def _data(prob):
    return prob["x"], prob["y"], prob["w_init"], prob["w_out"]


def _problem(rng, n_samples, width, dim, radius_star, input_radius, loss):
    width = validate.even_width("width", width)
    return cpl.planted_problem(n_samples, width, dim, radius_star=radius_star, input_radius=input_radius,
                              loss=loss, rng=rng)


def _radii(radius, radius_star):
    """``(radius, radius_star)``: both None -> the teacher is scaled to order-1 outputs and B_w = 2 B_w*;
    only ``radius`` -> B_w* = B_w / 2."""
    if radius is not None:
        radius = validate.positive("radius", radius)
        if radius_star is None:
            radius_star = radius / 2
    if radius_star is not None:
        radius_star = validate.positive("radius_star", radius_star)
    return radius, radius_star


def _planted(rng, n_samples, width, dim, radius, radius_star, input_radius, loss):
    """The planted problem and the two radii (B_w defaults to twice the teacher's norm)."""
    radius, radius_star = _radii(radius, radius_star)
    prob = _problem(rng, n_samples, width, dim, radius_star, input_radius, loss)
    star = float(norm_24(prob["w_star"]))
    return prob, (2 * star if radius is None else radius), star


def _standing(prob, loss, activation_hyp, failure_prob):
    """The hypotheses every network result of Section 4 stands on, evaluated on ``prob``'s arrays."""
    x, w_init = prob["x"], prob["w_init"]
    radius_x = hyp.input_radius_of(x)
    return {**hyp.loss_assumptions(loss), **activation_hyp, **hyp.symmetric_init(w_init, prob["w_out"]),
            **hyp.inputs_in_ball(x, radius_x), **hyp.equation4(w_init, radius_x, failure_prob)}


def _in_ball(radius, *moves):
    """W (and W_*) in the (2,4)-ball of radius B_w, for every movement given."""
    return {hyp.IN_BALL_24: all(hyp.in_ball_24(w, radius)[hyp.IN_BALL_24] for w in moves)}


def _candidates(prob, *, radius, rng, draws, loss, activation, steps=40):
    """W at which the "for all W" claims are evaluated, with how each was found: W_*, random points
    of the ball, aligned movements, and a projected descent trajectory on L^Q."""
    m, d = prob["w_init"].shape
    cands = [("w_star", prob["w_star"] * min(1.0, radius / norm_24(prob["w_star"])))]
    cands += [("random", cpl.random_in_ball(m, d, radius, rng=rng)) for _ in range(draws)]
    cands += [("aligned", cpl.aligned_move(prob["w_out"], d, radius * rng.uniform(0.2, 1.0), rng=rng))
              for _ in range(max(1, draws // 4))]
    start = cpl.random_in_ball(m, d, 0.05 * radius, rng=rng)
    traj = ls.quadratic_risk_trajectory(*_data(prob), start, radius=radius, steps=steps, loss=loss,
                                        activation=activation)
    cands += [("trajectory", w) for w in traj[:: max(1, steps // 10)]]
    return cands


# --------------------------------------------------------------------------------------------
# Lemma 1


def _lemma1_points(prob, evaluate, *, radius, rng, draws, loss, activation, bound_factor, search_evals):
    """The W at which Lemma 1 is evaluated, with how each was found: the candidates of
    :func:`_candidates` and two worst-case searches (:func:`boundcheck.api.search_worst`, derivative-free,
    ``search_evals`` evaluations each, from the best candidate): the least slack of the inequality, and
    the largest ratio (lhs - rhs_main) / bound."""
    points = _candidates(prob, radius=radius, rng=rng, draws=draws, loss=loss, activation=activation)
    domain = {"w_move": Ball24(prob["w_init"].shape, radius)}

    def inequality(w_move):
        t = evaluate(w_move)
        return t["lhs_exact"], t["rhs_main"] + bound_factor * t["bound"]

    def tightness(w_move):
        t = evaluate(w_move)
        return t["lhs_exact"] - t["rhs_main"], t["bound"]

    scored = [tightness(w) for _, w in points]
    best = points[int(np.argmax([a / b if b > 0 else -np.inf for a, b in scored]))][1]
    for label, sides, relative in (("worst-case search (least slack)", inequality, False),
                                   ("worst-case search (largest (lhs - rhs_main) / bound)", tightness, True)):
        found = search_worst(sides, domain, rng=rng, starts=[{"w_move": best}], restarts=1, relative=relative,
                             max_evaluations=search_evals)
        points.append((label, found.point["w_move"]))
    return points


def _main_part_search(prob, opt, cands, *, radius, loss, activation, rng, evals):
    r"""The W of the ball where :math:`E_\Sigma\nabla^2L^Q[W_*\Sigma, W_*\Sigma] - \mathrm{rhs\_main}` (the part of
    (7) that the coupling carries over from Lemma 1, exact) is largest: a derivative-free worst-case search
    (:func:`boundcheck.api.search_worst`) from the best candidate."""
    def sides(w_move):
        t = ls.lemma1_terms(*_data(prob), w_move, prob["w_star"], opt=opt, loss=loss, activation=activation)
        return t["lhs_exact"] - t["rhs_main"], 0.0

    best = max(cands, key=lambda kw: sides(kw[1])[0])[1]
    found = search_worst(sides, {"w_move": Ball24(prob["w_init"].shape, radius)}, rng=rng, restarts=0,
                         starts=[{"w_move": best}], relative=False, max_evaluations=evals)
    return found.point["w_move"]


@claim("Lemma 1", statement="E_Sigma grad^2 L^Q(W)[W_* Sigma, W_* Sigma] <= <grad L^Q(W), W> - 2(L^Q(W) - OPT) "
       "+ O(d B_x^4 ||W||_{2,4}^2 ||W_*||_{2,4}^2 m^-1) for every W", section="4.1; App. B.1", pack=PACK,
       hypotheses=(hyp.LOSS_CURVATURE, hyp.ASSUMPTION_A, hyp.BALL), budget_options=("draws", "replicates"))
def check_lemma1(*, rng, n_samples=256, width=256, dim=16, radius=None, input_radius=1.0, loss="logistic",
                 activation="relu3", draws=16, instance=None, radius_star=None, bound_factor=1.0,
                 remainder_factor=1.0, widths=(64, 128, 256, 512, 1024, 2048), replicates=8, claimed_exponent=-1.0,
                 search_evals=300):
    r"""Lemma 1 in the exact form of its proof (B.1), with the proof's explicit remainder bound.

    At every W: lhs :math:`= E_\Sigma\nabla^2L^Q(W)[W_*\Sigma, W_*\Sigma]` (exact), rhs_main
    :math:`= \langle\nabla L^Q(W), W\rangle - 2(L^Q(W) - \mathrm{OPT})`, OPT :math:`= L^Q(W_*)`.
    Records, worst case over W drawn in the ball, along projected descent on :math:`L^Q` and found by
    two worst-case searches (:func:`boundcheck.api.search_worst`):

    1. the identity lhs = rhs_main - 2 gap - 2(OPT - :math:`L^Q(W_*)`) + ``remainder_factor`` * remainder
       (convexity gap :math:`\ge 0`, remainder = term II), to rounding;
    2. lhs <= rhs_main + ``bound_factor`` :math:`\cdot C^2t^2B_x^4\|W\|^2_{2,4}\|W_*\|^2_{2,4}/m`;
    3. (without ``instance``) the exponent in m of the remainder at :math:`W = W_*` with
       :math:`\|W_*\|_{2,4}` fixed, over ``replicates`` independent series, against the paper's
       :math:`m^{-1}` (``claimed_exponent``). The remainder there is :math:`m^{-1}` times a mean over
       neurons whose law does not depend on m, so the O(.) is attained: the exponent is tested for
       equality within :data:`LEMMA1_RATE_MARGIN`.

    With ``instance`` (x, w_init, w_out, y, w_move, w_star) only W = ``w_move`` is evaluated.
    """
    constant, activation_hyp = _activation(activation)
    if instance is not None:
        prob, w_user, _ = _instance_problem(instance)
        radius, radius_star = float(norm_24(w_user)), float(norm_24(prob["w_star"]))
    else:
        prob, radius, radius_star = _planted(rng, n_samples, width, dim, radius, radius_star, input_radius, loss)
    radius_x = hyp.input_radius_of(prob["x"])
    opt = ls.quadratic_risk(*_data(prob), prob["w_star"], loss=loss, activation=activation)

    def evaluate(w):
        return ls.lemma1_sides(*_data(prob), w, prob["w_star"], opt=opt, input_radius=radius_x, constant=constant,
                               loss=loss, activation=activation)

    points = [("instance", w_user)] if instance is not None else _lemma1_points(
        prob, evaluate, radius=radius, rng=rng, draws=validate.integer("draws", draws, minimum=1), loss=loss,
        activation=activation, bound_factor=bound_factor, search_evals=search_evals)
    terms = [evaluate(w) for _, w in points]  # a loop over the points W, each one batched evaluation
    labels = [label for label, _ in points]
    (n, d), m = prob["x"].shape, prob["w_init"].shape[0]
    hypotheses = {**hyp.loss_curvature(loss), **activation_hyp, **hyp.inputs_in_ball(prob["x"], radius_x)}
    params = dict(n_samples=n, width=m, dim=d, radius=radius, radius_star=radius_star, input_radius=radius_x,
                  constant=constant, loss=str(loss), opt=opt, opt_source="L^Q(w_star)", kinds=sorted(set(labels)),
                  rounding="4 (n + m) eps times the sum of the terms' magnitudes")
    if instance is not None:
        params.update({k: terms[0][k] for k in ("lhs_exact", "rhs_main", "remainder", "convexity_gap")})
    tol = 4 * (n + m) * EPS * max(t["scale"] for t in terms)
    lhs = [t["lhs_exact"] for t in terms]
    identity = worst_case(
        lhs, [t["rhs_main"] - 2 * t["convexity_gap"] - 2 * t["opt_gap"] + remainder_factor * t["remainder"]
              for t in terms], "==", tol=tol, labels=labels, hypotheses=hypotheses,
        part="B.1 identity: lhs = rhs_main - 2 gap - 2(OPT - L^Q(W_*)) + remainder",
        params=dict(params, remainder_factor=remainder_factor))
    ratio = [(t["lhs_exact"] - t["rhs_main"]) / t["bound"] if t["bound"] > 0 else -np.inf for t in terms]
    inequality = worst_case(
        lhs, [t["rhs_main"] + bound_factor * t["bound"] for t in terms], "<=", tol=tol, labels=labels,
        hypotheses=hypotheses, part="lhs <= rhs_main + C^2 t^2 B_x^4 ||W||^2 ||W_*||^2 / m (the bound of B.1)",
        params=dict(params, bound_factor=bound_factor, tightness=float(np.max(ratio)),
                    tightness_note="max over W of (lhs - rhs_main) / bound: 1 would be a tight bound"))
    if instance is not None or not widths:
        return [identity, inequality]
    remainders = ls.lemma1_remainder_sweep(widths, validate.integer("replicates", replicates, minimum=1),
                                           n_samples=n, dim=d, radius_star=radius_star, rng=rng,
                                           input_radius=input_radius, loss=loss, activation=activation)
    exponent = rate(widths, remainders, claimed_exponent, "<=", margin=LEMMA1_RATE_MARGIN,
                    margin_reason="the O(m^-1) is attained at W = W_* (the remainder is m^-1 times a mean whose law "
                                  "does not depend on m): finite-size bias at 64 <= m <= 2048 measured at 0.026",
                    part="exponent in m of the remainder (term II) at W = W_*, ||W_*||_{2,4} fixed: O(m^-1)",
                    hypotheses=hypotheses, params=dict(claimed_exponent=claimed_exponent, paper_exponent=-1.0,
                                                       radius_star=radius_star))
    return [identity, inequality, exponent]


# --------------------------------------------------------------------------------------------
# Theorem 2 and Corollary 3


def _worst_candidate(prob, cands, *, opt, loss, activation, rng, select_draws, extra=None):
    """The candidate with the largest estimated mean of h (+ ``extra(w)``), on separate selection draws."""
    signs = sample_signs(select_draws, prob["w_init"].shape[0], rng=rng)
    scores = []
    for _, w in cands:  # a loop over candidate W, each one batched over draws
        h, _ = ls.theorem2_samples(*_data(prob), w, prob["w_star"], signs, opt=opt, loss=loss, activation=activation)
        scores.append(float(np.mean(h)) + (extra(w) if extra else 0.0))
    best = int(np.argmax(scores))
    return cands[best], scores[best]


@claim("Theorem 2", statement="E grad^2 L~(W)[W_* S', W_* S'] <= <grad L~(W), W> - 2(L~(W) - OPT) + eps "
       "for all ||W||_{2,4} <= B_w once m satisfies (6)", section="4.2; App. B.4", pack=PACK,
       hypotheses=(hyp.LOSS, hyp.ASSUMPTION_A, hyp.SYMMETRIC, hyp.BALL, hyp.EQUATION4, hyp.IN_BALL_24, hyp.WIDTH6),
       budget_options=("draws", "replicates"))
def check_theorem2(*, rng, n_samples=128, width=256, dim=8, radius=None, input_radius=1.0, loss="logistic",
                   activation="relu3", draws=400, radius_star=None, accuracy=0.25, claimed_sign=1.0,
                   widths=(64, 128, 256, 512, 1024), claimed_exponent=-0.25, candidates=6, replicates=16,
                   sweep_draws=16, instance=None, failure_prob=FAILURE_PROB, search_evals=200):
    r"""Theorem 2: (7) by Monte Carlo at the worst W found, and the rate in m of the coupling error.

    The W is the worst (by a small Monte Carlo selection) of the candidates of :func:`_candidates` and
    the W where a worst-case search (``search_evals`` evaluations) finds (7)'s exact main part largest.

    Records:

    1. the mean over ``draws`` sign draws of :math:`h(\Sigma)`
       (:func:`boundcheck.numeric.landscape.theorem2_samples`) at the worst W found (selected on
       separate draws) against ``claimed_sign`` * ``accuracy`` (:math:`\epsilon`);
    2. the coupling error (the largest :math:`|\overline h(W) - \text{Lemma 1's exact slack at } W|`
       over a fixed family of W, the part of :math:`\epsilon` that (6) pays for) across ``widths``:
       its exponent, over ``replicates`` independent series, against the proof's :math:`m^{-1/4}`
       (``claimed_exponent``; (6) reads :math:`m \gtrsim \epsilon^{-4}`); "<=" reads "decays at least
       as fast".

    Both evaluate the width condition (6) (:func:`boundcheck.numeric.landscape.width_required_by_6`;
    record 2 at its largest width): far out of reach, so both are outside their hypotheses. The
    default :math:`\epsilon = 0.25` is met at the default width on every seed tried; the smallest
    :math:`\epsilon` there varies from about 0.01 to 0.17 with the seed (so :math:`\epsilon = 0.1`
    fails on about one seed in three, outside (6)).
    """
    constant, activation_hyp = _activation(activation)
    accuracy = validate.positive("accuracy", accuracy)
    draws = validate.integer("draws", draws, minimum=1)
    if instance is not None:
        return [_theorem2_instance(instance, rng=rng, loss=loss, activation=activation, draws=draws,
                                   accuracy=accuracy, claimed_sign=claimed_sign, failure_prob=failure_prob)]
    prob, radius, radius_star = _planted(rng, n_samples, width, dim, radius, radius_star, input_radius, loss)
    opt = ls.quadratic_risk(*_data(prob), prob["w_star"], loss=loss, activation=activation)
    cands = _candidates(prob, radius=radius, rng=rng, draws=candidates, loss=loss, activation=activation)
    cands.append(("worst-case search (Lemma 1's main part)", _main_part_search(prob, opt, cands, radius=radius,
                                                                              loss=loss, activation=activation,
                                                                              rng=rng, evals=search_evals)))
    (kind, w), _ = _worst_candidate(prob, cands, opt=opt, loss=loss, activation=activation, rng=rng,
                                    select_draws=max(8, draws // 8))
    h, _ = ls.theorem2_samples(*_data(prob), w, prob["w_star"], sample_signs(draws, width, rng=rng), opt=opt,
                               loss=loss, activation=activation)
    radius_x = hyp.input_radius_of(prob["x"])
    required = ls.width_required_by_6(accuracy, dim=dim, radius=radius, radius_star=radius_star,
                                      input_radius=radius_x, constant=constant, failure_prob=failure_prob)
    standing = _standing(prob, loss, activation_hyp, failure_prob)
    params = dict(n_samples=n_samples, width=width, dim=dim, radius=radius, radius_star=radius_star, loss=str(loss),
                  accuracy=accuracy, claimed_sign=claimed_sign, worst_kind=kind, opt=opt,
                  opt_source="L^Q(w_star) of the planted W_*", width_required_by_6=required,
                  note="variance reduced by exactly mean-zero control variates; worst W selected on separate draws")
    main = mean(h, claimed_sign * accuracy, "<=", part="(7) at the worst W found: E_Sigma h(Sigma) <= eps",
                hypotheses={**standing, **_in_ball(radius, w, prob["w_star"]), **hyp.width_condition(width, required)},
                params=params)
    if not widths:
        return [main]
    coupling, largest = ls.theorem2_coupling_sweep(
        widths, validate.integer("replicates", replicates, minimum=1), n_samples=n_samples, dim=dim, radius=radius,
        radius_star=radius_star, draws=validate.integer("sweep_draws", sweep_draws, minimum=2), rng=rng,
        input_radius=input_radius, loss=loss, activation=activation)
    sweep = rate(widths, np.maximum(coupling, 1e-300), claimed_exponent, "<=",
                 part="coupling error max_W |E h(W) - Lemma 1 slack(W)| (what Lemmas 12-14 bound), exponent in m",
                 hypotheses={**standing, **_in_ball(radius, prob["w_star"]),
                             **hyp.width_condition(max(widths), required)},
                 params=dict(claimed_exponent=claimed_exponent, proof_exponent=-0.25, radius=radius,
                             radius_star=radius_star, sweep_draws=sweep_draws,
                             epsilon_min_per_width=np.max(largest, axis=0).tolist(),
                             epsilon_min_note="largest mean of h over the family and the replicates: the smallest "
                                              "eps for which (7) holds there (point estimates)"))
    return [main, sweep]


def _theorem2_instance(instance, *, rng, loss, activation, draws, accuracy, claimed_sign, failure_prob):
    """Theorem 2's inequality (7) at the user's W (``w_move``), OPT = L^Q(w_star)."""
    constant, activation_hyp = _activation(activation)
    prob, w, radius_x = _instance_problem(instance)
    opt = ls.quadratic_risk(*_data(prob), prob["w_star"], loss=loss, activation=activation)
    m = prob["w_init"].shape[0]
    h, _ = ls.theorem2_samples(*_data(prob), w, prob["w_star"], sample_signs(draws, m, rng=rng), opt=opt, loss=loss,
                               activation=activation)
    radius, radius_star = float(norm_24(w)), float(norm_24(prob["w_star"]))
    required = ls.width_required_by_6(accuracy, dim=prob["x"].shape[1], radius=max(radius, radius_star),
                                      radius_star=radius_star, input_radius=radius_x, constant=constant,
                                      failure_prob=failure_prob)
    terms = ls.lemma1_terms(*_data(prob), w, prob["w_star"], opt=opt, loss=loss, activation=activation)
    hypotheses = {**_standing(prob, loss, activation_hyp, failure_prob),
                  **_in_ball(max(radius, radius_star), w, prob["w_star"]), **hyp.width_condition(m, required)}
    params = dict(n_samples=prob["x"].shape[0], width=m, dim=prob["x"].shape[1], radius=radius,
                  radius_star=radius_star, loss=str(loss), accuracy=accuracy, claimed_sign=claimed_sign, opt=opt,
                  opt_source="L^Q(w_star)", lemma1_slack=terms["lhs_exact"] - terms["rhs_main"],
                  width_required_by_6=required)
    return mean(h, claimed_sign * accuracy, "<=", part="(7) at the instance's W: E_Sigma h(Sigma) <= eps",
                hypotheses=hypotheses, params=params)


@claim("Corollary 3", statement="E grad^2 L~_lambda[W_* S', W_* S'] <= <grad L~_lambda, W> - 2(L~_lambda - OPT) "
       "- lambda ||W||_{2,4}^8 + C lambda ||W_*||_{2,4}^8 + eps for all ||W||_{2,4} <= B_w under the conditions "
       "of Theorem 2", section="4.2; App. B.5", pack=PACK,
       hypotheses=(hyp.LOSS, hyp.ASSUMPTION_A, hyp.SYMMETRIC, hyp.BALL, hyp.EQUATION4), budget_options=("draws",))
def check_corollary3(*, rng, n_samples=128, width=256, dim=8, radius=None, input_radius=1.0, loss="logistic",
                     activation="relu3", draws=400, radius_star=None, accuracy=0.1, claimed_sign=1.0, reg=None,
                     constant=ls.COROLLARY3_CONSTANT, candidates=6, instance=None, failure_prob=FAILURE_PROB,
                     search_evals=300):
    r"""Corollary 3 with :math:`R(W) = \lambda\|W\|_{2,4}^8`: B.5's regularizer step exactly, and the
    corollary by Monte Carlo.

    Records:

    1. :math:`\Delta_\lambda - \Delta_0 = E\nabla^2R[W_*\Sigma', W_*\Sigma'] - 6R \le -R(W) +
       C\lambda\|W_*\|^8_{2,4}` (exact, worst case over the candidate W and over :math:`W = sW_*`),
       C = ``constant`` (B.5: :math:`378\cdot14^3/5^3 \approx 8297.9`); params give the C this
       :math:`W_*` needs over all W and along the ray; the candidates include the W a derivative-free
       worst-case search finds (``search_evals`` evaluations). This algebraic
       step holds for every W: it carries the corollary's standing hypotheses only;
    2. the corollary at the worst W found: the mean of :math:`h(\Sigma) + E\nabla^2R - 6R` against
       :math:`-R(W) + C\lambda\|W_*\|^8_{2,4} +` ``claimed_sign`` * ``accuracy``, also with W in the
       ball and the width condition (6).
    """
    coef, activation_hyp = _activation(activation)
    accuracy = validate.positive("accuracy", accuracy)
    draws = validate.integer("draws", draws, minimum=1)
    if instance is not None:
        prob, w_user, _ = _instance_problem(instance)
        radius_star = float(norm_24(prob["w_star"]))
        radius = max(float(norm_24(w_user)), radius_star)
        cands = [("instance", w_user)]
    else:
        prob, radius, radius_star = _planted(rng, n_samples, width, dim, radius, radius_star, input_radius, loss)
        cands = _candidates(prob, radius=radius, rng=rng, draws=candidates, loss=loss, activation=activation)
    (n, d), m = prob["x"].shape, prob["w_init"].shape[0]
    reg = 0.1 / radius**8 if reg is None else validate.nonnegative("reg", reg)
    w_star = prob["w_star"]
    opt = ls.quadratic_risk(*_data(prob), w_star, loss=loss, activation=activation)
    star_term = constant * ls.regularizer(w_star, reg)
    points = cands + [(f"W = s W_*, s = {s:.3g}", s * w_star) for s in np.geomspace(0.05, 3.0, 40)]
    gap = lambda w_move: (ls.corollary3_regularizer_gap(w_move, w_star, reg),  # noqa: E731
                          -ls.regularizer(w_move, reg) + star_term)
    found = search_worst(gap, {"w_move": Ball24(w_star.shape, 3.0 * radius_star)}, rng=rng, restarts=1,
                         starts=[{"w_move": w_star}], max_evaluations=search_evals)
    points.append(("worst-case search", found.point["w_move"]))
    lhs = np.array([ls.corollary3_regularizer_gap(w, w_star, reg) for _, w in points])
    rhs = np.array([-ls.regularizer(w, reg) + star_term for _, w in points])
    standing = _standing(prob, loss, activation_hyp, failure_prob)
    base = dict(n_samples=n, width=m, dim=d, radius=radius, radius_star=radius_star, reg=reg, constant=constant,
                loss=str(loss), regularizer="lambda ||W||_{2,4}^8",
                rounding="4 (m + 8) eps times the magnitudes of E grad^2 R, 7 R and C lambda ||W_*||^8")
    magnitude = max(ls.regularizer_expected_form(w, w_star, reg) + 7 * ls.regularizer(w, reg) for _, w in points)
    step = worst_case(lhs, rhs, "<=", tol=4 * (m + 8) * EPS * (magnitude + abs(star_term)),
                      labels=[label for label, _ in points], hypotheses=standing,
                      part="B.5 regularizer step: Delta_lambda - Delta_0 <= -lambda||W||^8 + C lambda||W_*||^8",
                      params=dict(base, constant_needed_on_ray=ls.corollary3_needed_constant(w_star),
                                  constant_needed=needed_constant(w_star, rng=rng)["constant"], search=found.summary(),
                                  constant_note="the C this W_* needs over all W (a search over the rows' norms, "
                                                "boundcheck.numeric.regularizer; along W = s W_* only a lower bound); "
                                                "B.5's C is attained when W_* has a single nonzero row (E4)"))
    extra = lambda w: ls.corollary3_regularizer_gap(w, w_star, reg) + ls.regularizer(w, reg)  # noqa: E731
    (kind, w), _ = _worst_candidate(prob, cands, opt=opt, loss=loss, activation=activation, rng=rng,
                                    select_draws=max(8, draws // 8), extra=extra)
    h, _ = ls.theorem2_samples(*_data(prob), w, w_star, sample_signs(draws, m, rng=rng), opt=opt, loss=loss,
                               activation=activation)
    required = ls.width_required_by_6(accuracy, dim=d, radius=radius, radius_star=radius_star,
                                      input_radius=hyp.input_radius_of(prob["x"]), constant=coef,
                                      failure_prob=failure_prob)
    full = mean(h + ls.corollary3_regularizer_gap(w, w_star, reg),
                -ls.regularizer(w, reg) + star_term + claimed_sign * accuracy, "<=",
                part="the corollary at the worst W found (Monte Carlo over Sigma)",
                hypotheses={**standing, **_in_ball(radius, w, w_star), **hyp.width_condition(m, required)},
                params=dict(base, accuracy=accuracy, claimed_sign=claimed_sign, worst_kind=kind, opt=opt,
                            width_required_by_6=required))
    return [step, full]


# --------------------------------------------------------------------------------------------
# Theorem 4


def _opt_value(prob, radius_star, loss, activation):
    r"""OPT over the ball of radius :math:`B_{w,*}`, certified: ``(lower, upper, source)``.

    The bracket of :func:`boundcheck.convex.bracket.opt_bracket`; its upper end is also never above
    :math:`L^Q(W_*)` (:math:`W_*` is feasible). Should the solver fail, the trivial certified
    bracket :math:`[0, L^Q(W_*)]` (every loss here is nonnegative).
    """
    teacher = ls.quadratic_risk(*_data(prob), prob["w_star"], loss=loss, activation=activation)
    try:
        br = opt_bracket(*_data(prob), radius=radius_star, loss=loss, solver="fast", tol=1e-3, start=prob["w_star"],
                         activation=activation)
    except (ArithmeticError, ValueError, RuntimeError) as err:  # a solver failure leaves the trivial bracket
        return 0.0, teacher, f"[0, L^Q(W_*)]: opt_bracket failed ({err})"
    return float(br.lower), float(min(br.upper, teacher)), "boundcheck.convex.opt_bracket (lower, upper)"


def _theorem4_point(prob, w_hat, reg, *, rng, draws, hessian_draws, loss, activation):
    r"""At :math:`\widehat W`: per-draw :math:`L(W_0 + \widehat W\Sigma)` on ``draws`` fresh sign draws, the
    norm of the Monte Carlo gradient of :math:`\widetilde L_\lambda` and the smallest eigenvalue of its
    Hessian (Lanczos on Hessian-vector products over ``hessian_draws`` fixed sign draws)."""
    m, d = prob["w_init"].shape
    eval_signs = sample_signs(draws, m, rng=rng)
    risks = ls.network_risk(*_data(prob), w_hat, eval_signs, loss=loss, activation=activation)
    grad = ls.regularized_risk_gradient(*_data(prob), w_hat, eval_signs, reg, loss=loss, activation=activation)
    hess_signs = sample_signs(hessian_draws, m, rng=rng)

    def hvp(v):
        return ls.regularized_risk_hvp(*_data(prob), w_hat, hess_signs, reg, v, loss=loss, activation=activation)

    lam_min, _ = ls.smallest_hessian_eigenvalue(hvp, (m, d), rng=rng, tol=1e-4)
    return risks, float(np.linalg.norm(grad)), float(lam_min)


@claim("Theorem 4", statement="any approximate second-order stationary point W of L~_lambda = L~ + lambda "
       "||W||_{2,4}^8 has L~_lambda(W) <= (1+gamma) OPT + eps and ||W||_{2,4} = O(B_{w,*})",
       section="4.2; App. B.6", pack=PACK,
       hypotheses=(hyp.LOSS, hyp.ASSUMPTION_A, hyp.SYMMETRIC, hyp.BALL, hyp.EQUATION4, hyp.WIDTH6, hyp.SOSP),
       budget_options=("draws",))
def check_theorem4(*, rng, n_samples=128, width=256, dim=8, radius=None, input_radius=1.0, loss="logistic",
                   activation="relu3", draws=200, gamma=0.5, accuracy=0.1, steps=200, step_size=30.0,
                   signs_per_step=8, noise=1e-3, hessian_draws=32, constant=ls.COROLLARY3_CONSTANT,
                   bound_factor=1.0, claimed_sign=1.0, norm_factor=1.0, grad_tol=1e-2, curvature_tol=1e-2,
                   failure_prob=FAILURE_PROB):
    r"""Theorem 4 end to end: perturbed GD with fresh signs to :math:`\widehat W`, then (10) there.

    ``radius`` is :math:`B_{w,*}` (by default the planted teacher is scaled to order-1 outputs);
    OPT is bracketed over the ball of radius :math:`B_{w,*}` (:func:`_opt_value`), the regularizer
    is :math:`\lambda\|W\|_{2,4}^8` with :math:`\lambda = (2\gamma\mathrm{OPT}_{\rm lower} +
    \epsilon)/(CB_{w,*}^8)` (B.6). Records:

    1. Monte Carlo :math:`\widetilde L_\lambda(\widehat W)` against ``claimed_sign`` * ``bound_factor`` *
       :math:`((1+\gamma)\mathrm{OPT}_{\rm lower} + \epsilon)`, with the declared tolerance
       :math:`(1+\gamma)(\mathrm{OPT}_{\rm upper} - \mathrm{OPT}_{\rm lower})` (OPT is only
       bracketed: a VIOLATED verdict must clear the upper end);
    2. :math:`\|\widehat W\|_{2,4} \le` ``norm_factor`` :math:`\cdot B_{w,*}[C(1 + (2\mathrm{OPT}_{\rm upper}
       + \epsilon)/(2\gamma\mathrm{OPT}_{\rm lower} + \epsilon))]^{1/8}`, the explicit :math:`O(B_{w,*})` of B.6.

    Both evaluate whether :math:`\widehat W` is an approximate SOSP (gradient norm <= ``grad_tol``,
    smallest Hessian eigenvalue >= -``curvature_tol``) and the width condition (6) at
    :math:`B_w = 2B_{w,*}`, a necessary part of the theorem's :math:`m \ge \mathrm{poly}(\cdot)`.
    """
    coef, activation_hyp = _activation(activation)
    gamma = validate.positive("gamma", gamma)
    accuracy = validate.positive("accuracy", accuracy)
    prob, _, radius = _planted(rng, n_samples, width, dim, None,
                               None if radius is None else validate.positive("radius", radius), input_radius, loss)
    opt_low, opt_high, opt_source = _opt_value(prob, radius, loss, activation)
    reg = (2 * gamma * opt_low + accuracy) / (constant * radius**8)
    m, d = prob["w_init"].shape
    w_hat = ls.regularized_risk_descent(*_data(prob), cpl.random_in_ball(m, d, 1e-2, rng=rng), reg=reg, noise=noise,
                                        rng=rng, steps=validate.integer("steps", steps, minimum=1), step_size=step_size,
                                        sign_draws=signs_per_step, loss=loss, activation=activation,
                                        radius_cap=50 * radius, max_move=0.1 * radius)
    risks, grad_norm, lam_min = _theorem4_point(prob, w_hat, reg, rng=rng, hessian_draws=hessian_draws, loss=loss,
                                                draws=validate.integer("draws", draws, minimum=1),
                                                activation=activation)
    required = ls.width_required_by_6(accuracy, dim=dim, radius=2 * radius, radius_star=radius,
                                      input_radius=hyp.input_radius_of(prob["x"]), constant=coef,
                                      failure_prob=failure_prob)
    hypotheses = {**_standing(prob, loss, activation_hyp, failure_prob), **hyp.width_condition(width, required),
                  **hyp.approximate_sosp(grad_norm, lam_min, grad_tol=grad_tol, curvature_tol=curvature_tol)}
    params = dict(n_samples=n_samples, width=width, dim=dim, radius_star=radius, loss=str(loss), gamma=gamma,
                  accuracy=accuracy, reg=reg, regularizer="lambda ||W||_{2,4}^8", opt_lower=opt_low,
                  opt_upper=opt_high, opt_source=opt_source, steps=steps, step_size=step_size, grad_norm=grad_norm,
                  smallest_hessian_eigenvalue=lam_min, sosp_tolerances=dict(gradient=grad_tol, curvature=curvature_tol),
                  norm_24=float(norm_24(w_hat)), width_required_by_6=required,
                  quadratic_risk=ls.quadratic_risk(*_data(prob), w_hat, loss=loss, activation=activation))
    gap = bound_factor * (1 + gamma) * (opt_high - opt_low)
    risk = mean(risks + ls.regularizer(w_hat, reg), claimed_sign * bound_factor * ((1 + gamma) * opt_low + accuracy),
                "<=", tolerance=gap if gap > 0 else 0.0,
                tolerance_reason="OPT is only bracketed: (1+gamma)(OPT_upper - OPT_lower)" if gap > 0 else None,
                part="L~_lambda(W_hat) <= (1+gamma) OPT + eps", hypotheses=hypotheses,
                params=dict(params, bound_factor=bound_factor, claimed_sign=claimed_sign))
    norm_bound = ls.theorem4_norm_bound(radius, gamma=gamma, accuracy=accuracy, opt_lower=opt_low,
                                        opt_upper=opt_high, constant=constant)
    norm = exact(norm_24(w_hat), norm_factor * norm_bound, "<=", hypotheses=hypotheses,
                 part="||W_hat||_{2,4} <= B_w* [C(1 + (2 OPT + eps)/(2 gamma OPT + eps))]^(1/8)",
                 params=dict(params, norm_factor=norm_factor))
    return [risk, norm]
