r"""What the command line accepts before any work: scales in the range where float64 is sound, sizes up
to what this machine can do.

Every number option is checked here, once, by the CLI (:func:`check`), before a command runs, so an
impossible request fails in one line at once instead of hanging or overflowing. The library
functions keep their own (weaker) checks.

* Scales (:math:`B_x`, :math:`B_w`, :math:`R`, :math:`\|\beta\|`, :math:`\alpha`) lie in
  :data:`boundcheck._validate.SCALE_RANGE`.
* Every size has a maximum (:data:`MAXIMA`): the largest value for which the command, with its
  other options at their defaults, finishes in about a minute on a 2-core machine, or whose arrays
  alone fill several GiB. Products of sizes are bounded too: :data:`MAX_ELEMENTS` entries in any
  one array (512 MiB of float64) and :data:`MAX_WORK` multiply-adds in the products of the network
  (:math:`n\,m\,d` and the like), so that no combination of allowed values runs for hours. For
  ``verify`` the sizes not given are each selected claim's defaults. What these models miss (a
  check that holds many arrays of ``draws x n x m``) meets the command line's cap on the address
  space: MemoryError, one line, instead of the kernel's OOM killer.

The error says the maximum and why, e.g.
``--grid must be an integer between 2 and 100001 (...); got 1000000000000000000000000000000``.
"""

from __future__ import annotations

import math

from .. import _validate as validate

__all__ = ["MAXIMA", "MAX_ELEMENTS", "MAX_WORK", "check", "check_work"]

#: Entries of the largest array a command may build (512 MiB of float64; a check holds several at once).
MAX_ELEMENTS = 2**26
#: Multiply-adds of the largest product a command may compute (a few minutes at most here).
MAX_WORK = 2 * 10**11

_TIME = "larger ones take more than about a minute on one machine"
_MEMORY = "larger ones need more memory than a workstation has"

#: (command or None for every command, dest) -> (option, minimum, maximum, why)
MAXIMA = {
    (None, "n_samples"): ("--n", 1, 200_000, _MEMORY),
    (None, "width"): ("--width", 2, 200_000, _MEMORY),
    (None, "dim"): ("--dim", 1, 100_000, _MEMORY),
    (None, "draws"): ("--draws", 1, 1_000_000, _MEMORY),
    (None, "trials"): ("--trials", 2, 1_000_000, _MEMORY),
    (None, "max_order"): ("--max-order", 0, 12, "the Taylor terms are implemented up to order 12"),
    (None, "seeds"): ("--seeds", 1, 100_000, _TIME),
    (None, "repeats"): ("--repeats", 1, 1000, _TIME),
    (None, "steps"): ("--steps", 1, 100_000, _TIME),
    (None, "n_test"): ("--n-test", 1, 1_000_000, _MEMORY),
    (None, "jobs"): ("--jobs", 1, 256, "more processes than that only compete for the cores"),
    (None, "workers"): ("--workers", 1, 1024, "more processes than that only compete for the cores"),
    (None, "top_degree"): ("--top-degree", 0, 8, "the eigen-directions of higher degrees are not implemented"),
    ("curves", "degree"): ("--degree", 1, 8, "the targets and feature maps go up to degree 8"),
    ("kernel", "max_degree"): ("--max-degree", 0, 1000, _TIME),
    ("kernel", "degree"): ("--degree", 0, 2000, _TIME),
    ("kernel", "dim"): ("--dim", 2, 1_000_000, _TIME),
    ("kernel", "terms"): ("--terms", 0, 5000, _TIME),
    ("kernel", "grid"): ("--grid", 2, 100_001, _TIME),
    ("kernel", "order"): ("--order", 0, 64, "the exact constructions go up to order 64"),
}

#: Options that are scales: (dest -> (option, allow zero and negative values))
SCALES = {"input_radius": ("--input-radius", False), "radius": ("--radius", False),
          "ntk_radius": ("--ntk-radius", False), "beta_norm": ("--beta-norm", False), "coef": ("--coef", True)}

#: Other real options and their ranges: dest -> (option, low, high).
RANGES = {"move_exponent": ("--move-exponent", -4.0, 4.0), "condition": ("--condition", 1.0, 1e8),
          "noise": ("--noise", 0.0, 1e4), "tol": ("--tol", 1e-12, 1.0), "reg": ("--reg", 0.0, 1e8),
          "time_limit": ("--time-limit", 0.0, 86400.0), "accuracy": ("--accuracy", 1e-8, 1e8)}


def _maximum(command, dest):
    return MAXIMA.get((command, dest)) or MAXIMA.get((None, dest))


def _given(args, dest):
    value = getattr(args, dest, None)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check(args):
    """Check every scale, range and size of the parsed ``args`` of one command; raise on the first bad one."""
    command = getattr(args, "command", None)
    for dest, (option, signed) in SCALES.items():
        value = getattr(args, dest, None)
        # zero and negative scales are left to the library's own message ("must be > 0")
        if isinstance(value, float) and (value > 0 or (signed and value != 0) or not math.isfinite(value)):
            validate.scale(option, value, allow_zero=signed)
    for dest, (option, low, high) in RANGES.items():
        value = getattr(args, dest, None)
        if isinstance(value, float):
            value = validate._real(option, value)
            if value <= 0 < low:  # a positive-only option: the library's own message ("must be > 0")
                continue
            if value < low or value > high:
                raise validate.BoundcheckInputError(f"{option} must be between {low:g} and {high:g}; got {value:g}")
    for dest in sorted({d for _, d in MAXIMA}):
        value = _given(args, dest)
        limit = _maximum(command, dest)
        if value is not None and limit is not None and value > limit[2]:  # values too small: the library says so
            option, low, high, why = limit
            validate.size(option, value, minimum=low, maximum=high, why=why)
    if command == "kernel" and getattr(args, "kernel_command", None) == "tail":
        terms, grid = _given(args, "terms") or 0, _given(args, "grid") or 0
        if terms * grid > 1_100_000:
            raise validate.BoundcheckInputError(
                f"--terms times --grid must be at most 1100000 (each grid point sums the series in 40-digit "
                f"arithmetic; {_TIME}); got {terms} x {grid} = {terms * grid}")
    _products(args)


def _claim_sizes(args):
    """For ``verify``: the sizes of each selected claim, the given ones over the claim's defaults."""
    import inspect

    from ..run.registry import claims, get_claim, load_claims_file

    if getattr(args, "list", False):
        return []
    for path in getattr(args, "claim_files", None) or ():  # the user's claims, before their labels are looked up
        load_claims_file(path)
    labels = args.claims if getattr(args, "claims", None) and not args.all else [
        label for label, claim in claims().items() if claim.battery]
    sizes = []
    for label in labels:
        params = inspect.signature(get_claim(label).check).parameters
        defaults = {k: p.default for k, p in params.items() if isinstance(p.default, int)}
        values = {k: _given(args, k) if _given(args, k) is not None else defaults.get(k)
                  for k in ("n_samples", "width", "dim", "draws")}
        values["where"] = f" for {label!r} (with its defaults for the sizes not given)"
        sizes.append(values)
    return sizes


def _products(args):
    """Bound the arrays and products the sizes imply (for ``verify`` with each claim's defaults filled in)."""
    size_sets = _claim_sizes(args) if getattr(args, "command", None) == "verify" else [
        {k: _given(args, k) for k in ("n_samples", "width", "dim", "draws")}]
    for sizes in size_sets:
        _bound(sizes["n_samples"], sizes["width"], sizes["dim"], sizes["draws"], _given(args, "trials"),
               sizes.get("where", ""))


def _bound(n, m, d, draws, trials, where=""):
    arrays = {"n x m": (n, m), "n x d": (n, d), "m x d": (m, d), "draws x n": (draws, n), "draws x m": (draws, m),
              "trials x n x d": (trials, n, d)}
    for what, sizes in arrays.items():
        most = MAX_ELEMENTS
        if all(s is not None and s > 0 for s in sizes) and math.prod(sizes) > most:
            names = " x ".join(str(s) for s in sizes)
            raise validate.BoundcheckInputError(
                f"the sizes give an array of {what} = {names} entries{where}; at most {most} ({_MEMORY}): "
                "choose smaller --n, --width, --dim, --draws or --trials")
    work = {"n m d": (n, m, d), "draws n m d": (draws, n, m, d), "trials n d^2": (trials, n, d, d)}
    for what, sizes in work.items():
        if all(s is not None and s > 0 for s in sizes) and math.prod(sizes) > MAX_WORK:
            raise validate.BoundcheckInputError(
                f"the sizes need about {what} = {math.prod(sizes):.2g} multiply-adds{where}; at most {MAX_WORK:.0e} "
                f"({_TIME}): choose smaller --n, --width, --dim, --draws or --trials")


def check_work(what, amount, elements=0):
    """Refuse a computation of ``amount`` multiply-adds (or an array of ``elements`` entries) beyond the maxima.

    ``what`` names the computation and its cost model, e.g. ``"--plot (16 trials x n x d^2 per point)"``.
    """
    if elements > MAX_ELEMENTS:
        raise validate.BoundcheckInputError(
            f"{what} needs an array of {elements:.2g} entries; at most {MAX_ELEMENTS} ({_MEMORY}): choose smaller sizes")
    if amount > MAX_WORK:
        raise validate.BoundcheckInputError(
            f"{what} needs about {amount:.2g} multiply-adds; at most {MAX_WORK:.0e} ({_TIME}): choose smaller sizes")
