"""The one figure helper: legends never over data, titles and outside legends inside the image, atomic files."""

import os

import numpy as np
import pytest

from boundcheck.report import figures


def _crowded(plt, labels=3):
    fig, ax = plt.subplots(figsize=(4, 3))
    grid = np.linspace(0, 1, 12)
    xx, yy = np.meshgrid(grid, grid)
    ax.plot(xx.ravel(), yy.ravel(), "o", label="points everywhere")  # no free corner for a legend
    for k in range(labels - 1):
        ax.plot([0, 1], [k / 3, k / 3], label=f"line {k}")
    ax.set_title("a long title " * 6)
    ax.set_xlabel("x")
    return fig, ax


def test_legend_moves_off_the_data_and_stays_in_the_image():
    plt = figures.pyplot()
    fig, ax = _crowded(plt)
    figures.legend(ax)
    figures._settle_legends(fig)
    fig.canvas.draw()
    assert figures.legends_over_data(fig) == []
    renderer = fig.canvas.get_renderer()
    image = fig.get_tightbbox(renderer)  # what bbox_inches="tight" writes
    for artist in (ax.get_legend(), ax.title):
        box = artist.get_window_extent(renderer).transformed(fig.dpi_scale_trans.inverted())
        assert image.x0 - 1e-6 <= box.x0 and box.x1 <= image.x1 + 1e-6
        assert image.y0 - 1e-6 <= box.y0 and box.y1 <= image.y1 + 1e-6
    plt.close(fig)


def test_an_inside_legend_over_data_is_detected():
    plt = figures.pyplot()
    fig, ax = _crowded(plt)
    ax.legend(loc="center")
    fig.canvas.draw()
    assert figures.legends_over_data(fig) == [ax]  # the check can fail
    plt.close(fig)


def test_write_figure_is_atomic_and_closes(tmp_path):
    plt = figures.pyplot()
    fig, ax = _crowded(plt)
    figures.legend(ax)
    path = tmp_path / "f.png"
    assert figures.write_figure(fig, path) == path
    assert path.stat().st_size > 0 and not plt.fignum_exists(fig.number)
    assert [p.name for p in tmp_path.iterdir()] == ["f.png"]
    fig, _ = _crowded(plt)
    with pytest.raises(ValueError, match="out must end in one of .png, .pdf, .svg"):
        figures.write_figure(fig, tmp_path / "f.txt")
    assert not plt.fignum_exists(fig.number)
    fig, _ = _crowded(plt)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        figures.write_figure(fig, tmp_path / "missing" / "f.png")
    assert sorted(os.listdir(tmp_path)) == ["f.png"]


def test_pdf_and_svg_are_reproducible(tmp_path):
    plt = figures.pyplot()
    out = []
    for name in ("a.svg", "b.svg"):
        fig, ax = _crowded(plt)
        figures.legend(ax)
        figures.write_figure(fig, tmp_path / name)
        out.append((tmp_path / name).read_bytes())
    assert out[0] == out[1]


def test_legends_below_an_upper_row_leave_room_for_the_next_row():
    plt = figures.pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(4, 5))
    for ax in axes:
        for k in range(4):
            ax.plot([0, 1], [k, k + 1], label=f"a rather long legend label number {k}")
        ax.set_title("title")
        ax.set_xlabel("x")
        figures.legend(ax, below=True)
    figures._settle_legends(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    upper_legend = axes[0].get_legend().get_window_extent(renderer)
    lower_title = axes[1].title.get_window_extent(renderer)
    assert upper_legend.y0 > lower_title.y1  # the upper legend ends above the lower title
    plt.close(fig)
