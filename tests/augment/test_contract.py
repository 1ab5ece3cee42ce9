"""The operator contract, checked for every registered operator (see cases.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import augment as A
from augment.random import LazyRng

from tests.conftest import make_image
from .cases import CASES, all_cases

CASE_LIST = list(all_cases())
IDS = [c[0] for c in CASE_LIST]


def build(name, params):
    return A.operator_from_dict({"name": name, **params})


def test_every_operator_has_cases():
    missing = sorted(set(A.OPERATORS) - set(CASES))
    assert not missing, f"operators without an entry in tests/augment/cases.py: {missing}"


@pytest.mark.parametrize("cid,name,params", CASE_LIST, ids=IDS)
def test_config_round_trip(cid, name, params):
    op = build(name, params)
    d = op.to_dict()
    assert d["name"] == name
    text = json.dumps(d)  # JSON-serialisable
    again = A.operator_from_dict(json.loads(text))
    assert again == op
    assert again.to_dict() == d
    assert hash(again) == hash(op)


@pytest.mark.parametrize("cid,name,params", CASE_LIST, ids=IDS)
def test_same_seed_same_output_and_replay(cid, name, params, rgb, boxes):
    op = build(name, params)
    s = A.Sample(rgb, boxes, labels=["a", "b", "c"])
    out1, p1 = op(s, seed=7, index=3, return_params=True)
    out2 = op(s, seed=7, index=3)
    replay = op(s, params=p1)
    if out1 is None:
        assert out2 is None and replay is None
        return
    for other in (out2, replay):
        np.testing.assert_array_equal(out1.image, other.image)
        np.testing.assert_array_equal(out1.boxes, other.boxes)
        assert out1.labels == other.labels


@pytest.mark.parametrize("cid,name,params", CASE_LIST, ids=IDS)
def test_does_not_modify_input(cid, name, params, rgb, boxes):
    op = build(name, params)
    img, bx = rgb.copy(), boxes.copy()
    s = A.Sample(rgb, boxes, labels=["a", "b", "c"], fields={"difficult": [0, 1, 0]})
    op(s, seed=1)
    op(rgb, seed=1)
    np.testing.assert_array_equal(rgb, img)
    np.testing.assert_array_equal(boxes, bx)
    assert s.labels == ["a", "b", "c"]


@pytest.mark.parametrize("cid,name,params", CASE_LIST, ids=IDS)
def test_batch_equals_one_at_a_time(cid, name, params):
    op = build(name, params)
    batch = np.stack([make_image(seed=k) for k in range(3)])
    out, ps = op(batch, seed=5, index=10, return_params=True)
    singles = [op(batch[i], seed=5, index=10 + i) for i in range(3)]
    outs = list(out)
    assert len(outs) == 3 and len(ps) == 3
    for a, b in zip(outs, singles):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cid,name,params", CASE_LIST, ids=IDS)
@pytest.mark.parametrize(
    "shape,dtype",
    [((67, 91), np.uint8), ((67, 91, 1), np.uint8), ((67, 91, 3), np.uint8), ((67, 91, 4), np.uint8),
     ((67, 91, 3), np.uint16), ((67, 91, 3), np.float32)],
    ids=["gray2d", "gray1", "rgb", "rgba", "rgb16", "rgbf32"],
)
def test_shapes_and_dtypes(cid, name, params, shape, dtype):
    op = build(name, params)
    c = shape[2] if len(shape) == 3 else None
    img = make_image(shape[0], shape[1], c, dtype=dtype)
    if dtype not in op.dtypes:
        with pytest.raises(A.UnsupportedImageError, match=name):
            op(img, seed=0)
        return
    out = op(img, seed=0)
    assert out.dtype == img.dtype
    assert out.ndim == img.ndim
    if img.ndim == 3:
        assert out.shape[2] == img.shape[2]


@pytest.mark.parametrize("cid,name,params", CASE_LIST, ids=IDS)
def test_zero_boxes_is_normal(cid, name, params, rgb):
    op = build(name, params)
    out = op(A.Sample(rgb), seed=0)
    assert out is not None
    assert out.boxes.shape == (0, 4) and out.boxes.dtype == np.float32
    assert out.labels == []


@pytest.mark.parametrize("cid,name,params", CASE_LIST, ids=IDS)
def test_boxes_inside_after_policy_and_fields_in_sync(cid, name, params, rgb, boxes):
    op = build(name, params)
    s = A.Sample(rgb, boxes, labels=["a", "b", "c"], fields={"idx": [0, 1, 2]})
    for index in range(5):
        out = op(s, seed=3, index=index)
        if out is None:
            continue
        h, w = out.image.shape[:2]
        b = out.boxes
        assert b.dtype == np.float32 and b.shape[1] == 4
        assert (b[:, 0] >= 0).all() and (b[:, 1] >= 0).all()
        assert (b[:, 2] <= w).all() and (b[:, 3] <= h).all()
        assert (b[:, 0] < b[:, 2]).all() and (b[:, 1] < b[:, 3]).all()
        assert out.labels == ["abc"[i] for i in out.fields["idx"]]


@pytest.mark.parametrize("name", sorted(A.OPERATORS))
def test_unknown_parameter_is_named(name):
    with pytest.raises(A.ConfigError, match=rf"{name}: unknown parameter\(s\) 'no_such_param'"):
        A.operator_from_dict({"name": name, "no_such_param": 1})


@pytest.mark.parametrize("name", sorted(A.OPERATORS))
def test_operators_are_immutable(name):
    op = A.get_operator(name)()
    field = op.own_fields()[0] if op.own_fields() else "do_validation"
    with pytest.raises(AttributeError):
        setattr(op, field, getattr(op, field))


@pytest.mark.parametrize("name", sorted(A.OPERATORS))
def test_do_validation_must_be_bool(name):
    with pytest.raises(A.ConfigError, match=f"{name}: 'do_validation'"):
        A.get_operator(name)(do_validation="yes")


def test_fixed_parameters_draw_nothing(rgb):
    """Operators with fixed parameters never build a generator (it costs ~20 us)."""
    meta = A.ImageMeta(67, 91, 3, np.dtype(np.uint8))
    for op in (A.Flip(), A.Padding(), A.Resize(), A.Rotate(angle_min=5, angle_max=5),
               A.Crop(crop_percent_min=0.1, crop_percent_max=0.1)):
        lazy = LazyRng(0)
        op.sample(lazy, meta)
        assert not lazy.used, op
