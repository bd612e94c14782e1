"""Output files of the command line: only regular files are replaced, never an input, keeping their mode;
every file of a command is written atomically and only when the whole command succeeds."""

import json
import os
import stat

import numpy as np
import pytest
from clihelp import assert_one_line_exit_2, run_cli

from boundcheck import _files
from boundcheck._validate import BoundcheckInputError


CHEAP = ["verify", "Symmetric init", "--n", "4", "--width", "4", "--dim", "2", "--format", "json"]


def _hostile_destinations(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("target\n")
    (tmp_path / "link.txt").symlink_to(target)
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nothing")
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    linked = tmp_path / "linked.txt"
    linked.write_text("linked\n")
    os.link(linked, tmp_path / "linked-too.txt")
    cases = {"symbolic link": tmp_path / "link.txt", "symbolic link": tmp_path / "dangling.txt",
             "folder": tmp_path / "folder", "device, pipe or socket": tmp_path / "fifo",
             "hard links": linked, "empty": ""}
    try:  # a private null device (never the system's /dev/null: a regression would replace it)
        os.mknod(tmp_path / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        cases["device"] = tmp_path / "null"
    except (PermissionError, OSError):
        pass
    return cases


def test_out_refuses_what_is_not_a_regular_file(tmp_path):
    cases = _hostile_destinations(tmp_path)
    before = sorted(os.listdir(tmp_path))
    contents = {p: open(p).read() for p in (tmp_path / "target.txt", tmp_path / "linked.txt")}
    for why, path in cases.items():
        for option, argv in (("--out", CHEAP + ["--out", str(path)]),
                             ("--plot", ["opnorm", "--n", "8", "--dim", "2", "--trials", "4", "--plot", str(path)]),
                             ("--save-w", ["opt", "--n", "10", "--width", "4", "--dim", "2", "--save-w", str(path)])):
            status, _, err = run_cli(argv)
            assert_one_line_exit_2(status, err)
            assert option in err, err
    assert sorted(os.listdir(tmp_path)) == before
    assert {p: open(p).read() for p in contents} == contents
    assert os.path.islink(tmp_path / "link.txt") and os.stat(tmp_path / "linked.txt").st_nlink == 2


def test_check_destination_names_the_reason(tmp_path):
    cases = _hostile_destinations(tmp_path)
    for why, path in cases.items():
        if why == "empty":
            with pytest.raises(BoundcheckInputError, match="empty string"):
                _files.check_destination("--out", path)
            continue
        with pytest.raises(BoundcheckInputError, match=why.split(",")[0]):
            _files.check_destination("--out", path)
    assert _files.check_destination("--out", str(tmp_path / "new.txt")) == str(tmp_path / "new.txt")


def test_out_must_not_be_an_input(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sweep]\nclaim = "Equation 4 event"\n[grid]\nwidth = [4]\n')
    store = tmp_path / "s.sqlite"
    assert run_cli(["sweep", str(cfg), "--store", str(store), "--workers", "1"])[0] == 0
    before = store.read_bytes()
    for argv in (["sweep", str(cfg), "--store", str(store), "--resume", "--out", str(store)],
                 ["sweep", str(cfg), "--resume", "--out", str(tmp_path / "c.sqlite")],  # the default store
                 ["sweep", str(cfg), "--store", str(store), "--resume", "--out", str(cfg)],
                 ["table", "--store", str(store), "--out", str(store)],
                 ["plot", "--store", str(store), "--x", "width", "--out", str(store)]):
        status, _, err = run_cli(argv)
        assert_one_line_exit_2(status, err)
    assert store.read_bytes() == before and "claim" in cfg.read_text()
    inst = tmp_path / "i.npz"
    np.savez(inst, x=np.eye(2))
    status, _, err = run_cli(["opnorm", "--instance", str(inst), "--out", str(inst)])
    assert_one_line_exit_2(status, err)
    status, _, err = run_cli(["opnorm", "--plot", str(tmp_path / "f.png"), "--out", str(tmp_path / "f.png")])
    assert_one_line_exit_2(status, err)
    assert "different files" in err


def test_a_replaced_file_keeps_its_mode(tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old\n")
    os.chmod(out, 0o640)
    assert run_cli(CHEAP + ["--out", str(out)])[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640 and json.loads(out.read_text())[0]["claim"] == "Symmetric init"
    os.chmod(out, 0o604)
    plot = tmp_path / "f.png"
    plot.write_bytes(b"old")
    os.chmod(plot, 0o600)
    assert run_cli(["opnorm", "--n", "8", "--dim", "2", "--trials", "4", "--plot", str(plot), "--out", str(out)])[0] == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o604 and stat.S_IMODE(plot.stat().st_mode) == 0o600
    new = tmp_path / "new.json"
    mask = os.umask(0o022)
    try:
        assert run_cli(CHEAP + ["--out", str(new)])[0] == 0
    finally:
        os.umask(mask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o644


def test_a_failed_out_leaves_no_plot_and_the_old_files(tmp_path, monkeypatch):
    import boundcheck.report.tables as tables

    plot, out, weights = tmp_path / "f.png", tmp_path / "o.json", tmp_path / "w.npz"
    plot.write_bytes(b"old plot")
    weights.write_bytes(b"old weights")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tables, "format_output", full_disk)
    status, _, err = run_cli(["opnorm", "--n", "8", "--dim", "2", "--trials", "4", "--plot", str(plot), "--out", str(out)])
    assert_one_line_exit_2(status, err)
    status, _, err = run_cli(["opt", "--n", "10", "--width", "4", "--dim", "2", "--save-w", str(weights),
                           "--out", str(out)])
    assert_one_line_exit_2(status, err)
    status, _, err = run_cli(["opnorm", "--n", "8", "--dim", "2", "--trials", "4", "--plot", str(tmp_path / "g.png")])
    assert_one_line_exit_2(status, err)
    assert plot.read_bytes() == b"old plot" and weights.read_bytes() == b"old weights"
    assert sorted(os.listdir(tmp_path)) == ["f.png", "w.npz"]


def test_plot_and_save_w_are_written_atomically(tmp_path, monkeypatch):
    """A failure while the figure or the weights are written leaves the old file whole, and no temporary."""
    import boundcheck.report.plots_generalization as plots

    plot, weights = tmp_path / "f.png", tmp_path / "w.npz"
    plot.write_bytes(b"old plot")
    weights.write_bytes(b"old weights")

    def half_written(vs_n, vs_d, path):
        with open(path, "wb") as handle:
            handle.write(b"\x89PNG half")
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(plots, "plot_m_op", half_written)
    status, _, err = run_cli(["opnorm", "--n", "8", "--dim", "2", "--trials", "4", "--plot", str(plot)])
    assert_one_line_exit_2(status, err)

    def savez_fails(handle, **arrays):
        handle.write(b"PK half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", savez_fails)
    status, _, err = run_cli(["opt", "--n", "10", "--width", "4", "--dim", "2", "--save-w", str(weights)])
    assert_one_line_exit_2(status, err)
    assert plot.read_bytes() == b"old plot" and weights.read_bytes() == b"old weights"
    assert sorted(os.listdir(tmp_path)) == ["f.png", "w.npz"]
    monkeypatch.undo()
    status, out, err = run_cli(["opt", "--n", "10", "--width", "4", "--dim", "2", "--save-w", str(weights),
                             "--format", "json"])
    assert status == 0, err
    assert json.loads(out)["saved_w"] == str(weights)
    with np.load(weights) as saved:
        assert saved["w_move"].shape == (4, 2)


def test_plot_needs_a_figure_suffix(tmp_path):
    status, _, err = run_cli(["opnorm", "--n", "8", "--dim", "2", "--trials", "4", "--plot", str(tmp_path / "plot")])
    assert_one_line_exit_2(status, err)
    assert "--plot must end in one of .png" in err and os.listdir(tmp_path) == []
