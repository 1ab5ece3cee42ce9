"""Geometry beyond boxes: the polygons, lines, points, circles and part boxes of a sample's objects.

:class:`Shapes` holds every shape of one image in flat arrays (the layout kornia and torchvision
use for their points layer): all points in one ``(P, 2)`` float32 array in continuous pixel
coordinates (the box convention), ``offsets`` cutting it into ``M`` shapes, and per shape its
``kind``, the object it belongs to (``owner``, an index into the sample's boxes), its ``role``
(the object's own geometry, or a part of it) and, for circles, its ``radius``. Moving every shape
of an image is one matrix product (:func:`move_shapes`), whatever the number of shapes.

Rules (what an operator does to shapes, :func:`move_shapes` and :func:`fit_shapes`):

* every point goes through the operator's one 3x3 matrix, exactly;
* an object whose own geometry is a shape gets, as its box, the bounds of its moved shape (a tight
  box: a rotated polygon's box is the box of the rotated polygon, not the hull of its rotated box),
  at least one pixel wide and high (a point, a straight line);
* circles stay circles under similarity maps (flip, rotate, uniform scale, crop, pad, translate):
  the centre moves, the radius scales; under a shear or an anisotropic scale a circle becomes a
  32-point polygon (its ellipse), counted in :attr:`FitReport.circles_to_polygons`;
* clipping to the canvas: polygons by polygon clipping against the image rectangle, polylines and
  lines by segment clipping (a line that leaves and comes back keeps its longest piece), points
  outside are removed, part boxes are clipped like boxes; a circle crossing the border is kept
  whole. An object whose own shape has nothing left inside is reported and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .kernels.points import (
    clip_polygons,
    clip_polyline,
    ellipse_polygon,
    is_similarity,
    linear_scale,
    shape_bounds,
    transform_points,
)

__all__ = ["Shapes", "FitReport", "move_shapes", "fit_shapes", "own_boxes", "widen_boxes", "KINDS", "OWN", "PART"]

#: shape kinds, as stored in :attr:`Shapes.kind`
POLYGON, POLYLINE, LINE, POINT, CIRCLE, BOX = range(6)
KINDS = ("polygon", "polyline", "line", "point", "circle", "box")
OWN, PART = 0, 1  # roles: the object's own geometry, or one of its parts


def _objects(values: Any) -> np.ndarray:
    out = np.empty(len(values), object)
    for i, v in enumerate(values):
        out[i] = v
    return out


@dataclass(frozen=True)
class Shapes:
    """The shapes of one image (see the module docstring). Build with :meth:`from_lists`."""

    points: np.ndarray  # (P, 2) float32, continuous pixel coordinates
    offsets: np.ndarray  # (M + 1,) intp, offsets[0] == 0, offsets[-1] == P
    kind: np.ndarray  # (M,) uint8, one of KINDS' indices
    owner: np.ndarray  # (M,) intp: the object (box index) the shape belongs to
    role: np.ndarray  # (M,) uint8: OWN or PART
    radius: np.ndarray  # (M,) float32: circles' radius, 0 otherwise
    tags: np.ndarray = field(default_factory=lambda: _objects([]))  # (M,) object: what the caller needs to
    # write a shape back (its VOC tag, a part's position)

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def empty(cls) -> Shapes:
        return cls(np.zeros((0, 2), np.float32), np.zeros(1, np.intp), np.zeros(0, np.uint8),
                   np.zeros(0, np.intp), np.zeros(0, np.uint8), np.zeros(0, np.float32), _objects([]))

    @classmethod
    def from_lists(cls, shapes: list[tuple[str, Any, int, int, float, Any]]) -> Shapes:
        """From ``[(kind, points, owner, role, radius, tag), ...]`` (``points``: ``(K, 2)``; a box
        is its two corners ``[[x1, y1], [x2, y2]]``, stored as four)."""
        if not shapes:
            return cls.empty()
        pts, offsets, kinds, owners, roles, radii, tags = [], [0], [], [], [], [], []
        for kind, points, owner, role, radius, tag in shapes:
            p = np.asarray(points, np.float32).reshape(-1, 2)
            k = KINDS.index(kind)
            if k == BOX and len(p) == 2:
                (x1, y1), (x2, y2) = p[0], p[1]
                p = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32)
            if not len(p):
                raise ValueError(f"a {kind} without points")
            pts.append(p)
            offsets.append(offsets[-1] + len(p))
            kinds.append(k)
            owners.append(owner)
            roles.append(role)
            radii.append(radius)
            tags.append(tag)
        return cls(np.concatenate(pts), np.asarray(offsets, np.intp), np.asarray(kinds, np.uint8),
                   np.asarray(owners, np.intp), np.asarray(roles, np.uint8), np.asarray(radii, np.float32),
                   _objects(tags))

    def shape(self, i: int) -> np.ndarray:
        return self.points[self.offsets[i]:self.offsets[i + 1]]

    def bounds(self) -> np.ndarray:
        """``(M, 4)`` xyxy bounds per shape (a circle's includes its radius)."""
        b = shape_bounds(self.points, self.offsets)
        if len(b) and self.radius.any():
            r = self.radius[:, None]
            b[:, :2] -= r
            b[:, 2:] += r
        return b

    def select(self, keep_shapes: np.ndarray, keep_objects: np.ndarray | None = None) -> Shapes:
        """The shapes where ``keep_shapes`` is true; with ``keep_objects`` (a mask over the
        objects), owners are renumbered as the objects are filtered."""
        keep_shapes = np.asarray(keep_shapes, bool)
        lengths = np.diff(self.offsets)
        pts = self.points[np.repeat(keep_shapes, lengths)]
        offsets = np.concatenate([[0], np.cumsum(lengths[keep_shapes])]).astype(np.intp)
        owner = self.owner[keep_shapes]
        if keep_objects is not None:
            owner = (np.cumsum(keep_objects) - 1)[owner]
        return Shapes(pts, offsets, self.kind[keep_shapes], owner, self.role[keep_shapes],
                      self.radius[keep_shapes], self.tags[keep_shapes])

    def concat(self, other: Shapes) -> Shapes:
        """These shapes, then ``other``'s (same objects)."""
        if not len(other):
            return self
        if not len(self):
            return other
        return Shapes(np.concatenate([self.points, other.points]),
                      np.concatenate([self.offsets, other.offsets[1:] + self.offsets[-1]]),
                      np.concatenate([self.kind, other.kind]), np.concatenate([self.owner, other.owner]),
                      np.concatenate([self.role, other.role]), np.concatenate([self.radius, other.radius]),
                      np.concatenate([self.tags, other.tags]))

    def for_objects(self, keep_objects: np.ndarray) -> Shapes:
        """The shapes of the kept objects (a mask over the sample's boxes), owners renumbered."""
        keep_objects = np.asarray(keep_objects, bool)
        return self.select(keep_objects[self.owner], keep_objects)


@dataclass
class FitReport:
    """What :func:`fit_shapes` changed, for the summary."""

    dropped: list[tuple[int, str]] = field(default_factory=list)  # (object, why): its own shape left the image
    parts_dropped: list[tuple[int, Any]] = field(default_factory=list)  # (object, part tag)
    circles_to_polygons: int = 0
    clipped: np.ndarray | None = None  # (objects,) bool: an own shape was cut by the border


def move_shapes(shapes: Shapes, matrix: np.ndarray) -> tuple[Shapes, int]:
    """Every point through ``matrix``; circles scaled (similarity) or turned into their ellipse's
    polygon (otherwise). Returns the moved shapes and how many circles became polygons."""
    if not len(shapes):
        return shapes, 0
    moved = transform_points(shapes.points, matrix)
    circles = shapes.kind == CIRCLE
    if not circles.any():
        return Shapes(moved, shapes.offsets, shapes.kind, shapes.owner, shapes.role, shapes.radius, shapes.tags), 0
    if is_similarity(matrix):
        radius = np.where(circles, shapes.radius * np.float32(linear_scale(matrix)), shapes.radius).astype(np.float32)
        return Shapes(moved, shapes.offsets, shapes.kind, shapes.owner, shapes.role, radius, shapes.tags), 0
    parts: list[tuple[str, Any, int, int, float, Any]] = []
    for i in range(len(shapes)):
        if circles[i]:
            poly = ellipse_polygon(shapes.shape(i)[0], float(shapes.radius[i]), matrix)
            parts.append(("polygon", poly, int(shapes.owner[i]), int(shapes.role[i]), 0.0, shapes.tags[i]))
        else:
            p = moved[shapes.offsets[i]:shapes.offsets[i + 1]]
            k = KINDS[shapes.kind[i]]
            if k == "box":  # already four corners: keep them as they moved
                parts.append(("polygon", p, int(shapes.owner[i]), int(shapes.role[i]), 0.0, shapes.tags[i]))
            else:
                parts.append((k, p, int(shapes.owner[i]), int(shapes.role[i]), float(shapes.radius[i]),
                              shapes.tags[i]))
    out = Shapes.from_lists(parts)
    box = np.array([KINDS[k] == "box" for k in shapes.kind])
    kind = out.kind.copy()
    kind[box] = BOX
    return Shapes(out.points, out.offsets, kind, out.owner, out.role, out.radius, out.tags), int(circles.sum())


def widen_boxes(b: np.ndarray) -> np.ndarray:
    """``(N, 4)`` boxes widened (in place) to at least one pixel in each direction about their
    centre, so that the box of a point or a straight line still has area; returns ``b``."""
    if len(b):
        lo, hi = b[:, :2], b[:, 2:]
        short = hi - lo < 1
        if short.any():
            mid = (lo + hi) / 2
            b[:, :2] = np.where(short, mid - 0.5, lo)
            b[:, 2:] = np.where(short, mid + 0.5, hi)
    return b


def _footprint(shapes: Shapes, bounds: np.ndarray | None = None) -> np.ndarray:
    """Per shape the box it covers: its bounds, at least one pixel each way (:func:`widen_boxes`)."""
    return widen_boxes(shapes.bounds() if bounds is None else bounds.copy())


def own_boxes(shapes: Shapes, boxes: np.ndarray, bounds: np.ndarray | None = None) -> np.ndarray:
    """``boxes`` with every object that has an own shape boxed by that shape's footprint (tight);
    ``bounds``: ``shapes.bounds()`` when the caller has it."""
    own = shapes.role == OWN
    if not own.any():
        return boxes
    out = boxes.copy()
    out[shapes.owner[own]] = _footprint(shapes, bounds)[own]
    return out


def fit_shapes(shapes: Shapes, boxes: np.ndarray, keep: np.ndarray | None, height: int, width: int,
               bounds: np.ndarray | None = None) -> tuple[Shapes, np.ndarray, np.ndarray, FitReport]:
    """Clip moved ``shapes`` to the ``width`` x ``height`` canvas after the box policy kept the
    objects in ``keep`` (``None``: all) with ``boxes`` (already clipped, one per kept object).

    Returns the shapes of the kept objects (owners renumbered), their boxes (tightened to the clipped
    own shapes), a mask over the kept objects of those still present (an object whose own shape has
    nothing left inside is dropped) and the :class:`FitReport`. Only the shapes that cross the
    border are rebuilt (polygons all at once, :func:`~augment.kernels.points.clip_polygons`); the
    others keep their arrays."""
    report = FitReport()
    if keep is not None:
        orig_index = np.flatnonzero(keep)
        if bounds is not None:
            bounds = bounds[np.asarray(keep, bool)[shapes.owner]]
        shapes = shapes.for_objects(keep)
    else:
        orig_index = np.arange(len(boxes))
    n = len(boxes)
    alive = np.ones(n, bool)
    clipped = np.zeros(n, bool)
    report.clipped = clipped
    if not len(shapes):
        return shapes, boxes, alive, report
    b = shapes.bounds() if bounds is None else bounds
    inside = (b[:, :2] >= 0).all(axis=1) & (b[:, 2] <= width) & (b[:, 3] <= height)
    crossing = ~inside & (shapes.kind != CIRCLE)  # a circle crossing the border is kept whole
    if not crossing.any():
        return shapes, boxes, alive, report
    idx = np.flatnonzero(crossing)
    kinds = shapes.kind[idx]
    pieces: dict[int, np.ndarray | None] = {}
    polys = idx[kinds == POLYGON]
    if len(polys):
        for i, q in zip(polys.tolist(), clip_polygons([shapes.shape(i) for i in polys.tolist()], width, height),
                        strict=True):
            pieces[i] = q if len(q) >= 3 else None
    for i in idx[(kinds == POLYLINE) | (kinds == LINE)].tolist():
        parts = clip_polyline(shapes.shape(i), width, height)
        pieces[i] = max(parts, key=lambda q: float(np.hypot(*np.diff(q, axis=0).T).sum())) if parts else None
    for i in idx[kinds == POINT].tolist():
        pieces[i] = None  # a point's bounds are the point: crossing means outside
    for i in idx[kinds == BOX].tolist():
        p = shapes.shape(i)
        x1, y1 = np.maximum(p.min(axis=0), 0)
        x2, y2 = np.minimum(p.max(axis=0), [width, height])
        pieces[i] = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], np.float32) if x2 > x1 and y2 > y1 else None
    redo = []
    for i in idx.tolist():
        owner, role = int(shapes.owner[i]), int(shapes.role[i])
        piece = pieces[i]
        if piece is None:
            if role == OWN:
                alive[owner] = False
                report.dropped.append((int(orig_index[owner]), f"its {KINDS[shapes.kind[i]]} left the image"))
            else:
                report.parts_dropped.append((int(orig_index[owner]), shapes.tags[i]))
            continue
        if role == OWN:
            clipped[owner] = True
        redo.append((KINDS[shapes.kind[i]], piece, owner, role, float(shapes.radius[i]), shapes.tags[i]))
    fitted = shapes.select(~crossing).concat(Shapes.from_lists(redo))
    new_boxes = boxes.copy()
    own = fitted.role == OWN
    changed = np.zeros(len(fitted), bool)
    changed[len(fitted) - len(redo):] = True
    sel = own & changed
    if sel.any():
        fb = _footprint(fitted)
        fb = np.clip(fb, 0, np.array([width, height, width, height], np.float32))
        new_boxes[fitted.owner[sel]] = fb[sel]
    return fitted, new_boxes, alive, report
