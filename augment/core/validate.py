"""Parameter validators for operator constructors.

Each returns the value coerced to its canonical type or raises :class:`ConfigError` with a
message naming the operator, the parameter, what is allowed and what was given::

    Rotate: 'angle_min' must be a number in [-360, 360] (got 'abc' that is a str)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from ..errors import ConfigError

__all__ = ["number", "integer", "choice", "boolean", "ordered"]


def _got(value: Any) -> str:
    return f"(got {value!r} that is a {type(value).__name__})"


def _interval(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f" {'>' if lo_open else '>='} {lo:g}"
    if lo is None:
        return f" {'<' if hi_open else '<='} {hi:g}"
    return f" in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def number(
    op: str,
    name: str,
    value: Any,
    lo: float | None = None,
    hi: float | None = None,
    *,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """A finite real number within the bounds, returned as ``float``."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        v = float(value)
        ok = math.isfinite(v)
        if ok and lo is not None:
            ok = v > lo if lo_open else v >= lo
        if ok and hi is not None:
            ok = v < hi if hi_open else v <= hi
        if ok:
            return v
    raise ConfigError(f"{op}: {name!r} must be a finite number{_interval(lo, hi, lo_open, hi_open)} {_got(value)}")


def integer(op: str, name: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    """An integer within the bounds (``3.0`` is accepted as 3; ``True`` is not)."""
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if real and (isinstance(value, numbers.Integral) or float(value).is_integer()):
        v = int(value)
        if (lo is None or v >= lo) and (hi is None or v <= hi):
            return v
    raise ConfigError(f"{op}: {name!r} must be an integer{_interval(lo, hi, False, False)} {_got(value)}")


def choice(op: str, name: str, value: Any, choices: Iterable[Any]) -> Any:
    """One of ``choices``; strings are matched case-insensitively and returned canonical."""
    choices = tuple(choices)
    for c in choices:
        if value == c or (isinstance(value, str) and isinstance(c, str) and value.lower() == c.lower()):
            return c
    allowed = ", ".join(repr(c) for c in choices)
    raise ConfigError(f"{op}: {name!r} must be one of {allowed} {_got(value)}")


def boolean(op: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{op}: {name!r} must be True or False {_got(value)}")
    return value


def ordered(op: str, lo_name: str, lo: float, hi_name: str, hi: float) -> None:
    """``lo <= hi``, for ranges that must not be reversed."""
    if lo > hi:
        raise ConfigError(f"{op}: {lo_name!r} ({lo:g}) must not be greater than {hi_name!r} ({hi:g})")


def optional_range(
    op: Any, lo_name: str, hi_name: str, default: tuple[float, float], lo: float | None, hi: float | None
) -> None:
    """Check the pair ``lo_name``/``hi_name`` of ``op`` where ``None`` means "the default of the
    operator's mode" (``default``): given values are checked and coerced, ``None`` stays ``None``
    (so a copy with another mode, ``evolve`` or an edited config, takes that mode's default), and
    the pair as it will be used must be ordered."""
    a, b = getattr(op, lo_name), getattr(op, hi_name)
    if a is not None:
        a = number(op.name, lo_name, a, lo, hi)
        op._set(lo_name, a)
    if b is not None:
        b = number(op.name, hi_name, b, lo, hi)
        op._set(hi_name, b)
    ordered(op.name, lo_name, default[0] if a is None else a, hi_name, default[1] if b is None else b)


def effective_range(op: Any, lo_name: str, hi_name: str, default: tuple[float, float]) -> tuple[float, float]:
    """The pair of :func:`optional_range` as used: each ``None`` replaced by its default."""
    a, b = getattr(op, lo_name), getattr(op, hi_name)
    return (float(default[0]) if a is None else float(a), float(default[1]) if b is None else float(b))
