"""Helpers the command-line tests share: run ``main`` in-process, check the one-line error, write a file."""

import io
from contextlib import redirect_stderr, redirect_stdout

from boundcheck.cli import main


def run_cli(argv):
    """``main(argv)`` in this process; returns (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def assert_one_line_exit_2(status, err):
    """Exit status 2 with exactly one line on stderr and no traceback."""
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def write(folder, text, name="c.toml"):
    """Write ``text`` to ``folder / name``; returns the path as a string."""
    path = folder / name
    path.write_text(text)
    return str(path)
