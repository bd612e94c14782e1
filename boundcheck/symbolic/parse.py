r"""Constants a user writes as text (``paper_constant = "2*pi"``), read by a whitelist grammar.

No user text is ever handed to ``sympy.sympify``, ``eval`` or ``exec``: :func:`parse_constant`
parses it with Python's :mod:`ast` module and walks only these node types, building sympy objects
itself::

    expr   := number | "pi" | "e" | "sqrt(" expr ")"
            | expr ("+" | "-" | "*" | "/" | "**" | "^") expr | ("+" | "-") expr | "(" expr ")"

Numbers are decimal literals (``2``, ``0.1``, ``1e-3``), read exactly (``0.1`` is 1/10). Anything
else -- names, attribute access, calls other than ``sqrt``, subscripts, lambdas, strings,
comparisons -- is refused with a :class:`ValueError` that names the argument. Work is bounded
before it is done: at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` levels of nesting,
exponents of magnitude at most :data:`MAX_EXPONENT`, and every intermediate value within
:math:`10^{\pm}` :data:`MAX_MAGNITUDE` (so ``9**9**9**9`` is refused at once instead of hanging).
"""

from __future__ import annotations

import ast
import math
import numbers

import sympy as sp

from .. import _validate as validate

__all__ = ["MAX_LENGTH", "MAX_DEPTH", "MAX_EXPONENT", "MAX_MAGNITUDE", "parse_constant", "exact_number"]

#: Longest text accepted (characters).
MAX_LENGTH = 200
#: Deepest nesting of operations accepted.
MAX_DEPTH = 32
#: Largest magnitude of an exponent.
MAX_EXPONENT = 1000
#: Largest decimal exponent of any intermediate value: |value| must lie in [10^-300, 10^300] (or be 0).
MAX_MAGNITUDE = 300

_ALLOWED = "numbers, pi, e, sqrt(...), + - * / ** (or ^) and parentheses"
_NAMES = {"pi": sp.pi, "e": sp.E, "E": sp.E}


def _refuse(name, text, why):
    shown = text if len(text) <= 60 else text[:57] + "..."
    return validate.BoundcheckInputError(f"{name} must be a constant made of {_ALLOWED}; got {shown!r} ({why})")


def _log10_abs(value):
    """Decimal exponent of ``|value|`` for a sympy number, computed without forming big numbers."""
    if value == 0:
        return -math.inf
    if isinstance(value, sp.Integer):
        n = abs(int(value))
        return (n.bit_length() - 1) * math.log10(2) if n.bit_length() > 1000 else math.log10(n)
    if isinstance(value, sp.Rational):
        return _log10_abs(sp.Integer(value.p)) - _log10_abs(sp.Integer(value.q))
    approx = sp.N(sp.Abs(value), 15)
    if not approx.is_number or not approx.is_finite or approx.is_zero:
        return math.nan
    return float(sp.log(approx, 10).evalf(15))


class _Builder:
    def __init__(self, name, text):
        self.name, self.text = name, text

    def fail(self, why):
        return _refuse(self.name, self.text, why)

    def checked(self, value):
        if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            raise self.fail("it is not a finite number")
        if value.is_real is False:
            raise self.fail("it is not a real number")
        size = _log10_abs(value)
        if math.isnan(size) or size > MAX_MAGNITUDE or (value != 0 and size < -MAX_MAGNITUDE):
            raise self.fail(f"a value in it is outside 1e-{MAX_MAGNITUDE} .. 1e{MAX_MAGNITUDE} in magnitude")
        return value

    def build(self, node, depth=0):
        if depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Expression):
            return self.build(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.fail(f"{type(value).__name__} literals are not numbers")
            if isinstance(value, float):
                # the literal as written, exactly (1e-400 is 10^-400, not the float 0.0)
                segment = (ast.get_source_segment(self.text, node) or "").replace("_", "")
                try:
                    exact = sp.Rational(segment)
                except (TypeError, ValueError):
                    if not math.isfinite(value):
                        raise self.fail("it is not a finite number") from None
                    exact = sp.nsimplify(value, rational=True)
                return self.checked(exact)
            return self.checked(sp.Integer(value))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in _NAMES:
                return _NAMES[node.id]
            raise self.fail(f"the name {node.id!r} is not allowed")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
            operand = self.build(node.operand, depth + 1)
            return operand if isinstance(node.op, ast.UAdd) else -operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow,
                                                                ast.BitXor)):
            left = self.build(node.left, depth + 1)
            right = self.build(node.right, depth + 1)
            if isinstance(node.op, (ast.Pow, ast.BitXor)):
                return self.power(left, right)
            if isinstance(node.op, ast.Div):
                if right == 0:
                    raise self.fail("it divides by zero")
                return self.checked(left / right)
            op = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                  ast.Mult: lambda a, b: a * b}[type(node.op)]
            if isinstance(node.op, ast.Mult) and left != 0 and right != 0:
                size = _log10_abs(left) + _log10_abs(right)
                if size > MAX_MAGNITUDE or size < -MAX_MAGNITUDE:
                    raise self.fail(f"a value in it is outside 1e-{MAX_MAGNITUDE} .. 1e{MAX_MAGNITUDE} in magnitude")
            return self.checked(op(left, right))
        if isinstance(node, ast.Call):
            if (isinstance(node.func, ast.Name) and node.func.id == "sqrt" and len(node.args) == 1
                    and not node.keywords):
                arg = self.build(node.args[0], depth + 1)
                if arg.is_negative:
                    raise self.fail("it takes the square root of a negative number")
                return self.checked(sp.sqrt(arg))
            raise self.fail("the only function allowed is sqrt with one argument")
        raise self.fail(f"{type(node).__name__} is not allowed")

    def power(self, base, exponent):
        if not exponent.is_rational:
            raise self.fail("exponents must be rational numbers")
        if abs(exponent) > MAX_EXPONENT:
            raise self.fail(f"an exponent is larger than {MAX_EXPONENT} in magnitude")
        if exponent.q > 2 and base.is_negative:
            raise self.fail("a negative number is raised to a fractional power")
        if base == 0:
            if exponent < 0:
                raise self.fail("it divides by zero")
            return sp.Integer(0) if exponent > 0 else sp.Integer(1)
        if exponent.q == 2 and base.is_negative:
            raise self.fail("it takes the square root of a negative number")
        size = float(exponent) * _log10_abs(base)
        if not math.isfinite(size) or size > MAX_MAGNITUDE or size < -MAX_MAGNITUDE:
            raise self.fail(f"a value in it is outside 1e-{MAX_MAGNITUDE} .. 1e{MAX_MAGNITUDE} in magnitude")
        return self.checked(base**exponent)


def parse_constant(text, *, name="constant"):
    r"""The sympy number written in ``text`` (whitelist grammar of the module docstring).

    >>> parse_constant("2*pi")
    2*pi
    >>> parse_constant("sqrt(2)/4 + 0.5")
    sqrt(2)/4 + 1/2

    Raises ``ValueError`` naming ``name`` for anything outside the grammar or its size limits;
    never evaluates Python.
    """
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise _refuse(name, text, f"longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise _refuse(name, text, "it is empty")
    if any(ch in text for ch in "\x00\n\r"):
        raise _refuse(name, text, "it holds a control character")
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as err:  # ValueError: too many digits
        raise _refuse(name, text, f"not an expression: {type(err).__name__}") from None
    return _Builder(name, text).build(tree)


def exact_number(value, *, name="value"):
    r"""A user's number as an exact sympy number.

    A float is read by its decimal value (``0.1`` -> 1/10), an integer exactly, a string through
    :func:`parse_constant`, a sympy number as it is. Anything else is a ``TypeError``.
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number or a constant such as '2*pi'; got {value!r} (bool)")
    if isinstance(value, str):
        return parse_constant(value, name=name)
    if isinstance(value, sp.Basic):
        if not value.is_number or value.free_symbols:
            raise TypeError(f"{name} must be a number or a constant such as '2*pi'; got the expression {value}")
        return value
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Rational):
        return sp.Rational(int(value.numerator), int(value.denominator))
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise validate.BoundcheckInputError(f"{name} must be a finite number; got {value}")
        return sp.nsimplify(value, rational=True)
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise TypeError(f"{name} must be a number or a constant such as '2*pi'; got {shown} ({type(value).__name__})")
