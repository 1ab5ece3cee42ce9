"""The Ray engine on a real 2-CPU Ray cluster (started once per test run): the same output bytes,
``output.manifest`` and ``summary.json`` as the local engine, for 1 and 3 blocks and any task
count; resuming across engines; Ray with object storage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from augment import batch
from augment.cli import main

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:The maximum number of concurrent tasks:UserWarning")]

PIPELINE = {
    "ops": [
        {"name": "Rotate", "angle_min": -40, "angle_max": 40},
        {"name": "AddNoise"},
        {"name": "Crop", "crop_percent_min": 0.1, "crop_percent_max": 0.3},
    ],
    "seed": 11,
    "box_policy": "drop_image",
}


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("example")
    assert main(["example", str(root), "--count", "12"]) == 0
    return root


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "Data").iterdir()}


def _summary(out: Path) -> dict:
    s = json.loads((out / "summary.json").read_text())
    s.pop("output")
    return s


def _spec(example: Path, out: Path, copies: int = 2, **kw) -> batch.RunSpec:
    return batch.RunSpec(input=str(example / "detection"), output=str(out), pipeline=PIPELINE, copies=copies, **kw)


def test_ray_gives_the_local_engines_bytes_and_summary(example, tmp_path, ray_cluster):
    local = tmp_path / "local"
    batch.run(_spec(example, local), workers=2, progress=False)
    assert _summary(local)["counts"]["dropped"] > 0  # the drop rule is part of what must agree
    for workers, blocks in ((2, 1), (1, 3), (2, 3)):
        out = tmp_path / f"ray-{workers}-{blocks}"
        got = batch.run(_spec(example, out), workers=workers, engine="ray", blocks=blocks, progress=False)
        assert got["exit_code"] == 0
        assert _files(out) == _files(local), (workers, blocks)
        assert (out / "output.manifest").read_bytes() == (local / "output.manifest").read_bytes()
        assert _summary(out) == _summary(local)


def test_a_run_begun_by_one_engine_is_finished_by_the_other(example, tmp_path, ray_cluster):
    clean = tmp_path / "clean"
    batch.run(_spec(example, clean, copies=3), progress=False)
    out = tmp_path / "out"
    batch.run(_spec(example, out, copies=1), workers=2, progress=False)  # local: copy 0
    first = {n: (out / "Data" / n).stat().st_mtime_ns for n in _files(out)}
    batch.run(_spec(example, out, copies=2), workers=2, engine="ray", progress=False)  # ray: copy 1
    batch.run(_spec(example, out, copies=3), workers=2, progress=False)  # local again: copy 2
    assert _files(out) == _files(clean)
    assert (out / "output.manifest").read_bytes() == (clean / "output.manifest").read_bytes()
    assert all((out / "Data" / n).stat().st_mtime_ns == t for n, t in first.items())  # not redone


def test_ray_with_object_storage(example, tmp_path, ray_cluster, s3):
    local = tmp_path / "local"
    batch.run(_spec(example, local), progress=False)
    src = s3.put_tree(example / "detection", "in")
    spec = batch.RunSpec(input=src, output=s3.url("out"), pipeline=PIPELINE, copies=2, endpoint_url=s3.endpoint)
    got = batch.run(spec, workers=2, engine="ray", progress=False)
    assert got["counts"]["written"] == _summary(local)["counts"]["written"]
    assert s3.digests("out/Data") == _files(local)


def test_ray_from_the_command_line(example, tmp_path, ray_cluster):
    local = tmp_path / "local"
    args = ["--op", "Flip()", "--seed", "3", "-q"]
    assert main(["run", str(example / "classification"), "-o", str(local), *args]) == 0
    out = tmp_path / "ray"
    assert (
        main(["run", str(example / "classification"), "-o", str(out), *args, "--engine", "ray", "--workers", "2"]) == 0
    )
    assert _files(out) == _files(local)


def test_engine_options_are_checked(example, tmp_path, capsys):
    with pytest.raises(batch.RunError, match="engine must be one of local, ray"):
        batch.run(_spec(example, tmp_path / "a"), engine="spark")
    with pytest.raises(batch.RunError, match="address applies to engine='ray'"):
        batch.run(_spec(example, tmp_path / "b"), address="ray://head:10001")
    assert (
        main(
            [
                "run",
                str(example / "detection"),
                "-o",
                str(tmp_path / "c"),
                "--op",
                "Flip()",
                "--address",
                "ray://head:10001",
            ]
        )
        == 1
    )
    assert "address applies" in capsys.readouterr().err


def test_ctrl_c_on_the_driver_stops_the_clusters_work_and_a_rerun_finishes(tmp_path):
    """``augment run --engine ray`` (its own local cluster) gets SIGINT once some images are done:
    it exits 130 within seconds, nothing is written after it has gone, and the same command with
    the local engine finishes the job to a clean run's bytes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pytest.importorskip("ray.data")
    data = tmp_path / "data"
    assert main(["example", str(data), "--count", "40"]) == 0
    out = tmp_path / "out"
    args = [str(data / "detection"), "-o", str(out), "--copies", "4", "--op", "Rotate(angle_min=-9, angle_max=9)",
            "--op", "AddNoise()", "--seed", "5", "-q"]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    p = subprocess.Popen([sys.executable, "-m", "augment", "run", *args, "--engine", "ray", "--workers", "2"],
                         env=env, stderr=subprocess.PIPE, text=True)
    journal = out / ".augment" / "journal.jsonl"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and p.poll() is None:
        if journal.exists() and len(journal.read_bytes().splitlines()) >= 4:
            break
        time.sleep(0.05)
    assert p.poll() is None, "the run ended before it could be interrupted"
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "run the same command again" in err and "Traceback" not in err
    files = sorted(f.name for f in (out / "Data").iterdir())
    time.sleep(3)
    assert sorted(f.name for f in (out / "Data").iterdir()) == files  # no task is still writing
    assert len(files) < 2 * 160
    assert main(["run", *args]) == 0
    clean = tmp_path / "clean"
    assert main(["run", *args[:1], "-o", str(clean), *args[3:]]) == 0
    assert _files(out) == _files(clean)
