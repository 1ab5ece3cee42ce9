"""Sample validation, per-box fields, and the box policy."""

from __future__ import annotations

import numpy as np
import pytest

import augment as A
from tests.conftest import make_image


def test_sample_normalises_boxes(rgb):
    s = A.Sample(rgb, [[1, 2, 3, 4]], labels=["a"])
    assert s.boxes.dtype == np.float32 and s.boxes.shape == (1, 4)
    assert A.Sample(rgb).boxes.shape == (0, 4)
    assert A.Sample(rgb, []).boxes.shape == (0, 4)
    assert A.Sample(rgb, [[1, 2, 3, 4]]).labels == [None]


@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"boxes": [[1, 2, 3]]}, A.BoxError, r"shape \(N, 4\)"),
        ({"boxes": [1, 2, 3, 4]}, A.BoxError, r"shape \(N, 4\)"),
        ({"boxes": [["a", 2, 3, 4]]}, A.BoxError, "numeric"),
        ({"boxes": [[1, 2, 3, 4]], "labels": ["a", "b"]}, A.SampleError, "1 boxes but 2 labels"),
        ({"boxes": [[1, 2, 3, 4]], "labels": "a"}, A.SampleError, "not a single string"),
        ({"boxes": [[1, 2, 3, 4]], "fields": {"difficult": [0, 1]}}, A.SampleError, "'difficult' has 2 values for 1 boxes"),
        ({"boxes": [[1, 2, 3, 4]], "fields": {"labels": ["x"]}}, A.SampleError, "reserved"),
    ],
)
def test_sample_structure_errors(rgb, kwargs, error, match):
    with pytest.raises(error, match=match):
        A.Sample(rgb, **kwargs)


def test_sample_image_errors():
    with pytest.raises(A.UnsupportedImageError, match="numpy array"):
        A.Sample([[1]])
    with pytest.raises(A.UnsupportedImageError, match=r"shape \(2, 2, 2, 2\)"):
        A.Sample(np.zeros((2, 2, 2, 2), np.uint8))


@pytest.mark.parametrize(
    "bad,match",
    [
        ([5, 5, 5, 9], r"box 1 is empty or inverted .*\[5.0, 5.0, 5.0, 9.0\]"),
        ([9, 5, 5, 9], "box 1 is empty or inverted"),
        ([5, 9, 9, 5], "box 1 is empty or inverted"),
        ([np.nan, 5, 9, 9], "box 1 has a non-finite coordinate"),
        ([1, 5, np.inf, 9], "box 1 has a non-finite coordinate"),
    ],
)
def test_operators_validate_boxes_and_name_the_index(rgb, bad, match):
    s = A.Sample(rgb, [[1, 1, 4, 4], bad], labels=["ok", "bad"])
    with pytest.raises(A.BoxError, match="Flip: " + match) as info:
        A.Flip()(s)
    assert info.value.index == 1
    # do_validation=False skips the check (ModelArts' switch)
    A.Flip(do_validation=False)(A.Sample(rgb, [[1, 1, 4, 4], [1, 5, 9, 9]]))


def test_sample_is_immutable_and_replace_validates(rgb):
    s = A.Sample(rgb, [[1, 2, 3, 4]], labels=["a"])
    with pytest.raises(AttributeError):
        s.labels = ["b"]
    t = s.replace(labels=["b"])
    assert t.labels == ["b"] and s.labels == ["a"]
    with pytest.raises(A.SampleError):
        s.replace(labels=["a", "b"])


def test_filter_keeps_every_field_in_sync(rgb):
    s = A.Sample(rgb, [[0, 0, 1, 1], [1, 1, 2, 2], [2, 2, 3, 3]], labels=["a", "b", "c"],
                 fields={"difficult": [0, 1, 0], "pose": ["Left", "Right", "Front"]}, meta={"source": "x.jpg"})
    t = s.filter([True, False, True])
    assert t.labels == ["a", "c"]
    assert t.fields["difficult"].tolist() == [0, 0]
    assert t.fields["pose"].tolist() == ["Left", "Front"]
    np.testing.assert_array_equal(t.boxes, [[0, 0, 1, 1], [2, 2, 3, 3]])
    assert t.meta == {"source": "x.jpg"}


# ----------------------------------------------------------------------------- the box policy
IMG = make_image(100, 200)
# A inside; B near the right edge; C at the top-left corner (operator-map.md's boxes)
BOXES = np.array([[60, 30, 100, 50], [170, 10, 195, 90], [0, 0, 20, 20]], np.float32)


def sample():
    return A.Sample(IMG, BOXES, labels=["A", "B", "C"], fields={"difficult": [0, 1, 0]})


def test_clip_is_the_default_and_drops_boxes_left_with_no_area():
    out = A.Scale(scale_min=1.5, scale_max=1.5)(sample())  # B and C leave the image entirely
    assert out.labels == ["A"]
    assert out.fields["difficult"].tolist() == [0]
    np.testing.assert_allclose(out.boxes, [[40, 30, 100, 50]])


def test_clip_keeps_partly_visible_boxes_clipped():
    out = A.Translate(translate_min=0.1, translate_max=0.1)(sample())  # +20 px: B -> 190..215
    assert out.labels == ["A", "B", "C"]
    np.testing.assert_allclose(out.boxes[1], [190, 10, 200, 90])


def test_drop_box_with_min_visibility():
    op = A.Translate(translate_min=0.1, translate_max=0.1, box_policy={"mode": "drop_box", "min_visibility": 0.5})
    out = op(sample())  # B keeps 10 of 25 px of width: 40 % visible -> dropped
    assert out.labels == ["A", "C"]
    assert out.fields["difficult"].tolist() == [0, 0]
    op = op.evolve(box_policy=A.BoxPolicy("drop_box", 0.3))
    assert op(sample()).labels == ["A", "B", "C"]


def test_drop_image_on_any_operator():
    op = A.Translate(translate_min=0.1, translate_max=0.1, box_policy="drop_image")
    assert op(sample()) is None
    assert op.run(sample(), None).dropped.startswith("Translate: box 1 left the image")


def test_pipeline_policy_applies_where_the_operator_sets_none():
    ops = [A.Translate(translate_min=0.1, translate_max=0.1), A.Rotate(angle_min=0, angle_max=0)]
    # pipeline says clip: Translate clips B, Rotate (its default would drop) clips too
    out = A.Pipeline(ops, box_policy="clip")(sample(), index=0)
    assert out.labels == ["A", "B", "C"]
    # no pipeline policy: Translate clips (its default), Rotate(0) keeps the now-inside boxes
    assert A.Pipeline(ops)(sample(), index=0) is not None
    # an operator's own policy wins over the pipeline's
    ops2 = [A.Translate(translate_min=0.1, translate_max=0.1, box_policy="drop_image")]
    assert A.Pipeline(ops2, box_policy="clip")(sample(), index=0) is None
    res = A.Pipeline(ops2, box_policy="clip").run(sample(), index=0)
    assert res.sample is None and "Translate: box 1" in res.dropped and len(res.params) == 1


def test_out_of_canvas_input_boxes_follow_the_policy():
    s = A.Sample(IMG, [[-10, -10, 50, 50], [300, 0, 400, 10]], labels=["partly", "outside"])
    out = A.Flip(lr_ud="ud")(s)
    assert out.labels == ["partly"]
    np.testing.assert_allclose(out.boxes, [[0, 50, 50, 100]])
    assert A.Flip(box_policy="drop_image")(s) is None


def test_policy_config_forms():
    assert A.BoxPolicy("drop_box", 0.25).to_config() == {"mode": "drop_box", "min_visibility": 0.25}
    assert A.BoxPolicy("clip").to_config() == "clip"
    with pytest.raises(A.ConfigError, match="min_visibility must be a number in"):
        A.BoxPolicy("drop_box", 2)
    with pytest.raises(A.ConfigError, match="unknown key"):
        A.Pipeline([], box_policy={"mode": "clip", "extra": 1})


def test_sample_pickles_and_copies(rgb):
    """Samples cross process boundaries (multiprocessing, DataLoader workers) and copy.copy."""
    import copy
    import pickle

    s = A.Sample(rgb, np.array([[1, 2, 30, 40], [5, 5, 9, 9]], np.float32), ["a", None],
                 fields={"difficult": [0, 1]}, meta={"source": "x.jpg"})
    for t in (pickle.loads(pickle.dumps(s)), copy.copy(s), copy.deepcopy(s)):
        assert type(t) is A.Sample and t.labels == s.labels and t.meta == s.meta
        np.testing.assert_array_equal(t.image, s.image)
        np.testing.assert_array_equal(t.boxes, s.boxes)
        np.testing.assert_array_equal(t.fields["difficult"], s.fields["difficult"])
    empty = pickle.loads(pickle.dumps(A.Sample(rgb)))
    assert len(empty) == 0 and empty.boxes.shape == (0, 4)
