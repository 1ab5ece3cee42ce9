"""Client CPU per request against S3: s3fs (what augment.batch.storage uses), boto3, obstore.

    python benchmarks/bench_s3_clients.py [--objects 200] [--size 60000] [--rounds 5]

Needs the test extra (s3fs, moto, which brings boto3) and ``pip install obstore`` (not a
dependency of the library: this measures whether it should become one).

The last engines reading (RESULTS-engines.md) found s3 runs CPU-bound on the client: ~6 ms of CPU
per s3fs request against ~3.8 ms for boto3. This measures what a native client (obstore, Rust)
would save, before anyone adopts it. Server: moto's ThreadedMotoServer on the loopback in a
process of its own, so this process's CPU time (``time.process_time``: every thread, the fsspec
event loop's and obstore's Rust runtime's included) is the client's alone.

Method: the same ``--objects`` objects of ``--size`` bytes; per round, each client in turn (order
rotated every round) does a sequential GET of every object, a batched GET of all of them (s3fs
``cat``, obstore ``get_async`` gathered, boto3 a 16-thread pool), and sequential PUTs; medians
over rounds. The machine swings ~2x: read the ratios, and a ratio under 1.5x is a tie.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(port: int) -> None:
    """The S3 server, in its own process until terminated."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    while True:
        time.sleep(3600)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--objects", type=int, default=200)
    ap.add_argument("--size", type=int, default=60_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "s3-clients.json"))
    args = ap.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import multiprocessing

    import boto3
    import obstore
    import s3fs
    from obstore.store import S3Store

    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(200):  # until it answers
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    bucket = "bench"
    keys = [f"obj/{i:05d}.jpg" for i in range(args.objects)]
    payload = os.urandom(args.size)
    fs = s3fs.S3FileSystem(endpoint_url=endpoint, skip_instance_cache=True)
    fs.mkdir(bucket)
    fs.pipe({f"{bucket}/{k}": payload for k in keys})
    b3 = boto3.client("s3", endpoint_url=endpoint)
    ob = S3Store(bucket, endpoint=endpoint, allow_http=True, region="us-east-1",
                 access_key_id="bench", secret_access_key="bench")
    pool = ThreadPoolExecutor(16)

    def s3fs_get():
        for k in keys:
            assert len(fs.cat_file(f"{bucket}/{k}")) == args.size

    def s3fs_batch():
        got = fs.cat([f"{bucket}/{k}" for k in keys])
        assert all(len(v) == args.size for v in got.values())

    def s3fs_put():
        for k in keys[:50]:
            fs.pipe_file(f"{bucket}/put/{k}", payload)

    def boto_get():
        for k in keys:
            assert len(b3.get_object(Bucket=bucket, Key=k)["Body"].read()) == args.size

    def boto_batch():
        got = list(pool.map(lambda k: b3.get_object(Bucket=bucket, Key=k)["Body"].read(), keys))
        assert all(len(v) == args.size for v in got)

    def boto_put():
        for k in keys[:50]:
            b3.put_object(Bucket=bucket, Key=f"put/{k}", Body=payload)

    def ob_get():
        for k in keys:
            assert len(obstore.get(ob, k).bytes()) == args.size

    def ob_batch():
        async def go():
            res = await asyncio.gather(*(obstore.get_async(ob, k) for k in keys))
            return await asyncio.gather(*(r.bytes_async() for r in res))

        got = asyncio.run(go())
        assert all(len(v) == args.size for v in got)

    def ob_put():
        for k in keys[:50]:
            obstore.put(ob, f"put/{k}", payload)

    clients = {
        "s3fs": (s3fs_get, s3fs_batch, s3fs_put),
        "boto3": (boto_get, boto_batch, boto_put),
        "obstore": (ob_get, ob_batch, ob_put),
    }
    for fns in clients.values():  # warm-up: connections, imports, credential chains
        for f in fns:
            f()
    rec: dict = {name: {"get_cpu_ms": [], "get_wall_ms": [], "batch_wall_ms": [], "batch_cpu_ms": [],
                        "put_cpu_ms": [], "put_wall_ms": []} for name in clients}
    order = list(clients)
    for r in range(args.rounds):
        for name in order[r % 3:] + order[: r % 3]:
            get, batch, put = clients[name]
            for what, fn, n in (("get", get, len(keys)), ("batch", batch, len(keys)), ("put", put, 50)):
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                rec[name][f"{what}_wall_ms"].append((time.perf_counter() - t0) * 1e3 / n)
                rec[name][f"{what}_cpu_ms"].append((time.process_time() - c0) * 1e3 / n)
        print(f"round {r + 1}/{args.rounds}", file=sys.stderr)
    server.terminate()
    out = {"objects": args.objects, "size": args.size, "rounds": args.rounds, "loadavg": os.getloadavg(),
           "versions": {"s3fs": s3fs.__version__, "boto3": boto3.__version__, "obstore": obstore.__version__},
           "times": rec}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
    print("| client | GET client CPU ms | GET wall ms | batched GET client CPU ms/object | "
          "batched GET wall ms/object | PUT client CPU ms | PUT wall ms |")
    print("|---|---|---|---|---|---|---|")
    for name, t in rec.items():
        cells = [f"{statistics.median(t[k]):.2f}" for k in ("get_cpu_ms", "get_wall_ms", "batch_cpu_ms",
                                                               "batch_wall_ms", "put_cpu_ms", "put_wall_ms")]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nload average {os.getloadavg()[0]:.1f}; {args.objects} objects of {args.size} bytes; "
          f"{args.rounds} rounds; versions {out['versions']}")


if __name__ == "__main__":
    main()
