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
    ``provenance`` (JSON: seed, versions, parameters), ``elapsed`` (seconds; informative only,
    never part of a result).
``records``
    ``(sweep, cell, position)`` primary key and the record's fields: ``claim, lhs, rhs,
    relation, margin, verdict, interval_low, interval_high, params`` (JSON), ``seed`` for queries
    (SQLite turns NaN into NULL there), and ``record``: the canonical JSON of the whole record,
    which is what is read back.

Records read back are exactly the JSON-ready dicts of :meth:`CheckResult.to_dict` (params with
sorted keys).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sqlite3
import urllib.parse

from .. import _validate as validate

__all__ = ["Store", "canonical_json", "config_hash", "open_store"]

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
"""


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
    """A sweep store in one SQLite file. Use :func:`open_store`, or ``Store(path)`` as a context manager."""

    def __init__(self, path, *, read_only=False):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"store must be a file path; got {path!r} ({type(path).__name__})")
        self.path = os.fspath(path)
        self.read_only = bool(read_only)
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"store: the folder {directory!r} does not exist")
        if os.path.isdir(self.path):
            raise validate.BoundcheckInputError(f"store must be a file, not a folder; got {self.path!r}")
        if read_only and not os.path.isfile(self.path):
            raise FileNotFoundError(f"store: no such file {self.path!r}")
        self._conn = None
        try:
            if read_only:  # readers never create or alter a file (not even an empty schema)
                uri = "file:" + urllib.parse.quote(os.path.abspath(self.path)) + "?mode=ro"
                self._conn = sqlite3.connect(uri, uri=True, timeout=30.0, isolation_level=None)
                tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if not {"sweeps", "cells", "records"} <= tables:
                    raise sqlite3.DatabaseError("it has no sweeps, cells and records tables")
            else:
                self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
                self._conn.execute("PRAGMA foreign_keys = ON")
                self._conn.execute("PRAGMA journal_mode = DELETE")
                self._conn.execute("PRAGMA synchronous = FULL")
                tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if tables and not {"sweeps", "cells", "records"} <= tables:
                    raise sqlite3.DatabaseError("it is an SQLite file of something else")
                self._conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:
            if self._conn is not None:
                self._conn.close()
            raise validate.BoundcheckInputError(
                f"store must be a boundcheck SQLite file; {self.path!r} is not ({err})") from None

    # -- context management ---------------------------------------------------------------------

    def close(self):
        self._conn.close()

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
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- sweeps ---------------------------------------------------------------------------------

    def register_sweep(self, name, config_dict, *, resume):
        """Record sweep ``name`` with its configuration, or check it matches the stored one.

        Without ``resume`` a sweep that already has finished cells is an error (rerunning would
        mix two runs); with ``resume`` the stored configuration must be identical.
        """
        digest = config_hash(config_dict)
        row = self._conn.execute("SELECT config_hash FROM sweeps WHERE name = ?", (name,)).fetchone()
        if row is None:
            with self._transaction() as conn:
                conn.execute("INSERT INTO sweeps (name, config, config_hash) VALUES (?, ?, ?)",
                             (name, canonical_json(config_dict), digest))
            return
        if row[0] != digest:
            raise validate.BoundcheckInputError(
                f"sweep {name!r} is already in {self.path!r} with a different configuration; "
                "give the sweep another name or use another --store")
        if not resume and self.finished_cells(name):
            raise validate.BoundcheckInputError(
                f"sweep {name!r} already has finished cells in {self.path!r}; pass --resume to finish it")

    def sweeps(self):
        """Names of the sweeps in the store, in insertion order."""
        return [r[0] for r in self._conn.execute("SELECT name FROM sweeps ORDER BY rowid")]

    def sweep_config(self, name):
        row = self._conn.execute("SELECT config FROM sweeps WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise validate.BoundcheckInputError(f"sweep must be one of {self.sweeps()}; got {name!r}")
        return json.loads(row[0])

    # -- cells ----------------------------------------------------------------------------------

    def finished_cells(self, sweep):
        """The set of cell indices of ``sweep`` whose records are stored."""
        return {r[0] for r in self._conn.execute("SELECT cell FROM cells WHERE sweep = ?", (sweep,))}

    def write_cell(self, sweep, cell, *, claim, options, replicate, seed, records, provenance, elapsed=None):
        """Write one finished cell and its records in a single transaction (all or nothing).

        Writing a cell that is already stored is an error (a sweep never duplicates a cell).
        """
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO cells (sweep, cell, claim, options, replicate, seed, provenance, elapsed) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (sweep, int(cell), claim, canonical_json(options), int(replicate), int(seed),
                 canonical_json(provenance), elapsed))
            conn.executemany(
                "INSERT INTO records (sweep, cell, position, claim, lhs, rhs, relation, margin, verdict, "
                "interval_low, interval_high, params, seed, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(sweep, int(cell), pos, rec["claim"], _to_sql(rec["lhs"]), _to_sql(rec["rhs"]), rec["relation"],
                  _to_sql(rec["margin"]), rec["verdict"],
                  None if rec["interval"] is None else _to_sql(rec["interval"][0]),
                  None if rec["interval"] is None else _to_sql(rec["interval"][1]),
                  canonical_json(rec["params"]), rec["seed"], canonical_json(rec))
                 for pos, rec in enumerate(records)])

    def cells(self, sweep=None):
        """Finished cells as dicts (sweep, cell, claim, options, replicate, seed, provenance, elapsed)."""
        query = "SELECT sweep, cell, claim, options, replicate, seed, provenance, elapsed FROM cells"
        args = ()
        if sweep is not None:
            query += " WHERE sweep = ?"
            args = (sweep,)
        out = []
        for row in self._conn.execute(query + " ORDER BY sweep, cell", args):
            out.append(dict(sweep=row[0], cell=row[1], claim=row[2], options=json.loads(row[3]),
                            replicate=row[4], seed=row[5], provenance=json.loads(row[6]), elapsed=row[7]))
        return out

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
