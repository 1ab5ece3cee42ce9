"""Counter-based seeding, pipeline configuration, replay."""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import random
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import augment as A
from tests.conftest import make_image

CONFIG = {
    "seed": 1234,
    "box_policy": "clip",
    "ops": [
        {"name": "Flip", "lr_ud": "lr", "flip_p": 0.5},
        {"name": "Rotate", "angle_min": -20, "angle_max": 20},
        {"name": "Crop", "crop_percent_min": 0.0, "crop_percent_max": 0.2},
        {"name": "Translate", "translateXY": "Y", "translate_min": -0.1, "translate_max": 0.1},
    ],
}


def _digest(index: int, epoch: int = 0) -> str:
    p = A.Pipeline.from_config(CONFIG)
    s = A.Sample(make_image(seed=index % 3), [[10, 10, 40, 40], [50, 20, 80, 60]], labels=["a", "b"])
    out = p(s, index=index, epoch=epoch)
    h = hashlib.sha256(out.image.tobytes())
    h.update(out.boxes.tobytes())
    h.update(json.dumps(out.labels).encode())
    return h.hexdigest()


def _digests(indices):
    return [_digest(i) for i in indices]


def test_same_index_same_output_whatever_the_order():
    forward = [_digest(i) for i in range(8)]
    backward = [_digest(i) for i in reversed(range(8))][::-1]
    assert forward == backward
    assert len(set(forward)) == 8  # every index draws differently


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_same_output_in_other_processes_and_worker_counts(method):
    expected = _digests(range(6))
    ctx = mp.get_context(method)
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        chunks = list(pool.map(_digests, [[4, 0, 2], [5, 1, 3]]))
    got = dict(zip([4, 0, 2, 5, 1, 3], chunks[0] + chunks[1]))
    assert [got[i] for i in range(6)] == expected


def test_epochs_draw_new_parameters():
    assert _digest(0, epoch=0) != _digest(0, epoch=1)
    assert _digest(0, epoch=1) == _digest(0, epoch=1)


def test_no_global_random_state_is_read_or_written(rgb, boxes):
    np.random.seed(99)
    random.seed(99)
    np_state, py_state = np.random.get_state()[1].copy(), random.getstate()
    p = A.Pipeline.from_config(CONFIG)
    s = A.Sample(rgb, boxes)
    first = p(s, index=0).image
    p(s)
    A.Rotate()(s)  # unseeded
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    assert random.getstate() == py_state
    np.random.seed(12345)  # changing the global state changes nothing
    np.testing.assert_array_equal(A.Pipeline.from_config(CONFIG)(s, index=0).image, first)


def _unseeded_angle(_):
    meta = A.ImageMeta(10, 10, 3, np.dtype(np.uint8))
    return A.Rotate().run(A.Sample(np.zeros((10, 10, 3), np.uint8)), A.random.LazyRng(None)).params.angle


def test_unseeded_runs_differ_per_call_and_per_forked_worker():
    angles = {_unseeded_angle(0) for _ in range(5)}
    assert len(angles) == 5
    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("fork")) as pool:
        forked = list(pool.map(_unseeded_angle, range(6)))
    assert len(set(forked)) == 6


def test_operator_index_changes_the_stream_but_other_ops_do_not_shift_it(rgb):
    """Adding an operator in front does not change the draws of the others (stream = position)."""
    rot = {"name": "Rotate", "angle_min": -45, "angle_max": 45}
    a = A.Pipeline.from_config([rot, {"name": "Flip"}], seed=3)
    b = A.Pipeline.from_config([rot, {"name": "Flip", "flip_p": 0.5}], seed=3)
    _, pa = a(rgb, index=0, return_params=True)
    _, pb = b(rgb, index=0, return_params=True)
    assert pa[0] == pb[0]


def test_counter_index_when_none_is_given(rgb):
    p = A.Pipeline.from_config([{"name": "Rotate"}], seed=0)
    _, p0 = p(rgb, return_params=True)
    _, p1 = p(rgb, return_params=True)
    assert p0 != p1
    q = A.Pipeline.from_config([{"name": "Rotate"}], seed=0)
    assert q(rgb, return_params=True)[1] == p0  # a fresh pipeline starts again at index 0
    batch = np.stack([rgb, rgb])
    _, pb = q(batch, return_params=True)  # takes indices 1 and 2
    assert q(rgb, return_params=True)[1] != pb[1]


def test_pipeline_config_round_trip_and_forms():
    p = A.Pipeline.from_config(CONFIG)
    cfg = p.to_config()
    assert json.loads(json.dumps(cfg)) == cfg
    assert A.Pipeline.from_config(cfg) == p
    assert A.Pipeline.from_config(json.dumps(cfg)) == p
    assert A.Pipeline.from_config(CONFIG["ops"], seed=1234, box_policy="clip") == p
    assert A.Pipeline.from_config(cfg, seed=5).seed == 5  # explicit arguments win


@pytest.mark.parametrize(
    "config,match",
    [
        ([{"name": "Rotat"}], "unknown operator 'Rotat'"),
        ([{"name": "rotate"}], "did you mean 'Rotate'"),
        ([{"angle_min": 1}], "operator 0: missing 'name'"),
        ([{"name": "Flip"}, "Flip"], "operator 1: expected an object"),
        ({"ops": [], "sed": 1}, "unknown key"),
        ({"seed": 1}, "missing 'ops'"),
        ("{not json", "not valid JSON"),
        ([{"name": "Rotate", "angle_mim": 1}], "Rotate: unknown parameter\\(s\\) 'angle_mim'"),
    ],
)
def test_bad_pipeline_configs(config, match):
    with pytest.raises(A.ConfigError, match=match):
        A.Pipeline.from_config(config)


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_bad_seeds(seed, rgb):
    with pytest.raises(A.ConfigError, match="seed must be a non-negative integer"):
        A.Pipeline([], seed=seed)
    with pytest.raises(A.ConfigError):
        A.Flip()(rgb, seed=seed)


def test_pipeline_replay_with_recorded_params(rgb, boxes):
    p = A.Pipeline.from_config(CONFIG)
    s = A.Sample(rgb, boxes, labels=["a", "b", "c"])
    out, params = p(s, index=4, return_params=True)
    again = A.Pipeline.from_config({**CONFIG, "seed": 999})(s, params=params)
    np.testing.assert_array_equal(out.image, again.image)
    np.testing.assert_array_equal(out.boxes, again.boxes)
    with pytest.raises(A.ConfigError, match="4 operators"):
        p(s, params=params[:2])


def test_single_operator_equals_one_step_pipeline(rgb, boxes):
    op = A.Rotate(angle_min=-30, angle_max=30, box_policy="clip")
    s = A.Sample(rgb, boxes)
    a = op(s, seed=11, index=5, epoch=2)
    b = A.Pipeline([op], seed=11)(s, index=5, epoch=2)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.boxes, b.boxes)


# ----------------------------------------------------------------------------- LUT fusion
LUT_OPS = [
    {"name": "LightContrast", "func": "gamma"},
    {"name": "LightContrast", "func": "sigmoid"},
    {"name": "LightContrast", "func": "log"},
    {"name": "LightContrast", "func": "linear"},
]


@pytest.mark.parametrize("channels", [None, 1, 3, 4])
@pytest.mark.parametrize("extra", [[], [{"name": "LightArithmetic"}], [{"name": "Flip"}]], ids=["luts", "with-arith", "with-flip"])
def test_fused_tables_equal_applying_each_operator(channels, extra, boxes):
    from augment.core.pipeline import _segments

    config = LUT_OPS[:2] + extra + LUT_OPS[2:]
    fused = A.Pipeline.from_config(config, seed=4)
    if extra == []:
        assert _segments(fused.ops) == ((0, 4),)
    img = make_image(c=channels)
    s = A.Sample(img, boxes, labels=["a", "b", "c"])
    out, params = fused(s, index=2, return_params=True)
    ref = s
    for k, op in enumerate(fused.ops):  # one operator at a time, same streams
        ref = op.run(ref, A.random.LazyRng(4, 0, 2, k), policy=fused._policies[k]).sample
    np.testing.assert_array_equal(out.image, ref.image)
    np.testing.assert_array_equal(out.boxes, ref.boxes)
    assert len(params) == len(config)
    np.testing.assert_array_equal(fused(img, index=2), ref.image)
    # replay through the fused path
    np.testing.assert_array_equal(fused(s, params=params).image, out.image)


def test_fusion_still_validates_and_applies_the_policy(rgb):
    p = A.Pipeline.from_config(LUT_OPS, seed=0)
    with pytest.raises(A.BoxError, match="LightContrast: box 0"):
        p(A.Sample(rgb, [[5, 5, 5, 9]]), index=0)
    out = p(A.Sample(rgb, [[-5, -5, 10, 10], [200, 200, 300, 300]], labels=["part", "out"]), index=0)
    assert out.labels == ["part"]
    np.testing.assert_array_equal(out.boxes, [[0, 0, 10, 10]])
    with pytest.raises(A.UnsupportedImageError, match="LightContrast"):
        p(np.zeros((4, 4, 2), np.uint8))


# ----------------------------------------------------------------------------- the generators
def test_lazy_rng_equals_the_public_stream_and_survives_interleaving():
    from augment.random import LazyRng

    expected_a = A.rng(5, 1, 2, 3).random(6)
    expected_b = A.rng(5, 1, 2, 4).random(6)
    a, b = LazyRng(5, 1, 2, 3), LazyRng(5, 1, 2, 4)
    got_a, got_b = [], []
    for _ in range(3):  # interleave two lazy streams on the one shared generator
        got_a.append(a.random(2))
        got_b.append(b.random(2))
    np.testing.assert_array_equal(np.concatenate(got_a), expected_a)
    np.testing.assert_array_equal(np.concatenate(got_b), expected_b)
    assert not LazyRng(5).used


def test_streams_are_distinct_per_coordinate():
    draws = {tuple(A.rng(9, e, i, k).integers(0, 2**62, 4)) for e in range(3) for i in range(3) for k in range(3)}
    assert len(draws) == 27
    assert tuple(A.rng(9).integers(0, 2**62, 4)) != tuple(A.rng(10).integers(0, 2**62, 4))
    assert tuple(A.rng(None).integers(0, 2**62, 4)) != tuple(A.rng(None).integers(0, 2**62, 4))


def test_lazy_rng_in_threads():
    from concurrent.futures import ThreadPoolExecutor
    from augment.random import LazyRng

    def draw(k):
        r = LazyRng(3, 0, k, 0)
        return [float(r.random()) for _ in range(50)]

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(draw, range(16)))
    assert got == [A.rng(3, 0, k, 0).random(50).tolist() for k in range(16)]
