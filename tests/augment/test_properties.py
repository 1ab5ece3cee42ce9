"""Property-based tests of the box invariants (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import augment as A

H, W = 48, 64
IMG = np.zeros((H, W, 3), np.uint8)


@st.composite
def boxes_inside(draw, max_boxes=6):
    n = draw(st.integers(0, max_boxes))
    out = []
    for _ in range(n):
        x1 = draw(st.floats(0, W - 1, allow_nan=False))
        y1 = draw(st.floats(0, H - 1, allow_nan=False))
        x2 = draw(st.floats(x1 + 0.5, W, allow_nan=False))
        y2 = draw(st.floats(y1 + 0.5, H, allow_nan=False))
        out.append([x1, y1, x2, y2])
    return np.array(out, np.float32).reshape(-1, 4)


OPERATORS = st.one_of(
    st.builds(A.Flip, lr_ud=st.sampled_from(["lr", "ud"]), flip_p=st.floats(0, 1)),
    st.builds(A.Rotate, angle_min=st.floats(-180, 180), angle_max=st.floats(-180, 180), box_policy=st.just("clip")),
    st.builds(A.Scale, scaleXY=st.sampled_from(["X", "Y"]), scale_min=st.floats(0.2, 3), scale_max=st.floats(0.2, 3)),
    st.builds(A.Shear, shearXY=st.sampled_from(["X", "Y"]), shear_min=st.floats(-60, 60), shear_max=st.floats(-60, 60)),
    st.builds(A.Translate, translateXY=st.sampled_from(["X", "Y"]), translate_min=st.floats(-1, 1), translate_max=st.floats(-1, 1)),
    st.builds(A.Crop, crop_percent_min=st.just(0.0), crop_percent_max=st.floats(0, 0.45), keep_size=st.booleans()),
    st.builds(A.Padding, px_top=st.integers(0, 9), px_right=st.integers(0, 9), px_bottom=st.integers(0, 9),
              px_left=st.integers(0, 9), keep_size=st.booleans()),
    st.builds(A.Resize, height=st.integers(8, 90), width=st.integers(8, 90)),
)


@settings(max_examples=300, deadline=None)
@given(boxes=boxes_inside(), op=OPERATORS, seed=st.integers(0, 2**32), policy=st.sampled_from(["clip", "drop_box"]))
def test_boxes_stay_inside_and_fields_in_sync(boxes, op, seed, policy):
    n = len(boxes)
    s = A.Sample(IMG, boxes, labels=[f"l{i}" for i in range(n)], fields={"idx": np.arange(n)})
    out = A.Pipeline([op], seed=seed, box_policy=policy)(s, index=0)
    assert out is not None
    h, w = out.image.shape[:2]
    b = out.boxes
    assert b.dtype == np.float32 and b.shape == (len(out.labels), 4)
    assert np.isfinite(b).all()
    assert (b[:, [0, 1]] >= 0).all() and (b[:, 2] <= w).all() and (b[:, 3] <= h).all()
    assert (b[:, 0] < b[:, 2]).all() and (b[:, 1] < b[:, 3]).all()
    idx = out.fields["idx"]
    assert out.labels == [f"l{i}" for i in idx]
    assert list(idx) == sorted(idx)  # order kept, only filtered


@settings(max_examples=100, deadline=None)
@given(boxes=boxes_inside(), mode=st.sampled_from(["lr", "ud"]))
def test_flip_twice_is_the_identity(boxes, mode):
    """Exact for coordinates on a 1/16-pixel grid (every VOC file: integers, ``5.5``, ``47.00``);
    otherwise within float32 resolution at the canvas size (``W - x`` rounds to the ulp of W)."""
    op = A.Flip(lr_ud=mode)
    np.testing.assert_allclose(op(op(A.Sample(IMG, boxes))).boxes, boxes, rtol=0, atol=W * 2.0**-22)
    grid = np.round(boxes * 16) / 16
    grid = grid[(grid[:, 0] < grid[:, 2]) & (grid[:, 1] < grid[:, 3])]
    np.testing.assert_array_equal(op(op(A.Sample(IMG, grid))).boxes, grid)


@settings(max_examples=100, deadline=None)
@given(boxes=boxes_inside(), angle=st.floats(-180, 180))
def test_rotation_hull_contains_the_rotated_box_centre(boxes, angle):
    """The moved box contains the moved centre of the original (hull of the 4 corners)."""
    op = A.Rotate(angle_min=angle, angle_max=angle)
    meta = A.ImageMeta(H, W, 3, np.dtype(np.uint8))
    params = op.sample(None, meta)
    m = op.matrix(params, meta)
    moved = op.apply_boxes(boxes, params, meta)
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    mx = m[0, 0] * cx + m[0, 1] * cy + m[0, 2]
    my = m[1, 0] * cx + m[1, 1] * cy + m[1, 2]
    assert ((moved[:, 0] <= mx + 1e-3) & (mx <= moved[:, 2] + 1e-3)).all()
    assert ((moved[:, 1] <= my + 1e-3) & (my <= moved[:, 3] + 1e-3)).all()


@settings(max_examples=100, deadline=None)
@given(boxes=boxes_inside(), seed=st.integers(0, 2**32))
def test_drop_image_keeps_boxes_exact_or_drops(boxes, seed):
    """drop_image never clips a box that was really outside: kept boxes equal the moved boxes."""
    op = A.Rotate(angle_min=-20, angle_max=20)
    s = A.Sample(IMG, boxes)
    out, params = op(s, seed=seed, return_params=True)
    moved = op.apply_boxes(boxes, params, A.ImageMeta(H, W, 3, np.dtype(np.uint8)))
    if out is not None:
        np.testing.assert_allclose(out.boxes, moved, atol=2e-3)
