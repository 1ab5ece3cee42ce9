"""The seven ModelArts VOC shapes, and numbers that keep their text.

One class per shape (``../shared/docs/manifest-spec.md`` §8, from Huawei's "Specifications for
Importing a Manifest File", object-detection section): :class:`BndBox`, :class:`Polygon`,
:class:`Polyline`, :class:`Line`, :class:`Dashed`, :class:`Circle` and :class:`Point`. Each knows
its own XML: ``Shape.parse(values, fail)`` builds it from the numbers of its child elements (by
tag), ``shape.pairs()`` gives the child tags and numbers written back, ``shape.write(parent)``
appends its element. Coordinates are VOC numbers, 1-based and inclusive; ``feature()`` is
ModelArts' ``@modelarts:feature`` view and ``bounds()`` the enclosing ``(xmin, ymin, xmax, ymax)``.

:class:`Num` is a ``float`` that remembers its text, so ``47.00`` is written back as ``47.00``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from lxml import etree

__all__ = [
    "Num",
    "fmt_number",
    "int_or_text",
    "BndBox",
    "Polygon",
    "Polyline",
    "Line",
    "Dashed",
    "Circle",
    "Point",
    "Shape",
    "SHAPES",
    "SHAPE_TAGS",
]

# how a shape reports a bad element: fail(message) -> the error to raise (the reader adds the
# file, line and object)
Fail = Callable[[str], Exception]


# ---------------------------------------------------------------------- numbers
class Num(float):
    """A float that remembers how it was written: ``Num("47.00") == 47.0``, ``.text == "47.00"``.

    Arithmetic gives plain floats, so a changed value loses its text and is formatted anew.
    """

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> Self:
        t = text.strip()
        obj = float.__new__(cls, t)
        obj.text = t
        return obj

    def __repr__(self) -> str:
        return self.text

    def __reduce__(self) -> tuple[type[Num], tuple[str]]:
        return (Num, (self.text,))

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: Any) -> Self:
        return self


_INT_RE = re.compile(r"[+-]?\d+\Z")


def fmt_number(v: Any) -> str:
    """The text written for a number: a :class:`Num`'s own text, integers without ``.0``."""
    if isinstance(v, Num):
        return v.text
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return repr(v)
    if hasattr(v, "item"):  # numpy scalar
        return fmt_number(v.item())
    return str(v)


def int_or_text(t: str) -> Any:
    """``"1"`` -> ``1``; anything not written as a canonical integer stays as written."""
    s = t.strip()
    if s.isascii() and s.isdigit() and (s[0] != "0" or s == "0"):  # the common case, quickly
        return int(s)
    if _INT_RE.match(s) and str(int(s)) == s:
        return int(s)
    try:
        return Num(s)
    except ValueError:
        return s


def sub_element(parent: Any, tag: str, value: Any) -> Any:
    """A child element ``<tag>value</tag>`` (numbers by :func:`fmt_number`)."""
    el = etree.SubElement(parent, tag)
    if value is not None:
        el.text = value if isinstance(value, str) else fmt_number(value)
    return el


def _need(values: dict[str, Num], names: tuple[str, ...], tag: str, fail: Fail) -> list:
    missing = [n for n in names if n not in values]
    if missing:
        raise fail(f"<{tag}> lacks " + ", ".join(f"<{m}>" for m in missing))
    return [values[n] for n in names]


# ---------------------------------------------------------------------- shapes
class _ShapeXml:
    """What every shape does with its XML; ``kind`` is its tag. A shape whose child tags are its
    fields (``child_tags``: ``<xmin>`` is ``.xmin``) parses and writes them here; the others override."""

    kind: ClassVar[str]
    child_tags: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def parse(cls, values: dict[str, Num], fail: Fail) -> Self:
        """The shape from the numbers of its child elements, by tag (other children are ignored)."""
        try:  # the common case, without _need
            return cls(*[values[t] for t in cls.child_tags])
        except KeyError:
            return cls(*_need(values, cls.child_tags, cls.kind, fail))

    def pairs(self) -> list[tuple[str, Any]]:
        """The child tags and numbers written, in order."""
        return [(t, getattr(self, t)) for t in self.child_tags]

    def write(self, parent: Any) -> Any:
        """Append ``<kind>`` with the shape's numbers to ``parent``; returns the element."""
        el = etree.SubElement(parent, self.kind)
        for tag, v in self.pairs():
            sub_element(el, tag, v)
        return el


@dataclass
class BndBox(_ShapeXml):
    """``<bndbox>``: VOC numbers, 1-based and inclusive (``xmin=1`` is the first pixel)."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    kind: ClassVar[str] = "bndbox"
    child_tags: ClassVar[tuple[str, ...]] = ("xmin", "ymin", "xmax", "ymax")

    def feature(self) -> list:
        return [[self.xmin, self.ymin], [self.xmax, self.ymax]]

    def bounds(self) -> tuple:
        return (self.xmin, self.ymin, self.xmax, self.ymax)


_POINT_TAG = re.compile(r"([xy])(\d+)")


@dataclass
class Polygon(_ShapeXml):
    """``<polygon>``: ``<x1><y1>...<xn><yn>``, points as ``(x, y)`` pairs."""

    points: list
    kind: ClassVar[str] = "polygon"

    @classmethod
    def parse(cls, values: dict[str, Num], fail: Fail) -> Self:
        """``x1..xn`` paired with ``y1..yn`` by index (any order, gaps allowed)."""
        idx = set()
        for k in values:
            m = _POINT_TAG.fullmatch(k)
            if not m:
                raise fail(f"unexpected <{k}> in <{cls.kind}>")
            idx.add(int(m.group(2)))
        pts = []
        for i in sorted(idx):
            x, y = values.get(f"x{i}"), values.get(f"y{i}")
            if x is None or y is None:
                raise fail(f"<{cls.kind}> has {'x' if y is None else 'y'}{i} without its pair")
            pts.append((x, y))
        if not pts:
            raise fail(f"<{cls.kind}> has no points")
        return cls(pts)

    def pairs(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for i, (x, y) in enumerate(self.points, 1):
            out += [(f"x{i}", x), (f"y{i}", y)]
        return out

    def feature(self) -> list:
        return [[x, y] for x, y in self.points]

    def bounds(self) -> tuple:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return (min(xs), min(ys), max(xs), max(ys))


@dataclass
class Polyline(Polygon):
    """``<polyline>``: same coordinates as a polygon, not closed."""

    kind: ClassVar[str] = "polyline"


@dataclass
class Line(_ShapeXml):
    """``<line>``: ``<x1><y1><x2><y2>``."""

    x1: float
    y1: float
    x2: float
    y2: float
    kind: ClassVar[str] = "line"
    child_tags: ClassVar[tuple[str, ...]] = ("x1", "y1", "x2", "y2")

    def feature(self) -> list:
        return [[self.x1, self.y1], [self.x2, self.y2]]

    def bounds(self) -> tuple:
        return (min(self.x1, self.x2), min(self.y1, self.y2), max(self.x1, self.x2), max(self.y1, self.y2))


@dataclass
class Dashed(Line):
    """``<dashed>``: a dashed line, ``<x1><y1><x2><y2>``."""

    kind: ClassVar[str] = "dashed"


@dataclass
class Circle(_ShapeXml):
    """``<circle>``: centre ``<cx><cy>`` and radius ``<r>``."""

    cx: float
    cy: float
    r: float
    kind: ClassVar[str] = "circle"
    child_tags: ClassVar[tuple[str, ...]] = ("cx", "cy", "r")

    def feature(self) -> list:
        return [self.cx, self.cy, self.r]

    def bounds(self) -> tuple:
        return (self.cx - self.r, self.cy - self.r, self.cx + self.r, self.cy + self.r)


@dataclass
class Point(_ShapeXml):
    """``<point>``: ``<x><y>`` (``tags=("x1", "y1")`` when the file used the doc example's form)."""

    x: float
    y: float
    tags: tuple = ("x", "y")
    kind: ClassVar[str] = "point"

    @classmethod
    def parse(cls, values: dict[str, Num], fail: Fail) -> Point:
        if "x" in values or "y" in values:
            return cls(*_need(values, ("x", "y"), cls.kind, fail))
        x, y = _need(values, ("x1", "y1"), cls.kind, fail)
        return cls(x, y, tags=("x1", "y1"))

    def pairs(self) -> list[tuple[str, Any]]:
        return [(self.tags[0], self.x), (self.tags[1], self.y)]

    def feature(self) -> list:
        return [self.x, self.y]

    def bounds(self) -> tuple:
        return (self.x, self.y, self.x, self.y)


Shape = BndBox | Polygon | Polyline | Line | Dashed | Circle | Point
# tag -> class, in the order the tags are listed in messages
SHAPES: dict[str, type[BndBox | Polygon | Line | Circle | Point]] = {
    cls.kind: cls for cls in (BndBox, Polygon, Polyline, Line, Dashed, Circle, Point)
}
SHAPE_TAGS = tuple(SHAPES)
