"""Point kernels: every geometry of a sample (polygon, line, point, circle centre, part box) as
one ``(P, 2)`` float32 array of points with ``offsets`` cutting it into shapes.

Pure functions on arrays: no classes, no randomness, no I/O. Moving all the points of an image is
one matrix product whatever the number of shapes; per-shape bounds come from
``np.minimum.reduceat`` / ``np.maximum.reduceat`` over the offsets. Clipping to the image works
shape by shape, but only for the shapes that cross the border (found vectorised first).
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = [
    "transform_points",
    "shape_bounds",
    "clip_polygon",
    "clip_polygons",
    "clip_polyline",
    "linear_scale",
    "is_similarity",
    "ellipse_polygon",
]


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``(P, 2)`` points mapped by a 3x3 affine ``matrix`` (computed in float64, returned float32)."""
    if not len(points):
        return points
    p = points.astype(np.float64)
    out = p @ matrix[:2, :2].T
    out += matrix[:2, 2]
    return out.astype(np.float32)


def shape_bounds(points: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``(M, 4)`` float32 xyxy bounds of the ``M`` shapes ``points[offsets[i]:offsets[i + 1]]``
    (every shape has at least one point)."""
    m = len(offsets) - 1
    if m <= 0:
        return np.zeros((0, 4), np.float32)
    starts = offsets[:-1]
    lo = np.minimum.reduceat(points, starts, axis=0)
    hi = np.maximum.reduceat(points, starts, axis=0)
    return np.concatenate([lo, hi], axis=1).astype(np.float32)


def linear_scale(matrix: np.ndarray) -> float:
    """How a map scales lengths when it is a similarity: ``sqrt(|det|)`` of its linear part."""
    return float(np.sqrt(abs(np.linalg.det(matrix[:2, :2]))))


def is_similarity(matrix: np.ndarray, tol: float = 1e-6) -> bool:
    """True when the linear part is a rotation (or reflection) times a uniform scale: circles stay
    circles."""
    a = matrix[:2, :2]
    g = a.T @ a
    s = (g[0, 0] + g[1, 1]) / 2
    return bool(abs(g[0, 1]) <= tol * max(s, 1.0) and abs(g[0, 0] - g[1, 1]) <= tol * max(s, 1.0))


def ellipse_polygon(centre: np.ndarray, radius: float, matrix: np.ndarray, n: int = 32) -> np.ndarray:
    """The image under ``matrix`` of the circle (``centre`` in the source image, ``radius``), as an
    ``n``-point polygon: what a circle becomes under a shear or an anisotropic scale."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.stack([centre[0] + radius * np.cos(t), centre[1] + radius * np.sin(t)], axis=1)
    return transform_points(ring.astype(np.float32), matrix)


def _clip_edge(poly: np.ndarray, axis: int, bound: float, keep_low: bool) -> np.ndarray:
    """One Sutherland-Hodgman step, vectorised: ``poly`` clipped to ``x[axis] <= bound``
    (``keep_low``) or ``>= bound``. Vertex ``i`` contributes itself when inside, then the crossing of
    edge ``i -> i+1`` when that edge crosses the bound."""
    if not len(poly):
        return poly
    v = poly[:, axis]
    inside = v <= bound if keep_low else v >= bound
    if inside.all():
        return poly
    if not inside.any():
        return poly[:0]
    nxt = np.roll(poly, -1, axis=0)
    cross = inside != np.roll(inside, -1)
    dv = nxt[:, axis] - v
    t = np.divide(bound - v, dv, out=np.zeros_like(v), where=cross)
    hit = poly + t[:, None] * (nxt - poly)
    hit[:, axis] = bound  # exactly on the edge
    both = np.stack([poly, hit], axis=1).reshape(-1, 2)
    return both[np.stack([inside, cross], axis=1).reshape(-1)]


def clip_polygons(polys: list[np.ndarray], width: float, height: float) -> list[np.ndarray]:
    """:func:`clip_polygon` for many polygons at once: Sutherland-Hodgman on one padded
    ``(C, K, 2)`` array, each of the four steps vectorised over every polygon and vertex."""
    if len(polys) <= 16:  # for a few polygons plain floats beat numpy's per-call overhead (~8x)
        return [_clip_polygon_floats(p, width, height) for p in polys]
    k = max(len(p) for p in polys)
    pts = np.zeros((len(polys), k, 2), np.float64)
    valid = np.zeros((len(polys), k), bool)
    for i, p in enumerate(polys):
        pts[i, : len(p)] = p
        valid[i, : len(p)] = True
    for axis, bound, low in ((0, 0.0, False), (0, float(width), True), (1, 0.0, False), (1, float(height), True)):
        pts, valid = _clip_edge_batch(pts, valid, axis, bound, low)
    return [pts[i][valid[i]].astype(np.float32) for i in range(len(polys))]


def _clip_polygon_floats(poly: np.ndarray, width: float, height: float) -> np.ndarray:
    """:func:`clip_polygon` on Python floats (the same steps, the same results)."""
    pts = [(float(x), float(y)) for x, y in poly]
    for axis, bound, low in ((0, 0.0, False), (0, float(width), True), (1, 0.0, False), (1, float(height), True)):
        if not pts:
            break
        out = []
        n = len(pts)
        for i in range(n):
            p, q = pts[i], pts[(i + 1) % n]
            pin = p[axis] <= bound if low else p[axis] >= bound
            qin = q[axis] <= bound if low else q[axis] >= bound
            if pin:
                out.append(p)
            if pin != qin:
                t = (bound - p[axis]) / (q[axis] - p[axis])
                hit = [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]
                hit[axis] = bound
                out.append((hit[0], hit[1]))
        pts = out
    return np.array(pts, np.float32).reshape(-1, 2)


def _clip_edge_batch(
    pts: np.ndarray, valid: np.ndarray, axis: int, bound: float, keep_low: bool
) -> tuple[np.ndarray, np.ndarray]:
    """One Sutherland-Hodgman step on compacted, padded polygons (valid vertices first)."""
    n = valid.sum(axis=1)
    k = pts.shape[1]
    # the next vertex of each valid vertex, cyclic within its own polygon
    j = np.arange(k)[None, :] + 1
    j = np.where(j >= np.maximum(n, 1)[:, None], 0, j)
    nxt = np.take_along_axis(pts, j[:, :, None].repeat(2, axis=2), axis=1)
    v = pts[:, :, axis]
    inside = (v <= bound if keep_low else v >= bound) & valid
    nin = np.take_along_axis(inside, j, axis=1)
    cross = (inside != nin) & valid
    dv = nxt[:, :, axis] - v
    t = np.divide(bound - v, dv, out=np.zeros_like(v), where=cross)
    hit = pts + t[:, :, None] * (nxt - pts)
    hit[:, :, axis] = bound
    both = np.stack([pts, hit], axis=2).reshape(len(pts), 2 * k, 2)
    keep = np.stack([inside, cross], axis=2).reshape(len(pts), 2 * k)
    order = np.argsort(~keep, axis=1, kind="stable")  # kept first, in order
    both = np.take_along_axis(both, order[:, :, None].repeat(2, axis=2), axis=1)
    keep = np.take_along_axis(keep, order, axis=1)
    width = max(int(keep.sum(axis=1).max()), 1)
    return both[:, :width], keep[:, :width]


def clip_polygon(poly: np.ndarray, width: float, height: float) -> np.ndarray:
    """A closed polygon clipped to the image ``[0, width] x [0, height]`` (Sutherland-Hodgman, exact
    for the convex clip window); an empty ``(0, 2)`` array when nothing is inside."""
    p = poly.astype(np.float64)
    for axis, bound, low in ((0, 0.0, False), (0, float(width), True), (1, 0.0, False), (1, float(height), True)):
        p = _clip_edge(p, axis, bound, low)
        if not len(p):
            break
    return p.astype(np.float32)


def _clip_segment(p: np.ndarray, q: np.ndarray, width: float, height: float) -> tuple[float, float] | None:
    """Liang-Barsky: the parameter range ``[t0, t1]`` of segment ``p -> q`` inside the image."""
    d = q - p
    t0, t1 = 0.0, 1.0
    for num, den in ((p[0], -d[0]), (width - p[0], d[0]), (p[1], -d[1]), (height - p[1], d[1])):
        if den == 0:
            if num < 0:
                return None
            continue
        t = num / den
        if den < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return None
    return t0, t1


def clip_polyline(line: np.ndarray, width: float, height: float) -> list[np.ndarray]:
    """An open polyline clipped to the image: the pieces inside, in order (a line that leaves and
    comes back gives several), each with at least two points."""
    pts = line.astype(np.float64)
    pieces: list[list[np.ndarray]] = []
    current: list[np.ndarray] = []
    for p, q in itertools.pairwise(pts):
        r = _clip_segment(p, q, width, height)
        if r is None:
            if len(current) >= 2:
                pieces.append(current)
            current = []
            continue
        t0, t1 = r
        a, b = p + t0 * (q - p), p + t1 * (q - p)
        if not current or t0 > 0:
            if len(current) >= 2:
                pieces.append(current)
            current = [a]
        current.append(b)
        if t1 < 1:
            pieces.append(current)
            current = []
    if len(current) >= 2:
        pieces.append(current)
    return [np.array(c, np.float32) for c in pieces]
