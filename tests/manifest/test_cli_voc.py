"""``manifest convert M DIR --layout voc``: the VOC directory MindSpore's VOCDataset reads.

MindSpore itself reads it in tests/interop/test_mindspore.py; here the layout and the rules."""

import os

import pytest

from manifest import LayoutError, Sample, write_manifest
from manifest.cli import main
from manifest.dataset import mindspore_voc_problems, to_voc_dir
from manifest.voc import read_voc

from ._manifest_helpers import JPEG, PNG


def _box(name, *b):
    return (f"<object><name>{name}</name><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>"
            f"<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>")


def _voc(objects=""):
    return f"<annotation><folder>Images</folder><filename>x.jpg</filename>{objects}</annotation>"


def _dataset(tmp_path, items):
    """items: (stem, image bytes, ext, voc text, usage) -> manifest path (relative paths)."""
    data = tmp_path / "out" / "Data"
    data.mkdir(parents=True)
    samples = []
    for stem, img, ext, text, usage in items:
        (data / f"{stem}{ext}").write_bytes(img)
        (data / f"{stem}.xml").write_text(text, encoding="utf-8")
        samples.append(Sample.detection(f"Data/{stem}{ext}", f"Data/{stem}.xml", usage=usage))
    man = tmp_path / "out" / "output.manifest"
    write_manifest(samples, man)
    return man


def test_layout_sets_and_links(tmp_path, capsys):
    good = _voc(_box("cat", 1, 1, 5, 5))
    man = _dataset(tmp_path, [
        ("a", JPEG, ".jpg", good, "TRAIN"), ("b", PNG, ".png", good, "EVAL"),
        ("c", JPEG, ".jpeg", good, "TEST"), ("d", JPEG, ".jpg", good, None),
    ])
    voc = tmp_path / "voc"
    assert main(["convert", str(man), str(voc), "--layout", "voc"]) == 0
    main_dir = voc / "ImageSets" / "Main"
    sets = {p.stem: p.read_text().split() for p in main_dir.iterdir()}
    assert sets == {"train": ["a"], "eval": ["b"], "val": ["b"], "trainval": ["a", "b"],
                    "test": ["c"], "all": ["a", "b", "c", "d"]}
    # JPEGImages/<id>.jpg whatever the format (MindSpore decodes by content), links by default
    assert sorted(p.name for p in (voc / "JPEGImages").iterdir()) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert os.path.islink(voc / "JPEGImages" / "b.jpg")
    assert (voc / "JPEGImages" / "b.jpg").read_bytes() == PNG
    assert (voc / "Annotations" / "a.xml").read_text() == good
    assert "4 image(s) (train 1, trainval 2, eval 1, val 1, test 1), 0 problem(s)" in capsys.readouterr().err
    # an existing, non-empty folder is refused; --copy copies
    assert main(["convert", str(man), str(voc), "--layout", "voc"]) == 2
    assert main(["convert", str(man), str(tmp_path / "copied"), "--layout", "voc", "--copy"]) == 0
    assert not os.path.islink(tmp_path / "copied" / "JPEGImages" / "a.jpg")


def test_files_mindspore_refuses_are_left_out_and_reported(tmp_path, capsys):
    man = _dataset(tmp_path, [
        ("ok", JPEG, ".jpg", _voc(_box("cat", 1, 1, 5, 5)), "TRAIN"),
        ("empty", JPEG, ".jpg", _voc(), "TRAIN"),
        ("flat", JPEG, ".jpg", _voc(_box("cat", 1, 1, 5, 5) + _box("dog", 3, 1, 3, 5)), "TRAIN"),
        ("zero", JPEG, ".jpg", _voc(_box("cat", 0, 1, 5, 5)), "TRAIN"),
        ("poly", JPEG, ".jpg", _voc("<object><name>p</name><polygon><x1>1</x1><y1>1</y1><x2>4</x2>"
                                     "<y2>4</y2><x3>1</x3><y3>4</y3></polygon></object>"), "TRAIN"),
        ("noname", JPEG, ".jpg", _voc(_box("", 1, 1, 5, 5)), "TRAIN"),
        ("broken", JPEG, ".jpg", "<annotation>", "TRAIN"),
    ])
    voc = tmp_path / "voc"
    assert main(["convert", str(man), str(voc), "--layout", "voc"]) == 1
    out = capsys.readouterr().out
    assert (voc / "ImageSets/Main/train.txt").read_text() == "ok\n"
    for stem, reason in [("empty", "no <object>"), ("flat", "object 2 ('dog') box (3, 1, 3, 5)"),
                         ("zero", "is not 0 < xmin < xmax"), ("poly", "is a polygon"),
                         ("noname", "no named object"), ("broken", "unreadable VOC file")]:
        assert any(f"Data/{stem}.jpg" in ln and reason in ln for ln in out.splitlines()), (stem, out)
    assert sorted(p.name for p in (voc / "Annotations").iterdir()) == ["ok.xml"]


def test_mindspore_voc_problems_of_good_files(tmp_path):
    p = tmp_path / "a.xml"
    p.write_text(_voc(_box("cat", "47.00", "5.5", 600, 480)))   # floats, beyond the image: fine
    assert mindspore_voc_problems(read_voc(p)) == []


def test_to_voc_dir_ids_unique_and_missing_files(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    for d in ("x", "y"):
        (tmp_path / d / "img.jpg").write_bytes(JPEG)
        (tmp_path / d / "img.xml").write_text(_voc(_box("cat", 1, 1, 5, 5)))
    samples = [Sample.detection(str(tmp_path / d / "img.jpg"), str(tmp_path / d / "img.xml"), usage="TRAIN")
               for d in ("x", "y")]
    samples.append(Sample.detection(str(tmp_path / "gone.jpg"), str(tmp_path / "x" / "img.xml"), usage="TRAIN"))
    samples.append(Sample.detection("s3://b/a.jpg", "s3://b/a.xml", usage="TRAIN"))
    samples.append(Sample.classification(str(tmp_path / "x" / "img.jpg"), "cat", usage="TRAIN"))
    res = to_voc_dir(samples, tmp_path / "voc")
    assert res.sets["train"] == ["img", "img_1"] and res.ids == ["img", "img_1"]
    reasons = [e.reason for e in res.problems]
    assert len(reasons) == 3 and all(isinstance(e, LayoutError) for e in res.problems)
    assert "image not found" in reasons[0] and "remote" in reasons[1] and "not a detection" in reasons[2]
    with pytest.raises(LayoutError, match="not an empty folder"):
        to_voc_dir(samples, tmp_path / "voc")


def test_voc_layout_needs_a_manifest(tmp_path, capsys):
    (tmp_path / "f").mkdir()
    assert main(["convert", str(tmp_path / "f"), str(tmp_path / "v"), "--layout", "voc"]) == 2
    assert "written from a manifest" in capsys.readouterr().err
