"""Fidelity of the 8 geometric operators against imgaug 0.4.0, their reference semantics.

imgaug does not import on numpy 2, so its outputs are committed as data:
``tests/data/imgaug_geometric.npz`` / ``.json``, written by ``tests/data/make_imgaug_refs.py``
(regenerate with ``/tmp/peers-envs/imgaug/bin/python tests/data/make_imgaug_refs.py``). Each
case holds an input image and boxes, the imgaug call with fixed parameters, imgaug's output image
and raw boxes (imgaug never clips or drops), and the equivalent operator config of this library.

What is asserted:

* boxes: ``op.apply_boxes`` (the raw moved boxes, *before* the box policy) equal imgaug's raw
  boxes within 1e-3 px, for every case; the box table of ``shared/peers/operator-map.md`` comes
  out to its printed precision;
* pixels, exact ops (Flip, Padding, Crop, Resize, Translate by a whole number of pixels, and
  Crop/Padding with ``keep_size`` when given imgaug's resize interpolation): identical;
* pixels, warped ops (Rotate, Scale, Shear, non-integer Translate), imgaug's ``Affine``:
  - our matrix equals the one imgaug used, for the boxes and for the image (index coordinates);
  - every pixel is within ``R/32 + 1`` of imgaug's (``R``: range of the 2x2 source block it is
    interpolated from), the error of OpenCV 4's 1/32-pixel coordinate quantisation in
    ``warpAffine``, which imgaug runs on (on OpenCV 4 itself: identical);
  - on OpenCV 4 (what imgaug and ModelArts run): identical. ``.ci/run`` runs this file a second
    time in an environment with ``opencv-python-headless<5`` so that path is checked too.
    On OpenCV 5 the issue's ``max |diff| <= 3, mean <= 0.1`` does not hold on these sharp-edged
    test images (measured max 3-5, mean 0.05-0.18): OpenCV 5 interpolates at full precision, so
    the difference is imgaug's (OpenCV 4.11's) quantisation error, bounded by ``R/32 + 1`` above.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pytest

import augment
from augment.kernels.geometric import to_index_matrix

DATA = Path(__file__).resolve().parents[1] / "data"
NPZ = DATA / "imgaug_geometric.npz"
JSON = DATA / "imgaug_geometric.json"

BOX_ATOL = 1e-3  # px
MATRIX_ATOL = 1e-5  # imgaug samples its parameters as float32 and uses pi ~ 3.141592 in ShearY
CV2_MAJOR = int(cv2.__version__.split(".")[0])
# Measured: our matrices run through OpenCV 4.11 (numpy 1.23, imgaug's environment) reproduce every
# imgaug warp bit-exactly; OpenCV 5 is within 0.5 level of an exact float64 bilinear, OpenCV 4.11
# up to 4.7 levels off it.


def _load_cases() -> list[dict]:
    if not (NPZ.exists() and JSON.exists()):
        return []
    return json.loads(JSON.read_text())["cases"]


CASES = _load_cases()
needs_data = pytest.mark.skipif(
    not CASES, reason=f"imgaug reference data missing ({NPZ.name}); run tests/data/make_imgaug_refs.py"
)
_IDS = [c["id"] for c in CASES] or ["no-data"]
_PARAMS = CASES or [None]


@lru_cache(maxsize=1)
def _arrays() -> dict[str, np.ndarray]:
    with np.load(NPZ) as z:
        return {k: z[k] for k in z.files}


def _meta(image: np.ndarray) -> augment.ImageMeta:
    return augment.ImageMeta(image.shape[0], image.shape[1], image.shape[2] if image.ndim == 3 else 0, image.dtype)


def _run(config: dict, image: np.ndarray, boxes: np.ndarray):
    """(our image, our raw moved boxes, op, params): apply_image / apply_boxes with sampled params."""
    op = augment.operator_from_dict(config)
    meta = _meta(image)
    params = op.sample(augment.rng(0), meta)
    return op.apply_image(image, params), op.apply_boxes(boxes, params, meta), op, params


def _case_data(case: dict):
    a = _arrays()
    return (
        a[f"in/{case['input']}/image"],
        a[f"in/{case['input']}/boxes"],
        a[f"out/{case['id']}/image"],
        a[f"out/{case['id']}/boxes"],
    )


def _diff(ours: np.ndarray, ref: np.ndarray) -> np.ndarray:
    assert ours.shape == ref.shape, f"shape {ours.shape} != imgaug's {ref.shape}"
    assert ours.dtype == ref.dtype, f"dtype {ours.dtype} != imgaug's {ref.dtype}"
    return np.abs(ours.astype(np.int64) - ref.astype(np.int64))


def _exact_pixels(case: dict) -> bool:
    """Cases whose pixels must be identical: no warp, or a warp by whole pixels."""
    if not case["affine"]:
        return True
    cfg = case["config"]
    if cfg["name"] != "Translate":
        return False
    image = _arrays()[f"in/{case['input']}/image"]
    size = image.shape[1] if cfg["translateXY"] == "X" else image.shape[0]
    return float(cfg["translate_min"] * size).is_integer()


def _block_range(image: np.ndarray, index_matrix: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """For each output pixel, max - min of the 2x2 source block (zero outside) it is interpolated from."""
    h, w = out_hw
    inv = cv2.invertAffineTransform(index_matrix[:2])
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    sx = inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]
    sy = inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    src = image.astype(np.float64).reshape(image.shape[0], image.shape[1], -1)
    padded = np.zeros((src.shape[0] + 4, src.shape[1] + 4, src.shape[2]))
    padded[2:-2, 2:-2] = src
    corners = []
    for dy in (0, 1):
        for dx in (0, 1):
            yy = np.clip(y0 + dy + 2, 0, padded.shape[0] - 1)
            xx = np.clip(x0 + dx + 2, 0, padded.shape[1] - 1)
            corners.append(padded[yy, xx])
    stack = np.stack(corners)
    return (stack.max(axis=0) - stack.min(axis=0)).reshape((h, w) + image.shape[2:])


# --------------------------------------------------------------------------- boxes
@needs_data
@pytest.mark.parametrize("case", _PARAMS, ids=_IDS)
def test_raw_boxes_match_imgaug(case):
    image, boxes, _, ref_boxes = _case_data(case)
    _, ours, _, _ = _run(case["config"], image, boxes)
    assert ours.shape == ref_boxes.shape  # imgaug keeps every box; apply_boxes must too
    np.testing.assert_allclose(ours, ref_boxes, rtol=0, atol=BOX_ATOL, err_msg=case["id"])


@needs_data
@pytest.mark.parametrize("case", _PARAMS, ids=_IDS)
def test_sample_path_agrees(case):
    """Through ``op(Sample)`` with box_policy="clip": the same pixels as apply_image, and imgaug's
    boxes clipped to the canvas (boxes left without area dropped)."""
    image, boxes, ref_image, ref_boxes = _case_data(case)
    ours_image, _, op, _ = _run(case["config"], image, boxes)
    out = op.evolve(box_policy="clip")(augment.Sample(image, boxes, labels=list(range(len(boxes)))), seed=0)
    assert out is not None
    np.testing.assert_array_equal(out.image, ours_image)
    h, w = ref_image.shape[:2]
    clipped = ref_boxes.copy()
    clipped[:, 0::2] = np.clip(clipped[:, 0::2], 0, w)
    clipped[:, 1::2] = np.clip(clipped[:, 1::2], 0, h)
    keep = (clipped[:, 2] - clipped[:, 0] > BOX_ATOL) & (clipped[:, 3] - clipped[:, 1] > BOX_ATOL)
    assert out.labels == [i for i in range(len(boxes)) if keep[i]]
    np.testing.assert_allclose(out.boxes, clipped[keep], rtol=0, atol=BOX_ATOL)


# --------------------------------------------------------------------------- pixels
@needs_data
@pytest.mark.parametrize("case", [c for c in CASES if _exact_pixels(c)] or [None], ids=lambda c: c and c["id"])
def test_pixels_identical(case):
    image, boxes, ref_image, _ = _case_data(case)
    ours, _, _, _ = _run(case["config"], image, boxes)
    d = _diff(ours, ref_image)
    assert d.max() == 0, f"{case['id']}: max |diff| {d.max()}, mean {d.mean():.4f}, {np.mean(d > 0):.2%} differ"


_WARPED = [c for c in CASES if not _exact_pixels(c)]


@needs_data
@pytest.mark.parametrize("case", _WARPED or [None], ids=lambda c: c and c["id"])
def test_warp_matrix_matches_imgaug(case):
    a = _arrays()
    image = a[f"in/{case['input']}/image"]
    op = augment.operator_from_dict(case["config"])
    meta = _meta(image)
    m = op.matrix(op.sample(augment.rng(0), meta), meta)
    np.testing.assert_allclose(m, a[f"out/{case['id']}/matrix_boxes"], rtol=0, atol=MATRIX_ATOL)
    np.testing.assert_allclose(
        to_index_matrix(m), a[f"out/{case['id']}/matrix_image"][:2], rtol=0, atol=MATRIX_ATOL
    )


@needs_data
@pytest.mark.parametrize("case", _WARPED or [None], ids=lambda c: c and c["id"])
def test_warp_pixels_close(case):
    image, boxes, ref_image, _ = _case_data(case)
    ours, _, _, _ = _run(case["config"], image, boxes)
    d = _diff(ours, ref_image)
    if CV2_MAJOR < 5:  # the same warp kernel as imgaug's OpenCV 4.11: nothing may differ
        assert d.max() == 0, f"{case['id']}: max |diff| {d.max()} on OpenCV {cv2.__version__}"
        return
    # OpenCV 4 rounds each source coordinate to 1/32 px (<= 1/64 px off per axis); a bilinear
    # value moves by at most R per pixel along each axis, so by <= R/32, plus 1 for rounding.
    r = _block_range(image, _arrays()[f"out/{case['id']}/matrix_image"], ref_image.shape[:2])
    excess = d - (r / 32.0 + 1.0)
    assert excess.max() <= 0, f"{case['id']}: |diff| exceeds R/32 + 1 by {excess.max():.3f}"


_KEEP = [c for c in CASES if c["config"].get("keep_size")]


@needs_data
@pytest.mark.parametrize("case", _KEEP or [None], ids=lambda c: c and c["id"])
def test_keep_size_default_interpolation_matches_imgaug(case):
    """The operator's *default* interpolation (config without it) against imgaug's default:
    ``ia.imresize_single_image(arr, (H, W))`` with interpolation=None, i.e. area when the array
    grows back (Crop), linear when it shrinks back (Padding)."""
    config = {k: v for k, v in case["config"].items() if k != "interpolation"}
    image, boxes, ref_image, _ = _case_data(case)
    ours, _, _, _ = _run(config, image, boxes)
    assert _diff(ours, ref_image).max() == 0


# --------------------------------------------------------------------------- operator-map table
# shared/peers/operator-map.md, "How imgaug transforms bounding boxes": image 200 (W) x 100 (H),
# boxes A (inside), B (near the right edge), C (top-left corner); numbers as printed there.
_MAP_BOXES = np.array([[60, 30, 100, 50], [170, 10, 195, 90], [0, 0, 20, 20]], np.float32)
_MAP_TABLE = [
    # (imgaug call, our config, A, B, C)
    ("Rotate(30)", {"name": "Rotate", "angle_min": 30, "angle_max": 30},
     (65.359, 12.679, 110.000, 50.000), (140.622, 50.359, 202.272, 132.141), (28.397, -43.301, 55.718, -15.981)),
    ("Rotate(90)", {"name": "Rotate", "angle_min": 90, "angle_max": 90},
     (100, 10, 120, 50), (60, 120, 140, 145), (130, -50, 150, -30)),
    ("ShearX(20)", {"name": "Shear", "shearXY": "X", "shear_min": 20, "shear_max": 20},
     (60, 30, 107.279, 50), (155.441, 10, 209.559, 90), (10.919, 0, 38.199, 20)),
    ("ShearY(20)", {"name": "Shear", "shearXY": "Y", "shear_min": 20, "shear_max": 20},
     (60, 15.441, 100, 50), (170, 35.478, 195, 124.577), (0, -36.397, 20, -9.118)),
    ("ScaleX(1.5)", {"name": "Scale", "scaleXY": "X", "scale_min": 1.5, "scale_max": 1.5},
     (40, 30, 100, 50), (205, 10, 242.5, 90), (-50, 0, -20, 20)),
    ("ScaleY(0.5)", {"name": "Scale", "scaleXY": "Y", "scale_min": 0.5, "scale_max": 0.5},
     (60, 40, 100, 50), (170, 30, 195, 70), (0, 25, 20, 35)),
    ("TranslateX(px=30)", {"name": "Translate", "translateXY": "X", "translate_min": 0.15, "translate_max": 0.15},
     (90, 30, 130, 50), (200, 10, 225, 90), (30, 0, 50, 20)),
    ("TranslateX(percent=0.2)", {"name": "Translate", "translateXY": "X", "translate_min": 0.2, "translate_max": 0.2},
     (100, 30, 140, 50), (210, 10, 235, 90), (40, 0, 60, 20)),
    ("Crop(px=(10,20,10,20), keep_size=False)",
     {"name": "Crop", "crop_percent_min": 0.1, "crop_percent_max": 0.1, "keep_size": False},
     (40, 20, 80, 40), (150, 0, 175, 80), (-20, -10, 0, 10)),
    ("Crop(px=(10,20,10,20))", {"name": "Crop", "crop_percent_min": 0.1, "crop_percent_max": 0.1, "keep_size": True},
     (50, 25, 100, 50), (187.5, 0, 218.75, 100), (-25, -12.5, 0, 12.5)),
    ("Crop(percent=0.2, keep_size=False)",
     {"name": "Crop", "crop_percent_min": 0.2, "crop_percent_max": 0.2, "keep_size": False},
     (20, 10, 60, 30), (130, -10, 155, 70), (-40, -20, -20, 0)),
    ("Pad(px=(1,1,1,1), keep_size=False)", {"name": "Padding", "keep_size": False},
     (61, 31, 101, 51), (171, 11, 196, 91), (1, 1, 21, 21)),
    ("Pad(px=(1,1,1,1))", {"name": "Padding", "keep_size": True},
     (60.396, 30.392, 100, 50), (169.307, 10.784, 194.059, 89.216), (0.990, 0.980, 20.792, 20.588)),
    ("Resize({'height':224,'width':224})", {"name": "Resize", "height": 224, "width": 224},
     (67.2, 67.2, 112, 112), (190.4, 22.4, 218.4, 201.6), (0, 0, 22.4, 44.8)),
    ("Fliplr(1)", {"name": "Flip", "lr_ud": "lr", "flip_p": 1.0},
     (100, 30, 140, 50), (5, 10, 30, 90), (180, 0, 200, 20)),
    ("Flipud(1)", {"name": "Flip", "lr_ud": "ud", "flip_p": 1.0},
     (60, 50, 100, 70), (170, 10, 195, 90), (0, 80, 20, 100)),
]  # fmt: skip
# the table prints 3 decimals: half a unit of the last digit, plus float32 rounding of ~250 px
_MAP_ATOL = 0.0005 + 2e-5


@pytest.mark.parametrize("row", _MAP_TABLE, ids=[r[0] for r in _MAP_TABLE])
def test_operator_map_box_table(row):
    _, config, *expected = row
    image = np.zeros((100, 200, 3), np.uint8)
    op = augment.operator_from_dict(config)
    meta = _meta(image)
    params = op.sample(augment.rng(0), meta)
    moved = op.apply_boxes(_MAP_BOXES, params, meta)
    np.testing.assert_allclose(moved, np.array(expected, np.float64), rtol=0, atol=_MAP_ATOL)


def test_operator_map_rotate_row_geometry():
    """Guard on the hard-coded table: its Rotate(30) row for A is the stated geometry (the AABB
    of the 4 corners turned 30 degrees clockwise on screen about (W/2, H/2) = (100, 50))."""
    a = math.radians(30)
    c, s = math.cos(a), math.sin(a)
    xs = np.array([60, 100, 100, 60]) - 100.0
    ys = np.array([30, 30, 50, 50]) - 50.0
    x2, y2 = c * xs - s * ys + 100, s * xs + c * ys + 50
    np.testing.assert_allclose([x2.min(), y2.min(), x2.max(), y2.max()], _MAP_TABLE[0][2], atol=_MAP_ATOL)
