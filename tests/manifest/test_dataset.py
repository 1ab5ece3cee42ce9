import os
from collections import Counter

from manifest import (Sample, filter_samples, is_remote, label_counts, labels, read_manifest,
                      resolve_loc, rewrite_prefix, voc_paths)


def _samples():
    return [
        Sample.classification("/data/flowers/a.jpg", ["cat", "dog"], usage="train"),
        Sample.classification("/data/flowers/b.jpg", "dog", usage="EVAL"),
        Sample.detection("/data/flowers/c.jpg", "./voc/c.xml", usage="Train"),
        Sample(source="s3://x/d.jpg"),
    ]


def test_filter_by_usage_and_type():
    s = _samples()
    assert len(list(filter_samples(s, usage="TRAIN"))) == 2
    assert len(list(filter_samples(s, usage=["train", "eval"]))) == 3
    assert len(list(filter_samples(s, usage=""))) == 1
    assert [x.source for x in filter_samples(s, type="object_detection")] == ["/data/flowers/c.jpg"]
    assert len(list(filter_samples(s, usage="train", type="modelarts/image_classification"))) == 1


def test_labels_and_counts():
    assert labels(_samples()) == ["cat", "dog"]
    assert label_counts(_samples()) == Counter({"dog": 2, "cat": 1})


def test_voc_paths_relative_to_the_manifest_folder(real_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    p = real_dir / "manifest" / "sdk_object_detection_relative_annotation_loc.manifest"
    m = read_manifest(p)
    assert m.voc_paths(m[0]) == [str(p.parent.resolve() / "voc" / "2007_000027.xml")]
    assert voc_paths(m[7], p)[1].endswith(os.path.join("voc", "000000089955_1556180702627.xml"))
    assert resolve_loc("s3://b/x.xml", p) == "s3://b/x.xml"
    assert resolve_loc("/abs/x.xml", p) == "/abs/x.xml"
    assert resolve_loc("file:///abs/x.xml", p) == "/abs/x.xml"
    assert is_remote("obs://b/k") and is_remote("content://hello") and not is_remote("./a")


def test_rewrite_prefix_both_ways():
    s = _samples()
    s[2].annotations[0].annotation_loc = "/data/flowers/voc/c.xml"
    obs = list(rewrite_prefix(s, "/data/flowers", "obs://bucket/flowers/"))
    assert [x.source for x in obs] == ["obs://bucket/flowers/a.jpg", "obs://bucket/flowers/b.jpg",
                                       "obs://bucket/flowers/c.jpg", "s3://x/d.jpg"]
    assert obs[2].annotation_locs == ["obs://bucket/flowers/voc/c.xml"]
    assert s[0].source == "/data/flowers/a.jpg"             # input untouched
    back = list(rewrite_prefix(obs, "obs://bucket/flowers", "/data/flowers"))
    assert [x.to_dict() for x in back] == [x.to_dict() for x in s]
    assert obs[0].usage == "TRAIN" and obs[0].to_dict()["usage"] == "TRAIN"
