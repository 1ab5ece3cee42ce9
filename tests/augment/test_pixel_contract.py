"""Contract checks for the 11 pixel operators: config round trip, seeding and replay, inputs not
modified, boxes/labels/fields passed through, shapes and dtypes, alpha untouched, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import augment as A
from augment.core.lut import LutOperator, apply_lut, fuse_tables

from tests.conftest import make_image
from .pixel_cases import PIXEL

CASES = [(f"{n}-{k}", n, p) for n, ps in PIXEL.items() for k, p in enumerate(ps)]
IDS = [c[0] for c in CASES]
UINT8_ONLY = {"HistogramEqual", "LightArithmetic", "Saturation", "Weather"}


def build(name, params):
    return A.operator_from_dict({"name": name, **params})


def test_all_eleven_registered():
    assert set(PIXEL) <= set(A.OPERATORS)
    assert len(PIXEL) == 11


@pytest.mark.parametrize("cid,name,params", CASES, ids=IDS)
def test_round_trip(cid, name, params):
    op = build(name, params)
    d = json.loads(json.dumps(op.to_dict()))
    again = A.operator_from_dict(d)
    assert again == op and again.to_dict() == op.to_dict()
    p = A.Pipeline.from_config({"ops": [d], "seed": 1})
    assert p.to_config()["ops"][0] == op.to_dict()


@pytest.mark.parametrize("cid,name,params", CASES, ids=IDS)
def test_seed_replay_boxes_fields_input(cid, name, params, rgb, boxes):
    op = build(name, params)
    img, bx = rgb.copy(), boxes.copy()
    s = A.Sample(rgb, boxes, labels=["a", "b", "c"], fields={"difficult": [0, 1, 0]})
    out, p = op(s, seed=7, index=3, return_params=True)
    np.testing.assert_array_equal(out.image, op(s, seed=7, index=3).image)
    np.testing.assert_array_equal(out.image, op(s, params=p).image)
    np.testing.assert_array_equal(out.boxes, boxes)
    assert out.labels == ["a", "b", "c"]
    np.testing.assert_array_equal(out.fields["difficult"], [0, 1, 0])
    np.testing.assert_array_equal(rgb, img)
    np.testing.assert_array_equal(boxes, bx)
    assert out.image.shape == rgb.shape and out.image.dtype == rgb.dtype


RANDOM = [c for c in CASES if c[0] not in ("HistogramEqual-0", "LightArithmetic-1", "Grayscale-0", "MotionBlur-1")]


@pytest.mark.parametrize("cid,name,params", RANDOM, ids=[c[0] for c in RANDOM])
def test_different_index_different_output(cid, name, params, rgb):
    op = build(name, params)
    outs = [op(rgb, seed=11, index=i) for i in range(4)]
    assert any(not np.array_equal(outs[0], o) for o in outs[1:])


@pytest.mark.parametrize("cid,name,params", CASES, ids=IDS)
@pytest.mark.parametrize(
    "shape,dtype",
    [((40, 52), np.uint8), ((40, 52, 1), np.uint8), ((40, 52, 4), np.uint8),
     ((40, 52, 3), np.uint16), ((40, 52, 3), np.float32), ((40, 52, 3), np.int16), ((40, 52, 2), np.uint8)],
    ids=["gray2d", "gray1", "rgba", "rgb16", "rgbf32", "int16", "two-channel"],
)
def test_shapes_dtypes_alpha(cid, name, params, shape, dtype):
    op = build(name, params)
    c = shape[2] if len(shape) == 3 else None
    img = make_image(shape[0], shape[1], c, dtype=np.uint8 if dtype == np.int16 else dtype)
    if dtype == np.int16:
        img = img.astype(np.int16)
    keep = img.copy()
    supported = dtype in op.dtypes and (c in (None, 1, 3, 4))
    if name in UINT8_ONLY:
        assert op.dtypes == (np.uint8,)
    if not supported:
        with pytest.raises(A.UnsupportedImageError, match=name) as e:
            op(img, seed=0)
        assert str(np.dtype(dtype)) in str(e.value) and str(shape) in str(e.value)
        return
    out = op(img, seed=0)
    np.testing.assert_array_equal(img, keep)
    assert out.dtype == img.dtype and out.shape == img.shape
    if c == 4:
        np.testing.assert_array_equal(out[..., 3], img[..., 3])
    if dtype == np.float32:
        assert np.isfinite(out).all()


def test_colour_ops_on_gray_say_what_they_do():
    g = make_image(30, 40, None)
    np.testing.assert_array_equal(A.Grayscale()(g, seed=0), g)  # already gray
    np.testing.assert_array_equal(A.Saturation()(g, seed=0), g)  # no hue, no saturation
    la = A.LightArithmetic(mul_min=1.0, mul_max=1.0, add_min=20, add_max=20)
    np.testing.assert_array_equal(la(g, seed=0), np.clip(g.astype(int) + 20, 0, 255))  # gray is Y


@pytest.mark.parametrize(
    "name,params,field",
    [("AddNoise", {"noise_type": "Speckle"}, "noise_type"), ("AddNoise", {"p": 1.5}, "p"),
     ("AddNoise", {"scale": -1}, "scale"), ("Blur", {"sigma_min": 2, "sigma_max": 1}, "sigma_min"),
     ("Blur", {"k_min": 0}, "k_min"), ("CutOut", {"size_max": 1.5}, "size_max"),
     ("CutOut", {"fill_mode": "noise"}, "fill_mode"), ("Grayscale", {"alpha_min": -0.1}, "alpha_min"),
     ("LightArithmetic", {"add_max": 300}, "add_max"), ("LightContrast", {"func": "cubic"}, "func"),
     ("LightContrast", {"gamma_min": 0}, "gamma_min"), ("MotionBlur", {"k_min": 2}, "k_min"),
     ("MotionBlur", {"direction_max": 2}, "direction_max"), ("Saturation", {"mul_min": "x"}, "mul_min"),
     ("Sharpen", {"alpha_max": 2}, "alpha_max"), ("Weather", {"weather_mode": "Hail"}, "weather_mode"),
     ("Weather", {"density_min": -1}, "density_min")],
)
def test_invalid_parameters_name_operator_and_parameter(name, params, field):
    with pytest.raises(A.ConfigError, match=rf"{name}: '{field}'"):
        build(name, params)


def test_lut_operators_fuse_to_the_same_result(rgb):
    ops = [A.LightContrast(func="gamma"), A.LightContrast(func="sigmoid"), A.LightContrast(func="linear")]
    meta = A.ImageMeta(*rgb.shape, rgb.dtype)
    img, tables = rgb, []
    for k, op in enumerate(ops):
        assert isinstance(op, LutOperator)
        p = op.sample(A.rng(5, 0, 0, k), meta)
        tables.append(op.lut(p, meta))
        img = op.apply_image(img, p)
        assert tables[-1].shape == (256,) and tables[-1].dtype == np.uint8
    np.testing.assert_array_equal(apply_lut(rgb, fuse_tables(tables)), img)
    la = A.LightArithmetic()
    assert la.lut(la.sample(A.rng(0), meta), meta) is None  # colour: Y of YCrCb, not one table
    gmeta = A.ImageMeta(67, 91, 0, np.dtype(np.uint8))
    assert la.lut(la.sample(A.rng(0), gmeta), gmeta).shape == (256,)


def test_fixed_ranges_draw_nothing():
    from augment.random import LazyRng
    meta = A.ImageMeta(67, 91, 3, np.dtype(np.uint8))
    for op in (A.LightContrast(gamma_min=1.2, gamma_max=1.2), A.Grayscale(), A.HistogramEqual(),
               A.Sharpen(alpha_min=0.3, alpha_max=0.3, lightness_min=1, lightness_max=1),
               A.Blur(sigma_min=1, sigma_max=1), A.Saturation(mul_min=1.2, mul_max=1.2)):
        lazy = LazyRng(0)
        op.sample(lazy, meta)
        assert not lazy.used, op
