r"""Section 3 scalings and the coupling lemmas of Appendix B.2-B.3 (Lemmas 10-14).

Each lemma gives two kinds of record: the measured quantity against its bound with the proof's
constants (:mod:`boundcheck.numeric.coupling`), and the measured quantity's fitted exponent in m
(at a fixed :math:`\|W\|_{2,4}`) against the exponent the lemma claims; ``faster_by`` in the
params says how much faster than claimed the measured quantity decays (how loose the rate is).

The movement W of the sweeps is :func:`boundcheck.numeric.coupling.aligned_move` (rows of norm
:math:`\propto m^{-1/4}`, chosen so that :math:`f^Q_W` is order 1), the regime of Section 3.
"""

from __future__ import annotations

import numpy as np

from .. import _validate as validate
from ..losses import get_loss
from ..network import TaylorModel, norm_24, quadratic_model, sample_signs
from ..numeric import coupling as cpl
from ..numeric import landscape as ls
from ..run.registry import register
from ..results import CheckResult, mean_interval
from .landscape import assumption_constant

WIDTHS = (64, 128, 256, 512, 1024, 2048)


def _setting(rng, n_samples, width, dim, radius, input_radius, loss, kind="aligned"):
    """A planted problem (labels, W_*) and a movement W of (2,4)-norm ``radius``."""
    width = validate.even_width("width", width)
    radius = validate.positive("radius", radius)
    prob = cpl.planted_problem(n_samples, width, dim, radius_star=radius, input_radius=input_radius, loss=loss,
                              rng=rng)
    if kind == "aligned":
        w = cpl.aligned_move(prob["w_out"], dim, radius, rng=rng, directions=2)
    else:
        w = cpl.random_in_ball(width, dim, radius, rng=rng, min_fraction=1.0)
    return prob, w


def _from_instance(instance, required=("x", "w_init", "w_out", "y", "w_move", "w_star")):
    """``(prob, w_move, input_radius)`` from the user's arrays (dict or npz path)."""
    from .landscape import _instance_arrays

    arrays = _instance_arrays(instance, required)
    prob = {k: arrays[k] for k in ("x", "y", "w_init", "w_out", "w_star") if k in arrays}
    return prob, arrays["w_move"], float(np.mean(np.linalg.norm(arrays["x"], axis=1)))


def _linear_second_moment(prob, w, activation):
    r""":math:`E_\Sigma f^L_{W\Sigma}(x_i)^2 = \frac1m\sum_r\sigma'(p_{ir})^2u_{ir}^2` per sample, exactly."""
    model = TaylorModel(prob["x"], prob["w_init"], prob["w_out"], activation=activation)
    return model.sign_moments(w, orders=(1,))[1]


def _sides(prob, w, draws, rng, loss, activation):
    signs = sample_signs(draws, prob["w_init"].shape[0], rng=rng)
    return ls.randomized_sides(prob["x"], prob["y"], prob["w_init"], prob["w_out"], w, prob["w_star"], signs,
                               loss=loss, activation=activation)


def _fit(claim, widths, values, claimed, level, part, bound_exponent=None, relation="<="):
    rec = CheckResult.from_fit(claim, list(widths), list(values), claimed, relation, level=level,
                               params=dict(part=part, claimed_exponent=claimed))
    rec.params["faster_by"] = claimed - rec.lhs
    rec.params["faster_note"] = "claimed exponent minus fitted exponent: > 0 means the bound's rate is loose"
    if bound_exponent is not None:
        rec.params["bound_exponent"] = bound_exponent
    return rec


def _ctx(prob, w, input_radius, activation):
    return cpl.bound_context(prob["w_init"], w, prob["w_star"], input_radius=input_radius,
                            constant=assumption_constant(activation))


def _loss_params(loss):
    lo = get_loss(loss)
    out = dict(loss=lo.name)
    if not lo.meets_paper_hypotheses:
        out["note"] = "squared loss: |l'| <= 1 fails, the lemma's proof does not cover it"
    return out


# --------------------------------------------------------------------------------------------


@register("Section 3 scalings", statement="with ||w_r|| ~ m^-1/4: E f^L = 0, f^L ~ m^-1/4, f^Q ~ 1",
          section="3")
def check_section3_scalings(*, rng, n_samples=256, width=512, dim=8, radius=2.0, input_radius=1.0,
                            activation="relu3", draws=2000, level=0.95, widths=WIDTHS, linear_exponent=-0.25,
                            quadratic_exponent=0.0, replicates=8):
    r"""Section 3: the randomized linear term has mean zero and size :math:`m^{-1/4}`; the quadratic
    term is order 1 (for W of fixed :math:`\|W\|_{2,4}`, i.e. :math:`\|w_r\| \sim m^{-1/4}`).

    Records (exponents: mean and t-interval over ``replicates`` independent sweeps over ``widths``):
    the Monte Carlo mean of :math:`f^L_{W\Sigma}(x_1)` against 0 ("=="); the fitted exponent
    of :math:`(\frac1n\sum_iE_\Sigma f^L_{W\Sigma}(x_i)^2)^{1/2}` (exact: :math:`\frac1m\sum_r\sigma'(p)^2u^2`)
    against ``linear_exponent``; the fitted exponent of the root mean square of :math:`f^Q_W` against
    ``quadratic_exponent`` (both "==": the claimed exponent inside the interval). For W with
    independent random rows :math:`f^Q` is only :math:`m^{-1/2}` (reported in params): "order 1"
    needs rows aligned across neurons.
    """
    prob, w = _setting(rng, n_samples, width, dim, radius, input_radius, "logistic")
    signs = sample_signs(validate.integer("draws", draws, minimum=2), prob["w_init"].shape[0], rng=rng)
    sides = ls.randomized_sides(prob["x"][:1], prob["y"][:1], prob["w_init"], prob["w_out"], w, prob["w_star"],
                                signs, activation=activation)
    base = dict(n_samples=n_samples, dim=dim, radius=radius, activation=str(activation))
    mean_rec = CheckResult.from_samples("Section 3 scalings", sides["linear"][:, 0], 0.0, "==", level=level,
                                        params=dict(base, width=width, part="E_Sigma f^L_{W Sigma}(x_1) = 0"))
    replicates = validate.integer("replicates", replicates, minimum=2)
    lin, quad, quad_random = (np.zeros((replicates, len(widths))) for _ in range(3))
    for rep in range(replicates):  # independent replicate sweeps
        for j, m in enumerate(widths):  # a loop over widths (sweep cells)
            prob, w = _setting(rng, n_samples, m, dim, radius, input_radius, "logistic")
            model = TaylorModel(prob["x"], prob["w_init"], prob["w_out"], activation=activation)
            lin[rep, j] = np.sqrt(np.mean(model.sign_moments(w, orders=(1,))[1]))
            # f^Q(x) = sum_r c_r over the K moving neurons (i.i.d.): K/(K-1) [(sum c)^2 - sum c^2] is
            # unbiased for (K E c)^2, the square of the limit, without the O(1/K) variance term that
            # would bias the fitted exponent
            c = model.neuron_terms(w, 2)
            k = int(np.count_nonzero(np.any(w != 0, axis=1)))
            u_stat = (c.sum(axis=1) ** 2 - np.sum(c * c, axis=1)) * k / (k - 1)
            quad[rep, j] = np.sqrt(max(float(np.mean(u_stat)), 1e-300))
            w_random = cpl.random_in_ball(m, dim, radius, rng=rng, min_fraction=1.0)
            quad_random[rep, j] = np.sqrt(np.mean(model.value(w_random, orders=(2,)) ** 2))
    lin_rec = cpl.replicate_slope_record("Section 3 scalings", widths, lin, linear_exponent, "==", level=level,
                                        params=dict(base, part="size of f^L: (mean_i E_Sigma f^L(x_i)^2)^1/2 ~ m^-1/4"))
    quad_rec = cpl.replicate_slope_record("Section 3 scalings", widths, quad, quadratic_exponent, "==", level=level,
                                         params=dict(base, part="size of f^Q (aligned rows): O(1)"))
    random_rec = cpl.replicate_slope_record("Section 3 scalings", widths, quad_random, -0.5, "==", level=level)
    quad_rec.params.update(random_rows_exponent=random_rec.lhs, random_rows_interval=list(random_rec.interval),
                           random_rows_note="independent random rows: f^Q ~ m^-1/2, the paper's O(1) is an upper bound")
    return [mean_rec, lin_rec, quad_rec]


@register("Lemma 10", statement="|f^Q_W(x)| <= O(sqrt(d) B_x^2 ||W||_{2,4}^2) for all x", section="App. B.2")
def check_lemma10(*, rng, n_samples=256, width=512, dim=8, radius=2.0, input_radius=1.0, activation="relu3",
                  draws=8, bound_factor=1.0, instance=None):
    r"""Lemma 10: :math:`\max_i|f^Q_W(x_i)| \le \frac C2 tB_x^2\|W\|_{2,4}^2` (explicit form of the proof),
    worst case over aligned and random W (``draws`` of each). ``bound_factor`` rescales the bound."""
    if instance is not None:  # the user's W only
        prob, w_user, input_radius = _from_instance(instance, ("x", "w_init", "w_out", "w_move"))
        moves = [w_user]
        width, dim, radius = prob["w_init"].shape[0], prob["x"].shape[1], float(norm_24(w_user))
        prob.setdefault("w_star", w_user)
    else:
        prob, _ = _setting(rng, n_samples, width, dim, radius, input_radius, "logistic")
        moves = [cpl.aligned_move(prob["w_out"], dim, radius, rng=rng, directions=1 + k % 3) for k in range(draws)]
        moves += [cpl.random_in_ball(width, dim, radius, rng=rng) for _ in range(draws)]
    lhs = [float(np.max(np.abs(quadratic_model(prob["x"], prob["w_init"], prob["w_out"], w, activation=activation))))
           for w in moves]  # a loop over candidate W
    rhs = [bound_factor * cpl.lemma10_bound(_ctx(prob, w, input_radius, activation)) for w in moves]
    rec = CheckResult.worst_case("Lemma 10", lhs, rhs, "<=",
                                 params=dict(width=width, dim=dim, radius=radius, bound_factor=bound_factor,
                                             tightness=float(np.max(np.array(lhs) / np.array(rhs) * bound_factor)),
                                             t=_ctx(prob, moves[0], input_radius, activation)["t"]))
    return rec


@register("Lemma 11", statement="E f^L_{W S} = 0, E (f^L)^2 <= O(d B_x^2 ||W||^2 m^-1/2); |f - f^L - f^Q| <= "
          "O(B_x^3 ||W||^3 m^-1/4)", section="App. B.2")
def check_lemma11(*, rng, n_samples=128, width=512, dim=8, radius=2.0, input_radius=1.0, activation="relu3",
                  draws=100, level=0.95, widths=WIDTHS, bound_factor=1.0, claimed_exponents=(-0.5, -0.25),
                  replicates=3, instance=None):
    r"""Lemma 11 (a) and (b): bounds with the proof's constants, and the rates in m.

    (a) :math:`\max_iE_\Sigma f^L_{W\Sigma}(x_i)^2` (exact) :math:`\le C^2t^4B_x^2N^2m^{-1/2}`;
    (b) :math:`\max_{\Sigma, i}|\Delta|` over ``draws`` sign draws :math:`\le \frac C6B_x^3N^3m^{-1/4}`.
    Fits: (a) against :math:`m^{-1/2}` (the measured one matches), (b) against :math:`m^{-1/4}`
    (:math:`\Delta` is odd in :math:`\Sigma` at third order, so it is typically :math:`m^{-3/4}`).
    """
    def measure(m, prob=None, w=None):
        if prob is None:
            prob, w = _setting(rng, n_samples, m, dim, radius, input_radius, "logistic")
        second = _linear_second_moment(prob, w, activation)
        delta = np.abs(_sides(prob, w, draws, rng, "logistic", activation)["remainder"])
        # worst case for the bound records; sample means for the rates (the max over x is noisier)
        return float(np.max(second)), float(np.max(delta)), float(np.mean(second)), float(np.mean(delta)), prob, w

    def second_moment(m):
        prob, w = _setting(rng, n_samples, m, dim, radius, input_radius, "logistic")
        return float(np.mean(_linear_second_moment(prob, w, activation)))

    if instance is not None:  # the user's arrays: bound records only, no sweep
        prob, w, input_radius = _from_instance(instance, ("x", "w_init", "w_out", "w_move"))
        prob.setdefault("y", np.ones(prob["x"].shape[0]))
        prob.setdefault("w_star", w)
        width, dim, radius, widths = prob["w_init"].shape[0], prob["x"].shape[1], float(norm_24(w)), ()
        second, delta, _, _, prob, w = measure(width, prob, w)
    else:
        second, delta, _, _, prob, w = measure(width)
    ctx = _ctx(prob, w, input_radius, activation)
    base = dict(width=width, dim=dim, radius=radius, bound_factor=bound_factor)
    rec_a = CheckResult.exact("Lemma 11", second, bound_factor * cpl.lemma11a_bound(ctx), "<=",
                              params=dict(base, part="(a) max_i E_Sigma f^L(x_i)^2 <= C^2 t^4 B_x^2 ||W||^2 m^-1/2",
                                          tightness=second / cpl.lemma11a_bound(ctx)))
    rec_b = CheckResult.exact("Lemma 11", delta, bound_factor * cpl.lemma11b_bound(ctx), "<=",
                              params=dict(base, part="(b) max_{Sigma,i} |f - f^L - f^Q| <= (C/6) B_x^3 ||W||^3 m^-1/4",
                                          n_sign_draws=draws, tightness=delta / cpl.lemma11b_bound(ctx)))
    records = [rec_a, rec_b]
    if widths:
        # independent replicate sweeps, each a loop over widths (sweep cells); (a) is exact and cheap,
        # so it gets more replicates than (b), which needs Monte Carlo over signs
        second = np.array([[second_moment(m) for m in widths] for _ in range(4 * replicates)])
        deltas = np.array([[measure(m)[3] for m in widths] for _ in range(replicates)])
        rec_a = cpl.replicate_slope_record("Lemma 11", widths, second, claimed_exponents[0], "==", level=level,
                                          params=dict(part="(a) rate of mean_i E_Sigma f^L(x_i)^2 (exact; the rate "
                                                           "is attained, so '==')", bound_exponent=-0.5))
        rec_b = cpl.replicate_slope_record("Lemma 11", widths, deltas, claimed_exponents[1], "<=", level=level,
                                          params=dict(part="(b) rate of mean |f - f^L - f^Q| over draws and samples",
                                                      bound_exponent=-0.25))
        for rec in (rec_a, rec_b):
            rec.params["faster_by"] = rec.rhs - rec.lhs
        records += [rec_a, rec_b]
    return records


def _mc_claim(label, samples, bound, level, params):
    """|E samples| <= bound from a Monte Carlo mean: the side of zero the mean is on decides the sign."""
    samples = np.asarray(samples)
    sign = 1.0 if np.mean(samples) >= 0 else -1.0
    return CheckResult.from_samples(label, sign * samples, bound, "<=", level=level, params=params)


def _coupling_lemma(label, key, bound_fn, *, rng, n_samples, width, dim, radius, input_radius, loss, activation,
                    draws, level, widths, bound_factor, claimed_exponent, part, instance=None):
    def measure(m, setting=None):
        prob, w = _setting(rng, n_samples, m, dim, radius, input_radius, loss) if setting is None else setting
        s = _sides(prob, w, draws, rng, loss, activation)
        if key == "risk":
            samples = s["risk"] - s["quadratic_risk"] - s["control"]
        elif key == "grad":
            samples = s["grad_inner"] - s["quadratic_grad_inner"] - s["control"]
        else:
            samples = s["hess_form"] - s["quadratic_hess_form"] - s["hess_control"]
        return samples, prob, w

    if instance is not None:  # the user's arrays: the bound record only, no sweep
        prob, w, input_radius = _from_instance(instance)
        samples, _, _ = measure(prob["w_init"].shape[0], (prob, w))
        width, dim, n_samples = prob["w_init"].shape[0], prob["x"].shape[1], prob["x"].shape[0]
        radius = float(norm_24(w))
        widths = ()
    else:
        samples, prob, w = measure(width)
    bound = bound_fn(_ctx(prob, w, input_radius, activation))
    mean, (lo, hi) = mean_interval(samples, level)
    params = dict(width=width, dim=dim, radius=radius, n_samples=n_samples, bound_factor=bound_factor, part=part,
                  unscaled_bound=bound, tightness=abs(mean) / bound,
                  variance_reduction="exactly mean-zero control variate subtracted", **_loss_params(loss))
    records = [_mc_claim(label, samples, bound_factor * bound, level, params)]
    if widths:
        values = []
        for m in widths:  # a loop over widths (sweep cells)
            smp = measure(m)[0]
            values.append(abs(float(np.mean(smp))))
        rec = _fit(label, widths, values, claimed_exponent, level, f"rate in m of |{part.split(' <=')[0]}|",
                   bound_exponent=-0.25)
        records.append(rec)
    return records


@register("Lemma 12", statement="|L~(W) - L^Q(W)| <= O(B_x^2 ||W|| m^-1/4 + ...)", section="App. B.3")
def check_lemma12(*, rng, n_samples=128, width=512, dim=8, radius=2.0, input_radius=1.0, loss="logistic",
                  activation="relu3", draws=400, level=0.95, widths=WIDTHS, bound_factor=1.0, claimed_exponent=-0.25,
                  instance=None):
    r"""Lemma 12: :math:`|\widetilde L(W) - L^Q(W)| \le S_{12}` (Monte Carlo over :math:`\Sigma`, with the
    mean-zero control :math:`\frac1n\sum\ell'(f^Q)f^L_{W\Sigma}`); fitted rate against :math:`m^{-1/4}`
    (the second-order term :math:`\frac12E\ell''(f^L)^2` makes it typically :math:`m^{-1/2}`)."""
    return _coupling_lemma("Lemma 12", "risk", cpl.lemma12_bound, rng=rng, n_samples=n_samples, width=width, dim=dim,
                           radius=radius, input_radius=input_radius, loss=loss, activation=activation, draws=draws,
                           level=level, widths=widths, bound_factor=bound_factor, claimed_exponent=claimed_exponent,
                           instance=instance, part="L~(W) - L^Q(W) <= S_12 (B.3)")


@register("Lemma 13", statement="|<grad L~(W) - grad L^Q(W), W>| <= O(... m^-1/4 + ... m^-1/2)", section="App. B.3")
def check_lemma13(*, rng, n_samples=128, width=512, dim=8, radius=2.0, input_radius=1.0, loss="logistic",
                  activation="relu3", draws=400, level=0.95, widths=WIDTHS, bound_factor=1.0, claimed_exponent=-0.25,
                  instance=None):
    r"""Lemma 13: :math:`|\langle\nabla\widetilde L(W) - \nabla L^Q(W), W\rangle|` against the sum of the
    bounds on terms I, II, III of the proof; fitted rate against :math:`m^{-1/4}`."""
    return _coupling_lemma("Lemma 13", "grad", cpl.lemma13_bound, rng=rng, n_samples=n_samples, width=width, dim=dim,
                           radius=radius, input_radius=input_radius, loss=loss, activation=activation, draws=draws,
                           level=level, widths=widths, bound_factor=bound_factor, claimed_exponent=claimed_exponent,
                           instance=instance, part="<grad L~(W) - grad L^Q(W), W> <= I + II + III (B.3)")


@register("Lemma 14", statement="|E_S'[(grad^2 L~ - grad^2 L^Q)(W)[W_* S', W_* S']]| <= O(... m^-1/4 ...)",
          section="App. B.3")
def check_lemma14(*, rng, n_samples=128, width=512, dim=8, radius=2.0, input_radius=1.0, loss="logistic",
                  activation="relu3", draws=400, level=0.95, widths=WIDTHS, bound_factor=1.0, claimed_exponent=-0.25,
                  instance=None):
    r"""Lemma 14: :math:`|E_{\Sigma'}(\nabla^2\widetilde L - \nabla^2L^Q)(W)[W_*\Sigma', W_*\Sigma']|`
    (exact over :math:`\Sigma'`, Monte Carlo over :math:`\Sigma` with a mean-zero control) against
    :math:`I(L) + I(L^Q) + |II(L) - II(L^Q)|` of the proof; fitted rate against :math:`m^{-1/4}`."""
    return _coupling_lemma("Lemma 14", "hess", cpl.lemma14_bound, rng=rng, n_samples=n_samples, width=width, dim=dim,
                           radius=radius, input_radius=input_radius, loss=loss, activation=activation, draws=draws,
                           level=level, widths=widths, bound_factor=bound_factor, claimed_exponent=claimed_exponent,
                           instance=instance, part="Hessian-form difference <= I(L) + I(L^Q) + |II(L) - II(L^Q)| (B.3)")
