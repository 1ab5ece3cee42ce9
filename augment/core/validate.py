"""Parameter validators for operator constructors.

Each returns the value coerced to its canonical type or raises :class:`ConfigError` with a
message naming the operator, the parameter, what is allowed and what was given::

    Rotate: 'angle_min' must be a number in [-360, 360] (got 'abc' that is a str)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, cast

from ..errors import ConfigError

__all__ = [
    "number",
    "integer",
    "choice",
    "boolean",
    "ordered",
    "optional_range",
    "effective_range",
    "pair",
    "int_pair",
    "Spec",
    "Number",
    "Integer",
    "Choice",
    "Flag",
    "specs_of",
    "check_values",
    "ordered_with_default",
]


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


def pair(op: Any, lo_name: str, hi_name: str, lo: float | None, hi: float | None, **kw: bool) -> None:
    """Validate and coerce the pair of numbers ``lo_name``/``hi_name`` of ``op``; they must be ordered."""
    a = number(op.name, lo_name, getattr(op, lo_name), lo, hi, **kw)
    b = number(op.name, hi_name, getattr(op, hi_name), lo, hi, **kw)
    ordered(op.name, lo_name, a, hi_name, b)
    op._set(lo_name, a)
    op._set(hi_name, b)


def int_pair(op: Any, lo_name: str, hi_name: str, lo: int, hi: int) -> None:
    """:func:`pair` for integers."""
    a = integer(op.name, lo_name, getattr(op, lo_name), lo, hi)
    b = integer(op.name, hi_name, getattr(op, hi_name), lo, hi)
    ordered(op.name, lo_name, a, hi_name, b)
    op._set(lo_name, a)
    op._set(hi_name, b)


# --------------------------------------------------------------------------- declared parameters
# Each parameter of an operator declares what it allows next to its type, with typing.Annotated:
#
#     angle_min: Annotated[float, Number(-360, 360)] = -90.0
#     alpha_min: Annotated[float, Number(0, 1, le="alpha_max")] = 1.0   # and alpha_min <= alpha_max
#
# The framework then validates and coerces every declared field (Operator.__post_init__), checks a
# config without building the operator (Operator.check_config) and prints the ranges (augment ops).
# Rules that involve more than one field beyond ``le`` (a bound that defaults by mode) stay in the
# class's ``_check_values`` hook.


class Spec:
    """What one parameter allows. Subclasses: :class:`Number`, :class:`Integer`, :class:`Choice`,
    :class:`Flag`. ``le`` names a field this one must not exceed; ``optional`` allows ``None``
    ("the mode's default")."""

    le: str | None = None
    optional: bool = False

    def check(self, op: str, name: str, value: Any) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def _text(self, core: str) -> str:
        text = f"None (the mode's default) or {core}" if self.optional else core
        return f"{text}, <= {self.le}" if self.le else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


class Number(Spec):
    """A finite real number (returned as float) within ``[lo, hi]`` (``lo_open``/``hi_open``: excluded)."""

    def __init__(
        self,
        lo: float | None = None,
        hi: float | None = None,
        *,
        lo_open: bool = False,
        hi_open: bool = False,
        le: str | None = None,
        optional: bool = False,
    ):
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open
        self.le, self.optional = le, optional

    def check(self, op: str, name: str, value: Any) -> Any:
        if value is None and self.optional:
            return None
        return number(op, name, value, self.lo, self.hi, lo_open=self.lo_open, hi_open=self.hi_open)

    def describe(self) -> str:
        return self._text(f"number{_interval(self.lo, self.hi, self.lo_open, self.hi_open)}")


class Integer(Spec):
    """An integer within ``[lo, hi]``."""

    def __init__(self, lo: int | None = None, hi: int | None = None, *, le: str | None = None):
        self.lo, self.hi, self.le = lo, hi, le

    def check(self, op: str, name: str, value: Any) -> Any:
        return integer(op, name, value, self.lo, self.hi)

    def describe(self) -> str:
        return self._text(f"integer{_interval(self.lo, self.hi, False, False)}")


class Choice(Spec):
    """One of ``choices`` (strings matched case-insensitively, returned canonical)."""

    def __init__(self, *choices: Any):
        self.choices = choices

    def check(self, op: str, name: str, value: Any) -> Any:
        return choice(op, name, value, self.choices)

    def describe(self) -> str:
        return self._text("one of " + ", ".join(repr(c) for c in self.choices))


class Flag(Spec):
    """True or False."""

    def check(self, op: str, name: str, value: Any) -> Any:
        return boolean(op, name, value)

    def describe(self) -> str:
        return "True or False"


#: the probability every operator has (``p``): how often it runs
PROBABILITY = Number(0.0, 1.0)


def specs_of(cls: type) -> dict[str, Spec]:
    """The declared :class:`Spec` of each field of the dataclass ``cls`` that has one, in field
    order (read once per class from its ``Annotated`` annotations, then cached on the class)."""
    cached = cls.__dict__.get("_specs_cache")
    if cached is not None:
        return cast("dict[str, Spec]", cached)
    import dataclasses
    import inspect
    import sys

    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):  # a subclass's annotation wins
        module = vars(sys.modules[klass.__module__]) if klass.__module__ in sys.modules else {}
        for name, annotation in inspect.get_annotations(klass).items():
            if isinstance(annotation, str):  # postponed (from __future__ import annotations)
                try:
                    annotation = eval(annotation, dict(module))
                except Exception:  # noqa: BLE001  a name local to a function: no declaration to read
                    hints.pop(name, None)
                    continue
            hints[name] = annotation
    out: dict[str, Spec] = {}
    for f in dataclasses.fields(cls):
        for extra in getattr(hints.get(f.name), "__metadata__", ()):
            if isinstance(extra, Spec):
                out[f.name] = extra
    for name, spec in out.items():
        if spec.le is not None and spec.le not in out:
            raise TypeError(f"{cls.__name__}.{name}: le={spec.le!r} names no declared field")
    type.__setattr__(cls, "_specs_cache", out)
    return out


def check_values(cls: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Validate and coerce ``values`` (every declared field of the operator class ``cls``, by
    name) against the declarations, then the ``le`` orders (a ``None`` bound is the class's
    business, in its ``_check_values``), then the class's ``_check_values(values)`` hook. Returns
    ``values`` with the coerced values; raises :class:`ConfigError` naming the operator."""
    op = cls.__name__
    specs = specs_of(cls)
    for name, spec in specs.items():
        if name in values:
            values[name] = spec.check(op, name, values[name])
    for name, spec in specs.items():
        if spec.le is not None and name in values and spec.le in values:
            a, b = values[name], values[spec.le]
            if a is not None and b is not None:
                ordered(op, name, a, spec.le, b)
    cls._check_values(values)
    return values


def ordered_with_default(
    op: str, values: dict[str, Any], lo_name: str, hi_name: str, default: tuple[float, float]
) -> None:
    """The pair ``lo_name``/``hi_name`` of ``values`` as it will be drawn (a ``None`` bound is the
    mode's ``default``) must be ordered (:func:`optional_range` for declared fields)."""
    a, b = values[lo_name], values[hi_name]
    ordered(op, lo_name, default[0] if a is None else a, hi_name, default[1] if b is None else b)
