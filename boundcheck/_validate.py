"""One wording for every bad-input error.

Every public function checks its hypotheses through these helpers before any arithmetic, so a
user always reads ``<argument> must be <what is allowed>; got <value>``. ``ValueError`` is for a
bad value, ``TypeError`` for a wrong kind. The command line turns both into one line and exit
status 2.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "BoundcheckInputError",
    "positive",
    "nonnegative",
    "probability",
    "integer",
    "even_width",
    "choice",
    "matrix",
    "vector",
    "same_dim",
    "signs",
    "finite",
    "scale",
    "size",
    "float_errors",
    "SCALE_RANGE",
]

#: Scales (B_x, B_w, ||beta||, ...) within which the float64 arithmetic of every check is sound: the
#: networks and bounds raise them to powers up to about 16, which stays far from overflow and underflow.
SCALE_RANGE = (1e-8, 1e8)


class BoundcheckInputError(ValueError):
    """A value the caller passed is outside what the function allows."""


def _show(value):
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _real(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {_show(value)} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise BoundcheckInputError(f"{name} must be a finite number; got {value}")
    return value


def positive(name, value):
    """Return ``float(value)`` if it is a finite number > 0."""
    value = _real(name, value)
    if value <= 0:
        raise BoundcheckInputError(f"{name} must be > 0; got {value:g}")
    return value


def nonnegative(name, value):
    """Return ``float(value)`` if it is a finite number >= 0."""
    value = _real(name, value)
    if value < 0:
        raise BoundcheckInputError(f"{name} must be >= 0; got {value:g}")
    return value


def probability(name, value, *, open_interval=True):
    """Return ``float(value)`` if it lies in (0, 1) (or [0, 1] when ``open_interval`` is False)."""
    value = _real(name, value)
    ok = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not ok:
        allowed = "strictly between 0 and 1" if open_interval else "between 0 and 1"
        raise BoundcheckInputError(f"{name} must be {allowed}; got {value:g}")
    return value


def integer(name, value, *, minimum=None, maximum=None):
    """Return ``int(value)`` if it is an integer within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer; got {_show(value)} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise BoundcheckInputError(f"{name} must be an integer >= {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise BoundcheckInputError(f"{name} must be an integer <= {maximum}; got {value}")
    return value


def even_width(name, value):
    """Return the width if it is an even integer >= 2 (symmetric initialization needs pairs)."""
    value = integer(name, value)
    if value < 2 or value % 2:
        raise BoundcheckInputError(
            f"{name} must be an even integer >= 2 (symmetric initialization); got {value}"
        )
    return value


def choice(name, value, allowed):
    """Return ``value`` if it is one of ``allowed``."""
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise BoundcheckInputError(f"{name} must be one of {listed}; got {_show(value)}")
    return value


def finite(name, arr):
    """Raise if ``arr`` holds NaN or infinity."""
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise BoundcheckInputError(f"{name} must hold finite values only; got {bad} NaN or infinite entries")
    return arr


def _array(name, value, ndim):
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric array; got {_show(value)}") from None
    if arr.ndim != ndim:
        raise BoundcheckInputError(f"{name} must be a {ndim}-d array; got shape {arr.shape}")
    if arr.size == 0:
        raise BoundcheckInputError(f"{name} must not be empty; got shape {arr.shape}")
    return finite(name, arr)


def matrix(name, value, *, shape=None):
    """Return ``value`` as a finite float64 2-d array; ``shape`` entries of None are free."""
    arr = _array(name, value, 2)
    if shape is not None:
        for axis, want in enumerate(shape):
            if want is not None and arr.shape[axis] != want:
                raise BoundcheckInputError(
                    f"{name} must have shape {tuple('*' if s is None else s for s in shape)}; got {arr.shape}"
                )
    return arr


def vector(name, value, *, length=None):
    """Return ``value`` as a finite float64 1-d array of the given length."""
    arr = _array(name, value, 1)
    if length is not None and arr.shape[0] != length:
        raise BoundcheckInputError(f"{name} must have length {length}; got {arr.shape[0]}")
    return arr


def same_dim(name_a, a, name_b, b):
    """Raise unless ``a`` and ``b`` have the same number of columns (both are dim)."""
    if np.shape(a)[-1] != np.shape(b)[-1]:
        raise BoundcheckInputError(
            f"{name_a} has {np.shape(a)[-1]} columns but {name_b} has {np.shape(b)[-1]} (both are dim)"
        )


def signs(name, value, *, length=None):
    """Return ``value`` as a float array of +1/-1 entries (last axis of the given length)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.size == 0 or arr.ndim not in (1, 2):
        raise BoundcheckInputError(f"{name} must be a non-empty 1-d or 2-d array of +1/-1; got shape {arr.shape}")
    if not np.all(np.abs(arr) == 1.0):
        raise BoundcheckInputError(f"{name} must hold only +1 and -1 entries")
    if length is not None and arr.shape[-1] != length:
        raise BoundcheckInputError(f"{name} must have {length} entries on its last axis; got {arr.shape[-1]}")
    return arr


def scale(name, value, *, allow_zero=False):
    """Return ``float(value)`` if it lies in :data:`SCALE_RANGE` (or is 0 when ``allow_zero``)."""
    value = _real(name, value)
    low, high = SCALE_RANGE
    if allow_zero and value == 0:
        return value
    if not low <= abs(value) <= high or (value < 0 and not allow_zero):
        sign = "+-" if allow_zero else ""
        raise BoundcheckInputError(
            f"{name} must be {'0 or ' if allow_zero else ''}between {sign}{low:g} and {sign}{high:g} (beyond, "
            f"float64 arithmetic of the checks overflows or underflows); got {value:g}")
    return value


def size(name, value, *, minimum=1, maximum, why="larger ones do not finish in reasonable time on one machine"):
    """Return ``int(value)`` if it is an integer in ``[minimum, maximum]``; the error says why the maximum."""
    value = integer(name, value, minimum=minimum)
    if value > maximum:
        raise BoundcheckInputError(f"{name} must be an integer between {minimum} and {maximum} ({why}); got {value}")
    return value


def float_errors():
    """A context in which floating-point overflow, invalid operations and division by zero raise
    ``FloatingPointError`` instead of giving inf or NaN: no verdict is computed from such a number."""
    return np.errstate(over="raise", invalid="raise", divide="raise", under="ignore")
