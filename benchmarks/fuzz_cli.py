r"""Hostile invocations of every ``boundcheck`` subcommand, counted: tracebacks, hangs, multi-line errors,
partial files.

Usage::

    python benchmarks/fuzz_cli.py [--cases 2000] [--seed 0] [--jobs 2] [--timeout 60] [--out data/fuzz_summary.json]

Each case is a command line drawn from a seeded generator (:func:`make_case`): a subcommand with up to
five options, each value drawn from a pool that mixes small valid values with hostile ones (negative,
zero, NaN, infinite, text, huge like ``10**30``, scales like ``1e-200`` and ``1e300``), hostile
paths (symbolic links, folders, devices, hard links, missing folders, the store itself) for
``--out``/``--plot``/``--save-w``/``--store``, hostile ``.npz`` instances (complex, datetime, object,
all-zero, NaN, a member that declares 1 TiB, zip bombs, garbage) and hostile sweep configs
(code-injection payloads, options of the wrong kind, huge sizes, broken TOML).

Every case runs in a fresh folder in a child forked from this process (which imported boundcheck
once), in its own process group, with ``timeout`` seconds; ``main(argv)`` is the entry point the
``boundcheck`` console script calls. Counted per case:

* traceback: exit status other than 0, 2, 130 and 143, or "Traceback" on stderr;
* hang: not finished within ``timeout`` seconds (the process group is then killed);
* multi-line error: exit status 2 with other than exactly one line on stderr;
* partial file: a ``.boundcheck-*`` temporary file left at any status, or any new file left by a
  failed run (exit status other than 0) except a sweep store holding finished cells;
* executed payload: an injection payload's marker file exists afterwards.

The default test run uses a few cases of the same generator (tests/test_cli_fuzz.py).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import stat
import sys
import tempfile
import time
import zipfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HOSTILE_INT = ["0", "-1", "-7", "3.5", "1e3", "nan", "inf", "", "abc", "0x10", "10**30",
               "1000000000000000000000000000000", "99999999999999999999", "2147483648", "4294967297", "10000000000",
               "1000001", "-0", " 5", "\u0661\u0662", "\u2603", "--", "1_000", "7", "3"]
HOSTILE_FLOAT = ["0", "-1", "nan", "inf", "-inf", "1e-160", "1e-200", "1e300", "1e400", "-1e-300", "abc", "",
                 "1e-8", "1e8", "5e-324", "1.7976931348623157e308", "-0.0", "1e-9", "1e9", "0.5", "2"]
HOSTILE_TEXT = ["", " ", "nan", "abc", "relu999", "relu0", "\u2603", "--all", "x" * 300, "../../etc/passwd",
                "Lemma 99", "lemma 5", "OPT BRACKET", "relu3", "relu", "tanh", "softplus", "logistic", "squared"]
FORMATS = ["table", "json", "csv", "latex", "markdown", "xml", ""]
CHEAP_CLAIMS = ["Symmetric init", "Randomized terms", "Equation 4 event", "Assumption A", "Equation 4",
                "Section 6 moments", "Section 5.2", "Lemma 9 coefficients", "Lemma 5", "Lemma 8", "Lemma 10"]
PAYLOADS_FILE = os.path.join(ROOT, "data", "injection_payloads.json")


def _payloads():
    with open(PAYLOADS_FILE) as handle:
        return json.load(handle)["payloads"]


# -- files the cases use -------------------------------------------------------------------------------------

def _npy_bytes(array=None, header=None):
    buf = io.BytesIO()
    if header is None:
        np.save(buf, array, allow_pickle=True)
    else:
        np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


def make_instance(rng, folder):
    """A hostile (or sometimes fine) --instance file; returns its path."""
    path = os.path.join(folder, "inst.npz")
    n, m, d = 6, 4, 3
    g = np.random.default_rng(rng.randrange(2**32))
    x = g.standard_normal((n, d))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    good = {"x": x, "w_init": np.vstack([g.standard_normal((m // 2, d))] * 2),
            "w_out": np.r_[np.ones(m // 2), -np.ones(m // 2)], "y": np.sign(g.standard_normal(n)),
            "w_move": 0.1 * g.standard_normal((m, d)), "rademacher": np.sign(g.standard_normal((3, n)))}
    kind = rng.choice(["good"] * 6 + ["complex", "datetime", "object", "zeros", "nan", "inf", "huge-declared",
                       "unused-huge", "bomb", "garbage", "truncated", "empty", "text", "shapes", "3d", "bool",
                       "int8", "float16", "longdouble", "big-values", "tiny-x", "pickle", "directory", "symlink",
                       "missing", "not-npy", "fortran", "duplicate"])
    arrays = dict(good)
    if kind == "complex":
        arrays["x"] = x + 1j * x
    elif kind == "datetime":
        arrays["x"] = np.zeros((n, d), dtype="datetime64[s]")
    elif kind == "object":
        arrays["x"] = np.empty((n, d), dtype=object)
    elif kind == "zeros":
        arrays["x"] = np.zeros((n, d))
    elif kind == "nan":
        arrays["x"] = np.full((n, d), np.nan)
    elif kind == "inf":
        arrays["w_init"] = np.full((m, d), np.inf)
    elif kind == "text":
        arrays["x"] = np.full((n, d), "a")
    elif kind == "shapes":
        arrays["w_init"] = g.standard_normal((m, d + 1))
    elif kind == "3d":
        arrays["x"] = x[None]
    elif kind == "bool":
        arrays["w_out"] = arrays["w_out"] > 0
    elif kind == "int8":
        arrays["x"] = (x * 10).astype(np.int8)
    elif kind == "float16":
        arrays["x"] = x.astype(np.float16)
    elif kind == "longdouble":
        arrays["x"] = x.astype(np.longdouble) * np.longdouble("1e400")
    elif kind == "big-values":
        arrays["x"] = x * 1e200
    elif kind == "tiny-x":
        arrays["x"] = x * 1e-200
    elif kind == "fortran":
        arrays["x"] = np.asfortranarray(x)
    if kind in ("directory",):
        os.mkdir(path)
        return path
    if kind == "missing":
        return os.path.join(folder, "nowhere", "inst.npz")
    if kind == "garbage":
        with open(path, "wb") as handle:
            handle.write(bytes(rng.randrange(256) for _ in range(rng.randrange(200))))
        return path
    if kind == "empty":
        open(path, "wb").close()
        return path
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, value in arrays.items():
            if kind == "pickle" and key == "x":
                archive.writestr("x.npy", _npy_bytes(np.array([{"a": 1}], dtype=object)))
                continue
            archive.writestr(f"{key}.npy", _npy_bytes(value))
        if kind == "duplicate":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # zipfile warns about the duplicate name it writes
                archive.writestr("x.npy", _npy_bytes(np.zeros((2, 2))))
        if kind == "huge-declared":
            archive.writestr("x.npy", _npy_bytes(header={"descr": "<f8", "fortran_order": False,
                                                        "shape": (2**20, 2**20)}) + b"\0" * 64)
        if kind in ("unused-huge", "bomb"):
            key = "junk" if kind == "unused-huge" else "w_move"
            with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
                member.write(_npy_bytes(header={"descr": "<f8", "fortran_order": False, "shape": (2**24,)}))
                chunk = bytes(2**20)
                for _ in range(128):  # 128 MiB of zeros, about 128 KiB compressed
                    member.write(chunk)
        if kind == "not-npy":
            archive.writestr("x.txt", "not an array")
    if kind == "truncated":
        os.truncate(path, os.path.getsize(path) // 2)
    if kind == "symlink":
        os.symlink(path, os.path.join(folder, "link.npz"))
        return os.path.join(folder, "link.npz")
    return path


def make_store(rng, folder, *, good_source):
    """A hostile (or good) sweep store; returns its path."""
    path = os.path.join(folder, "s.sqlite")
    kind = rng.choice(["good"] * 8 + ["missing", "junk", "empty", "dir", "damaged", "foreign", "fifo",
                       "empty-name", "symlink", "other-folder"])
    if kind in ("good", "damaged", "symlink"):
        shutil.copy(good_source, path)
    if kind == "damaged":
        with sqlite3.connect(path) as conn:
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records'").fetchone()[0]
        with open(path, "r+b") as handle:
            handle.seek((root - 1) * page)
            handle.write(b"\xa5" * page)
    if kind == "junk":
        with open(path, "wb") as handle:
            handle.write(b"junk" * 100)
    if kind == "empty":
        open(path, "wb").close()
    if kind == "dir":
        os.mkdir(path)
    if kind == "foreign":
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE t (a INTEGER)")
    if kind == "fifo":
        os.mkfifo(path)
    if kind == "empty-name":
        return ""
    if kind == "symlink":
        os.symlink(path, os.path.join(folder, "link.sqlite"))
        return os.path.join(folder, "link.sqlite")
    if kind == "other-folder":
        return os.path.join(folder, "nowhere", "s.sqlite")
    return path


def make_output(rng, folder, option, suffix):
    """A hostile (or fine) destination for --out, --plot or --save-w; returns its path."""
    kind = rng.choice(["new"] * 8 + ["existing", "existing", "symlink", "dir", "devnull", "hardlink", "missing-folder",
                       "dangling", "fifo", "empty-name", "readonly-existing", "store", "wrong-suffix"])
    path = os.path.join(folder, f"{option.strip('-')}{suffix}")
    if kind == "existing" or kind == "readonly-existing" or kind == "hardlink":
        with open(path, "w") as handle:
            handle.write("old contents\n")
        if kind == "readonly-existing":
            os.chmod(path, 0o444)
        if kind == "hardlink":
            os.link(path, path + ".link")
    if kind == "symlink":
        target = os.path.join(folder, "target.txt")
        with open(target, "w") as handle:
            handle.write("target\n")
        os.symlink(target, path)
    if kind == "dangling":
        os.symlink(os.path.join(folder, "nothing-here"), path)
    if kind == "dir":
        os.mkdir(path)
    if kind == "devnull":  # a private null device: a version that replaced devices must not hit /dev/null
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except OSError:
            os.mkfifo(path)
    if kind == "fifo":
        os.mkfifo(path)
    if kind == "missing-folder":
        return os.path.join(folder, "nowhere", os.path.basename(path))
    if kind == "empty-name":
        return ""
    if kind == "store":
        return os.path.join(folder, "s.sqlite")
    if kind == "wrong-suffix":
        return os.path.join(folder, f"{option.strip('-')}.weird")
    return path


def make_config(rng, folder):
    """A hostile (or fine) sweep TOML; returns its path."""
    path = os.path.join(folder, "c.toml")
    claim = rng.choice(['"Equation 4 event"', '"Randomized terms"', '"Section 6 moments"', '"Lemma 9 coefficients"',
                        '"Lemma 99"', "3", '""', '"Symmetric init"'])
    values = ["0", "-1", "nan", "inf", "1e400", "99999999999999999999", "1000000000000000", '"abc"', "true", "[]",
              "[nan]", "[0]", "[-2]", "[7]", '["x"]', "[[1]]", "{}", "1979-05-27", "[4, 6]", "[2]", "0.5", "[8]",
              '"2*pi"', "[1e-200]", "[1e300]", '[1, "a"]']
    lines = [f"[sweep]\nclaim = {claim}"]
    hostile = rng.random() < 0.4
    good = {"seed": "3", "replicates": "2", "name": '"fz"', "width": "[4, 8]", "dim": "[2, 3]", "draws": "[20]",
            "bound_factor": "[1.0, 0.5]", "failure_prob": "[0.1]", "level": "[0.9]", "claimed_mean": "[0.0]",
            "input_radius": "[1.0, 2.0]", "orders": "[[1, 2]]", "max_degree": "[4]", "n_terms": "[4]"}
    for key in rng.sample(["seed", "replicates", "name", "bogus"], rng.randrange(3)):
        lines.append(f"{key} = {rng.choice(values) if hostile or key not in good else good[key]}")
    lines.append("[grid]")
    keys = ["width", "dim", "draws", "bound_factor", "failure_prob", "level", "claimed_mean", "nope", "rng",
            "instance", "input_radius", "orders", "max_degree", "n_terms"]
    for key in rng.sample(keys, rng.randrange(3)):
        lines.append(f"{key} = {rng.choice(values) if hostile or key not in good else good[key]}")
    lines.append("[fixed]")
    if "Randomized" in claim or "Symmetric" in claim:
        lines.append("n_samples = 4\ndraws = 50")
    if "Lemma 9" in claim:
        lines.append("max_degree = 4\nn_terms = 4\ndraws = 100\ndim = 3")
    if "moments" in claim and rng.random() < 0.5:
        lines.append(f"pairs = {rng.choice(values)}")
    if rng.random() < (0.8 if "Lemma 9" in claim else 0.2):
        marker = os.path.join(folder, "PAYLOAD-RAN")
        payload = rng.choice(_payloads()).replace("{marker}", marker)
        lines.append(f"paper_constant = {json.dumps(payload)}")
    text = "\n".join(lines) + "\n"
    mode = rng.choice(["toml"] * 16 + ["binary", "truncated", "missing", "dir"])
    if mode == "binary":
        with open(path, "wb") as handle:
            handle.write(bytes(rng.randrange(256) for _ in range(80)))
    elif mode == "truncated":
        with open(path, "w") as handle:
            handle.write(text[: len(text) // 2])
    elif mode == "missing":
        return os.path.join(folder, "none.toml")
    elif mode == "dir":
        os.mkdir(path)
    else:
        with open(path, "w") as handle:
            handle.write(text)
    return path


# -- command lines ---------------------------------------------------------------------------------------------

def _options(rng, table, k_max=4, n_hostile=1):
    """Up to ``k_max`` options of ``table``; ``n_hostile`` of them (at most) take a hostile value."""
    argv = []
    flags = rng.sample(sorted(table), min(len(table), rng.randrange(k_max + 1)))
    hostile_flags = set(rng.sample(flags, min(n_hostile, len(flags))))
    for flag in flags:
        hostile, valid = table[flag]
        value = rng.choice(hostile if flag in hostile_flags else valid)
        argv += [flag] if value is None else [flag, value]
    return argv


def make_case(rng, folder, good_store):
    """One hostile command line; files it needs are made in ``folder``."""
    command = rng.choice(["verify", "verify", "verify", "network", "opnorm", "opt", "rademacher", "kernel", "kernel",
                          "sweep", "sweep", "sweep", "table", "plot", "curves", "samples", "trust", "rates", "top"])
    ints, floats, texts = HOSTILE_INT, HOSTILE_FLOAT, HOSTILE_TEXT
    argv = [command]
    common = {"--seed": (["-1", "nan", "1.5", "99999999999999999999", "abc", ""], ["0", "1", "7"]),
              "--format": (FORMATS, ["json", "table"])}
    if command == "top":  # the bare battery at small sizes (at its defaults it takes ~20 s idle: not fuzz material)
        return rng.choice([["--n", "8", "--width", "8", "--dim", "3", "--draws", "16", "--format", "json"],
                           ["--version"], ["--help"], ["--nonsense"], ["--format", "xml"], ["", ""], ["\u2603"],
                           ["verify", "--list"], ["-h"], ["kernel"], ["kernel", "nope"], ["--seed", "-3"]])
    if command == "verify":
        claims = [rng.choice(CHEAP_CLAIMS + ["Lemma 99", "", "--all"])]
        argv += [c for c in claims if c != "--all"] + ["--n", "8", "--width", "8", "--dim", "3", "--draws", "16"]
        table = {"--n": (ints, ["4", "16"]), "--width": (ints, ["4", "16"]), "--dim": (ints, ["2", "4"]),
                 "--draws": (ints, ["8", "32"]), "--radius": (floats, ["0.5", "1"]),
                 "--input-radius": (floats, ["0.5", "1", "2"]), "--level": (floats + ["0.95"], ["0.9", "0.99"]),
                 "--activation": (texts, ["relu3", "softplus"]), "--loss": (texts, ["logistic", "squared"])}
    elif command == "network":
        argv += ["--n", "16", "--width", "16", "--dim", "4"]
        table = {"--n": (ints, ["8"]), "--width": (ints, ["8"]), "--dim": (ints, ["3"]),
                 "--input-radius": (floats, ["1"]), "--max-order": (ints, ["2"]), "--move-exponent": (floats, ["-0.25"]),
                 "--failure-prob": (floats, ["0.1"]), "--activation": (texts, ["relu3"]),
                 "--dist": (texts + ["digits", "anisotropic"], ["sphere", "hypercube"])}
    elif command == "opnorm":
        argv += ["--n", "20", "--dim", "4", "--trials", "8"]
        table = {"--n": (ints, ["10"]), "--dim": (ints, ["3"]), "--trials": (ints, ["4"]),
                 "--input-radius": (floats, ["1"]), "--condition": (floats, ["10"]), "--level": (floats, ["0.9"]),
                 "--dist": (texts + ["digits"], ["sphere", "anisotropic"])}
    elif command == "opt":
        argv += ["--n", "30", "--width", "6", "--dim", "3"]
        table = {"--n": (ints, ["20"]), "--width": (ints, ["4"]), "--dim": (ints, ["2"]), "--radius": (floats, ["1"]),
                 "--input-radius": (floats, ["1"]), "--noise": (floats, ["0.3"]), "--tol": (floats, ["1e-3"]),
                 "--reg": (floats, ["0"]), "--time-limit": (floats, ["5"]),
                 "--loss": (texts, ["logistic", "squared", "soft-hinge"]),
                 "--target": (texts, ["single", "xor", "planted"]), "--solver": (texts, ["fast"])}
    elif command == "rademacher":
        argv += ["--n", "20", "--width", "6", "--dim", "3", "--draws", "4"]
        table = {"--n": (ints, ["10"]), "--width": (ints, ["4"]), "--dim": (ints, ["2"]), "--draws": (ints, ["4"]),
                 "--radius": (floats, ["1"]), "--ntk-radius": (floats, ["1"]), "--input-radius": (floats, ["1"]),
                 "--level": (floats, ["0.9"]), "--activation": (texts, ["relu3"])}
    elif command == "kernel":
        sub = rng.choice(["coeffs", "rkhs-norm", "table", "tail", "moments", "nope"])
        argv += [sub]
        table = {"coeffs": {"--order": (ints, ["0", "1"]), "--max-degree": (ints, ["4", "10"]),
                            "--no-cross-check": ([None], [None])},
                 "rkhs-norm": {"--degree": (ints, ["1", "2", "4"]), "--coef": (floats, ["1", "-2"]),
                               "--beta-norm": (floats, ["1"]), "--input-radius": (floats, ["1"]),
                               "--dim": (ints, ["3", "5"])},
                 "table": {"--max-degree": (ints, ["4", "8"])},
                 "tail": {"--order": (ints, ["0", "1"]), "--terms": (ints, ["4", "10"]), "--grid": (ints, ["11"])},
                 "moments": {"--order": (ints, ["1", "3"])}, "nope": {}}[sub]
        if sub == "rkhs-norm" and rng.random() < 0.7:
            argv += ["--degree", "2"]
        if sub == "table":
            argv += ["--max-degree", "6"]
    elif command == "sweep":
        argv += [make_config(rng, folder)]
        if rng.random() < 0.8:
            argv += ["--store", make_store(rng, folder, good_source=good_store) if rng.random() < 0.4
                     else os.path.join(folder, "new.sqlite")]
        table = {"--workers": (ints, ["1", "2"]), "--resume": ([None], [None]),
                 "--scheduler": (["", "tcp://127.0.0.1:9", "nonsense"], [None])}
        if rng.random() < 0.5:
            argv += ["--workers", "1"]
    elif command in ("table", "plot"):
        argv += ["--store", make_store(rng, folder, good_source=good_store)]
        table = {"--claim": (texts + ["Equation 4 event"], ["Equation 4 event"]),
                 "--sweep": (texts, ["fz"]), "--summary": ([None], [None])}
        if command == "plot":
            table = {"--x": (texts + ["width", "cell"], ["width"]), "--y": (texts + ["rate", "margin"], ["lhs"]),
                     "--claim": (texts, ["Equation 4 event"]), "--fit": ([None], [None]),
                     "--claimed-exponent": (floats, ["0.5"]), "--logx": ([None], [None]), "--logy": ([None], [None])}
            if rng.random() < 0.8:
                argv += ["--x", "width"]
            argv += ["--out", make_output(rng, folder, "--out", rng.choice([".png", ".pdf", ".svg", ".txt"]))]
    elif command == "curves":
        exp = rng.choice(["sweep", "slides", "taylor", "nope"])
        argv += ["--experiment", exp, "--dim", rng.choice(["4", "3,4", "10**30", "0", "-2", "abc", "", "4,1000000"]),
                 "--n", rng.choice(["8,16", "0", "abc", "10**30", "99999999999", "8"]),
                 "--repeats", "1", "--steps", "2", "--n-test", "20", "--width", "8"]
        table = {"--repeats": (ints, ["1"]), "--steps": (ints, ["2"]), "--n-test": (ints, ["10"]),
                 "--width": (ints, ["8"]), "--degree": (ints, ["2"]), "--accuracy": (floats, ["0.3"]),
                 "--reg": (floats, ["1"]), "--top-degree": (ints, ["1"]), "--jobs": (ints, ["1"]),
                 "--learners": (texts + ["ntk,nope", ""], ["ntk", "quadratic"]),
                 "--models": (texts, ["linear"]), "--learning-rates": (["nan", "-1", "abc", "", "1e300"], ["0.1"]),
                 "--activation": (texts, ["softplus"]), "--target": (texts, ["single", "xor"])}
        if exp == "sweep" and rng.random() < 0.3:
            argv += ["--store", make_store(rng, folder, good_source=good_store)]
    elif command == "samples":
        table = {"--dim": (["0", "-1", "abc", "", "10**30", "1e400", "1,2,,3"], ["10,20", "4"]),
                 "--degree": (["0", "-1", "abc", "", "99999", "3"], ["2", "2,4"]),
                 "--accuracy": (["0", "-1", "nan", "abc", "1e-300", "1e300"], ["0.1"]),
                 "--constant": (floats, ["1"]), "--failure-prob": (floats, ["0.1"]), "--width": (floats, ["100"]),
                 "--target": (texts + ["xor", "sparse"], ["single"]), "--form": (texts, ["stated"]),
                 "--widths": ([None], [None])}
    elif command == "trust":
        argv += [rng.choice(["specificity", "sensitivity", "nope"]), "--seeds", "2", "--claim",
                 rng.choice(["Equation 4 event", "Symmetric init", "Lemma 99"])]
        table = {"--seeds": (ints, ["1", "2"]), "--claim": (texts, ["Randomized terms"]), "--fast": ([None], [None])}
        if argv[1] == "sensitivity":
            argv += ["--fast"]
    else:  # rates
        argv += ["--claim", rng.choice(["Section 3 scalings", "Lemma 1", "Lemma 99", "Assumption A"])]
        table = {"--claim": (texts, ["Section 3 scalings"])}
    # most cases carry one hostile value among valid ones (to reach the deeper paths), some none, some several
    n_hostile = rng.choice([0, 1, 1, 1, 2, 3])
    argv += _options(rng, table, k_max=max(4, n_hostile), n_hostile=n_hostile)
    argv += _options(rng, common, 2, n_hostile=int(rng.random() < 0.1))
    if command in ("opnorm", "rademacher", "curves", "samples", "rates") and rng.random() < 0.5:
        argv += ["--plot", make_output(rng, folder, "--plot", rng.choice([".png", ".pdf", ".svg", ".txt", ""]))]
    if command == "opt" and rng.random() < 0.5:
        argv += ["--save-w", make_output(rng, folder, "--save-w", ".npz")]
    if command in ("verify", "network", "opnorm", "opt", "rademacher") and rng.random() < 0.35:
        argv += ["--instance", make_instance(rng, folder)]
    if command != "plot" and rng.random() < 0.4:
        argv += ["--out", make_output(rng, folder, "--out", rng.choice([".txt", ".json", ""]))]
    return argv


# -- running ---------------------------------------------------------------------------------------------------

def _snapshot(folder):
    out = {}
    for base, dirs, files in os.walk(folder):
        for name in files + dirs:
            path = os.path.join(base, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            out[os.path.relpath(path, folder)] = (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ino)
    return out


def _start(argv, folder):
    """Fork a child that runs ``main(argv)`` in ``folder``; returns its pid."""
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:  # the child: its own process group, stdout and stderr to files, the CLI entry point
        os.setpgid(0, 0)
        os.chdir(folder)
        for fd, name in ((1, ".fuzz-stdout"), (2, ".fuzz-stderr")):
            handle = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(handle, fd)
            os.close(handle)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        from boundcheck.cli import main

        status = main(argv)
    except SystemExit as exc:  # argparse --help / --version
        status = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - an escaped exception is what a user would see as a traceback
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()  # as the console script's interpreter would at exit (joblib, loky, ...)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


def _classify(argv, folder, before, status, hung, seconds):
    with open(os.path.join(folder, ".fuzz-stderr"), errors="replace") as handle:
        err = handle.read()
    lines = [line for line in err.splitlines() if line.strip()]
    after = _snapshot(folder)
    new = [p for p in after if p not in before and not p.startswith(".fuzz-")]
    temps = [p for p in after if os.path.basename(p).startswith(".boundcheck-")]
    traceback_ = (not hung and status not in (0, 2, 130, 143)) or "Traceback" in err
    partial = list(temps)
    if not hung and status != 0:
        for p in new:
            full = os.path.join(folder, p)
            if p.endswith(".sqlite") and _has_cells(full):
                continue  # a sweep that failed after finishing cells keeps them (resumable)
            if p.endswith("-journal"):
                continue
            partial.append(p)
    executed = os.path.exists(os.path.join(folder, "PAYLOAD-RAN"))
    multi = not hung and status == 2 and len(lines) != 1
    return {"argv": argv, "status": None if hung else status, "seconds": round(seconds, 2), "hang": hung,
            "traceback": traceback_, "multi_line": multi, "partial_files": sorted(set(partial)),
            "payload_executed": executed, "stderr": err[-2000:]}


def _has_cells(path):
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM cells").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def _good_store(folder):
    from boundcheck.run.sweep import parse_config, run_sweep

    path = os.path.join(folder, "good.sqlite")
    config = parse_config({"sweep": {"claim": "Equation 4 event", "name": "fz", "replicates": 2},
                           "grid": {"width": [4, 8]}})
    run_sweep(config, path, workers=1)
    return path


def run(n_cases, *, seed=0, jobs=2, timeout=60.0, progress=True):
    """Run ``n_cases`` cases; returns (summary dict, list of failing case dicts)."""
    import boundcheck.cli as cli

    cli.build_parser()  # import every command once, before forking
    from boundcheck.run.registry import claims

    claims()
    rng = random.Random(seed)
    base = tempfile.mkdtemp(prefix="boundcheck-fuzz-")
    good = _good_store(base)
    running = {}  # pid -> (argv, folder, before, started)
    results = []
    started_all = time.monotonic()
    index = 0
    try:
        while index < n_cases or running:
            while index < n_cases and len(running) < jobs:
                folder = os.path.join(base, f"case{index:05d}")
                os.mkdir(folder)
                argv = make_case(rng, folder, good)
                before = _snapshot(folder)
                running[_start(argv, folder)] = (argv, folder, before, time.monotonic())
                index += 1
            time.sleep(0.01)
            for pid, (argv, folder, before, t0) in list(running.items()):
                done, status = os.waitpid(pid, os.WNOHANG)
                elapsed = time.monotonic() - t0
                hung = False
                if not done and elapsed > timeout:
                    os.killpg(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    hung, status = True, None
                elif not done:
                    continue
                else:
                    try:
                        os.killpg(pid, signal.SIGKILL)  # any process the case left behind (none should be)
                    except ProcessLookupError:
                        pass
                    status = os.waitstatus_to_exitcode(status)
                del running[pid]
                results.append(_classify(argv, folder, before, status, hung, elapsed))
                if progress and len(results) % 50 == 0:
                    print(f"{len(results)} cases, {time.monotonic() - started_all:.0f} s", file=sys.stderr, flush=True)
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        for pid in running:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(base, ignore_errors=True)
    bad = [r for r in results if r["hang"] or r["traceback"] or r["multi_line"] or r["partial_files"]
           or r["payload_executed"]]
    by_command = {}
    for r in results:
        name = (r["argv"] or ["(bare)"])[0] or "(empty)"
        entry = by_command.setdefault(name, {"cases": 0, "exit_0": 0, "exit_2": 0, "other": 0})
        entry["cases"] += 1
        key = {0: "exit_0", 2: "exit_2"}.get(r["status"], "other")
        entry[key] += 1
    summary = {
        "cases": len(results), "seed": seed, "timeout_seconds": timeout, "jobs": jobs,
        "tracebacks": sum(r["traceback"] for r in results), "hangs": sum(r["hang"] for r in results),
        "multi_line_errors": sum(r["multi_line"] for r in results),
        "partial_files": sum(bool(r["partial_files"]) for r in results),
        "payloads_executed": sum(r["payload_executed"] for r in results),
        "exit_0": sum(r["status"] == 0 for r in results), "exit_2": sum(r["status"] == 2 for r in results),
        "longest_seconds": max((r["seconds"] for r in results), default=0.0),
        "wall_seconds": round(time.monotonic() - started_all, 1), "by_command": by_command,
    }
    return summary, bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--out", help="write the summary (JSON) here, e.g. data/fuzz_summary.json")
    parser.add_argument("--failures", help="write the failing cases (JSON) here")
    opts = parser.parse_args()
    summary, bad = run(opts.cases, seed=opts.seed, jobs=opts.jobs, timeout=opts.timeout)
    text = json.dumps(summary, indent=1)
    print(text)
    if opts.out:
        with open(opts.out, "w") as handle:
            handle.write(text + "\n")
    if opts.failures:
        with open(opts.failures, "w") as handle:
            json.dump(bad, handle, indent=1)
    for case in bad[:20]:
        print(json.dumps({k: case[k] for k in ("argv", "status", "hang", "traceback", "multi_line", "partial_files")}),
              "\n   ", case["stderr"].strip().splitlines()[-1:] if case["stderr"].strip() else "", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
