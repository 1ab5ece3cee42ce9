"""Dataset overhead: samples/s through ``augment.data`` versus decoding + augmenting in a plain loop.

Generates ~200 JPEGs (512x512) with PASCAL VOC boxes in a temporary folder, then times, interleaved
over ``--repeats`` rounds (same files, same seeded pipeline, same index/epoch keys):

  (a) plain loop:   read_image + read_voc/to_boxes + Pipeline.run per sample
  (b) dataset:      ds[i] for every i (FolderDataset)
  (c) DataLoader:   torch DataLoader(num_workers=0, batch_size=8, collate_fn=augment.torch.collate)

and reports samples/s (median round) and the overhead of (b) and (c) relative to (a). Single thread:
run under ``taskset -c 1``; OpenCV is set to 1 thread here.

    taskset -c 1 python benchmarks/bench_dataloader.py [--n 200] [--repeats 5] [--write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

import augment as A
import augment.data as D
from augment.imageio import read_image
from manifest import read_voc
from manifest.vocboxes import from_boxes, to_boxes

PIPELINE = {
    "ops": [
        {"name": "Flip", "lr_ud": "lr", "flip_p": 0.5},
        {"name": "Rotate", "angle_min": -10, "angle_max": 10, "box_policy": "clip"},
        {"name": "LightContrast", "func": "gamma"},
        {"name": "Saturation"},
    ]
}
SIZE = 512


def make_dataset(folder: Path, n: int) -> None:
    g = np.random.default_rng(0)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    for i in range(n):
        base = 127 + 60 * np.sin(xx / (9 + i % 7)) * np.cos(yy / (11 + i % 5))
        img = np.stack([base, base[::-1], base[:, ::-1]], -1) + g.normal(0, 8, (SIZE, SIZE, 3))
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / f"im{i:04d}.jpg", quality=90)
        k = 1 + i % 5
        x1 = g.uniform(10, 300, k)
        y1 = g.uniform(10, 300, k)
        boxes = np.stack([x1, y1, x1 + g.uniform(40, 200, k), y1 + g.uniform(40, 200, k)], 1).astype(np.float32)
        ann = from_boxes(f"im{i:04d}.jpg", (SIZE, SIZE, 3), np.round(boxes), ["obj"] * k)
        (folder / f"im{i:04d}.xml").write_bytes(ann.to_bytes())


def plain_loop(paths: list[tuple[str, str]], pipeline: A.Pipeline, epoch: int) -> int:
    done = 0
    for i, (img_path, xml_path) in enumerate(paths):
        image, _ = read_image(img_path)
        vb = to_boxes(read_voc(xml_path))
        s = A.Sample(image, vb.boxes, vb.labels, vb.fields, {"source": img_path})
        out = pipeline.run(s, index=i, epoch=epoch)
        done += out.sample is not None
    return done


def dataset_loop(ds: D.FolderDataset, epoch: int) -> int:
    done = 0
    for i in range(len(ds)):
        done += ds[(epoch, i)] is not None
    return done


def dataloader_loop(ds: D.FolderDataset, epoch: int) -> int:
    from torch.utils.data import DataLoader

    import augment.torch as AT

    sampler = D.EpochSampler(ds, epoch=epoch)
    loader = DataLoader(ds, batch_size=8, sampler=sampler, num_workers=0, collate_fn=AT.collate)
    return sum(len(b["index"]) for b in loader)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--write", action="store_true", help="write benchmarks/RESULTS-dataloader.md")
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_dataset(folder, args.n)
        ds = D.FolderDataset(folder, PIPELINE, seed=0)
        paths = [(r.image, r.voc) for r in ds.records]
        pipeline = A.Pipeline.from_config(PIPELINE, seed=0)
        # same output: the dataset's sample i is the plain loop's sample i
        ref, _ = read_image(paths[3][0])
        vb = to_boxes(read_voc(paths[3][1]))
        a = pipeline.run(A.Sample(ref, vb.boxes, vb.labels, vb.fields), index=3, epoch=0).sample
        assert np.array_equal(a.image, ds[(0, 3)]["image"]) and np.array_equal(a.boxes, ds[(0, 3)]["boxes"])
        runners = {
            "plain loop (read_image + VOC + pipeline.run)": lambda e: plain_loop(paths, pipeline, e),
            "dataset ds[i]": lambda e: dataset_loop(ds, e),
            "DataLoader(num_workers=0) + collate": lambda e: dataloader_loop(ds, e),
        }
        for fn in runners.values():  # warm-up
            fn(99)
        times: dict[str, list[float]] = {k: [] for k in runners}
        for r in range(args.repeats):
            for name, fn in runners.items():
                t0 = time.perf_counter()
                n = fn(r)
                times[name].append(time.perf_counter() - t0)
                assert n == args.n, (name, n)
    base = statistics.median(times[next(iter(times))])
    rows = ["| path | median s / pass | samples/s | overhead vs plain loop | min..max s |",
            "|---|---:|---:|---:|---|"]
    for name, ts in times.items():
        med = statistics.median(ts)
        rows.append(f"| {name} | {med:.3f} | {args.n / med:.1f} | {100 * (med / base - 1):+.1f}% | "
                    f"{min(ts):.3f}..{max(ts):.3f} |")
    table = "\n".join(rows)
    print(table)
    if args.write:
        import platform

        cmd = "taskset -c 1 python benchmarks/bench_dataloader.py " + " ".join(argv or sys.argv[1:])
        text = f"""# Dataloader overhead

`augment.data.FolderDataset` against decoding and augmenting the same files in a plain loop.
{args.n} JPEGs {SIZE}x{SIZE} with 1-5 VOC boxes each; pipeline Flip(p=0.5), Rotate(+-10, clip),
LightContrast(gamma), Saturation, seed 0; same (index, epoch) keys in every path (outputs checked
equal). {args.repeats} interleaved rounds, median. One core (`taskset -c 1`), `cv2.setNumThreads(1)`,
`torch.set_num_threads(1)`.

Command: `{cmd.strip()}`

Machine: {platform.machine()}, Python {platform.python_version()}, numpy {np.__version__},
OpenCV {cv2.__version__}, torch {torch.__version__}.

{table}

The dataset's work per item beyond the plain loop: a record lookup, the VOC validation (size and
box checks, per-box field conversion) and the output dict; the DataLoader adds batching and
`collate` (stacking 8 images into one tensor).
"""
        out = Path(__file__).with_name("RESULTS-dataloader.md")
        out.write_text(text)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
