"""Building a dataset over a big manifest: ``ManifestDataset(path)`` for N lines with relative
sources and VOC files (the files need not exist: they are read per item), us per line.

    python benchmarks/bench_dataset_build.py [--lines 200000] [--rounds 3] [--against REV]

With ``--against REV``, augment at REV (a git archive snapshot, benchlib.snapshot_env) and the
work tree are timed alternately, each round in a fresh process; the ratio is REV's time over the
work tree's (> 1: the work tree is faster). Parsing the manifest is included (it is the same code
on both sides unless manifest/ changed too; the snapshot holds augment/ only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib as L  # noqa: E402


def _one(path: str) -> float:
    A = L.import_augment()  # noqa: F841  (the snapshot's augment when BENCH_AUGMENT_SNAPSHOT is set)
    import augment.data as D

    t = time.perf_counter()
    ds = D.ManifestDataset(path)
    took = time.perf_counter() - t
    assert len(ds) > 0
    return took / len(ds) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--against", metavar="REV")
    ap.add_argument("--child", metavar="MANIFEST", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_one(args.child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sets", "train.manifest")
        os.makedirs(os.path.dirname(path))
        with open(path, "w") as f:
            for i in range(args.lines):
                f.write(json.dumps({"source": f"../img/{i:07d}.jpg", "usage": "TRAIN", "annotation": [
                    {"type": "modelarts/object_detection", "annotation-loc": f"../voc/{i:07d}.xml",
                     "annotation-format": "PASCAL VOC"}]}) + "\n")
        sides = {"work tree": dict(os.environ)}
        if args.against:
            sides = {args.against: L.snapshot_env(args.against), **sides}
        times: dict[str, list[float]] = {k: [] for k in sides}
        for r in range(args.rounds):
            for name, env in (sides.items() if r % 2 == 0 else reversed(sides.items())):
                out = subprocess.run([sys.executable, __file__, "--child", path], env=env, capture_output=True,
                                     text=True, check=True).stdout
                times[name].append(json.loads(out.strip().splitlines()[-1]))
        for name, t in times.items():
            print(f"{name}: {statistics.median(t):.1f} us a line (rounds: {', '.join(f'{x:.1f}' for x in t)})")
        if args.against:
            ratios = [a / b for a, b in zip(times[args.against], times["work tree"], strict=True)]
            print(f"ratio {args.against} / work tree: {statistics.median(ratios):.2f} "
                  f"({min(ratios):.2f}-{max(ratios):.2f}); {args.lines} lines, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
