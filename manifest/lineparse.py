"""One manifest line (a parsed JSON object) -> :class:`~manifest.model.Sample`, checked.

:func:`sample_from_dict` and :func:`annotation_from_dict` raise
:class:`~manifest.errors.ManifestLineError` on a bad value. :func:`parse_sample` is the same
parse for :mod:`manifest.jsonl`, which also wants the key at fault to point at a column: it raises
the internal ``_FieldError`` (``.message``, ``.key``) instead.

Speed. Lines of one manifest share a handful of key orders and value types, so a *plan* is
cached per (keys, value types): the keys map to attributes in one C-level ``zip``, and only the
values that need it (usage, hard, a string property, the annotation list) are converted
(:func:`_from_plan`, the one place a plan is applied, to samples and annotations alike). The
first object of each shape goes through the slow, fully checking path (:func:`_slow`), which also
decides whether the shape can have a plan (known keys only, no nulls).
"""

from __future__ import annotations

import json
from typing import Any

from .errors import ManifestLineError
from .keys import (
    ANN,
    ANN_KEYS,
    HARD,
    HARD_WORDS,
    ID,
    INT,
    KIND_NAMES,
    NUM,
    PLAN_LIMIT,
    POST_KINDS,
    PROP,
    SAMPLE_KEYS,
    STR,
    USAGE,
)
from .model import Annotation, Sample

__all__ = ["sample_from_dict", "annotation_from_dict", "parse_sample"]


class _FieldError(Exception):
    """Internal: a bad value; ``key`` lets the line reader point at a column."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


def sample_from_dict(d: Any) -> Sample:
    """Parse one manifest object; raises :class:`ManifestLineError` on a bad value."""
    try:
        return parse_sample(d)
    except _FieldError as exc:
        raise ManifestLineError(exc.message) from None


def annotation_from_dict(d: Any, index: int | None = None) -> Annotation:
    """Parse one annotation object (``index``: its place in the sample, for messages); raises
    :class:`ManifestLineError` on a bad value."""
    try:
        return _parse_annotation(d, index)
    except _FieldError as exc:
        raise ManifestLineError(exc.message) from None


# ---------------------------------------------------------------------- values
def _parse_value(kind: int, key: str, v: Any, raw: dict, attr: str, index: int | None) -> Any:
    """Check and convert one value; record the raw form in ``raw`` when it differs.

    ``index``: the annotation's position (for messages), ``None`` for a sample-level value.
    """
    if v is None:
        raw[attr] = None
        return None
    if kind == STR:
        if type(v) is str:
            return v
    elif kind == USAGE:
        if type(v) is str:
            u = v.upper()
            if u != v:
                raw[attr] = v
            return u
        raise _FieldError(f"{_what(index)}'usage' must be a string, got {_jtype(v)}", key)
    elif kind == HARD:
        tv = type(v)
        if tv is bool:
            raw[attr] = v
            return v
        if tv is str:
            b = HARD_WORDS.get(v.strip().lower())
            if b is not None:
                raw[attr] = v
                return b
            raise _FieldError(f"{_what(index)}'{key}' must be true or false, got {v!r}", key)
        if tv is int and v in (0, 1):
            raw[attr] = v
            return bool(v)
        raise _FieldError(f"{_what(index)}'{key}' must be true or false, got {_jtype(v)} {v!r}", key)
    elif kind == NUM:
        if type(v) is float or type(v) is int:
            return v
    elif kind == INT:
        if type(v) is int:
            return v
    elif kind == ID:
        if type(v) is str or type(v) is int:
            return v
    elif kind == PROP:
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
    raise _FieldError(f"{_what(index)}'{key}' must be {KIND_NAMES[kind]}, got {_jtype(v)}", key)


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


# ---------------------------------------------------------------------- the slow, checking path
def _slow(d: Any, keys: dict, index: int | None) -> tuple[dict, dict, dict, list]:
    """Every key of the object ``d`` checked: ``(values, raw forms, unknown keys, key order)``.
    ``keys`` is the sample's or the annotation's key table; ``index`` the annotation's place."""
    vals: dict[str, Any] = {}
    raw: dict = {}
    extra: dict = {}
    order = []
    for k, v in d.items():
        spec = keys.get(k)
        if spec is None or spec[0] in vals:
            extra[k] = v
            order.append(k)
            continue
        attr, key, kind = spec
        order.append(key)
        if kind == STR and type(v) is str:  # fast path: the common case
            vals[attr] = v
        elif kind == ANN:
            if type(v) is not list:
                if v is None:
                    raw[attr] = None
                    vals[attr] = []
                    continue
                raise _FieldError(f"'annotation' must be an array of objects, got {_jtype(v)}", k)
            vals[attr] = [_parse_annotation(a, i) for i, a in enumerate(v)]
        else:
            vals[attr] = _parse_value(kind, key, v, raw, attr, index)
    return vals, raw, extra, order


def _slow_annotation(d: Any, index: int | None = None) -> Annotation:
    what = _what(index)
    if type(d) is not dict:
        raise _FieldError(f"{what}an annotation must be a JSON object, got {_jtype(d)}", "annotation")
    vals, raw, extra, order = _slow(d, ANN_KEYS, index)
    if vals.get("type") is None:
        raise _FieldError(f"{what}annotation has no 'type'", "annotation")
    return Annotation(**vals, extra=extra, _order=_intern_order(order), _raw=raw or None)


def _slow_sample(d: Any) -> Sample:
    if type(d) is not dict:
        raise _FieldError(f"a manifest line must be a JSON object, got {_jtype(d)}")
    vals, raw, extra, order = _slow(d, SAMPLE_KEYS, None)
    if type(vals.get("source")) is not str:
        if "source" in vals:
            raise _FieldError("'source' must be a string, got null", "source")
        raise _FieldError("missing required key 'source'")
    return Sample(**vals, extra=extra, _order=_intern_order(order), _raw=raw or None)


_ORDER_CACHE: dict[tuple, tuple] = {}


def _intern_order(order: list) -> tuple:
    t = tuple(order)
    got = _ORDER_CACHE.get(t)
    if got is None:
        if len(_ORDER_CACHE) < 4096:
            _ORDER_CACHE[t] = t
        return t
    return got


# ---------------------------------------------------------------------- the fast path: plans
_SAMPLE_PLANS: dict[tuple, tuple | None] = {}  # None: no plan for these keys and types
_ANN_PLANS: dict[tuple, tuple | None] = {}
_new = object.__new__


def _make_plan(d: dict, keymap: dict, obj: Any) -> tuple | None:
    """The plan for objects shaped as ``d`` (already parsed into ``obj``), or None when there is
    none: ``(class, attributes, conversions, key order, fill the annotation list)``."""
    if obj.extra:
        return None
    attrs = []
    post = []
    for k, v in d.items():
        attr, key, kind = keymap[k]
        if v is None:
            return None
        attrs.append(attr)
        if kind in POST_KINDS and not (kind == PROP and type(v) is not str):
            post.append((attr, key, kind))
    return (type(obj), tuple(attrs), tuple(post), obj._order, type(obj) is Sample and "annotations" not in attrs)


def _from_plan(plan: tuple, values: Any, index: int | None) -> Any:
    """A :class:`Sample` or :class:`Annotation` made from an object's ``values`` by its plan."""
    cls, attrs, post, order, no_annotations = plan
    kw = dict(zip(attrs, values, strict=True))  # a plan is keyed by these keys
    if post:
        raw: dict = {}
        for attr, key, kind in post:
            if kind == ANN:
                kw[attr] = _annotations(kw[attr])
            elif kind == USAGE:  # a str: the plan's types say so
                u = kw[attr]
                up = u.upper()
                if up != u:
                    raw[attr] = u
                    kw[attr] = up
            else:
                kw[attr] = _parse_value(kind, key, kw[attr], raw, attr, index)
        if raw:
            kw["_raw"] = raw
    if no_annotations:
        kw["annotations"] = []
    kw["extra"] = {}
    kw["_order"] = order
    obj = _new(cls)
    obj.__dict__ = kw
    return obj


def _annotations(items: list) -> list[Annotation]:
    """The annotations of one sample, each by its plan when it has one."""
    out = []
    plans = _ANN_PLANS
    for i, d in enumerate(items):
        if type(d) is dict:
            plan = plans.get((tuple(d), tuple(map(type, d.values()))))
            if plan is not None:
                out.append(_from_plan(plan, d.values(), i))
                continue
        out.append(_parse_annotation(d, i))
    return out


def _parse_annotation(d: Any, index: int | None = None) -> Annotation:
    if type(d) is dict:
        sig = (tuple(d), tuple(map(type, d.values())))
        plan = _ANN_PLANS.get(sig)
        if plan is not None:
            return _from_plan(plan, d.values(), index)
        ann = _slow_annotation(d, index)
        if len(_ANN_PLANS) < PLAN_LIMIT:
            _ANN_PLANS[sig] = _make_plan(d, ANN_KEYS, ann)
        return ann
    return _slow_annotation(d, index)


def parse_sample(d: Any) -> Sample:
    """:func:`sample_from_dict` raising the internal ``_FieldError`` (for :mod:`manifest.jsonl`)."""
    if type(d) is dict:
        sig = (tuple(d), tuple(map(type, d.values())))
        plan = _SAMPLE_PLANS.get(sig)
        if plan is not None:
            return _from_plan(plan, d.values(), None)
        sample = _slow_sample(d)
        if len(_SAMPLE_PLANS) < PLAN_LIMIT:
            _SAMPLE_PLANS[sig] = _make_plan(d, SAMPLE_KEYS, sample)
        return sample
    return _slow_sample(d)
