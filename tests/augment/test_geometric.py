"""Geometric operators: fast paths equal the matrix, sampling rules, sizes, edge cases."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import augment as A
from augment.kernels.boxes import transform_boxes
from augment.kernels.geometric import _warp_rgb_via_rgba, to_index_matrix, warp_affine
from augment.structures import image_meta
from tests.conftest import make_image

FAST_PATH_OPS = [
    A.Flip(lr_ud="lr"),
    A.Flip(lr_ud="ud"),
    A.Crop(crop_percent_min=0.1, crop_percent_max=0.25),
    A.Padding(px_top=3, px_right=0, px_bottom=7, px_left=2),
    A.Translate(translateXY="X", translate_min=0.25, translate_max=0.25),  # 0.25 * 96 = 24 px
    A.Translate(translateXY="Y", translate_min=-0.5, translate_max=-0.5),  # -0.5 * 64 = -32 px
]


@pytest.mark.parametrize("op", FAST_PATH_OPS, ids=repr)
@pytest.mark.parametrize("shape", [(64, 96, 3), (64, 96), (64, 96, 4)])
def test_fast_path_equals_matrix_warp(op, shape):
    """Exact kernels (flip, crop, pad, integer shift) give what the matrix warp gives."""
    img = make_image(shape[0], shape[1], shape[2] if len(shape) == 3 else None)
    meta = image_meta(img)
    params = op.sample(np.random.default_rng(0), meta)
    fast = op.apply_image(img, params)
    warped = warp_affine(img, op.matrix(params, meta), op.output_size(params, meta))
    np.testing.assert_array_equal(fast, warped)


def _rotation(deg: float, scale: float, cx: float, cy: float, shear: float = 0.0, tx: float = 0.0, ty: float = 0.0):
    a = math.radians(deg)
    c, s = math.cos(a) * scale, math.sin(a) * scale
    lin = np.array([[c, -s], [s, c]]) @ np.array([[1.0, math.tan(math.radians(shear))], [0.0, 1.0]])
    m = np.eye(3)
    m[:2, :2] = lin
    m[:2, 2] = np.array([cx + tx, cy + ty]) - lin @ np.array([cx, cy])
    return m


@pytest.mark.parametrize("fill", [0, 200, 127.6])
@pytest.mark.parametrize("hw, out_hw, view", [((64, 96), (64, 96), False), ((37, 53), (41, 29), False),
                                              ((80, 120), (60, 90), True), ((1, 7), (3, 5), False)])
def test_rgb_bilinear_warp_through_rgba_is_bit_identical(hw, out_hw, view, fill):
    """warp_affine sends 3-channel uint8 bilinear warps through RGBA (faster in OpenCV 5): the
    result must be OpenCV's own 3-channel warp, bit for bit, for any matrix, size, fill and layout."""
    g = np.random.default_rng(hw[0] * 1000 + out_hw[1])
    noise = g.integers(0, 256, (hw[0] * 2, hw[1] * 2, 3), dtype=np.uint8)
    img = noise[::2, 1::2] if view else np.ascontiguousarray(noise[: hw[0], : hw[1]])
    assert img.shape == (*hw, 3) and img.flags.c_contiguous != view
    for _ in range(12):
        m = _rotation(g.uniform(-180, 180), g.uniform(0.5, 1.6), hw[1] / 2, hw[0] / 2, g.uniform(-30, 30),
                      g.uniform(-9.5, 9.5), g.uniform(-9.5, 9.5))
        want = cv2.warpAffine(img, to_index_matrix(m), out_hw[::-1], flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(fill,) * 3)
        got = warp_affine(img, m, out_hw, cv2.INTER_LINEAR, fill)
        assert got.dtype == np.uint8 and got.flags.c_contiguous
        np.testing.assert_array_equal(got, want)
        # the RGBA route itself, also where warp_affine does not take it (OpenCV 4.x)
        np.testing.assert_array_equal(_warp_rgb_via_rgba(img, to_index_matrix(m), out_hw, fill), want)


def test_rgba_scratch_is_per_thread_and_reused_across_sizes():
    """Deterministic half of the check below: each thread has its own scratch, and a smaller image
    reuses the buffer a larger one made (varying sizes must not reallocate every call)."""
    import threading

    from augment.kernels.geometric import _rgba_scratch

    mine = _rgba_scratch(30, 40)
    seen = {}
    t = threading.Thread(target=lambda: seen.setdefault("other", _rgba_scratch(30, 40)))
    t.start()
    t.join()
    assert not np.shares_memory(mine, seen["other"])
    big = _rgba_scratch(50, 60)
    small = _rgba_scratch(20, 10)
    assert small.shape == (20, 10, 4) and small.flags.c_contiguous and np.shares_memory(big, small)


def test_zero_output_size_behaves_as_before():
    """OpenCV reads a (0, 0) output size as "the input's size"; the RGBA route keeps out of it."""
    img = make_image(20, 30)
    m = _rotation(10.0, 1.0, 15.0, 10.0)
    want = cv2.warpAffine(img, to_index_matrix(m), (0, 0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(0, 0, 0))
    np.testing.assert_array_equal(warp_affine(img, m, (0, 0)), want)


def test_rgba_route_returns_fresh_arrays_across_sizes_and_threads():
    """The RGBA route keeps per-thread scratch buffers: results must never alias them, whatever
    the sequence of sizes, and threads must not share them."""
    from concurrent.futures import ThreadPoolExecutor

    g = np.random.default_rng(5)
    imgs = [g.integers(0, 256, hw + (3,), dtype=np.uint8) for hw in [(40, 60), (60, 40), (40, 60), (33, 33)]]
    mats = [_rotation(d, 1.0, 30.0, 20.0) for d in (10.0, -25.0, 90.0, 33.0)]

    def want(img, m):
        return cv2.warpAffine(img, to_index_matrix(m), img.shape[1::-1], flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))

    expected = [want(i, m) for i, m in zip(imgs, mats)]
    outs = [_warp_rgb_via_rgba(i, to_index_matrix(m), i.shape[:2], 0) for i, m in zip(imgs, mats)]
    for o, e in zip(outs, expected):  # earlier results untouched by later calls
        np.testing.assert_array_equal(o, e)

    def work(k):
        return [_warp_rgb_via_rgba(imgs[(k + j) % 4], to_index_matrix(mats[(k + j) % 4]), imgs[(k + j) % 4].shape[:2], 0)
                for j in range(40)]

    with ThreadPoolExecutor(4) as ex:
        for k, res in enumerate(ex.map(work, range(8))):
            for j, o in enumerate(res):
                np.testing.assert_array_equal(o, expected[(k + j) % 4])


@pytest.mark.parametrize("op", FAST_PATH_OPS + [A.Resize(height=50, width=70)], ids=repr)
def test_boxes_follow_the_matrix(op, boxes):
    meta = A.ImageMeta(64, 96, 3, np.dtype(np.uint8))
    params = op.sample(np.random.default_rng(1), meta)
    np.testing.assert_array_equal(op.apply_boxes(boxes, params, meta), transform_boxes(boxes, op.matrix(params, meta)))


def test_flip_twice_is_identity(rgb, boxes):
    s = A.Sample(rgb, boxes, labels=["a", "b", "c"])
    for mode in ("lr", "ud"):
        op = A.Flip(lr_ud=mode)
        back = op(op(s))
        np.testing.assert_array_equal(back.image, rgb)
        np.testing.assert_array_equal(back.boxes, boxes)


def test_flip_probability():
    op = A.Flip(flip_p=0.3)
    meta = A.ImageMeta(10, 10, 3, np.dtype(np.uint8))
    flips = [op.sample(A.rng(0, 0, i), meta).flip for i in range(4000)]
    assert abs(np.mean(flips) - 0.3) < 0.03
    assert not A.Flip(flip_p=0.0).sample(A.rng(0), meta).flip


def test_rotate_reversed_range_samples_the_same_interval():
    meta = A.ImageMeta(10, 10, 3, np.dtype(np.uint8))
    fwd = [A.Rotate(angle_min=-90, angle_max=90).sample(A.rng(0, 0, i), meta).angle for i in range(2000)]
    rev = [A.Rotate(angle_min=90, angle_max=-90).sample(A.rng(0, 0, i), meta).angle for i in range(2000)]
    for draws in (fwd, rev):
        assert -90 <= min(draws) < -80 and 80 < max(draws) <= 90
        assert abs(np.mean(draws)) < 5


def test_rotate_90_is_exact_on_a_square_image():
    img = make_image(40, 40)
    out = A.Rotate(angle_min=90, angle_max=90)(img)
    np.testing.assert_array_equal(out, np.rot90(img, k=-1))  # clockwise on screen
    s = A.Sample(img, [[0, 0, 10, 20]], labels=["x"])
    out = A.Rotate(angle_min=90, angle_max=90)(s)
    np.testing.assert_allclose(out.boxes, [[20, 0, 40, 10]], atol=1e-4)


def test_rotate_drops_the_image_by_default_when_a_box_leaves():
    img = make_image(100, 200)
    s = A.Sample(img, [[60, 30, 100, 50], [170, 10, 195, 90]], labels=["in", "edge"])
    op = A.Rotate(angle_min=30, angle_max=30)
    assert op(s) is None
    result = op.run(s, A.rng(0))
    assert result.sample is None
    assert result.dropped.startswith("Rotate: box 1 left the image")
    clipped = A.Rotate(angle_min=30, angle_max=30, box_policy="clip")(s)
    assert clipped.labels == ["in", "edge"]
    np.testing.assert_allclose(clipped.boxes[0], [65.359, 12.679, 110.0, 50.0], atol=1e-3)
    np.testing.assert_allclose(clipped.boxes[1], [140.622, 50.359, 200.0, 100.0], atol=1e-3)
    # a box that stays inside keeps the image
    assert op(A.Sample(img, [[60, 30, 100, 50]], labels=["in"])) is not None


def test_rotate_full_image_box_with_zero_angle_is_kept():
    img = make_image(30, 50)
    out = A.Rotate(angle_min=0, angle_max=0)(A.Sample(img, [[0, 0, 50, 30]], labels=["all"]))
    np.testing.assert_array_equal(out.boxes, [[0, 0, 50, 30]])
    np.testing.assert_array_equal(out.image, img)


def test_crop_sampling_is_independent_per_side():
    op = A.Crop(crop_percent_min=0.0, crop_percent_max=0.2)
    meta = A.ImageMeta(1000, 1000, 3, np.dtype(np.uint8))
    p = [op.sample(A.rng(0, 0, i), meta) for i in range(2000)]
    tops = np.array([q.top for q in p])
    lefts = np.array([q.left for q in p])
    heights = np.array([1000 - q.top - q.bottom for q in p])
    assert tops.min() <= 2 and tops.max() >= 198 and abs(tops.mean() - 100) < 5
    assert abs(np.corrcoef(tops, lefts)[0, 1]) < 0.1
    assert 600 <= heights.min() and heights.max() <= 1000 and abs(heights.mean() - 800) < 5


def test_crop_rounds_like_imgaug_and_keeps_one_pixel():
    meta = A.ImageMeta(96, 91, 3, np.dtype(np.uint8))
    p = A.Crop(crop_percent_min=0.125, crop_percent_max=0.125).sample(None, meta)
    # 96 * 0.125 = 12 exactly; 91 * 0.125 = 11.375 -> 11
    assert (p.top, p.right, p.bottom, p.left) == (12, 11, 12, 11)
    tiny = A.ImageMeta(3, 3, 3, np.dtype(np.uint8))
    p = A.Crop(crop_percent_min=0.9, crop_percent_max=0.9).sample(None, tiny)
    assert 3 - p.top - p.bottom >= 1 and 3 - p.left - p.right >= 1
    out = A.Crop(crop_percent_min=0.9, crop_percent_max=0.9)(make_image(3, 3))
    assert out.shape[:2] == (1, 1)


def test_crop_keep_size_returns_the_input_size(rgb, boxes):
    out = A.Crop(crop_percent_min=0.1, crop_percent_max=0.2, keep_size=True)(A.Sample(rgb, boxes), seed=0)
    assert out.image.shape == rgb.shape


def test_padding_grows_the_image_with_black(rgb):
    out = A.Padding(px_top=2, px_right=3, px_bottom=4, px_left=5)(rgb)
    assert out.shape == (67 + 6, 91 + 8, 3)
    assert not out[:2].any() and not out[-4:].any() and not out[:, :5].any() and not out[:, -3:].any()
    np.testing.assert_array_equal(out[2:-4, 5:-3], rgb)


def test_resize_scales_boxes(rgb):
    out = A.Resize(height=134, width=182)(A.Sample(rgb, [[10, 10, 20, 30]]))
    assert out.image.shape == (134, 182, 3)
    np.testing.assert_allclose(out.boxes, [[20, 20, 40, 60]])


def test_translate_non_integer_shift_interpolates(rgb):
    out = A.Translate(translate_min=0.1, translate_max=0.1)(rgb)  # 9.1 px
    assert out.shape == rgb.shape
    assert not out[:, :9].any()


@pytest.mark.parametrize("angle", [-60.0, -17.3, 0.0, 33.3, 75.0])
def test_shear_x_matrix_matches_formula(angle):
    meta = A.ImageMeta(100, 200, 3, np.dtype(np.uint8))
    m = A.Shear(shear_min=angle, shear_max=angle).matrix(A.ops.geometric.AngleParams(angle), meta)
    x, y = 37.0, 81.0
    nx, ny = (m @ [x, y, 1.0])[:2]
    assert math.isclose(nx, x - math.tan(math.radians(angle)) * (y - 50), abs_tol=1e-9)
    assert math.isclose(ny, y, abs_tol=1e-9)


@pytest.mark.parametrize(
    "factory,match",
    [
        (lambda: A.Rotate(angle_min="a"), r"Rotate: 'angle_min' must be a finite number in \[-360, 360\] \(got 'a' that is a str\)"),
        (lambda: A.Rotate(angle_max=float("nan")), "Rotate: 'angle_max'"),
        (lambda: A.Flip(lr_ud="diag"), "Flip: 'lr_ud' must be one of 'lr', 'ud'"),
        (lambda: A.Flip(flip_p=1.5), "Flip: 'flip_p'"),
        (lambda: A.Crop(crop_percent_min=0.3, crop_percent_max=0.1), "Crop: 'crop_percent_min' .* must not be greater"),
        (lambda: A.Crop(crop_percent_max=1.0), "Crop: 'crop_percent_max'"),
        (lambda: A.Padding(px_top=-1), "Padding: 'px_top' must be an integer"),
        (lambda: A.Padding(px_left=1.5), "Padding: 'px_left' must be an integer"),
        (lambda: A.Resize(height=0), "Resize: 'height'"),
        (lambda: A.Resize(interpolation="bogus"), "Resize: 'interpolation'"),
        (lambda: A.Scale(scaleXY="Z"), "Scale: 'scaleXY' must be one of 'X', 'Y'"),
        (lambda: A.Scale(scale_min=0), "Scale: 'scale_min'"),
        (lambda: A.Shear(shear_max=90), "Shear: 'shear_max'"),
        (lambda: A.Translate(translate_min=-2), "Translate: 'translate_min'"),
        (lambda: A.Rotate(box_policy="sometimes"), "Rotate: box_policy"),
        (lambda: A.Rotate(box_policy={"mode": "clip", "min_visibility": 0.5}), "min_visibility applies only"),
    ],
)
def test_invalid_parameters_name_operator_and_parameter(factory, match):
    with pytest.raises(A.ConfigError, match=match):
        factory()


def test_case_insensitive_choices_are_canonicalised():
    assert A.Scale(scaleXY="y").scaleXY == "Y"
    assert A.Flip(lr_ud="LR").lr_ud == "lr"
    assert A.Rotate(angle_min=1, angle_max=2).angle_min == 1.0
    assert isinstance(A.Padding(px_top=2.0).px_top, int)


def test_unsupported_image_errors_name_operator_dtype_and_shape():
    with pytest.raises(A.UnsupportedImageError, match=r"Rotate: unsupported image of dtype float64 and shape \(5, 5, 3\)"):
        A.Rotate()(np.zeros((5, 5, 3)))
    with pytest.raises(A.UnsupportedImageError, match=r"shape \(5, 5, 2\)"):
        A.Flip()(np.zeros((5, 5, 2), np.uint8))
    with pytest.raises(A.UnsupportedImageError, match="expected a Sample or a numpy array"):
        A.Flip()([[1, 2]])


def test_evolve_makes_a_validated_copy():
    op = A.Rotate(angle_min=-10, angle_max=10)
    assert op.evolve(angle_max=20) == A.Rotate(angle_min=-10, angle_max=20)
    with pytest.raises(A.ConfigError):
        op.evolve(angle_max="x")
