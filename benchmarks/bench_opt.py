"""Benchmark of the OPT bracket: the fast solver against cvxpy (SCS), on planted instances.

Planted instances (boundcheck.convex.bracket.planted_instance): a teacher W_* with every block
rank one and ||W_*||_{2,4} = B_w (the radius), targets f^Q_{W_*}(x) + noise (squared loss) or
their noisy signs (logistic), so OPT sits near the noise level and not at the trivial W = 0.

Each measurement runs in a fresh subprocess so that its peak memory (ru_maxrss) is its own.

    python benchmarks/bench_opt.py                 # everything (cvxpy once: minutes, ~4 GiB)
    python benchmarks/bench_opt.py --skip-cvxpy    # the fast solver only
    python benchmarks/bench_opt.py --part NAME     # one measurement, printed as JSON

Measurements:
  medium-apg      (1000, 256, 16) squared: the relaxation by accelerated projected gradient
                  from zero to a certified relaxation gap 1e-4
  medium-fast     (1000, 256, 16) squared: the whole bracket, solver "fast", tol 1e-4
  medium-scs      (1000, 256, 16) squared: cvxpy + SCS (eps 1e-4) on the same instance, its point
                  certified the same way, then the bracket from its rounding
  medium-fast-at-scs-gap  the whole bracket with its tolerance set to the relaxation gap SCS certified:
                  the fast solver asked for the same certificate, no better (its bracket on OPT
                  itself comes out tighter still)
  medium-fast-logistic / large-fast-logistic: logistic, tol 1e-4 / 1e-3 at (5000, 4096, 32)
  large-fast-squared  (5000, 4096, 32) squared, tol 1e-3, 120 s budget
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

SIZES = {"medium": (1000, 256, 16), "large": (5000, 4096, 32)}


def _instance(size, loss, seed=1):
    from boundcheck.convex.bracket import planted_instance

    n, m, d = SIZES[size]
    return planted_instance(n, m, d, loss=loss, noise=0.3, rng=np.random.default_rng(seed))


def _peak_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def run_part(name, tol=None):
    from boundcheck.convex.bracket import opt_bracket, planted_instance, rel_gap
    from boundcheck.convex.fast import solve_relaxation
    from boundcheck.convex.problem import QuadraticProblem

    size, what = name.split("-", 1)
    loss = "logistic" if what.endswith("logistic") else "squared"
    inst = _instance(size, loss)
    args = (inst["x"], inst["y"], inst["w_init"], inst["w_out"])
    radius = inst["radius_star"]
    out = {"part": name, "sizes": SIZES[size], "loss": loss, "radius": radius}
    # first-call costs (lazy imports, the BLAS thread controller, cvxpy's import) paid before the clock,
    # as in any session that has solved a problem before: the clock times the solve
    if what == "scs":
        import boundcheck.convex.relaxation  # noqa: F401 - imports cvxpy
    else:
        tiny = planted_instance(20, 8, 4, loss=loss, noise=0.3, rng=np.random.default_rng(0))
        opt_bracket(tiny["x"], tiny["y"], tiny["w_init"], tiny["w_out"], radius=tiny["radius_star"], loss=loss,
                    solver="fast", tol=1e-2)
    started = time.perf_counter()
    if what == "apg":
        problem = QuadraticProblem(inst["x"], inst["w_init"], inst["w_out"], inst["y"], radius=radius, loss=loss)
        relax = solve_relaxation(problem, tol=1e-4)
        out.update(seconds=time.perf_counter() - started, relaxation_upper=relax.upper, lower=relax.lower,
                   relaxation_gap=rel_gap(relax.upper, relax.lower), status=relax.status,
                   iterations=relax.iterations, rank=relax.rank)
    elif what == "scs":
        from boundcheck.convex.relaxation import solve_relaxation_cvxpy

        problem = QuadraticProblem(inst["x"], inst["w_init"], inst["w_out"], inst["y"], radius=radius, loss=loss)
        relax = solve_relaxation_cvxpy(problem, solver="scs", tol=1e-4)
        relax_seconds = time.perf_counter() - started
        out.update(seconds=relax_seconds, relaxation_upper=relax.upper, lower=relax.lower,
                   relaxation_gap=rel_gap(relax.upper, relax.lower), status=relax.status,
                   iterations=relax.iterations, rank=relax.rank, solver_value=relax.solver_value)
    else:
        tol = tol if tol is not None else 1e-3 if size == "large" else 1e-4
        out["tol"] = tol
        res = opt_bracket(*args, radius=radius, loss=loss, solver="fast", tol=tol, time_limit=120.0)
        out.update(res.to_dict())
        out["seconds"] = time.perf_counter() - started
    out["peak_gib"] = _peak_gib()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_seconds"] = usage.ru_utime + usage.ru_stime  # the whole process, instance included
    return out


def _spawn(name, tol=None):
    extra = ["--tol", repr(tol)] if tol is not None else []
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--part", name, *extra], capture_output=True,
                          text=True)
    if proc.returncode:
        return {"part": name, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", help="run one measurement and print it as JSON")
    parser.add_argument("--skip-cvxpy", action="store_true", help="skip the cvxpy baseline (minutes, ~4 GiB)")
    parser.add_argument("--skip-large", action="store_true", help="skip the (5000, 4096, 32) runs")
    parser.add_argument("--scs-result", metavar="FILE.json",
                        help="reuse a medium-scs measurement saved from --part medium-scs (cvxpy is slow: run it once)")
    parser.add_argument("--tol", type=float, help="with --part NAME-fast...: the bracket's relative tolerance")
    args = parser.parse_args()
    if args.part:
        print(json.dumps(run_part(args.part, args.tol), default=float))
        return
    parts = ["medium-apg", "medium-fast", "medium-fast-logistic"]
    if not args.skip_cvxpy and not args.scs_result:
        parts.append("medium-scs")
    if not args.skip_large:
        parts += ["large-fast-logistic", "large-fast-squared"]
    results = {}
    if args.scs_result:
        with open(args.scs_result) as handle:
            results["medium-scs"] = json.loads(handle.read().strip().splitlines()[-1])
    for name in parts:  # one subprocess per measurement, one after the other (2 shared cores)
        results[name] = _spawn(name)
        _show(name, results[name])
    if "medium-scs" in results and args.scs_result:
        _show("medium-scs (saved)", results["medium-scs"])
    scs = results.get("medium-scs", {})
    if "relaxation_gap" in scs:  # the bracket asked for the gap SCS certified, no better: equal-effort comparison
        results["medium-fast-at-scs-gap"] = _spawn("medium-fast", tol=float(scs["relaxation_gap"]))
        _show("medium-fast-at-scs-gap", results["medium-fast-at-scs-gap"])
    if "seconds" in scs:
        for name in ("medium-apg", "medium-fast", "medium-fast-at-scs-gap"):
            row = results.get(name, {})
            if "seconds" in row:
                cpu = (f", {scs['cpu_seconds'] / row['cpu_seconds']:.1f}x cpu"
                       if "cpu_seconds" in scs and "cpu_seconds" in row else "")
                print(f"speed-up of {name} over cvxpy-SCS: {scs['seconds'] / row['seconds']:.1f}x wall{cpu}")


def _show(name, row):
    keys = ("tol", "seconds", "cpu_seconds", "peak_gib", "lower", "upper", "relaxation_upper", "rel_gap", "relaxation_gap",
            "rank", "status", "iterations", "error")
    cells = [f"{k}={row[k]:.6g}" if isinstance(row[k], float) else f"{k}={row[k]}" for k in keys if k in row]
    print(f"{name:22s} " + "  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
