import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest import (BndBox, Circle, Polygon, VocAnnotation, VocError, VocObject, VocSize,
                      from_boxes, read_voc, voc_to_xyxy, with_boxes, write_voc, xyxy_to_voc)

from ._manifest_helpers import voc_text


def _ann():
    objs = [
        VocObject(name="a", shape=BndBox(1, 1, 10, 20), difficult=0, truncated=1, pose="Left"),
        VocObject(name="poly", shape=Polygon([(5, 5), (9, 5), (7, 8)])),
        VocObject(name="b", shape=BndBox(11, 21, 30, 40), difficult=1, occluded=0, confidence=0.5),
        VocObject(name="c", shape=Circle(50, 50, 5)),
    ]
    return VocAnnotation(filename="x.jpg", size=VocSize(64, 48, 3), objects=objs)


def test_convention_both_ways():
    assert voc_to_xyxy(1, 1, 10, 20) == (0.0, 0.0, 10.0, 20.0)   # first pixel spans [0, 1)
    assert xyxy_to_voc(0, 0, 10, 20) == (1, 1, 10, 20)
    assert xyxy_to_voc(0, 0, 64, 48) == (1, 1, 64, 48)            # full image
    assert xyxy_to_voc(4.6, 0.2, 9.4, 3.5, decimals=None) == (5.6, 1.2, 9.4, 3.5)
    assert [n.text for n in xyxy_to_voc(4.567, 0, 9.5, 3, decimals=2)] == ["5.57", "1", "9.5", "3"]
    assert xyxy_to_voc(10.2, 5, 10.4, 9) == (11, 6, 11, 9)        # never inverted after rounding


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5000), st.integers(1, 5000),
                          st.integers(0, 500), st.integers(0, 500)), max_size=6))
def test_integer_boxes_round_trip(rows):
    objs = [VocObject(name=str(i), shape=BndBox(x, y, x + w, y + h)) for i, (x, y, w, h) in enumerate(rows)]
    ann = VocAnnotation(filename="f", objects=objs)
    b = ann.boxes_array()
    assert b.dtype == np.float32 and b.shape == (len(rows), 4)
    back = with_boxes(ann, b)
    assert back == ann
    assert [tuple(xyxy_to_voc(*r)) for r in b.tolist()] == [o.shape.bounds() for o in objs]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(*[st.floats(0, 4000, allow_nan=False, width=32)] * 2,
                          *[st.floats(1, 100, allow_nan=False, width=32)] * 2), max_size=5))
def test_float_boxes_round_trip_through_text(rows):
    boxes = np.asarray([[x, y, x + w, y + h] for x, y, w, h in rows], np.float32).reshape(-1, 4)
    ann = from_boxes("f.jpg", (4100, 4100), boxes, [str(i) for i in range(len(boxes))], decimals=None)
    data = write_voc(ann)
    again = read_voc(data)
    # the +1 shift of VOC's 1-based text costs float precision near 0: close, not equal ...
    np.testing.assert_allclose(again.boxes_array(), boxes, rtol=1e-6, atol=1e-4)
    # ... and from then on the text is stable: unchanged boxes write the same numbers
    assert write_voc(again.with_boxes(again.boxes_array())) == data


def test_to_boxes_fields_and_index():
    vb = _ann().to_boxes()
    np.testing.assert_array_equal(vb.boxes, np.array([[0, 0, 10, 20], [10, 20, 30, 40]], np.float32))
    assert vb.labels == ["a", "b"] and vb.index.tolist() == [0, 2]
    assert vb.fields["difficult"] == [0, 1] and vb.fields["truncated"] == [1, None]
    assert vb.fields["pose"] == ["Left", None] and vb.fields["confidence"] == [None, 0.5]
    bb = _ann().to_boxes("bbox")
    assert bb.labels == ["a", "poly", "b", "c"]
    np.testing.assert_array_equal(bb.boxes[1], [4, 4, 9, 8])
    np.testing.assert_array_equal(bb.boxes[3], [44, 44, 55, 55])
    with pytest.raises(VocError, match="not a <bndbox>"):
        _ann().to_boxes("error")
    with pytest.raises(VocError, match="other_shapes must be one of"):  # a ValueError too, as before
        _ann().to_boxes("nope")


def test_with_boxes_keep_mask_keeps_fields_in_sync():
    ann = _ann()
    b = ann.boxes_array()
    moved = b + np.float32([5, 0, 5, 0])
    new = ann.with_boxes(moved, np.array([False, True]), size=(80, 48), filename="x_aug.jpg")
    assert [o.name for o in new.objects] == ["b"]                 # polygon and circle dropped
    o = new.objects[0]
    assert (o.difficult, o.occluded, o.confidence) == (1, 0, 0.5)
    assert o.shape.bounds() == (16, 21, 35, 40)
    assert new.filename == "x_aug.jpg" and (new.width, new.height, new.depth) == (80, 48, 3)
    assert ann.objects[2].shape == BndBox(11, 21, 30, 40)           # input untouched
    # already-filtered boxes and index arrays give the same result
    assert ann.with_boxes(moved[1:], np.array([False, True]), size=(80, 48), filename="x_aug.jpg") == new
    assert ann.with_boxes(moved, np.array([1]), size=(80, 48), filename="x_aug.jpg") == new
    empty = ann.with_boxes(np.zeros((0, 4)), np.array([False, False]))
    assert empty.objects == []


def test_unchanged_box_writes_its_original_text():
    ann = read_voc(voc_text().encode())
    b = ann.boxes_array()
    np.testing.assert_array_equal(b, [[46, 9, 100, 200.5]])
    out = write_voc(ann.with_boxes(b, size=(640, 480)))
    assert b"<xmin>47.00</xmin>" in out and b"<ymax>200.5</ymax>" in out
    flipped = b.copy()
    flipped[:, [0, 2]] = 640 - b[:, [2, 0]]        # horizontal flip: x changes, y does not
    out = write_voc(ann.with_boxes(flipped))
    assert b"<xmin>541</xmin>" in out and b"<xmax>594</xmax>" in out
    assert b"<ymin>10</ymin>" in out and b"<ymax>200.5</ymax>" in out


def test_other_shapes_modes():
    ann = _ann()
    b = ann.boxes_array()
    kept = ann.with_boxes(b, other_shapes="keep")
    assert kept == ann
    vb = ann.to_boxes("bbox")
    same = ann.with_boxes(vb.boxes, other_shapes="bbox")
    assert same == ann                              # unchanged shapes are not rewritten
    moved = ann.with_boxes(vb.boxes + 1, other_shapes="bbox")
    assert [type(o.shape) for o in moved.objects] == [BndBox] * 4


def test_parts_dropped_only_when_the_box_moves(real_dir):
    ann = read_voc(real_dir / "voc" / "sdk_voc2012_parts_confidence_no_xml_decl.xml")
    b = ann.boxes_array()
    assert len(ann.with_boxes(b).objects[0].parts) == 4
    assert ann.with_boxes(b + 1).objects[0].parts == []


def test_bad_inputs():
    ann = _ann()
    with pytest.raises(VocError, match="shape"):
        ann.with_boxes(np.zeros((2, 3)))
    with pytest.raises(VocError, match="3 boxes for 2 objects"):
        ann.with_boxes(np.zeros((3, 4)))
    with pytest.raises(VocError, match="keep mask"):
        ann.with_boxes(ann.boxes_array(), np.array([True]))
    with pytest.raises(VocError, match="NaN"):
        ann.with_boxes(np.full((2, 4), np.nan))
    with pytest.raises(VocError, match="labels"):
        from_boxes("a", (1, 1), np.zeros((1, 4)), [])


def test_from_boxes():
    ann = from_boxes("n.jpg", (100, 50), np.array([[0, 0, 10.4, 5.6]], np.float32), ["cat"],
                     {"difficult": np.array([1])})
    o = ann.objects[0]
    assert o.shape == BndBox(1, 1, 10, 6) and o.difficult == 1 and o.pose == "Unspecified"
    assert (ann.width, ann.height, ann.depth) == (100, 50, 3)
    assert read_voc(write_voc(ann)) == ann


def test_size_from_a_numpy_image_shape():
    ann = _ann()
    out = ann.with_boxes(ann.boxes_array(), image_shape=(30, 40, 4))
    assert (out.width, out.height, out.depth) == (40, 30, 4)
    assert ann.with_boxes(ann.boxes_array(), image_shape=(30, 40)).depth == 1
    with pytest.raises(VocError, match="not both"):
        ann.with_boxes(ann.boxes_array(), size=(1, 1), image_shape=(1, 1))
