"""``boundcheck curves``: measured sample complexity (learning curves), the slides' experiment and the
blog's Figure 1 idea; prints a table and, with ``--plot FILE``, draws the figure."""

from __future__ import annotations

from .. import _validate as validate
from .. import curves as cv
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
    parser.add_argument("--learners", default=",".join(cv.LEARNERS),
                        help=f"comma-separated subset of {', '.join(cv.LEARNERS)}")
    parser.add_argument("--target", choices=cv.TARGETS, default="single", help="target (default single)")
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
    parser.add_argument("--plot", metavar="FILE", help="draw the figure to FILE (.png, .pdf or .svg)")


def run(args, rng):
    validate.integer("--jobs", args.jobs, minimum=1, maximum=256)
    if args.experiment == "taylor":
        rates = _list(float, "--learning-rates")(args.learning_rates)
        dim = _list(int, "--dim")(args.dim)[0] if args.dim else 16
        result = cv.taylor_trajectories(dim=dim, width=args.width or 128,
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
        dims = _list(int, "--dim")(args.dim or "8,12,16")
        rows = cv.slides_experiment(dims, repeats=args.repeats, width=args.width or 64, steps=args.steps,
                                    n_test=args.n_test, rng=rng, n_jobs=args.jobs)
        summary = {}
        for row in rows:
            summary.setdefault((row["dim"], row["n"], row["model"]), []).append(row["test_loss"])
        out = [dict(dim=k[0], n=k[1], model=k[2], mean_test_loss=sum(v) / len(v), min_test_loss=min(v),
                    max_test_loss=max(v), repeats=len(v)) for k, v in sorted(summary.items())]
        if args.plot:
            _plot_slides(out, args.plot)
        return out
    learners = [validate.choice("learner", v, cv.LEARNERS) for v in _list(str, "--learners")(args.learners)]
    dims = _list(int, "--dim")(args.dim or "4,6,8")
    n_values = _list(int, "--n")(args.n) if args.n else None
    _, thresholds = cv.sample_complexity(learners, args.target, dims, n_values, degree=args.degree,
                                         accuracy=args.accuracy, repeats=args.repeats, width=args.width or 64,
                                         steps=args.steps, n_test=args.n_test, n_jobs=args.jobs, rng=rng)
    summary = cv.exponent_rows(thresholds)
    if args.plot:
        from ..report.plots_complexity import plot_measured

        plot_measured(thresholds, args.plot,
                      predicted={r["learner"]: r["predicted_exponent"] for r in summary})
    return summary + (thresholds if args.details else [])


def _plot_slides(rows, path):
    from ..report.plots import figure_format, save_figure
    from ..report.plots_complexity import _pyplot

    figure_format(path)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.4, 4.0))
    for model in sorted({r["model"] for r in rows}):
        sel = [r for r in rows if r["model"] == model]
        ax.plot([r["dim"] for r in sel], [r["mean_test_loss"] for r in sel], "o-", label=model)
    ax.set_xlabel("dimension d (n = d^1.5)")
    ax.set_ylabel("normalised test MSE")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
