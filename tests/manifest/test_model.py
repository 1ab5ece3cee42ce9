import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manifest import Annotation, ManifestLineError, Sample
from manifest.model import IMAGE_CLASSIFICATION, OBJECT_DETECTION


def rt(d):
    """dict -> Sample -> dict."""
    return Sample.from_dict(d).to_dict()


def test_documented_fields_are_snake_case_attributes():
    d = {
        "source": "s3://b/a.jpg", "usage": "TRAIN", "id": "x", "inference-loc": "s3://b/a.txt",
        "hard": "true", "hard-coefficient": 0.5, "sample-type": 0, "source-type": "csv",
        "property": {"@modelarts:data_checked": True}, "result": "SUCCESSFUL",
        "error_message": "none",
        "annotation": [{
            "type": OBJECT_DETECTION, "name": "n", "id": "E1", "property": {"a": 1},
            "annotation-loc": "./voc/a.xml", "annotation-format": "PASCAL VOC", "confidence": 0.9,
            "hard": False, "hard-coefficient": 0.1, "annotated-by": "human",
            "creation-time": "2019-02-20 03:16:58",
        }],
    }
    s = Sample.from_dict(d)
    assert (s.inference_loc, s.hard, s.hard_coefficient, s.sample_type, s.source_type) == (
        "s3://b/a.txt", True, 0.5, 0, "csv")
    assert (s.result, s.error_message) == ("SUCCESSFUL", "none")
    a = s.annotations[0]
    assert (a.annotation_loc, a.annotation_format, a.creation_time, a.annotated_by) == (
        "./voc/a.xml", "PASCAL VOC", "2019-02-20 03:16:58", "human")
    assert (a.hard, a.hard_coefficient, a.confidence, a.id, a.task) == (False, 0.1, 0.9, "E1", "object_detection")
    assert s.extra == {} and a.extra == {}
    out = s.to_dict()
    assert out == d and list(out) == list(d)


def test_underscore_keys_read_and_hyphens_written():
    d = {"source": "a", "inference_loc": "b", "annotation": [
        {"type": "t", "annotation_loc": "x.xml", "annotation_format": "PASCAL VOC",
         "creation_time": "c", "annotated_by": "h", "hard_coefficient": 0.2}]}
    s = Sample.from_dict(d)
    assert s.inference_loc == "b" and s.annotations[0].annotation_loc == "x.xml"
    out = s.to_dict()
    assert list(out) == ["source", "inference-loc", "annotation"]
    assert list(out["annotation"][0]) == [
        "type", "annotation-loc", "annotation-format", "creation-time", "annotated-by", "hard-coefficient"]


def test_unknown_keys_kept_in_place():
    d = {"zz": 1, "source": "a", "mid": [1, {"b": 2}], "usage": "train", "annotation": [
        {"x-new": None, "type": "t", "name": "n", "later": "v"}], "last": "L"}
    s = Sample.from_dict(d)
    assert s.extra == {"zz": 1, "mid": [1, {"b": 2}], "last": "L"}
    assert s.annotations[0].extra == {"x-new": None, "later": "v"}
    out = rt(d)
    assert out == d and list(out) == list(d)
    assert list(out["annotation"][0]) == list(d["annotation"][0])


@pytest.mark.parametrize("raw,parsed", [("true", True), ("True", True), ("false", False),
                                        ("FALSE", False), (True, True), (False, False),
                                        (1, True), (0, False), ("1", True), ("0", False)])
def test_hard_all_spellings_parsed_and_written_back(raw, parsed):
    d = {"source": "a", "hard": raw, "annotation": [{"type": "t", "hard": raw}]}
    s = Sample.from_dict(d)
    assert s.hard is parsed and s.annotations[0].hard is parsed
    out = rt(d)
    assert out == d and type(out["hard"]) is type(raw)


def test_hard_changed_is_written_in_documented_form():
    s = Sample.from_dict({"source": "a", "hard": True})
    s.hard = False
    assert s.to_dict()["hard"] == "false"
    s2 = Sample(source="a", hard=True)
    assert s2.to_dict() == {"source": "a", "hard": "true"}


def test_bad_hard_is_an_error():
    with pytest.raises(ManifestLineError, match="'hard' must be true or false"):
        Sample.from_dict({"source": "a", "hard": "maybe"})


def test_usage_case_kept_when_unchanged():
    s = Sample.from_dict({"source": "a", "usage": "inference"})
    assert s.usage == "INFERENCE"
    assert s.to_dict()["usage"] == "inference"
    s.usage = "TRAIN"
    assert s.to_dict()["usage"] == "TRAIN"


def test_property_as_json_string_is_parsed_and_written_back_verbatim():
    raw = "{\"@modelarts:schema\": {\"id\":\"string\"}}"
    d = {"source": "a", "property": raw, "annotation": [{"type": "t", "property": "[{\"type\":0}]"}]}
    s = Sample.from_dict(d)
    assert s.property == {"@modelarts:schema": {"id": "string"}}
    assert s.annotations[0].property == [{"type": 0}]
    assert rt(d) == d
    s.property["@modelarts:schema"]["x"] = "int"   # changed in place: written as an object
    assert s.to_dict()["property"] == {"@modelarts:schema": {"id": "string", "x": "int"}}
    # a string that is not JSON stays a string
    assert Sample.from_dict({"source": "a", "property": "plain"}).property == "plain"


def test_nulls_round_trip():
    d = {"source": "a", "usage": None, "annotation": None, "id": None}
    assert rt(d) == d


@pytest.mark.parametrize("d,msg", [
    ({"usage": "TRAIN"}, "missing required key 'source'"),
    ({"source": None}, "'source' must be a string"),
    ({"source": 3}, "'source' must be a string, got a number"),
    ({"source": "a", "annotation": {"type": "t"}}, "'annotation' must be an array"),
    ({"source": "a", "annotation": ["x"]}, "annotation 0: an annotation must be a JSON object"),
    ({"source": "a", "annotation": [{"name": "x"}]}, "annotation 0: annotation has no 'type'"),
    ({"source": "a", "annotation": [{"type": "t", "confidence": "high"}]}, "'confidence' must be a number"),
    ({"source": "a", "annotation": [{"type": "t"}, {"type": "t", "confidence": True}]},
     "annotation 1: 'confidence' must be a number, got a boolean"),
    ({"source": "a", "sample-type": 1.5}, "'sample-type' must be an integer"),
    ({"source": "a", "usage": 1}, "'usage' must be a string"),
    ([1, 2], "must be a JSON object, got an array"),
])
def test_wrong_types_are_clear_errors(d, msg):
    with pytest.raises(ManifestLineError, match=msg.replace("(", r"\(")):
        Sample.from_dict(d)
    # the module-level parsers raise the public error too (they raised the private _FieldError)
    from manifest.model import annotation_from_dict, sample_from_dict

    with pytest.raises(ManifestLineError, match=msg.replace("(", r"\(")):
        sample_from_dict(d)
    anns = d.get("annotation") if isinstance(d, dict) else None
    if isinstance(anns, list) and anns:
        with pytest.raises(ManifestLineError, match=r"must be|no 'type'"):
            annotation_from_dict(anns[-1])


def test_constructors():
    s = Sample.classification("s3://b/a.jpg", ["cat", "dog"], usage="train")
    assert s.to_dict() == {"source": "s3://b/a.jpg", "usage": "TRAIN", "annotation": [
        {"type": IMAGE_CLASSIFICATION, "name": "cat"}, {"type": IMAGE_CLASSIFICATION, "name": "dog"}]}
    s = Sample.detection("a.jpg", "a.xml", usage="EVAL")
    assert s.to_dict() == {"source": "a.jpg", "usage": "EVAL", "annotation": [
        {"type": OBJECT_DETECTION, "annotation-loc": "a.xml", "annotation-format": "PASCAL VOC"}]}
    assert s.labels == [] and s.annotation_locs == ["a.xml"]
    a = Annotation.classification("cat", annotated_by="human", creation_time="2024-01-01 00:00:00")
    assert list(a.to_dict()) == ["type", "name", "annotated-by", "creation-time"]
    assert Sample.classification("a", "cat").labels == ["cat"]


def test_new_keys_on_a_read_sample_follow_the_read_ones():
    s = Sample.from_dict({"annotation": [], "source": "a"})
    s.usage = "TRAIN"
    s.extra["custom"] = 1
    assert list(s.to_dict()) == ["annotation", "source", "usage", "custom"]


def test_writer_does_not_copy_the_last_annotation():   # Huawei SDK bug
    s = Sample.classification("a", ["cat", "dog"])
    assert [a["name"] for a in s.to_dict()["annotation"]] == ["cat", "dog"]


# ---------------------------------------------------------------------- hypothesis
_text = st.text(max_size=12)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=False, allow_infinity=False), _text)
_json = st.recursive(_scalar, lambda c: st.one_of(st.lists(c, max_size=3),
                                                  st.dictionaries(_text, c, max_size=3)), max_leaves=6)
_hard = st.sampled_from(["true", "false", "True", "FALSE", True, False, 0, 1, "1", "0"])
_usage = st.sampled_from(["TRAIN", "train", "Eval", "inference", "TEST"])
_num = st.one_of(st.integers(0, 100), st.floats(0, 1, allow_nan=False))


def _obj(fields, extra_keys):
    return st.fixed_dictionaries({}, optional=fields).flatmap(
        lambda d: st.dictionaries(extra_keys, _json, max_size=2).flatmap(
            lambda e: st.permutations(list(d.items()) + list(e.items())).map(dict)))


_ann = st.builds(dict, type=st.sampled_from([IMAGE_CLASSIFICATION, OBJECT_DETECTION, "modelarts/text_entity"])).flatmap(
    lambda base: _obj({
        "name": _text, "id": st.one_of(_text, st.integers(0, 9)),
        "property": st.one_of(st.dictionaries(_text, _json, max_size=2),
                              st.dictionaries(_text, _scalar, max_size=2).map(json.dumps)),
        "annotation-loc": _text, "annotation_format": _text, "confidence": _num, "hard": _hard,
        "hard-coefficient": _num, "annotated-by": _text, "creation_time": _text,
    }, st.text(min_size=1, max_size=5).map(lambda k: "x-" + k)).map(lambda d: {**base, **d}))

_sample = st.builds(dict, source=_text).flatmap(lambda base: _obj({
    "usage": _usage, "id": _text, "inference-loc": _text, "hard": _hard, "hard_coefficient": _num,
    "sample-type": st.integers(0, 9), "source-type": _text,
    "property": st.one_of(st.dictionaries(_text, _json, max_size=2), st.just("{\"a\": [1, 2]}")),
    "annotation": st.lists(_ann, max_size=3),
}, st.text(min_size=1, max_size=5).map(lambda k: "y-" + k)).map(lambda d: {**base, **d}))


def _hyphen(d):
    return {k.replace("_", "-") if k in ("annotation_format", "creation_time", "hard_coefficient") else k: v
            for k, v in d.items()}


@settings(max_examples=150, deadline=None)
@given(_sample)
def test_generated_samples_round_trip(d):
    s = Sample.from_dict(d)
    out = s.to_dict()
    expect = _hyphen(d)
    if "annotation" in expect:
        expect["annotation"] = [_hyphen(a) for a in expect["annotation"]]
    assert json.dumps(out) == json.dumps(expect)       # same objects, same key order
    again = Sample.from_dict(json.loads(s.to_json()))
    assert again == s


def test_both_spellings_of_one_key():
    s = Sample.from_dict({"source": "a", "inference_loc": "x", "inference-loc": "y"})
    assert s.inference_loc == "x" and s.extra == {"inference-loc": "y"}
    assert s.to_dict() == {"source": "a", "inference-loc": "x"}   # one key per object: the field wins


def _meta(s):
    return (s._raw, s._order, s.extra, [(a._raw, a._order, a.extra) for a in s.annotations])


@settings(max_examples=150, deadline=None)
@given(_sample)
def test_the_cached_plan_gives_what_the_checking_path_gives(d):
    from manifest import lineparse

    slow = lineparse._slow_sample(d)
    lineparse.parse_sample(d)  # the first of its shape: makes the plan (when it can have one)
    fast = lineparse.parse_sample(d)
    assert fast == slow and _meta(fast) == _meta(slow)
    assert fast.to_dict() == slow.to_dict() and list(fast.to_dict()) == list(slow.to_dict())
    for i, a in enumerate(d.get("annotation") or []):
        assert lineparse.annotation_from_dict(a, i) == lineparse._slow_annotation(a, i)
