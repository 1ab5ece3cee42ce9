"""The end of a run: ``output.manifest`` (every written image) and ``summary.json`` (every input
accounted for), and the short table printed on the terminal.

What an output line carries (the rules, key by key; ``tests/augment/test_batch_consumers.py``
checks each):

=====================  ======================================================================
key                    in a copy (``_aug<k>``) / in an ``--include-originals`` copy
=====================  ======================================================================
``source``             rewritten: the new image (``--source-prefix`` + ``Data/<name>``)
``usage``              ``--split`` (per original input) > ``--usage`` > the input line's own
                       (``inherit``, the default for a manifest; ``TRAIN`` for a folder)
``id``                 ``<id>_aug<k>`` (never the source's id twice) / kept
``property``           kept, plus ``augment:original`` (the input's ``source``) and
                       ``augment:copy`` (``k``, ``-1`` for an original): the provenance
                       ``manifest split`` groups by; free keys in ``property`` are ModelArts'
                       user-defined sample attributes, which MindSpore and the SDK pass over
``inference-loc``,     kept when the pipeline moves no pixel (no geometric operator): the
``result``,            inference result still describes the image; dropped otherwise (its boxes
``error_message``      would be wrong) / kept
``hard``, ``hard-coefficient``, ``sample-type``, ``source-type``, unknown keys: kept
``annotation``         classification: every label kept whole (``name``, ``type``,
                       ``property``, ``hard``, ``hard-coefficient``, ``confidence``,
                       ``annotated-by``, ``creation-time``), an ``id`` rewritten as the sample's;
                       detection: ``annotation-loc`` rewritten to the new VOC file, the other keys
                       kept
=====================  ======================================================================
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections import Counter
from typing import Any

from . import storage
from .plan import Item, Unit
from .spec import RunSpec

__all__ = ["finish", "format_summary", "summary_json", "EXIT_CODES"]

ORIGINAL_KEY, COPY_KEY = "augment:original", "augment:copy"

EXIT_CODES = {
    0: "done: every input written (or dropped by a box policy), at least one image written",
    1: "error before any work: bad option, pipeline, input or output (one line says which)",
    2: "command-line usage error",
    3: "done, but some inputs failed (unreadable image, bad annotation): see summary.json",
    4: "done, but no image was written",
    5: "stopped by an error that dooms every image (disk full, read-only output): summary.json and "
       "the journal are kept; fix it and run the same command again",
    130: "interrupted (Ctrl-C): run the same command again to finish",
}


def _moves_pixels(pipeline: dict) -> bool:
    from ..core.base import AffineOperator
    from ..core.compose import leaves
    from ..core.pipeline import Pipeline

    return any(isinstance(op, AffineOperator) for op in leaves(Pipeline.from_config(pipeline).ops))


def _with_id(v: Any, copy: int) -> Any:
    return v if v is None or copy < 0 else f"{v}_aug{copy}"


def _line(u: Unit, rec: dict, spec: RunSpec, prefix: str, usage: str | None, geometric: bool) -> Any:
    from manifest import Sample as MSample

    it, copy = u.item, u.copy
    src = f"{prefix}Data/{rec['files'][0]}"
    xml = f"{prefix}Data/{rec['files'][1]}" if it.kind == "detection" and len(rec["files"]) > 1 else None
    provenance = {ORIGINAL_KEY: it.source, COPY_KEY: copy}
    base = it.sample
    if base is None:  # a folder input
        if xml is not None and len(rec["files"]) > 2:  # detection with a mask: a segmentation sample
            from manifest import Annotation
            from manifest.model import IMAGE_SEGMENTATION

            return MSample(source=src, annotations=[Annotation.detection(xml, type=IMAGE_SEGMENTATION)],
                           usage=usage, property=provenance, sample_type=0)
        line = (MSample.detection(src, xml) if it.kind == "detection" else MSample.classification(src, it.labels))
        return dataclasses.replace(line, usage=usage, property=provenance)
    prop = base.property
    prop = {**prop, **provenance} if isinstance(prop, dict) else provenance if prop is None else prop
    anns = []
    for a in base.annotations:
        if a.annotation_loc is not None:
            a = dataclasses.replace(a, annotation_loc=xml)
        anns.append(dataclasses.replace(a, id=_with_id(a.id, copy)))
    kw: dict[str, Any] = {"source": src, "usage": usage, "id": _with_id(base.id, copy), "property": prop,
                          "annotations": anns}
    if geometric and copy >= 0:
        kw.update(inference_loc=None, result=None, error_message=None)
    return dataclasses.replace(base, **kw)


def _usage_of(it: Item, spec: RunSpec, layout: str) -> str | None:
    if it.split_usage is not None:
        return it.split_usage
    usage = spec.usage or ("inherit" if layout == "manifest" else "TRAIN")
    return it.usage if usage == "inherit" else usage


def finish(spec: RunSpec, layout: str, why: str, items: list[Item], units: list[Unit], done: dict,
           problems: list[dict], stopped: str | None = None) -> dict:
    """Write ``output.manifest`` and ``summary.json``; returns the summary."""
    from manifest import write_manifest

    prefix = spec.source_prefix or (spec.output.rstrip("/") + "/" if storage.is_url(spec.output) else "")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    geometric = _moves_pixels(spec.pipeline)
    lines = []
    per_input: dict[int, list[dict]] = {}
    not_done = "not processed: the run stopped first" if stopped else "not processed"
    for u in units:
        rec = done.get(u.key) or {"unit": u.key, "source": u.item.source, "copy": u.copy, "status": "failed",
                                  "reason": not_done}
        per_input.setdefault(u.item.index, []).append(rec)
        if rec["status"] == "written":
            lines.append(_line(u, rec, spec, prefix, _usage_of(u.item, spec, layout), geometric))
    buf = io.StringIO()
    write_manifest(lines, buf)
    storage.write(storage.join(spec.output, "output.manifest"), buf.getvalue().encode("utf-8"))
    counts = Counter(r["status"] for recs in per_input.values() for r in recs)
    reasons = Counter(
        _reason_kind(r.get("reason", "")) for recs in per_input.values() for r in recs if r["status"] != "written"
    )
    notes = Counter(_reason_kind(n) for it in items for n in it.notes)
    notes.update(_reason_kind(n) for recs in per_input.values() for r in recs for n in r.get("notes", ()))
    summary = {
        "input": spec.input,
        "layout": layout,
        "layout_reason": why,
        "output": spec.output,
        "pipeline": spec.pipeline,
        "copies": spec.copies,
        "include_originals": spec.include_originals,
        "usage": spec.usage,
        "split": None if spec.split is None else dict(spec.split),
        "counts": {
            "inputs": len(items),
            "images": len(units),
            "written": counts.get("written", 0),
            "dropped": counts.get("dropped", 0),
            "failed": counts.get("failed", 0),
            "other_files": len(problems),
            "objects_left_out": sum(r.get("objects_left_out", 0) for recs in per_input.values() for r in recs),
        },
        "usages": dict(Counter(str(ln.usage) for ln in lines).most_common()),
        "reasons": dict(reasons.most_common()),
        "notes": dict(notes.most_common()),
        "warnings": _warnings(spec, counts, per_input),
        "stopped": stopped,
        "exit_code": 0,
        "inputs": [
            {"source": it.source, **({"notes": it.notes} if it.notes else {}),
             "results": _results_of(per_input, it.index)}
            for it in items
        ],
        "other_files": problems,
    }
    summary["exit_code"] = exit_code(summary)
    storage.write(storage.join(spec.output, "summary.json"), summary_json(summary).encode("utf-8"))
    return summary


def exit_code(summary: dict) -> int:
    """The command's exit status for a finished (or stopped) run: see :data:`EXIT_CODES`."""
    c = summary["counts"]
    if summary.get("stopped"):
        return 5
    if c["images"] and not c["written"]:
        return 4
    if c["failed"]:
        return 3
    return 0


def _results_of(per_input: dict[int, list[dict]], index: int) -> list[dict]:
    """The records of input ``index``, copy by copy."""
    return sorted(per_input.get(index, []), key=lambda r: r.get("copy", 0))


def _warnings(spec: RunSpec, counts: Counter, per_input: dict[int, list[dict]]) -> list[str]:
    """A warning when a box policy dropped more than half of the images, naming the operator, its
    policy and the option that keeps them."""
    from ..core.compose import leaves
    from ..core.pipeline import Pipeline

    total = sum(1 for recs in per_input.values() for r in recs if r.get("copy", 0) >= 0)  # originals never drop
    dropped = counts.get("dropped", 0)
    if not total or 2 * dropped <= total:
        return []
    by_op = Counter(r.get("reason", "").split(":", 1)[0] for recs in per_input.values() for r in recs
                    if r["status"] == "dropped")
    p = Pipeline.from_config(spec.pipeline)
    out = []
    for name, n in by_op.most_common():
        policy = next((op.box_policy for op in leaves(p.ops) if type(op).__name__ == name and op.box_policy), None)
        policy = policy or p.box_policy or ("drop_image" if name == "Rotate" else "clip")
        why = ("an image is left out when a box leaves it, ModelArts rule" if policy == "drop_image"
               else "boxes left the image")
        out.append(f"{name} dropped {n} of {total} augmented images (box_policy {policy!r}: {why}); "
                   f"to keep them, give {name} box_policy=\"clip\" (--op '{name}(..., box_policy=\"clip\")') "
                   "or the run --box-policy clip")
    return out


def summary_json(summary: dict) -> str:
    """``summary.json``'s text: the head indented, then one line per input (and per other file).
    The same JSON value as ``json.dumps(summary)``; ``indent=`` would force json's pure-Python
    encoder, ~10x slower on a big run."""
    head = {k: v for k, v in summary.items() if k not in ("inputs", "other_files")}
    text = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    for key in ("inputs", "other_files"):
        rows = ",\n  ".join(json.dumps(e, ensure_ascii=False) for e in summary[key])
        text += f',\n "{key}": [' + (f"\n  {rows}\n ]" if rows else "]")
    return text + "\n}\n"


def _reason_kind(reason: str) -> str:
    """A short class of a reason, for the summary table ("Rotate: box 2 left ..." -> "Rotate: box left the image")."""
    head = reason.split(" (", 1)[0]
    parts = head.split(": ")
    if len(parts) > 1 and parts[0].lower().endswith((".jpg", ".jpeg", ".png", ".bmp", ".xml")):
        parts = parts[1:]
    text = ": ".join(parts[:2])
    return " ".join(w for w in text.split() if not w.isdigit())


def format_summary(summary: dict) -> str:
    """The short table printed on stderr at the end of a run."""
    c = summary["counts"]
    rows = [
        (
            f"augment run: {c['inputs']} inputs -> {c['images']} images: "
            f"{c['written']} written, {c['dropped']} dropped, {c['failed']} failed"
        ),
        f"  layout {summary.get('layout_reason') or summary['layout']}",
    ]
    for reason, n in list(summary["reasons"].items())[:8]:
        rows.append(f"  {n:6d}  {reason}")
    if c.get("objects_left_out"):
        rows.append(f"  {c['objects_left_out']:6d}  objects left out of written images, each noted with its reason "
                    "(notes in summary.json)")
    for note, n in list(summary.get("notes", {}).items())[:4]:
        rows.append(f"  {n:6d}  note: {note}")
    if c["other_files"]:
        rows.append(f"  {c['other_files']:6d}  other files not used (see other_files in summary.json)")
    if summary.get("usages"):
        rows.append("  usage: " + ", ".join(f"{k} {v}" for k, v in summary["usages"].items()))
    for w in summary.get("warnings", []):
        rows.append(f"  WARNING: {w}")
    if summary.get("stopped"):
        rows.append(f"  STOPPED: {summary['stopped']}; run the same command again to finish")
    rows.append(f"  output: {storage.join(summary['output'], 'output.manifest')}; details: summary.json")
    return "\n".join(rows)


