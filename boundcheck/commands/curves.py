"""``boundcheck curves``: measured sample complexity (learning curves), the slides' experiment and the
blog's Figure 1 idea; prints a table and, with ``--plot FILE``, draws the figure.

``--experiment sweep --store FILE.sqlite`` runs the learning-curve grid as a sweep of the claim
"Learning curve cell" (:func:`boundcheck.run.sweep.run_sweep`, ``--workers`` processes, ``--resume``
to finish an interrupted run with the same ``--seed``) and computes the thresholds and fitted
exponents from the records in the store; without ``--store`` the same cells run in this process.
"""

from __future__ import annotations

import sys

from .. import _validate as validate
from ..experiments import curves as cv
from ._progress import working
from ..experiments.learners import ALL_LEARNERS, LEARNERS
from ..experiments.problems import TARGETS
from ..experiments.slides import slides_experiment
from ..experiments.trajectories import taylor_trajectories
from ._limits import check_work
from .samples import _list

NAME = "curves"
HELP = ("measured sample complexity of NTK, quadratic, randomized and linear+quadratic learners against d "
        "(--experiment sweep), the slides' d^1.5 experiment (slides), Taylor-model trajectories (taylor)")
USES_INSTANCE = False
EXPERIMENTS = ("sweep", "slides", "taylor")


def add_arguments(parser):
    parser.add_argument("--experiment", choices=EXPERIMENTS, default="sweep",
                        help="sweep: n_eps against d per learner; slides: f_L + f_Q at n = d^1.5; "
                             "taylor: distance of GD trajectories of Taylor models to the network's")
    parser.add_argument("--learners", default=",".join(LEARNERS),
                        help=f"sweep: comma-separated subset of {', '.join(ALL_LEARNERS)} "
                             f"(default {','.join(LEARNERS)}; LQ-reg: f_L + f_Q with the slides' regularizer)")
    parser.add_argument("--models", default="linear,quadratic,linear+quadratic",
                        help="slides: comma-separated models (add LQ-reg for the regularized f_L + f_Q)")
    parser.add_argument("--reg", type=float, default=1.0,
                        help="LQ-reg: regularizer strength in units of the top feature-covariance eigenvalue")
    parser.add_argument("--top-degree", type=int, default=None,
                        help="LQ-reg: the free top eigen-directions span degree <= this (default k = degree - 1)")
    parser.add_argument("--target", choices=TARGETS, default="single", help="target (default single)")
    parser.add_argument("--dim", default=None, help="dimensions d, comma separated (sweep: 4,6,8; slides: 8,12,16)")
    parser.add_argument("--n", default=None, help="training sizes, comma separated (default: a geometric grid)")
    parser.add_argument("--degree", type=int, default=2, help="degree p (sparse: k = p - 1); default 2")
    parser.add_argument("--accuracy", type=float, default=0.3, help="test loss epsilon to reach (default 0.3)")
    parser.add_argument("--repeats", type=int, default=2, help="problem draws per d (default 2)")
    parser.add_argument("--width", type=int, default=None, help="width m (default 64; taylor: 128)")
    parser.add_argument("--steps", type=int, default=60, help="gradient steps per fit (default 60)")
    parser.add_argument("--n-test", type=int, default=400, help="test points (default 400)")
    parser.add_argument("--jobs", type=int, default=1, help="joblib workers (results do not depend on it)")
    parser.add_argument("--learning-rates", default="0.1,1.0",
                        help="taylor: learning rates in units of 1/lambda_max(NTK Gram), comma separated")
    parser.add_argument("--activation", default="softplus", help="taylor: activation (default softplus)")
    parser.add_argument("--details", action="store_true", help="sweep: also list every (learner, d, repeat) threshold")
    parser.add_argument("--store", metavar="FILE", help="sweep: run the cells through the sweep machinery into this "
                                                        "SQLite store and read the thresholds back from it")
    parser.add_argument("--sweep-name", default=None, help="sweep: name of the sweep in the store "
                                                           "(default curves-<target>-p<degree>)")
    parser.add_argument("--workers", type=int, default=1, help="sweep --store: worker processes (default 1)")
    parser.add_argument("--resume", action="store_true",
                        help="sweep --store: finish an interrupted sweep (same --seed and options)")
    parser.add_argument("--plot", metavar="FILE", help="draw the figure to FILE (.png, .pdf or .svg)")


#: Largest dimension and training size of a learning curve (each value of --dim and --n).
MAX_DIM, MAX_N = 1000, 200_000


def _bounded(values, option, maximum):
    for value in values:
        if value > maximum:
            raise validate.BoundcheckInputError(
                f"{option} values must be at most {maximum} (larger ones do not fit a learning curve in memory and "
                f"time on one machine); got {value}")
    return values


def _check_cost(n_max, d_max, width, steps):
    """The fits hold arrays of n x m and n x d and take steps x n x m x d multiply-adds (each fit)."""
    check_work(f"a learning curve at n = {n_max}, d = {d_max}, m = {width} ({steps} steps of n m d)",
               steps * n_max * width * d_max, elements=n_max * max(width, d_max))


def run(args, rng):
    validate.integer("--jobs", args.jobs, minimum=1, maximum=256)
    if args.experiment == "taylor":
        rates = _list(float, "--learning-rates")(args.learning_rates)
        dim = _bounded(_list(int, "--dim")(args.dim), "--dim", MAX_DIM)[0] if args.dim else 16
        with working("curves: Taylor trajectories"):
            result = taylor_trajectories(dim=dim, width=args.width or 128,
                                         steps=validate.integer("--steps", args.steps, minimum=1),
                                         learning_rates=rates, activation=args.activation, rng=rng)
        if args.plot:
            from ..report.plots_complexity import plot_trajectories

            plot_trajectories(result, args.plot)
        rows = []
        for run_ in result["runs"]:
            for order in run_["distance"]:
                rows.append(dict(learning_rate=run_["learning_rate"], order=order,
                                 final_output_distance=run_["distance"][order][-1],
                                 max_output_distance=max(run_["distance"][order]),
                                 final_weight_distance=run_["weight_distance"][order][-1],
                                 diverged=run_["diverged"][str(order)], network_diverged=run_["diverged"]["None"],
                                 activation=result["activation"], width=result["width"]))
        return rows
    if args.experiment == "slides":
        dims = _bounded(_list(int, "--dim")(args.dim or "8,12,16"), "--dim", MAX_DIM)
        _check_cost(int(max(dims) ** 1.5) + 1, max(dims), args.width or 64, args.steps)
        models = [validate.choice("--models", v, ALL_LEARNERS) for v in _list(str, "--models")(args.models)]
        with working("curves: slides experiment"):
            rows = slides_experiment(dims, repeats=args.repeats, width=args.width or 64, steps=args.steps,
                                     n_test=args.n_test, rng=rng, n_jobs=args.jobs, models=models, reg=args.reg,
                                     top_degree=args.top_degree)
        summary = {}
        for row in rows:
            summary.setdefault((row["dim"], row["n"], row["model"]), []).append(row["test_loss"])
        out = [dict(dim=k[0], n=k[1], model=k[2], mean_test_loss=sum(v) / len(v), min_test_loss=min(v),
                    max_test_loss=max(v), repeats=len(v)) for k, v in sorted(summary.items())]
        if args.plot:
            from ..report.plots_complexity import plot_slides

            plot_slides(out, args.plot)
        return out
    learners = [validate.choice("learner", v, ALL_LEARNERS) for v in _list(str, "--learners")(args.learners)]
    dims = _bounded(_list(int, "--dim")(args.dim or "4,6,8"), "--dim", MAX_DIM)
    n_values = _bounded(_list(int, "--n")(args.n), "--n", MAX_N) if args.n else None
    if args.store is None and (args.resume or args.sweep_name is not None):
        raise validate.BoundcheckInputError("--resume and --sweep-name need --store FILE")
    config = cv.curve_sweep_config(learners, args.target, dims, n_values, degree=args.degree, accuracy=args.accuracy,
                                   repeats=args.repeats, width=args.width or 64, steps=args.steps, n_test=args.n_test,
                                   reg=args.reg, top_degree=args.top_degree, name=args.sweep_name, rng=rng)
    n_grid = config["grid"]["n_samples"]
    if max(n_grid) > MAX_N:  # the default grid grows like 20 d^(p-1)
        raise validate.BoundcheckInputError(
            f"--n values must be at most {MAX_N}; the default grid for --dim {max(dims)} and --degree {args.degree} "
            f"reaches {max(n_grid)}: give --n or smaller --dim / --degree")
    _check_cost(max(n_grid), max(dims), args.width or 64, args.steps)
    if args.store is None:
        with working("curves: learning-curve cells"):
            curve_rows = cv.run_curve_cells(config, n_jobs=args.jobs)
    else:
        curve_rows = _run_in_store(config, args.store, workers=args.workers, resume=args.resume)
    thresholds = cv.thresholds_from_curves(curve_rows, args.accuracy)
    summary = cv.exponent_rows(thresholds)
    if args.plot:
        from ..report.plots_complexity import plot_measured

        plot_measured(thresholds, args.plot,
                      predicted={r["learner"]: r["predicted_exponent"] for r in summary})
    return summary + (thresholds if args.details else [])


def _run_in_store(config_data, store_path, *, workers, resume):
    """Run the curve sweep into ``store_path`` with :func:`boundcheck.run.sweep.run_sweep`; its curve rows."""
    from ..run.store import open_store
    from ..run.sweep import parse_config, run_sweep

    workers = validate.integer("--workers", workers, minimum=1, maximum=256)
    config = parse_config(config_data)
    run_sweep(config, store_path, workers=workers, resume=resume, progress=sys.stderr.isatty())
    with open_store(store_path, must_exist=True) as store:
        return cv.curve_rows_from_records(store.records(sweep=config.name))
