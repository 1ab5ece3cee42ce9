import json
from pathlib import Path

import pytest

from manifest import read_manifest, write_manifest, Sample
from manifest.cli import main

from ._manifest_helpers import JPEG, REAL, voc_text


def test_validate_ok_and_problems(tmp_path, capsys):
    good = tmp_path / "good.manifest"
    good.write_text('{"source":"a"}\n', encoding="utf-8")
    bad = tmp_path / "bad.manifest"
    bad.write_text('{"source":"a"}\n{oops}\n{"usage":"TRAIN"}\n', encoding="utf-8")
    assert main(["validate", str(good)]) == 0
    capsys.readouterr()
    assert main(["validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{bad}:2:2: invalid JSON: Expecting property name enclosed in double quotes",
                   f"{bad}:3:1: missing required key 'source'"]
    assert main(["validate", str(tmp_path / "missing.manifest")]) == 1


def test_validate_checks_voc_files(tmp_path, capsys):
    (tmp_path / "a.xml").write_text(voc_text())
    (tmp_path / "b.xml").write_text("<annotation><object><name>x</name></object></annotation>")
    m = tmp_path / "m.manifest"
    write_manifest([Sample.detection("a.jpg", "./a.xml"), Sample.detection("b.jpg", "./b.xml")], m)
    assert main(["validate", str(m)]) == 0
    assert main(["validate", "--voc", str(m)]) == 1
    assert "has no shape" in capsys.readouterr().out


@pytest.mark.skipif(not REAL.is_dir(), reason="shared/real-samples absent")
def test_validate_all_real_manifests(capsys):
    files = sorted(str(p) for p in (REAL / "manifest").iterdir())
    assert main(["validate", *files]) == 0


@pytest.mark.skipif(not REAL.is_dir(), reason="shared/real-samples absent")
def test_stats_table(capsys):
    assert main(["stats", str(REAL / "manifest" / "sdk_classification_plus_detection_mixed_usage.manifest")]) == 0
    out = capsys.readouterr().out
    assert "5 sample(s)" in out
    lines = out.splitlines()
    assert any(ln.split() == ["INFERENCE", "3"] for ln in lines)
    assert any(ln.split() == ["modelarts/object_detection", "2"] for ln in lines)
    assert any(ln.split() == ["Cat", "2", "2"] for ln in lines)


def test_convert_both_ways(tmp_path, capsys):
    src = tmp_path / "imgs"
    for label in ("cat", "dog"):
        (src / label).mkdir(parents=True)
        for i in range(3):
            (src / label / f"{label}{i}.jpg").write_bytes(JPEG)
    man = tmp_path / "out" / "x.manifest"
    man.parent.mkdir()
    assert main(["convert", str(src), str(man), "--usage", "train", "--relative"]) == 0
    m = read_manifest(man)
    assert len(m) == 6 and m[0].source.startswith("./") and m[0].usage == "TRAIN"
    back = tmp_path / "back"
    assert main(["convert", str(man), str(back)]) == 0
    assert sorted(p.name for p in back.iterdir()) == ["cat", "dog"]


def test_split_is_stratified_and_seeded(tmp_path, capsys):
    samples = [Sample.classification(f"{lab}{i}.jpg", lab) for lab, n in (("a", 50), ("b", 10)) for i in range(n)]
    src = tmp_path / "all.manifest"
    write_manifest(samples, src)
    out1, out2 = tmp_path / "s1.manifest", tmp_path / "s2.manifest"
    assert main(["split", str(src), "--train", "0.8", "--seed", "3", "-o", str(out1)]) == 0
    assert main(["split", str(src), "--train", "0.8", "--seed", "3", "-o", str(out2)]) == 0
    assert out1.read_bytes() == out2.read_bytes()
    m = read_manifest(out1)
    per = {(s.labels[0], s.usage) for s in m}
    counts = {k: sum(1 for s in m if (s.labels[0], s.usage) == k) for k in per}
    assert counts == {("a", "TRAIN"): 40, ("a", "EVAL"): 10, ("b", "TRAIN"): 8, ("b", "EVAL"): 2}
    assert [s.source for s in m] == [s.source for s in samples]       # order kept
    assert main(["split", str(src), "--train", "0.7", "--test", "0.1", "--seed", "1", "-o", str(out1)]) == 0
    assert sum(s.usage == "TEST" for s in read_manifest(out1)) == 6
    assert main(["split", str(src), "--train", "0.9", "--test", "0.5"]) == 2


def test_split_to_stdout(tmp_path, capsys):
    src = tmp_path / "all.manifest"
    write_manifest([Sample(source="x")], src)
    assert main(["split", str(src), "--train", "1", "--seed", "0"]) == 0
    assert json.loads(capsys.readouterr().out) == {"source": "x", "usage": "TRAIN"}


def test_console_script_is_declared():
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert 'manifest = "manifest.cli:main"' in text


def test_table_aligns_wide_characters():
    from manifest.cli import _table
    lines = _table(("label", "n"), [("向日葵", 3), ("daisy", 10)]).splitlines()
    assert lines[2] == "向日葵   3" and lines[3] == "daisy   10"
