"""Shapes (keypoints, polygons, line strings) and class maps moved by the 8 geometric operators,
against imgaug 0.4.0, their reference semantics.

imgaug does not import on numpy 2, so its outputs are committed as data:
``tests/data/imgaug_shapes.npz``, written by ``tests/data/make_imgaug_shape_refs.py``
(regenerate with ``/tmp/peers-envs/imgaug/bin/python tests/data/make_imgaug_shape_refs.py``). It
runs the operator table of ``make_imgaug_refs.py`` (the same ModelArts config -> imgaug call
mapping as ``test_imgaug_geometric.py``, fixed parameters) on 14 keypoints, 5 polygons (convex,
concave, a 10-point star, one in a corner, one over most of the image) and 4 line strings on a
67 x 91 image (and a few operators on 52 x 76), plus an int32 class map through
``SegmentationMapsOnImage``.

Conventions (checked in imgaug 0.4.0's code and by these numbers): imgaug's keypoints, polygon
and line-string coordinates are continuous, like ours and like its boxes (``Fliplr``:
``x' = W - x``; ``Affine``: the same 3x3 matrix as its boxes, ``to_matrix_cba``; Crop/Pad: a
shift, then ``on_()``'s ``x * W'/W`` with keep_size; Resize: ``on_()``). No 0.5 px shift: the
moved points agree to float32 rounding (max 1.5e-5 px over all cases). What differs is clipping:

* imgaug never clips or drops moved shapes (raw output); we clip every kept shape to the canvas
  and drop an object whose own shape has nothing left inside. So the exactness check compares
  shapes that imgaug leaves inside ``[0, W] x [0, H]``; shapes that imgaug moves (partly) out are
  compared with imgaug's own ``clip_out_of_image`` of them (recorded by the script):
  - keypoints: kept iff imgaug's is inside (imgaug's test is ``0 <= x < W``, ours ``0 <= x <= W``;
    the data has no point on the right/bottom edge, so the two agree here);
  - polygons: present iff imgaug's shapely intersection has area; the same area and bounds (imgaug
    may give several pieces of a concave polygon; our Sutherland-Hodgman result is one ring that
    joins them along the border with zero-area bridges: same area, same bounds);
  - line strings: present iff imgaug gives a piece; ours is imgaug's longest piece (we keep the
    longest, imgaug all), to ``LINE_CLIP_ATOL``: imgaug clips against edges inset by
    ``eps = 1e-3`` (``W - 1e-3``, ``H - 1e-3``: shapely's intersection is inclusive), we clip at
    ``W``, ``H`` exactly, so a cut end differs by up to ``1e-3 / |cos|`` of the crossing angle;
* the raw moved points (``augment.geometry.move_shapes`` through ``op.matrix``, before clipping)
  are compared for every point, inside or not.

Point transforms do not depend on OpenCV: these tolerances hold on OpenCV 4.x and 5.
Class maps: the reference is stored; the test runs once ``augment.Sample`` takes ``mask=``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import augment
from augment.geometry import OWN, Shapes, move_shapes

DATA = Path(__file__).resolve().parents[1] / "data"
NPZ = DATA / "imgaug_shapes.npz"

POINT_ATOL = 1e-3  # px: moved points vs imgaug's (measured: <= 1.5e-5, float32 rounding)
AREA_ATOL = 1e-2  # px^2, clipped polygon area vs shapely's (plus a relative 1e-5)
LINE_CLIP_ATOL = 1e-2  # px: a cut line end vs imgaug's (its edges are inset by 1e-3; measured below 4e-3)
EDGE_ATOL = 1e-4  # px: how far a clipped point may lie outside the canvas (float32 rounding)


@lru_cache(maxsize=1)
def _data() -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(NPZ) as z:
        arrays = {k: z[k] for k in z.files}
    return json.loads(str(arrays.pop("meta"))), arrays


META = _data()[0] if NPZ.exists() else {"cases": []}
CASES = META["cases"]
needs_data = pytest.mark.skipif(
    not CASES, reason=f"imgaug reference data missing ({NPZ.name}); run tests/data/make_imgaug_shape_refs.py"
)
_PARAMS = CASES or [None]
_IDS = [c["id"] for c in CASES] or ["no-data"]


def _table(inp: str) -> list[dict]:
    """The shape table of input ``inp``: kind, name and points, in the npz's point order."""
    pts = _data()[1][f"in/{inp}/points"]
    out, at = [], 0
    for s in META["shapes"][inp]:
        out.append({**s, "points": pts[at : at + s["n"]]})
        at += s["n"]
    assert at == len(pts)
    return out


def _split(points: np.ndarray, table: list[dict]) -> list[np.ndarray]:
    return np.split(points, np.cumsum([s["n"] for s in table])[:-1])


def _sample(inp: str) -> augment.Sample:
    """One object per shape (its own geometry), labelled by the shape's name, on a black image."""
    h, w = META["sizes"][inp]
    table = _table(inp)
    shapes = Shapes.from_lists([(s["kind"], s["points"], i, OWN, 0.0, s["name"]) for i, s in enumerate(table)])
    boxes = [[*(s["points"].min(axis=0) - 0.5), *(s["points"].max(axis=0) + 0.5)] for s in table]
    return augment.Sample(np.zeros((h, w, 3), np.uint8), boxes, [s["name"] for s in table], shapes=shapes)


def _op_and_params(case: dict):
    op = augment.operator_from_dict({**case["config"], "box_policy": "clip"})
    h, w = META["sizes"][case["input"]]
    meta = augment.ImageMeta(h, w, 3, np.dtype(np.uint8))
    return op, op.sample(augment.rng(0), meta), meta


def _run(case: dict):
    """(our output Sample, {name: (our moved shape, our box)}, imgaug's raw moved shapes, table)."""
    op, params, _ = _op_and_params(case)
    out = op(_sample(case["input"]), seed=0, params=params)
    assert out is not None
    assert list(out.image.shape[:2]) == case["out_shape"]
    ours = {}
    if out.shapes is not None:
        for i in range(len(out.shapes)):
            ours[out.labels[int(out.shapes.owner[i])]] = (out.shapes.shape(i), out.boxes[int(out.shapes.owner[i])])
    assert len(ours) == len(out.labels)  # one own shape per object, nothing else
    table = _table(case["input"])
    ref = _split(_data()[1][f"out/{case['id']}/points"], table)
    return out, ours, ref, table


def _inside(p: np.ndarray, h: int, w: int) -> bool:
    return bool(((p >= 0) & (p <= [w, h])).all())


def _area(p: np.ndarray) -> float:
    x, y = p[:, 0].astype(np.float64), p[:, 1].astype(np.float64)
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2)


# --------------------------------------------------------------------------- points
@needs_data
@pytest.mark.parametrize("case", _PARAMS, ids=_IDS)
def test_raw_points_match_imgaug(case):
    """Every point (inside the canvas or not) through ``op.matrix``, before any clipping."""
    op, params, meta = _op_and_params(case)
    shapes = _sample(case["input"]).shapes
    moved, _ = move_shapes(shapes, op.matrix(params, meta))
    ref = _data()[1][f"out/{case['id']}/points"]
    np.testing.assert_allclose(moved.points, ref, rtol=0, atol=POINT_ATOL, err_msg=case["id"])


@needs_data
@pytest.mark.parametrize("case", _PARAMS, ids=_IDS)
def test_shapes_imgaug_keeps_inside_come_out_identical(case):
    """Through ``op(Sample)``: a shape imgaug leaves inside the canvas is kept, with imgaug's points
    (same order), and its object's box is the tight box of the moved shape."""
    _, ours, ref, table = _run(case)
    h, w = case["out_shape"]
    compared = 0
    for s, r in zip(table, ref, strict=True):
        if not _inside(r, h, w):
            continue
        assert s["name"] in ours, f"{case['id']}: {s['kind']} {s['name']} is inside but was dropped"
        pts, box = ours[s["name"]]
        np.testing.assert_allclose(pts, r, rtol=0, atol=POINT_ATOL, err_msg=f"{case['id']} {s['name']}")
        lo, hi = r.min(axis=0), r.max(axis=0)
        if s["kind"] == "point":  # a point's box: one pixel about it, clipped to the canvas
            lo, hi = np.maximum(lo - 0.5, 0), np.minimum(hi + 0.5, [w, h])
        np.testing.assert_allclose(box, [*lo, *hi], rtol=0, atol=POINT_ATOL, err_msg=f"{case['id']} {s['name']} box")
        compared += 1
    assert compared >= 12, f"{case['id']}: only {compared} shapes inside"  # the data keeps every case meaningful


@needs_data
@pytest.mark.parametrize("case", _PARAMS, ids=_IDS)
def test_shapes_imgaug_moves_out_are_clipped_like_its_clip_out_of_image(case):
    _, ours, ref, table = _run(case)
    h, w = case["out_shape"]
    for s, r, rec in zip(table, ref, case["clip"], strict=True):
        if _inside(r, h, w):
            continue
        name, kind, where = s["name"], s["kind"], f"{case['id']} {s['kind']} {s['name']}"
        if kind == "point":
            assert (name in ours) == rec["inside"], where
            if rec["inside"]:
                np.testing.assert_allclose(ours[name][0], r, rtol=0, atol=POINT_ATOL, err_msg=where)
        elif kind == "polygon":
            assert (name in ours) == (rec["area"] > 0), f"{where}: imgaug's clipped area {rec['area']}"
            if name in ours:
                pts, box = ours[name]
                assert _area(pts) == pytest.approx(rec["area"], rel=1e-5, abs=AREA_ATOL), where
                bounds = [*pts.min(axis=0), *pts.max(axis=0)]
                np.testing.assert_allclose(bounds, rec["bounds"], rtol=0, atol=POINT_ATOL, err_msg=where)
                np.testing.assert_allclose(box, rec["bounds"], rtol=0, atol=POINT_ATOL, err_msg=where + " box")
        else:
            assert (name in ours) == (rec["pieces"] > 0), where
            if name in ours:
                pts, box = ours[name]
                longest = np.asarray(rec["longest"])
                assert pts.shape == longest.shape, f"{where}: {len(pts)} points, imgaug's longest piece {len(longest)}"
                np.testing.assert_allclose(pts, longest, rtol=0, atol=LINE_CLIP_ATOL, err_msg=where)


@needs_data
@pytest.mark.parametrize("case", _PARAMS, ids=_IDS)
def test_every_shape_and_box_we_return_is_on_the_canvas(case):
    out, _, _, _ = _run(case)
    h, w = case["out_shape"]
    if out.shapes is not None:
        p = out.shapes.points
        assert (p >= -EDGE_ATOL).all() and (p <= np.array([w, h]) + EDGE_ATOL).all(), case["id"]
    b = out.boxes
    assert (b[:, :2] >= 0).all() and (b[:, 2] <= w).all() and (b[:, 3] <= h).all()
    assert (b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all()


@needs_data
def test_the_data_exercises_clipping():
    """Guard on the reference data: the cut-apart concave polygon, a line cut in two, points that
    leave, and shapes that leave entirely are all in it."""
    recs = [(c["id"], s, r) for c in CASES for s, r in zip(META["shapes"][c["input"]], c["clip"], strict=True)]
    assert any(s["kind"] == "polygon" and r["pieces"] >= 2 for _, s, r in recs)
    assert any(s["kind"] != "point" and s["kind"] != "polygon" and r["pieces"] >= 2 for _, s, r in recs)
    assert any(s["kind"] == "point" and not r["inside"] for _, s, r in recs)
    assert any(s["kind"] == "polygon" and r["pieces"] == 0 for _, s, r in recs)


# --------------------------------------------------------------------------- class maps
HAS_MASK = "mask" in getattr(augment.Sample, "__slots__", ())
needs_mask = pytest.mark.skipif(not HAS_MASK, reason="augment.Sample has no mask yet")


def _resized(case: dict) -> bool:
    """Cases where imgaug resizes the class map (Resize; Crop / Padding with keep_size)."""
    return case["config"]["name"] == "Resize" or bool(case["config"].get("keep_size"))


def _our_mask(case: dict, seg: np.ndarray | None = None) -> np.ndarray:
    """Our operator on the case's class map (or on ``seg``, an int32 map of the input's size)."""
    op, params, _ = _op_and_params(case)
    if seg is None:
        seg = _data()[1][f"in/{case['input']}/segmap"].astype(np.int32)
    h, w = META["sizes"][case["input"]]
    out = op(augment.Sample(np.zeros((h, w, 3), np.uint8), mask=seg), seed=0, params=params)
    assert out is not None and out.mask is not None
    assert out.mask.dtype == np.int32 and out.mask.shape == tuple(case["out_shape"]), case["id"]
    return out.mask


def _resize_stage(case: dict) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """imgaug's resize step: the map it resizes with ``cv2.resize(..., INTER_NEAREST)`` (the input
    for Resize, the cropped / padded input with keep_size), imgaug's result, and the (row, column)
    offset of the input in that map."""
    _, p, _ = _op_and_params(case)
    seg = _data()[1][f"in/{case['input']}/segmap"]
    h, w = seg.shape
    offset = (0, 0)
    if case["config"]["name"] == "Crop":
        seg, offset = seg[p.top : h - p.bottom, p.left : w - p.right], (-p.top, -p.left)
    elif case["config"]["name"] == "Padding":
        seg, offset = np.pad(seg, ((p.top, p.bottom), (p.left, p.right))), (p.top, p.left)
    return seg, _data()[1][f"out/{case['id']}/segmap"], offset


@needs_data
@needs_mask
@pytest.mark.parametrize("case", CASES or [None], ids=lambda c: c and c["id"])
def test_class_map_identical_to_imgaug_segmentation_map(case):
    """Every geometric operator: imgaug warps its ``SegmentationMapsOnImage`` with cv2 nearest
    neighbour through the image's matrix, and where it *resizes* one (Resize; Crop / Padding with
    keep_size) it calls ``cv2.resize(..., INTER_NEAREST)`` (output pixel ``j`` takes source pixel
    ``floor(j * in / out)``, up to half a pixel up-left of its image and points). Ours does the same,
    for parity with imgaug and ModelArts: identical on all cases (OpenCV 4.11 and 5.1)."""
    import cv2

    if _resized(case):  # the reference is that cv2 call, pinned
        before, ref, _ = _resize_stage(case)
        oh, ow = ref.shape
        np.testing.assert_array_equal(cv2.resize(before, (ow, oh), interpolation=cv2.INTER_NEAREST), ref)
    ref = _data()[1][f"out/{case['id']}/segmap"].astype(np.int32)
    differ = _our_mask(case) != ref
    assert not differ.any(), f"{case['id']}: {differ.sum()} pixels differ"
