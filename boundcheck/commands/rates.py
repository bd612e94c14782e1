"""``boundcheck rates``: every fitted rate of a claim, on log-log axes, claimed slope beside the measured one.

Runs the registered check of each ``--claim`` (default: every claim of Sections 3, 4 and 6 and
Appendix B that fits a rate), keeps the records that are power-law fits (their params hold
``fit_x``/``fit_y``), prints one row per fit and, with ``--plot FILE.png``, draws one panel per fit:
the measured points, the fitted line with its exponent and interval, and a line of the claimed
slope through the same central point.
"""

from __future__ import annotations

import math
import os
import tempfile

import numpy as np

from .. import _validate as validate
from ..run.registry import get_claim
from ..run.runner import run_claim

NAME = "rates"
HELP = "fitted rates in m of the landscape / coupling / higher-order claims, with a log-log plot"
USES_INSTANCE = False

DEFAULT_CLAIMS = ("Section 3 scalings", "Lemma 1", "Theorem 2", "Lemma 11", "Lemma 12", "Lemma 13", "Lemma 14",
                  "Section 6")


def add_arguments(parser):
    parser.add_argument("--claim", action="append", metavar="CLAIM",
                        help='a claim label, e.g. "Lemma 11" (repeatable; default: all rate claims)')
    parser.add_argument("--plot", metavar="FILE.png", help="write the log-log figure to FILE.png")


def fit_records(labels, *, seed=0):
    """The fit records (those whose params hold ``fit_x``/``fit_y``) of each claim in ``labels``."""
    out = []
    for label in labels:  # a loop over claims, each check batched inside
        claim = get_claim(label)
        for record in run_claim(claim.label, seed=seed):
            if "fit_x" in record.params and "fit_y" in record.params:
                out.append(record)
    return out


def rate_rows(records):
    """One row per fit: claim, part, fitted exponent and interval, claimed exponent, verdict."""
    rows = []
    for r in records:
        low, high = r.interval
        rows.append(dict(claim=r.claim, part=r.params.get("part", ""), fitted=r.lhs, low=low, high=high,
                         claimed=r.rhs, relation=r.relation, verdict=r.verdict,
                         faster_by=r.params.get("faster_by", r.rhs - r.lhs)))
    return rows


def plot_rates(records, path):
    """One log-log panel per fit record; written atomically to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    if not records:
        raise validate.BoundcheckInputError("rates: the chosen claims produced no fitted rate to plot")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"--plot: the folder {directory!r} does not exist")
    cols = min(3, len(records))
    rows = math.ceil(len(records) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.6 * rows), squeeze=False)
    for ax, rec in zip(axes.ravel(), records):
        xs = np.asarray(rec.params["fit_x"], dtype=float)
        ys = np.asarray(rec.params["fit_y"], dtype=float)
        if ys.ndim == 2:  # replicate series: their geometric mean
            ys = np.exp(np.mean(np.log(ys), axis=0))
        const = rec.params.get("fitted_constant", float(np.exp(np.mean(np.log(ys)) - rec.lhs * np.mean(np.log(xs)))))
        grid = np.geomspace(xs.min(), xs.max(), 50)
        ax.loglog(xs, ys, "o", color="C0", label="measured")
        low, high = rec.interval
        ax.loglog(grid, const * grid**rec.lhs, "-", color="C0",
                  label=f"fit slope {rec.lhs:.3f} [{low:.3f}, {high:.3f}]")
        # the claimed slope through the geometric centre of the measured points
        cx, cy = math.exp(np.mean(np.log(xs))), math.exp(np.mean(np.log(ys)))
        ax.loglog(grid, cy * (grid / cx) ** rec.rhs, "--", color="C3", label=f"claimed slope {rec.rhs:.3f}")
        title = f"{rec.claim}: {rec.params.get('part', '')}"
        ax.set_title(title if len(title) < 60 else title[:57] + "...", fontsize=8)
        ax.set_xlabel("width m")
        ax.legend(fontsize=7)
        ax.text(0.02, 0.02, rec.verdict, transform=ax.transAxes, fontsize=7)
    for ax in axes.ravel()[len(records):]:
        ax.axis("off")
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".boundcheck-", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def run(args, rng):
    labels = args.claim or list(DEFAULT_CLAIMS)
    records = fit_records(labels, seed=args.seed)
    if args.plot:
        plot_rates(records, args.plot)
    return rate_rows(records)
