"""Progress on standard error, on a terminal only: a bar over known steps, a timer for one long call."""

from __future__ import annotations

import contextlib
import sys
import threading

__all__ = ["bar", "working"]


def _enabled():
    return sys.stderr.isatty()


def bar(iterable, *, desc, unit, total=None):
    """``iterable`` wrapped in a tqdm bar on stderr (a plain iterable when stderr is not a terminal)."""
    from tqdm import tqdm  # imported when a bar is drawn, not at start-up

    return tqdm(iterable, desc=desc, unit=unit, total=total, disable=not _enabled(), file=sys.stderr, leave=False)


@contextlib.contextmanager
def working(desc):
    """A tqdm line with the elapsed time, refreshed twice a second, while the block runs (terminal only)."""
    if not _enabled():
        yield
        return
    from tqdm import tqdm

    line = tqdm(total=None, desc=desc, bar_format="{desc}: {elapsed}", file=sys.stderr, leave=False)
    done = threading.Event()

    def tick():
        while not done.wait(0.5):  # a refresh loop, not a loop over data
            line.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        line.close()
