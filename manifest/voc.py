"""ModelArts PASCAL VOC 1.0 XML: a lossless model, a hardened reader and a writer.

``read_voc(path_or_bytes)`` -> :class:`VocAnnotation`; ``write_voc(annotation, target=None)``
-> ``bytes`` (also written to ``target``, a path or binary file, when given).

What the model keeps (manifest-spec §8):

* the annotation: ``folder``, ``filename``, ``path`` (labelImg), ``source`` (ordered dict of
  ``database`` / ``annotation`` / ``image``), ``size`` (optional: missing in the wild),
  ``segmented``, ``mask_source``, the objects, root attributes and unknown elements;
* each :class:`VocObject`: ``name``, ``pose``, ``truncated``, ``occluded``, ``difficult``,
  ``confidence``, ``hard_coefficient`` (read from ``<hard-coefficient>`` or
  ``<difficult-coefficient>``, written back under the tag read), ``mask_color``,
  ``properties`` (both ModelArts forms: free child tags, ``<property><key/><value/>``, and a
  bare ``<property>v</property>``), ``parts`` (nested objects), unknown elements, and exactly
  one ``shape``: :class:`BndBox`, :class:`Polygon`, :class:`Polyline`, :class:`Line`,
  :class:`Dashed`, :class:`Circle` or :class:`Point`;
* numbers keep their written form: coordinates are :class:`Num` (a ``float`` that remembers
  its text), so ``47.00`` is written back as ``47.00``; integer fields (sizes, flags) are
  ``int`` when written canonically, else kept as written.

Reading is hardened: the document is refused (:class:`UnsafeXmlError`) when it has a DOCTYPE
or entity declaration or exceeds ``max_bytes`` (10 MB by default), before anything is parsed;
lxml then runs with ``resolve_entities=False, no_network=True, load_dtd=False,
huge_tree=False`` as a second line. Nothing is read from disk or network besides the file.

Unknown elements (``<actions>``, comments, ...) are kept and written after the known ones:
``write_voc`` uses the standard ModelArts element order, 4-space indentation and ModelArts'
XML declaration. Box conversion for ``augment`` lives in :mod:`manifest.vocboxes` and is
reachable from :class:`VocAnnotation` methods (``to_boxes``, ``boxes_array``, ``with_boxes``).
"""

from __future__ import annotations

import copy
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from lxml import etree

from .errors import UnsafeXmlError, VocError

__all__ = [
    "Num",
    "BndBox",
    "Polygon",
    "Polyline",
    "Line",
    "Dashed",
    "Circle",
    "Point",
    "Shape",
    "Property",
    "RawXml",
    "VocSize",
    "VocObject",
    "VocAnnotation",
    "read_voc",
    "write_voc",
    "MAX_VOC_BYTES",
]

MAX_VOC_BYTES = 10 * 1024 * 1024
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'


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


def _int_or_text(t: str) -> Any:
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


# ---------------------------------------------------------------------- shapes
@dataclass
class BndBox:
    """``<bndbox>``: VOC numbers, 1-based and inclusive (``xmin=1`` is the first pixel)."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float
    kind: ClassVar[str] = "bndbox"

    def feature(self) -> list:
        return [[self.xmin, self.ymin], [self.xmax, self.ymax]]

    def bounds(self) -> tuple:
        return (self.xmin, self.ymin, self.xmax, self.ymax)


@dataclass
class Polygon:
    """``<polygon>``: ``<x1><y1>...<xn><yn>``, points as ``(x, y)`` pairs."""

    points: list
    kind: ClassVar[str] = "polygon"

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
class Line:
    """``<line>``: ``<x1><y1><x2><y2>``."""

    x1: float
    y1: float
    x2: float
    y2: float
    kind: ClassVar[str] = "line"

    def feature(self) -> list:
        return [[self.x1, self.y1], [self.x2, self.y2]]

    def bounds(self) -> tuple:
        return (min(self.x1, self.x2), min(self.y1, self.y2), max(self.x1, self.x2), max(self.y1, self.y2))


@dataclass
class Dashed(Line):
    """``<dashed>``: a dashed line, ``<x1><y1><x2><y2>``."""

    kind: ClassVar[str] = "dashed"


@dataclass
class Circle:
    """``<circle>``: centre ``<cx><cy>`` and radius ``<r>``."""

    cx: float
    cy: float
    r: float
    kind: ClassVar[str] = "circle"

    def feature(self) -> list:
        return [self.cx, self.cy, self.r]

    def bounds(self) -> tuple:
        return (self.cx - self.r, self.cy - self.r, self.cx + self.r, self.cy + self.r)


@dataclass
class Point:
    """``<point>``: ``<x><y>`` (``tags=("x1", "y1")`` when the file used the doc example's form)."""

    x: float
    y: float
    tags: tuple = ("x", "y")
    kind: ClassVar[str] = "point"

    def feature(self) -> list:
        return [self.x, self.y]

    def bounds(self) -> tuple:
        return (self.x, self.y, self.x, self.y)


Shape = BndBox | Polygon | Polyline | Line | Dashed | Circle | Point
SHAPE_TAGS = ("bndbox", "polygon", "polyline", "line", "dashed", "circle", "point")


# ---------------------------------------------------------------------- other parts
@dataclass
class Property:
    """One entry of ``<properties>``. ``form``: ``"tag"`` (``<color>green</color>``), ``"pair"``
    (``<property><key>k</key><value>v</value></property>``) or ``"bare"``
    (``<property>v</property>``, ``key`` is ``None``)."""

    key: str | None
    value: str
    form: str = "tag"


@dataclass
class RawXml:
    """An element (or comment) the model does not know, kept verbatim for writing back."""

    xml: bytes
    comment: bool = False

    @classmethod
    def of(cls, el: Any) -> RawXml:
        if not isinstance(el.tag, str):  # comment or processing instruction
            if isinstance(el, etree._Comment):
                return cls((el.text or "").encode("utf-8"), comment=True)
            return cls(etree.tostring(el, with_tail=False))
        el = copy.deepcopy(el)
        for sub in el.iter():
            if sub.text is not None and not sub.text.strip():
                sub.text = None
            if sub.tail is not None and not sub.tail.strip():
                sub.tail = None
        el.tail = None
        return cls(etree.tostring(el, encoding="utf-8"))

    def element(self) -> Any:
        if self.comment:
            return etree.Comment(self.xml.decode("utf-8"))
        return etree.fromstring(self.xml, _parser())

    @property
    def tag(self) -> str | None:
        if self.comment:
            return None
        return self.element().tag


@dataclass
class VocSize:
    """``<size>``; any of the three may be missing (``None``)."""

    width: Any = None
    height: Any = None
    depth: Any = None


@dataclass
class VocObject:
    """One ``<object>`` (or ``<part>``). ``shape`` is exactly one of the seven shapes."""

    name: str | None = None
    shape: Shape | None = None
    pose: str | None = None
    truncated: Any = None
    occluded: Any = None
    difficult: Any = None
    confidence: Any = None
    hard_coefficient: Any = None
    hard_coefficient_tag: str = "hard-coefficient"
    mask_color: str | None = None
    properties: list[Property] | None = None
    parts: list[VocObject] = field(default_factory=list)
    extra: list[RawXml] = field(default_factory=list)
    line: int | None = field(default=None, compare=False, repr=False)

    def property_dict(self) -> dict[str, str]:
        """The properties as a dict (bare ``<property>`` values under the key ``"property"``)."""
        return {(p.key if p.key is not None else "property"): p.value for p in self.properties or ()}


@dataclass
class VocAnnotation:
    """One VOC document. ``objects`` in file order; see the module docstring for the rest."""

    filename: str | None = None
    size: VocSize | None = None
    objects: list[VocObject] = field(default_factory=list)
    folder: str | None = None
    path: str | None = None
    source: dict[str, str] | None = None
    segmented: Any = None
    mask_source: str | None = None
    attrib: dict[str, str] = field(default_factory=dict)
    extra: list[RawXml] = field(default_factory=list)

    # convenience ---------------------------------------------------------------
    @property
    def width(self) -> Any:
        return None if self.size is None else self.size.width

    @property
    def height(self) -> Any:
        return None if self.size is None else self.size.height

    @property
    def depth(self) -> Any:
        return None if self.size is None else self.size.depth

    def to_bytes(self) -> bytes:
        return write_voc(self)

    # box conversion for augment (implemented in vocboxes) -----------------------
    def to_boxes(self, other_shapes: str = "drop") -> Any:
        """``VocBoxes(boxes, labels, fields, index)`` for ``augment``; see :mod:`manifest.vocboxes`."""
        from .vocboxes import to_boxes

        return to_boxes(self, other_shapes=other_shapes)

    def boxes_array(self, other_shapes: str = "drop") -> Any:
        """The ``(N, 4)`` float32 ``[x1, y1, x2, y2]`` boxes (continuous, 0-based)."""
        return self.to_boxes(other_shapes).boxes

    def labels(self, other_shapes: str = "drop") -> list:
        return self.to_boxes(other_shapes).labels

    def with_boxes(self, boxes: Any, keep: Any = None, **kwargs: Any) -> VocAnnotation:
        """A new annotation with the boxes replaced; see :func:`manifest.vocboxes.with_boxes`."""
        from .vocboxes import with_boxes

        return with_boxes(self, boxes, keep, **kwargs)


# ---------------------------------------------------------------------- reading
def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        recover=False,
    )


def _load_bytes(src: Any, max_bytes: int) -> tuple[bytes, str | None]:
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
        name = None
    elif isinstance(src, (str, os.PathLike)):
        name = os.fspath(src)
        try:
            with open(name, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                # read(n) allocates n bytes up front: bound the read only when the size is unknown
                # (0 for pipes) or over the limit; a file grown since fstat is caught below
                data = f.read() if 0 < size <= max_bytes else f.read(max_bytes + 1)
        except OSError as exc:
            raise VocError(f"cannot open: {exc.strerror or exc}", name) from None
    elif hasattr(src, "read"):
        name = getattr(src, "name", None)
        name = name if isinstance(name, str) else None
        data = src.read(max_bytes + 1)
        if isinstance(data, str):
            data = data.encode("utf-8")
    else:
        raise TypeError(f"read_voc: expected a path, bytes or a binary file, got {type(src).__name__}")
    if len(data) > max_bytes:
        raise UnsafeXmlError(f"larger than the {max_bytes}-byte limit for a VOC file", name)
    return data, name


def _refuse_dtd(data: bytes, name: str | None) -> None:
    probe = data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        for enc in ("utf-16", "utf-32"):
            try:
                probe = data.decode(enc).encode("utf-8")
                break
            except UnicodeDecodeError:
                continue
    for marker in (b"<!DOCTYPE", b"<!ENTITY"):
        i = probe.find(marker)
        if i >= 0:
            line = probe.count(b"\n", 0, i) + 1
            raise UnsafeXmlError(
                f"{marker[2:].decode().lower()} declarations are not allowed in a VOC file "
                "(refused: entity expansion and external resources)",
                name,
                line,
                i - probe.rfind(b"\n", 0, i),
            )


def read_voc(path_or_bytes: Any, *, max_bytes: int = MAX_VOC_BYTES) -> VocAnnotation:
    """Read one VOC document from a path, ``bytes`` or a binary file object."""
    data, name = _load_bytes(path_or_bytes, max_bytes)
    _refuse_dtd(data, name)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (exc.lineno, None)
        raise VocError(f"malformed XML: {exc.msg}", name, line, col) from None
    if root.getroottree().docinfo.doctype:
        raise UnsafeXmlError("DOCTYPE declarations are not allowed in a VOC file", name)
    if root.tag != "annotation":
        raise VocError(f"the root element is <{root.tag}>, expected <annotation>", name, root.sourceline)
    return _Reader(name).annotation(root)


class _Reader:
    def __init__(self, name: str | None) -> None:
        self.name = name

    def err(self, msg: str, el: Any) -> VocError:
        return VocError(msg, self.name, getattr(el, "sourceline", None))

    @staticmethod
    def text(el: Any) -> str:
        return (el.text or "").strip()

    def num(self, el: Any, what: str) -> Num:
        t = (el.text or "").strip()
        try:
            n = Num(t)
        except ValueError:
            raise self.err(f"{what}: <{el.tag}> is not a number: {t!r}", el) from None
        if not math.isfinite(n):
            raise self.err(f"{what}: <{el.tag}> is not a finite number: {t!r}", el)
        return n

    def annotation(self, root: Any) -> VocAnnotation:
        ann = VocAnnotation(attrib=dict(root.attrib))
        n_obj = 0
        for el in root:
            tag = el.tag
            if tag == "folder":
                ann.folder = self.text(el)
            elif tag == "filename":
                ann.filename = self.text(el)
            elif tag == "path":
                ann.path = self.text(el)
            elif tag == "source" and ann.source is None:
                ann.source = {c.tag: self.text(c) for c in el if isinstance(c.tag, str)}
            elif tag == "size" and ann.size is None:
                ann.size = self.size(el)
            elif tag == "segmented":
                ann.segmented = _int_or_text(self.text(el))
            elif tag == "mask_source":
                ann.mask_source = self.text(el)
            elif tag == "object":
                n_obj += 1
                ann.objects.append(self.obj(el, f"object {n_obj}"))
            else:
                ann.extra.append(RawXml.of(el))
        return ann

    def size(self, el: Any) -> VocSize:
        size = VocSize()
        for c in el:
            if c.tag in ("width", "height", "depth"):
                v = _int_or_text(self.text(c))
                if isinstance(v, str):
                    raise self.err(f"<size>: <{c.tag}> is not a number: {v!r}", c)
                setattr(size, c.tag, v)
        return size

    def obj(self, el: Any, what: str) -> VocObject:
        o = VocObject(line=el.sourceline)
        shape_el = None
        n_part = 0
        for c in el:
            tag = c.tag
            if tag == "name":
                o.name = self.text(c)
            elif tag == "pose":
                o.pose = self.text(c)
            elif tag in ("truncated", "occluded", "difficult"):
                setattr(o, tag, _int_or_text(self.text(c)))
            elif tag == "confidence":
                o.confidence = self.num(c, what)
            elif tag in ("hard-coefficient", "difficult-coefficient"):
                o.hard_coefficient = self.num(c, what)
                o.hard_coefficient_tag = tag
            elif tag == "mask_color":
                o.mask_color = self.text(c)
            elif tag == "properties":
                o.properties = self.properties(c)
            elif tag in SHAPE_TAGS:
                if shape_el is not None:
                    raise self.err(
                        f"{what} ({o.name or 'unnamed'}, line {el.sourceline}) has two shapes: "
                        f"<{shape_el.tag}> (line {shape_el.sourceline}) and <{tag}> (line "
                        f"{c.sourceline}); ModelArts allows exactly one per object",
                        c,
                    )
                shape_el = c
            elif tag == "part":
                n_part += 1
                o.parts.append(self.obj(c, f"{what} part {n_part}"))
            else:
                o.extra.append(RawXml.of(c))
        if shape_el is None:
            raise self.err(
                f"{what} ({o.name or 'unnamed'}) has no shape: expected one of "
                + ", ".join(f"<{t}>" for t in SHAPE_TAGS),
                el,
            )
        o.shape = self.shape(shape_el, f"{what} ({o.name or 'unnamed'})")
        return o

    def properties(self, el: Any) -> list[Property]:
        out = []
        for c in el:
            if not isinstance(c.tag, str):
                continue
            if c.tag == "property":
                key = c.find("key")
                if key is not None:
                    val = c.find("value")
                    out.append(Property(self.text(key), "" if val is None else self.text(val), "pair"))
                else:
                    out.append(Property(None, self.text(c), "bare"))
            else:
                out.append(Property(c.tag, self.text(c), "tag"))
        return out

    def shape(self, el: Any, what: str) -> Shape:
        vals: dict[str, Num] = {}
        num = self.num
        for c in el:
            ctag = c.tag
            if isinstance(ctag, str):
                if ctag in vals:
                    raise self.err(f"{what}: <{el.tag}> has <{ctag}> twice", c)
                vals[ctag] = num(c, what)
        tag = el.tag
        if tag == "bndbox" and len(vals) == 4:
            try:  # the common case, without need()
                return BndBox(vals["xmin"], vals["ymin"], vals["xmax"], vals["ymax"])
            except KeyError:
                pass

        def need(*names: str) -> list:
            missing = [n for n in names if n not in vals]
            if missing:
                raise self.err(f"{what}: <{tag}> lacks " + ", ".join(f"<{m}>" for m in missing), el)
            return [vals[n] for n in names]

        if tag == "bndbox":
            return BndBox(*need("xmin", "ymin", "xmax", "ymax"))
        if tag in ("line", "dashed"):
            return (Line if tag == "line" else Dashed)(*need("x1", "y1", "x2", "y2"))
        if tag == "circle":
            return Circle(*need("cx", "cy", "r"))
        if tag == "point":
            if "x" in vals or "y" in vals:
                return Point(*need("x", "y"))
            x, y = need("x1", "y1")
            return Point(x, y, tags=("x1", "y1"))
        # polygon / polyline: x1..xn paired with y1..yn by index
        idx = set()
        for k in vals:
            m = re.fullmatch(r"([xy])(\d+)", k)
            if not m:
                raise self.err(f"{what}: unexpected <{k}> in <{tag}>", el)
            idx.add(int(m.group(2)))
        pts = []
        for i in sorted(idx):
            x, y = vals.get(f"x{i}"), vals.get(f"y{i}")
            if x is None or y is None:
                raise self.err(f"{what}: <{tag}> has {'x' if y is None else 'y'}{i} without its pair", el)
            pts.append((x, y))
        if not pts:
            raise self.err(f"{what}: <{tag}> has no points", el)
        return (Polygon if tag == "polygon" else Polyline)(pts)


# ---------------------------------------------------------------------- writing
def _sub(parent: Any, tag: str, value: Any) -> Any:
    el = etree.SubElement(parent, tag)
    if value is not None:
        el.text = value if isinstance(value, str) else fmt_number(value)
    return el


def _shape_el(parent: Any, shape: Shape) -> None:
    el = etree.SubElement(parent, shape.kind)
    if isinstance(shape, BndBox):
        pairs = [("xmin", shape.xmin), ("ymin", shape.ymin), ("xmax", shape.xmax), ("ymax", shape.ymax)]
    elif isinstance(shape, Polygon):
        pairs = []
        for i, (x, y) in enumerate(shape.points, 1):
            pairs += [(f"x{i}", x), (f"y{i}", y)]
    elif isinstance(shape, Line):
        pairs = [("x1", shape.x1), ("y1", shape.y1), ("x2", shape.x2), ("y2", shape.y2)]
    elif isinstance(shape, Circle):
        pairs = [("cx", shape.cx), ("cy", shape.cy), ("r", shape.r)]
    elif isinstance(shape, Point):
        pairs = [(shape.tags[0], shape.x), (shape.tags[1], shape.y)]
    else:
        raise VocError(f"cannot write a shape of type {type(shape).__name__}")
    for tag, v in pairs:
        _sub(el, tag, v)


def _object_el(parent: Any, o: VocObject, tag: str = "object") -> None:
    el = etree.SubElement(parent, tag)
    if o.name is not None:
        _sub(el, "name", o.name)
    if o.properties is not None:
        props = etree.SubElement(el, "properties")
        for p in o.properties:
            if p.form == "pair":
                pe = etree.SubElement(props, "property")
                _sub(pe, "key", p.key)
                _sub(pe, "value", p.value)
            elif p.form == "bare" or p.key is None:
                _sub(props, "property", p.value)
            else:
                _sub(props, p.key, p.value)
    for t in ("pose", "truncated", "occluded", "difficult", "confidence"):
        v = getattr(o, t)
        if v is not None:
            _sub(el, t, v)
    if o.hard_coefficient is not None:
        _sub(el, o.hard_coefficient_tag, o.hard_coefficient)
    if o.mask_color is not None:
        _sub(el, "mask_color", o.mask_color)
    if o.shape is not None:
        _shape_el(el, o.shape)
    for part in o.parts:
        _object_el(el, part, "part")
    for x in o.extra:
        el.append(x.element())


def to_element(ann: VocAnnotation) -> Any:
    """The ``<annotation>`` element (standard order), without indentation."""
    root = etree.Element("annotation", attrib=ann.attrib or {})
    for t in ("folder", "filename", "path"):
        v = getattr(ann, t)
        if v is not None:
            _sub(root, t, v)
    if ann.source is not None:
        src = etree.SubElement(root, "source")
        for k, v in ann.source.items():
            _sub(src, k, v)
    if ann.size is not None:
        size = etree.SubElement(root, "size")
        for t in ("width", "height", "depth"):
            v = getattr(ann.size, t)
            if v is not None:
                _sub(size, t, v)
    if ann.segmented is not None:
        _sub(root, "segmented", ann.segmented)
    if ann.mask_source is not None:
        _sub(root, "mask_source", ann.mask_source)
    for o in ann.objects:
        _object_el(root, o)
    for x in ann.extra:
        root.append(x.element())
    return root


def write_voc(ann: VocAnnotation, target: Any = None) -> bytes:
    """Serialise ``ann`` (UTF-8, ModelArts declaration, 4-space indent); write it to
    ``target`` (path or binary file) when given. Returns the bytes."""
    if not isinstance(ann, VocAnnotation):
        raise TypeError(f"write_voc: expected a VocAnnotation, got {type(ann).__name__}")
    root = to_element(ann)
    etree.indent(root, space="    ")
    data = _DECLARATION + etree.tostring(root, encoding="utf-8") + b"\n"
    if target is not None:
        if isinstance(target, (str, os.PathLike)):
            with open(target, "wb") as f:
                f.write(data)
        else:
            target.write(data)
    return data
