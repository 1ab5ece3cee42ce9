"""What ``augment run`` writes for the consumers that read it (MindSpore, Huawei's SDK, ModelArts
import, ``manifest split``): usage, split per original, provenance, the source line's metadata,
relative paths, exit codes and the warning for a run whose policy dropped most images."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from augment.batch import RunError, parse_split
from augment.cli import main
from manifest import read_manifest
from manifest.vocboxes import from_boxes
from tests.conftest import make_image

FLIP = ["--op", "Flip(lr_ud='lr')", "--seed", "1"]


def _run(*args: str) -> int:
    return main(["run", *args, "--quiet"])


def _classification(folder: Path, per_label: dict[str, int]) -> None:
    for label, n in per_label.items():
        (folder / label).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.fromarray(make_image(24, 32, seed=i)).save(folder / label / f"{label}{i}.jpg")


def _lines(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "output.manifest").read_text(encoding="utf-8").splitlines()]


def test_folder_output_has_usage_train_by_default_and_as_asked(tmp_path):
    src = tmp_path / "in"
    _classification(src, {"cat": 2, "dog": 2})
    assert _run(str(src), "-o", str(tmp_path / "a"), *FLIP) == 0
    assert {ln["usage"] for ln in _lines(tmp_path / "a")} == {"TRAIN"}
    assert _run(str(src), "-o", str(tmp_path / "b"), *FLIP, "--usage", "eval") == 0
    assert {ln["usage"] for ln in _lines(tmp_path / "b")} == {"EVAL"}


def test_split_is_per_original_and_stratified(tmp_path):
    src = tmp_path / "in"
    _classification(src, {"cat": 20, "dog": 10})
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), *FLIP, "--copies", "3", "--include-originals",
                "--split", "train=0.8,eval=0.2") == 0
    by_original: dict[str, set] = {}
    per_label = Counter()
    for ln in _lines(out):
        orig = ln["property"]["augment:original"]
        by_original.setdefault(orig, set()).add(ln["usage"])
        if ln["property"]["augment:copy"] == -1:
            per_label[(orig.split("/")[0], ln["usage"])] += 1
    assert len(by_original) == 30 and all(len(u) == 1 for u in by_original.values())  # no leakage
    assert per_label == {("cat", "TRAIN"): 16, ("cat", "EVAL"): 4, ("dog", "TRAIN"): 8, ("dog", "EVAL"): 2}
    again = tmp_path / "again"
    assert _run(str(src), "-o", str(again), *FLIP, "--copies", "1", "--split", "train=0.8,eval=0.2") == 0
    first = {ln["property"]["augment:original"]: ln["usage"] for ln in _lines(out)}
    assert all(first[ln["property"]["augment:original"]] == ln["usage"] for ln in _lines(again))


@pytest.mark.parametrize("bad", ["train=0.8", "train=0.5,train=0.5", "train=0.8,valid=0.2", "train=1.2,eval=-0.2",
                                 "train", ""])
def test_bad_splits_are_refused(bad):
    with pytest.raises(RunError, match="split"):
        parse_split(bad)


def test_copies_carry_the_source_lines_metadata_by_a_rule_per_key(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(make_image(24, 32)).save(src / "a.jpg")
    Image.fromarray(make_image(24, 32, seed=1)).save(src / "b.jpg")
    (src / "b.xml").write_bytes(from_boxes("b.jpg", (32, 24, 3), np.array([[2, 2, 20, 20]], np.float32),
                                           ["car"]).to_bytes())
    cls = {"source": "in/a.jpg", "usage": "train", "id": "s1", "inference-loc": "in/a_result.txt", "hard": "true",
           "hard-coefficient": 0.5, "sample-type": 0, "property": {"@modelarts:data_checked": True, "site": "A"},
           "my-key": [1, 2],
           "annotation": [{"type": "modelarts/image_classification", "name": "cat", "id": "l1",
                           "property": {"color": "white"}, "hard": False, "hard-coefficient": 0.2,
                           "confidence": 0.9, "annotated-by": "human", "creation-time": "2026-01-01 00:00:00"}]}
    det = {"source": "in/b.jpg", "usage": "EVAL", "annotation": [
        {"type": "modelarts/object_detection", "annotation-loc": "in/b.xml", "annotation-format": "PASCAL VOC",
         "annotated-by": "human", "creation-time": "2026-01-02 00:00:00"}]}
    man = tmp_path / "m.manifest"
    man.write_text(json.dumps(cls) + "\n" + json.dumps(det) + "\n")
    out = tmp_path / "pixel"
    assert _run(str(man), "-o", str(out), "--op", "LightContrast(func='gamma')", "--seed", "1", "--copies", "2",
                "--include-originals") == 0
    lines = _lines(out)
    a = [ln for ln in lines if ln["property"]["augment:original"] == "in/a.jpg"]
    orig, c0, c1 = sorted(a, key=lambda ln: ln["property"]["augment:copy"])
    assert [orig["id"], c0["id"], c1["id"]] == ["s1", "s1_aug0", "s1_aug1"]  # never the same id twice
    for ln in (orig, c0, c1):
        assert ln["usage"] == "train"  # inherited, in the input's spelling
        assert ln["hard"] == "true" and ln["hard-coefficient"] == 0.5 and ln["sample-type"] == 0
        assert ln["my-key"] == [1, 2] and ln["inference-loc"] == "in/a_result.txt"  # pixel-only: still valid
        assert ln["property"]["site"] == "A" and ln["property"]["@modelarts:data_checked"] is True
        ann = ln["annotation"][0]
        assert {k: ann[k] for k in ("name", "property", "hard", "hard-coefficient", "confidence", "annotated-by",
                                    "creation-time")} == {k: cls["annotation"][0][k] for k in (
            "name", "property", "hard", "hard-coefficient", "confidence", "annotated-by", "creation-time")}
    assert c1["annotation"][0]["id"] == "l1_aug1"
    b = [ln for ln in lines if ln["property"]["augment:original"] == "in/b.jpg"]
    assert {ln["usage"] for ln in b} == {"EVAL"}
    for ln in b:
        ann = ln["annotation"][0]
        assert ann["annotation-loc"].startswith("Data/") and ann["annotation-loc"] != "in/b.xml"
        assert (out / ann["annotation-loc"]).exists()
        assert ann["annotated-by"] == "human" and ann["annotation-format"] == "PASCAL VOC"
    geo = tmp_path / "geo"
    assert _run(str(man), "-o", str(geo), "--op", "Flip(lr_ud='lr')", "--seed", "1", "--include-originals") == 0
    by_copy = {ln["property"]["augment:copy"]: ln for ln in _lines(geo)
               if ln["property"]["augment:original"] == "in/a.jpg"}
    assert "inference-loc" not in by_copy[0] and by_copy[-1]["inference-loc"] == "in/a_result.txt"


def test_relative_sources_name_where_they_were_looked_for_and_base_fixes_them(tmp_path, monkeypatch):
    work = tmp_path / "work"
    (work / "images").mkdir(parents=True)
    Image.fromarray(make_image(24, 32)).save(work / "images" / "a.jpg")
    (work / "lists").mkdir()
    man = work / "lists" / "train.manifest"  # written relative to the CWD, as MindSpore reads it
    man.write_text(json.dumps({"source": "images/a.jpg", "annotation": [
        {"type": "modelarts/image_classification", "name": "cat"}]}) + "\n")
    monkeypatch.chdir(work)
    out = tmp_path / "out"
    assert _run(str(man), "-o", str(out), *FLIP) == 4  # nothing written: not a success
    reason = json.loads((out / "summary.json").read_text())["inputs"][0]["results"][0]["reason"]
    assert str(work / "lists" / "images" / "a.jpg") in reason and "--base ." in reason
    assert _run(str(man), "-o", str(tmp_path / "fixed"), *FLIP, "--base", ".") == 0


def test_exit_codes_and_the_warning_when_a_policy_drops_most_images(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        Image.fromarray(make_image(40, 40, seed=i)).save(src / f"{i}.jpg")
        (src / f"{i}.xml").write_bytes(from_boxes(f"{i}.jpg", (40, 40, 3), np.array([[0, 0, 39, 39]], np.float32),
                                                  ["x"]).to_bytes())
    out = tmp_path / "out"
    assert main(["run", str(src), "-o", str(out), "--op", "Rotate(angle_min=30, angle_max=30)", "--seed", "1",
                 "--include-originals"]) == 0  # the originals are written
    err = capsys.readouterr().err
    s = json.loads((out / "summary.json").read_text())
    assert s["counts"]["dropped"] == 3 and s["exit_code"] == 0
    assert "Rotate dropped 3 of 3 augmented images" in s["warnings"][0] and "drop_image" in s["warnings"][0]
    assert 'box_policy="clip"' in err and "WARNING" in err
    assert main(["run", str(src), "-o", str(tmp_path / "none"), "--op", "Rotate(angle_min=30, angle_max=30)",
                 "--seed", "1", "-q"]) == 4
    assert "WARNING" in capsys.readouterr().err  # also when quiet


def test_exit_code_is_in_the_summary_and_documented():
    from augment.batch import EXIT_CODES

    assert set(EXIT_CODES) == {0, 1, 2, 3, 4, 5, 130}
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for code in EXIT_CODES:
        assert f"| {code} |" in readme, code


def test_obs_and_s3_prefixes_are_written_as_given(tmp_path):
    src = tmp_path / "in"
    _classification(src, {"cat": 1})
    for prefix in ("s3://bucket/aug/", "obs://bucket/aug"):
        out = tmp_path / prefix.split(":")[0]
        assert _run(str(src), "-o", str(out), *FLIP, "--source-prefix", prefix) == 0
        assert _lines(out)[0]["source"] == prefix.rstrip("/") + "/Data/cat0_aug0.jpg"
    assert os.path.exists(tmp_path / "s3" / "Data" / "cat0_aug0.jpg")


def test_boxes_clipped_under_a_pixel_are_left_out_and_noted_never_written_degenerate(tmp_path):
    from manifest import read_voc

    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(make_image(48, 64)).save(src / "a.jpg", quality=95)
    (src / "a.xml").write_bytes(from_boxes("a.jpg", (64, 48, 3), np.array([[54, 4, 63, 40], [4, 4, 30, 40]],
                                                                          np.float32), ["cat", "dog"]).to_bytes())
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), "--op", "Translate(translate_min=-0.25, translate_max=0.25, "
                "box_policy='clip')", "--seed", "1", "--copies", "100") == 0
    noted = 0
    for res in json.loads((out / "summary.json").read_text())["inputs"][0]["results"]:
        noted += sum("under one pixel" in n for n in res.get("notes", []))
        for o in read_voc(out / "Data" / res["files"][1]).objects:
            b = o.shape
            assert float(b.xmin.text) < float(b.xmax.text) and float(b.ymin.text) < float(b.ymax.text)
    assert noted > 0  # the slivers happened and were reported
