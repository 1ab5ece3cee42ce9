"""Writing a :class:`~manifest.voc.VocAnnotation` as ModelArts PASCAL VOC XML.

:func:`write_voc` emits the standard ModelArts element order, 4-space indentation and ModelArts'
XML declaration; unknown elements kept by the reader follow the known ones, numbers are written
in their original text when unchanged (:func:`~manifest.shapes.fmt_number`), and each shape writes
its own element (:mod:`manifest.shapes`). :func:`to_element` gives the element without indentation.
"""

from __future__ import annotations

import os
from typing import Any

from lxml import etree

from .errors import VocError
from .shapes import SHAPES, sub_element
from .voc import VocAnnotation, VocObject

__all__ = ["write_voc", "to_element"]

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
_SHAPE_CLASSES = tuple(SHAPES.values())


def _object_el(parent: Any, o: VocObject, tag: str = "object") -> None:
    el = etree.SubElement(parent, tag)
    if o.name is not None:
        sub_element(el, "name", o.name)
    if o.properties is not None:
        props = etree.SubElement(el, "properties")
        for p in o.properties:
            if p.form == "pair":
                pe = etree.SubElement(props, "property")
                sub_element(pe, "key", p.key)
                sub_element(pe, "value", p.value)
            elif p.form == "bare" or p.key is None:
                sub_element(props, "property", p.value)
            else:
                sub_element(props, p.key, p.value)
    for t in ("pose", "truncated", "occluded", "difficult", "confidence"):
        v = getattr(o, t)
        if v is not None:
            sub_element(el, t, v)
    if o.hard_coefficient is not None:
        sub_element(el, o.hard_coefficient_tag, o.hard_coefficient)
    if o.mask_color is not None:
        sub_element(el, "mask_color", o.mask_color)
    if o.shape is not None:
        if not isinstance(o.shape, _SHAPE_CLASSES):
            raise VocError(f"cannot write a shape of type {type(o.shape).__name__}")
        o.shape.write(el)
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
            sub_element(root, t, v)
    if ann.source is not None:
        src = etree.SubElement(root, "source")
        for k, v in ann.source.items():
            sub_element(src, k, v)
    if ann.size is not None:
        size = etree.SubElement(root, "size")
        for t in ("width", "height", "depth"):
            v = getattr(ann.size, t)
            if v is not None:
                sub_element(size, t, v)
    if ann.segmented is not None:
        sub_element(root, "segmented", ann.segmented)
    if ann.mask_source is not None:
        sub_element(root, "mask_source", ann.mask_source)
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
