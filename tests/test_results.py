import math

import numpy as np
import pytest
from scipy import stats

from boundcheck.results import CheckResult, decide, fit_power_law, mean_interval


def test_mean_interval_matches_scipy(rng):
    s = rng.normal(size=50)
    mean, (lo, hi) = mean_interval(s, 0.9)
    want = stats.t.interval(0.9, df=49, loc=s.mean(), scale=stats.sem(s))
    assert (lo, hi) == pytest.approx(want)
    assert mean == pytest.approx(s.mean())


@pytest.mark.parametrize("interval,relation,verdict", [
    ((0.1, 0.4), "<=", "HOLDS"), ((0.6, 0.9), "<=", "VIOLATED"), ((0.4, 0.6), "<=", "INCONCLUSIVE"),
    ((0.6, 0.9), ">=", "HOLDS"), ((0.1, 0.4), ">=", "VIOLATED"), ((0.4, 0.6), ">=", "INCONCLUSIVE"),
    ((0.4, 0.6), "==", "HOLDS"), ((0.6, 0.9), "==", "VIOLATED"),
])
def test_interval_rule(interval, relation, verdict):
    assert decide(sum(interval) / 2, 0.5, relation, interval) == verdict


def test_exact_rule_with_tolerance():
    assert CheckResult.exact("c", 1.0 + 1e-13, 1.0, "<=", tol=1e-12).verdict == "HOLDS"
    assert CheckResult.exact("c", 1.0 + 1e-11, 1.0, "<=", tol=1e-12).verdict == "VIOLATED"
    assert CheckResult.exact("c", 2.0, 1.0, "<=").margin == -1.0


def test_from_samples_point_estimate_alone_never_decides(rng):
    # mean below the bound but interval straddling it: INCONCLUSIVE, not HOLDS
    s = rng.normal(loc=0.95, scale=1.0, size=20)
    rec = CheckResult.from_samples("c", s, 1.0, "<=")
    assert rec.interval[0] < 1.0 < rec.interval[1]
    assert rec.verdict == "INCONCLUSIVE"


def test_paired_samples_use_the_difference(rng):
    base = rng.normal(size=200) * 10  # large common noise cancels in the pairing
    lhs, rhs = base, base + 0.1
    rec = CheckResult.from_samples("c", lhs, rhs, "<=")
    assert rec.verdict == "HOLDS"
    rec = CheckResult.from_samples("c", lhs, rhs - 0.2, "<=")
    assert rec.verdict == "VIOLATED"


def test_worst_case_reports_worst_draw():
    rec = CheckResult.worst_case("c", [1.0, 3.0, 2.0], [4.0, 3.5, 5.0], "<=")
    assert rec.lhs == 3.0 and rec.params["worst_draw"] == 1 and rec.verdict == "HOLDS"
    assert CheckResult.worst_case("c", [1.0, 3.0], [4.0, 2.9], "<=").verdict == "VIOLATED"


def test_power_law_fit_recovers_exponent(rng):
    xs = np.array([16, 32, 64, 128, 256, 512.0])
    ys = 3.0 * xs**-0.25 * np.exp(rng.normal(scale=0.01, size=xs.size))
    slope, (lo, hi), const = fit_power_law(xs, ys)
    assert lo < -0.25 < hi and const == pytest.approx(3.0, rel=0.05)
    assert CheckResult.from_fit("rate", xs, ys, -0.25, "==").verdict == "HOLDS"
    assert CheckResult.from_fit("rate", xs, ys, -0.5, "==").verdict == "VIOLATED"
    assert CheckResult.from_fit("rate", xs, ys, -0.5, "<=").verdict == "VIOLATED"


def test_record_json_keys_exact():
    rec = CheckResult.exact("c", math.inf, 1.0, "<=")
    d = rec.to_dict()
    assert list(d) == ["claim", "lhs", "rhs", "relation", "margin", "verdict", "interval", "params", "seed"]
    assert d["lhs"] == "inf" and d["verdict"] == "VIOLATED"


def test_unresolved_rate_is_inconclusive_not_holds(rng):
    xs = np.array([8.0, 16.0, 32.0])
    ys = xs**-0.5 * np.exp(rng.normal(scale=0.5, size=3))  # three noisy points: a very wide interval
    rec = CheckResult.from_fit("rate", xs, ys, -0.5, "==")
    assert rec.interval[1] - rec.interval[0] > 1.0
    assert rec.verdict == "INCONCLUSIVE" and "unresolved" in rec.params
