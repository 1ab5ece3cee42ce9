#!/usr/bin/env python3
"""Issue 15's speed requirements: the Ray engine against the local engine, and object storage
against a local disk, for the same job, measured side by side in one process and reported as ratios.

    python benchmarks/bench_engines.py                     # 500 images, 3 rounds: ~6 min
    python benchmarks/bench_engines.py -n 60 --rounds 1 --out /tmp/e.md     # smoke test

Data: bench_batch.py's N photo-like 512x512 JPEGs with 5 VOC boxes each (cached in
/tmp/bench-batch-data-<N>). Job: ``Flip`` then ``Rotate(-30..30, box_policy="clip")``, seed 0,
``augment.batch.run(..., workers=2)`` from this process.

Variants, interleaved over --rounds rounds (the order reversed every other round), each into a new
output:

  local        local disk -> local disk, the local engine (2 worker processes)
  ray          the same on a 2-CPU Ray cluster started once by this script (2 task slots), warm:
               the cluster's first job (cold: its worker processes import the library) runs before
               the rounds and is reported apart, as is the cluster's start
  local->s3    local disk -> S3, local engine
  s3->s3       S3 -> S3, local engine

S3 is moto's server (``moto.server.ThreadedMotoServer``) in its own process on the loopback, as the
tests use it; its CPU time per run is read from /proc, because on this 2-core machine the server
competes with the workers for the same cores (a real S3 or OBS does not). Results:
benchmarks/results/engines.json and the --out report (benchmarks/RESULTS-engines.md); the
hand-written block between <!-- notes --> and <!-- /notes --> is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

PIPELINE = {
    "ops": [{"name": "Flip"}, {"name": "Rotate", "angle_min": -30, "angle_max": 30, "box_policy": "clip"}],
    "seed": 0,
}
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


def dataset(n: int) -> Path:
    from bench_batch import make_dataset

    return make_dataset(Path(f"/tmp/bench-batch-data-{n}"), n)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_s3() -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = (
        "import logging; logging.getLogger('werkzeug').setLevel(logging.ERROR)\n"
        "from moto.server import ThreadedMotoServer as T; import time\n"
        f"s = T('127.0.0.1', {port}, verbose=False); s.start(); print('up', flush=True); time.sleep(10**6)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "up"
    return proc, f"http://127.0.0.1:{port}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS-engines.md")
    args = ap.parse_args()
    os.environ.update(CREDENTIALS)
    data = dataset(args.n)
    server, endpoint = start_s3()
    import ray
    import s3fs

    from augment import batch

    fs = s3fs.S3FileSystem(endpoint_url=endpoint, skip_instance_cache=True)
    fs.mkdir("bench")
    t = time.perf_counter()
    fs.put(str(data), "bench/in", recursive=True)
    upload = time.perf_counter() - t
    fs.rm_file("bench/in/.complete") if fs.exists("bench/in/.complete") else None
    t = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False)
    ray_start = time.perf_counter() - t
    scratch = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    variants = {
        "local": ("local", str(data), "local"),
        "ray": ("ray", str(data), "local"),
        "local->s3": ("local", str(data), "s3"),
        "s3->s3": ("local", "s3://bench/in", "s3"),
    }
    res: dict[str, list[dict]] = {k: [] for k in variants}
    # the cluster's first job (its worker processes import the library), against a local run: the
    # cold start a user's first run on a new cluster pays; the rounds then time a warm cluster
    cold = {}
    for name in ("ray", "local"):
        out = str(scratch / f"cold-{name}")
        t = time.perf_counter()
        batch.run(batch.RunSpec(input=str(data), output=out, pipeline=PIPELINE), workers=2, engine=name, progress=False)
        cold[name] = time.perf_counter() - t
        shutil.rmtree(out, ignore_errors=True)
    print(f"cold: ray {cold['ray']:.2f} s, local {cold['local']:.2f} s", flush=True)
    k = 0
    for r in range(args.rounds):
        order = list(variants) if r % 2 == 0 else list(reversed(variants))
        for name in order:
            engine, src, dst = variants[name]
            k += 1
            out = f"s3://bench/out{k}" if dst == "s3" else str(scratch / f"out{k}")
            spec = batch.RunSpec(input=src, output=out, pipeline=PIPELINE, endpoint_url=endpoint)
            server_cpu = cpu_seconds(server.pid)
            t = time.perf_counter()
            s = batch.run(spec, workers=2, engine=engine, progress=False)
            wall = time.perf_counter() - t
            server_cpu = cpu_seconds(server.pid) - server_cpu
            assert s["counts"]["written"] == args.n, s["counts"]
            res[name].append({"wall": wall, "ips": args.n / wall, "server_cpu": server_cpu})
            print(
                f"round {r} {name:10s} {wall:6.2f} s  {args.n / wall:6.1f} img/s  s3 server CPU {server_cpu:5.2f} s",
                flush=True,
            )
            if dst == "s3":
                fs.rm(f"bench/out{k}", recursive=True)
            else:
                shutil.rmtree(out, ignore_errors=True)
    ray.shutdown()
    where = {
        name: where_the_time_goes(src, dst, endpoint, scratch, fs, args.n)
        for name, (_, src, dst) in variants.items()
        if name != "ray"
    }
    server.kill()
    shutil.rmtree(scratch, ignore_errors=True)
    report(args, res, ray_start, upload, where, cold)


def where_the_time_goes(src: str, dst: str, endpoint: str, scratch: Path, fs, n: int) -> dict[str, float]:
    """One run in this process (1 worker), with the storage calls and the job's stages timed by
    wrapping them: seconds per image in reads, writes, and the rest."""
    from augment import batch
    from augment.batch import storage, work

    acc = {"read": 0.0, "write": 0.0}
    real_fetch, real_write_many, real_write = storage._fetch, storage.write_many, storage.write

    def timed(key, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                acc[key] += time.perf_counter() - t

        return wrapper

    storage._fetch = timed("read", real_fetch)
    storage.write_many = timed("write", real_write_many)
    real_stages = work._STAGES
    real_image = work._stage_image
    work._stage_image = timed("read", real_image)  # local reads happen inside it
    work._STAGES = tuple(work._stage_image if f is real_image else f for f in work._STAGES)
    real_stage_write = work._stage_write
    work._stage_write = timed("write", real_stage_write)
    work._STAGES = tuple(work._stage_write if f is real_stage_write else f for f in work._STAGES)
    out = "s3://bench/where" if dst == "s3" else str(scratch / "where")
    try:
        t, cpu = time.perf_counter(), time.process_time()
        batch.run(batch.RunSpec(input=src, output=out, pipeline=PIPELINE, endpoint_url=endpoint), progress=False)
        total, cpu = time.perf_counter() - t, time.process_time() - cpu
    finally:
        storage._fetch, storage.write_many, storage.write = real_fetch, real_write_many, real_write
        work._stage_image, work._stage_write, work._STAGES = real_image, real_stage_write, real_stages
    if dst == "s3":
        fs.rm("bench/where", recursive=True)
    else:
        shutil.rmtree(out, ignore_errors=True)
    # decode time is inside _stage_image: reported with the reads (an upper bound of the I/O)
    return {
        "total_ms": total / n * 1000,
        "read_ms": acc["read"] / n * 1000,
        "write_ms": acc["write"] / n * 1000,
        "cpu_ms": cpu / n * 1000,
    }


def report(
    args: argparse.Namespace,
    res: dict[str, list[dict]],
    ray_start: float,
    upload: float,
    where: dict[str, dict[str, float]],
    cold: dict[str, float],
) -> None:
    def ratio(name: str) -> list[float]:
        return [a["ips"] / b["ips"] for a, b in zip(res[name], res["local"], strict=True)]

    med = statistics.median
    rows = []
    for name, runs in res.items():
        rs = ratio(name)
        rows.append(
            f"| {name} | {med(r['ips'] for r in runs):.1f} | {med(rs):.2f} ({min(rs):.2f}-{max(rs):.2f}) | "
            f"{med(r['server_cpu'] for r in runs) / args.n * 1000:.1f} |"
        )
    where_rows = [
        f"| {name} | {w['total_ms']:.1f} | {w['read_ms']:.1f} | {w['write_ms']:.1f} | "
        f"{w['total_ms'] - w['read_ms'] - w['write_ms']:.1f} | {w['cpu_ms']:.1f} |"
        for name, w in where.items()
    ]
    raw = {
        "cold": cold,
        "where": where,
        "n": args.n,
        "rounds": args.rounds,
        "ray_start_s": ray_start,
        "upload_s": upload,
        "runs": res,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "engines.json").write_text(json.dumps(raw, indent=1))
    notes = "<!-- notes -->\n(no notes yet)\n<!-- /notes -->"
    if args.out.exists():
        old = args.out.read_text()
        if "<!-- notes -->" in old and "<!-- /notes -->" in old:
            notes = old[old.index("<!-- notes -->") : old.index("<!-- /notes -->") + len("<!-- /notes -->")]
    text = f"""# Engines and object storage: `augment run` throughput, side by side

`python benchmarks/bench_engines.py -n {args.n} --rounds {args.rounds}` (the method is in its docstring).
{args.n} JPEGs 512x512 with 5 VOC boxes each, Flip + Rotate(clip), 2 workers; {os.cpu_count()} CPUs,
Python {sys.version.split()[0]}. Ratios are per round against the `local` run of the same round
(median, min-max); on this machine a ratio within 1.5x of 1 is a tie unless it repeats.

| variant | images/s (median) | ratio to local | S3 server CPU ms / image |
|---|---|---|---|
{chr(10).join(rows)}

Where the time goes: one more run of each non-Ray variant in this process with one worker, its
storage calls and stages timed (ms per image; "read" includes the decode of the image, since a
local read happens inside that stage: an upper bound of the reads' share):

| variant | total | read + decode | write (encode excluded) | the rest (augment, encode, VOC, plan, summary) | CPU of this process (client side) |
|---|---|---|---|---|---|
{chr(10).join(where_rows)}

The cluster's first job (its worker processes import the library, before the rounds): Ray
{cold["ray"]:.2f} s against the local engine's {cold["local"]:.2f} s for the same job, a ratio of
{cold["local"] / cold["ray"]:.2f}; the rounds above time a warm cluster.

The Ray cluster's start (once, not in the runs): {ray_start:.1f} s. Uploading the data to the test
server (not timed in the runs): {upload:.1f} s.

{notes}
"""
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
