"""The keys of a manifest line: which attribute each sets and what kind of value it holds.

Internal to ``manifest``: :mod:`manifest.model` (the data classes), :mod:`manifest.lineparse`
(JSON object -> :class:`~manifest.model.Sample`) and :mod:`manifest.linewrite` (back) share this
table, so a key is described in one place. The keys and their spellings are those of Huawei's
"Specifications for Importing a Manifest File" (tables 1-3), summarised with the variants seen in
real files in ``../shared/docs/manifest-spec.md`` §3-4 (beside the repository).
"""

from __future__ import annotations

from typing import Any

# value kinds
STR, ID, USAGE, HARD, NUM, INT, PROP, ANN = range(8)
KIND_NAMES = {
    STR: "a string",
    ID: "a string or an integer",
    NUM: "a number",
    INT: "an integer",
    ANN: "an array of objects",
}
# kinds whose value is converted on read (a plan lists them; the rest are taken as they are)
POST_KINDS = (USAGE, HARD, PROP, ANN)

Spec = list[tuple[str, str, int, tuple[str, ...]]]
# (attribute, key written, kind, other spellings read); the aliases map to the hyphenated key
SAMPLE_SPEC: Spec = [
    ("source", "source", STR, ()),
    ("usage", "usage", USAGE, ()),
    ("id", "id", ID, ()),
    ("sample_type", "sample-type", INT, ("sample_type",)),
    ("source_type", "source-type", STR, ("source_type",)),
    ("property", "property", PROP, ()),
    ("hard", "hard", HARD, ()),
    ("hard_coefficient", "hard-coefficient", NUM, ("hard_coefficient",)),
    ("inference_loc", "inference-loc", STR, ("inference_loc",)),
    ("result", "result", STR, ()),
    ("error_message", "error_message", STR, ("error-message",)),
    ("annotations", "annotation", ANN, ()),
]
ANN_SPEC: Spec = [
    ("type", "type", STR, ()),
    ("name", "name", STR, ()),
    ("id", "id", ID, ()),
    ("property", "property", PROP, ()),
    ("annotation_loc", "annotation-loc", STR, ("annotation_loc",)),
    ("annotation_format", "annotation-format", STR, ("annotation_format",)),
    ("confidence", "confidence", NUM, ()),
    ("hard", "hard", HARD, ()),
    ("hard_coefficient", "hard-coefficient", NUM, ("hard_coefficient",)),
    ("annotated_by", "annotated-by", STR, ("annotated_by",)),
    ("creation_time", "creation-time", STR, ("creation_time",)),
]


def _keymap(spec: Spec) -> dict[str, tuple[str, str, int]]:
    out = {}
    for attr, key, kind, aliases in spec:
        out[key] = (attr, key, kind)
        for a in aliases:
            out[a] = (attr, key, kind)
    return out


# every spelling read -> (attribute, key written, kind)
SAMPLE_KEYS = _keymap(SAMPLE_SPEC)
ANN_KEYS = _keymap(ANN_SPEC)
# the documented order of the keys written, for values the line read did not have
SAMPLE_OUT = [(attr, key, kind) for attr, key, kind, _ in SAMPLE_SPEC]
ANN_OUT = [(attr, key, kind) for attr, key, kind, _ in ANN_SPEC]
SAMPLE_ATTR_OF = {key: attr for attr, key, _, _ in SAMPLE_SPEC}
ANN_ATTR_OF = {key: attr for attr, key, _, _ in ANN_SPEC}
KIND_BY_KEY = {key: kind for _, key, kind in SAMPLE_OUT}
KIND_BY_KEY.update({key: kind for _, key, kind in ANN_OUT})

HARD_WORDS = {"true": True, "false": False, "1": True, "0": False}
# raw hard values seen in files -> their meaning (the common spellings; others take the slow path)
HARD_OF = {
    "true": True,
    "false": False,
    "True": True,
    "False": False,
    True: True,
    False: False,
    "1": True,
    "0": False,
    "TRUE": True,
    "FALSE": False,
}

PLAN_LIMIT = 4096  # cached plans per kind: lines of one manifest share a handful of shapes


def norm_usage(u: Any) -> Any:
    """``usage`` as the model keeps it: upper case (``"train"`` -> ``"TRAIN"``)."""
    return u.upper() if isinstance(u, str) else u
