r"""Sweeps: one registered claim over a grid of its options and many seeds, results into a store.

A sweep configuration is a TOML file::

    [sweep]
    claim = "Equation 4 event"   # a registered claim label
    name = "eq4-width"           # optional; default: the file's stem
    seed = 0                     # the sweep seed; every cell's seed is spawned from it
    replicates = 4               # seeds per grid point (default 1)

    [grid]                       # every combination of these values is a grid point
    width = [64, 128, 256]
    dim = [4, 8]

    [fixed]                      # options passed to every cell unchanged (optional)
    failure_prob = 0.05

Grid and fixed options may be any keyword the claim's check function accepts, not only the
common command-line options (so ``bound_factor`` or ``claimed_mean`` can be swept too). A value
is a finite number, a string, a boolean, or a flat list of them (``widths = [64, 128, 256]`` in
``[fixed]``; in ``[grid]`` a list of such lists).

Cells are the grid points in row-major order over the ``[grid]`` keys **sorted by name** (the
first name varies slowest), each repeated ``replicates`` times, so the order of the keys in the
file changes neither the cells nor the configuration hash. (Stores written before this rule
numbered cells in file order; resuming one detects that order from its finished cells, records it
and keeps it, see :func:`run_sweep`.) Cell ``i`` draws from
``numpy.random.default_rng(seed_i)`` where ``seed_i`` is a 63-bit integer taken from
``SeedSequence(sweep_seed, spawn_key=(i,))`` -- the ``i``-th child of
``SeedSequence(sweep_seed).spawn``. A cell's result therefore depends only on the sweep seed and
its index, never on the number or kind of workers, and ``boundcheck verify CLAIM --seed seed_i``
with the same options reproduces it.

Cells run in local worker processes (``workers``), in this process (``workers=1``), or on a
Dask cluster (``scheduler``); the main process writes each finished cell to the store in one
transaction, so an interrupted sweep resumed with ``resume=True`` loses and duplicates nothing.
Local workers die with the main process (``PR_SET_PDEATHSIG`` on Linux and a watchdog thread
everywhere), ignore Ctrl-C (the main process stops them), and never hold the store's lock.

An option's value must be of the kind of the check's default (a number, a string, a boolean or a
list); an option whose default is None takes any allowed value, and a cell that fails on it is
reported in one line naming the cell.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import dataclasses
import inspect
import itertools
import math
import numbers
import os
import signal
import sys
import threading
import time
import warnings

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10: the same parser from PyPI
    import tomli as tomllib

import numpy as np

from .. import _validate as validate
from .provenance import provenance
from .registry import get_claim
from .store import open_store

__all__ = ["SweepConfig", "Cell", "load_config", "parse_config", "cell_seed", "make_cells", "run_cell", "BATTERY",
           "run_battery_sweep",
           "run_sweep", "StoreVersionWarning"]

_SECTIONS = ("sweep", "grid", "fixed")
#: The claim label of a cell that runs the whole battery as one run (:func:`run_cell`).
BATTERY = "battery"
_SWEEP_KEYS = ("claim", "name", "seed", "replicates")
_RESERVED = ("rng", "seed")
_CONNECT_TIMEOUT = 10  # seconds to reach a Dask scheduler
_WATCHDOG_PERIOD = 0.25  # seconds between a worker's checks that its parent is alive
_COMPARED_VERSIONS = ("boundcheck", "numpy")


class StoreVersionWarning(UserWarning):
    """A sweep is resumed with other versions of boundcheck or numpy than it was started with."""


@dataclasses.dataclass(frozen=True)
class Cell:
    """One unit of work: ``claim`` with ``options`` drawn from ``default_rng(seed)``."""

    index: int
    claim: str
    options: dict
    replicate: int
    seed: int


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """A parsed, validated sweep configuration (see the module docstring for the TOML form)."""

    claim: str
    name: str
    seed: int
    replicates: int
    grid: dict
    fixed: dict

    def to_dict(self):
        return {"claim": self.claim, "name": self.name, "seed": self.seed, "replicates": self.replicates,
                "grid": {k: list(v) for k, v in self.grid.items()}, "fixed": dict(self.fixed)}

    @property
    def n_cells(self):
        return math.prod(len(v) for v in self.grid.values()) * self.replicates


def _scalar_ok(value):
    if isinstance(value, bool) or isinstance(value, str):
        return True
    if isinstance(value, numbers.Integral):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    return False


def _shown(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_option_value(where, key, value, default=None):
    """A cell option is a finite number, a string, a boolean, or a flat list of those (e.g. ``widths``),
    of the kind of the check's ``default`` when it has one."""
    if not (isinstance(value, list) and value and all(_scalar_ok(v) for v in value)) and not _scalar_ok(value):
        raise validate.BoundcheckInputError(
            f"{where}.{key} must hold finite numbers, strings, booleans or flat lists of them; got {_shown(value)}")
    if isinstance(default, bool):
        kind, ok = "a boolean (true or false)", isinstance(value, bool)
    elif isinstance(default, numbers.Real):
        kind, ok = "a number", isinstance(value, numbers.Real) and not isinstance(value, bool)
    elif isinstance(default, str):
        kind, ok = "a string", isinstance(value, str)
    elif isinstance(default, (tuple, list)):
        kind, ok = "a list", isinstance(value, list)
    else:
        return
    if not ok:
        raise TypeError(f"{where}.{key} must be {kind}, like its default {_shown(default)}; got {_shown(value)} "
                        f"({type(value).__name__})")


def parse_config(data, *, default_name="sweep", default_seed=0):
    """Validate a configuration dict (as read from TOML) and return a :class:`SweepConfig`."""
    if not isinstance(data, dict):
        raise TypeError(f"sweep configuration must be a table; got {type(data).__name__}")
    unknown = [k for k in data if k not in _SECTIONS]
    if unknown:
        raise validate.BoundcheckInputError(
            f"sweep configuration sections must be among {', '.join(_SECTIONS)}; got {unknown[0]!r}")
    head = data.get("sweep")
    if not isinstance(head, dict):
        raise validate.BoundcheckInputError("sweep configuration must have a [sweep] table naming the claim")
    bad = [k for k in head if k not in _SWEEP_KEYS]
    if bad:
        raise validate.BoundcheckInputError(f"[sweep] keys must be among {', '.join(_SWEEP_KEYS)}; got {bad[0]!r}")
    if "claim" not in head:
        raise validate.BoundcheckInputError("[sweep] must name the claim, e.g. claim = \"Equation 4 event\"")
    if not isinstance(head["claim"], str):
        raise TypeError(f"sweep.claim must be a string; got {head['claim']!r}")
    battery = head["claim"].strip().lower() == BATTERY
    claim = None if battery else get_claim(head["claim"])
    name = head.get("name", default_name)
    if not isinstance(name, str) or not name.strip():
        raise validate.BoundcheckInputError(f"sweep.name must be a non-empty string; got {name!r}")
    seed = validate.integer("sweep.seed", head.get("seed", default_seed), minimum=0, maximum=2**63 - 1)
    replicates = validate.integer("sweep.replicates", head.get("replicates", 1), minimum=1, maximum=10**6)

    if battery:  # every claim of the battery at its defaults: the trust suite's runs
        if data.get("grid") or data.get("fixed"):
            raise validate.BoundcheckInputError("a battery sweep takes no [grid] or [fixed] options: its cells are "
                                                "the battery at its defaults, one seed each")
        return SweepConfig(BATTERY, name.strip(), seed, replicates, {}, {})
    accepted = inspect.signature(claim.check).parameters
    allowed = [p for p in accepted if p not in _RESERVED]
    grid, fixed = {}, {}
    for section, target in (("grid", grid), ("fixed", fixed)):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise validate.BoundcheckInputError(f"[{section}] must be a table of options; got {table!r}")
        for key, value in table.items():
            if key not in accepted or key in _RESERVED:
                raise validate.BoundcheckInputError(
                    f"{section}.{key} is not an option of {claim.label!r}; allowed: {', '.join(allowed)}")
            if key == "instance":
                raise validate.BoundcheckInputError(f"{section}.instance cannot be swept; use verify --instance")
            if section == "grid":
                if not isinstance(value, list) or not value:
                    raise validate.BoundcheckInputError(
                        f"grid.{key} must be a non-empty list of values; got {value!r}")
                for v in value:
                    _check_option_value("grid", key, v, accepted[key].default)
                target[key] = list(value)
            else:
                _check_option_value("fixed", key, value, accepted[key].default)
                target[key] = value
    both = set(grid) & set(fixed)
    if both:
        raise validate.BoundcheckInputError(f"option {sorted(both)[0]!r} is in both [grid] and [fixed]")
    config = SweepConfig(claim.name, name.strip(), seed, replicates, grid, fixed)
    if config.n_cells > 10**6:
        raise validate.BoundcheckInputError(f"a sweep must have at most 1000000 cells; got {config.n_cells}")
    return config


def load_config(path, *, default_seed=0):
    """Read and validate the TOML sweep configuration at ``path`` (``default_seed`` when it names none)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"config must be a file path; got {path!r}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"config: no such file {os.fspath(path)!r}")
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise validate.BoundcheckInputError(f"config {os.fspath(path)!r} is not valid TOML ({err})") from None
    except UnicodeDecodeError:
        raise validate.BoundcheckInputError(f"config {os.fspath(path)!r} is not UTF-8 text") from None
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0] or "sweep"
    return parse_config(data, default_name=stem, default_seed=default_seed)


def cell_seed(sweep_seed, index):
    """The seed of cell ``index``: 63 bits of ``SeedSequence(sweep_seed).spawn(...)[index]``."""
    child = np.random.SeedSequence(int(sweep_seed), spawn_key=(int(index),))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def make_cells(config, order=None):
    """Every cell of the sweep, in index order.

    A battery sweep (claim :data:`BATTERY`) numbers its runs' seeds consecutively from the sweep's
    seed, so that cell i is ``boundcheck --seed (seed + i)``; every other sweep spawns them
    (:func:`cell_seed`).

    ``order`` is the sequence of ``[grid]`` keys the cells are numbered by (the first varies
    slowest); by default the keys sorted by name, which every new sweep uses.
    """
    keys = sorted(config.grid) if order is None else list(order)
    if sorted(keys) != sorted(config.grid):
        raise validate.BoundcheckInputError(f"order must list the grid keys {sorted(config.grid)}; got {keys}")
    cells = []
    index = 0
    for values in itertools.product(*(config.grid[k] for k in keys)):
        for replicate in range(config.replicates):
            options = dict(config.fixed)
            options.update(zip(keys, values))
            seed = config.seed + index if config.claim == BATTERY else cell_seed(config.seed, index)
            cells.append(Cell(index, config.claim, options, replicate, seed))
            index += 1
    return cells


def run_cell(claim_label, seed, options):
    """Run one cell in this process; return its records as JSON-ready dicts.

    A cell is a run of its own (:func:`boundcheck.run.runner.run_claims`): any keyword the check
    accepts can be set, the Generator is ``numpy.random.default_rng(seed)``, the records are
    calibrated as one run, and floating-point errors are raised as on the command line
    (:func:`boundcheck._validate.float_errors`). ``claim_label`` :data:`BATTERY` runs every claim of
    the battery as one run (the trust suite's runs). Top-level so worker processes and Dask can pickle it.
    """
    from .runner import run_claims

    labels = None if claim_label == BATTERY else [claim_label]
    with validate.float_errors():  # as on the command line: overflow or NaN is an error, in every worker
        run = run_claims(labels, seed=int(seed), options=options, strict=labels is not None)
    return [record.to_dict() for record in run.records]


def _timed_cell(claim_label, seed, options):
    start = time.perf_counter()
    records = run_cell(claim_label, seed, options)
    return records, time.perf_counter() - start


def run_sweep(config, store_path, *, workers=None, scheduler=None, resume=False, progress=False,
              on_cell=None, config_path=None):
    """Run every unfinished cell of ``config`` and write each into the store as it finishes.

    Parameters
    ----------
    config : SweepConfig or str
        The configuration, or the path of its TOML file.
    store_path : str
        The SQLite store (created if missing). It is locked while the sweep runs: a second sweep
        on the same store is refused at once (:class:`~boundcheck.run.store.StoreBusyError`).
    workers : int, optional
        Local worker processes (default: the number of CPUs). 1 runs the cells in this process.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:port``); the cells run on that cluster.
    resume : bool
        Skip the cells already in the store. Without it, a sweep with finished cells is an error.
        A resumed sweep keeps the cell numbering it was started with (stores written before cells
        were numbered in sorted key order keep their file order, detected from their cells), and a
        :class:`StoreVersionWarning` says when boundcheck or numpy differ from the sweep's start.
    progress : bool
        Show a tqdm progress bar on stderr.
    on_cell : callable, optional
        Called as ``on_cell(cell)`` after each cell is committed (tests use it to interrupt).

    Returns
    -------
    dict
        ``sweep, claim, store, cells, skipped, ran, verdicts`` (counts over the records written now).

    A sweep that fails before its first cell removes the store only if it created the file and
    the file holds no cell; a store that existed before is never removed.
    """
    if isinstance(config, (str, os.PathLike)):
        config_path = config
        config = load_config(config)
    if workers is not None:
        workers = validate.integer("workers", workers, minimum=1, maximum=1024)
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise validate.BoundcheckInputError(f"scheduler must be an address such as tcp://host:8786; got {scheduler!r}")
    verdicts = {"HOLDS": 0, "VIOLATED": 0, "INCONCLUSIVE": 0}
    committed = []
    with open_store(store_path) as store:
        try:
            cells = _prepare(config, store, resume)
            _run_into_store(config, cells, store, workers, scheduler, progress, on_cell, config_path, verdicts,
                            committed)
        except BaseException:
            if not committed:
                store.remove_if_empty()  # only a file this sweep created, and only while it holds no cell
            raise
    ran = len(committed)
    return {"sweep": config.name, "claim": config.claim, "store": os.fspath(store_path), "cells": len(cells),
            "skipped": len(cells) - ran, "ran": ran, "verdicts": verdicts}


def _same_cell(cell, stored):
    from .store import canonical_json

    return (cell.replicate == stored["replicate"] and cell.seed == stored["seed"]
            and canonical_json(cell.options) == canonical_json(stored["options"]))


def _numbering_matches(config, order, finished):
    cells = make_cells(config, order)
    return all(row["cell"] < len(cells) and _same_cell(cells[row["cell"]], row) for row in finished)


def _legacy_order(config, finished, where):
    """The ``[grid]`` key order a store of format 1 numbered ``finished`` cells by (sorted if none)."""
    keys = sorted(config.grid)
    candidates = [keys, list(config.grid)]
    if len(keys) <= 7:  # at most 5040 orders, each checked against the finished cells only
        candidates += [list(p) for p in itertools.permutations(keys)]
    for order in candidates:
        if _numbering_matches(config, order, finished):
            return order
    raise validate.BoundcheckInputError(
        f"{where}: its finished cells match the configuration under no order of the [grid] keys; "
        "use another --store or another sweep name")


def _prepare(config, store, resume):
    """Register the sweep, fix its cell numbering and check the finished cells; every cell, in order."""
    from .provenance import versions

    current = versions()
    store.register_sweep(config.name, config.to_dict(), resume=resume,
                         meta={"grid_order": sorted(config.grid), "versions": current})
    where = f"sweep {config.name!r} in {store.path!r}"
    meta = store.sweep_meta(config.name)
    finished = store.cells(config.name)
    order = meta.get("grid_order")
    if order is None:  # a store of format 1: cells were numbered in the file's key order
        order = _legacy_order(config, finished, where)
        store.set_sweep_meta(config.name, "grid_order", order)
    elif not _numbering_matches(config, order, finished):
        raise validate.BoundcheckInputError(f"{where}: its finished cells do not match this configuration; "
                                            "use another --store or another sweep name")
    if finished:
        started = meta.get("versions") or finished[0]["provenance"].get("versions") or {}
        changed = [f"{k} {started.get(k)} (now {current.get(k)})" for k in _COMPARED_VERSIONS
                   if started.get(k) != current.get(k)]
        if changed:
            warnings.warn(f"{where} was started with {' and '.join(changed)}; the cells run now record the new "
                          "versions in their provenance", StoreVersionWarning, stacklevel=3)
    return make_cells(config, order)


def _show_options(options):
    text = ", ".join(f"{k}={v!r}" for k, v in options.items())
    return text if len(text) <= 80 else text[:77] + "..."


def _outcome(cell, get):
    """``get()`` (a cell's records and time); a failure is re-raised naming the cell and its options."""
    where = f"sweep cell {cell.index} ({_show_options(cell.options)})"
    try:
        return get()
    except MemoryError:
        raise validate.BoundcheckInputError(f"{where} needs more memory than this machine has") from None
    except concurrent.futures.process.BrokenProcessPool:
        raise OSError(f"{where}: a worker process died (out of memory?); finish with --resume") from None
    except validate.BoundcheckInputError as err:
        raise validate.BoundcheckInputError(f"{where}: {err}") from None
    except TypeError as err:
        raise TypeError(f"{where}: {err}") from None
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    except ArithmeticError as err:
        raise ArithmeticError(f"{where}: floating-point trouble ({type(err).__name__}: {err})") from None
    except (OSError, KeyboardInterrupt, SystemExit):
        raise
    except Exception as err:  # noqa: BLE001 - an option the check cannot use (e.g. a string where it wants a dict)
        raise TypeError(f"{where}: the check cannot use these options ({type(err).__name__}: {err})") from None


def _run_into_store(config, cells, store, workers, scheduler, progress, on_cell, config_path, verdicts, committed):
    done = store.finished_cells(config.name)
    todo = [c for c in cells if c.index not in done]

    def commit(cell, records, elapsed):
        params = dict(sweep=config.name, claim=cell.claim, cell=cell.index, replicate=cell.replicate,
                      sweep_seed=config.seed, config=None if config_path is None
                      else os.path.abspath(os.fspath(config_path)))
        prov = provenance(cell.seed, params)
        prov["parameters"]["options"] = dict(sorted(cell.options.items()))
        store.write_cell(config.name, cell.index, claim=cell.claim, options=cell.options,
                         replicate=cell.replicate, seed=cell.seed, records=records,
                         provenance=prov, elapsed=elapsed)
        committed.append(cell.index)
        for rec in records:
            verdicts[rec["verdict"]] = verdicts.get(rec["verdict"], 0) + 1
        if on_cell is not None:
            on_cell(cell)

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"sweep {config.name}", unit="cell", file=sys.stderr)
    try:
        if scheduler is not None:
            _run_dask(todo, scheduler, commit, bar)
        elif workers == 1 or len(todo) <= 1:
            for cell in todo:  # a loop over sweep cells, each batched inside its check
                records, elapsed = _outcome(cell, lambda: _timed_cell(cell.claim, cell.seed, cell.options))
                commit(cell, records, elapsed)
                if bar is not None:
                    bar.update()
        else:
            _run_processes(todo, workers or os.cpu_count() or 1, commit, bar, store.lock_fd)
    finally:
        if bar is not None:
            bar.close()


def _worker_init(parent_pid, lock_fd):
    """Start of a local worker process: drop the store lock, ignore Ctrl-C, die with the parent."""
    if lock_fd is not None:
        try:
            os.close(lock_fd)  # the fork's copy: only the main process holds the store's lock
        except OSError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process stops the pool on Ctrl-C
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog alone
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(_WATCHDOG_PERIOD)
        os._exit(1)

    threading.Thread(target=watch, name="boundcheck-parent-watchdog", daemon=True).start()


def _stop_workers(pool):
    """Terminate the pool's worker processes now (a failed or interrupted sweep does not wait for them)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.kill()
    for process in processes:
        process.join(5)


def _run_processes(todo, workers, commit, bar, lock_fd=None):
    """Run cells in a pool of local processes; commit each in the main process as it completes."""
    pool = concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=_worker_init,
                                                  initargs=(os.getpid(), lock_fd))
    try:
        futures = {pool.submit(_timed_cell, c.claim, c.seed, c.options): c for c in todo}
        for future in concurrent.futures.as_completed(futures):
            records, elapsed = _outcome(futures[future], future.result)
            commit(futures[future], records, elapsed)
            if bar is not None:
                bar.update()
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def _run_dask(todo, scheduler, commit, bar):
    """Run cells on the Dask cluster at ``scheduler``; commit each here as it completes."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:  # pragma: no cover - dask is an optional extra
        raise validate.BoundcheckInputError("--scheduler needs dask[distributed]: pip install 'boundcheck[dask]'") \
            from None
    try:
        client = Client(scheduler, timeout=_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise OSError(f"scheduler: cannot reach a Dask scheduler at {scheduler!r} ({err})") from None
    try:
        futures = {}
        for cell in todo:
            future = client.submit(_timed_cell, cell.claim, cell.seed, cell.options, pure=False)
            futures[future.key] = (future, cell)
        with client.as_current():  # as_completed looks for the current client
            for future in as_completed([f for f, _ in futures.values()]):
                records, elapsed = _outcome(futures[future.key][1], future.result)
                commit(futures[future.key][1], records, elapsed)
                if bar is not None:
                    bar.update()
    finally:
        client.close()


def run_battery_sweep(store_path, *, n_seeds, first_seed=0, resume=False, workers=None, progress=False):
    """The battery at seeds ``first_seed .. first_seed + n_seeds - 1``, one run per cell, into ``store_path``
    (resumable, on ``workers`` processes): the runs of :func:`boundcheck.run.trust.run_rates`."""
    config = parse_config({"sweep": {"claim": BATTERY, "name": f"battery-seeds-{first_seed}-{first_seed + n_seeds - 1}",
                                     "seed": first_seed, "replicates": n_seeds}})
    return run_sweep(config, store_path, workers=workers, resume=resume, progress=progress)
