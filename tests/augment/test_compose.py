"""Composition (#16): a probability on every operator, containers, their JSON, seeding and replay."""

from __future__ import annotations

import numpy as np
import pytest

import augment as A
from augment.core.base import SKIPPED
from tests.conftest import make_image


def _sample(seed: int = 0) -> A.Sample:
    return A.Sample(make_image(seed=seed), [[10, 10, 40, 40], [50, 20, 80, 60]], labels=["a", "b"])


# --------------------------------------------------------------------------- p on every operator
def test_p_one_is_the_operator_unchanged_and_draws_nothing_more():
    s = _sample()
    for op in (A.Rotate(box_policy="clip"), A.LightContrast(), A.Blur(), A.AddNoise(), A.Flip(flip_p=0.5)):
        a, pa = op(s, seed=5, return_params=True)
        b, pb = op.evolve(**{op.gate: 1.0})(s, seed=5, return_params=True)
        assert pa == pb and np.array_equal(a.image, b.image)
        assert op.gate not in op.to_dict()  # configs as before


def test_p_zero_skips_exactly_and_records_it():
    s = _sample()
    for op in (A.Rotate(p=0.0), A.LightContrast(p=0.0), A.AddNoise(apply_p=0.0), A.Crop(p=0.0)):
        for seed in range(20):
            out, params = op(s, seed=seed, return_params=True)
            assert out is s and params is SKIPPED
    img = make_image(seed=1)
    assert A.Blur(p=0.0)(img, seed=0) is img


def test_a_skip_replays_and_a_run_replays():
    s = _sample()
    op = A.Rotate(angle_min=-10, angle_max=10, p=0.5, box_policy="clip")
    seen = set()
    for seed in range(40):
        out, params = op(s, seed=seed, return_params=True)
        seen.add(params is SKIPPED)
        again = op(s, seed=seed + 1000, params=params)
        assert np.array_equal(again.image, out.image) and np.array_equal(again.boxes, out.boxes)
    assert seen == {True, False}


def test_addnoise_keeps_its_modelarts_p():
    op = A.AddNoise(noise_type="Impulse", p=0.2, apply_p=0.5)
    assert op.to_dict()["p"] == 0.2 and op.to_dict()["apply_p"] == 0.5 and op.run_p == 0.5
    assert A.operator_from_dict(op.to_dict()) == op
    assert "p" in A.AddNoise.own_fields() and "apply_p" not in A.AddNoise.own_fields()


def test_flip_p_and_p_combine_as_documented():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    op = A.Flip(flip_p=0.5, p=0.5)
    n = 4000
    flipped = sum(not np.array_equal(op(img, seed=0, index=i), img) for i in range(n))
    # P(flip) = p * flip_p = 0.25; 4.5 sigma
    assert abs(flipped / n - 0.25) < 4.5 * (0.25 * 0.75 / n) ** 0.5


def test_pipeline_gates_each_operator_and_replays():
    ops = [A.Flip(p=0.5), A.LightContrast(p=0.5), A.LightArithmetic(p=0.5), A.Rotate(p=0.5, box_policy="clip")]
    p = A.Pipeline(ops, seed=3)
    g = A.Sample(make_image(seed=2)[..., 0], [[10, 10, 40, 40]], labels=["a"])  # gray: both tables fuse
    kinds = set()
    for i in range(64):
        out, params = p(g, index=i, return_params=True)
        kinds.add(tuple(q is SKIPPED for q in params))
        again = p(g, index=999, params=params)
        assert np.array_equal(again.image, out.image) and np.array_equal(again.boxes, out.boxes)
        # the same as applying the operators that ran, in turn
        ref = g
        for op, q in zip(ops, params, strict=True):
            if q is not SKIPPED:
                ref = op(ref, params=q)
        assert np.array_equal(ref.image, out.image)
    assert len(kinds) > 8


def test_p_in_a_config_round_trips():
    cfg = [{"name": "Rotate", "p": 0.3}, {"name": "AddNoise", "apply_p": 0.25}]
    p = A.Pipeline.from_config(cfg, seed=0)
    assert p.ops[0].p == 0.3 and p.ops[1].run_p == 0.25
    assert A.Pipeline.from_config(p.to_config()) == p
    with pytest.raises(A.ConfigError, match="'p' must be a finite number in \\[0, 1\\]"):
        A.Pipeline.from_config([{"name": "Rotate", "p": 1.5}])
