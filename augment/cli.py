"""The ``augment`` command.

``augment ops``          every operator with its parameters and defaults
``augment demo -o DIR``  generate a small labelled example, augment it, write the images with their
                         boxes drawn and a JSON of the boxes (a check that the install works)

The folder batch job (``augment run``) is not part of this release yet; the command says so
rather than pretending to run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

from . import __version__
from .core.pipeline import Pipeline
from .core.registry import OPERATORS
from .errors import AugmentError
from .structures import Sample

DEMO_PIPELINE = [
    {"name": "Flip", "lr_ud": "lr", "flip_p": 0.5},
    {"name": "Rotate", "angle_min": -15, "angle_max": 15},
    {"name": "Scale", "scaleXY": "X", "scale_min": 0.8, "scale_max": 1.2},
]


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n\n")[0].replace("\n", " ")


def cmd_ops(args: argparse.Namespace) -> int:
    for name in sorted(OPERATORS):
        cls = OPERATORS[name]
        params = ", ".join(
            f"{f.name}={f.default!r}" for f in dataclasses.fields(cls) if f.name in cls.own_fields()
        )
        print(f"{name}({params})")
        print(f"    {_first_line(cls.__doc__)}")
    return 0


def demo_samples(n: int = 3, seed: int = 0) -> list[Sample]:
    """Small synthetic detection samples: coloured rectangles on a textured background, boxed."""
    g = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = 240, 320
        yy, xx = np.mgrid[0:h, 0:w]
        bg = np.stack([(xx * 0.6) % 256, (yy * 0.8) % 256, ((xx + yy) * 0.3) % 256], -1)
        img = (bg * 0.5 + g.integers(0, 40, (h, w, 3))).astype(np.uint8)
        boxes, labels = [], []
        for _ in range(2):
            bw, bh = int(g.integers(40, 90)), int(g.integers(40, 90))
            x1, y1 = int(g.integers(60, w - bw - 60)), int(g.integers(50, h - bh - 50))
            img[y1 : y1 + bh, x1 : x1 + bw] = g.integers(60, 255, 3)
            boxes.append([x1, y1, x1 + bw, y1 + bh])
            labels.append(["cat", "dog"][int(g.integers(0, 2))])
        out.append(Sample(img, np.array(boxes, np.float32), labels, meta={"source": f"demo_{i}.png"}))
    return out


def _draw(image: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    img = image.copy()
    h, w = img.shape[:2]
    for x1, y1, x2, y2 in np.round(boxes).astype(int):
        x1, x2 = np.clip([x1, x2 - 1], 0, w - 1)
        y1, y2 = np.clip([y1, y2 - 1], 0, h - 1)
        img[y1 : y2 + 1, [x1, x2]] = (255, 0, 0)
        img[[y1, y2], x1 : x2 + 1] = (255, 0, 0)
    return img


def cmd_demo(args: argparse.Namespace) -> int:
    from PIL import Image

    out_dir = Path(args.output)
    out_dir.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline.from_config(DEMO_PIPELINE, seed=args.seed)
    records = []
    for i, sample in enumerate(demo_samples(args.count, seed=args.seed)):
        result = pipeline.run(sample, index=i)
        name = Path(sample.meta["source"]).stem
        Image.fromarray(_draw(sample.image, sample.boxes)).save(out_dir / f"{name}_input.png")
        rec = {"source": sample.meta["source"], "boxes_in": sample.boxes.tolist(), "labels_in": sample.labels}
        if result.sample is None:
            rec["dropped"] = result.dropped
        else:
            Image.fromarray(_draw(result.sample.image, result.sample.boxes)).save(out_dir / f"{name}_augmented.png")
            rec.update(boxes_out=result.sample.boxes.tolist(), labels_out=result.sample.labels)
        records.append(rec)
    (out_dir / "boxes.json").write_text(json.dumps({"pipeline": pipeline.to_config(), "samples": records}, indent=2))
    dropped = sum("dropped" in r for r in records)
    print(f"augmented {len(records) - dropped} of {len(records)} demo images into {out_dir} "
          f"({dropped} dropped by the box policy); see boxes.json", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    print("augment run: the folder batch job is not in this release yet (tracked as its own issue); "
          "use the Python API (augment.Pipeline) meanwhile.", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="augment", description="ModelArts-compatible image augmentation.")
    parser.add_argument("--version", action="version", version=f"augment {__version__}")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("ops", help="list every operator with its parameters and defaults")
    p.set_defaults(func=cmd_ops)
    p = sub.add_parser("demo", help="augment a generated example and write the result")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--count", type=int, default=3)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("run", help="(not yet available) augment a folder or manifest")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except AugmentError as exc:
        print(f"augment: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
