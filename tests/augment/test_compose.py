"""Composition (#16): a probability on every operator, containers, their JSON, seeding and replay."""

from __future__ import annotations

from collections import Counter

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


# --------------------------------------------------------------------------- containers: values
def test_containers_are_validated_values():
    a, b = A.Blur(), A.Sharpen()
    with pytest.raises(A.ConfigError, match="OneOf: 'ops' is empty"):
        A.OneOf([])
    with pytest.raises(A.ConfigError, match="2 weights for 3 operators"):
        A.OneOf([a, b, a], weights=[1, 2])
    with pytest.raises(A.ConfigError, match="weights\\[1\\]' must be a finite number >= 0"):
        A.OneOf([a, b], weights=[1, -1])
    with pytest.raises(A.ConfigError, match="must not all be 0"):
        A.OneOf([a, b], weights=[0, 0])
    with pytest.raises(A.ConfigError, match="'n' must be an integer in \\[0, 2\\]"):
        A.SomeOf([a, b], n=3)
    with pytest.raises(A.ConfigError, match="'n\\[0\\]' \\(2\\) must not be greater than 'n\\[1\\]' \\(1\\)"):
        A.SomeOf([a, b], n=(2, 1))
    with pytest.raises(A.ConfigError, match="ops\\[1\\] is not an operator \\(got dict\\)"):
        A.Sequential([a, {"name": "Flip"}])
    with pytest.raises(A.ConfigError, match="'ops' must be a list of operators"):
        A.Sequential(a)
    with pytest.raises(A.ConfigError, match="'then' must be an operator"):
        A.Sometimes(0.5, "Flip")
    with pytest.raises(A.ConfigError, match="'p' must be a finite number in \\[0, 1\\]"):
        A.Sometimes(1.5, a)
    with pytest.raises(A.ConfigError, match="'p' must be a finite number in \\[0, 1\\]"):
        A.OneOf([a], p=2)
    one = A.OneOf([a, b], weights=(1, 3))
    assert one == A.OneOf((a, b), weights=[1, 3]) and hash(one) == hash(A.OneOf([a, b], weights=[1, 3]))
    with pytest.raises(AttributeError):
        one.ops = ()  # type: ignore[misc]
    assert isinstance(one, A.Operator) and one.ops == (a, b)
    assert A.Sometimes(0.5, [a, b]).then == A.Sequential([a, b])
    assert A.SomeOf([a, b]).n == (1, None)


def _walk(op):
    from augment.core.compose import Container

    yield op
    if isinstance(op, Container):
        for _, child in op.children():
            yield from _walk(child)


CONTAINER_CASES = [
    A.Sequential([A.Flip(), A.Rotate(angle_min=-5, angle_max=5)]),
    A.Sequential([A.Flip(), A.Blur()], random_order=True, p=0.5, box_policy="drop_box"),
    A.OneOf([A.Blur(), A.MotionBlur(), A.Sharpen()]),
    A.OneOf([A.Blur(), A.Sharpen()], weights=[0.2, 0.8], p=0.7),
    A.SomeOf([A.LightContrast(), A.Saturation(), A.Grayscale()], n=2),
    A.SomeOf([A.LightContrast(), A.Saturation(), A.Grayscale()], n=(0, None), random_order=True),
    A.Sometimes(0.3, A.Rotate()),
    A.Sometimes(0.3, A.Rotate(), A.Flip(lr_ud="ud", p=0.5)),
    A.OneOf(
        [A.SomeOf([A.Blur(), A.Sequential([A.Flip(), A.Sometimes(0.5, A.Crop())])], n=(1, 2)), A.AddNoise(apply_p=0.5)]
    ),
]


@pytest.mark.parametrize("op", CONTAINER_CASES, ids=lambda op: op.name)
def test_container_configs_round_trip_through_json(op):
    import json

    text = json.dumps(op.to_dict())
    back = A.operator_from_dict(json.loads(text))
    assert back == op and back.to_dict() == op.to_dict()
    p = A.Pipeline([A.Flip(), op], seed=3, box_policy="clip")
    q = A.Pipeline.from_config(json.dumps(p.to_config()))
    assert q == p
    s = _sample()
    a, b = p(s, index=4), q(s, index=4)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.boxes, b.boxes)


def test_the_issue_json_shape_is_accepted_and_errors_name_the_place():
    cfg = {"name": "OneOf", "weights": [1, 3], "ops": [{"name": "Blur"}, {"name": "Sharpen"}]}
    op = A.operator_from_dict(cfg)
    assert isinstance(op, A.OneOf) and op.weights == (1.0, 3.0)
    with pytest.raises(A.ConfigError, match="operator 1 \\(SomeOf\\), ops\\[1\\]: missing 'name'"):
        A.Pipeline.from_config([{"name": "Flip"}, {"name": "SomeOf", "ops": [{"name": "Blur"}, {}]}])
    with pytest.raises(A.UnknownOperatorError, match="unknown operator 'Blurr'"):
        A.Pipeline.from_config([{"name": "OneOf", "ops": [{"name": "Blurr"}]}])
    with pytest.raises(A.ConfigError, match="unknown parameter"):
        A.operator_from_dict({"name": "OneOf", "ops": [{"name": "Blur"}], "weight": [1]})
    with pytest.raises(A.ConfigError, match="'ops' must be a list"):
        A.operator_from_dict({"name": "OneOf", "ops": {"name": "Blur"}})
    with pytest.raises(A.UnknownOperatorError, match="did you mean 'OneOf'"):
        A.operator_from_dict({"name": "oneof", "ops": []})
    sometimes = A.operator_from_dict({"name": "Sometimes", "p": 0.5, "then": {"name": "Flip"}, "else_": None})
    assert sometimes == A.Sometimes(0.5, A.Flip())


def test_describe_lists_the_containers():
    from augment.core.registry import describe_operators

    text = describe_operators()
    for name in ("Sequential", "OneOf", "SomeOf", "Sometimes"):
        assert f"\n{name}: " in text


# --------------------------------------------------------------------------- statistics
N_DRAWS = 10_000


def _bound(p: float, n: int = N_DRAWS) -> float:
    """5 standard deviations of a binomial frequency (fails by chance about once in 3.5 million)."""
    return 5 * (p * (1 - p) / n) ** 0.5


TINY = np.zeros((2, 2), np.uint8)


def _ran(params) -> tuple:
    return params.ran


def _draw(op, n: int = N_DRAWS):
    p = A.Pipeline([op], seed=12345)
    return [p(TINY, index=i, return_params=True)[1][0] for i in range(n)]


def test_oneof_frequencies_within_binomial_bounds():
    ops = [
        A.Blur(sigma_min=0, sigma_max=0),
        A.Sharpen(alpha_min=0, alpha_max=0),
        A.LightContrast(func="linear", alpha_min=1, alpha_max=1),
    ]
    weights = [1.0, 2.0, 7.0]
    got = _draw(A.OneOf(ops, weights=weights))
    counts = np.bincount([r.ran[0] for r in got], minlength=3)
    for c, w in zip(counts, weights, strict=True):
        assert abs(c / N_DRAWS - w / 10) < _bound(w / 10), counts
    equal = np.bincount([r.ran[0] for r in _draw(A.OneOf(ops))], minlength=3)
    assert all(abs(c / N_DRAWS - 1 / 3) < _bound(1 / 3) for c in equal), equal
    assert all(r.ran[0] != 0 for r in _draw(A.OneOf(ops, weights=[0, 1, 1]), 2000))


def test_someof_counts_and_picks():
    ops = [A.Blur(sigma_min=0, sigma_max=0) for _ in range(5)]
    got = _draw(A.SomeOf(ops, n=(1, 3)))
    sizes = np.bincount([len(r.ran) for r in got], minlength=4)
    assert sizes[0] == 0 and all(abs(sizes[k] / N_DRAWS - 1 / 3) < _bound(1 / 3) for k in (1, 2, 3)), sizes
    for r in got:
        assert list(r.ran) == sorted(set(r.ran))  # distinct, in list order
    # each operator is in the pick with probability E[k]/5 = 2/5
    picks = np.bincount([i for r in got for i in r.ran], minlength=5)
    assert all(abs(c / N_DRAWS - 0.4) < _bound(0.4) for c in picks), picks
    exact = _draw(A.SomeOf(ops, n=2), 2000)
    assert {len(r.ran) for r in exact} == {2}
    shuffled = _draw(A.SomeOf(ops, n=5, random_order=True), 2000)
    firsts = np.bincount([r.ran[0] for r in shuffled], minlength=5)
    assert all(sorted(r.ran) == [0, 1, 2, 3, 4] for r in shuffled)
    assert all(abs(c / 2000 - 0.2) < _bound(0.2, 2000) for c in firsts), firsts
    assert {r.ran for r in _draw(A.SomeOf(ops, n=0), 50)} == {()}


def test_someof_picks_each_subset_and_order_equally_often():
    """Every pick of k of n is equally likely: the 10 pairs of 5 in list order, the 20 ordered
    pairs with random_order, and Sequential's 6 orders of 3 (each drawn from the table of all
    picks with one draw), and, past the table's size, the index-by-index draw (16 choose 8)."""
    from itertools import combinations, permutations

    ops = [A.Blur(sigma_min=0, sigma_max=0) for _ in range(5)]
    for op, expected in (
        (A.SomeOf(ops, n=2), list(combinations(range(5), 2))),
        (A.SomeOf(ops, n=2, random_order=True), list(permutations(range(5), 2))),
        (A.Sequential(ops[:3], random_order=True), list(permutations(range(3)))),
    ):
        seen = Counter(r.ran for r in _draw(op))
        assert set(seen) == set(expected), (op, seen)
        share = 1 / len(expected)
        assert all(abs(c / N_DRAWS - share) < _bound(share) for c in seen.values()), (op, seen)
    many = [A.Blur(sigma_min=0, sigma_max=0) for _ in range(16)]
    got = _draw(A.SomeOf(many, n=8), 4000)
    assert all(len(r.ran) == 8 and list(r.ran) == sorted(set(r.ran)) for r in got)
    picks = np.bincount([i for r in got for i in r.ran], minlength=16)
    assert all(abs(c / 4000 - 0.5) < _bound(0.5, 4000) for c in picks), picks
    assert len({r.ran for r in got}) > 3000  # of 12,870 subsets: not a few repeated ones
    ordered = _draw(A.SomeOf(many, n=8, random_order=True), 2000)
    assert all(len(set(r.ran)) == 8 for r in ordered)
    firsts = np.bincount([r.ran[0] for r in ordered], minlength=16)
    assert all(abs(c / 2000 - 1 / 16) < _bound(1 / 16, 2000) for c in firsts), firsts


def test_sometimes_p_and_operator_p_within_bounds_and_exact_at_0_and_1():
    blur = A.Blur(sigma_min=0, sigma_max=0)
    got = _draw(A.Sometimes(0.3, blur, A.Sharpen(alpha_min=0, alpha_max=0)))
    then = sum(r.ran == (0,) for r in got)
    assert abs(then / N_DRAWS - 0.3) < _bound(0.3) and all(r.ran in ((0,), (1,)) for r in got)
    assert all(r.ran == () or r.ran == (0,) for r in _draw(A.Sometimes(0.5, blur), 500))
    assert all(r.ran == (0,) for r in _draw(A.Sometimes(1.0, blur), 2000))
    assert all(r.ran == () for r in _draw(A.Sometimes(0.0, blur), 2000))
    skipped = sum(r is SKIPPED for r in _draw(blur.evolve(p=0.25)))
    assert abs(skipped / N_DRAWS - 0.75) < _bound(0.75)
    assert all(r is SKIPPED for r in _draw(A.OneOf([blur], p=0.0), 2000))
    assert all(r is not SKIPPED for r in _draw(A.OneOf([blur], p=1.0), 2000))


def test_nested_containers_multiply_their_probabilities():
    leaf = A.Blur(sigma_min=0, sigma_max=0)
    op = A.OneOf([A.OneOf([leaf, leaf]), A.Sometimes(0.5, leaf)], weights=[1, 1])
    got = _draw(op)
    freq = {
        "inner0": sum(r.ran == (0,) and r.params[0].ran == (0,) for r in got) / N_DRAWS,
        "inner1": sum(r.ran == (0,) and r.params[0].ran == (1,) for r in got) / N_DRAWS,
        "then": sum(r.ran == (1,) and r.params[0].ran == (0,) for r in got) / N_DRAWS,
        "nothing": sum(r.ran == (1,) and r.params[0].ran == () for r in got) / N_DRAWS,
    }
    assert all(abs(v - 0.25) < _bound(0.25) for v in freq.values()), freq
    # independent levels: the inner choice does not follow the outer one
    joint = [(r.ran[0], r.params[0].ran) for r in got]
    assert len(set(joint)) == 4


# --------------------------------------------------------------------------- seeding and replay
REALISTIC = [
    A.Flip(p=0.5),
    A.OneOf([A.Blur(), A.MotionBlur(), A.Sharpen()]),
    A.SomeOf(
        [
            A.LightContrast(),
            A.LightArithmetic(),
            A.Saturation(),
            A.Grayscale(alpha_min=0.2, alpha_max=0.8),
            A.LightContrast(func="linear"),
        ],
        n=2,
    ),
    A.Rotate(angle_min=-10, angle_max=10, p=0.3),
]


def _digest_compose(index: int) -> str:
    import hashlib

    p = A.Pipeline(REALISTIC, seed=99)
    out = p(_sample(index % 3), index=index)
    h = hashlib.sha256(out.image.tobytes())
    h.update(out.boxes.tobytes())
    return h.hexdigest()


def _digests_compose(indices):
    return [_digest_compose(i) for i in indices]


def test_a_seeded_composed_sample_is_the_same_in_any_process_and_worker_count():
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    indices = list(range(24))
    here = _digests_compose(indices)
    assert len(set(here)) > 20
    ctx = mp.get_context("spawn")  # a fresh interpreter: nothing shared with this process
    for workers in (1, 3):
        with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
            chunks = [indices[i::workers] for i in range(workers)]
            got = dict(
                zip(
                    [i for c in chunks for i in c],
                    [d for r in ex.map(_digests_compose, chunks) for d in r],
                    strict=True,
                )
            )
        assert [got[i] for i in indices] == here
    # any call order
    assert [_digest_compose(i) for i in reversed(indices)] == here[::-1]


def test_adding_a_branch_leaves_the_other_draws_alone():
    s = _sample()
    before = A.Pipeline([A.Rotate(box_policy="clip"), A.OneOf([A.Blur(), A.Sharpen()]), A.Translate()], seed=1)
    after = A.Pipeline(
        [A.Rotate(box_policy="clip"), A.OneOf([A.Blur(), A.Sharpen(), A.MotionBlur()]), A.Translate()], seed=1
    )
    for i in range(20):
        _, pa = before(s, index=i, return_params=True)
        _, pb = after(s, index=i, return_params=True)
        assert pa[0] == pb[0] and pa[2] == pb[2]
    # and a child keeps its draws when a sibling is added after it (its stream is its position)
    x = A.Sequential([A.Rotate(box_policy="clip"), A.Blur()])
    y = A.Sequential([A.Rotate(box_policy="clip"), A.Blur(), A.Sharpen()])
    for i in range(10):
        _, px = x(s, seed=4, index=i, return_params=True)
        _, py = y(s, seed=4, index=i, return_params=True)
        assert px.params[:2] == py.params[:2]


def test_replay_is_exact_for_every_container_and_nesting():
    s = _sample()
    for op in CONTAINER_CASES:
        p = A.Pipeline([op, A.LightContrast(p=0.5)], seed=8, box_policy="clip")
        for i in range(12):
            out, params = p(s, index=i, return_params=True)
            again = p(s, index=i + 500, params=params)
            if out is None:
                assert again is None
                continue
            assert np.array_equal(out.image, again.image) and np.array_equal(out.boxes, again.boxes)
            # the container alone, called directly, replays its record too
            direct, rec = op(s, seed=1, index=i, return_params=True)
            redo = op(s, seed=2, params=rec)
            if direct is not None:
                assert np.array_equal(direct.image, redo.image)
    with pytest.raises(A.ConfigError, match="OneOf: params to replay must be the Branches"):
        A.OneOf([A.Blur()])(s, params="nope")
    from augment.core.compose import Branches

    with pytest.raises(A.ConfigError, match="do not fit 1 children"):
        A.OneOf([A.Blur()])(s, params=Branches((3,), (None,)))


def test_bare_images_and_batches_go_through_containers():
    img = make_image(seed=4)
    op = A.Sequential([A.Flip(), A.OneOf([A.LightContrast(), A.Blur()])])
    out, params = op(img, seed=0, return_params=True)
    assert np.array_equal(op(img, params=params), out)
    batch = np.stack([img, img])
    outs = A.Pipeline([op], seed=0)(batch, index=0)
    assert outs.shape == batch.shape
    assert np.array_equal(outs[0], A.Pipeline([op], seed=0)(img, index=0))


def test_nesting_deeper_than_four_levels_is_refused_when_run():
    op = A.Blur()
    for _ in range(4):
        op = A.Sequential([op])
    A.Pipeline([op], seed=0)(TINY, index=0)  # four levels below the pipeline: fine
    with pytest.raises(A.ConfigError, match="nest at most 4 levels"):
        A.Pipeline([A.Sequential([op])], seed=0)(TINY, index=0)


# --------------------------------------------------------------------------- box policy and drops
def _edge_sample() -> A.Sample:
    return A.Sample(make_image(seed=0), [[0, 0, 60, 60]], labels=["a"])  # any rotation moves it out


def test_the_modelarts_drop_rule_inside_a_container_names_the_path():
    s = _edge_sample()
    p = A.Pipeline([A.Flip(), A.Sequential([A.Blur(), A.OneOf([A.Rotate(angle_min=30, angle_max=30)])])], seed=0)
    out = p.run(s, index=0)
    assert out.sample is None
    assert out.dropped.startswith("Rotate: box 0 left the image")
    assert out.dropped.endswith("(at ops[1].ops[1].ops[0]: Sequential > OneOf > Rotate)")
    assert out.params[0] is not None and out.params[1].ran == (0, 1)
    direct = A.OneOf([A.Rotate(angle_min=30, angle_max=30)])
    assert direct(s, seed=0) is None
    # the box policy: the child's own, else the nearest container's, else the pipeline's
    assert A.Pipeline([A.OneOf([A.Rotate(angle_min=30, angle_max=30)], box_policy="clip")], seed=0)(s, index=0)
    assert A.Pipeline([A.OneOf([A.Rotate(angle_min=30, angle_max=30)])], seed=0, box_policy="clip")(s, index=0)
    assert (
        A.Pipeline(
            [A.OneOf([A.Rotate(angle_min=30, angle_max=30, box_policy="drop_image")], box_policy="clip")], seed=0
        )(s, index=0)
        is None
    )
    moved = A.Pipeline([A.Sometimes(1.0, A.Translate(translate_min=0.5, translate_max=0.5))], seed=0)(
        A.Sample(make_image(seed=0), [[10, 10, 30, 30], [70, 10, 80, 20]], labels=["a", "b"]), index=0
    )
    assert moved.labels == ["a"]  # clip (Translate's default) dropped the box that left, kept its label in step


def test_table_operators_fuse_across_containers(monkeypatch):
    import augment.core.compose as C

    calls = []
    real = C.apply_lut

    def counting(image, table):
        calls.append(table)
        return real(image, table)

    monkeypatch.setattr(C, "apply_lut", counting)
    gray = make_image(seed=3)[..., 0]
    s = A.Sample(gray, [[5, 5, 20, 20]], labels=["a"])
    ops = [
        A.Sequential([A.LightContrast(), A.LightContrast(func="linear")]),
        A.SomeOf([A.LightArithmetic(), A.LightContrast(func="log"), A.Blur()], n=2),
        A.Flip(),
    ]
    p = A.Pipeline(ops, seed=2)
    for i in range(30):
        calls.clear()
        out, params = p(s, index=i, return_params=True)
        tables = 2 + sum(k < 2 for k in params[1].ran)
        # the tables in a row (before any Blur) are one pass: 2 from Sequential + the table ops SomeOf chose
        assert len(calls) == 1, (params, len(calls))
        assert tables >= 2
        # equal to applying every operator in turn
        ref = s
        flat = [(ops[0].ops[0], params[0].params[0]), (ops[0].ops[1], params[0].params[1])]
        flat += [(ops[1].ops[k], q) for k, q in zip(params[1].ran, params[1].params, strict=True)]
        flat += [(ops[2], params[2])]
        for op, q in flat:
            ref = op(ref, params=q)
        assert np.array_equal(ref.image, out.image) and np.array_equal(ref.boxes, out.boxes)


def test_containers_hold_the_leaves_for_jobs_that_look_inside():
    from augment.core.compose import leaves

    ops = [A.Flip(), A.OneOf([A.Blur(), A.Sometimes(0.5, A.Rotate(), A.Crop())])]
    assert [op.name for op in leaves(ops)] == ["Flip", "Blur", "Rotate", "Crop"]


def test_decisions_are_counter_based_uniform_and_distinct_per_position():
    from augment.random import CHOICES, GATE, Decisions, LazyRng

    a = [Decisions(7, 0, i, 2, GATE).random() for i in range(N_DRAWS)]
    assert a == [Decisions(7, 0, i, 2, GATE).random() for i in range(N_DRAWS)]  # the same anywhere
    assert all(0.0 <= u < 1.0 for u in a)
    bins = np.bincount((np.array(a) * 10).astype(int), minlength=10)
    assert all(abs(b / N_DRAWS - 0.1) < _bound(0.1) for b in bins), bins
    # another purpose, position, epoch or seed: other values (uncorrelated)
    for other in (
        Decisions(7, 0, 0, 2, CHOICES),
        Decisions(7, 0, 0, 3, GATE),
        Decisions(7, 1, 0, 2, GATE),
        Decisions(8, 0, 0, 2, GATE),
    ):
        assert other.random() != a[0]
    b = [Decisions(7, 0, i, 2, CHOICES).random() for i in range(N_DRAWS)]
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / N_DRAWS**0.5
    many = Decisions(7, 0, 0, 2, GATE).random(5)
    assert many[0] == a[0] and len(set(many)) == 5
    assert Decisions(None, 0, 0, 0, 0).random() != Decisions(None, 0, 0, 0, 0).random()  # fresh entropy
    r = LazyRng(7, 0, 3, 2)
    assert r.decisions(GATE).random() == Decisions(7, 0, 3, 2, GATE).random()
    assert r.child(1).decisions(GATE).random() != r.decisions(GATE).random()


def test_every_container_has_a_round_trip_case():
    from augment.core.compose import CONTAINERS

    covered = {op.name for case in CONTAINER_CASES for op in _walk(case)}
    assert set(CONTAINERS) <= covered, set(CONTAINERS) - covered
    assert set(CONTAINERS) == {"Sequential", "OneOf", "SomeOf", "Sometimes"}


def test_a_container_config_is_checked_like_an_operator_config():
    ok = A.OneOf.check_config({"ops": [{"name": "Blur"}], "weights": [2]})
    assert ok["weights"] == [2.0] and ok["ops"][0]["name"] == "Blur"
    with pytest.raises(A.ConfigError, match="'ops' is empty"):
        A.SomeOf.check_config({"ops": []})
    with pytest.raises(A.ConfigError, match="Blur: 'k_min'"):
        A.Sequential.check_config({"ops": [{"name": "Blur", "k_min": 0}]})


class _Counting:
    """A stand-in for a choice stream that counts its draws."""

    def __init__(self, values):
        self.values, self.drawn = list(values), 0

    def random(self, size=None):
        if size is None:
            self.drawn += 1
            return self.values.pop(0)
        self.drawn += size
        return [self.values.pop(0) for _ in range(size)]


def test_a_choice_takes_as_few_draws_as_documented():
    ops = [A.Blur(sigma_min=0, sigma_max=0) for _ in range(16)]
    for op, draws in (
        (A.SomeOf(ops[:5], n=2), 1),  # one pick among the 10 pairs
        (A.SomeOf(ops[:5], n=(1, 3)), 2),  # the count, then the pick
        (A.SomeOf(ops[:5], n=5), 0),  # all, in order: nothing to draw
        (A.SomeOf(ops[:5], n=0), 0),
        (A.Sequential(ops[:6], random_order=True), 1),  # 720 orders: one draw
        (A.Sequential(ops[:7], random_order=True), 7),  # 5,040: one per position
        (A.SomeOf(ops, n=8), 8),  # 12,870 subsets: one per pick
        (A.OneOf(ops[:3]), 1),
        (A.Sometimes(0.5, ops[0]), 1),
    ):
        rng = _Counting([0.3] * 20)
        op.choose(rng)
        assert rng.drawn == draws, (op, rng.drawn)
        assert op.single_draw() == (draws == 1), op  # the compiled plan's one-draw path


def test_a_subclass_choosing_its_own_way_is_honoured_by_the_compiled_plan():
    class Last(A.OneOf):
        def choose(self, rng):
            rng.random()
            return (len(self.ops) - 1,)

    pipe = A.Pipeline([Last([A.Blur(), A.Sharpen(), A.LightContrast(func="linear")])], seed=0)
    assert pipe._trees is not None
    assert all(pipe(TINY, index=i, return_params=True)[1][0].ran == (2,) for i in range(20))


def test_the_compiled_plan_draws_and_records_as_the_generic_plan():
    """A pipeline plans its tree from positions resolved once (compose.compile_tree); the generic
    per-call plan (compose.plan, still used for replay) must give the same images, boxes, params
    and drop reasons for every sample."""
    leafy = [A.Flip(p=0.6), A.Rotate(angle_min=-80, angle_max=80, p=0.7), A.LightContrast(func="gamma", p=0.5)]
    pipes = [
        A.Pipeline(
            [
                A.Flip(p=0.5),
                A.OneOf(
                    [A.Blur(), A.LightArithmetic(), A.Sometimes(0.5, A.Saturation(), A.Grayscale())], weights=[1, 2, 1]
                ),
                A.SomeOf([*leafy, A.Sequential(leafy, random_order=True), A.LightContrast(func="linear")], n=(0, None)),
            ],
            seed=3,
        ),
        A.Pipeline(
            [A.Sequential([A.OneOf(leafy, box_policy="drop_image"), A.SomeOf(leafy, n=2, random_order=True)], p=0.8)],
            seed=1,
        ),
        A.Pipeline(
            [A.Sometimes(0.3, leafy, A.OneOf(leafy)), A.Rotate(angle_min=-90, angle_max=90, p=0.5)],
            seed=9,
            box_policy="clip",
        ),
        # one draw from a table (unordered, fixed k), and past the tables (7 shuffled: index by index)
        A.Pipeline(
            [A.SomeOf([*leafy, A.Blur()], n=2), A.Sequential([*leafy, *leafy, A.Blur()], random_order=True)], seed=4
        ),
    ]
    s = _sample()
    img = make_image(seed=2)
    for pipe in pipes:
        assert pipe._trees is not None  # the compiled plan is the one that runs
        generic = A.Pipeline(pipe.ops, seed=pipe.seed, box_policy=pipe.box_policy)
        generic._trees = None
        for i in range(60):
            a, b = pipe.run(s, index=i, epoch=i % 2), generic.run(s, index=i, epoch=i % 2)
            assert a.params == b.params and a.dropped == b.dropped
            assert (a.sample is None) == (b.sample is None)
            if a.sample is not None:
                assert np.array_equal(a.sample.image, b.sample.image) and np.array_equal(a.sample.boxes, b.sample.boxes)
            ia, pa = pipe(img, index=i, return_params=True)
            ib, pb = generic(img, index=i, return_params=True)
            assert pa == pb and np.array_equal(ia, ib)
        for i in range(20):
            out = pipe.run(s, index=i)
            if out.sample is not None:
                again = pipe.run(s, index=i, params=out.params)
                assert again.params == out.params and np.array_equal(again.sample.image, out.sample.image)
