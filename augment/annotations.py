"""Reading an image's PASCAL VOC boxes the way the batch job and the datasets both need them.

One set of rules, used by :mod:`augment.batch` and :mod:`augment.data`:

* the boxes come from ``manifest.vocboxes.to_boxes`` (continuous 0-based xyxy, per-box fields);
* EXIF orientation: the image arrives turned upright (``augment.imageio``); when the VOC
  ``<size>`` matches the *stored* image instead (width and height swapped), the boxes were drawn
  on the stored image and are turned with it. When the size cannot tell (a square image, an
  orientation that keeps the size, no ``<size>``), the boxes are taken as drawn on the upright
  view (what browsers and ModelArts' labelling tool show) and a note says so; ``exif_boxes``
  (``--exif-boxes``) decides instead;
* validation (ModelArts' ``do_validation``): a VOC size that does not match the image, a box that
  is empty, inverted or not finite, or one more than :data:`BOX_SLACK` pixels outside the image
  raises :class:`AnnotationError`; boxes overhanging by less are clipped.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from .errors import AnnotationError

if TYPE_CHECKING:  # manifest loads on first use (it needs lxml)
    from manifest.voc import VocAnnotation
    from manifest.vocboxes import VocBoxes

    from .vocshapes import VocObjects

__all__ = ["AnnotationError", "BOX_SLACK", "ORIENT_TURNS", "orient_boxes", "load_voc_boxes", "read_voc_boxes",
           "drawn_view", "fit_voc_boxes"]

BOX_SLACK = 1.0  # px: input boxes overhanging the image by at most this are clipped, not refused
ORIENT_TURNS = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height


def orient_boxes(boxes: np.ndarray, orientation: int, w: int, h: int) -> np.ndarray:
    """Boxes of the stored image (``w`` x ``h``) moved as EXIF ``orientation`` moves its pixels."""
    x1, y1, x2, y2 = boxes.T
    if orientation == 2:
        out = (w - x2, y1, w - x1, y2)
    elif orientation == 3:
        out = (w - x2, h - y2, w - x1, h - y1)
    elif orientation == 4:
        out = (x1, h - y2, x2, h - y1)
    elif orientation == 5:  # transpose
        out = (y1, x1, y2, x2)
    elif orientation == 6:  # turned 90 degrees clockwise
        out = (h - y2, x1, h - y1, x2)
    elif orientation == 7:  # transverse
        out = (h - y2, w - x2, h - y1, w - x1)
    elif orientation == 8:  # turned 90 degrees counter-clockwise
        out = (y1, w - x2, y2, w - x1)
    else:
        return boxes
    return np.stack(out, axis=1).astype(np.float32)


def load_voc_boxes(voc: str | os.PathLike, h: int, w: int, orientation: int = 1, *, validate: bool = True,
                   other_shapes: str = "drop") -> tuple[np.ndarray, VocBoxes, VocAnnotation]:
    """``(boxes, VocBoxes, VocAnnotation)`` for the VOC file of an upright ``h`` x ``w`` image.

    ``boxes`` are the (possibly turned and clipped) ``(N, 4)`` float32 boxes; ``VocBoxes`` carries
    the labels, per-box fields and object indices in the same order. The same as
    :func:`read_voc_boxes` then :func:`fit_voc_boxes`.
    """
    vb, ann = read_voc_boxes(voc, other_shapes)
    return fit_voc_boxes(vb, ann, h, w, orientation, validate=validate), vb, ann


def read_voc_boxes(voc: str | os.PathLike, other_shapes: str = "drop") -> tuple[VocBoxes, VocAnnotation]:
    """``(VocBoxes, VocAnnotation)`` of a VOC file, before it is checked against its image."""
    from manifest import ManifestError, read_voc
    from manifest.vocboxes import to_boxes

    try:
        ann = read_voc(voc)
        return to_boxes(ann, other_shapes), ann
    except (ManifestError, OSError) as exc:
        raise AnnotationError(f"bad annotation: {exc}") from None


def drawn_view(ann: VocAnnotation, h: int, w: int, orientation: int = 1, exif_boxes: str = "auto",
               notes: list | None = None) -> str:
    """Which view of an upright ``h`` x ``w`` image with EXIF ``orientation`` a VOC file was drawn
    on: ``"stored"`` (its boxes and shapes must be turned with the image) or ``"upright"``.

    ``exif_boxes`` ``"auto"`` lets the VOC size decide (the stored image's size, width and height
    swapped: the stored view) and, when it cannot (a square image, a flip or half turn that keeps
    the size, no size), takes the upright view, what browsers and ModelArts' labelling tool show,
    and appends a note saying so to ``notes``; ``"upright"`` / ``"stored"`` decide for every image.
    """
    if orientation not in range(2, 9):
        return "upright"
    if exif_boxes != "auto":
        return exif_boxes
    vw, vh = ann.width, ann.height
    size = (int(vw), int(vh)) if vw is not None and vh is not None else None
    swaps = orientation in ORIENT_TURNS
    if swaps and size == (h, w) and h != w:
        return "stored"
    if notes is not None and not (swaps and size == (w, h) and h != w) and (size is None or size == (w, h)):
        why = "no VOC size" if size is None else "a square image" if swaps else "a size-keeping turn"
        notes.append(f"EXIF orientation {orientation} with {why}: the VOC cannot tell which view its "
                     "boxes were drawn on; taken as the upright view (--exif-boxes stored if they were "
                     "drawn on the stored pixels)")
    return "upright"


def fit_voc_boxes(vb: VocBoxes | VocObjects, ann: VocAnnotation, h: int, w: int, orientation: int = 1, *,
                  validate: bool = True, exif_boxes: str = "auto", notes: list | None = None,
                  view: str | None = None) -> np.ndarray:
    """The boxes of :func:`read_voc_boxes` on the upright ``h`` x ``w`` image: turned with the
    image when they were drawn on the stored one (:func:`drawn_view`, or ``view`` when the caller
    has decided it), checked and clipped (see the module docstring)."""
    boxes = vb.boxes
    vw, vh = ann.width, ann.height
    known = vw is not None and vh is not None
    if view is None:
        view = drawn_view(ann, h, w, orientation, exif_boxes, notes)
    if view == "stored" and orientation in range(2, 9):
        sw, sh = (h, w) if orientation in ORIENT_TURNS else (w, h)
        boxes = orient_boxes(boxes, orientation, w=sw, h=sh)
        if validate and known and (int(vw), int(vh)) != (sw, sh):
            raise AnnotationError(f"VOC size {int(vw)}x{int(vh)} does not match the stored image {sw}x{sh} "
                                  "(--exif-boxes stored)")
        known = False  # checked against the stored view
    if validate and known and (int(vw), int(vh)) != (w, h):
        raise AnnotationError(f"VOC size {int(vw)}x{int(vh)} does not match the image {w}x{h}")
    if validate and len(boxes):
        inverted = (boxes[:, 0] >= boxes[:, 2]) | (boxes[:, 1] >= boxes[:, 3]) | ~np.isfinite(boxes).all(axis=1)
        hi = np.array([w, h, w, h], np.float32)
        outside = ((boxes < -BOX_SLACK) | (boxes > hi + BOX_SLACK)).any(axis=1)
        for name, bad in (("is empty or inverted", inverted), ("lies outside the image", outside)):
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise AnnotationError(f"box {k} ({vb.labels[k]!r}, {boxes[k].tolist()}) {name} ({w}x{h})")
        boxes = np.clip(boxes, 0, hi)
    return boxes
