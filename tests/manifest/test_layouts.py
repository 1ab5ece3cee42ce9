from pathlib import Path

import pytest

from manifest import LayoutError, from_folder, read_voc, to_folder, write_manifest, read_manifest

from ._manifest_helpers import BMP, JPEG, PNG, voc_text


def _write(p: Path, data):
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        p.write_text(data, encoding="utf-8")
    else:
        p.write_bytes(data)


@pytest.fixture
def imagenet(tmp_path):
    root = tmp_path / "imagenet"
    _write(root / "Cat" / "1.jpg", JPEG)
    _write(root / "Cat" / "2.PNG", PNG)
    _write(root / "Dog" / "3.bmp", BMP)
    _write(root / "Dog" / "broken.jpg", b"not an image")
    _write(root / "Dog" / "notes.md", "ignored")
    return root


@pytest.fixture
def txt_layout(tmp_path):
    root = tmp_path / "txt"
    _write(root / "a.jpg", JPEG)
    _write(root / "a.txt", "cat\ndog\n\n")
    _write(root / "b.jpeg", JPEG)
    _write(root / "b.txt", "cat\n")
    _write(root / "c.jpg", JPEG)                 # no labels
    _write(root / "orphan.txt", "fish\n")       # no image
    _write(root / "bad.jpg", JPEG)
    _write(root / "bad.txt", b"\xff\xfe\xfa")   # not UTF-8
    return root


@pytest.fixture
def voc_layout(tmp_path):
    root = tmp_path / "voc"
    _write(root / "a.jpg", JPEG)
    _write(root / "a.xml", voc_text("a.jpg", "cat"))
    _write(root / "sub" / "b.png", PNG)
    _write(root / "sub" / "b.xml", voc_text("b.png", "dog"))
    _write(root / "c.jpg", JPEG)                            # no xml
    _write(root / "d.xml", voc_text("d.jpg"))               # no image
    _write(root / "e.jpg", JPEG)
    _write(root / "e.xml", "<annotation><object>")          # malformed
    return root


def test_imagenet_folders(imagenet):
    m = from_folder(imagenet, usage="train")
    assert [(Path(s.source).name, s.labels, s.usage) for s in m] == [
        ("1.jpg", ["Cat"], "TRAIN"), ("2.PNG", ["Cat"], "TRAIN"), ("3.bmp", ["Dog"], "TRAIN")]
    assert all(Path(s.source).is_absolute() for s in m)
    from manifest.layouts import UnusedFileError

    assert [(Path(e.path).name, "JPG" in e.reason) for e in m.errors if not isinstance(e, UnusedFileError)] == [
        ("broken.jpg", True)]
    assert [(Path(e.path).name, e.reason) for e in m.errors if isinstance(e, UnusedFileError)] == [
        ("notes.md", "not an image or annotation")]


def test_txt_labels_and_problems(txt_layout):
    m = from_folder(txt_layout, "classification")
    got = {Path(s.source).name: s.labels for s in m}
    assert got == {"a.jpg": ["cat", "dog"], "b.jpeg": ["cat"], "c.jpg": []}
    reasons = {Path(e.path).name: e.reason for e in m.errors}
    assert "without annotation" in reasons["c.jpg"]
    assert "annotation without image" in reasons["orphan.txt"]
    assert "unreadable label file" in reasons["bad.txt"]
    with pytest.raises(LayoutError):
        from_folder(txt_layout, strict=True)


def test_detection_pairs_and_problems(voc_layout, tmp_path):
    m = from_folder(voc_layout)         # auto -> detection (there are .xml files)
    assert [(Path(s.source).name, [Path(x).name for x in s.annotation_locs]) for s in m] == [
        ("a.jpg", ["a.xml"]), ("c.jpg", []), ("b.png", ["b.xml"])]
    assert m[0].annotations[0].annotation_format == "PASCAL VOC"
    reasons = {Path(e.path).name: e.reason for e in m.errors}
    assert set(reasons) == {"c.jpg", "d.xml", "e.xml"}
    assert "malformed XML" in reasons["e.xml"]
    rel = from_folder(voc_layout, relative_to=voc_layout)
    assert rel[0].source == "./a.jpg" and rel[2].annotation_locs == ["./sub/b.xml"]


def test_bad_arguments(tmp_path):
    with pytest.raises(LayoutError, match="unknown layout"):
        from_folder(tmp_path, "yolo")
    with pytest.raises(LayoutError, match="not a folder"):
        from_folder(tmp_path / "missing")


def test_classification_round_trip_through_folders(imagenet, tmp_path):
    m = from_folder(imagenet)
    out = tmp_path / "out"
    assert to_folder(m, out) == []
    again = from_folder(out)
    assert [(Path(s.source).name, s.labels) for s in again] == [(Path(s.source).name, s.labels) for s in m]


def test_multilabel_needs_label_files(txt_layout, tmp_path):
    m = from_folder(txt_layout)
    problems = to_folder(m, tmp_path / "f")
    assert any("2 labels" in p.reason for p in problems)
    assert any("no label" in p.reason for p in problems)
    assert [p for p in to_folder(m, tmp_path / "t", label_files=True) if "2 labels" in p.reason] == []
    again = from_folder(tmp_path / "t")
    assert {Path(s.source).name: s.labels for s in again if s.labels} == {"a.jpg": ["cat", "dog"], "b.jpeg": ["cat"]}


def test_detection_to_folder_from_a_manifest(voc_layout, tmp_path):
    man = tmp_path / "m" / "x.manifest"
    man.parent.mkdir()
    m = from_folder(voc_layout, relative_to=man.parent)
    write_manifest(m, man)
    out = tmp_path / "det"
    problems = to_folder(read_manifest(man), out, "detection")
    assert [p.reason for p in problems] == [f"no annotation-loc, image copied without .xml: {m[1].source}"]
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg", "a.xml", "b.png", "b.xml", "c.jpg"]
    assert read_voc(out / "b.xml").filename == "b.png"
    assert read_voc(out / "a.xml").objects[0].shape.xmin.text == "47.00"


def test_remote_sources_are_reported(tmp_path):
    from manifest import Sample
    problems = to_folder([Sample.classification("obs://b/x.jpg", "cat")], tmp_path / "o")
    assert "remote source" in problems[0].reason


def test_check_annotations_off_keeps_the_sample(tmp_path):
    from manifest.layouts import from_folder

    (tmp_path / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 16)
    (tmp_path / "a.xml").write_text("<annotation><object>")
    checked = from_folder(tmp_path, "detection", check_images=False)
    assert len(checked) == 0 and "unreadable annotation" in str(checked.errors[0])
    unchecked = from_folder(tmp_path, "detection", check_images=False, check_annotations=False)
    assert len(unchecked) == 1 and not unchecked.errors
    assert unchecked[0].annotation_locs[0].endswith("a.xml")
