import json
from collections import Counter
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


def test_validate_and_stats_say_which_voc_files_in_object_storage_they_did_not_read(tmp_path, capsys):
    (tmp_path / "a.xml").write_text(voc_text())
    m = tmp_path / "m.manifest"
    write_manifest([Sample.detection("a.jpg", "./a.xml"), Sample.detection("s3://b/x.jpg", "s3://b/x.xml"),
                    Sample.detection("obs://b/y.jpg", "obs://b/y.xml")], m)
    assert main(["validate", "--voc", str(m)]) == 0
    err = capsys.readouterr().err
    assert "3 valid sample(s), 0 problem(s)" in err
    assert "2 annotation file(s) in object storage not read" in err
    assert main(["stats", "--voc", str(m)]) == 0
    assert "2 annotation file(s) in object storage not read" in capsys.readouterr().err


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


def _augmented(originals, copies, *, include_originals=False, prefix="img"):
    """Samples as `augment run` writes them: property records the original and the copy."""
    out = []
    for i, lab in enumerate(originals):
        ks = ([-1] if include_originals else []) + list(range(copies))
        for k in ks:
            name = f"{prefix}_{i:02d}" + ("" if k < 0 else f"_aug{k}")
            out.append(Sample.classification(
                f"Data/{name}.jpg", lab, usage="TRAIN",
                property={"augment:original": f"{lab}/{prefix}_{i:02d}.jpg", "augment:copy": k}))
    return out


def _sets_of_originals(m):
    sets = {}
    for s in m:
        sets.setdefault(s.property["augment:original"], set()).add(s.usage)
    return sets


def test_split_keeps_copies_of_one_original_together(tmp_path, capsys):
    labels = ["cat"] * 30 + ["dog"] * 10
    samples = _augmented(labels, 2)
    src = tmp_path / "aug.manifest"
    write_manifest(samples, src)
    out = tmp_path / "split.manifest"
    for seed in range(5):
        assert main(["split", str(src), "--train", "0.8", "--seed", str(seed), "-o", str(out)]) == 0
        m = read_manifest(out)
        sets = _sets_of_originals(m)
        assert len(sets) == 40 and all(len(v) == 1 for v in sets.values()), sets
        # img_03_aug0 and img_03_aug1 share a set
        by_src = {s.source: s.usage for s in m}
        assert by_src["Data/img_03_aug0.jpg"] == by_src["Data/img_03_aug1.jpg"]
        # ratios per label as asked (24/6 cats, 8/2 dogs: in originals, twice in samples)
        got = Counter((s.labels[0], s.usage) for s in m)
        assert got == {("cat", "TRAIN"): 48, ("cat", "EVAL"): 12, ("dog", "TRAIN"): 16, ("dog", "EVAL"): 4}
        assert [s.property for s in m] == [s.property for s in samples]   # property kept
    assert "40 original(s) kept whole" in capsys.readouterr().err


def test_split_groups_include_originals_and_uneven_groups(tmp_path):
    # originals with their --include-originals copy (-1) and 3 augmented copies: groups of 4
    samples = _augmented(["a"] * 20 + ["b"] * 5, 3, include_originals=True)
    src = tmp_path / "aug.manifest"
    write_manifest(samples, src)
    out = tmp_path / "split.manifest"
    assert main(["split", str(src), "--train", "0.6", "--test", "0.2", "--seed", "7", "-o", str(out)]) == 0
    m = read_manifest(out)
    assert all(len(v) == 1 for v in _sets_of_originals(m).values())
    got = Counter((s.labels[0], s.usage) for s in m)
    assert got == {("a", "TRAIN"): 48, ("a", "TEST"): 16, ("a", "EVAL"): 16,
                   ("b", "TRAIN"): 12, ("b", "TEST"): 4, ("b", "EVAL"): 4}


def test_split_mixed_grouped_and_ungrouped(tmp_path):
    plain = [Sample.classification(f"plain/{lab}{i}.jpg", lab) for lab, n in (("a", 50), ("b", 10)) for i in range(n)]
    aug = _augmented(["a"] * 10 + ["b"] * 10, 2, prefix="aug")
    src = tmp_path / "mixed.manifest"
    write_manifest(plain + aug, src)
    out = tmp_path / "split.manifest"
    assert main(["split", str(src), "--train", "0.8", "--seed", "11", "-o", str(out)]) == 0
    m = read_manifest(out)
    assert [s.source for s in m] == [s.source for s in plain + aug]      # order kept
    assert all(len(v) == 1 for v in _sets_of_originals(s for s in m if s.property).values())
    # a: 50 lone + 10 groups of 2 = 70 samples -> 56 / 14; b: 10 + 10 x 2 = 30 -> 24 / 6; a set
    # boundary that falls inside a group moves it by at most half a group (here: 1 sample)
    for seed in range(8):
        assert main(["split", str(src), "--train", "0.8", "--seed", str(seed), "-o", str(out)]) == 0
        m = read_manifest(out)
        assert all(len(v) == 1 for v in _sets_of_originals(s for s in m if s.property).values())
        got = Counter((s.labels[0], s.usage) for s in m)
        assert abs(got["a", "TRAIN"] - 56) <= 1 and got["a", "TRAIN"] + got["a", "EVAL"] == 70
        assert abs(got["b", "TRAIN"] - 24) <= 1 and got["b", "TRAIN"] + got["b", "EVAL"] == 30
    assert main(["split", str(src), "--train", "0.8", "--seed", "11", "-o", str(out)]) == 0
    again = tmp_path / "again.manifest"
    assert main(["split", str(src), "--train", "0.8", "--seed", "11", "-o", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_split_of_ungrouped_manifest_is_unchanged():
    # the grouping must not move a single sample of a manifest without provenance
    from manifest.cli import split_usage
    import random
    samples = [Sample.classification(f"{lab}{i}.jpg", lab) for lab, n in (("a", 50), ("b", 10), ("c", 7)) for i in range(n)]
    split_usage(samples, 0.7, 0.1, 5)
    # the rule before groups, written out: shuffle each stratum's indices, cut by position
    rng = random.Random(5)
    want = {}
    for lab, idx in (("a", list(range(50))), ("b", list(range(50, 60))), ("c", list(range(60, 67)))):
        rng.shuffle(idx)
        n_train = round(len(idx) * 0.7)
        n_test = min(len(idx) - n_train, round(len(idx) * 0.1))
        for k, i in enumerate(idx):
            want[i] = "TRAIN" if k < n_train else ("TEST" if k < n_train + n_test else "EVAL")
    assert [s.usage for s in samples] == [want[i] for i in range(67)]


def test_split_stops_on_nan_in_strict_mode(tmp_path, capsys):
    src = tmp_path / "nan.manifest"
    src.write_text('{"source":"a","usage":"TRAIN"}\n{"source":"b","hard-coefficient":NaN}\n', encoding="utf-8")
    out = tmp_path / "out.manifest"
    assert main(["split", str(src), "--train", "0.5", "--seed", "0", "-o", str(out)]) == 2
    assert f"{src}:2:" in capsys.readouterr().err and not out.exists()
    assert main(["split", str(src), "--train", "1", "--seed", "0", "--lenient", "-o", str(out)]) == 0
    assert "NaN" not in out.read_text() and "warning" in capsys.readouterr().err


def test_validate_reports_nan_and_infinity(tmp_path, capsys):
    lines = ['{"source":"a","annotation":[{"name":"x","confidence":NaN}]}',
             '{"source":"Infinity","hard-coefficient":-Infinity}',
             '{"source":"c","x":1e999}', '{"source":"d","x":1.5}']
    p = tmp_path / "nan.manifest"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", str(p)]) == 1
    cap = capsys.readouterr()
    assert cap.out.splitlines() == [
        f"{p}:1:{lines[0].index('NaN') + 1}: invalid JSON: NaN is not JSON (NaN and Infinity are not valid JSON numbers)",
        f"{p}:2:{lines[1].index('-Inf') + 1}: invalid JSON: -Infinity is not JSON (NaN and Infinity are not valid JSON numbers)",
        f"{p}:3:{lines[2].index('1e999') + 1}: invalid JSON: number 1e999 is out of range for a double",
    ]
    assert "1 valid sample(s), 3 problem(s)" in cap.err
