"""Tests of the SQLite sweep store: round trips, one transaction per cell, refusal of mixed sweeps."""

import sqlite3

import numpy as np
import pytest

from boundcheck._validate import BoundcheckInputError
from boundcheck.results import CheckResult, exact, mean, rate
from boundcheck.run.store import Store, StoreError, canonical_json, config_hash, open_store

CONFIG = {"claim": "Equation 4 event", "name": "s", "seed": 0, "replicates": 1, "grid": {"width": [4]}, "fixed": {}}


def _records(rng):
    held = exact(1.5, 2.0, "<=", params={"width": 4}, claim="Equation 4 event")
    sampled = mean(rng.standard_normal(50), 0.0, "==",
                                       params={"part": "mean"}, margin=0.1, margin_reason="test", claim="Randomized terms")
    nan = exact(float("nan"), float("inf"), "<=", claim="Equation 4 event")
    for rec in (held, sampled, nan):
        rec.seed = 7
    return [held.to_dict(), sampled.to_dict(), nan.to_dict()]


def test_round_trip_keeps_every_field(tmp_path):
    rng = np.random.default_rng(1)
    records = _records(rng)
    with open_store(tmp_path / "s.sqlite") as store:
        store.register_sweep("s", CONFIG, resume=False)
        store.write_cell("s", 0, claim="Equation 4 event", options={"width": 4}, replicate=0, seed=7,
                         records=records, provenance={"seed": 7}, elapsed=0.1)
        back = store.records()
        cells = store.cells("s")
    assert [{k: r[k] for k in records[0]} for r in back] == [
        {**rec, "interval": None if rec["interval"] is None else list(rec["interval"]),
         "params": dict(sorted(rec["params"].items()))} for rec in records]
    assert back[2]["lhs"] == "nan" and back[2]["rhs"] == "inf"
    assert cells[0]["options"] == {"width": 4} and cells[0]["provenance"] == {"seed": 7}
    assert all(r["options"] == {"width": 4} and r["replicate"] == 0 for r in back)


def test_a_cell_is_all_or_nothing(tmp_path):
    rng = np.random.default_rng(2)
    records = _records(rng)
    broken = records[:1] + [{**records[1], "lhs": "not a number"}]  # fails inside the transaction
    with open_store(tmp_path / "s.sqlite") as store:
        store.register_sweep("s", CONFIG, resume=False)
        with pytest.raises(ValueError):
            store.write_cell("s", 0, claim="c", options={}, replicate=0, seed=1, records=broken, provenance={})
        assert store.finished_cells("s") == set()
        assert store.records() == []
        store.write_cell("s", 0, claim="c", options={}, replicate=0, seed=1, records=records, provenance={})
        with pytest.raises(StoreError, match="UNIQUE constraint"):  # a cell is never written twice
            store.write_cell("s", 0, claim="c", options={}, replicate=0, seed=1, records=records, provenance={})
        assert len(store.records()) == len(records)


def test_sweeps_with_a_different_configuration_are_refused(tmp_path):
    with open_store(tmp_path / "s.sqlite") as store:
        store.register_sweep("s", CONFIG, resume=False)
        store.write_cell("s", 0, claim="c", options={}, replicate=0, seed=1, records=[], provenance={})
        with pytest.raises(BoundcheckInputError, match="pass --resume"):
            store.register_sweep("s", CONFIG, resume=False)
        store.register_sweep("s", CONFIG, resume=True)
        with pytest.raises(BoundcheckInputError, match="different configuration"):
            store.register_sweep("s", {**CONFIG, "seed": 1}, resume=True)
        assert store.sweeps() == ["s"] and store.sweep_config("s") == CONFIG
        with pytest.raises(BoundcheckInputError, match="sweep must be one of"):
            store.sweep_config("other")


def test_bad_store_paths(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        open_store(tmp_path / "missing.sqlite", must_exist=True)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BoundcheckInputError, match="not"):
        Store(junk)
    with pytest.raises(BoundcheckInputError, match="folder"):
        Store(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Store(tmp_path / "nowhere" / "s.sqlite")
    with pytest.raises(TypeError, match="file path"):
        Store(3)


def test_canonical_json_is_order_free():
    assert canonical_json({"b": 1, "a": [1, 2]}) == canonical_json({"a": [1, 2], "b": 1}) == '{"a":[1,2],"b":1}'
    assert config_hash({"b": 1, "a": 2}) == config_hash({"a": 2, "b": 1})
    with pytest.raises(ValueError):
        canonical_json({"a": float("nan")})


def test_readers_never_alter_a_file(tmp_path):
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (a INTEGER)")
    before = foreign.read_bytes()
    with pytest.raises(BoundcheckInputError, match="boundcheck SQLite file"):
        open_store(foreign, must_exist=True)
    with pytest.raises(BoundcheckInputError, match="something else"):
        open_store(foreign)
    assert foreign.read_bytes() == before
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    with pytest.raises(BoundcheckInputError, match="no sweeps, cells and records"):
        open_store(empty, must_exist=True)
    assert empty.stat().st_size == 0


def test_read_only_store_reads(tmp_path):
    path = tmp_path / "s.sqlite"
    with open_store(path) as store:
        store.register_sweep("s", CONFIG, resume=False)
        store.write_cell("s", 0, claim="c", options={"width": 4}, replicate=0, seed=3, records=[], provenance={})
    with open_store(path, must_exist=True) as store:
        assert store.finished_cells("s") == {0} and store.sweeps() == ["s"]
        with pytest.raises(StoreError, match="read-only"):
            store.write_cell("s", 1, claim="c", options={}, replicate=0, seed=1, records=[], provenance={})
