"""``Sample`` and ``Annotation``: one manifest line and its labels, lossless.

A ModelArts manifest line is a JSON object (see ``shared/docs/manifest-spec.md`` §3-4). Reading
turns it into a :class:`Sample` holding :class:`Annotation` objects; writing turns it back into
the same JSON object with the same key order. What makes that lossless:

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
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import ManifestLineError

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


class _FieldError(Exception):
    """Internal: a bad value; ``key`` lets the line reader point at a column."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


# value kinds
_STR, _ID, _USAGE, _HARD, _NUM, _INT, _PROP, _ANN = range(8)
_KIND_NAMES = {
    _STR: "a string",
    _ID: "a string or an integer",
    _NUM: "a number",
    _INT: "an integer",
    _ANN: "an array of objects",
}

# json key -> (attribute, key written, kind); underscore aliases map to the hyphenated key
_SAMPLE_SPEC: list[tuple[str, str, int, tuple[str, ...]]] = [
    ("source", "source", _STR, ()),
    ("usage", "usage", _USAGE, ()),
    ("id", "id", _ID, ()),
    ("sample_type", "sample-type", _INT, ("sample_type",)),
    ("source_type", "source-type", _STR, ("source_type",)),
    ("property", "property", _PROP, ()),
    ("hard", "hard", _HARD, ()),
    ("hard_coefficient", "hard-coefficient", _NUM, ("hard_coefficient",)),
    ("inference_loc", "inference-loc", _STR, ("inference_loc",)),
    ("result", "result", _STR, ()),
    ("error_message", "error_message", _STR, ("error-message",)),
    ("annotations", "annotation", _ANN, ()),
]
_ANN_SPEC: list[tuple[str, str, int, tuple[str, ...]]] = [
    ("type", "type", _STR, ()),
    ("name", "name", _STR, ()),
    ("id", "id", _ID, ()),
    ("property", "property", _PROP, ()),
    ("annotation_loc", "annotation-loc", _STR, ("annotation_loc",)),
    ("annotation_format", "annotation-format", _STR, ("annotation_format",)),
    ("confidence", "confidence", _NUM, ()),
    ("hard", "hard", _HARD, ()),
    ("hard_coefficient", "hard-coefficient", _NUM, ("hard_coefficient",)),
    ("annotated_by", "annotated-by", _STR, ("annotated_by",)),
    ("creation_time", "creation-time", _STR, ("creation_time",)),
]


def _keymap(spec: list[tuple[str, str, int, tuple[str, ...]]]) -> dict[str, tuple[str, str, int]]:
    out = {}
    for attr, key, kind, aliases in spec:
        out[key] = (attr, key, kind)
        for a in aliases:
            out[a] = (attr, key, kind)
    return out


_SAMPLE_KEYS = _keymap(_SAMPLE_SPEC)
_ANN_KEYS = _keymap(_ANN_SPEC)
_SAMPLE_OUT = [(attr, key, kind) for attr, key, kind, _ in _SAMPLE_SPEC]
_ANN_OUT = [(attr, key, kind) for attr, key, kind, _ in _ANN_SPEC]
_SAMPLE_ATTR_OF = {key: attr for attr, key, _, _ in _SAMPLE_SPEC}
_ANN_ATTR_OF = {key: attr for attr, key, _, _ in _ANN_SPEC}

_HARD_WORDS = {"true": True, "false": False, "1": True, "0": False}
# raw hard values seen in files -> their meaning (the common spellings; others take the slow path)
_HARD_OF = {"true": True, "false": False, "True": True, "False": False, True: True, False: False,
            "1": True, "0": False, "TRUE": True, "FALSE": False}
_ORDER_CACHE: dict[tuple, tuple] = {}


def _intern_order(order: list) -> tuple:
    t = tuple(order)
    got = _ORDER_CACHE.get(t)
    if got is None:
        if len(_ORDER_CACHE) < 4096:
            _ORDER_CACHE[t] = t
        return t
    return got


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
        return _to_dict(self, _ANN_OUT, _ANN_ATTR_OF)

    @classmethod
    def from_dict(cls, d: Any) -> Annotation:
        """Parse one annotation object; raises :class:`ManifestLineError` on a bad value."""
        try:
            return annotation_from_dict(d)
        except _FieldError as exc:
            raise ManifestLineError(exc.message) from None


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
        return cls(source=source, annotations=anns, usage=_norm_usage(usage), **fields)

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
        return cls(source=source, annotations=anns, usage=_norm_usage(usage), **fields)

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
        return _to_dict(self, _SAMPLE_OUT, _SAMPLE_ATTR_OF)

    def to_json(self) -> str:
        """One compact JSON line (no newline), non-ASCII unescaped."""
        return _ENCODE(self.to_dict())

    @classmethod
    def from_dict(cls, d: Any) -> Sample:
        """Parse one manifest object; raises :class:`ManifestLineError` on a bad value."""
        try:
            return sample_from_dict(d)
        except _FieldError as exc:
            raise ManifestLineError(exc.message) from None


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


# ---------------------------------------------------------------------- parsing
def _norm_usage(u: Any) -> Any:
    return u.upper() if isinstance(u, str) else u


def _parse_value(kind: int, key: str, v: Any, raw: dict, attr: str, index: int | None) -> Any:
    """Check and convert one value; record the raw form in ``raw`` when it differs.

    ``index``: the annotation's position (for messages), ``None`` for a sample-level value.
    """
    if v is None:
        raw[attr] = None
        return None
    if kind == _STR:
        if type(v) is str:
            return v
    elif kind == _USAGE:
        if type(v) is str:
            u = v.upper()
            if u != v:
                raw[attr] = v
            return u
        raise _FieldError(f"{_what(index)}'usage' must be a string, got {_jtype(v)}", key)
    elif kind == _HARD:
        tv = type(v)
        if tv is bool:
            raw[attr] = v
            return v
        if tv is str:
            b = _HARD_WORDS.get(v.strip().lower())
            if b is not None:
                raw[attr] = v
                return b
            raise _FieldError(f"{_what(index)}'{key}' must be true or false, got {v!r}", key)
        if tv is int and v in (0, 1):
            raw[attr] = v
            return bool(v)
        raise _FieldError(f"{_what(index)}'{key}' must be true or false, got {_jtype(v)} {v!r}", key)
    elif kind == _NUM:
        if (type(v) is float or type(v) is int):
            return v
    elif kind == _INT:
        if type(v) is int:
            return v
    elif kind == _ID:
        if type(v) is str or type(v) is int:
            return v
    elif kind == _PROP:
        if type(v) is str:
            raw[attr] = v
            s = v.lstrip()
            if s[:1] in ("{", "["):
                try:
                    return json.loads(v)
                except ValueError:
                    return v
            return v
        return v
    raise _FieldError(f"{_what(index)}'{key}' must be {_KIND_NAMES[kind]}, got {_jtype(v)}", key)


def _what(index: int | None) -> str:
    return "" if index is None else f"annotation {index}: "


def _jtype(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _slow_annotation(d: Any, index: int | None = None) -> Annotation:
    what = "" if index is None else f"annotation {index}: "
    if type(d) is not dict:
        raise _FieldError(f"{what}an annotation must be a JSON object, got {_jtype(d)}", "annotation")
    vals: dict[str, Any] = {}
    raw: dict = {}
    extra: dict = {}
    order = []
    keys = _ANN_KEYS
    for k, v in d.items():
        spec = keys.get(k)
        if spec is None or spec[0] in vals:
            extra[k] = v
            order.append(k)
            continue
        attr, key, kind = spec
        order.append(key)
        if kind == _STR and type(v) is str:  # fast path: the common case
            vals[attr] = v
        else:
            vals[attr] = _parse_value(kind, key, v, raw, attr, index)
    if vals.get("type") is None:
        raise _FieldError(f"{what}annotation has no 'type'", "annotation")
    return Annotation(**vals, extra=extra, _order=_intern_order(order), _raw=raw or None)


def _slow_sample(d: Any) -> Sample:
    if type(d) is not dict:
        raise _FieldError(f"a manifest line must be a JSON object, got {_jtype(d)}")
    vals: dict[str, Any] = {}
    raw: dict = {}
    extra: dict = {}
    order = []
    keys = _SAMPLE_KEYS
    for k, v in d.items():
        spec = keys.get(k)
        if spec is None or spec[0] in vals:
            extra[k] = v
            order.append(k)
            continue
        attr, key, kind = spec
        order.append(key)
        if kind == _STR and type(v) is str:
            vals[attr] = v
        elif kind == _ANN:
            if type(v) is not list:
                if v is None:
                    raw[attr] = None
                    vals[attr] = []
                    continue
                raise _FieldError(f"'annotation' must be an array of objects, got {_jtype(v)}", k)
            vals[attr] = [annotation_from_dict(a, i) for i, a in enumerate(v)]
        else:
            vals[attr] = _parse_value(kind, key, v, raw, attr, None)
    if type(vals.get("source")) is not str:
        if "source" in vals:
            raise _FieldError("'source' must be a string, got null", "source")
        raise _FieldError("missing required key 'source'")
    return Sample(**vals, extra=extra, _order=_intern_order(order), _raw=raw or None)


# Fast path. Lines of one manifest share a handful of key orders and value types, so a "plan"
# is cached per (keys, value types): the keys map to attributes in one C-level ``zip``, and only
# the values that need it (usage, hard, a string property, the annotation list) are converted.
# The first line of each shape goes through the slow, fully checking path, which also decides
# whether the shape can have a plan (known keys only, no nulls).
_PLAN_LIMIT = 4096
_SAMPLE_PLANS: dict[tuple, tuple | None] = {}  # None: no plan for these keys and types
_ANN_PLANS: dict[tuple, tuple | None] = {}
_POST_KINDS = (_USAGE, _HARD, _PROP, _ANN)
_new = object.__new__


def _make_plan(d: dict, keymap: dict, obj: Any) -> tuple | None:
    if obj.extra:
        return None
    attrs = []
    post = []
    for k, v in d.items():
        attr, key, kind = keymap[k]
        if v is None:
            return None
        attrs.append(attr)
        if kind in _POST_KINDS and not (kind == _PROP and type(v) is not str):
            post.append((attr, key, kind))
    return (tuple(attrs), tuple(post), obj._order)


def annotation_from_dict(d: Any, index: int | None = None) -> Annotation:
    """Parse one annotation object (raises the internal ``_FieldError``; see ``from_dict``)."""
    if type(d) is dict:
        sig = (tuple(d), tuple(map(type, d.values())))
        plan = _ANN_PLANS.get(sig)
        if plan is not None:
            attrs, post, order = plan
            kw = dict(zip(attrs, d.values(), strict=True))  # a plan is keyed by these keys
            raw: dict | None = None
            if post:
                raw = {}
                for attr, key, kind in post:
                    kw[attr] = _parse_value(kind, key, kw[attr], raw, attr, index)
            kw["extra"] = {}
            kw["_order"] = order
            if raw:
                kw["_raw"] = raw
            obj = _new(Annotation)
            obj.__dict__ = kw
            return obj
        ann = _slow_annotation(d, index)
        if len(_ANN_PLANS) < _PLAN_LIMIT:
            _ANN_PLANS[sig] = _make_plan(d, _ANN_KEYS, ann)
        return ann
    return _slow_annotation(d, index)


def _annotations(items: list) -> list[Annotation]:
    """``annotation_from_dict`` over a list, with the fast path inlined."""
    out = []
    plans = _ANN_PLANS
    new = _new
    for i, d in enumerate(items):
        if type(d) is dict:
            plan = plans.get((tuple(d), tuple(map(type, d.values()))))
            if plan is not None:
                attrs, post, order = plan
                kw = dict(zip(attrs, d.values(), strict=True))  # a plan is keyed by these keys
                if post:
                    raw: dict = {}
                    for attr, key, kind in post:
                        kw[attr] = _parse_value(kind, key, kw[attr], raw, attr, i)
                    if raw:
                        kw["_raw"] = raw
                kw["extra"] = {}
                kw["_order"] = order
                obj = new(Annotation)
                obj.__dict__ = kw
                out.append(obj)
                continue
        out.append(annotation_from_dict(d, i))
    return out


def sample_from_dict(d: Any) -> Sample:
    """Parse one manifest object (raises the internal ``_FieldError``; see ``Sample.from_dict``)."""
    if type(d) is dict:
        sig = (tuple(d), tuple(map(type, d.values())))
        plan = _SAMPLE_PLANS.get(sig)
        if plan is not None:
            attrs, post, order = plan
            kw = dict(zip(attrs, d.values(), strict=True))  # a plan is keyed by these keys
            raw = None
            if post:
                raw = {}
                for attr, key, kind in post:
                    if kind == _ANN:
                        kw[attr] = _annotations(kw[attr])
                    elif kind == _USAGE:  # a str: the plan's types say so
                        u = kw[attr]
                        up = u.upper()
                        if up != u:
                            raw[attr] = u
                            kw[attr] = up
                    else:
                        kw[attr] = _parse_value(kind, key, kw[attr], raw, attr, None)
            if "annotations" not in kw:
                kw["annotations"] = []
            kw["extra"] = {}
            kw["_order"] = order
            if raw:
                kw["_raw"] = raw
            obj = _new(Sample)
            obj.__dict__ = kw
            return obj
        sample = _slow_sample(d)
        if len(_SAMPLE_PLANS) < _PLAN_LIMIT:
            _SAMPLE_PLANS[sig] = _make_plan(d, _SAMPLE_KEYS, sample)
        return sample
    return _slow_sample(d)


# ---------------------------------------------------------------------- writing
def _out_value(obj: Any, attr: str, kind: int, raw: dict | None, v: Any) -> Any:
    """The JSON value to write for one field (``v`` is not None, or raw null)."""
    if raw is not None and attr in raw:
        r = raw[attr]
        if kind == _PROP:
            if r is None:
                if v is None:
                    return None
            elif v is r:
                return r
            elif isinstance(r, str):
                try:
                    if json.loads(r) == v:
                        return r
                except ValueError:
                    pass
        elif kind == _USAGE:
            if isinstance(r, str) and v == r.upper():
                return r
        elif kind == _HARD:
            if r is None and v is None:
                return None
            if v is not None and r is not None and _HARD_WORDS.get(str(r).strip().lower()) == v:
                return r
        elif kind == _ANN:
            if r is None and not v:
                return None
        elif r is None and v is None:
            return None
    if kind == _HARD and type(v) is bool:
        return "true" if v else "false"
    if kind == _ANN:
        return [a.to_dict() for a in v]
    return v


_ABSENT = object()
_META_ATTRS = frozenset(("extra", "_order", "_raw"))
_OUT_PLANS_S: dict[tuple, tuple] = {}
_OUT_PLANS_A: dict[tuple, tuple] = {}


def _out_plan(order: tuple, attr_of: dict) -> tuple:
    plan = []
    covered = set(_META_ATTRS)
    seen = set()
    for key in order:
        attr = attr_of.get(key)
        if attr is None or key in seen:
            plan.append((key, None, 0))
            continue
        seen.add(key)
        covered.add(attr)
        plan.append((key, attr, _KIND_BY_KEY[key]))
    return tuple(plan), frozenset(covered)


def _to_dict(obj: Any, out_spec: list[tuple[str, str, int]], attr_of: dict) -> dict[str, Any]:
    order = obj._order
    plans = _OUT_PLANS_S if attr_of is _SAMPLE_ATTR_OF else _OUT_PLANS_A
    cached = plans.get(order)
    if cached is None:
        cached = _out_plan(order, attr_of)
        if len(plans) < _PLAN_LIMIT:
            plans[order] = cached
    plan, covered = cached
    raw = obj._raw
    extra = obj.extra
    d = obj.__dict__
    out: dict[str, Any] = {}
    for key, attr, kind in plan:
        if attr is None:
            # an unknown key, or the second spelling of a known one (a collision keeps the field)
            ev = extra.get(key, _ABSENT)
            if ev is not _ABSENT and key not in out:
                out[key] = ev
            continue
        v = d.get(attr)
        if v is None:
            if raw is not None and attr in raw and raw[attr] is None:
                out[key] = None
            continue
        if kind == _STR and (raw is None or attr not in raw):
            out[key] = v
        elif kind == _ANN and (v or raw is None or attr not in raw):
            out[key] = [_to_dict(a, _ANN_OUT, _ANN_ATTR_OF) for a in v]
        elif kind == _HARD and raw is not None and attr in raw and _HARD_OF.get(raw[attr]) is v:
            out[key] = raw[attr]
        else:
            out[key] = _out_value(obj, attr, kind, raw, v)
    if not covered.issuperset(d):
        rest = d.keys() - covered
        for attr, key, kind in out_spec:
            if attr in rest:
                v = d[attr]
                if v is None or (kind == _ANN and not v):
                    continue
                out[key] = _out_value(obj, attr, kind, raw, v)
    if extra:
        for k, v in extra.items():
            if k not in out:
                out[k] = v
    return out


_KIND_BY_KEY = {key: kind for _, key, kind in _SAMPLE_OUT}
_KIND_BY_KEY.update({key: kind for _, key, kind in _ANN_OUT})
