"""Manifest reading / writing speed and peak memory against plain ``json.loads`` (the floor).

Usage::

    taskset -c 1 python benchmarks/bench_manifest.py --lines 1000000 --repeats 3

A manifest of ``--lines`` generated lines (half image classification, half object detection
with ``hard`` strings, lower-case usage and a few non-ASCII labels) is written to a temporary
folder. Each measurement runs in its own process (so ``ru_maxrss`` is that mode's peak), and the
modes are interleaved across repeats because the machine is noisy; the median is reported.

Modes:

* ``floor``      ``json.loads`` on every line of the file, streaming, results discarded;
* ``iter``       ``manifest.iter_manifest`` (streaming, constant memory), results discarded;
* ``iter_small`` the same over the first tenth of the file: peak memory must match ``iter``;
* ``floor_read`` ``[json.loads(line) for line in file]``: every dict kept in a list;
* ``read``       ``manifest.read_manifest``: every Sample kept in a list;
* ``floor_write`` ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` of pre-loaded
  dicts, one line each (time of the writing only);
* ``write``      ``manifest.write_manifest`` of pre-loaded Samples (time of the writing only);
* ``floor_stream`` ``json.loads`` then ``json.dumps`` of each line to a new file, streaming;
* ``stream``     ``write_manifest(iter_manifest(src), dst)``: read + write, streaming.

``--against REV`` compares two states of the package instead: ``manifest/`` at commit REV (``git
archive`` into /tmp, first on the children's PYTHONPATH) and the work tree, each mode run for both
in every round (order swapped every other round); it prints the work tree's speed over REV's per
mode (> 1: faster now), the median of the per-round ratios. Used for "same speed" after a refactor::

    python benchmarks/bench_manifest.py --lines 300000 --repeats 4 --modes floor,iter,read,write,stream --against HEAD~3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = ("floor", "iter", "iter_small", "floor_read", "read", "floor_write", "write", "floor_stream", "stream")
# the floor each mode is compared with
FLOOR_OF = {"iter": "floor", "iter_small": "floor", "read": "floor_read", "write": "floor_write",
            "stream": "floor_stream"}


def generate(path: Path, n: int) -> None:
    labels = ["cat", "dog", "sunflowers", "向日葵", "tulips", "daisy", "bird"]
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        buf = []
        for i in range(n):
            if i % 2 == 0:
                d = {
                    "annotation": [{
                        "name": labels[i % 7],
                        "type": "modelarts/image_classification",
                        "creation-time": "2019-03-30 17:22:31",
                        "annotated-by": "human/username/username",
                    }],
                    "usage": "train",
                    "source": f"s3://modelartscarbon/flowers/{i:08d}_45a7b92b3a_m.jpg",
                    "id": f"{i:032x}",
                }
            else:
                d = {
                    "source": f"s3://obs-ma/test/label-0220/datafiles/1 ({i})_1550632618199.jpg",
                    "usage": "TRAIN",
                    "annotation": [{
                        "annotation-format": "PASCAL VOC",
                        "creation-time": "2019-02-20 03:16:58",
                        "type": "modelarts/object_detection",
                        "annotation-loc": f"s3://carbonsouth/manifest/voc/{i:08d}.xml",
                        "hard": "false" if i % 3 else True,
                        "annotated-by": "human",
                    }],
                }
            buf.append(enc(d) + "\n")
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


def run_mode(mode: str, src: str, n: int) -> dict:
    """Runs inside the child process; returns seconds, lines and peak RSS."""
    import manifest

    out = src + f".{os.getpid()}.out"
    count = 0
    if mode == "floor":
        t = time.perf_counter()
        loads = json.loads
        with open(src, "rb") as f:
            for line in f:
                loads(line)
                count += 1
        dt = time.perf_counter() - t
    elif mode in ("iter", "iter_small"):
        limit = n // 10 if mode == "iter_small" else None
        t = time.perf_counter()
        for _ in manifest.iter_manifest(src):
            count += 1
            if limit is not None and count >= limit:
                break
        dt = time.perf_counter() - t
    elif mode == "floor_read":
        t = time.perf_counter()
        with open(src, "rb") as f:
            objs = [json.loads(line) for line in f]
        dt = time.perf_counter() - t
        count = len(objs)
    elif mode == "floor_stream":
        enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        t = time.perf_counter()
        with open(src, "rb") as f, open(out, "w", encoding="utf-8") as g:
            buf = []
            for line in f:
                buf.append(enc(json.loads(line)) + "\n")
                count += 1
                if len(buf) >= 4096:
                    g.write("".join(buf))
                    buf.clear()
            g.write("".join(buf))
        dt = time.perf_counter() - t
    elif mode == "read":
        t = time.perf_counter()
        m = manifest.read_manifest(src)
        dt = time.perf_counter() - t
        count = len(m)
    elif mode == "floor_write":
        with open(src, "rb") as f:
            objs = [json.loads(line) for line in f]
        enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        t = time.perf_counter()
        with open(out, "w", encoding="utf-8") as f:
            buf = []
            for o in objs:
                buf.append(enc(o) + "\n")
                if len(buf) >= 4096:
                    f.write("".join(buf))
                    buf.clear()
            f.write("".join(buf))
        dt = time.perf_counter() - t
        count = len(objs)
    elif mode == "write":
        samples = manifest.read_manifest(src).samples
        t = time.perf_counter()
        count = manifest.write_manifest(samples, out)
        dt = time.perf_counter() - t
    elif mode == "stream":
        t = time.perf_counter()
        count = manifest.write_manifest(manifest.iter_manifest(src), out)
        dt = time.perf_counter() - t
    else:
        raise SystemExit(f"unknown mode {mode}")
    if os.path.exists(out):
        os.unlink(out)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"mode": mode, "seconds": dt, "lines": count, "rss_mb": rss_mb, "manifest": manifest.__file__}


def _child(mode: str, src: Path, n: int, pythonpath: str | None = None) -> dict:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run([sys.executable, __file__, "--child", mode, str(src), str(n)],
                       capture_output=True, text=True, check=True, env=env)
    return json.loads(p.stdout)


def compare(rev: str, modes: list[str], n: int, repeats: int) -> None:
    """The work tree's lines/s over ``rev``'s, per mode and round (see the module docstring)."""
    repo = Path(__file__).resolve().parent.parent
    short = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", rev], capture_output=True, text=True,
                           check=True).stdout.strip()
    snap = Path(tempfile.gettempdir()) / f"manifest-snapshot-{short}"
    snap.mkdir(exist_ok=True)
    arc = subprocess.run(["git", "-C", str(repo), "archive", short, "manifest"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(snap)], input=arc, check=True)
    sides = {short: str(snap), "work tree": None}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bench.manifest"
        generate(src, n)
        rates: dict[str, dict[str, list[float]]] = {side: {m: [] for m in modes} for side in sides}
        for rep in range(repeats):
            order = list(sides) if rep % 2 == 0 else list(sides)[::-1]
            for mode in modes:
                for side in order:
                    r = _child(mode, src, n, sides[side])
                    want = str(snap) if sides[side] else str(repo)
                    if not r["manifest"].startswith(want):
                        raise SystemExit(f"{side}: measured {r['manifest']}, not {want}")
                    rates[side][mode].append(r["lines"] / r["seconds"])
            print(f"round {rep + 1}: " + ", ".join(
                f"{m} {rates['work tree'][m][-1] / rates[short][m][-1]:.2f}" for m in modes), file=sys.stderr)
    print(f"\n{n:,} lines, {repeats} rounds: work tree / {short} (lines/s; > 1: faster now)\n")
    print(f"| mode | {short} lines/s (median) | work tree lines/s (median) | ratio, median (per round) |")
    print("|---|---:|---:|---:|")
    for m in modes:
        per = [a / b for a, b in zip(rates["work tree"][m], rates[short][m], strict=True)]
        print(f"| {m} | {statistics.median(rates[short][m]):,.0f} | {statistics.median(rates['work tree'][m]):,.0f} | "
              f"{statistics.median(per):.2f} ({', '.join(f'{x:.2f}' for x in per)}) |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--against", metavar="REV", help="compare the work tree with manifest/ at this commit")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "FILE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, src, n = args.child
        print(json.dumps(run_mode(mode, src, int(n))))
        return
    modes = args.modes.split(",")
    if args.against:
        compare(args.against, modes, args.lines, args.repeats)
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "bench.manifest"
        t = time.perf_counter()
        generate(src, args.lines)
        size = src.stat().st_size
        print(f"generated {args.lines} lines, {size / 1e6:.0f} MB in {time.perf_counter() - t:.1f} s",
              file=sys.stderr)
        results: dict[str, list[dict]] = {m: [] for m in modes}
        for rep in range(args.repeats):
            for mode in modes:   # interleaved: one of each mode per round
                r = _child(mode, src, args.lines)
                results[mode].append(r)
                print(f"round {rep + 1} {mode:12s} {r['lines'] / r['seconds']:>10,.0f} lines/s "
                      f"{r['rss_mb']:7.0f} MB", file=sys.stderr)
    med = {m: statistics.median(r["lines"] / r["seconds"] for r in rs) for m, rs in results.items()}
    rss = {m: statistics.median(r["rss_mb"] for r in rs) for m, rs in results.items()}
    print(f"\n{args.lines:,} lines, median of {args.repeats} interleaved runs\n")
    print("| mode | lines/s (median) | compared with | speed ratio (median of per-round ratios) | peak RSS (MB) |")
    print("|---|---:|---|---:|---:|")
    for m in modes:
        floor = FLOOR_OF.get(m)
        if floor in results and results[floor]:
            per_round = [(r["lines"] / r["seconds"]) / (f["lines"] / f["seconds"])
                         for r, f in zip(results[m], results[floor])]
            ratio = f"{statistics.median(per_round):.2f} (rounds: {', '.join(f'{x:.2f}' for x in per_round)})"
        else:
            floor, ratio = "-", "floor"
        print(f"| {m} | {med[m]:,.0f} | {floor} | {ratio} | {rss[m]:.0f} |")


if __name__ == "__main__":
    main()
