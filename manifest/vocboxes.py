"""VOC objects <-> the ``augment`` box convention.

``augment`` boxes are numpy ``(N, 4)`` float32 ``[x1, y1, x2, y2]`` in absolute pixels with
continuous coordinates (pixel ``i`` spans ``[i, i + 1)``; the full image is ``[0, 0, W, H]``).
A VOC ``<bndbox>`` is 1-based and inclusive, so::

    x1 = xmin - 1    y1 = ymin - 1    x2 = xmax    y2 = ymax        (reading)
    xmin = x1 + 1    ymin = y1 + 1    xmax = x2    ymax = y2        (writing)

:func:`to_boxes` gives ``VocBoxes(boxes, labels, fields, index)``: the boxes, the object
names, the per-box fields (``difficult``, ``truncated``, ``occluded``, ``pose``,
``confidence``, ``hard_coefficient``; ``None`` where the file has no value) and ``index``,
the position in ``annotation.objects`` of each box's object.

:func:`with_boxes` makes the annotation of an augmented image: the boxes replaced, objects
filtered by a keep mask (every object field stays with its box, since the objects themselves
are carried), a new ``filename`` and ``size``. A coordinate whose float32 value did not change
writes back its original text (``47.00`` stays ``47.00``); a new one is written with
``decimals`` decimals (default 0: integers, the form every VOC reader accepts).

Objects whose shape is not a ``<bndbox>`` (polygon, polyline, line, dashed, circle, point),
chosen by ``other_shapes``:

* ``"drop"`` (default): not in the arrays; left out of :func:`with_boxes`' result, since
  their coordinates would no longer match a geometrically changed image (logged);
* ``"keep"``: not in the arrays; copied unchanged by :func:`with_boxes` (only right when the
  image geometry did not change, e.g. colour operators);
* ``"bbox"``: in the arrays as their bounding box (a circle as its enclosing square); written
  back unchanged when the box did not change, else as a ``<bndbox>``;
* ``"error"``: :class:`~manifest.errors.VocError` if there is any.

``<part>`` sub-boxes (VOC person layout) stay with an object whose box is unchanged and are
dropped (logged) from one whose box changed.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .errors import VocError
from .voc import BndBox, Num, VocAnnotation, VocObject, VocSize

__all__ = ["VocBoxes", "to_boxes", "with_boxes", "from_boxes", "voc_to_xyxy", "xyxy_to_voc"]

log = logging.getLogger(__name__)

_OTHER = ("drop", "keep", "bbox", "error")
FIELDS = ("difficult", "truncated", "occluded", "pose", "confidence", "hard_coefficient")


class VocBoxes(NamedTuple):
    boxes: np.ndarray          # (N, 4) float32 xyxy, continuous 0-based
    labels: list               # object names
    fields: dict               # per-box lists: difficult, truncated, occluded, pose, ...
    # (N,) int: position of each box's object in ann.objects (the field's name hides tuple.index)
    index: np.ndarray  # type: ignore[assignment]


def voc_to_xyxy(xmin: float, ymin: float, xmax: float, ymax: float) -> tuple[float, float, float, float]:
    """VOC 1-based inclusive -> continuous 0-based ``(x1, y1, x2, y2)``."""
    return (float(xmin) - 1.0, float(ymin) - 1.0, float(xmax), float(ymax))


def _round(v: float, decimals: int | None) -> Any:
    if decimals is None:
        return float(v)
    r = round(float(v), decimals)
    if decimals <= 0:
        return int(r)
    text = f"{r:.{decimals}f}".rstrip("0").rstrip(".")
    return Num(text)


def xyxy_to_voc(
    x1: float, y1: float, x2: float, y2: float, decimals: int | None = 0
) -> tuple:
    """Continuous ``(x1, y1, x2, y2)`` -> VOC ``(xmin, ymin, xmax, ymax)``, rounded to
    ``decimals`` (``None``: no rounding). With rounding, ``xmax >= xmin`` is kept."""
    xmin, ymin = _round(float(x1) + 1.0, decimals), _round(float(y1) + 1.0, decimals)
    xmax, ymax = _round(float(x2), decimals), _round(float(y2), decimals)
    if xmax < xmin:
        xmax = xmin
    if ymax < ymin:
        ymax = ymin
    return (xmin, ymin, xmax, ymax)


def keep_unchanged_text(old: Sequence[Any], new: tuple, same: Any) -> tuple:
    """VOC numbers ``new`` with the original text of the coordinates that did not change, unless the
    mix would invert the box (a clipped ``xmin 0.5 .. xmax 0.8`` would read ``xmin=1, xmax=0.8``):
    then the new numbers alone, which :func:`xyxy_to_voc` keeps ordered."""
    mixed = tuple(old[k] if same[k] else new[k] for k in range(4))
    if float(mixed[2]) < float(mixed[0]) or float(mixed[3]) < float(mixed[1]):
        return new
    return mixed


def _check_other(other_shapes: str) -> None:
    if other_shapes not in _OTHER:
        raise VocError(f"other_shapes must be one of {_OTHER}, got {other_shapes!r}")


def _bounds(o: VocObject, other_shapes: str, where: str) -> tuple | None:
    shape = o.shape
    if isinstance(shape, BndBox):
        return shape.bounds()
    if other_shapes == "bbox" and shape is not None:
        return shape.bounds()
    if other_shapes == "error":
        kind = None if shape is None else shape.kind
        raise VocError(f"{where}: object {o.name!r} has a <{kind}>, not a <bndbox>", None, o.line)
    return None


def to_boxes(ann: VocAnnotation, other_shapes: str = "drop") -> VocBoxes:
    """The boxes of ``ann`` in the ``augment`` convention, with labels and per-box fields."""
    _check_other(other_shapes)
    rows, index = [], []
    for i, o in enumerate(ann.objects):
        b = _bounds(o, other_shapes, ann.filename or "VOC")
        if b is not None:
            rows.append(voc_to_xyxy(*b))
            index.append(i)
    boxes = np.asarray(rows, np.float32).reshape(-1, 4)
    objs = [ann.objects[i] for i in index]
    fields = {f: [getattr(o, f) for o in objs] for f in FIELDS}
    return VocBoxes(boxes, [o.name for o in objs], fields, np.asarray(index, np.intp))


def _selection(keep: Any, n: int) -> np.ndarray:
    if keep is None:
        return np.arange(n)
    k = np.asarray(keep)
    if k.dtype == bool:
        if k.shape != (n,):
            raise VocError(f"with_boxes: keep mask has shape {k.shape}, expected ({n},)")
        return np.flatnonzero(k)
    if k.ndim != 1 or not np.issubdtype(k.dtype, np.integer):
        raise VocError("with_boxes: keep must be a bool mask or an array of box indices")
    if len(k) and (k.min() < 0 or k.max() >= n):
        raise VocError(f"with_boxes: keep index out of range for {n} boxes")
    return k.astype(np.intp)


def _new_size(ann: VocAnnotation, size: Any) -> VocSize | None:
    if size is None:
        return ann.size
    if isinstance(size, VocSize):
        return size
    vals = [int(v) for v in size]
    if len(vals) not in (2, 3):
        raise VocError(f"with_boxes: size must be (width, height) or (width, height, depth), got {size!r}")
    depth = vals[2] if len(vals) == 3 else (ann.size.depth if ann.size is not None else None)
    old = ann.size or VocSize()
    w = old.width if old.width == vals[0] else vals[0]
    h = old.height if old.height == vals[1] else vals[1]
    return VocSize(w, h, depth)


def with_boxes(
    ann: VocAnnotation,
    boxes: Any,
    keep: Any = None,
    *,
    size: Any = None,
    filename: str | None = None,
    other_shapes: str = "drop",
    decimals: int | None = 0,
    image_shape: Sequence[int] | None = None,
    base: VocBoxes | None = None,
) -> VocAnnotation:
    """The annotation of an augmented image.

    ``boxes``: ``(N, 4)`` xyxy continuous boxes, one per box of :func:`to_boxes` (same
    ``other_shapes``), or already filtered: one per kept box. ``keep``: a bool mask over the
    ``N`` boxes or an array of their indices (``None``: all). ``size``: ``(width, height)``
    or ``(width, height, depth)`` of the new image (``None``: unchanged); or give
    ``image_shape=image.shape`` (numpy order ``(H, W[, C])``) instead. ``filename``: the
    new image's file name. ``decimals``: how new coordinates are written (0: integers;
    ``None``: shortest float text). ``base``: ``to_boxes(ann, other_shapes)`` when the caller
    already has it (saves parsing the objects again). The input annotation is not modified.
    """
    _check_other(other_shapes)
    if image_shape is not None:
        if size is not None:
            raise VocError("with_boxes: give size or image_shape, not both")
        shp = tuple(int(v) for v in image_shape)
        if len(shp) not in (2, 3):
            raise VocError(f"with_boxes: image_shape must be (H, W) or (H, W, C), got {image_shape!r}")
        size = (shp[1], shp[0], shp[2] if len(shp) == 3 else 1)
    if base is None:
        base = to_boxes(ann, other_shapes)
    n = len(base.boxes)
    sel = _selection(keep, n)
    arr = np.asarray(boxes, dtype=np.float32)
    if arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise VocError(f"with_boxes: boxes must have shape (N, 4), got {arr.shape}")
    if len(arr) == n:
        arr = arr[sel]
    elif len(arr) != len(sel):
        raise VocError(
            f"with_boxes: {len(arr)} boxes for {n} objects with {len(sel)} kept; give one box per "
            "object or one per kept object"
        )
    if not np.isfinite(arr).all():
        raise VocError("with_boxes: boxes contain NaN or infinite values")
    new_objs: dict[int, VocObject] = {}
    dropped_parts = 0
    for j, b in enumerate(sel):
        oi = int(base.index[b])
        o = ann.objects[oi]
        old_row = base.boxes[b]
        new_row = arr[j]
        same = old_row == new_row
        if same.all():
            new_objs[oi] = o
            continue
        x1, y1, x2, y2 = new_row.tolist()
        vb = xyxy_to_voc(x1, y1, x2, y2, decimals=decimals)
        if isinstance(o.shape, BndBox):
            vb = keep_unchanged_text(o.shape.bounds(), vb, same)
        if o.parts:
            dropped_parts += len(o.parts)
        moved = copy.copy(o)  # not dataclasses.replace: 4x slower, and every field is kept anyway
        moved.shape, moved.parts = BndBox(*vb), []
        new_objs[oi] = moved
    dropped_other = 0
    objects = []
    in_arrays = {int(i) for i in base.index}
    for i, o in enumerate(ann.objects):
        if i in new_objs:
            objects.append(new_objs[i])
        elif i not in in_arrays:
            if other_shapes == "keep":
                objects.append(o)
            else:
                dropped_other += 1
    if dropped_other:
        log.info("%s: %d non-bndbox object(s) left out (other_shapes=%r)",
                 ann.filename, dropped_other, other_shapes)
    if dropped_parts:
        log.info("%s: %d <part>(s) dropped from moved boxes", ann.filename, dropped_parts)
    return dataclasses.replace(
        ann,
        objects=objects,
        size=_new_size(ann, size),
        filename=ann.filename if filename is None else filename,
    )


def from_boxes(
    filename: str,
    size: Sequence[int],
    boxes: Any,
    labels: Sequence[str],
    fields: dict[str, Sequence[Any]] | None = None,
    *,
    decimals: int | None = 0,
    folder: str | None = "Images",
) -> VocAnnotation:
    """A new VOC annotation from ``augment`` boxes: ``pose`` ``Unspecified``, ``truncated``
    and ``difficult`` 0 unless ``fields`` gives per-box values."""
    arr = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    if len(labels) != len(arr):
        raise VocError(f"from_boxes: {len(arr)} boxes but {len(labels)} labels")
    fields = dict(fields or {})
    for k, v in fields.items():
        if k not in FIELDS:
            raise VocError(f"from_boxes: unknown per-box field {k!r}; known: {', '.join(FIELDS)}")
        if len(v) != len(arr):
            raise VocError(f"from_boxes: field {k!r} has {len(v)} values for {len(arr)} boxes")
    objects = []
    for i, row in enumerate(arr):
        x1, y1, x2, y2 = row.tolist()
        o = VocObject(name=labels[i], shape=BndBox(*xyxy_to_voc(x1, y1, x2, y2, decimals=decimals)),
                      pose="Unspecified", truncated=0, difficult=0)
        for k, v in fields.items():
            val = v[i]
            setattr(o, k, val.item() if hasattr(val, "item") else val)
        objects.append(o)
    w, h, *d = [int(v) for v in size]
    return VocAnnotation(
        filename=filename, folder=folder, source={"database": "Unknown"},
        size=VocSize(w, h, d[0] if d else 3), segmented=0, objects=objects,
    )
