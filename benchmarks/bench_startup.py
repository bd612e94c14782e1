"""Benchmark of start-up: ``boundcheck --help``, ``verify --list`` and one small check, against ``python -c pass``.

    python benchmarks/bench_startup.py [--repeats 15] [--no-bytecode] [--tree DIR ...]

Each command runs ``--repeats`` times as a fresh ``python`` process (this interpreter,
``sys.executable``, so no launcher script is timed), the commands interleaved so that the machine's
load hits them alike; the median wall time is printed beside that of ``python -c pass`` and
``python -c "import numpy"`` from the same run, as a ratio and as the time above ``python -c pass``.

Bytecode: an installed package has its ``.pyc`` files; a source tree run with
``PYTHONDONTWRITEBYTECODE=1`` compiles every module at every start. By default the runs read and
write bytecode under a private cache (``PYTHONPYCACHEPREFIX`` in a temporary folder, warmed by one
run first), as an installed package would; ``--no-bytecode`` times the compiling start instead.

``--tree DIR`` (repeatable) times the commands of other source trees too (e.g. an export of the
commit before a change), interleaved with this one's, each against the same ``python -c pass``.

Then, for each command, the heavy modules it imported (``python -X importtime``): a command that
only lists or parses must import none of sympy, scipy.stats, scipy.optimize, cvxpy, matplotlib,
pandas, dask.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HEAVY = ("sympy", "mpmath", "scipy", "scipy.stats", "scipy.optimize", "scipy.special", "scipy.linalg", "cvxpy",
         "matplotlib", "pandas", "dask", "tqdm", "threadpoolctl")

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "python -c 'import numpy'": ["-c", "import numpy"],
    "boundcheck --help": ["-m", "boundcheck", "--help"],
    "boundcheck verify --list": ["-m", "boundcheck", "verify", "--list"],
    "boundcheck verify 'Symmetric init'": ["-m", "boundcheck", "verify", "Symmetric init"],
}


def _env(bytecode, cache, root=ROOT):
    env = dict(os.environ)
    env["PYTHONPATH"] = root
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(args, env):
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, cwd=env["PYTHONPATH"])  # `-m` puts the working folder first on sys.path
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{args} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return elapsed


def _heavy_imports(args, env):
    proc = subprocess.run([sys.executable, "-X", "importtime", *args], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, cwd=env["PYTHONPATH"])
    found = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name in HEAVY:
                found.add(name)
    return sorted(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--no-bytecode", action="store_true", help="time starts that compile every module")
    parser.add_argument("--tree", action="append", default=[], metavar="DIR",
                        help="also time the boundcheck of this source tree (repeatable)")
    args = parser.parse_args()
    trees = {"": ROOT}
    trees.update({f" [{os.path.basename(os.path.normpath(t))}]": os.path.abspath(t) for t in args.tree})
    with tempfile.TemporaryDirectory() as cache:
        runs = {}
        for suffix, root in trees.items():
            env = _env(not args.no_bytecode, os.path.join(cache, str(len(runs))), root)
            for name, argv in COMMANDS.items():
                if suffix and not name.startswith("boundcheck"):
                    continue
                runs[name + suffix] = (argv, env)
        for argv, env in runs.values():  # warm the bytecode cache and the file system
            _run(argv, env)
        times = {name: [] for name in runs}
        for _ in range(args.repeats):  # interleaved
            for name, (argv, env) in runs.items():
                times[name].append(_run(argv, env))
        base = statistics.median(times["python -c pass"])
        print(f"start-up, median of {args.repeats} fresh processes ({'compiling' if args.no_bytecode else 'bytecode cached'}"
              f"; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
        for name, values in times.items():
            med = statistics.median(values)
            print(f"  {name:52s} {med:6.3f} s  = {med / base:5.2f}x python -c pass  ({med - base:+.3f} s)")
        print("heavy modules imported:")
        for name, (argv, env) in runs.items():
            if name.startswith("boundcheck"):
                print(f"  {name:52s} {', '.join(_heavy_imports(argv, env)) or 'none'}")


if __name__ == "__main__":
    main()
