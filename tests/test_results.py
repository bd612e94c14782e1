import math

import numpy as np
import pytest
from scipy import stats

from boundcheck import results as res
from boundcheck.results import (HOLDS, INCONCLUSIVE, VIOLATED, CheckResult, calibrate, decide, exact, fit_power_law,
                                mean, mean_interval, paired, proportion, rate, worst_case)


def test_mean_interval_matches_scipy(rng):
    s = rng.normal(size=50)
    centre, (lo, hi) = mean_interval(s, 0.9)
    want = stats.t.interval(0.9, df=49, loc=s.mean(), scale=stats.sem(s))
    assert (lo, hi) == pytest.approx(want)
    assert centre == pytest.approx(s.mean())


@pytest.mark.parametrize("interval,relation,verdict", [
    ((0.1, 0.4), "<=", HOLDS), ((0.6, 0.9), "<=", VIOLATED), ((0.4, 0.6), "<=", INCONCLUSIVE),
    ((0.6, 0.9), ">=", HOLDS), ((0.1, 0.4), ">=", VIOLATED), ((0.4, 0.6), ">=", INCONCLUSIVE),
])
def test_interval_rule_for_inequalities(interval, relation, verdict):
    assert decide(sum(interval) / 2, 0.5, relation, interval) == verdict


@pytest.mark.parametrize("interval,verdict", [
    ((0.48, 0.52), HOLDS),          # inside the band [0.45, 0.55]
    ((0.40, 0.60), INCONCLUSIVE),   # contains the claim but is wider than the band
    ((0.56, 0.70), VIOLATED),       # misses the band
    ((0.30, 0.44), VIOLATED),
    ((0.50, 0.58), INCONCLUSIVE),   # overlaps the band's edge
])
def test_equality_is_equivalence(interval, verdict):
    assert decide(sum(interval) / 2, 0.5, "==", interval, margin=0.05) == verdict


@pytest.mark.parametrize("interval", [(-math.inf, math.inf), (0.5, 0.5), (math.nan, 1.0)])
def test_infinite_or_degenerate_interval_never_decides(interval):
    for relation in ("<=", ">=", "=="):
        assert decide(0.5, 0.5, relation, interval, margin=1.0) == INCONCLUSIVE


def test_tolerance_only_protects_against_violated():
    # a '<=' record whose interval sits just above the bound: VIOLATED without tolerance,
    # INCONCLUSIVE with a tolerance that covers the gap; HOLDS is never made easier
    assert decide(0.55, 0.5, "<=", (0.52, 0.58)) == VIOLATED
    assert decide(0.55, 0.5, "<=", (0.52, 0.58), tolerance=0.1) == INCONCLUSIVE
    assert decide(0.45, 0.5, "<=", (0.42, 0.52), tolerance=0.1) == INCONCLUSIVE


def test_exact_rule_with_tolerance():
    assert exact(1.0 + 1e-13, 1.0, "<=", tol=1e-12).verdict == HOLDS
    assert exact(1.0 + 1e-11, 1.0, "<=", tol=1e-12).verdict == VIOLATED
    assert exact(2.0, 1.0, "<=").margin == -1.0
    assert exact(math.inf, 1.0, "<=").verdict == VIOLATED  # an unbounded supremum is an exact value
    assert exact(math.nan, 1.0, "<=").verdict == INCONCLUSIVE
    assert exact(1.0, math.inf, "<=").verdict == INCONCLUSIVE  # a vacuous bound proves nothing
    eq = exact(1.0, 1.0 + 1e-15, "==", tol=1e-14)
    assert eq.verdict == HOLDS and eq.params["equivalence_margin"] == 1e-14


def test_mean_point_estimate_alone_never_decides(rng):
    s = rng.normal(loc=0.95, scale=1.0, size=20)
    rec = mean(s, 1.0, "<=")
    assert rec.interval[0] < 1.0 < rec.interval[1]
    assert rec.verdict == INCONCLUSIVE


def test_equality_needs_a_declared_margin(rng):
    with pytest.raises(ValueError, match="margin"):
        mean(rng.normal(size=10), 0.0, "==")
    with pytest.raises(ValueError, match="margin_reason"):
        mean(rng.normal(size=10), 0.0, "==", margin=0.1)
    rec = mean(rng.normal(size=10), 0.0, "==", margin=0.1, margin_reason="test", part="E z = 0")
    assert rec.params["equivalence_margin"] == 0.1 and "±0.1" in rec.params["part"]


def test_sign_flipped_identity_is_not_held(rng):
    # an identity whose target is small against the noise must not HOLD with its sign flipped
    samples = 6e-4 + rng.normal(scale=0.05, size=20000)
    true = mean(samples, 6e-4, "==", margin=0.05 * 6e-4, margin_reason="5% relative")
    flipped = mean(samples, -6e-4, "==", margin=0.05 * 6e-4, margin_reason="5% relative")
    assert true.verdict == INCONCLUSIVE and flipped.verdict != HOLDS


@pytest.mark.parametrize("draws", [1, 2])
def test_too_few_draws_never_hold(draws, rng):
    samples = 150.0 + rng.normal(scale=50.0, size=draws)
    rec = mean(samples, 150.8, "==", margin=1.5, margin_reason="1% relative")
    assert rec.verdict == INCONCLUSIVE


def test_constant_draws_are_degenerate():
    assert mean(np.ones(100), 2.0, "<=").verdict == INCONCLUSIVE


def test_nonfinite_draw_is_inconclusive():
    assert mean(np.array([1.0, 2.0, np.inf]), 10.0, "<=").verdict == INCONCLUSIVE


def test_paired_samples_use_the_difference(rng):
    base = rng.normal(size=200) * 10  # large common noise cancels in the pairing
    gap = 0.1 + 0.01 * rng.normal(size=200)
    assert paired(base, base + gap, "<=").verdict == HOLDS
    assert paired(base, base - gap, "<=").verdict == VIOLATED
    # the unpaired comparison of the same numbers cannot resolve it
    assert mean(base, float(np.mean(base + gap)), "<=").verdict == INCONCLUSIVE


def test_with_claimed_plants_on_the_same_evidence(rng):
    lhs = 1.0 + rng.normal(size=500)
    rhs = 2.0 + lhs + 0.1 * rng.normal(size=500)
    rec = paired(lhs, rhs, "<=", level=0.99)
    assert rec.verdict == HOLDS
    planted = rec.with_claimed(0.7)  # the bound scaled to 0.7 / 3: below the true mean 1
    want_d = 0.7 / rhs.mean() * rhs - lhs
    lo, hi = stats.t.interval(0.99, df=499, loc=want_d.mean(), scale=stats.sem(want_d))
    assert planted.interval == pytest.approx((0.7 - hi, 0.7 - lo))
    assert planted.verdict == VIOLATED and planted.params["level"] == 0.99
    ex = exact(1.0, 2.0, "<=").with_claimed(0.5)
    assert ex.verdict == VIOLATED and "planted" in ex.params


def test_proportion_uses_clopper_pearson():
    rec = proportion(3, 100, 0.1, "<=", level=0.95)
    ci = stats.binomtest(3, 100).proportion_ci(confidence_level=0.95, method="exact")
    assert rec.interval == pytest.approx((ci.low, ci.high))
    assert rec.verdict == HOLDS
    assert proportion(30, 100, 0.1, "<=").verdict == VIOLATED
    assert proportion(0, 1, 0.5, "<=").verdict == INCONCLUSIVE  # one trial cannot hold a 50% claim


def test_worst_case_reports_worst_point():
    rec = worst_case([1.0, 3.0, 2.0], [4.0, 3.5, 5.0], "<=", labels=["random", "search", "trajectory"])
    assert rec.lhs == 3.0 and rec.params["worst_point"] == 1 and rec.verdict == HOLDS
    assert rec.params["worst_found_by"] == "search"
    assert worst_case([1.0, 3.0], [4.0, 2.9], "<=").verdict == VIOLATED
    assert worst_case([1.0, np.nan], [4.0, 2.9], "<=").verdict == INCONCLUSIVE


def test_power_law_fit_recovers_exponent(rng):
    xs = np.array([16, 32, 64, 128, 256, 512.0])
    ys = 3.0 * xs**-0.25 * np.exp(rng.normal(scale=0.01, size=xs.size))
    slope, (lo, hi), const = fit_power_law(xs, ys)
    assert lo < -0.25 < hi and const == pytest.approx(3.0, rel=0.05)
    kw = dict(margin=0.05, margin_reason="test")
    assert rate(xs, ys, -0.25, "==", **kw).verdict == HOLDS
    assert rate(xs, ys, -0.5, "==", **kw).verdict == VIOLATED
    assert rate(xs, ys, -0.5, "<=").verdict == VIOLATED
    assert rate(xs, ys, -0.2, "<=").verdict == HOLDS


def test_replicate_rate_interval_is_t_over_slopes(rng):
    xs = np.array([64, 128, 256, 512, 1024.0])
    ys = np.array([xs**-0.5 * np.exp(rng.normal(scale=0.05, size=xs.size)) for _ in range(6)])
    rec = rate(xs, ys, -0.5, "==", margin=0.1, margin_reason="test", level=0.9)
    slopes = [stats.linregress(np.log(xs), np.log(row)).slope for row in ys]
    want = stats.t.interval(0.9, df=5, loc=np.mean(slopes), scale=stats.sem(slopes))
    assert rec.interval == pytest.approx(want)
    assert rec.params["replicates"] == 6 and rec.verdict == HOLDS
    assert rate(xs, ys[:1], -0.5, "==", margin=0.1, margin_reason="test").verdict == INCONCLUSIVE


def test_wide_rate_interval_is_not_held(rng):
    xs = np.array([8.0, 16.0, 32.0])
    ys = xs**-0.5 * np.exp(rng.normal(scale=0.5, size=3))  # three noisy points: a very wide interval
    rec = rate(xs, ys, -0.5, "==", margin=0.1, margin_reason="test")
    assert rec.interval[1] - rec.interval[0] > 1.0 and rec.verdict == INCONCLUSIVE
    # an interval that holds both -1/2 and 0 cannot confirm either
    assert rate(xs, ys, 0.0, "==", margin=0.1, margin_reason="test").verdict != HOLDS


def test_nonpositive_values_give_no_fit():
    rec = rate([1.0, 2.0, 4.0], [1.0, 0.0, 0.5], -1.0, "<=")
    assert rec.verdict == INCONCLUSIVE and "note_unfitted" in rec.params


def test_at_level_recomputes_from_evidence(rng):
    s = rng.normal(loc=0.0, scale=1.0, size=400)
    rec = mean(s, 0.12, "<=", level=0.9)
    wide = rec.at_level(0.9999)
    assert wide.interval[1] - wide.interval[0] > rec.interval[1] - rec.interval[0]
    want = stats.t.interval(0.9999, df=399, loc=s.mean(), scale=stats.sem(s))
    assert wide.interval == pytest.approx(want) and wide.params["level"] == 0.9999


def test_calibrate_spends_alpha_over_interval_records(rng):
    recs = [mean(rng.normal(size=50), 5.0, "<="), exact(1.0, 2.0, "<="), proportion(1, 50, 0.5, "<="),
            exact(1.0, 2.0, "<=", chance=0.01)]
    out = calibrate(recs, 0.05)
    levels = [r.params.get("level") for r in out]
    assert levels[1] is None and levels[3] is None
    assert levels[0] == pytest.approx(1 - 0.04 / 2) and levels[2] == pytest.approx(1 - 0.04 / 2)
    with pytest.raises(ValueError, match="spend"):
        calibrate([exact(1.0, 2.0, "<=", chance=0.05), recs[0]], 0.05)


def test_calibrated_run_controls_the_chance_of_any_false_violated():
    # 30 true '<=' claims with the bound exactly at the true mean (the least favourable case):
    # per-record 95% intervals give many runs with a false VIOLATED; a calibrated run at most ~5%
    rng = np.random.default_rng(12345)
    runs, raw_any, cal_any = 400, 0, 0
    for _ in range(runs):
        recs = [mean(rng.normal(size=30), 0.0, "<=") for _ in range(30)]
        raw_any += any(r.verdict == VIOLATED for r in recs)
        cal_any += any(r.verdict == VIOLATED for r in calibrate(recs, 0.05))
    assert raw_any / runs > 0.3
    upper = stats.binomtest(cal_any, runs).proportion_ci(0.95).high
    assert cal_any / runs <= 0.05 and upper < 0.1


def test_hypotheses_label_but_keep_the_verdict():
    rec = exact(2.0, 1.0, "<=", hypotheses={"width condition (6)": False, "loss": True})
    assert rec.verdict == VIOLATED and not rec.within_hypotheses and not rec.counts_against_paper
    assert rec.reading == "fails, but width condition (6) is not met"
    held = exact(0.5, 1.0, "<=", hypotheses={"width condition (6)": False})
    assert held.reading == "holds although width condition (6) is not met"


def test_record_json_round_trip(rng):
    rec = mean(rng.normal(size=20), 1.0, "<=", part="p")
    d = rec.to_dict()
    assert list(d) == ["claim", "lhs", "rhs", "relation", "margin", "verdict", "interval", "params", "seed"]
    back = CheckResult.from_dict(d)
    assert back.interval == pytest.approx(rec.interval) and back.kind == "mean"
    assert back.at_level(0.99).interval == pytest.approx(rec.at_level(0.99).interval)
    assert exact(math.inf, 1.0, "<=").to_dict()["lhs"] == "inf"


def test_no_other_code_decides_a_verdict():
    # the package's modules make records only through the constructors of boundcheck.results
    import pathlib
    import re

    root = pathlib.Path(res.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "results.py":
            continue
        text = path.read_text()
        if re.search(r"\.verdict\s*=[^=]|CheckResult\(|\bdecide\(", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_noninferiority_margin_for_an_attained_rate(rng):
    # an O(m^-1) bound whose exponent is exactly -1: '<=' without a margin can never hold
    xs = np.array([64, 128, 256, 512, 1024.0])
    ys = np.array([xs**-1.0 * np.exp(rng.normal(scale=0.02, size=xs.size)) for _ in range(8)])
    assert rate(xs, ys, -1.0, "<=").verdict == INCONCLUSIVE
    rec = rate(xs, ys, -1.0, "<=", margin=0.05, margin_reason="finite-size bias below 0.01")
    assert rec.verdict == HOLDS and rec.params["noninferiority_margin"] == 0.05
    assert "non-inferiority margin +0.05" in rec.params["part"]
    assert rate(xs, ys, -1.2, "<=", margin=0.05, margin_reason="test").verdict == VIOLATED  # claim too fast
    assert rate(xs, ys, -0.5, "<=", margin=0.05, margin_reason="test").verdict == HOLDS  # a weaker bound
    with pytest.raises(ValueError, match="margin_reason"):
        rate(xs, ys, -1.0, "<=", margin=0.05)
