"""Figures of Section 5.1: M_op against n and d, and quadratic-versus-NTK complexities against d.

Matplotlib with the Agg backend (no display needed); each function writes the figure to the path
the user names (the format follows the extension: .png, .pdf, .svg) through
:func:`boundcheck.report.figures.write_figure` and returns that path.
"""

from __future__ import annotations

import os

import numpy as np

from .figures import figure_format, legend, pyplot, write_figure

__all__ = ["plot_m_op", "plot_complexities"]


def _check_path(path):
    figure_format(path)
    return os.fspath(path)


def _errorbar(ax, xs, mean, low, high, **kw):
    mean = np.asarray(mean)
    ax.errorbar(xs, mean, yerr=[mean - np.asarray(low), np.asarray(high) - mean], capsize=3, marker="o", **kw)


def _dim_ticks(ax, dims):
    ax.minorticks_off()
    ax.set_xticks(list(dims))
    ax.set_xticklabels([f"{int(d)}" for d in dims])


def plot_m_op(rows_vs_n, rows_vs_d, path):
    r"""Two panels: :math:`M_{x,\mathrm{op}}` against n (fixed d) and against d (fixed n).

    ``rows_vs_n`` and ``rows_vs_d`` are lists of rows from
    :func:`boundcheck.numeric.opnorm.m_op_sweep`, possibly for several distributions (grouped by
    their ``dist``). Reference lines: 1 (always), :math:`1/\sqrt d` and the finite-n value.
    """
    path = _check_path(path)
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, rows, key in ((axes[0], rows_vs_n, "n"), (axes[1], rows_vs_d, "dim")):
        for dist in dict.fromkeys(r["dist"] for r in rows):
            sel = [r for r in rows if r["dist"] == dist]
            xs = [r[key] for r in sel]
            _errorbar(ax, xs, [r["m_op"] for r in sel], [r["low"] for r in sel], [r["high"] for r in sel],
                      label=f"{dist} (Monte Carlo, CI)")
            if sel and sel[0].get("finite_n") is not None and dist in ("sphere", "hypercube"):
                ax.plot(xs, [r["finite_n"] for r in sel], ls=":", label=f"{dist}: (1+sqrt(d/n))/sqrt(d)")
        xs = sorted({r[key] for r in rows})
        if key == "dim":
            ax.plot(xs, 1 / np.sqrt(xs), "k--", label="paper: 1/sqrt(d)")
        ax.axhline(1.0, color="gray", lw=0.8, label="always: 1")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n (samples)" if key == "n" else "d (input dimension)")
        ax.set_ylabel("M_op")
        fixed = rows[0]["dim"] if key == "n" else rows[0]["n"]
        ax.set_title(f"M_op vs {'n' if key == 'n' else 'd'} ({'d' if key == 'n' else 'n'} = {fixed})")
        legend(ax)
    return write_figure(fig, path)


def plot_complexities(rows, path):
    r"""Quadratic-class and NTK-class Rademacher complexities (exact, with CI) and their bounds against d.

    ``rows`` come from :func:`boundcheck.numeric.rademacher.complexity_sweep`. A second panel shows
    the ratio quadratic / NTK beside a :math:`d^{-1/2}` guide.
    """
    path = _check_path(path)
    plt = pyplot()
    dims = np.array([r["dim"] for r in rows], dtype=float)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    _errorbar(ax, dims, [r["quadratic"] for r in rows], [r["quadratic_low"] for r in rows],
              [r["quadratic_high"] for r in rows], label="quadratic F^Q(B_w): exact")
    ax.plot(dims, [r["quadratic_bound"] for r in rows], ls="--", label="quadratic: Lemma 5 bound")
    _errorbar(ax, dims, [r["ntk"] for r in rows], [r["ntk_low"] for r in rows], [r["ntk_high"] for r in rows],
              label="NTK ||W||_F <= R: exact")
    ax.plot(dims, [r["ntk_bound"] for r in rows], ls="--", label="NTK: Frobenius (trace) bound")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _dim_ticks(ax, dims)
    ax.set_xlabel("d (input dimension)")
    ax.set_ylabel("empirical Rademacher complexity")
    ax.set_title(f"n = {rows[0]['n']}, m = {rows[0]['width']}")
    legend(ax)
    ax = axes[1]
    ratio = np.array([r["ratio"] for r in rows])
    ax.plot(dims, ratio, marker="o", label="quadratic / NTK")
    ax.plot(dims, ratio[0] * np.sqrt(dims[0] / dims), "k--", label="d^{-1/2} guide")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _dim_ticks(ax, dims)
    ax.set_xlabel("d (input dimension)")
    ax.set_title("operator-norm vs Frobenius-norm dependence")
    legend(ax)
    return write_figure(fig, path)
