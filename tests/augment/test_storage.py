"""``augment run`` on object storage, over real S3 (moto's server on the loopback, s3fs as the
client, as with OBS): remote in and out, a remote manifest, ``obs://``, resume after a kill, and the
errors a user meets (credentials, bucket, a server that goes away)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from augment import batch
from augment.batch import storage
from augment.cli import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROTATE = ["--op", "Rotate(angle_min=-15, angle_max=15)", "--op", "AddNoise()", "--seed", "7", "-q"]


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("example")
    assert main(["example", str(root), "--count", "8"]) == 0
    return root


def _local(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "Data").iterdir()}


def _clean(example: Path, tmp_path: Path, layout: str = "detection", *extra: str) -> Path:
    out = tmp_path / f"clean-{layout}"
    assert main(["run", str(example / layout), "-o", str(out), *ROTATE, *extra]) == 0
    return out


def _manifest_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_s3_in_and_s3_out_same_bytes_as_local(example, tmp_path, s3):
    clean = _clean(example, tmp_path)
    src = s3.put_tree(example / "detection", "in/detection")
    out = s3.url("out")
    assert main(["run", src, "-o", out, *ROTATE, "--workers", "2", "--endpoint-url", s3.endpoint]) == 0
    got = s3.digests("out/Data")
    assert got == _local(clean) and len(got) == 16  # 8 images + 8 VOC files
    lines = _manifest_lines(s3.fs.cat_file(f"{s3.bucket}/out/output.manifest").decode())
    assert len(lines) == 8
    # full URIs by default: the manifest names the objects it describes
    assert all(ln["source"].startswith(f"{out}/Data/") for ln in lines)
    assert all(a["annotation-loc"].startswith(f"{out}/Data/") for ln in lines for a in ln["annotation"])
    summary = json.loads(s3.fs.cat_file(f"{s3.bucket}/out/summary.json"))
    assert summary["counts"]["written"] == 8 and summary["exit_code"] == 0
    assert sorted(e["source"] for e in summary["inputs"]) == sorted(f"img_{i:02d}.jpg" for i in range(8))
    # the input is never written to
    assert sorted(s3.digests("in/detection")) == sorted(p.name for p in (example / "detection").iterdir())


def test_local_folder_in_s3_out_with_originals_and_prefix(example, tmp_path, s3):
    clean = _clean(example, tmp_path, "classification", "--include-originals")
    out = s3.url("cls")
    rc = main(
        [
            "run",
            str(example / "classification"),
            "-o",
            out,
            *ROTATE,
            "--include-originals",
            "--endpoint-url",
            s3.endpoint,
            "--source-prefix",
            "s3://elsewhere/set",
        ]
    )
    assert rc == 0
    assert s3.digests("cls/Data") == _local(clean)
    lines = _manifest_lines(s3.fs.cat_file(f"{s3.bucket}/cls/output.manifest").decode())
    assert all(ln["source"].startswith("s3://elsewhere/set/Data/") for ln in lines)  # --source-prefix wins


def test_manifest_on_s3_with_sources_on_s3(example, tmp_path, s3):
    s3.put_tree(example / "detection", "data/images")
    absolute = s3.url("data/images/img_01.jpg")
    lines = [
        {
            "source": "images/img_00.jpg",
            "annotation": [
                {
                    "type": "modelarts/object_detection",
                    "annotation-loc": "images/img_00.xml",
                    "annotation-format": "PASCAL VOC",
                }
            ],
        },
        {
            "source": absolute,
            "usage": "EVAL",
            "annotation": [{"type": "modelarts/image_classification", "name": "cat"}],
        },
        {"source": "images/missing.jpg", "annotation": [{"type": "modelarts/image_classification", "name": "x"}]},
    ]
    s3.fs.pipe_file(f"{s3.bucket}/data/set.manifest", "".join(json.dumps(x) + "\n" for x in lines).encode())
    out = tmp_path / "out"
    rc = main(["run", s3.url("data/set.manifest"), "-o", str(out), *ROTATE, "--endpoint-url", s3.endpoint])
    assert rc == 3  # one source is missing: that input fails, with its reason, the others are written
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {**summary["counts"], "inputs": 3, "written": 2, "failed": 1}
    failed = [r for e in summary["inputs"] for r in e["results"] if r["status"] == "failed"]
    assert failed[0]["source"] == "images/missing.jpg" and "no such object" in failed[0]["reason"]
    assert s3.url("data/images/missing.jpg") in failed[0]["reason"]
    got = {ln["property"]["augment:original"]: ln for ln in _manifest_lines((out / "output.manifest").read_text())}
    assert got["images/img_00.jpg"]["annotation"][0]["annotation-loc"] == "Data/img_00_aug0.xml"
    assert got[absolute]["usage"] == "EVAL" and got[absolute]["annotation"][0]["name"] == "cat"


def test_obs_urls_use_the_obs_endpoint_and_stay_obs(example, tmp_path, s3, monkeypatch):
    src = s3.put_tree(example / "detection", "obsin")
    monkeypatch.setenv("OBS_ENDPOINT", s3.endpoint)  # read in this process: one worker
    storage.configure(None)
    obs_in, obs_out = src.replace("s3://", "obs://"), s3.url("obsout", scheme="obs")
    assert main(["run", obs_in, "-o", obs_out, *ROTATE]) == 0
    lines = _manifest_lines(s3.fs.cat_file(f"{s3.bucket}/obsout/output.manifest").decode())
    assert len(lines) == 8 and all(ln["source"].startswith(f"{obs_out}/Data/") for ln in lines)
    assert s3.digests("obsout/Data") == _local(_clean(example, tmp_path))


def test_obs_without_an_endpoint_is_one_clear_line(tmp_path, monkeypatch, capsys):
    for var in ("OBS_ENDPOINT", "S3_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    storage.configure(None)
    assert main(["run", "obs://bucket/set", "-o", str(tmp_path / "o"), *ROTATE]) == 1
    err = capsys.readouterr().err
    assert "OBS endpoint" in err and "--endpoint-url" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_missing_bucket_and_missing_input_are_one_line_before_any_work(example, tmp_path, s3, capsys):
    ep = ["--endpoint-url", s3.endpoint]
    assert main(["run", "s3://no-such-bucket-here/set", "-o", str(tmp_path / "a"), *ROTATE, *ep]) == 1
    err = capsys.readouterr().err
    assert "bucket does not exist" in err and "Traceback" not in err
    assert main(["run", s3.url("nothing/here"), "-o", str(tmp_path / "b"), *ROTATE, *ep]) == 1
    assert "no such object or folder" in capsys.readouterr().err
    rc = main(["run", str(example / "detection"), "-o", "s3://no-such-bucket-here/out", *ROTATE, *ep])
    assert rc == 1
    err = capsys.readouterr().err
    assert "cannot write the output s3://no-such-bucket-here/out" in err and "bucket does not exist" in err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_bad_credentials_are_one_line_before_any_work(example, tmp_path):
    """A server that checks signatures (moto with authentication on, in its own process)."""
    port = _port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    code = (
        "from moto.server import ThreadedMotoServer as T; import time, sys; "
        f"s = T('127.0.0.1', {port}, verbose=False); s.start(); print('up', flush=True); time.sleep(600)"
    )
    server = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "up"
        run_env = {**os.environ, "AWS_ACCESS_KEY_ID": "wrong", "AWS_SECRET_ACCESS_KEY": "wrong"}
        for args in (["s3://bkt/in", "-o", str(tmp_path / "o")], [str(example / "detection"), "-o", "s3://bkt/out"]):
            p = subprocess.run(
                [sys.executable, "-m", "augment", "run", *args, *ROTATE, "--endpoint-url", f"http://127.0.0.1:{port}"],
                env=run_env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert p.returncode == 1, p.stderr
            assert "access denied" in p.stderr and "Access Key Id" in p.stderr and "Traceback" not in p.stderr
            assert len(p.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "o").exists()
    finally:
        server.kill()
        server.wait()


class _OwnServer:
    """An S3 server of the test's own, on a fresh port, to stop and start again (moto keeps its
    buckets in this process's memory across restarts), with ``bucket`` made on it."""

    def __init__(self, bucket: str) -> None:
        import s3fs

        self.port = _port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.start()
        self.fs = s3fs.S3FileSystem(endpoint_url=self.endpoint, skip_instance_cache=True)
        self.fs.mkdir(bucket)

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer("127.0.0.1", self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        self.server.stop()


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_gone_mid_run_fails_the_units_it_hit_and_a_rerun_finishes(example, tmp_path, monkeypatch):
    """The S3 server stops after two images: the images after it fail with the reason (the journal
    and the summary cannot be written either: the run stops, exit 5); the server comes back and the
    same command finishes, to the same bytes as a clean run."""
    own = _OwnServer("gone")
    endpoint, fs = own.endpoint, own.fs
    spec = batch.RunSpec(
        input=str(example / "detection"),
        output="s3://gone/out",
        endpoint_url=endpoint,
        pipeline={"ops": [{"name": "Rotate", "angle_min": -15, "angle_max": 15}, {"name": "AddNoise"}], "seed": 7},
    )
    seen: list[dict] = []
    real_add = batch.journal.Journal.add

    def add(self, rec):
        seen.append(rec)
        if len(seen) == 2:
            own.stop()  # the network goes away between two groups
        return real_add(self, rec)

    monkeypatch.setattr(batch.plan, "GROUP", 1)
    monkeypatch.setattr(batch.journal.Journal, "add", add)
    monkeypatch.setattr(batch.journal.Journal, "SEGMENT_RECORDS", 1)  # each record its own segment
    try:
        with pytest.raises(batch.FatalRunError) as info:
            batch.run(spec, progress=False)
        assert "cannot be reached" in str(info.value) and "run the same command again" in str(info.value)
        assert len(seen) == 2 and seen[0]["status"] == "written"
        monkeypatch.undo()
        own.start()
        got = batch.run(spec, progress=False)
        assert got["counts"]["written"] == 8 and got["exit_code"] == 0
        data = {p.rsplit("/", 1)[1]: fs.cat_file(p) for p in fs.find("gone/out/Data")}
        assert data == _local(_clean(example, tmp_path))
    finally:
        own.stop()


def test_the_journal_on_s3_is_compacted_and_resumes_the_same(example, s3, monkeypatch):
    """A run's journal segments are gathered into one object every COMPACT_SEGMENTS segments and at
    the end; a re-run finds every unit done. A compaction cut short (its object written, the
    segments not yet deleted) and a unit that failed in an older segment and was written in a newer
    one read as they should: the later record wins."""
    spec = batch.RunSpec(
        input=str(example / "detection"),
        output=s3.url("out"),
        endpoint_url=s3.endpoint,
        pipeline={"ops": [{"name": "Rotate", "angle_min": -15, "angle_max": 15}], "seed": 7},
    )
    monkeypatch.setattr(batch.plan, "GROUP", 1)
    monkeypatch.setattr(batch.journal.Journal, "SEGMENT_RECORDS", 1)  # a segment per unit
    monkeypatch.setattr(batch.journal.Journal, "COMPACT_SEGMENTS", 3)
    assert batch.run(spec, progress=False)["counts"]["written"] == 8
    folder = f"{s3.bucket}/out/.augment/journal"
    names = [p.rsplit("/", 1)[1] for p in sorted(s3.fs.find(folder))]
    assert [n.rsplit("-", 1)[1] for n in names] == ["000000002.c.jsonl", "000000005.c.jsonl", "000000007.c.jsonl"], (
        names
    )
    assert [len(s3.fs.cat_file(f"{folder}/{n}").splitlines()) for n in names] == [3, 3, 2]
    added: list[dict] = []
    real_add = batch.journal.Journal.add
    monkeypatch.setattr(batch.journal.Journal, "add", lambda self, rec: (added.append(rec), real_add(self, rec)))
    assert batch.run(spec, progress=False)["counts"]["written"] == 8 and added == []
    # a compaction cut short: the first object's segments back beside it
    first = s3.fs.cat_file(f"{folder}/{names[0]}").splitlines(keepends=True)
    stem = names[0][: -len("000000002.c.jsonl")]
    for k, line in enumerate(first):
        s3.fs.pipe_file(f"{folder}/{stem}{k:09d}.jsonl", line)
    # a unit recorded as failed in a segment older than every other
    rec = json.loads(first[0])
    s3.fs.pipe_file(f"{folder}/0-0-000000.jsonl", json.dumps({"unit": rec["unit"], "status": "failed"}).encode())
    s3.fs.invalidate_cache()
    assert batch.run(spec, progress=False)["counts"]["written"] == 8 and added == []


def test_a_store_refusing_batched_deletes_turns_compaction_off_and_loses_nothing(example, s3, monkeypatch, caplog):
    spec = batch.RunSpec(
        input=str(example / "detection"),
        output=s3.url("out"),
        endpoint_url=s3.endpoint,
        pipeline={"ops": [{"name": "Flip"}], "seed": 1},
    )
    monkeypatch.setattr(batch.plan, "GROUP", 1)
    monkeypatch.setattr(batch.journal.Journal, "SEGMENT_RECORDS", 1)
    monkeypatch.setattr(batch.journal.Journal, "COMPACT_SEGMENTS", 3)

    def refuse(locs):
        raise storage.StorageError(f"{locs[0]}: cannot delete (3 objects): access denied (DeleteObjects)")

    monkeypatch.setattr(storage, "remove_many", refuse)
    with caplog.at_level("WARNING", logger="augment.batch.journal"):
        assert batch.run(spec, progress=False)["counts"]["written"] == 8
    assert caplog.text.count("compaction is off for this run") == 1
    names = [p.rsplit("/", 1)[1] for p in s3.fs.find(f"{s3.bucket}/out/.augment/journal")]
    assert len(names) == 8 and not any(n.endswith(".c.jsonl") for n in names)  # the segments, as written
    added: list[dict] = []
    real_add = batch.journal.Journal.add
    monkeypatch.setattr(batch.journal.Journal, "add", lambda self, rec: (added.append(rec), real_add(self, rec)))
    assert batch.run(spec, progress=False)["counts"]["written"] == 8 and added == []


def test_a_killed_run_resumes_on_s3(example, tmp_path, s3):
    """SIGKILL mid-run (no clean-up at all), then the same command: the journal's segments on the
    bucket say what was done, the rest is done, the output equals a clean run's."""
    big = tmp_path / "big"
    assert main(["example", str(big), "--count", "40"]) == 0
    out = s3.url("killed")
    cmd = [
        sys.executable,
        "-m",
        "augment",
        "run",
        str(big / "detection"),
        "-o",
        out,
        "--copies",
        "3",
        *ROTATE,
        "--endpoint-url",
        s3.endpoint,
    ]
    env = {**os.environ, "AUGMENT_JOURNAL_SECONDS": "0.2"}
    p = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    segments: list[str] = []
    while time.monotonic() < deadline and p.poll() is None:
        try:
            segments = s3.fs.find(f"{s3.bucket}/killed/.augment/journal")
        except FileNotFoundError:
            segments = []
        s3.fs.invalidate_cache()
        if len(segments) >= 2:
            break
        time.sleep(0.05)
    killed = p.poll() is None
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert killed and segments, "the run ended before it could be killed"
    done_before = sum(
        len(s3.fs.cat_file(seg).splitlines()) for seg in s3.fs.find(f"{s3.bucket}/killed/.augment/journal")
    )
    assert 0 < done_before < 120
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    clean = tmp_path / "clean"
    assert main(["run", str(big / "detection"), "-o", str(clean), "--copies", "3", *ROTATE]) == 0
    assert s3.digests("killed/Data") == _local(clean)
    assert _manifest_lines(s3.fs.cat_file(f"{s3.bucket}/killed/output.manifest").decode()) == [
        {
            **ln,
            "source": ln["source"].replace("Data/", f"{out}/Data/", 1),
            "annotation": [
                {**a, "annotation-loc": a["annotation-loc"].replace("Data/", f"{out}/Data/", 1)}
                for a in ln["annotation"]
            ],
        }
        for ln in _manifest_lines((clean / "output.manifest").read_text())
    ]


def test_remote_folder_reports_other_files_by_url(example, tmp_path, s3, caplog):
    src = s3.put_tree(example / "detection", "odd")
    s3.fs.pipe_file(f"{s3.bucket}/odd/.hidden.jpg", b"x")
    s3.fs.pipe_file(f"{s3.bucket}/odd/notes.md", b"x")
    s3.fs.pipe_file(f"{s3.bucket}/odd/lonely.xml", b"<annotation/>")
    s3.fs.pipe_file(f"{s3.bucket}/odd/empty.jpg", b"")
    s3.fs.pipe_file(f"{s3.bucket}/odd/empty.xml", (example / "detection" / "img_00.xml").read_bytes())
    out = tmp_path / "out"
    assert main(["run", src, "-o", str(out), *ROTATE, "--endpoint-url", s3.endpoint]) == 3
    summary = json.loads((out / "summary.json").read_text())
    others = {o["source"]: o["reason"] for o in summary["other_files"]}
    assert {f"{src}/.hidden.jpg", f"{src}/notes.md", f"{src}/lonely.xml"} <= set(others)
    assert not any("augment-listing-" in json.dumps(x) for x in (summary["inputs"], summary["other_files"]))
    failed = [r for e in summary["inputs"] for r in e["results"] if r["status"] == "failed"]
    assert [r["source"] for r in failed] == ["empty.jpg"] and "empty file" in failed[0]["reason"]
    assert summary["counts"]["written"] == 8
    assert f"{src}/lonely.xml: annotation without image" in caplog.text  # the log names URLs too
    assert "augment-listing-" not in caplog.text


def test_pipeline_file_on_s3(example, tmp_path, s3):
    s3.fs.pipe_file(f"{s3.bucket}/ops.json", json.dumps([{"name": "Flip", "flip_p": 1.0}]).encode())
    out = tmp_path / "out"
    assert (
        main(
            [
                "run",
                str(example / "classification"),
                "-o",
                str(out),
                "--ops",
                s3.url("ops.json"),
                "--seed",
                "1",
                "-q",
                "--endpoint-url",
                s3.endpoint,
            ]
        )
        == 0
    )
    assert len(list((out / "Data").iterdir())) == 8


def test_without_fsspec_a_url_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)  # as if not installed
    storage.configure("http://127.0.0.1:9")
    try:
        with pytest.raises(storage.StorageError, match=r"augment-manifest\[cloud\]"):
            storage.read("s3://bucket/key.jpg")
        with pytest.raises(batch.RunError, match=r"augment-manifest\[cloud\]"):
            batch.discover("s3://bucket/set")
    finally:
        storage.configure(None)


def test_reads_lost_mid_run_fail_only_their_images_and_a_rerun_finishes(example, tmp_path, monkeypatch):
    """Input on S3, output on a local disk: the server stops after two images; each image after it
    fails with the reason (the run completes, exit 3); the server comes back and the same command
    does only the failed ones, to a clean run's bytes."""
    own = _OwnServer("lost")
    endpoint, fs = own.endpoint, own.fs
    fs.put(str(example / "detection"), "lost/in", recursive=True)
    out = tmp_path / "out"
    args = ["run", "s3://lost/in", "-o", str(out), *ROTATE, "--endpoint-url", endpoint]
    seen: list[dict] = []
    real_add = batch.journal.Journal.add

    def add(self, rec):
        seen.append(rec)
        if len(seen) == 2:
            own.stop()
        return real_add(self, rec)

    monkeypatch.setattr(batch.plan, "GROUP", 1)
    monkeypatch.setattr(batch.journal.Journal, "add", add)
    try:
        assert main(args) == 3
        summary = json.loads((out / "summary.json").read_text())
        assert summary["counts"]["written"] == 2 and summary["counts"]["failed"] == 6
        failed = [r for e in summary["inputs"] for r in e["results"] if r["status"] == "failed"]
        assert all("cannot be reached" in r["reason"] and r["reason"].startswith("s3://lost/in/") for r in failed), [
            r["reason"] for r in failed
        ]
        monkeypatch.undo()
        own.start()
        assert main(args) == 0
        assert _local(out) == _local(_clean(example, tmp_path))
    finally:
        own.stop()


def test_other_fsspec_file_systems_get_a_temporary_name_and_a_move(example, tmp_path):
    """``memory://`` (fsspec's in-process file system, one worker): not an object store, so each
    file is written under a temporary name and moved into place; resuming lists Data/ there too."""
    fsspec = pytest.importorskip("fsspec")
    mem = fsspec.filesystem("memory")
    out = "memory://augment-test/out"
    assert main(["run", str(example / "detection"), "-o", out, *ROTATE]) == 0
    names = sorted(p.rsplit("/", 1)[1] for p in mem.find("/augment-test/out/Data"))
    assert names == sorted(_local(_clean(example, tmp_path)))
    assert not any(".part" in n for n in names)
    assert main(["run", str(example / "detection"), "-o", out, *ROTATE, "--copies", "2"]) == 0  # resumes
    summary = json.loads(mem.cat_file("/augment-test/out/summary.json"))
    assert summary["counts"]["written"] == 16
    mem.rm("/augment-test", recursive=True)


def test_preview_of_a_folder_on_s3_is_the_local_folders_sheet(example, tmp_path, s3):
    """``augment preview`` reads a folder on a bucket (--endpoint-url) as it reads a local one: the
    same sheet, pixel for pixel (the captions name the same relative files)."""
    import numpy as np
    from PIL import Image

    src = s3.put_tree(example / "detection", "in")
    args = ["--op", "Rotate(angle_min=-15, angle_max=15)", "--seed", "3", "--count", "2", "--copies", "2"]
    assert main(["preview", str(example / "detection"), "-o", str(tmp_path / "local.png"), *args]) == 0
    assert main(["preview", src, "-o", str(tmp_path / "s3.png"), *args, "--endpoint-url", s3.endpoint]) == 0
    a, b = np.asarray(Image.open(tmp_path / "local.png")), np.asarray(Image.open(tmp_path / "s3.png"))
    assert a.shape == b.shape and a.shape[0] > 100 and np.array_equal(a, b)


def test_a_prefetched_object_is_used_only_within_the_limit_it_was_fetched_with():
    pytest.importorskip("fsspec")
    url = "memory://augment-limits/a.bin"
    storage.write(url, b"0123456789")
    storage.prefetch([url], 4)  # too big for this limit: an error kept for the read
    assert storage.read(url, None) == b"0123456789"  # a wider read fetches again
    storage.prefetch([url], 100)
    with pytest.raises(storage.StorageError, match="10 bytes exceeds the file size limit of 4"):
        storage.read(url, 4)  # a narrower read checks its own limit
    storage.prefetch([url], None)
    assert storage.read(url, 20) == b"0123456789" and storage._THREAD.prefetched == {}


def test_resolve_caches_the_anchor_folder_with_the_same_results(tmp_path, monkeypatch):
    """resolve_loc (and storage.resolve through it) caches an anchor's real folder: the results are
    the uncached rule's (the anchor's resolved folder joined and normalised), for absolute, relative
    and symlinked anchors, no anchor, and after a change of working folder."""
    import os
    from pathlib import Path

    from manifest.dataset import is_remote, resolve_loc

    def rule(loc, anchor):  # the rule as resolve_loc applied it before the cache, every call
        if loc.startswith("file://"):
            return loc[len("file://") :]
        if is_remote(loc) or os.path.isabs(loc):
            return loc
        base = Path(anchor).resolve().parent if anchor is not None else Path.cwd()
        return os.path.normpath(os.path.join(base, loc))

    real = tmp_path / "real" / "sets"
    real.mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    locs = ["a.jpg", "./img/b.jpg", "../up/c.jpg", "/abs/d.jpg", "s3://b/e.jpg", "file:///f/g.jpg", "x/../h.jpg"]
    anchors = [
        str(real / "m.manifest"),
        str(tmp_path / "link" / "sets" / "m.manifest"),
        "m.manifest",
        "sets/m.manifest",
        None,
    ]
    for cwd in (tmp_path / "real", real):
        monkeypatch.chdir(cwd)
        for anchor in anchors:
            for loc in locs:
                want = rule(loc, anchor)
                assert resolve_loc(loc, anchor) == want and storage.resolve(loc, anchor) == want, (cwd, anchor, loc)


def test_write_many_in_a_using_block_writes_through_its_endpoint_on_every_thread(s3):
    storage.configure(None)  # the process has no endpoint: only the block's reaches the server
    items = [(s3.url(f"many/{i}.bin"), bytes([i]) * 10) for i in range(4)]
    with storage.using(s3.endpoint):
        assert storage.write_many(items) == dict.fromkeys(u for u, _ in items)
        assert [storage.read(u) for u, _ in items] == [d for _, d in items]
