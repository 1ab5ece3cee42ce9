"""A hostile (or unlucky) user's inputs, generated at test time: each test is a class of defect
that once lost data, mislabelled it, hung, crashed with a traceback or accepted nonsense."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from augment import batch
from augment.batch.plan import Item, assign_names
from augment.cli import main
from manifest import read_manifest, read_voc
from manifest.vocboxes import from_boxes
from tests.conftest import make_image

FLIP = ["--op", "Flip(lr_ud='lr')", "--seed", "1"]


def _img(path: Path, h: int = 40, w: int = 56, seed: int = 0, **save) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(make_image(h, w, seed=seed)).save(path, **save)


def _voc(path: Path, image_name: str, w: int, h: int, boxes, labels) -> None:
    path.write_bytes(from_boxes(image_name, (w, h, 3), np.array(boxes, np.float32), labels).to_bytes())


def _run(*args: str) -> int:
    return main(["run", *args, "--quiet"])


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _results(out: Path) -> dict[str, list[dict]]:
    return {e["source"]: e["results"] for e in _summary(out)["inputs"]}


# --------------------------------------------------------------------------- names
def test_originals_and_copies_never_share_a_name(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    _img(src / "cat" / "a.jpg", seed=1)
    _img(src / "dog" / "a_aug0.jpg", seed=2)
    _img(src / "dog" / "A_AUG1.jpg", seed=3)
    _img(src / "dog" / "a.png", seed=4)
    assert _run(str(src), "-o", str(out), *FLIP, "--include-originals", "--copies", "2") == 0
    s = _summary(out)
    files = sorted(p.name for p in (out / "Data").iterdir())
    assert s["counts"]["written"] == 12 == len(files) == len({f.lower() for f in files})
    m = read_manifest(out / "output.manifest")
    assert len({x.source for x in m}) == 12
    by_name = {Path(x.source).name: x.labels for x in m}
    assert by_name["a_aug0.jpg"] == ["cat"]  # copy 0 of cat/a.jpg ...
    assert by_name["a_aug0_.jpg"] == ["dog"]  # ... and the original dog/a_aug0.jpg, apart


def test_names_unique_for_adversarial_stems_in_near_linear_time():
    stems = ["a", "A", "a-1", "a_aug0", "a_aug0_", "a-1", "a.", ".a", "a b", "a_b"] + ["x"] * 20000
    items = [Item(i, f"{s}.jpg", f"/in/{i}/{s}.jpg", "classification") for i, s in enumerate(stems)]
    assign_names(items)
    names = [it.stem.lower() + sfx for it in items for sfx in ("", "_aug0", "_aug1", "_aug12")]
    assert len(set(names)) == len(names)
    assert all(not it.stem.lower().rstrip("0123456789").endswith("_aug") for it in items)


def test_long_multibyte_names_fit_the_file_system(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    long = "猫" * 80  # 240 bytes of UTF-8, a legal name with its .jpg
    _img(src / "cat" / f"{long}.jpg")
    _img(src / "cat" / f"{long[:-1]}狗.jpg", seed=2)
    assert _run(str(src), "-o", str(out), *FLIP, "--include-originals", "--copies", "3") == 0
    files = [p.name for p in (out / "Data").iterdir()]
    assert len(files) == 8 and all(len(f.encode()) <= 200 for f in files)


# --------------------------------------------------------------------------- every file accounted for
def test_links_are_followed_and_named_inside_the_input(tmp_path):
    outside, src, out = tmp_path / "elsewhere", tmp_path / "in", tmp_path / "out"
    _img(outside / "dogs" / "d.jpg")
    _img(outside / "lone.jpg", seed=3)
    _img(src / "cat" / "c.jpg", seed=1)
    os.symlink(outside / "dogs", src / "dog")  # a label folder that is a link
    os.symlink(outside / "lone.jpg", src / "cat" / "linked.jpg")  # a file that is a link
    os.symlink(tmp_path / "missing.jpg", src / "cat" / "dangling.jpg")
    os.symlink(src, src / "cat" / "loop")  # a cycle
    assert _run(str(src), "-o", str(out), *FLIP) == 0
    res = _results(out)
    assert {k: v[0]["status"] for k, v in res.items()} == {
        "cat/c.jpg": "written", "cat/linked.jpg": "written", "dog/d.jpg": "written"}
    labels = {Path(x.source).name: x.labels for x in read_manifest(out / "output.manifest")}
    assert labels == {"c_aug0.jpg": ["cat"], "linked_aug0.jpg": ["cat"], "d_aug0.jpg": ["dog"]}
    other = {Path(o["source"]).name: o["reason"] for o in _summary(out)["other_files"]}
    assert "does not exist" in other["dangling.jpg"] and "cycle" in other["loop"]


def test_other_files_are_listed_with_their_reason(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    _img(src / "cat" / "a.jpg")
    for ext in ("gif", "tiff", "webp"):
        Image.fromarray(make_image(20, 20)).save(src / "cat" / f"b.{ext}")
    (src / "cat" / "README.md").write_text("notes")
    (src / "cat" / ".DS_Store").write_bytes(b"\0")
    (src / ".cache").mkdir()
    (src / ".cache" / "x.jpg").write_bytes(b"")
    assert _run(str(src), "-o", str(out), *FLIP) == 0
    other = {o["source"].replace(str(src) + "/", ""): o["reason"] for o in _summary(out)["other_files"]}
    assert set(other) == {"cat/b.gif", "cat/b.tiff", "cat/b.webp", "cat/README.md", "cat/.DS_Store", ".cache"}
    assert "not imported by ModelArts" in other["cat/b.webp"] and "hidden" in other[".cache"]


def test_fifo_and_device_are_never_read(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    _img(src / "cat" / "a.jpg")
    os.mkfifo(src / "cat" / "x.jpg")
    os.symlink("/dev/zero", src / "cat" / "zero.jpg")
    man = tmp_path / "m.manifest"
    man.write_text(json.dumps({"source": str(src / "cat" / "x.jpg"), "annotation": [
        {"type": "modelarts/image_classification", "name": "cat"}]}) + "\n")
    code = ("import sys; from augment.cli import main; sys.exit(main(sys.argv[1:]))")
    for args in ([str(src), "-o", str(out)], [str(man), "-o", str(tmp_path / "out2")]):
        p = subprocess.run([sys.executable, "-c", code, "run", *args, *FLIP, "-q"], timeout=120,
                           capture_output=True, text=True)
        assert p.returncode in (0, 3, 4), p.stderr
        assert "Traceback" not in p.stderr
    other = {Path(o["source"]).name: o["reason"] for o in _summary(out)["other_files"]}
    assert "FIFO" in other["x.jpg"] and "device" in other["zero.jpg"]
    reason = _summary(tmp_path / "out2")["inputs"][0]["results"][0]["reason"]
    assert "FIFO" in reason
    p = subprocess.run([sys.executable, "-c", "import sys; from manifest.cli import main; sys.exit(main())", "convert", str(src), str(tmp_path / "c.manifest")],
                       timeout=120, capture_output=True, text=True)
    assert "Traceback" not in p.stderr and "FIFO" in p.stdout + p.stderr


def test_nested_folders_take_the_top_level_label_and_say_so(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    _img(src / "cat" / "persian" / "white" / "p.jpg")
    _img(src / "cat" / "c.jpg", seed=2)
    assert _run(str(src), "-o", str(out), *FLIP) == 0
    labels = {Path(x.source).name: x.labels for x in read_manifest(out / "output.manifest")}
    assert labels == {"c_aug0.jpg": ["cat"], "p_aug0.jpg": ["cat"]}
    s = _summary(out)
    nested = next(e for e in s["inputs"] if e["source"] == "cat/persian/white/p.jpg")
    assert "top-level folder" in nested["notes"][0] and s["notes"]


def test_one_stray_xml_does_not_turn_a_classification_folder_into_detection(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(4):
        _img(src / "cat" / f"{i}.jpg", seed=i)
    _voc(src / "cat" / "0.xml", "0.jpg", 56, 40, [[1, 1, 20, 20]], ["cat"])
    assert _run(str(src), "-o", str(out), *FLIP) == 0
    s = _summary(out)
    assert s["layout"] == "classification" and "1 of 4 images" in s["layout_reason"]
    assert s["counts"]["written"] == 4
    assert "--layout detection" in s["other_files"][0]["reason"]


def _exif_jpeg(path: Path, h: int, w: int, orientation: int) -> None:
    im = Image.fromarray(make_image(h, w))
    exif = Image.Exif()
    exif[0x0112] = orientation
    im.save(path, exif=exif.tobytes())


def test_square_exif_image_is_not_turned_twice_and_the_summary_says_why(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _exif_jpeg(src / "sq.jpg", 48, 48, 6)  # stored 48x48, shown turned 90 degrees
    box = [[2, 4, 20, 12]]  # drawn on the upright view
    _voc(src / "sq.xml", "sq.jpg", 48, 48, box, ["cat"])
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), "--op", "LightContrast(func='gamma')", "--seed", "1") == 0
    from manifest.vocboxes import to_boxes

    got = to_boxes(read_voc(out / "Data" / "sq_aug0.xml")).boxes
    assert np.allclose(got, box, atol=1)  # kept as drawn, not turned a second time
    rec = _summary(out)["inputs"][0]["results"][0]
    assert "square image" in rec["notes"][0] and "--exif-boxes stored" in rec["notes"][0]
    stored = tmp_path / "stored"
    assert _run(str(src), "-o", str(stored), "--op", "LightContrast(func='gamma')", "--seed", "1",
                "--exif-boxes", "stored") == 0
    assert not np.allclose(to_boxes(read_voc(stored / "Data" / "sq_aug0.xml")).boxes, box, atol=1)


# --------------------------------------------------------------------------- resume, failures, fatal errors
def test_unseeded_run_resumes_with_its_recorded_seed(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        _img(src / "cat" / f"{i}.jpg", seed=i)
    args = [str(src), "-o", str(out), "--op", "Rotate(angle_min=-20, angle_max=20, box_policy='clip')"]
    assert _run(*args) == 0
    before = {p.name: p.read_bytes() for p in (out / "Data").iterdir()}
    (out / "Data" / "1_aug0.jpg").unlink()  # as if interrupted before this one
    assert _run(*args) == 0
    assert {p.name: p.read_bytes() for p in (out / "Data").iterdir()} == before
    assert _run(*args, "--copies", "2") == 0  # more copies later: same seed, first copies unchanged
    assert all((out / "Data" / n).read_bytes() == b for n, b in before.items())


def test_any_error_in_one_unit_fails_only_that_unit(tmp_path, monkeypatch):
    import cv2

    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(4):
        _img(src / "cat" / f"{i}.jpg", seed=i)
    real = batch.work._stage_encode

    def flaky(job, spec, pipeline):
        if job.unit.item.source == "cat/1.jpg":
            raise cv2.error("OpenCV(5.0) resize.cpp: error: (-215) Image too large")
        if job.unit.item.source == "cat/2.jpg":
            raise MemoryError
        return real(job, spec, pipeline)

    monkeypatch.setattr(batch.work, "_stage_encode", flaky)
    monkeypatch.setattr(batch.work, "_STAGES", tuple(flaky if f is real else f for f in batch.work._STAGES))
    assert _run(str(src), "-o", str(out), *FLIP) == 3
    res = _results(out)
    assert [res[f"cat/{i}.jpg"][0]["status"] for i in range(4)] == ["written", "failed", "failed", "written"]
    assert "error" in res["cat/1.jpg"][0]["reason"] and "Image too large" in res["cat/1.jpg"][0]["reason"]
    assert "out of memory" in res["cat/2.jpg"][0]["reason"]


def test_disk_full_stops_the_run_keeps_the_summary_and_a_rerun_finishes(tmp_path, monkeypatch, capsys):
    src = tmp_path / "in"
    for i in range(6):
        _img(src / "cat" / f"{i}.jpg", seed=i)
    clean = tmp_path / "clean"
    assert _run(str(src), "-o", str(clean), *FLIP) == 0
    out = tmp_path / "out"
    real = batch.storage.atomic_write_bytes
    writes = []

    def full(path, data, **kw):
        in_data = os.path.basename(os.path.dirname(path)) == "Data"  # the images' disk fills up
        writes.extend([path] if in_data else [])
        if in_data and len(writes) > 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data, **kw)

    monkeypatch.setattr(batch.storage, "atomic_write_bytes", full)
    assert main(["run", str(src), "-o", str(out), *FLIP]) == 5
    err = capsys.readouterr().err
    assert "no space left" in err and "Traceback" not in err
    s = _summary(out)
    assert s["stopped"] and s["counts"]["written"] == 2 and s["exit_code"] == 5
    monkeypatch.setattr(batch.storage, "atomic_write_bytes", real)
    assert _run(str(src), "-o", str(out), *FLIP) == 0
    assert sorted(p.name for p in (out / "Data").iterdir()) == sorted(p.name for p in (clean / "Data").iterdir())
    assert (out / "output.manifest").read_bytes() == (clean / "output.manifest").read_bytes()


def test_output_that_is_a_file_is_one_clear_line(tmp_path, capsys):
    src = tmp_path / "in"
    _img(src / "cat" / "a.jpg")
    (tmp_path / "file").write_text("x")
    assert main(["run", str(src), "-o", str(tmp_path / "file"), *FLIP]) == 1
    err = capsys.readouterr().err
    assert "not a folder" in err and "Traceback" not in err


def test_damaged_journal_lines_are_redone_not_a_crash(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    for i in range(3):
        _img(src / "cat" / f"{i}.jpg", seed=i)
    assert _run(str(src), "-o", str(out), *FLIP) == 0
    journal = out / ".augment" / "journal.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join([lines[0], '{"unit": 5}', "[1, 2]", '{"unit": "1:0", "status": "written", '
                                  '"files": "1_aug0.jpg"}', '{"unit": "2:0", "status": "written", "files": ["../x"]}',
                                  "\x00garbage", '{"unit": "2:0"']) + "\n")
    assert _run(str(src), "-o", str(out), *FLIP) == 0
    assert _summary(out)["counts"]["written"] == 3


# --------------------------------------------------------------------------- flags and configs
@pytest.mark.parametrize("args", [
    ["--quality", "101"], ["--quality", "0"], ["--workers", "-3"], ["--workers", "0"], ["--max-pixels", "-1"],
    ["--copies", "-1"], ["--copies", "x"], ["--seed", "-1"], ["--usage", "validation"],
])
def test_flags_out_of_range_are_refused(tmp_path, capsys, args):
    with pytest.raises(SystemExit) as e:
        main(["run", str(tmp_path), "-o", str(tmp_path / "o"), *FLIP, *args])
    assert e.value.code == 2 and args[0] in capsys.readouterr().err


def test_preview_refuses_a_sheet_that_cannot_fit_in_memory(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["preview", str(tmp_path), "-o", str(tmp_path / "s.png"), *FLIP, "--copies", "100000"])
    assert "--copies must be from 1 to 16" in capsys.readouterr().err


def test_max_pixels_zero_lifts_pillows_own_limit(tmp_path, monkeypatch):
    src = tmp_path / "in"
    _img(src / "cat" / "a.jpg", 40, 56)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 2240 pixels > 2 x 100: Pillow refuses
    assert _run(str(src), "-o", str(tmp_path / "o1"), *FLIP, "--max-pixels", "0") == 0
    assert Image.MAX_IMAGE_PIXELS == 100
    assert _run(str(src), "-o", str(tmp_path / "o2"), *FLIP, "--max-pixels", "1000") == 4
    assert "exceeds the limit of 1,000" in _results(tmp_path / "o2")["cat/a.jpg"][0]["reason"]


@pytest.mark.parametrize("config, match", [
    ({"sed": 1, "ops": [{"name": "Flip"}]}, "unknown key"),
    ({"ops": [{"name": "Flip", "flip_q": 1}]}, "flip_q"),
    ('{"ops": [{"name": "Flip", "flip_p": NaN}]}', "NaN is not JSON"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_pipeline_files_follow_the_api_rules(tmp_path, capsys, config, match):
    p = tmp_path / "p.json"
    p.write_text(config if isinstance(config, str) else json.dumps(config))
    assert main(["run", str(tmp_path), "-o", str(tmp_path / "o"), "--ops", str(p)]) == 1
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


@pytest.mark.parametrize("op, match", [
    ("Flip(flip_p=0.5, flip_p=0.7)", "given twice"),
    ("Flip(name='Rotate')", "'name' is not a parameter"),
    ("Flip(**{'a': 1})", "not **"),
    ("Flip(" * 5000 + ")" * 5000, "expected Name"),
])
def test_op_strings_are_strict(tmp_path, capsys, op, match):
    assert main(["run", str(tmp_path), "-o", str(tmp_path / "o"), "--op", op]) == 1
    assert match in capsys.readouterr().err


def test_a_killed_worker_fails_its_image_not_the_run(tmp_path, monkeypatch):
    """The out-of-memory killer takes a worker: the run neither hangs nor stops; the image whose
    worker dies even when alone is failed with that reason, every other one is written."""
    import signal

    src = tmp_path / "in"
    for i in range(12):
        _img(src / "cat" / f"{i}.jpg", seed=i)
    real = batch.work.process_group

    def killer(units):
        if any(u.item.source == "cat/5.jpg" for u in units):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(units)

    monkeypatch.setattr(batch.work, "process_group", killer)
    spec = batch.RunSpec(input=str(src), output=str(tmp_path / "out"),
                         pipeline={"seed": 1, "ops": [{"name": "Flip"}]}, copies=2)
    summary = batch.run(spec, workers=2, progress=False, owns_process=True)  # forks: the patch reaches workers
    res = {e["source"]: [r["status"] for r in e["results"]] for e in summary["inputs"]}
    assert res.pop("cat/5.jpg") == ["failed", "failed"]
    assert all(v == ["written", "written"] for v in res.values())
    dead = next(e for e in summary["inputs"] if e["source"] == "cat/5.jpg")
    assert all("worker process died" in r["reason"] for r in dead["results"])
    assert summary["exit_code"] == 3


# --------------------------------------------------------------------------- defects found reading (#17)
def test_a_clipped_box_keeps_its_text_only_when_that_cannot_invert_it():
    from manifest import read_voc
    from manifest.vocboxes import to_boxes, with_boxes

    xml = (b"<annotation><filename>a.jpg</filename><size><width>20</width><height>20</height><depth>3</depth>"
           b"</size><object><name>x</name><bndbox><xmin>0.5</xmin><ymin>2</ymin><xmax>0.8</xmax><ymax>9</ymax>"
           b"</bndbox></object></annotation>")
    ann = read_voc(xml)
    vb = to_boxes(ann)
    clipped = np.clip(vb.boxes, 0, 20)  # x1 -0.5 -> 0: xmin becomes 1, xmax keeps its text 0.8
    b = with_boxes(ann, clipped, base=vb).objects[0].shape
    assert float(b.xmin) <= float(b.xmax) and float(b.ymin) <= float(b.ymax)


def test_writing_a_manifest_leaves_the_process_umask_alone(tmp_path):
    import threading

    from manifest import Sample, write_manifest

    seen = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            old = os.umask(0o022)
            os.umask(old)
            seen.append(old)

    os.umask(0o022)
    t = threading.Thread(target=watch)
    t.start()
    try:
        for i in range(200):
            write_manifest([Sample.classification(f"a{i}.jpg", "cat")], tmp_path / "m.manifest")
    finally:
        stop.set()
        t.join()
    assert set(seen) == {0o022}
    assert (os.stat(tmp_path / "m.manifest").st_mode & 0o777) == 0o644


def test_manifest_convert_counts_samples_copied_despite_a_problem(tmp_path, capsys):
    from manifest.cli import main as manifest_main

    src = tmp_path / "imgs"
    _img(src / "a.jpg")
    _img(src / "b.jpg", seed=1)
    man = tmp_path / "m.manifest"
    man.write_text(json.dumps({"source": str(src / "a.jpg"), "annotation": [
        {"type": "modelarts/object_detection", "annotation-loc": str(src / "missing.xml")}]}) + "\n"
        + json.dumps({"source": str(src / "b.jpg")}) + "\n")
    manifest_main(["convert", str(man), str(tmp_path / "out"), "--layout", "detection"])
    err = capsys.readouterr().err
    assert "1 sample(s) written" in err  # b.jpg was copied (without an .xml), a.jpg's VOC is unreadable


def test_mode_dependent_defaults_follow_the_mode_in_evolve_and_edited_configs():
    import augment as A

    fog = A.Weather().evolve(weather_mode="Fog")
    assert fog.ranges()["density"] == (0.4, 0.9)  # Fog's, not Rain's 0.03-0.14
    cfg = A.Weather().to_dict()
    cfg["weather_mode"] = "Snow"
    assert A.Weather.from_dict(cfg).ranges()["density"] == (0.005, 0.075)
    assert A.Weather(density_min=0.1).ranges()["density"] == (0.1, 0.14)  # a given bound is kept
    assert A.LightContrast(func="gamma").evolve(func="sigmoid").gain_range() == (5.0, 6.0)
    with pytest.raises(A.ConfigError, match="density_min"):
        A.Weather(density_min=0.5)  # above Rain's default max: refused as before
