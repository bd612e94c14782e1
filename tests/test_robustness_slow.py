"""The closing measurements of issue 15 as slow tests: injection payloads, SIGKILLs, concurrent sweeps
(benchmarks/bench_robustness.py; ``python -m pytest -m slow tests/test_robustness_slow.py``)."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _bench(*argv):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "bench_robustness.py"), *argv], env=ENV,
                          capture_output=True, text=True, timeout=7200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.slow
def test_no_injection_payload_runs():
    counts = _bench("--only", "injection")["injection"]
    assert counts["tried"] >= 7 * counts["payloads"] and counts["executed"] == 0


@pytest.mark.slow
def test_sigkills_lose_duplicate_and_refuse_nothing():
    phases = _bench("--only", "kills", "--kills", "20")["kills"]
    for phase in ("creation", "cells", "resume"):
        totals = phases[phase]
        assert totals["kills"] == 20
        for key in ("refused", "lost", "duplicated", "different", "workers_alive_after_5s", "resume_failures"):
            assert totals[key] == 0, (phase, key, totals)


@pytest.mark.slow
def test_concurrent_sweeps_wait_or_are_refused_in_one_line():
    totals = _bench("--only", "concurrent", "--concurrent", "10")["concurrent"]
    assert totals["tries"] == 10 and totals["finished"] + totals["refused_one_line"] == 20
    for key in ("other_failures", "tracebacks", "integrity_errors", "stores_lost", "lost", "duplicated", "different"):
        assert totals[key] == 0, (key, totals)
