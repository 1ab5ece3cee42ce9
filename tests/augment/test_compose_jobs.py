"""Containers (#16) through the jobs that take a pipeline config unchanged: ``augment run --ops``
and the datasets (augment.data), at several worker counts, with the drop rule inside a container."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import augment as A
import augment.data as D
from augment.cli import main
from manifest import read_manifest
from manifest.vocboxes import from_boxes
from tests.conftest import make_image

H, W = 48, 64
EDGE = [0, 0, W, H]  # the whole image: any rotation moves it out (drop_image drops the image)

COMPOSED = {
    "seed": 5,
    "ops": [
        {"name": "Flip", "p": 0.5},
        {"name": "OneOf", "ops": [{"name": "Blur"}, {"name": "MotionBlur"}, {"name": "Sharpen"}]},
        {
            "name": "SomeOf",
            "n": 2,
            "ops": [
                {"name": "LightContrast"},
                {"name": "LightArithmetic"},
                {"name": "Saturation"},
                {"name": "Grayscale"},
            ],
        },
        {"name": "Sometimes", "p": 0.5, "then": {"name": "Rotate", "angle_min": 10, "angle_max": 20}},
    ],
}


def _write_detection(folder: Path, n: int = 6) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(make_image(H, W, seed=i)).save(folder / f"im{i}.png")
        boxes = np.array([EDGE] if i == 0 else [[20, 15, 40, 30]], np.float32)
        ann = from_boxes(f"im{i}.png", (W, H, 3), boxes, ["cat"], {"difficult": [0]})
        (folder / f"im{i}.xml").write_bytes(ann.to_bytes())


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".augment" not in p.parts and p.name != "summary.json"
    }


def test_augment_run_takes_containers_the_same_at_any_worker_count(tmp_path):
    src = tmp_path / "in"
    _write_detection(src)
    ops = tmp_path / "pipeline.json"
    ops.write_text(json.dumps(COMPOSED))
    outs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        assert (
            main(["run", str(src), "-o", str(out), "--ops", str(ops), "--copies", "4", "--workers", workers, "--quiet"])
            == 0
        )
        outs[workers] = out
    assert _digest(outs["1"]) == _digest(outs["2"])
    summary = json.loads((outs["1"] / "summary.json").read_text())
    records = [r for e in summary["inputs"] for r in e["results"]]
    dropped = [r for r in records if r["status"] == "dropped"]
    # image 0's box is the whole image: a copy whose Sometimes chose Rotate is dropped, naming the path
    assert dropped and all(r["reason"].startswith("Rotate: box 0 left the image") for r in dropped)
    assert all(r["reason"].endswith("(at ops[3].then: Sometimes > Rotate)") for r in dropped)
    assert summary["counts"]["written"] + summary["counts"]["dropped"] == summary["counts"]["images"]
    m = read_manifest(outs["1"] / "output.manifest")
    assert len(m) == summary["counts"]["written"]


def test_a_run_begun_before_the_table_picks_is_not_finished_with_other_picks(tmp_path):
    """SomeOf's picks changed (one draw from a table): the run's recorded settings carry the draw
    version when the pipeline has a SomeOf or a shuffled Sequential, so a run recorded without it
    (begun by an older version) is refused rather than finished with other picks; a pipeline
    without them resumes across the change."""
    src = tmp_path / "in"
    _write_detection(src, n=2)
    ops = tmp_path / "pipeline.json"
    ops.write_text(json.dumps(COMPOSED))
    out = tmp_path / "out"
    assert main(["run", str(src), "-o", str(out), "--ops", str(ops), "--quiet"]) == 0
    run_json = out / ".augment" / "run.json"
    recorded = json.loads(run_json.read_text())
    assert recorded["draws"] == 2
    del recorded["draws"]  # as an older version wrote it
    run_json.write_text(json.dumps(recorded))
    assert main(["run", str(src), "-o", str(out), "--ops", str(ops), "--quiet"]) == 1
    plain = tmp_path / "plain"
    assert main(["run", str(src), "-o", str(plain), "--op", "Flip()", "--quiet"]) == 0
    assert "draws" not in json.loads((plain / ".augment" / "run.json").read_text())


def _det(tmp_path: Path) -> Path:
    d = tmp_path / "det"
    _write_detection(d, n=8)
    return d


def test_datasets_take_containers_and_drop_inside_them(tmp_path):
    d = _det(tmp_path)
    ds = D.FolderDataset(d, COMPOSED, seed=3, drop_policy="none")
    again = D.FolderDataset(d, json.dumps(COMPOSED), seed=3, drop_policy="none")
    for i in range(8):
        a, b = ds[i], again[i]
        assert (a is None) == (b is None)
        if a is not None:
            assert np.array_equal(a["image"], b["image"]) and np.array_equal(a["boxes"], b["boxes"])
    always = {
        "ops": [{"name": "Sequential", "ops": [{"name": "Flip"}, {"name": "OneOf", "ops": [{"name": "Rotate"}]}]}]
    }
    with pytest.raises(D.AllDroppedError, match=r"\(at ops\[0\]\.ops\[1\]\.ops\[0\]: Sequential > OneOf > Rotate\)"):
        D.FolderDataset(d, always, seed=0, drop_policy="retry", max_attempts=3)[0]
    item = D.FolderDataset(d, always, seed=0, return_params=True)[1]
    assert isinstance(item["params"][0], A.core.compose.Branches)


def test_datasets_are_the_same_at_0_and_2_workers(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    import augment.torch as AT

    d = _det(tmp_path)
    ds = D.FolderDataset(d, COMPOSED, seed=11)
    runs = {}
    for workers in (0, 2):
        kw = {"multiprocessing_context": "fork"} if workers else {}
        loader = DataLoader(ds, batch_size=3, collate_fn=AT.collate, num_workers=workers, **kw)
        runs[workers] = [(b["index"].tolist(), [x.numpy().tobytes() for x in b["image"]]) for b in loader]
    assert runs[0] == runs[2]
    assert torch is not None
