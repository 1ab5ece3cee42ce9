"""``augment preview``: a contact sheet of a few inputs and their augmented copies, boxes drawn."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .core.pipeline import Pipeline

__all__ = ["preview", "draw_boxes"]

CELL = 256
_COLOURS = [(255, 230, 0), (0, 255, 120), (0, 220, 255), (255, 120, 0), (255, 0, 255), (180, 255, 0)]


def _to_rgb8(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    elif image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return image[..., :3]


def draw_boxes(image: np.ndarray, boxes: np.ndarray, labels: list) -> Image.Image:
    """An RGB PIL image with the boxes and their labels drawn."""
    im = Image.fromarray(np.ascontiguousarray(_to_rgb8(image)))
    d = ImageDraw.Draw(im)
    names = sorted({str(lb) for lb in labels})
    for (x1, y1, x2, y2), lb in zip(boxes.tolist(), labels, strict=False):
        colour = _COLOURS[names.index(str(lb)) % len(_COLOURS)]
        rect = [x1, y1, max(x1, x2 - 1), max(y1, y2 - 1)]
        d.rectangle(rect, outline=(0, 0, 0), width=4)  # a dark rim keeps the box visible on any colour
        d.rectangle(rect, outline=colour, width=2)
        d.text((x1 + 4, y1 + 3), str(lb), fill=colour, stroke_width=1, stroke_fill=(0, 0, 0))
    return im


def _cell(im: Image.Image | None, caption: str) -> Image.Image:
    cell = Image.new("RGB", (CELL, CELL + 16), (40, 40, 40))
    if im is not None:
        im = im.copy()
        im.thumbnail((CELL, CELL))
        cell.paste(im, ((CELL - im.width) // 2, (CELL - im.height) // 2))
    ImageDraw.Draw(cell).text((4, CELL + 2), caption[:40], fill=(230, 230, 230))
    return cell


def preview(input_path: str | os.PathLike, pipeline: Pipeline, out_png: str | os.PathLike, *, count: int = 4,
            copies: int = 3, layout: str = "auto") -> int:
    """Write the sheet; returns how many inputs it shows."""
    from .batch import RunSpec, discover
    from .batch.plan import Unit
    from .batch.work import _Skip, load

    for what, v, hi in (("count", count, 64), ("copies", copies, 16)):
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
            from .batch import RunError

            raise RunError(f"preview: {what} must be a whole number from 1 to {hi} (got {v!r}): a sheet holds "
                           f"at most 64 rows of 17 cells")
    from .imageio import ImageReadError, write_image

    _, items, _, _ = discover(input_path, layout)
    spec = RunSpec(str(input_path), "", pipeline.to_config())
    rows: list[list[Image.Image]] = []
    for it in items:
        if len(rows) == count:
            break
        if it.problem:
            continue
        try:
            sample, _ = load(Unit(it, 0), spec)
        except (_Skip, ImageReadError):
            continue
        cells = [_cell(draw_boxes(sample.image, sample.boxes, sample.labels or sample.meta.get("labels", [])),
                       f"{it.source} (input)")]
        for k in range(copies):
            result = pipeline.run(sample, index=it.index, epoch=k)
            if result.sample is None:
                cells.append(_cell(None, f"dropped: {result.dropped}"))
            else:
                s = result.sample
                cells.append(_cell(draw_boxes(s.image, s.boxes, s.labels), f"copy {k}"))
        rows.append(cells)
    if not rows:
        from .batch import RunError

        raise RunError(f"{input_path}: no readable, annotated input to preview")
    w, h = rows[0][0].size
    sheet = Image.new("RGB", (w * (copies + 1), h * len(rows)), (0, 0, 0))
    for r, cells in enumerate(rows):
        for c, cell in enumerate(cells):
            sheet.paste(cell, (c * w, r * h))
    write_image(Path(out_png), np.asarray(sheet))
    return len(rows)
