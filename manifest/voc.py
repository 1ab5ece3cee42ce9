"""ModelArts PASCAL VOC 1.0 XML: a lossless model, a hardened reader and a writer.

``read_voc(path_or_bytes)`` -> :class:`VocAnnotation`; ``write_voc(annotation, target=None)``
-> ``bytes`` (also written to ``target``, a path or binary file, when given).

What the model keeps (``../shared/docs/manifest-spec.md`` §8, beside the repository; from Huawei's
manifest specification and the VOC files ModelArts writes):

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

The rooms: this module holds the document's data classes; the shapes, each parsing and writing its
own element, are in :mod:`manifest.shapes`; reading in :mod:`manifest.vocread`, writing in
:mod:`manifest.vocwrite`. Every name is importable from here, as before.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree

from .shapes import SHAPE_TAGS as SHAPE_TAGS  # re-exported, as before
from .shapes import (
    BndBox,
    Circle,
    Dashed,
    Line,
    Num,
    Point,
    Polygon,
    Polyline,
    Shape,
)
from .shapes import fmt_number as fmt_number  # re-exported, as before

if TYPE_CHECKING:
    from .vocread import MAX_VOC_BYTES, read_voc
    from .vocread import _parser as _parser
    from .vocwrite import to_element as to_element
    from .vocwrite import write_voc

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
        from .vocread import _parser

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
        from .vocwrite import write_voc

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


# reading and writing live in their own modules, which import the classes above: their names are
# taken from there on first use (and then kept here as plain attributes)
_LATER = {
    "read_voc": "vocread",
    "MAX_VOC_BYTES": "vocread",
    "_parser": "vocread",
    "write_voc": "vocwrite",
    "to_element": "vocwrite",
}


def __getattr__(name: str) -> Any:
    where = _LATER.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{where}", __package__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LATER))
