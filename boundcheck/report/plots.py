r"""Rows and figures from the records of a sweep store.

* :func:`record_rows` -- one flat row per record (sweep, cell, replicate, seed, the swept options,
  claim, part, lhs, relation, rhs, margin, interval, verdict);
* :func:`summary_rows` -- one row per grid point: verdict counts over replicates, mean sides,
  least margin;
* :func:`plot_records` -- any quantity against any parameter (matplotlib, Agg), the bound drawn
  beside the measured side, optional power-law fits beside a claimed exponent, or for rate
  records (:func:`boundcheck.results.rate`) the log-log data with the fitted and the claimed slopes.

* :func:`plot_fit_records` -- the rate records of a run (``boundcheck rates``), one log-log panel each.

Figures are drawn here and written by :func:`boundcheck.report.figures.write_figure` (atomic, nothing
clipped).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as validate
from ..results import fit_power_law, mean_interval
from .figures import FIGURE_FORMATS, figure_format, legend, plain_log_ticks, pyplot, write_figure

__all__ = ["FIGURE_FORMATS", "QUANTITIES", "record_rows", "summary_rows", "figure_format", "plot_records",
           "plot_fit_records"]

QUANTITIES = ("lhs", "rhs", "margin", "interval_low", "interval_high", "rate")
_META = ("seed", "cell", "replicate")


def _number(value):
    """A stored value as a float (the "nan"/"inf" strings of JSON records included), or None."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _part(rec):
    part = rec["params"].get("part")
    return "" if part is None else str(part)


def _option_keys(records):
    keys = []
    for rec in records:
        for key in rec["options"]:
            if key not in keys:
                keys.append(key)
    return keys


def record_rows(records):
    """One flat row per stored record (see the module docstring for the columns)."""
    keys = _option_keys(records)
    has_part = any(_part(r) for r in records)
    rows = []
    for rec in records:
        row = {"sweep": rec["sweep"], "cell": rec["cell"], "replicate": rec["replicate"], "seed": rec["seed"]}
        row.update({k: rec["options"].get(k) for k in keys})
        row["claim"] = rec["claim"]
        if has_part:
            row["part"] = _part(rec)
        row.update(lhs=rec["lhs"], relation=rec["relation"], rhs=rec["rhs"], margin=rec["margin"],
                   interval=rec["interval"], verdict=rec["verdict"])
        rows.append(row)
    return rows


def _group_key(rec, keys, exclude=()):
    return (rec["sweep"], rec["claim"], _part(rec),
            tuple((k, _hashable(rec["options"].get(k))) for k in keys if k not in exclude))


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def summary_rows(records):
    """One row per (sweep, claim, part, grid point): counts of each verdict over the replicates,
    mean lhs and rhs, least margin."""
    keys = _option_keys(records)
    groups = {}
    for rec in records:
        groups.setdefault(_group_key(rec, keys), []).append(rec)
    has_part = any(_part(r) for r in records)
    rows = []
    for (sweep, claim, part, options), recs in groups.items():
        row = {"sweep": sweep}
        row.update(dict(options))
        row["claim"] = claim
        if has_part:
            row["part"] = part
        lhs = [v for v in (_number(r["lhs"]) for r in recs) if v is not None]
        rhs = [v for v in (_number(r["rhs"]) for r in recs) if v is not None]
        margins = [v for v in (_number(r["margin"]) for r in recs) if v is not None]
        row.update(n=len(recs), HOLDS=sum(r["verdict"] == "HOLDS" for r in recs),
                   VIOLATED=sum(r["verdict"] == "VIOLATED" for r in recs),
                   INCONCLUSIVE=sum(r["verdict"] == "INCONCLUSIVE" for r in recs),
                   lhs_mean=float(np.mean(lhs)) if lhs else None, rhs_mean=float(np.mean(rhs)) if rhs else None,
                   margin_min=float(np.min(margins)) if margins else None)
        rows.append(row)
    return rows


def _value(rec, name):
    if name in ("lhs", "rhs", "margin"):
        return _number(rec[name])
    if name in ("interval_low", "interval_high"):
        return None if rec["interval"] is None else _number(rec["interval"][name == "interval_high"])
    if name in _META:
        return _number(rec[name])
    if name in rec["options"]:
        return _number(rec["options"][name])
    return _number(rec["params"].get(name))


def _available(records):
    names = list(_META) + _option_keys(records)
    for rec in records:
        for key, value in rec["params"].items():
            if key not in names and _number(value) is not None:
                names.append(key)
    return names


def _series_label(claim, part, options):
    bits = [claim] + ([part] if part else []) + [f"{k}={v}" for k, v in options]
    return ", ".join(bits)


def plot_records(records, out, *, x=None, y="lhs", fit=False, claimed_exponent=None, logx=False, logy=False):
    """Draw ``y`` against ``x`` for the stored ``records`` and save the figure to ``out``.

    One series per (claim, part, values of the other swept options); replicates are averaged,
    with a Student-t 95% interval as error bars (or the record's own interval when there is one
    replicate and ``y`` is ``lhs``). With ``y="lhs"`` the right side (the bound, or the claimed
    exponent of a rate record) is drawn dashed beside it. With ``fit`` each series gets a
    least-squares power law :math:`c x^b` (exponent and interval in the legend) and, with
    ``claimed_exponent``, a line of the claimed slope through the series' first point. With
    ``y="rate"`` the records must be rate records: their (x, y) data on log-log axes with the
    fitted line and a line of the claimed exponent through the data's geometric mean.

    Returns the plotted points as rows (series, x, y, low, high).
    """
    if not records:
        raise validate.BoundcheckInputError("store holds no records to plot (for this claim / sweep)")
    if not isinstance(y, str):
        raise TypeError(f"y must be a quantity name; got {y!r}")
    if claimed_exponent is not None:
        claimed_exponent = validate._real("claimed_exponent", claimed_exponent)
    figure_format(out)
    plt = pyplot()
    if y == "rate":
        return _plot_rates(records, out, plt)
    names = _available(records)
    if x is None:
        raise validate.BoundcheckInputError(f"x must name a parameter to plot against; one of {', '.join(names)}")
    if x not in names:
        raise validate.BoundcheckInputError(f"x must be one of {', '.join(names)}; got {x!r}")
    if y not in QUANTITIES and y not in names:
        raise validate.BoundcheckInputError(f"y must be one of {', '.join(QUANTITIES[:-1] + tuple(names))} "
                                            f"or 'rate'; got {y!r}")
    keys = [k for k in _option_keys(records) if k != x]
    varying = [k for k in keys if len({_hashable(r["options"].get(k)) for r in records}) > 1]
    groups = {}
    for rec in records:
        key = (rec["claim"], _part(rec), tuple((k, _hashable(rec["options"].get(k))) for k in varying))
        groups.setdefault(key, []).append(rec)

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    rows = []
    if fit:
        logx = logy = True
    for (claim, part, options), recs in groups.items():
        label = _series_label(claim, part, options)
        by_x = {}
        for rec in recs:
            xv, yv = _value(rec, x), _value(rec, y)
            if xv is None or yv is None or not (math.isfinite(xv) and math.isfinite(yv)):
                continue
            by_x.setdefault(xv, []).append((yv, rec))
        if not by_x:
            continue
        xs = np.array(sorted(by_x))
        means, lows, highs, bounds = [], [], [], []
        for xv in xs:
            values = np.array([v for v, _ in by_x[xv]])
            if values.size > 1:
                mean, (low, high) = mean_interval(values)
            else:
                mean = low = high = float(values[0])
                rec = by_x[xv][0][1]
                if y == "lhs" and rec["interval"] is not None:
                    low, high = (_number(v) for v in rec["interval"])
            means.append(mean)
            lows.append(low)
            highs.append(high)
            rhs = [_number(r["rhs"]) for _, r in by_x[xv]]
            bounds.append(float(np.mean(rhs)) if all(v is not None for v in rhs) else math.nan)
            rows.append({"series": label, "x": float(xv), "y": mean, "low": low, "high": high})
        means, lows, highs = map(np.asarray, (means, lows, highs))
        err = np.vstack([means - lows, highs - means])
        err = np.where(np.isfinite(err), err, 0.0)
        line = ax.errorbar(xs, means, yerr=err, marker="o", ms=4, capsize=3, label=f"{y}: {label}")
        color = line[0].get_color()
        if y == "lhs" and np.any(np.isfinite(bounds)):
            ax.plot(xs, bounds, "--", color=color, alpha=0.8, label=f"rhs (bound / claimed): {label}")
        if fit:
            keep = (xs > 0) & (means > 0)
            if keep.sum() >= 3:
                slope, (b_lo, b_hi), const = fit_power_law(xs[keep], means[keep])
                grid = np.geomspace(xs[keep].min(), xs[keep].max(), 50)
                ax.plot(grid, const * grid ** slope, ":", color=color,
                        label=f"fitted slope {slope:.3g} [{b_lo:.3g}, {b_hi:.3g}]")
                if claimed_exponent is not None:
                    x0, y0 = xs[keep][0], means[keep][0]
                    ax.plot(grid, y0 * (grid / x0) ** claimed_exponent, "-.", color="gray",
                            label=f"claimed slope {claimed_exponent:g}")
                for row in rows:
                    if row["series"] == label:
                        row.update(fitted_exponent=slope, fitted_low=b_lo, fitted_high=b_hi)
    if not rows:
        plt.close(fig)
        raise validate.BoundcheckInputError(f"no finite ({x}, {y}) values to plot in this store")
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if logx:
        plain_log_ticks(ax, [row["x"] for row in rows])
    n_entries = len(ax.get_legend_handles_labels()[1])
    legend(ax, fontsize=6 if n_entries > 4 else 7)  # many entries: below the axes (the written image grows)
    ax.grid(alpha=0.3)
    write_figure(fig, out)
    return rows


def fit_series(params):
    """The points of a rate record: ``(x, y)``; replicate series are shown by their geometric mean."""
    xs = np.asarray(params["fit_x"], dtype=float)
    ys = np.asarray(params["fit_y"], dtype=float)
    if ys.ndim == 2:
        with np.errstate(divide="ignore", invalid="ignore"):
            ys = np.exp(np.mean(np.log(ys), axis=0))
    return xs, ys


def _plot_rates(records, out, plt):
    """Rate records: log-log data, the fitted line, and the claimed slope through the data's centre."""
    rates = [r for r in records if "fit_x" in r["params"] and "fit_y" in r["params"]]
    if not rates:
        raise validate.BoundcheckInputError("y='rate' needs rate records (fitted exponents); this store has none")
    shown = rates[:8]  # at most 8 records in one figure (the rows list them all)
    fig, ax = plt.subplots(figsize=(7.0, 4.0 + 0.25 * len(shown)))
    rows = []
    for rec in rates:  # a loop over records to draw, not over samples
        xs, ys = fit_series(rec["params"])
        slope, claimed = _number(rec["lhs"]), _number(rec["rhs"])
        const = _number(rec["params"].get("fitted_constant"))
        low, high = (_number(v) for v in (rec["interval"] or (math.nan, math.nan)))
        label = f"{rec['claim']} {_part(rec)} (cell {rec['cell']})".replace("  ", " ")
        rows.append({"series": label, "fitted_exponent": slope, "low": low, "high": high,
                     "claimed_exponent": claimed, "verdict": rec["verdict"]})
        if rec not in shown:
            continue
        line = ax.loglog(xs, ys, "o", ms=4)
        color = line[0].get_color()
        grid = np.geomspace(xs.min(), xs.max(), 50)
        text = f"{label}: fitted {slope:.3g} [{low:.3g}, {high:.3g}] (solid), claimed {claimed:.3g} (dashed)"
        if const is not None and slope is not None:
            ax.loglog(grid, const * grid ** slope, "-", color=color, label=text)
        if claimed is not None:
            gx, gy = np.exp(np.mean(np.log(xs))), np.exp(np.mean(np.log(ys)))
            ax.loglog(grid, gy * (grid / gx) ** claimed, "--", color=color, alpha=0.7)
    ax.set_xlabel("x of the fit (the claim's rate variable)")
    ax.set_ylabel("y of the fit")
    legend(ax, fontsize=6, below=True)
    ax.grid(alpha=0.3, which="both")
    write_figure(fig, out)
    return rows


def plot_fit_records(records, path):
    """One log-log panel per rate record (:func:`boundcheck.results.rate` or replicate fits): the measured
    points, the fitted line with its exponent and interval, and the claimed slope through the points'
    geometric centre; the verdict in the corner. Returns ``path``."""
    if not records:
        raise validate.BoundcheckInputError("rates: the chosen claims produced no fitted rate to plot")
    figure_format(path)
    plt = pyplot()
    cols = min(3, len(records))
    rows = math.ceil(len(records) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.9 * rows), squeeze=False)
    for ax, rec in zip(axes.ravel(), records):  # a loop over panels
        xs, ys = fit_series(rec.params)
        const = rec.params.get("fitted_constant", float(np.exp(np.mean(np.log(ys)) - rec.lhs * np.mean(np.log(xs)))))
        grid = np.geomspace(xs.min(), xs.max(), 50)
        ax.loglog(xs, ys, "o", color="C0", label="measured")
        low, high = rec.interval
        ax.loglog(grid, const * grid**rec.lhs, "-", color="C0", label=f"fit {rec.lhs:.3f} [{low:.3f}, {high:.3f}]")
        gx, gy = math.exp(np.mean(np.log(xs))), math.exp(np.mean(np.log(ys)))
        ax.loglog(grid, gy * (grid / gx) ** rec.rhs, "--", color="C3", label=f"claimed {rec.rhs:.3f} ({rec.relation})")
        title = f"{rec.claim}: {rec.params.get('part', '')}"
        ax.set_title(title if len(title) <= 48 else title[:45] + "...", fontsize=8)
        ax.set_xlabel("width m", fontsize=8)
        ax.tick_params(labelsize=7)
        plain_log_ticks(ax, xs)
        legend(ax, fontsize=6.5, below=True)
        ax.text(0.98, 0.96, rec.verdict, transform=ax.transAxes, fontsize=7, ha="right", va="top",
                bbox=dict(boxstyle="round", fc="white", ec="0.7", alpha=0.9))
    for ax in axes.ravel()[len(records):]:
        ax.axis("off")
    return write_figure(fig, path)
