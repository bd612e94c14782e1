"""The one place figures are made and written: matplotlib with the Agg backend, nothing clipped, atomic files.

* :func:`pyplot` -- ``matplotlib.pyplot`` on the Agg backend (no display needed);
* :func:`figure_format` -- the format a path's suffix asks for (png, pdf, svg), or a one-line error;
* :func:`legend` -- a legend that does not cover the data: inside the axes when it is short, below
  them (outside) when it is long;
* :func:`write_figure` -- lays the figure out so titles, labels and outside legends are inside the
  written image (``bbox_inches="tight"``), writes it atomically (a temporary file renamed: a failure
  leaves no partial file; PDF and SVG without a creation date, so reruns are identical) and closes it.
"""

from __future__ import annotations

import os

from .. import _validate as validate
from .files import atomic_path

__all__ = ["FIGURE_FORMATS", "pyplot", "figure_format", "legend", "legends_over_data", "plain_log_ticks",
           "write_figure"]

FIGURE_FORMATS = ("png", "pdf", "svg")
DPI = 120
#: A legend with more entries than this, or longer labels, goes below the axes.
INSIDE_ENTRIES = 4
INSIDE_LABEL = 45


def pyplot():
    """``matplotlib.pyplot`` with the Agg backend."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def figure_format(path):
    """The figure format implied by ``path``'s suffix; an error names the allowed ones."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"out must be a file path; got {path!r}")
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if suffix not in FIGURE_FORMATS:
        raise validate.BoundcheckInputError(
            f"out must end in one of {', '.join('.' + f for f in FIGURE_FORMATS)} for a figure; got {os.fspath(path)!r}")
    return suffix


def _points_in(ax, box):
    """Whether any data point of ``ax`` (lines, markers, error bars) falls inside the display-space ``box``."""
    import numpy as np

    def inside(xy):
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        if not xy.size:
            return False
        x, y = xy[:, 0], xy[:, 1]
        return bool(np.any((x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)))

    for line in ax.get_lines():
        if inside(ax.transData.transform(np.column_stack(line.get_data()).astype(float))):
            return True
    for collection in ax.collections:
        offsets = collection.get_offsets()
        if len(offsets) and inside(collection.get_offset_transform().transform(offsets)):
            return True
    return any(box.overlaps(patch.get_window_extent()) for patch in ax.patches)  # bars are areas


def _below(ax, fontsize, ncol, handles=None):
    """A legend just under the x tick labels and the x label of ``ax`` (an offset in points, so it stays
    there whatever the layout does to the axes' size)."""
    from matplotlib.transforms import offset_copy

    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    axis_box = ax.xaxis.get_tightbbox(renderer)
    axes_box = ax.get_window_extent(renderer)
    drop = 4.0 + (max(axes_box.y0 - axis_box.y0, 0.0) * 72.0 / fig.dpi if axis_box is not None else 0.0)
    anchor = offset_copy(ax.transAxes, fig=fig, x=0.0, y=-drop, units="points")
    extra = {} if handles is None else {"handles": handles}
    leg = ax.legend(fontsize=fontsize, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=anchor,
                    ncol=ncol, frameon=False, **extra)
    leg._boundcheck_below = True  # left out of tight_layout (the axes keep their size), in the written image
    return leg


def legend(ax, *, fontsize=7, ncol=1, handles=None, below=False):
    """Draw ``ax``'s legend where it covers no data.

    A few short labels go inside the axes at matplotlib's "best" place; :func:`write_figure` moves
    the legend below the axes if, once the figure is laid out, a data point falls under it. Long
    legends (or ``below=True``) go below the axes at once, under the tick labels and the x label.
    """
    if handles is None:
        labels = ax.get_legend_handles_labels()[1]
    else:
        labels = [h.get_label() for h in handles]
    if not labels:
        return None
    extra = {} if handles is None else {"handles": handles}
    if not below and len(labels) <= INSIDE_ENTRIES and max(len(label) for label in labels) <= INSIDE_LABEL:
        inside = ax.legend(fontsize=fontsize, loc="best", framealpha=0.85, **extra)
        inside._boundcheck_place = (fontsize, ncol, handles)  # checked against the data in write_figure
        return inside
    return _below(ax, fontsize, ncol, handles)


def legends_over_data(fig):
    """The axes of ``fig`` whose legend covers a data point (display coordinates of the drawn figure)."""
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is not None and _points_in(ax, leg.get_window_extent(renderer)):
            out.append(ax)
    return out


def _bottom_row(ax):
    spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
    return spec is None or spec.is_last_row()


def _layout(fig):
    """tight_layout without the legends below the bottom row's axes (so the axes keep their size; the
    written image, ``bbox_inches="tight"``, grows to hold them); legends below an upper row's axes make
    room for themselves."""
    below = [ax.get_legend() for ax in fig.axes
             if ax.get_legend() is not None and getattr(ax.get_legend(), "_boundcheck_below", False)
             and _bottom_row(ax)]
    for leg in below:
        leg.set_in_layout(False)
    fig.tight_layout()
    for leg in below:
        leg.set_in_layout(True)


def _settle_legends(fig):
    """Lay out; move every inside legend that covers data below its axes; lay out again."""
    _layout(fig)
    fig.canvas.draw()
    moved = False
    for ax in legends_over_data(fig):
        leg = ax.get_legend()
        if hasattr(leg, "_boundcheck_place"):
            fontsize, ncol, handles = leg._boundcheck_place
            leg.remove()
            _below(ax, fontsize, ncol, handles)
            moved = True
    if moved:
        _layout(fig)


def plain_log_ticks(ax, values=None):
    """Readable ticks on a log x axis: at ``values`` (a few data x values) with plain labels, else no labels
    on the minor ticks (2x10^1, 3x10^1 ... crowd)."""
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())
    if values is not None:
        values = sorted({float(v) for v in values})
        if 1 < len(values) <= 10:
            ax.set_xticks(values)
            ax.set_xticklabels([f"{v:g}" for v in values])


def write_figure(fig, path):
    """Lay out, write atomically and close ``fig`` (closed even when writing fails). Returns ``path``."""
    plt = pyplot()
    try:
        fmt = figure_format(path)
        metadata = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None},
                    "svg": {"Date": None}}[fmt]
        _settle_legends(fig)
        import matplotlib

        with atomic_path(path, suffix="." + fmt) as tmp:
            with matplotlib.rc_context({"svg.hashsalt": "boundcheck"}):  # SVG ids from a fixed salt: reruns identical
                fig.savefig(tmp, format=fmt, metadata=metadata, dpi=DPI, bbox_inches="tight", pad_inches=0.1)
    finally:
        plt.close(fig)
    return path
