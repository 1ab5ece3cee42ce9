"""Box kernels on ``(N, 4)`` float32 xyxy arrays, absolute continuous pixel coordinates."""

from __future__ import annotations

import numpy as np

__all__ = ["transform_boxes", "clip_boxes", "box_area"]


def transform_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Axis-aligned hull of the four corners of each box mapped by a 3x3 affine ``matrix``.

    Computed in float64 and returned as float32, so that exact inputs (rotations by multiples of
    90 degrees, integer shifts) give exact outputs.
    """
    if not len(boxes):
        return boxes
    b = boxes.astype(np.float64)
    xs = b[:, [0, 2, 2, 0]]  # corners: (x1,y1) (x2,y1) (x2,y2) (x1,y2)
    ys = b[:, [1, 1, 3, 3]]
    a, c, e = matrix[0]
    bb, d, f = matrix[1]
    tx = a * xs + c * ys + e
    ty = bb * xs + d * ys + f
    out = np.empty((len(b), 4), np.float64)
    out[:, 0] = tx.min(axis=1)
    out[:, 1] = ty.min(axis=1)
    out[:, 2] = tx.max(axis=1)
    out[:, 3] = ty.max(axis=1)
    return out.astype(np.float32)


def clip_boxes(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    out = np.empty_like(boxes)
    np.clip(boxes[:, 0::2], 0, width, out=out[:, 0::2])
    np.clip(boxes[:, 1::2], 0, height, out=out[:, 1::2])
    return out


def box_area(boxes: np.ndarray) -> np.ndarray:
    w = np.maximum(boxes[:, 2] - boxes[:, 0], 0)
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    return w * h
