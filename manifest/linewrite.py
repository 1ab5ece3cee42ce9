""":class:`~manifest.model.Sample` / :class:`~manifest.model.Annotation` -> the JSON object of
one manifest line, keys in the order read.

Internal to ``manifest``: ``Sample.to_dict`` and ``Annotation.to_dict`` call :func:`object_dict`
with their key tables (:mod:`manifest.keys`). The rules (:mod:`manifest.model`): a value unchanged since it was
read is written in its raw form (``"True"``, ``"train"``, a ``property`` given as a JSON string);
a new one in the documented form (``hard`` as ``"true"`` / ``"false"``); keys read come back in
their order, unknown keys where they were, new keys after them in the documented order.

Speed: the plan of each key order (which attribute and kind each key writes) is cached, so an
object costs one pass over its keys.
"""

from __future__ import annotations

import json
from typing import Any

from .keys import (
    ANN,
    ANN_ATTR_OF,
    ANN_OUT,
    HARD,
    HARD_OF,
    HARD_WORDS,
    KIND_BY_KEY,
    PLAN_LIMIT,
    PROP,
    SAMPLE_ATTR_OF,
    STR,
    USAGE,
)

__all__ = ["object_dict"]

_ABSENT = object()
_META_ATTRS = frozenset(("extra", "_order", "_raw"))
_OUT_PLANS_S: dict[tuple, tuple] = {}
_OUT_PLANS_A: dict[tuple, tuple] = {}


def _out_value(attr: str, kind: int, raw: dict | None, v: Any) -> Any:
    """The JSON value to write for one field (``v`` is not None, or raw null)."""
    if raw is not None and attr in raw:
        r = raw[attr]
        if kind == PROP:
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
        elif kind == USAGE:
            if isinstance(r, str) and v == r.upper():
                return r
        elif kind == HARD:
            if r is None and v is None:
                return None
            if v is not None and r is not None and HARD_WORDS.get(str(r).strip().lower()) == v:
                return r
        elif kind == ANN:
            if r is None and not v:
                return None
        elif r is None and v is None:
            return None
    if kind == HARD and type(v) is bool:
        return "true" if v else "false"
    if kind == ANN:
        return [object_dict(a, ANN_OUT, ANN_ATTR_OF) for a in v]
    return v


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
        plan.append((key, attr, KIND_BY_KEY[key]))
    return tuple(plan), frozenset(covered)


def object_dict(obj: Any, out_spec: list[tuple[str, str, int]], attr_of: dict) -> dict[str, Any]:
    """The JSON object of a sample (``SAMPLE_OUT``, ``SAMPLE_ATTR_OF``) or an annotation (``ANN_...``)."""
    order = obj._order
    plans = _OUT_PLANS_S if attr_of is SAMPLE_ATTR_OF else _OUT_PLANS_A
    cached = plans.get(order)
    if cached is None:
        cached = _out_plan(order, attr_of)
        if len(plans) < PLAN_LIMIT:
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
        if kind == STR and (raw is None or attr not in raw):
            out[key] = v
        elif kind == ANN and (v or raw is None or attr not in raw):
            out[key] = [object_dict(a, ANN_OUT, ANN_ATTR_OF) for a in v]
        elif kind == HARD and raw is not None and attr in raw and HARD_OF.get(raw[attr]) is v:
            out[key] = raw[attr]
        else:
            out[key] = _out_value(attr, kind, raw, v)
    if not covered.issuperset(d):
        rest = d.keys() - covered
        for attr, key, kind in out_spec:
            if attr in rest:
                v = d[attr]
                if v is None or (kind == ANN and not v):
                    continue
                out[key] = _out_value(attr, kind, raw, v)
    if extra:
        for k, v in extra.items():
            if k not in out:
                out[k] = v
    return out
