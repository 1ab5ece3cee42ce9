"""The batch job end to end through ``augment run`` on generated datasets."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augment as A
from augment import batch
from augment.cli import main, parse_op
from manifest import read_manifest, read_voc
from manifest.vocboxes import from_boxes, to_boxes
from tests.conftest import make_image

PIPELINE = {
    "seed": 7,
    "ops": [
        {"name": "Flip", "lr_ud": "lr", "flip_p": 0.5},
        {"name": "Rotate", "angle_min": -10, "angle_max": 10, "box_policy": "clip"},
        {"name": "LightContrast", "func": "gamma"},
    ],
}


def _write_detection(folder: Path, n: int = 4, size=(48, 64)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    h, w = size
    for i in range(n):
        img = make_image(h, w, seed=i)
        Image.fromarray(img).save(folder / f"im{i}.jpg", quality=95)
        boxes = np.array([[5, 5, 25, 30], [30, 10, 60, 40]], np.float32)
        ann = from_boxes(f"im{i}.jpg", (w, h, 3), boxes, ["cat", "dog"], {"difficult": [0, 1]})
        (folder / f"im{i}.xml").write_bytes(ann.to_bytes())


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(*args: str) -> int:
    return main(["run", *args, "--quiet"])


@pytest.fixture
def ops_file(tmp_path) -> str:
    p = tmp_path / "pipeline.json"
    p.write_text(json.dumps(PIPELINE))
    return str(p)


def test_detection_folder(tmp_path, ops_file):
    src = tmp_path / "in"
    _write_detection(src)
    before = _tree_digest(src)
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), "--ops", ops_file, "--copies", "2") == 0
    assert _tree_digest(src) == before  # the input is never modified
    m = read_manifest(out / "output.manifest")
    assert len(m) == 8
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"inputs": 4, "images": 8, "written": 8, "dropped": 0, "failed": 0, "other_files": 0,
                                 "objects_left_out": 0}
    pipeline = A.Pipeline.from_config(PIPELINE)
    for s in m:
        assert s.annotations[0].annotation_format == "PASCAL VOC"
        img_path = out / s.source
        ann = read_voc(out / s.annotation_locs[0])
        assert ann.filename == img_path.name
        assert (int(ann.width), int(ann.height)) == (64, 48)
        # the boxes are the pipeline's, written as VOC integers
        stem, copy = img_path.stem.rsplit("_aug", 1)
        i = int(stem[2:])
        src_ann = read_voc(src / f"{stem}.xml")
        vb = to_boxes(src_ann)
        arr, _ = A.imageio.read_image(src / f"{stem}.jpg")
        expected = pipeline.run(A.Sample(arr, vb.boxes, vb.labels), index=i, epoch=int(copy)).sample
        got = to_boxes(ann)
        assert got.labels == expected.labels
        np.testing.assert_allclose(got.boxes, expected.boxes, atol=1.0)
        assert got.fields["difficult"] == [{"cat": 0, "dog": 1}[lb] for lb in got.labels]


def test_classification_folder_and_originals(tmp_path, ops_file):
    src = tmp_path / "in"
    for label in ("cat", "dog"):
        (src / label).mkdir(parents=True)
        for i in range(2):
            Image.fromarray(make_image(seed=i)).save(src / label / f"{label}{i}.png")
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), "--ops", ops_file, "--include-originals",
                "--source-prefix", "obs://bucket/aug") == 0
    m = read_manifest(out / "output.manifest")
    assert len(m) == 8
    assert all(s.source.startswith("obs://bucket/aug/Data/") for s in m)
    assert sorted(s.labels[0] for s in m) == ["cat"] * 4 + ["dog"] * 4
    assert all(s.source.endswith(".png") for s in m)
    # originals are byte copies
    assert (out / "Data" / "cat0.png").read_bytes() == (src / "cat" / "cat0.png").read_bytes()


def test_manifest_input(tmp_path, ops_file):
    src = tmp_path / "in"
    _write_detection(src, n=2)
    lines = [
        {"source": "in/im0.jpg", "usage": "TRAIN", "annotation": [
            {"type": "modelarts/object_detection", "annotation-loc": "in/im0.xml", "annotation-format": "PASCAL VOC"}]},
        {"source": "in/im1.jpg", "annotation": [{"type": "modelarts/image_classification", "name": "bird"}]},
        {"source": "obs://bucket/remote.jpg", "annotation": [{"type": "modelarts/image_classification", "name": "x"}]},
        "not json",
    ]
    man = tmp_path / "data.manifest"
    man.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    out = tmp_path / "out"
    assert _run(str(man), "-o", str(out), "--ops", ops_file) == 3  # done, one input failed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["layout"] == "manifest"
    assert summary["counts"]["written"] == 2 and summary["counts"]["failed"] == 1
    failed = [r for e in summary["inputs"] for r in e["results"] if r["status"] == "failed"]
    # an obs:// source is read through object storage; with no OBS endpoint set it fails, saying so
    assert len(failed) == 1 and failed[0]["source"] == "obs://bucket/remote.jpg" and "endpoint" in failed[0]["reason"]
    assert summary["other_files"] and "4" in summary["other_files"][0]["reason"]  # the bad line, with its number
    m = read_manifest(out / "output.manifest")
    assert [s.usage for s in m] == ["TRAIN", None]
    assert m[1].labels == ["bird"]


def _write_bad_inputs(src: Path) -> None:
    """Two good detection pairs beside every kind of bad input."""
    _write_detection(src, n=2)
    # a truncated JPEG with a good XML
    data = (src / "im1.jpg").read_bytes()
    (src / "trunc.jpg").write_bytes(data[: len(data) // 2])
    (src / "trunc.xml").write_bytes((src / "im1.xml").read_bytes())
    # a broken XML
    Image.fromarray(make_image(48, 64)).save(src / "badxml.jpg")
    (src / "badxml.xml").write_text("<annotation><object>")
    # an image without annotation, an annotation without image
    Image.fromarray(make_image(48, 64)).save(src / "lonely.jpg")
    (src / "orphan.xml").write_bytes((src / "im0.xml").read_bytes())
    # boxes outside the image and inverted
    Image.fromarray(make_image(48, 64)).save(src / "outside.jpg")
    (src / "outside.xml").write_bytes(from_boxes("outside.jpg", (64, 48, 3), np.array([[10, 10, 90, 20]], np.float32), ["x"]).to_bytes())
    Image.fromarray(make_image(48, 64)).save(src / "inverted.jpg")
    inv = from_boxes("inverted.jpg", (64, 48, 3), np.array([[10, 10, 20, 20]], np.float32), ["x"]).to_bytes()
    (src / "inverted.xml").write_bytes(inv.replace(b"<xmin>11</xmin>", b"<xmin>30</xmin>"))


def test_bad_inputs_are_reported_not_lost(tmp_path, ops_file):
    src = tmp_path / "in"
    _write_bad_inputs(src)
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), "--ops", ops_file) == 3  # done, some inputs failed
    summary = json.loads((out / "summary.json").read_text())
    by_source = {e["source"]: e["results"][0] for e in summary["inputs"]}
    assert by_source["im0.jpg"]["status"] == "written"
    assert "corrupt JPEG" in by_source["trunc.jpg"]["reason"]
    assert by_source["lonely.jpg"]["reason"] == "image without annotation"
    assert "lies outside the image" in by_source["outside.jpg"]["reason"]
    assert "box 0" in by_source["inverted.jpg"]["reason"] and "inverted" in by_source["inverted.jpg"]["reason"]
    assert "bad annotation" in by_source["badxml.jpg"]["reason"] and "malformed XML" in by_source["badxml.jpg"]["reason"]
    assert [Path(o["source"]).name for o in summary["other_files"]] == ["orphan.xml"]
    assert "annotation without image" in summary["other_files"][0]["reason"]
    images = {p.name for p in src.glob("*.jpg")}
    accounted = set(by_source) | {Path(o["source"]).name for o in summary["other_files"]}
    assert images <= accounted  # every input image is accounted for
    assert summary["counts"]["written"] == 2


def test_groups_of_units_give_the_same_records_and_bytes_as_one_by_one(tmp_path, monkeypatch):
    """Workers do units in groups, stage by stage; failures, drops and originals inside a group
    must come out exactly as when each unit is done alone."""
    src = tmp_path / "in"
    _write_bad_inputs(src)
    _write_detection(src / "more", n=6)
    args = ["--op", "Rotate(angle_min=-40, angle_max=40)", "--op", "Sharpen()", "--seed", "3", "--copies", "3",
            "--include-originals"]
    assert _run(str(src), "-o", str(tmp_path / "grouped"), *args) == 3
    assert batch.plan.groups_of([None] * 60, 1)[0].__len__() == batch.plan.GROUP > 1
    monkeypatch.setattr(batch.plan, "GROUP", 1)
    assert _run(str(src), "-o", str(tmp_path / "alone"), *args) == 3
    grouped = json.loads((tmp_path / "grouped" / "summary.json").read_text())
    alone = json.loads((tmp_path / "alone" / "summary.json").read_text())
    assert grouped["inputs"] == alone["inputs"]
    assert {"written", "dropped", "failed"} <= {r["status"] for e in grouped["inputs"] for r in e["results"]}
    assert _tree_digest(tmp_path / "grouped" / "Data") == _tree_digest(tmp_path / "alone" / "Data")


def test_drop_reason_in_summary(tmp_path):
    src = tmp_path / "in"
    _write_detection(src, n=2)
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), "--op", "Rotate(angle_min=45, angle_max=45)", "--seed", "1") == 4  # none written
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["dropped"] == 2
    assert summary["inputs"][0]["results"][0]["reason"].startswith("Rotate: box 0 left the image (moved to [")
    assert summary["reasons"] == {"Rotate: box left the image": 2}
    assert (out / "output.manifest").read_text() == ""


def test_same_seed_same_bytes_at_one_and_two_workers(tmp_path, ops_file):
    src = tmp_path / "in"
    _write_detection(src, n=6)
    assert _run(str(src), "-o", str(tmp_path / "w1"), "--ops", ops_file, "--copies", "2", "--workers", "1") == 0
    assert _run(str(src), "-o", str(tmp_path / "w2"), "--ops", ops_file, "--copies", "2", "--workers", "2") == 0
    d1 = _tree_digest(tmp_path / "w1" / "Data")
    assert d1 == _tree_digest(tmp_path / "w2" / "Data")
    assert len(d1) == 24
    assert (tmp_path / "w1" / "output.manifest").read_bytes() == (tmp_path / "w2" / "output.manifest").read_bytes()


def test_command_line_process_forks_workers_with_the_same_bytes(tmp_path, ops_file):
    """``python -m augment run`` owns its process: it tunes the allocator and forks its workers
    (the in-process API uses a fork server). Same bytes as the in-process run at 1 worker."""
    import subprocess
    import sys

    src = tmp_path / "in"
    _write_detection(src, n=6)
    assert _run(str(src), "-o", str(tmp_path / "w1"), "--ops", ops_file, "--copies", "2", "--workers", "1") == 0
    for workers in ("1", "2"):
        out = tmp_path / f"cli{workers}"
        proc = subprocess.run([sys.executable, "-m", "augment", "run", str(src), "-o", str(out), "--ops", ops_file,
                               "--copies", "2", "--workers", workers, "--quiet"],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert _tree_digest(out / "Data") == _tree_digest(tmp_path / "w1" / "Data")
        assert (out / "output.manifest").read_bytes() == (tmp_path / "w1" / "output.manifest").read_bytes()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_stops_cleanly_and_the_same_command_finishes(tmp_path, ops_file, workers):
    """A real SIGINT to the command's process group (what Ctrl-C sends), workers included."""
    import os
    import signal
    import subprocess
    import sys
    import time

    src = tmp_path / "in"
    _write_detection(src, n=300, size=(96, 128))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "augment", "run", str(src), "-o", str(out), "--ops", ops_file,
           "--workers", workers, "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stderr=subprocess.PIPE, text=True)
    journal = out / ".augment" / "journal.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_text().count("\n") >= 5:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == 130, err
    assert "interrupted after" in err and "Traceback" not in err
    assert not (out / "output.manifest").exists()
    done = journal.read_text().count("\n")
    assert 5 <= done < 300
    assert subprocess.run(cmd, capture_output=True, timeout=120).returncode == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["written"] == 300
    assert not list((out / "Data").glob(".*.part"))


def test_interrupted_run_resumes_without_redoing(tmp_path, ops_file, monkeypatch):
    src = tmp_path / "in"
    _write_detection(src, n=5)
    clean = tmp_path / "clean"
    assert _run(str(src), "-o", str(clean), "--ops", ops_file) == 0

    out = tmp_path / "out"
    real = batch.work.process_group
    calls = []

    def interrupted(units):
        assert len(units) == 1  # 5 units: groups of one, so that an interruption loses little
        calls.append(units[0].key)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(units)

    monkeypatch.setattr(batch.work, "process_group", interrupted)
    assert _run(str(src), "-o", str(out), "--ops", ops_file) == 130
    assert not (out / "output.manifest").exists()
    (out / "Data" / ".im4.jpg.x1.part").write_bytes(b"half")  # what a killed write leaves
    calls.clear()
    monkeypatch.setattr(batch.work, "process_group", lambda us: (calls.extend(u.key for u in us), real(us))[1])
    assert _run(str(src), "-o", str(out), "--ops", ops_file) == 0
    assert len(calls) == 3  # only the unfinished units
    assert _tree_digest(out / "Data") == _tree_digest(clean / "Data")
    assert (out / "output.manifest").read_bytes() == (clean / "output.manifest").read_bytes()
    # more copies later: the first copies are not redone and stay the same
    calls.clear()
    assert _run(str(src), "-o", str(out), "--ops", ops_file, "--copies", "2") == 0
    assert len(calls) == 5 and all(k.endswith(":1") for k in calls)


def test_refusals(tmp_path, ops_file, capsys):
    src = tmp_path / "in"
    _write_detection(src, n=1)
    assert _run(str(src), "-o", str(src / "out"), "--ops", ops_file) == 1
    assert "inside the input folder" in capsys.readouterr().err
    assert _run(str(src), "-o", str(src), "--ops", ops_file) == 1
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), "--ops", ops_file) == 0
    assert _run(str(src), "-o", str(out), "--op", "Flip", "--seed", "3") == 1
    assert "other settings" in capsys.readouterr().err
    assert _run(str(tmp_path / "missing"), "-o", str(out), "--ops", ops_file) == 1
    assert _run(str(src), "-o", str(tmp_path / "o2")) == 1
    assert "no operators" in capsys.readouterr().err


def test_exif_orientation_turns_boxes_annotated_on_the_stored_image(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    stored = make_image(40, 60)  # H=40, W=60 as stored; orientation 6 shows it 60 high, 40 wide
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(stored).save(buf, format="PNG", exif=exif)
    (src / "rot.png").write_bytes(buf.getvalue())
    box = np.array([[0, 0, 10, 20]], np.float32)  # on the stored image
    (src / "rot.xml").write_bytes(from_boxes("rot.png", (60, 40, 3), box, ["x"]).to_bytes())
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), "--op", "Flip(flip_p=0.0)", "--seed", "0") == 0
    ann = read_voc(out / "Data" / "rot_aug0.xml")
    assert (int(ann.width), int(ann.height)) == (40, 60)
    # turned 90 degrees clockwise: x' = H - y, y' = x
    np.testing.assert_allclose(to_boxes(ann).boxes, [[20, 0, 40, 10]])


@pytest.mark.parametrize("kind", ["gray", "rgba", "palette", "png16"])
def test_image_kinds(tmp_path, kind):
    src = tmp_path / "in"
    (src / "lbl").mkdir(parents=True)
    if kind == "png16":
        import cv2

        cv2.imwrite(str(src / "lbl" / "a.png"), make_image(30, 40, 3, dtype=np.uint16))
    else:
        mode = {"gray": "L", "rgba": "RGBA", "palette": "P"}[kind]
        Image.fromarray(make_image(30, 40)).convert(mode).save(src / "lbl" / "a.png")
    out = tmp_path / "out"
    assert _run(str(src), "-o", str(out), "--op", "Rotate(angle_min=5, angle_max=5)", "--op", "Flip", "--seed", "0") == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["written"] == 1, summary["inputs"]
    arr, _ = A.imageio.read_image(out / "Data" / "a_aug0.png")
    expected_dtype = np.uint16 if kind == "png16" else np.uint8
    assert arr.dtype == expected_dtype and arr.shape[:2] == (30, 40)


def test_parse_op():
    assert parse_op("Rotate(angle_min=-30, angle_max=30)") == {"name": "Rotate", "angle_min": -30, "angle_max": 30}
    assert parse_op("Flip") == {"name": "Flip"}
    assert parse_op("Flip(lr_ud='ud')") == {"name": "Flip", "lr_ud": "ud"}
    for bad in ("Rotate(30)", "Rotate(angle_min=x)", "Rot ate", "1+2"):
        with pytest.raises(A.ConfigError, match="--op"):
            parse_op(bad)


def test_example_and_preview(tmp_path, capsys):
    assert main(["example", str(tmp_path / "ex"), "--count", "2"]) == 0
    sheet = tmp_path / "sheet.png"
    assert main(["preview", str(tmp_path / "ex" / "detection"), "--ops", str(tmp_path / "ex" / "pipeline.json"),
                 "-o", str(sheet), "--count", "2", "--copies", "2"]) == 0
    im = Image.open(sheet)
    assert im.size[0] == 3 * 256 and im.size[1] == 2 * (256 + 16)
    assert main(["run", str(tmp_path / "ex" / "classification"), "-o", str(tmp_path / "o"),
                 "--ops", str(tmp_path / "ex" / "pipeline.json"), "--quiet"]) == 0


def test_relative_input_and_output_paths(tmp_path, ops_file, monkeypatch):
    _write_detection(tmp_path / "in", n=3)
    monkeypatch.chdir(tmp_path)
    assert _run("in", "-o", "out", "--ops", ops_file) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["counts"]["inputs"] == 3 and summary["counts"]["written"] == 3
    assert [e["source"] for e in summary["inputs"]] == ["im0.jpg", "im1.jpg", "im2.jpg"]


@pytest.mark.parametrize("sampling", [0, 2])
def test_jpeg_chroma_subsampling_is_kept(tmp_path, sampling):
    from PIL import JpegImagePlugin

    src = tmp_path / "in" / "lbl"
    src.mkdir(parents=True)
    Image.fromarray(make_image(32, 48)).save(src / "a.jpg", quality=95, subsampling=sampling)
    assert _run(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--op", "Flip", "--seed", "0") == 0
    out = Image.open(tmp_path / "out" / "Data" / "a_aug0.jpg")
    assert JpegImagePlugin.get_sampling(out) == sampling


def test_fork_server_preloads_the_pipelines_operator_modules():
    """Operator modules load lazily; the API's fork server imports the pipeline's once, so that its
    workers do not each import them."""
    spec = batch.RunSpec(input="in", output="out", pipeline=A.Pipeline.from_config(
        [{"name": "Flip"}, {"name": "Blur", "blur_type": "Gauss"}], seed=0).to_config())
    assert batch.engine.preload_modules(spec) == ["augment.batch", "augment.ops.blur", "augment.ops.geometric"]
