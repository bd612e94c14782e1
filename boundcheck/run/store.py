r"""The embedded SQLite store of sweep results: one row per finished cell, one per record.

A sweep (:mod:`boundcheck.run.sweep`) is a list of cells, each a claim run with fixed options and
a fixed seed. When a cell finishes, its records and its provenance are written in **one
transaction**; a sweep killed at any point therefore leaves only whole cells behind, and a
resumed sweep runs exactly the cells that are missing.

Tables
------
``sweeps``
    ``name`` (primary key), ``config`` (canonical JSON of the sweep's configuration) and
    ``config_hash``; a store refuses to mix two different configurations under one name.
``cells``
    ``(sweep, cell)`` primary key, ``claim``, ``options`` (JSON), ``replicate``, ``seed``,
    ``provenance`` (JSON: seed, versions, parameters), ``elapsed`` (NULL since format 2; stores of
    format 1 kept the seconds here).
``timings``
    ``(sweep, cell)`` primary key, ``elapsed``: a cell's wall-clock seconds, kept apart from the
    results so that two runs of one sweep give identical ``cells`` and ``records`` tables.
``records``
    ``(sweep, cell, position)`` primary key and the record's fields: ``claim, lhs, rhs,
    relation, margin, verdict, interval_low, interval_high, params`` (JSON), ``seed`` for queries
    (SQLite turns NaN into NULL there), and ``record``: the canonical JSON of the whole record,
    which is what is read back.

``meta``
    store-wide facts: ``format`` (2) and the ``created_with`` versions.
``sweep_meta``
    ``(sweep, key)`` primary key, ``value`` (JSON): ``grid_order`` (the ``[grid]`` keys in the
    order cells are numbered) and ``versions`` (boundcheck and numpy when the sweep started).

Records read back are exactly the JSON-ready dicts of :meth:`CheckResult.to_dict` (params with
sorted keys).

Safety
------
* The schema is created in **one transaction**: a process killed while creating a store leaves an
  empty file (or none), never a half-made one that is refused later.
* A writable store is held under an exclusive ``flock`` on the file for as long as it is open:
  a second writer (another sweep) is refused at once in one line, never left to crash on a
  duplicate cell. Readers (``must_exist=True``) open the file read-only and take no lock.
* Every SQLite failure (read-only file, full disk, damaged page, ...) comes out as one
  :class:`StoreError` naming the file; the failed step's transaction is rolled back, so nothing
  already stored is lost.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import sqlite3
import stat
import urllib.parse

from .. import _validate as validate

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no writer lock (one sweep per store is then up to the user)
    fcntl = None

__all__ = ["Store", "StoreError", "StoreBusyError", "canonical_json", "config_hash", "open_store"]

#: Version of the table layout written by this module (1: before the meta tables).
FORMAT = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    name TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    config_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    sweep TEXT NOT NULL REFERENCES sweeps(name),
    cell INTEGER NOT NULL,
    claim TEXT NOT NULL,
    options TEXT NOT NULL,
    replicate INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    provenance TEXT NOT NULL,
    elapsed REAL,
    PRIMARY KEY (sweep, cell)
);
CREATE TABLE IF NOT EXISTS records (
    sweep TEXT NOT NULL,
    cell INTEGER NOT NULL,
    position INTEGER NOT NULL,
    claim TEXT NOT NULL,
    lhs REAL, rhs REAL, relation TEXT, margin REAL, verdict TEXT,
    interval_low REAL, interval_high REAL,
    params TEXT NOT NULL,
    seed INTEGER,
    record TEXT NOT NULL,
    PRIMARY KEY (sweep, cell, position),
    FOREIGN KEY (sweep, cell) REFERENCES cells(sweep, cell)
);
CREATE TABLE IF NOT EXISTS timings (
    sweep TEXT NOT NULL,
    cell INTEGER NOT NULL,
    elapsed REAL,
    PRIMARY KEY (sweep, cell)
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sweep_meta (
    sweep TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (sweep, key)
);
"""
_TABLES = {"sweeps", "cells", "records"}


class StoreError(OSError):
    """An SQLite store that cannot be used as asked (read-only, full disk, damaged, ...): one line."""


class StoreBusyError(StoreError):
    """Another process (another sweep) is writing the store."""


def _explain(err):
    """A short reason for an SQLite error, with what to do."""
    text = str(err)
    low = text.lower()
    if "readonly" in low or "read-only" in low:
        return f"it is read-only ({text}); make it writable or use another --store"
    if "full" in low or isinstance(err, sqlite3.OperationalError) and "disk i/o" in low:
        return f"the disk is full or the file cannot grow ({text}); free space, then finish with --resume"
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return f"it is damaged ({text}); restore it from a copy or start another --store"
    if "locked" in low or "busy" in low:
        return f"another process holds it ({text}); wait for it to finish"
    return text


def _sql_errors(method):
    """Turn every ``sqlite3.Error`` of ``method`` into one :class:`StoreError` naming the store."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as err:
            raise StoreError(f"store {self.path!r}: {_explain(err)}") from None
    return wrapper


def canonical_json(obj):
    """JSON with sorted keys and no spaces: equal objects give byte-identical text."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def config_hash(config_dict):
    """SHA-256 of the canonical JSON of a sweep configuration."""
    return hashlib.sha256(canonical_json(config_dict).encode()).hexdigest()


def _to_sql(value):
    """A record number for SQL: floats as they are; the "nan"/"inf" strings of ``_plain`` back to floats."""
    if value is None:
        return None
    value = float(value)  # the "nan"/"inf" strings of a JSON-ready record too
    return None if math.isnan(value) else value


class Store:
    """A sweep store in one SQLite file. Use :func:`open_store`, or ``Store(path)`` as a context manager.

    ``created`` says whether this object made the file (it was absent); a writable store holds an
    exclusive lock on the file until :meth:`close`.
    """

    def __init__(self, path, *, read_only=False):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"store must be a file path; got {path!r} ({type(path).__name__})")
        self.path = os.fspath(path)
        self.read_only = bool(read_only)
        self.created = False
        self._conn = None
        self._lock_fd = None
        if not self.path.strip():
            raise validate.BoundcheckInputError("store must be a file path; got an empty string")
        if "\x00" in self.path:
            raise validate.BoundcheckInputError(f"store must be a file path without NUL characters; got {self.path!r}")
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"store: the folder {directory!r} does not exist")
        if os.path.isdir(self.path):
            raise validate.BoundcheckInputError(f"store must be a file, not a folder; got {self.path!r}")
        if os.path.exists(self.path) and not stat.S_ISREG(os.stat(self.path).st_mode):
            raise validate.BoundcheckInputError(f"store must be a regular file; {self.path!r} is a device or pipe")
        if read_only and not os.path.isfile(self.path):
            raise FileNotFoundError(f"store: no such file {self.path!r}")
        try:
            if read_only:  # readers never create or alter a file (not even an empty schema)
                uri = "file:" + urllib.parse.quote(os.path.abspath(self.path)) + "?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None)
                if not _TABLES <= self._tables():
                    raise sqlite3.DatabaseError("it has no sweeps, cells and records tables")
            else:
                self._lock()
                self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
                self._conn.execute("PRAGMA foreign_keys = ON")
                self._conn.execute("PRAGMA journal_mode = DELETE")
                self._conn.execute("PRAGMA synchronous = FULL")
                self._create_schema()
        except sqlite3.OperationalError as err:
            self._abandon()
            raise StoreError(f"store {self.path!r}: {_explain(err)}") from None
        except sqlite3.DatabaseError as err:
            self._abandon()
            raise validate.BoundcheckInputError(
                f"store must be a boundcheck SQLite file; {self.path!r} is not ({err})") from None
        except BaseException:
            self._abandon()
            raise

    def _tables(self):
        return {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _lock(self):
        """Open (or create) the file and take an exclusive ``flock`` on it, or refuse at once."""
        for _ in range(20):  # the path can change under us only if another process removes an empty store
            created = False
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
                created = True
            except FileExistsError:
                try:
                    fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
                except FileNotFoundError:
                    continue
                except PermissionError:
                    raise StoreError(f"store {self.path!r}: it is read-only (permission denied); make it writable "
                                     "or use another --store") from None
            except PermissionError:
                raise StoreError(f"store {self.path!r}: cannot create it in its folder (permission denied)") from None
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                os.close(fd)
                raise validate.BoundcheckInputError(f"store must be a regular file; {self.path!r} is not")
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise StoreBusyError(f"store {self.path!r} is being written by another process (another sweep); "
                                     "wait for it to finish, or use another --store") from None
            try:
                now = os.stat(self.path)
            except FileNotFoundError:
                now = None
            if now is not None and (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino):
                self._lock_fd, self.created = fd, created
                return
            os.close(fd)  # it was removed (an empty store of a failed sweep) before we locked it: again
        raise StoreBusyError(f"store {self.path!r} keeps being replaced by another process; use another --store")

    def _create_schema(self):
        """Create the tables (and the meta rows of a new store) in one transaction."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            tables = self._tables()
            if tables and not _TABLES <= tables:
                raise sqlite3.DatabaseError("it is an SQLite file of something else")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
            if not tables:
                from .provenance import versions

                self._conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                       [("format", str(FORMAT)), ("created_with", canonical_json(versions()))])
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @property
    def lock_fd(self):
        """The descriptor holding this store's lock (None for a reader); forked workers close it."""
        return self._lock_fd

    def _abandon(self):
        """Close after a failed open; a file this object created is removed (it holds nothing)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.created and self._lock_fd is not None:
            self._unlink()
        self._release()

    def _unlink(self):
        for name in (self.path, self.path + "-journal"):
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass

    def _release(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    # -- context management ---------------------------------------------------------------------

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def _transaction(self):
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @_sql_errors
    def remove_if_empty(self):
        """Delete the file if this object created it and no cell is stored in it; whether it did.

        Called by a sweep that fails before its first cell: a file it did not create, or one with
        results in it, is never removed (the lock held since creation means nobody else wrote it).
        """
        if self.read_only or not self.created or self._lock_fd is None:
            return False
        if self._conn.execute("SELECT count(*) FROM cells").fetchone()[0]:
            return False
        self._conn.close()
        self._conn = None
        self._unlink()
        self._release()
        return True

    # -- sweeps ---------------------------------------------------------------------------------

    @_sql_errors
    def register_sweep(self, name, config_dict, *, resume, meta=None):
        """Record sweep ``name`` with its configuration, or check it matches the stored one.

        Without ``resume`` a sweep that already has finished cells is an error (rerunning would
        mix two runs); with ``resume`` the stored configuration must be identical. ``meta`` (a
        dict) is stored in ``sweep_meta`` with a new sweep, in the same transaction.
        """
        digest = config_hash(config_dict)
        row = self._conn.execute("SELECT config_hash FROM sweeps WHERE name = ?", (name,)).fetchone()
        if row is None:
            with self._transaction() as conn:
                conn.execute("INSERT INTO sweeps (name, config, config_hash) VALUES (?, ?, ?)",
                             (name, canonical_json(config_dict), digest))
                conn.executemany("INSERT INTO sweep_meta (sweep, key, value) VALUES (?, ?, ?)",
                                 [(name, k, canonical_json(v)) for k, v in sorted((meta or {}).items())])
            return
        if row[0] != digest:
            raise validate.BoundcheckInputError(
                f"sweep {name!r} is already in {self.path!r} with a different configuration; "
                "give the sweep another name or use another --store")
        if not resume and self.finished_cells(name):
            raise validate.BoundcheckInputError(
                f"sweep {name!r} already has finished cells in {self.path!r}; pass --resume to finish it")

    @_sql_errors
    def sweep_meta(self, name):
        """The ``sweep_meta`` values of sweep ``name`` as a dict (empty for a store of format 1)."""
        if "sweep_meta" not in self._tables():
            return {}
        rows = self._conn.execute("SELECT key, value FROM sweep_meta WHERE sweep = ?", (name,))
        return {key: json.loads(value) for key, value in rows}

    @_sql_errors
    def set_sweep_meta(self, name, key, value):
        """Store ``value`` (JSON-ready) under ``key`` for sweep ``name``."""
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO sweep_meta (sweep, key, value) VALUES (?, ?, ?)",
                         (name, key, canonical_json(value)))

    @_sql_errors
    def meta(self):
        """The store-wide ``meta`` values (empty for a store of format 1)."""
        if "meta" not in self._tables():
            return {}
        return {key: value for key, value in self._conn.execute("SELECT key, value FROM meta")}

    @_sql_errors
    def sweeps(self):
        """Names of the sweeps in the store, in insertion order."""
        return [r[0] for r in self._conn.execute("SELECT name FROM sweeps ORDER BY rowid")]

    @_sql_errors
    def sweep_config(self, name):
        row = self._conn.execute("SELECT config FROM sweeps WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise validate.BoundcheckInputError(f"sweep must be one of {self.sweeps()}; got {name!r}")
        return json.loads(row[0])

    # -- cells ----------------------------------------------------------------------------------

    @_sql_errors
    def finished_cells(self, sweep):
        """The set of cell indices of ``sweep`` whose records are stored."""
        return {r[0] for r in self._conn.execute("SELECT cell FROM cells WHERE sweep = ?", (sweep,))}

    @_sql_errors
    def write_cell(self, sweep, cell, *, claim, options, replicate, seed, records, provenance, elapsed=None):
        """Write one finished cell and its records in a single transaction (all or nothing).

        Writing a cell that is already stored is an error (a sweep never duplicates a cell).
        """
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO cells (sweep, cell, claim, options, replicate, seed, provenance, elapsed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sweep, int(cell), claim, canonical_json(options), int(replicate), int(seed),
                 canonical_json(provenance), None))
            conn.execute("INSERT INTO timings (sweep, cell, elapsed) VALUES (?, ?, ?)",
                         (sweep, int(cell), None if elapsed is None else float(elapsed)))
            conn.executemany(
                "INSERT INTO records (sweep, cell, position, claim, lhs, rhs, relation, margin, verdict, "
                "interval_low, interval_high, params, seed, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(sweep, int(cell), pos, rec["claim"], _to_sql(rec["lhs"]), _to_sql(rec["rhs"]), rec["relation"],
                  _to_sql(rec["margin"]), rec["verdict"],
                  None if rec["interval"] is None else _to_sql(rec["interval"][0]),
                  None if rec["interval"] is None else _to_sql(rec["interval"][1]),
                  canonical_json(rec["params"]), rec["seed"], canonical_json(rec))
                 for pos, rec in enumerate(records)])

    @_sql_errors
    def cells(self, sweep=None):
        """Finished cells as dicts (sweep, cell, claim, options, replicate, seed, provenance, elapsed)."""
        if "timings" in self._tables():
            query = ("SELECT c.sweep, c.cell, c.claim, c.options, c.replicate, c.seed, c.provenance, "
                     "COALESCE(t.elapsed, c.elapsed) FROM cells c LEFT JOIN timings t ON t.sweep = c.sweep "
                     "AND t.cell = c.cell")
        else:  # a store of format 1 opened read-only
            query = "SELECT c.sweep, c.cell, c.claim, c.options, c.replicate, c.seed, c.provenance, c.elapsed FROM cells c"
        args = ()
        if sweep is not None:
            query += " WHERE c.sweep = ?"
            args = (sweep,)
        out = []
        for row in self._conn.execute(query + " ORDER BY c.sweep, c.cell", args):
            out.append(dict(sweep=row[0], cell=row[1], claim=row[2], options=json.loads(row[3]),
                            replicate=row[4], seed=row[5], provenance=json.loads(row[6]), elapsed=row[7]))
        return out

    @_sql_errors
    def records(self, sweep=None, claims=None):
        """Stored records, ordered by sweep, cell, position; each a dict with the record keys plus
        ``sweep``, ``cell``, ``replicate`` and ``options`` (the cell's sweep options)."""
        query = ("SELECT r.sweep, r.cell, r.position, r.record, c.options, c.replicate "
                 "FROM records r JOIN cells c ON r.sweep = c.sweep AND r.cell = c.cell")
        where, args = [], []
        if sweep is not None:
            where.append("r.sweep = ?")
            args.append(sweep)
        if claims:
            where.append("lower(r.claim) IN (" + ",".join("?" for _ in claims) + ")")
            args.extend(" ".join(str(c).split()).lower() for c in claims)
        if where:
            query += " WHERE " + " AND ".join(where)
        out = []
        for row in self._conn.execute(query + " ORDER BY r.sweep, r.cell, r.position", args):
            record = json.loads(row[3])
            record.update(sweep=row[0], cell=row[1], position=row[2], options=json.loads(row[4]), replicate=row[5])
            out.append(record)
        return out


def open_store(path, *, must_exist=False):
    """Open (or create) the store at ``path``; with ``must_exist`` open an existing store read-only."""
    return Store(path, read_only=must_exist)
