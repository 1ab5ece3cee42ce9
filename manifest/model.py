"""``Sample`` and ``Annotation``: one manifest line and its labels, lossless.

A ModelArts manifest line is a JSON object: Huawei's "Specifications for Importing a Manifest
File" (https://support.huaweicloud.com/intl/en-us/usermanual-standard-modelarts/dataprepare-modelarts-0015.html,
tables 1-3), with the variants real files hold summarised in ``../shared/docs/manifest-spec.md``
§3-4 (beside the repository, not in it). Reading turns it into a :class:`Sample` holding
:class:`Annotation` objects; writing turns it back into the same JSON object with the same key
order. What makes that lossless:

* every documented key is an attribute, snake_cased (``annotation-loc`` -> ``annotation_loc``,
  ``creation-time`` -> ``creation_time``, ``hard-coefficient`` -> ``hard_coefficient``); the
  underscore spellings (``annotation_loc``, ...) are accepted on read, hyphens are written;
* unknown keys go to ``extra`` (a dict, in the order read) and are written back where they were;
* ambiguous values are parsed *and* their raw form kept: ``hard`` (``"true"``, ``"True"``,
  ``true``, ``1`` -> ``True``), ``usage`` (``"train"`` -> ``"TRAIN"``), ``property`` given as a
  JSON string (``"{\\"a\\": 1}"`` -> ``{"a": 1}``). When the value is unchanged on write, the
  raw form is written; a new value is written in the documented form (``hard`` as the string
  ``"true"``/``"false"``, as in Huawei's documentation);
* the order of keys read is kept and reused on write; new keys follow in the documented order.

Constructors for the common cases: :meth:`Sample.classification`, :meth:`Sample.detection`,
:meth:`Annotation.classification`, :meth:`Annotation.detection`.

This module holds the data classes. The keys and their kinds are one table
(:mod:`manifest.keys`); parsing is :mod:`manifest.lineparse` (:func:`sample_from_dict` and
:func:`annotation_from_dict`, importable from here as before) and writing :mod:`manifest.linewrite`.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .keys import ANN_ATTR_OF, ANN_OUT, SAMPLE_ATTR_OF, SAMPLE_OUT, norm_usage
from .linewrite import object_dict

if TYPE_CHECKING:
    from .lineparse import annotation_from_dict, sample_from_dict

__all__ = [
    "Sample",
    "Annotation",
    "IMAGE_CLASSIFICATION",
    "OBJECT_DETECTION",
    "IMAGE_SEGMENTATION",
    "TEXT_CLASSIFICATION",
    "TEXT_ENTITY",
    "TEXT_TRIPLET",
    "AUDIO_CLASSIFICATION",
    "AUDIO_CONTENT",
    "AUDIO_SEGMENTATION",
    "PASCAL_VOC",
    "USAGES",
    "sample_from_dict",
    "annotation_from_dict",
]

IMAGE_CLASSIFICATION = "modelarts/image_classification"
OBJECT_DETECTION = "modelarts/object_detection"
IMAGE_SEGMENTATION = "modelarts/image_segmentation"
TEXT_CLASSIFICATION = "modelarts/text_classification"
TEXT_ENTITY = "modelarts/text_entity"
TEXT_TRIPLET = "modelarts/text_triplet"
AUDIO_CLASSIFICATION = "modelarts/audio_classification"
AUDIO_CONTENT = "modelarts/audio_content"
AUDIO_SEGMENTATION = "modelarts/audio_segmentation"
PASCAL_VOC = "PASCAL VOC"
USAGES = ("TRAIN", "EVAL", "TEST", "INFERENCE")


@dataclass
class Annotation:
    """One label of a sample (manifest-spec §4). ``extra`` holds unknown keys in order.

    ``hard`` is a ``bool`` (or ``None``) whatever its spelling in the file; ``property`` is the
    parsed object even when the file held it as a JSON string. Both write back as read when
    unchanged.
    """

    type: str | None = None
    name: str | None = None
    id: str | int | None = None
    property: Any = None
    annotation_loc: str | None = None
    annotation_format: str | None = None
    confidence: float | None = None
    hard: bool | None = None
    hard_coefficient: float | None = None
    annotated_by: str | None = None
    creation_time: str | None = None
    extra: dict = field(default_factory=dict)
    _order: tuple = field(default=(), repr=False, compare=False)
    _raw: dict | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def classification(
        cls, name: str, type: str = IMAGE_CLASSIFICATION, **fields: Any
    ) -> Annotation:
        """A classification label: ``Annotation.classification("cat")``."""
        return cls(type=type, name=name, **fields)

    @classmethod
    def detection(
        cls, annotation_loc: str, type: str = OBJECT_DETECTION, **fields: Any
    ) -> Annotation:
        """An object-detection label pointing at a PASCAL VOC file."""
        fields.setdefault("annotation_format", PASCAL_VOC)
        return cls(type=type, annotation_loc=annotation_loc, **fields)

    # ------------------------------------------------------------------ views
    @builtins.property
    def task(self) -> str | None:
        """The task part of ``type``: ``"object_detection"`` for ``modelarts/object_detection``."""
        t = self.type
        if t is None:
            return None
        return t.rsplit("/", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in the order read (new keys in the documented order)."""
        return object_dict(self, ANN_OUT, ANN_ATTR_OF)

    @classmethod
    def from_dict(cls, d: Any) -> Annotation:
        """Parse one annotation object; raises :class:`~manifest.errors.ManifestLineError` on a bad value."""
        from .lineparse import annotation_from_dict

        return annotation_from_dict(d)


@dataclass
class Sample:
    """One manifest line (manifest-spec §3). ``annotations`` is the ``annotation`` key.

    ``usage`` is upper-cased (``"TRAIN"``, ``"EVAL"``, ``"TEST"``, ``"INFERENCE"``) and written
    back in its original case when unchanged; ``hard`` and ``property`` as in
    :class:`Annotation`. ``extra`` holds unknown keys in order.
    """

    source: str
    annotations: list[Annotation] = field(default_factory=list)
    usage: str | None = None
    id: str | int | None = None
    inference_loc: str | None = None
    hard: bool | None = None
    hard_coefficient: float | None = None
    sample_type: int | None = None
    source_type: str | None = None
    property: Any = None
    result: str | None = None
    error_message: str | None = None
    extra: dict = field(default_factory=dict)
    _order: tuple = field(default=(), repr=False, compare=False)
    _raw: dict | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def classification(
        cls,
        source: str,
        labels: str | Iterable[str],
        *,
        usage: str | None = None,
        type: str = IMAGE_CLASSIFICATION,
        **fields: Any,
    ) -> Sample:
        """An image-classification sample: one annotation per label (several = multi-label)."""
        if isinstance(labels, str):
            labels = [labels]
        anns = [Annotation(type=type, name=n) for n in labels]
        return cls(source=source, annotations=anns, usage=norm_usage(usage), **fields)

    @classmethod
    def detection(
        cls,
        source: str,
        annotation_loc: str | None,
        *,
        usage: str | None = None,
        **fields: Any,
    ) -> Sample:
        """An object-detection sample whose boxes are in the VOC file ``annotation_loc``."""
        anns = [] if annotation_loc is None else [Annotation.detection(annotation_loc)]
        return cls(source=source, annotations=anns, usage=norm_usage(usage), **fields)

    # ------------------------------------------------------------------ views
    @builtins.property
    def labels(self) -> list[str]:
        """The ``name`` of every annotation that has one, in order."""
        return [a.name for a in self.annotations if a.name is not None]

    @builtins.property
    def annotation_locs(self) -> list[str]:
        """The ``annotation-loc`` of every annotation that has one (VOC files), in order."""
        return [a.annotation_loc for a in self.annotations if a.annotation_loc is not None]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, keys in the order read (new keys in the documented order)."""
        return object_dict(self, SAMPLE_OUT, SAMPLE_ATTR_OF)

    def to_json(self) -> str:
        """One compact JSON line (no newline), non-ASCII unescaped."""
        return _ENCODE(self.to_dict())

    @classmethod
    def from_dict(cls, d: Any) -> Sample:
        """Parse one manifest object; raises :class:`~manifest.errors.ManifestLineError` on a bad value."""
        from .lineparse import sample_from_dict

        return sample_from_dict(d)


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


def __getattr__(name: str) -> Any:
    # the parsers, importable from here as before; they live in manifest.lineparse, which imports
    # this module's classes (so it cannot be imported at the top)
    if name in ("sample_from_dict", "annotation_from_dict"):
        from . import lineparse

        value = getattr(lineparse, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
