"""Reading ModelArts PASCAL VOC XML into a :class:`~manifest.voc.VocAnnotation`, hardened.

:func:`read_voc` takes a path, ``bytes`` or a binary file. The document is refused
(:class:`~manifest.errors.UnsafeXmlError`) when it has a DOCTYPE or entity declaration or exceeds
``max_bytes`` (:data:`MAX_VOC_BYTES`, 10 MB), before anything is parsed; lxml then runs with
``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False`` as a second line.
A malformed document, an object with two shapes or none, or a coordinate that is not a finite
number raises :class:`~manifest.errors.VocError` with the file and line. Each shape's children
are read by its own class (:mod:`manifest.shapes`). The model: :mod:`manifest.voc`.
"""

from __future__ import annotations

import math
import os
from typing import Any

from lxml import etree

from .errors import UnsafeXmlError, VocError
from .shapes import SHAPE_TAGS, SHAPES, Num, Shape, int_or_text
from .voc import Property, RawXml, VocAnnotation, VocObject, VocSize

__all__ = ["read_voc", "MAX_VOC_BYTES"]

MAX_VOC_BYTES = 10 * 1024 * 1024


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
                ann.segmented = int_or_text(self.text(el))
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
                v = int_or_text(self.text(c))
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
                setattr(o, tag, int_or_text(self.text(c)))
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
        """The shape of element ``el``: its children's numbers by tag, built by the shape's class."""
        vals: dict[str, Num] = {}
        num = self.num
        for c in el:
            ctag = c.tag
            if isinstance(ctag, str):
                if ctag in vals:
                    raise self.err(f"{what}: <{el.tag}> has <{ctag}> twice", c)
                vals[ctag] = num(c, what)
        return SHAPES[el.tag].parse(vals, lambda msg: self.err(f"{what}: {msg}", el))
