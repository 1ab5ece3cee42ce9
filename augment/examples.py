"""A small generated dataset to try the batch job on (``augment example DIR``).

``DIR/detection/``        JPEG images with same-name PASCAL VOC ``.xml`` files
``DIR/classification/``   one sub-folder per label
``DIR/pipeline.json``     a pipeline config for ``augment run --ops``
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .imageio import atomic_write_bytes, write_image
from .structures import Sample

__all__ = ["PIPELINE", "example_samples", "write_example"]

PIPELINE = {
    "seed": 0,
    "ops": [
        {"name": "Flip", "lr_ud": "lr", "flip_p": 0.5},
        {"name": "Rotate", "angle_min": -15, "angle_max": 15, "box_policy": "clip"},
        {"name": "LightContrast", "func": "gamma", "gamma_min": 0.7, "gamma_max": 1.5},
        {"name": "AddNoise", "noise_type": "Gauss", "scale": 4},
    ],
}


def example_samples(n: int = 6, seed: int = 0) -> list[Sample]:
    """Coloured rectangles ('cat', 'dog') on a textured background, with their boxes."""
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
            label = ["cat", "dog"][int(g.integers(0, 2))]
            img[y1 : y1 + bh, x1 : x1 + bw] = (220, 60, 60) if label == "cat" else (60, 60, 220)
            boxes.append([x1, y1, x1 + bw, y1 + bh])
            labels.append(label)
        out.append(Sample(img, np.array(boxes, np.float32), labels, meta={"source": f"img_{i:02d}.jpg"}))
    return out


def write_example(folder: str | os.PathLike, count: int = 6) -> dict[str, Path]:
    from manifest.vocboxes import from_boxes

    root = Path(folder)
    det, cls = root / "detection", root / "classification"
    for s in example_samples(count):
        name = s.meta["source"]
        write_image(det / name, s.image, quality=95)
        h, w = s.image.shape[:2]
        ann = from_boxes(name, (w, h, 3), s.boxes, s.labels)
        atomic_write_bytes(det / (Path(name).stem + ".xml"), ann.to_bytes())
        write_image(cls / s.labels[0] / name, s.image, quality=95)
    atomic_write_bytes(root / "pipeline.json", json.dumps(PIPELINE, indent=2).encode())
    return {"detection": det, "classification": cls, "pipeline": root / "pipeline.json"}
