"""MindSpore (2.x) loads what ``augment run`` writes, as it is or after one documented step.

* ``ManifestDataset(OUT/output.manifest, usage="train"|"eval")`` on classification output:
  counts, labels and decoded shapes equal to ours. Relative ``source`` values resolve against
  the *working directory*, so run from ``OUT`` (or write ``--source-prefix /abs/OUT/``).
* ``VOCDataset(DIR, task="Detection")`` needs ``Annotations/``, ``JPEGImages/<id>.jpg`` and
  ``ImageSets/Main/<usage>.txt``; ``OUT/Data/`` (image + xml side by side) is not that layout.
  ``manifest convert OUT/output.manifest DIR --layout voc`` makes it of links; every file is
  accepted and the boxes are what our own VOC reader reads.
* The MindSpore rules these rest on are pinned here too (``test_fact_*``), so a MindSpore that
  changes them fails here first.

Run by ``.ci/interop.sh`` in a venv with MindSpore; skipped where MindSpore is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("GLOG_v", "3")  # MindSpore's C++ log: errors only
ds = pytest.importorskip("mindspore.dataset")

from augment.imageio import read_image  # noqa: E402
from manifest import Sample, read_manifest, write_manifest  # noqa: E402
from manifest.dataset import mindspore_voc_problems, to_voc_dir  # noqa: E402
from manifest.voc import read_voc  # noqa: E402
from manifest.vocboxes import to_boxes  # noqa: E402

from ._interop import augment, classification_folder, example, manifest_cmd, summary  # noqa: E402

COUNTS = {"cat": 8, "dog": 6, "向日葵": 4}   # a non-ASCII label too


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def ex(tmp_path_factory) -> Path:
    return example(tmp_path_factory.mktemp("ex") / "ex", count=8)


@pytest.fixture(scope="module")
def cls_in(tmp_path_factory) -> Path:
    return classification_folder(tmp_path_factory.mktemp("cls") / "in", COUNTS)


@pytest.fixture(scope="module")
def cls_split(cls_in, ex, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cls-split") / "out"
    augment("run", cls_in, "-o", out, "--ops", ex / "pipeline.json", "--copies", 2,
            "--include-originals", "--split", "train=0.75,eval=0.25", "--seed", 5, "-q")
    return out


def _load_manifest(path: Path, usage: str, class_indexing: dict, **kw) -> list[tuple]:
    d = ds.ManifestDataset(str(path), usage=usage, class_indexing=class_indexing, decode=True,
                           shuffle=False, **kw)
    return [(r["image"], int(r["label"])) for r in d.create_dict_iterator(output_numpy=True, num_epochs=1)]


def _indexing(samples) -> dict:
    return {name: i for i, name in enumerate(sorted({n for s in samples for n in s.labels}))}


# ---------------------------------------------------------------------- ManifestDataset
@pytest.mark.parametrize("usage", ["train", "eval"])
def test_manifest_dataset_reads_classification_output(cls_split, usage, monkeypatch):
    man = cls_split / "output.manifest"
    ours = read_manifest(man)
    want = [s for s in ours if s.usage == usage.upper()]
    assert want, f"no {usage} line"
    index = _indexing(ours)
    monkeypatch.chdir(cls_split)   # MindSpore resolves the relative sources against the CWD
    rows = _load_manifest(man, usage, index)
    assert len(rows) == len(want)
    assert [label for _, label in rows] == [index[s.labels[0]] for s in want]   # file order kept
    for (img, _), s in zip(rows, want):
        mine, _ = read_image(cls_split / s.source)
        assert img.shape == mine.shape, s.source
        # MindSpore's decoder and ours (Pillow) agree to within JPEG decoder rounding
        assert np.abs(img.astype(np.int16) - mine.astype(np.int16)).mean() < 1.0, s.source


def test_split_keeps_copies_of_an_original_in_one_mindspore_set(cls_split, monkeypatch):
    ours = read_manifest(cls_split / "output.manifest")
    index = _indexing(ours)
    monkeypatch.chdir(cls_split)
    loaded = {u: _load_manifest(cls_split / "output.manifest", u, index) for u in ("train", "eval")}
    # every line is in train or eval, none lost, none in both
    assert len(loaded["train"]) + len(loaded["eval"]) == len(ours) == 3 * sum(COUNTS.values())
    sets = defaultdict(set)
    for s in ours:
        assert s.property["augment:copy"] in (-1, 0, 1)
        sets[s.property["augment:original"]].add(s.usage)
    assert len(sets) == sum(COUNTS.values()) and all(len(v) == 1 for v in sets.values())
    # stratified by label: 0.75 of each label's originals (rounded) in train
    per = Counter((s.labels[0], s.usage) for s in ours if s.property["augment:copy"] == -1)
    for label, n in COUNTS.items():
        assert abs(per[label, "TRAIN"] - 0.75 * n) <= 1, (label, per)


def test_folder_output_is_train_by_default_and_usage_sets_it(cls_in, ex, tmp_path, monkeypatch):
    out = tmp_path / "default"
    augment("run", cls_in, "-o", out, "--ops", ex / "pipeline.json", "-q")
    ours = read_manifest(out / "output.manifest")
    index = _indexing(ours)
    monkeypatch.chdir(out)
    assert len(_load_manifest(out / "output.manifest", "train", index)) == len(ours) == sum(COUNTS.values())
    with pytest.raises(RuntimeError, match="no data found"):
        _load_manifest(out / "output.manifest", "eval", index)
    out = tmp_path / "eval"
    augment("run", cls_in, "-o", out, "--ops", ex / "pipeline.json", "--usage", "EVAL", "-q")
    monkeypatch.chdir(out)
    assert len(_load_manifest(out / "output.manifest", "eval", index)) == sum(COUNTS.values())


def test_manifest_input_inherits_usage(cls_in, ex, tmp_path, monkeypatch):
    src = tmp_path / "in.manifest"
    manifest_cmd("convert", cls_in, src)
    manifest_cmd("split", src, "--train", "0.5", "--seed", 1, "-o", src)
    ins = read_manifest(src)
    out = tmp_path / "out"
    augment("run", src, "-o", out, "--ops", ex / "pipeline.json", "--copies", 2, "-q")
    ours = read_manifest(out / "output.manifest")
    usage_in = {s.source: s.usage for s in ins}
    assert all(s.usage == usage_in[s.property["augment:original"]] for s in ours)
    monkeypatch.chdir(out)
    index = _indexing(ours)
    for usage in ("train", "eval"):
        n_in = sum(s.usage == usage.upper() for s in ins)
        assert len(_load_manifest(out / "output.manifest", usage, index)) == 2 * n_in


def test_relative_sources_resolve_against_the_working_directory(cls_in, ex, tmp_path, monkeypatch):
    out = tmp_path / "rel"
    augment("run", cls_in, "-o", out, "--ops", ex / "pipeline.json", "-q")
    man = out / "output.manifest"
    first = read_manifest(man)[0].source
    assert not os.path.isabs(first) and first.startswith("Data/")
    index = _indexing(read_manifest(man))
    monkeypatch.chdir(tmp_path)                         # not the manifest's folder
    with pytest.raises(RuntimeError, match="does not exist"):
        _load_manifest(man, "train", index)
    monkeypatch.chdir(out)
    assert len(_load_manifest(man, "train", index)) == sum(COUNTS.values())
    # an absolute --source-prefix loads from anywhere
    out2 = tmp_path / "abs"
    augment("run", cls_in, "-o", out2, "--ops", ex / "pipeline.json", "-q", "--source-prefix", f"{out2}/")
    monkeypatch.chdir(tmp_path)
    assert len(_load_manifest(out2 / "output.manifest", "train", index)) == sum(COUNTS.values())


def test_property_and_unknown_keys_are_ignored(cls_in, tmp_path):
    img = sorted((cls_in / "cat").iterdir())[0]
    img2 = sorted((cls_in / "dog").iterdir())[0]
    samples = [
        Sample.classification(str(img), "cat", usage="TRAIN",
                              property={"augment:original": "cat/x.jpg", "augment:copy": 0}),
        Sample.classification(str(img2), "dog", usage="train", id="x_aug1", hard=True,
                              property={"augment:original": "dog/y.jpg", "augment:copy": -1,
                                        "@modelarts:schema": {"a": [1, None]}}),
    ]
    samples[1].extra["future-key"] = {"k": [1, 2.5, "v"]}
    samples[1].annotations[0].property = {"color": "brown"}
    samples[1].annotations[0].confidence = 0.9
    man = tmp_path / "p.manifest"
    write_manifest(samples, man)
    assert '"property":{"augment:original":"cat/x.jpg","augment:copy":0}' in man.read_text()
    rows = _load_manifest(man, "train", {"cat": 0, "dog": 1})
    assert [label for _, label in rows] == [0, 1]
    assert rows[0][0].shape == read_image(img)[0].shape


# ---------------------------------------------------------------------- VOCDataset
def _png_detection(ex: Path, dst: Path) -> Path:
    """The example's detection folder as PNG files (augment run keeps the input's format)."""
    dst.mkdir(parents=True)
    for jpg in sorted((ex / "detection").glob("*.jpg")):
        arr, _ = read_image(jpg)
        from PIL import Image
        Image.fromarray(arr).save(dst / (jpg.stem + ".png"))
        ann = read_voc(jpg.with_suffix(".xml"))
        ann.filename = jpg.stem + ".png"
        from manifest.voc import write_voc
        write_voc(ann, dst / (jpg.stem + ".xml"))
    return dst


def _load_voc(root: Path, usage: str, class_indexing: dict) -> list[dict]:
    d = ds.VOCDataset(str(root), task="Detection", usage=usage, class_indexing=class_indexing,
                      decode=True, shuffle=False)
    return list(d.create_dict_iterator(output_numpy=True, num_epochs=1))


@pytest.mark.parametrize("fmt", ["jpg", "png"])
def test_voc_dataset_reads_detection_output(ex, fmt, tmp_path):
    inp = ex / "detection" if fmt == "jpg" else _png_detection(ex, tmp_path / "png-in")
    out = tmp_path / "out"
    augment("run", inp, "-o", out, "--ops", ex / "pipeline.json", "--copies", 3, "--include-originals",
            "--split", "train=0.5,eval=0.5", "--seed", 2, "-q")
    ours = read_manifest(out / "output.manifest")
    assert all(Path(s.source).suffix == f".{fmt}" for s in ours)
    # OUT/Data is the ModelArts layout (image + xml side by side), not a VOC directory
    with pytest.raises((ValueError, RuntimeError), match="ImageSets"):
        ds.VOCDataset(str(out / "Data"), task="Detection", usage="train")
    voc = tmp_path / "voc"
    r = manifest_cmd("convert", out / "output.manifest", voc, "--layout", "voc")
    assert "0 problem(s)" in r.stderr
    index = {"cat": 0, "dog": 1}
    seen = 0
    for usage in ("train", "eval"):
        ids = (voc / "ImageSets" / "Main" / f"{usage}.txt").read_text().split()
        assert len(ids) == sum(s.usage == usage.upper() for s in ours) > 0
        rows = _load_voc(voc, usage, index)
        assert len(rows) == len(ids)                      # every file accepted, none dropped
        for row, iid in zip(rows, ids):
            ann = read_voc(voc / "Annotations" / f"{iid}.xml")
            mine, _ = read_image(voc / "JPEGImages" / f"{iid}.jpg")
            assert row["image"].shape == mine.shape
            vb = to_boxes(ann)
            b = vb.boxes.astype(np.float64)
            # MindSpore gives [xmin, ymin, xmax - xmin, ymax - ymin] of the VOC numbers; ours are
            # continuous 0-based xyxy (xmin - 1, ymin - 1, xmax, ymax): the same integers
            want = np.stack([b[:, 0] + 1, b[:, 1] + 1, b[:, 2] - b[:, 0] - 1, b[:, 3] - b[:, 1] - 1], 1)
            np.testing.assert_allclose(row["bbox"], want, atol=1e-4, err_msg=iid)
            assert row["label"].ravel().tolist() == [index[n] for n in vb.labels]
            assert row["difficult"].ravel().tolist() == [int(d or 0) for d in vb.fields["difficult"]]
            assert row["truncate"].ravel().tolist() == [int(t or 0) for t in vb.fields["truncated"]]
            seen += 1
    assert seen == len(ours) == summary(out)["counts"]["written"]


def test_zero_object_output_is_left_out_of_the_voc_dir(ex, tmp_path):
    inp = tmp_path / "det"
    shutil.copytree(ex / "detection", inp)
    ann = read_voc(inp / "img_05.xml")
    ann.objects = []                                  # a valid ModelArts file: no object
    from manifest.voc import write_voc
    write_voc(ann, inp / "img_05.xml")
    out = tmp_path / "out"
    augment("run", inp, "-o", out, "--ops", ex / "pipeline.json", "-q")
    empty = [s for s in read_manifest(out / "output.manifest")
             if not read_voc(out / s.annotation_locs[0]).objects]
    assert [Path(s.source).stem for s in empty] == ["img_05_aug0"]
    # MindSpore aborts the whole dataset on it ...
    raw = tmp_path / "raw"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (raw / sub).mkdir(parents=True)
    ids = []
    for s in read_manifest(out / "output.manifest"):
        stem = Path(s.source).stem
        os.symlink(out / s.source, raw / "JPEGImages" / f"{stem}.jpg")
        os.symlink(out / s.annotation_locs[0], raw / "Annotations" / f"{stem}.xml")
        ids.append(stem)
    (raw / "ImageSets/Main/train.txt").write_text("\n".join(ids) + "\n")
    with pytest.raises(RuntimeError, match="object is missing"):
        _load_voc(raw, "train", {"cat": 0, "dog": 1})
    # ... so the conversion leaves it out, says so, and the rest loads
    voc = tmp_path / "voc"
    r = manifest_cmd("convert", out / "output.manifest", voc, "--layout", "voc", ok=False)
    assert r.returncode == 1 and "img_05_aug0" in r.stdout and "no <object>" in r.stdout
    assert len(_load_voc(voc, "train", {"cat": 0, "dog": 1})) == len(ids) - 1


# ---------------------------------------------------------------------- facts about MindSpore
def _line(source, **kw) -> str:
    d = {"source": str(source)}
    d.update(kw)
    return json.dumps(d, ensure_ascii=False)


CLS = [{"type": "modelarts/image_classification", "name": "cat"}]


@pytest.mark.parametrize("line,error", [
    (lambda img: _line(img, annotation=CLS), "'usage' is missing"),
    (lambda img: _line(img, usage="TRAIN"), "key 'annotation' not found"),
    (lambda img: _line(img, usage="TRAIN", annotation=[{"type": "x"}]), "'name' attribute of label is missing"),
    (lambda img: _line(img, usage="TRAIN", annotation=CLS)[:-1] + ',"x":NaN}', "invalid literal"),
    (lambda img: _line(img, usage="TRAIN", annotation=CLS)[:-1] + ',"x":1e999}', "number overflow"),
    (lambda img: _line(img, usage="TRAIN", annotation=CLS) + "\n", "empty input"),   # a blank line
    (lambda img: _line(str(img) + ".missing", usage="EVAL", annotation=CLS), "does not exist"),
    (lambda img: _line("s3://bucket/a.jpg", usage="TRAIN", annotation=CLS), "does not exist"),
])
def test_fact_manifest_lines_that_abort_mindspore(cls_in, tmp_path, line, error):
    """One such line aborts the whole dataset; our writer never writes the first five kinds
    (usage, annotation, name are always written; NaN / overflow refused; no blank lines)."""
    img = sorted((cls_in / "cat").iterdir())[0]
    man = tmp_path / "m.manifest"
    man.write_text(_line(img, usage="TRAIN", annotation=CLS) + "\n" + line(img) + "\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match=error):
        _load_manifest(man, "train", {})


def test_fact_manifest_dataset_usage_values(cls_in, tmp_path):
    img = sorted((cls_in / "cat").iterdir())[0]
    man = tmp_path / "m.manifest"
    man.write_text("\n".join([
        _line(img, usage="TRAIN", annotation=CLS), _line(img, usage="train", annotation=CLS),
        _line(img, usage="Eval", annotation=CLS), _line(img, usage="TEST", annotation=CLS),
        _line(img, usage="INFERENCE", annotation=CLS), _line(img, usage="TRAIN", annotation=[]),
    ]) + "\n", encoding="utf-8")
    assert len(_load_manifest(man, "train", {})) == 2        # case-insensitive; [] skipped
    assert len(_load_manifest(man, "eval", {})) == 1
    assert len(_load_manifest(man, "inference", {})) == 1
    # TEST lines cannot be selected: 'test' is not an accepted usage
    with pytest.raises((ValueError, RuntimeError), match="test"):
        _load_manifest(man, "test", {})


def _voc_text(objects: str, w: int = 56, h: int = 40) -> str:
    return (f'<annotation><folder>Images</folder><filename>x.jpg</filename><size><width>{w}</width>'
            f'<height>{h}</height><depth>3</depth></size><segmented>0</segmented>{objects}</annotation>')


def _box(name, xmin, ymin, xmax, ymax) -> str:
    return (f"<object><name>{name}</name><pose>Unspecified</pose><truncated>0</truncated><difficult>0</difficult>"
            f"<bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>")


GOOD = _box("cat", 5, 6, 20, 25)
VOC_CASES = {
    "good": (GOOD, None),
    "float coordinates": (_box("cat", "5.5", "6.00", "20.25", 25), None),
    "box beyond the image": (_box("cat", 5, 6, 99, 99), None),
    "xmin == xmax": (GOOD + _box("dog", 5, 6, 5, 25), "should be greater than 0"),
    "ymin > ymax": (_box("dog", 5, 26, 9, 25), "should be greater than 0"),
    "xmin 0 (0-based)": (_box("cat", 0, 6, 20, 25), "should be greater than 0"),
    "zero objects": ("", "object is missing"),
    "polygon": (GOOD + "<object><name>p</name><polygon><x1>1</x1><y1>1</y1><x2>9</x2><y2>9</y2>"
                "<x3>1</x3><y3>9</y3></polygon></object>", "bndbox is missing"),
}


@pytest.mark.parametrize("case", list(VOC_CASES))
def test_fact_voc_files_that_abort_mindspore(cls_in, tmp_path, case):
    """Each bad file aborts the whole VOCDataset; mindspore_voc_problems flags exactly those,
    and to_voc_dir leaves them out so that the rest loads."""
    objects, error = VOC_CASES[case]
    img = sorted((cls_in / "cat").glob("*.jpg"))[0]
    (tmp_path / "a.xml").write_text(_voc_text(objects))
    (tmp_path / "b.xml").write_text(_voc_text(GOOD))
    raw = tmp_path / "raw"
    for sub in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (raw / sub).mkdir(parents=True)
    for k in "ab":
        shutil.copy(img, raw / "JPEGImages" / f"{k}.jpg")
        shutil.copy(tmp_path / f"{k}.xml", raw / "Annotations" / f"{k}.xml")
    (raw / "ImageSets/Main/train.txt").write_text("a\nb\n")
    flagged = mindspore_voc_problems(read_voc(tmp_path / "a.xml"))
    if error is None:
        assert flagged == [] and len(_load_voc(raw, "train", {})) == 2
    else:
        assert flagged, case
        with pytest.raises(RuntimeError, match=error):
            _load_voc(raw, "train", {})
    samples = [Sample.detection(str(img), str(tmp_path / f"{k}.xml"), usage="TRAIN") for k in "ab"]
    res = to_voc_dir(samples, tmp_path / "voc")
    assert len(res.problems) == (error is not None)
    assert len(_load_voc(tmp_path / "voc", "train", {})) == len(res.sets["train"]) == 2 - (error is not None)


def test_fact_gray_and_rgba_output_decode_to_three_channels(ex, tmp_path, monkeypatch):
    """MindSpore decodes every image to H x W x 3 (gray repeated, alpha dropped); ours keeps
    H x W and H x W x 4. Same height and width, the same file."""
    from PIL import Image
    inp = tmp_path / "in" / "cat"
    inp.mkdir(parents=True)
    g = np.random.default_rng(0)
    Image.fromarray(g.integers(0, 255, (31, 45), np.uint8)).save(inp / "gray.png")
    Image.fromarray(g.integers(0, 255, (33, 47), np.uint8)).save(inp / "gray.jpg", quality=95)
    Image.fromarray(g.integers(0, 255, (35, 49, 4), np.uint8)).save(inp / "rgba.png")
    out = tmp_path / "out"
    augment("run", tmp_path / "in", "-o", out, "--ops", ex / "pipeline.json", "-q")
    ours = read_manifest(out / "output.manifest")
    monkeypatch.chdir(out)
    rows = _load_manifest(out / "output.manifest", "train", {"cat": 0})
    assert len(rows) == len(ours) == 3
    for (img, _), s in zip(rows, ours):
        mine, _ = read_image(out / s.source)
        assert img.shape == mine.shape[:2] + (3,), (s.source, mine.shape)


def test_fact_class_indices_are_per_usage_without_class_indexing(cls_in, tmp_path):
    """Without class_indexing, MindSpore numbers the labels present in the usage read (sorted):
    a label missing from EVAL shifts every index after it. Pass the same class_indexing to
    both (the labels of the whole manifest)."""
    cat = sorted((cls_in / "cat").iterdir())[0]
    dog = sorted((cls_in / "dog").iterdir())[0]
    samples = [Sample.classification(str(cat), "cat", usage="TRAIN"),
               Sample.classification(str(dog), "dog", usage="TRAIN"),
               Sample.classification(str(dog), "dog", usage="EVAL")]
    man = tmp_path / "m.manifest"
    write_manifest(samples, man)
    assert [lab for _, lab in _load_manifest(man, "train", {})] == [0, 1]
    assert [lab for _, lab in _load_manifest(man, "eval", {})] == [0]            # dog is 0 here
    assert [lab for _, lab in _load_manifest(man, "eval", {"cat": 0, "dog": 1})] == [1]


def test_boxes_clipped_to_a_sliver_stay_loadable(tmp_path):
    from PIL import Image
    inp = tmp_path / "in"
    inp.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (48, 64, 3), np.uint8)).save(inp / "a.jpg", quality=95)
    (inp / "a.xml").write_text(_voc_text(_box("cat", 55, 5, 63, 40) + _box("dog", 5, 5, 30, 40), 64, 48))
    ops = tmp_path / "p.json"
    ops.write_text(json.dumps({"seed": 1, "ops": [{"name": "Translate", "translateXY": "X", "translate_min": -0.25,
                                                   "translate_max": 0.25, "box_policy": "clip"}]}))
    out = tmp_path / "out"
    augment("run", inp, "-o", out, "--ops", ops, "--copies", 100, "-q")
    bad = {}
    for s in read_manifest(out / "output.manifest"):
        problems = mindspore_voc_problems(read_voc(out / s.annotation_locs[0]))
        if problems:
            bad[s.source] = problems
    assert bad == {}, f"{len(bad)} of 100: {sorted(bad.items())[:2]}"
