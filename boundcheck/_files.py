"""Files the command line writes (``--out``, ``--plot``, ``--save-w``): checked, staged, renamed together.

A destination must be absent or a regular file with one link: a symbolic link, a folder, a device,
a pipe or a hard-linked file is refused (replacing it would not write where the user thinks, or
would cut the link). No destination may be one of the command's inputs (a sweep's store, its
config, an ``--instance`` file), and no two destinations may be the same file.

Each file is written to a temporary file in the destination's folder (:meth:`Outputs.stage`) and
renamed over the destination only when every file of the command is written
(:meth:`Outputs.commit`); a failure anywhere leaves the destinations as they were and no temporary
file behind (:meth:`Outputs.discard`). A replaced file keeps its permission bits; a new one gets
the usual ``0666 & ~umask``.
"""

from __future__ import annotations

import os
import stat
import tempfile

from . import _validate as validate

__all__ = ["check_destination", "same_file", "Outputs"]

_PREFIX = ".boundcheck-"


def check_destination(option, path):
    """Return ``path`` if it may be written (absent, or a regular file with one link); else raise."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{option} must be a file path; got {path!r}")
    path = os.fspath(path)
    if not path or not path.strip():
        raise validate.BoundcheckInputError(f"{option} must be a file path; got an empty string")
    if "\x00" in path:
        raise validate.BoundcheckInputError(f"{option} must be a file path without NUL characters; got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{option}: the folder {folder!r} does not exist")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return path
    except OSError as err:
        raise OSError(f"{option}: cannot inspect {path!r} ({err.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise validate.BoundcheckInputError(
            f"{option} must be a regular file or a new name; {path!r} is a symbolic link (give its target)")
    if stat.S_ISDIR(info.st_mode):
        raise validate.BoundcheckInputError(f"{option} must be a regular file or a new name; {path!r} is a folder")
    if not stat.S_ISREG(info.st_mode):
        raise validate.BoundcheckInputError(
            f"{option} must be a regular file or a new name; {path!r} is a device, pipe or socket")
    if info.st_nlink > 1:
        raise validate.BoundcheckInputError(
            f"{option} must be a regular file with one link; {path!r} has {info.st_nlink} hard links "
            "(replacing it would cut them)")
    return path


def same_file(a, b):
    """Whether paths ``a`` and ``b`` name the same file (existing or not)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Outputs:
    """The files one command writes: staged as temporary files, renamed into place together."""

    def __init__(self):
        self._staged = []  # (option, temporary, destination)

    def stage(self, option, path):
        """A temporary file beside ``path`` (same suffix) to write instead of ``path``; checked first."""
        path = check_destination(option, path)
        folder = os.path.dirname(os.path.abspath(path))
        suffix = os.path.splitext(path)[1]
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=_PREFIX, suffix=suffix)
        os.close(fd)
        self._staged.append((option, tmp, path))
        return tmp

    def temporaries(self):
        """``{temporary: destination}`` of every staged file."""
        return {tmp: path for _, tmp, path in self._staged}

    def commit(self):
        """Rename every staged file over its destination (rechecked), keeping a replaced file's mode."""
        try:
            for option, tmp, path in self._staged:
                check_destination(option, path)
                try:
                    info = os.stat(path)
                except FileNotFoundError:
                    os.chmod(tmp, 0o666 & ~_umask())
                else:
                    os.chmod(tmp, stat.S_IMODE(info.st_mode))
                    if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
                        try:
                            os.chown(tmp, info.st_uid, info.st_gid)
                        except OSError:  # only the owner's mode bits can be kept then
                            pass
            for option, tmp, path in self._staged:
                os.replace(tmp, path)
        finally:
            self.discard()

    def discard(self):
        """Remove every staged temporary file that is still there."""
        for _, tmp, _ in self._staged:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        self._staged = []
