r"""Figures of sample complexity: predicted n against d per learner (log-log, crossover marked), and
measured learning-curve thresholds against d with their fitted slopes beside the predicted ones.

matplotlib with the Agg backend; figures are written by :func:`boundcheck.report.figures.write_figure`.
"""

from __future__ import annotations

import math

import numpy as np

from .. import complexity as cx
from .figures import figure_format, legend, plain_log_ticks, pyplot, write_figure

__all__ = ["plot_predictions", "plot_measured", "plot_trajectories", "plot_slides", "REFERENCE"]

#: For each target: (the learner that should win, the NTK reference it is compared with).
REFERENCE = cx.COMPARED


def _groups(rows, keys):
    out = {}
    for row in rows:
        out.setdefault(tuple(row[k] for k in keys), []).append(row)
    return out


def plot_predictions(rows, path, *, crossover_kwargs=None):
    """Log-log plot of ``n_predicted`` against ``dim``, one line per learner, one panel per (degree, accuracy).

    ``rows`` come from :func:`boundcheck.complexity.prediction_rows`. The crossover of the
    winning learner with its NTK reference (:data:`REFERENCE`) is marked by a vertical line when
    it falls inside the plotted range, and written in the legend either way.
    Returns the list of crossovers ``[(degree, accuracy, d_star)]``.
    """
    figure_format(path)
    if not rows:
        raise ValueError("rows must hold at least one prediction; got none")
    plt = pyplot()
    panels = _groups(rows, ("degree", "accuracy"))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    crossings = []
    for ax, ((degree, accuracy), panel) in zip(axes[0], sorted(panels.items())):
        target = panel[0]["target"]
        form = panel[0].get("form", "explicit")
        for learner, lrows in _groups(panel, ("learner",)).items():
            lrows = sorted(lrows, key=lambda r: r["dim"])
            style = "--" if lrows[0]["bound"] == "lower" else "-"
            ax.loglog([r["dim"] for r in lrows], [r["n_predicted"] for r in lrows], style, marker="o",
                      label=f"{learner[0]} ({lrows[0]['bound']})")
        winner, reference = REFERENCE[target]
        kwargs = dict(form=form, accuracy=accuracy, **(crossover_kwargs or {}))
        d_star = cx.crossover_dim(target, degree, **kwargs)
        crossings.append((degree, accuracy, d_star))
        dims = [r["dim"] for r in panel]
        label = f"crossover {winner} = {reference}: d* = {d_star:.3g}"
        if math.isfinite(d_star) and min(dims) <= d_star <= max(dims):
            ax.axvline(d_star, color="k", lw=0.8, ls=":", label=label)
        else:
            ax.plot([], [], " ", label=label + " (outside the plotted range)")
        ax.set_xlabel("dimension d")
        ax.set_ylabel("predicted n")
        plain_log_ticks(ax, dims)
        ax.set_title(f"{target}, p = {degree}, eps = {accuracy:g} ({form})", fontsize=9)
        legend(ax)
    constant = rows[0].get("constant", "")
    fig.suptitle(f"predicted sample sizes; {constant}", fontsize=8)
    write_figure(fig, path)
    return crossings


def plot_measured(rows, path, *, predicted=None):
    """Measured threshold n_eps against d per learner (log-log), fitted slope and interval in the legend.

    ``rows``: dicts with ``learner``, ``dim``, ``n_eps`` (NaN or inf where the target accuracy was
    not reached). ``predicted``: optional {learner: predicted exponent} shown beside the fit.
    """
    from ..results import fit_power_law

    figure_format(path)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 4.4))
    for learner, lrows in _groups(rows, ("learner",)).items():
        lrows = sorted(lrows, key=lambda r: r["dim"])
        xs = np.array([r["dim"] for r in lrows], dtype=float)
        ys = np.array([r["n_eps"] for r in lrows], dtype=float)
        ok = np.isfinite(ys) & (ys > 0)
        label = learner[0]
        if ok.sum() >= 3:
            slope, (lo, hi), const = fit_power_law(xs[ok], ys[ok])
            label += f": slope {slope:.2f} [{lo:.2f}, {hi:.2f}]"
            grid = np.geomspace(xs[ok].min(), xs[ok].max(), 20)
            line = ax.loglog(grid, const * grid**slope, lw=0.8)[0]
            color = line.get_color()
        else:
            color = None
            label += " (eps not reached)" if not ok.any() else " (too few points to fit)"
        if predicted and learner[0] in predicted:
            label += f"; predicted {predicted[learner[0]]:g}"
        ax.loglog(xs[ok], ys[ok], "o", color=color, label=label)
    ax.set_xlabel("dimension d")
    ax.set_ylabel("n reaching test loss eps (interpolated)")
    plain_log_ticks(ax, [r["dim"] for r in rows])
    legend(ax)
    write_figure(fig, path)


def plot_trajectories(result, path):
    """The blog's Figure 1 idea: distance between the network's GD trajectory and each Taylor model's."""
    figure_format(path)
    plt = pyplot()
    runs = result["runs"]
    fig, axes = plt.subplots(1, len(runs), figsize=(5.0 * len(runs), 4.0), squeeze=False)
    for ax, run in zip(axes[0], runs):
        steps = np.asarray(run["steps"])
        for order, dist in run["distance"].items():
            ax.semilogy(steps, np.maximum(np.asarray(dist, dtype=float), 1e-16), label=f"Taylor order {order}")
        ax.set_title(f"learning rate {run['learning_rate']:g}", fontsize=9)
        ax.set_xlabel("GD step")
        ax.set_ylabel("relative distance of test outputs")
        legend(ax)
    write_figure(fig, path)


def plot_slides(rows, path):
    """The slides' experiment: normalised test MSE against d (n = d^1.5), one line per model."""
    figure_format(path)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.4, 4.0))
    for model in sorted({r["model"] for r in rows}):
        sel = [r for r in rows if r["model"] == model]
        ax.plot([r["dim"] for r in sel], [r["mean_test_loss"] for r in sel], "o-", label=model)
    ax.set_xlabel("dimension d (n = d^1.5)")
    ax.set_ylabel("normalised test MSE")
    ax.set_yscale("log")
    legend(ax, fontsize=8)
    write_figure(fig, path)
