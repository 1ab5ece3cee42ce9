"""The data that flows through operators: :class:`Sample` and :class:`ImageMeta`.

Box convention (the one the whole library keeps):

* absolute pixels, continuous coordinates: pixel ``i`` spans ``[i, i + 1)``, so the full image
  is the box ``[0, 0, W, H]``;
* ``xyxy`` order, ``float32``, shape ``(N, 4)``; never normalised to ``[0, 1]``;
* ``x1 < x2`` and ``y1 < y2`` for a valid box.

PASCAL VOC files are 1-based and inclusive; ``manifest.voc`` converts on read and back on write.

Per-box fields (``labels`` and any other field such as ``difficult``, ``truncated``) are kept
beside the boxes and are filtered by the same keep-mask, so they cannot fall out of step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import compress
from typing import Any, NamedTuple

import numpy as np

from .errors import BoxError, SampleError, UnsupportedImageError

__all__ = ["Sample", "ImageMeta", "image_meta"]

_setattr = object.__setattr__
_new_object = object.__new__

_EMPTY_BOXES = np.zeros((0, 4), np.float32)
_EMPTY_BOXES.setflags(write=False)


class ImageMeta(NamedTuple):
    """What an operator may know about an image before it draws its parameters."""

    height: int
    width: int
    channels: int  # 0 for a 2-D (H, W) image
    dtype: np.dtype


def image_meta(image: np.ndarray) -> ImageMeta:
    """The :class:`ImageMeta` of one image array (2-D or 3-D)."""
    shape = image.shape
    return ImageMeta(shape[0], shape[1], shape[2] if len(shape) == 3 else 0, image.dtype)


def _as_boxes(boxes: Any) -> np.ndarray:
    if boxes is None:
        return _EMPTY_BOXES
    try:
        arr = np.asarray(boxes, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise BoxError(f"boxes must be numeric, shape (N, 4): {exc}") from None
    if arr.size == 0:
        return _EMPTY_BOXES
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise BoxError(f"boxes must have shape (N, 4) in xyxy order, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


class Sample:
    """One image with its boxes, per-box fields and image-level metadata.

    ``Sample(image, boxes=None, labels=None, fields=None, meta=None)``

    * ``image``: ``(H, W)`` or ``(H, W, C)`` numpy array, C in {1, 3, 4}.
    * ``boxes``: anything convertible to ``(N, 4)`` float32, xyxy absolute pixels.
    * ``labels``: ``N`` labels (any objects, usually ``str``); ``None`` gives ``N`` ``None`` labels.
    * ``fields``: other per-box values, ``{"difficult": [0, 1], ...}``; each becomes a length-``N``
      numpy array.
    * ``meta``: image-level metadata (``source`` path, classification ``label``, ...), carried as is.

    A Sample is immutable: operators return new Samples. The arrays are not copied on the way
    in, so do not modify them in place after handing them over.
    """

    __slots__ = ("image", "boxes", "labels", "fields", "meta", "shapes", "mask")

    image: np.ndarray
    boxes: np.ndarray
    labels: list
    fields: dict[str, np.ndarray]
    meta: dict[str, Any]
    shapes: Any  # augment.geometry.Shapes or None
    mask: np.ndarray | None  # (H, W) class / instance ids or (H, W, 3) colours, moved with the pixels

    def __init__(
        self,
        image: np.ndarray,
        boxes: Any = None,
        labels: Sequence[Any] | None = None,
        fields: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        shapes: Any = None,
        mask: np.ndarray | None = None,
    ) -> None:
        if not isinstance(image, np.ndarray):
            raise UnsupportedImageError(f"Sample: image must be a numpy array, got {type(image).__name__}")
        if image.ndim not in (2, 3):
            raise UnsupportedImageError(f"Sample: image must have shape (H, W) or (H, W, C), got shape {image.shape}")
        if mask is not None and (
            not isinstance(mask, np.ndarray)
            or mask.ndim not in (2, 3)
            or mask.shape[:2] != image.shape[:2]
            or (mask.ndim == 3 and mask.shape[2] not in (1, 3, 4))
        ):
            got = mask.shape if isinstance(mask, np.ndarray) else type(mask).__name__
            raise SampleError(
                f"Sample: mask must be an array of shape {image.shape[:2]} or "
                f"{(*image.shape[:2], 3)} (the image's height and width), got {got}"
            )
        if boxes is None and labels is None and not fields and shapes is None:  # an image without boxes
            self._set(image, _EMPTY_BOXES, [], {}, dict(meta) if meta else {}, None, mask)
            return
        arr = _as_boxes(boxes)
        n = len(arr)
        if labels is None:
            label_list: list = [None] * n
        else:
            if isinstance(labels, (str, bytes)):
                raise SampleError("Sample: labels must be a sequence of labels, not a single string")
            label_list = list(labels)
            if len(label_list) != n:
                raise SampleError(f"Sample: {n} boxes but {len(label_list)} labels")
        field_dict: dict[str, np.ndarray] = {}
        for key, values in (fields or {}).items():
            if key in ("boxes", "labels"):
                raise SampleError(f"Sample: per-box field name {key!r} is reserved")
            col = np.asarray(values)
            if col.ndim == 0 or len(col) != n:
                raise SampleError(
                    f"Sample: per-box field {key!r} has {0 if col.ndim == 0 else len(col)} values for {n} boxes"
                )
            field_dict[key] = col
        if shapes is not None:
            owner = getattr(shapes, "owner", None)
            if owner is None:
                raise SampleError(f"Sample: shapes must be an augment.geometry.Shapes, got {type(shapes).__name__}")
            if len(owner) and (owner.min() < 0 or owner.max() >= n):
                raise SampleError(f"Sample: a shape belongs to object {int(owner.max())} of {n}")
            if not len(owner):
                shapes = None
        self._set(image, arr, label_list, field_dict, dict(meta or {}), shapes, mask)

    def _set(
        self,
        image: np.ndarray,
        boxes: np.ndarray,
        labels: list,
        fields: dict,
        meta: dict,
        shapes: Any = None,
        mask: np.ndarray | None = None,
    ) -> None:
        _setattr(self, "image", image)
        _setattr(self, "boxes", boxes)
        _setattr(self, "labels", labels)
        _setattr(self, "fields", fields)
        _setattr(self, "meta", meta)
        _setattr(self, "shapes", shapes)
        _setattr(self, "mask", mask)

    @classmethod
    def _trusted(
        cls,
        image: np.ndarray,
        boxes: np.ndarray,
        labels: list,
        fields: dict,
        meta: dict,
        shapes: Any = None,
        mask: np.ndarray | None = None,
    ) -> Sample:
        """Build without checks: for operators that already hold valid, consistent parts."""
        self = _new_object(cls)
        self._set(image, boxes, labels, fields, meta, shapes, mask)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Sample is immutable; use .replace(...)")

    def __reduce__(self) -> tuple:
        # pickle (multiprocessing, DataLoader workers) through the checked constructor: the
        # default protocol would set the slots with the refused __setattr__
        return (self.__class__, (self.image, self.boxes, self.labels, self.fields, self.meta, self.shapes, self.mask))

    def __repr__(self) -> str:
        extra = f", fields={sorted(self.fields)}" if self.fields else ""
        return (
            f"Sample(image={self.image.dtype}{list(self.image.shape)}, "
            f"boxes={len(self.boxes)}, labels={self.labels!r}{extra}, meta={self.meta!r})"
        )

    def __len__(self) -> int:
        """The number of boxes."""
        return len(self.boxes)

    # ------------------------------------------------------------------ derived copies
    def replace(self, **changes: Any) -> Sample:
        """A copy with some parts replaced, validated like a new Sample."""
        parts: dict[str, Any] = {
            "image": self.image,
            "boxes": self.boxes,
            "labels": self.labels,
            "fields": self.fields,
            "meta": self.meta,
            "shapes": self.shapes,
            "mask": self.mask,
        }
        unknown = set(changes) - set(parts)
        if unknown:
            raise TypeError(f"Sample.replace: unknown part(s) {sorted(unknown)}")
        parts.update(changes)
        return Sample(**parts)

    def with_image(self, image: np.ndarray) -> Sample:
        return Sample._trusted(image, self.boxes, self.labels, self.fields, self.meta, self.shapes, self.mask)

    def with_boxes(self, image: np.ndarray, boxes: np.ndarray, keep: np.ndarray | None, shapes: Any = None) -> Sample:
        """New image and boxes; ``keep`` (bool mask over the old boxes) filters every per-box field
        and the shapes. ``shapes``: the moved shapes (one set for the old boxes), when they moved."""
        shapes = self.shapes if shapes is None else shapes
        if keep is None or keep.all():
            return Sample._trusted(image, boxes, self.labels, self.fields, self.meta, shapes, self.mask)
        labels = list(compress(self.labels, keep))
        fields = {k: v[keep] for k, v in self.fields.items()}
        if shapes is not None:
            shapes = shapes.for_objects(keep)
            shapes = shapes if len(shapes) else None
        return Sample._trusted(image, boxes[keep], labels, fields, self.meta, shapes, self.mask)

    def filter(self, keep: np.ndarray) -> Sample:
        """Keep only the boxes where ``keep`` is true, with their labels and fields."""
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (len(self.boxes),):
            raise SampleError(f"filter: mask has shape {keep.shape}, expected ({len(self.boxes)},)")
        return self.with_boxes(self.image, self.boxes, keep)

    # ------------------------------------------------------------------ checks
    def validate(self, where: str = "Sample") -> None:
        """Raise :class:`BoxError` for a NaN/infinite or inverted box, naming its index."""
        b = self.boxes
        if not len(b):
            return
        bad = ~np.isfinite(b).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise BoxError(f"{where}: box {i} has a non-finite coordinate: {b[i].tolist()}", i)
        bad = (b[:, 0] >= b[:, 2]) | (b[:, 1] >= b[:, 3])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise BoxError(
                f"{where}: box {i} is empty or inverted (need x1 < x2 and y1 < y2): {b[i].tolist()}",
                i,
            )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict (``image``, ``boxes``, ``labels``, the per-box fields, ``meta``)."""
        out: dict[str, Any] = {"image": self.image, "boxes": self.boxes, "labels": self.labels}
        out.update(self.fields)
        if self.shapes is not None:
            out["shapes"] = self.shapes
        if self.mask is not None:
            out["mask"] = self.mask
        out["meta"] = self.meta
        return out
