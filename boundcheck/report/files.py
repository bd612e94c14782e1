"""Files written whole or not at all: a temporary name in the same folder, renamed over the target."""

from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["atomic_path", "write_text"]


@contextlib.contextmanager
def atomic_path(path, *, suffix=".tmp", what="out"):
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on failure it is removed.

    The file gets the usual permissions (0666 less the umask), not mkstemp's 0600. ``what`` names
    the option in the error when the folder is missing.
    """
    directory = os.path.dirname(os.path.abspath(os.fspath(path)))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{what}: the folder {directory!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".boundcheck-", suffix=suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text(path, text, *, what="out"):
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path, what=what) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
