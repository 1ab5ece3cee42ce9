"""Box kernels on ``(N, 4)`` float32 xyxy arrays, absolute continuous pixel coordinates."""

from __future__ import annotations

import numpy as np

__all__ = ["transform_boxes", "clip_boxes", "box_area"]


def transform_boxes(boxes: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Axis-aligned hull of the four corners of each box mapped by a 3x3 affine ``matrix``.

    Computed in float64 and returned as float32, so that exact inputs (flips, rotations by
    multiples of 90 degrees, integer shifts) give exact outputs.
    """
    if not len(boxes):
        return boxes
    b = boxes.astype(np.float64)
    x = b[:, 0::2]  # (N, 2): x1, x2
    y = b[:, 1::2]  # (N, 2): y1, y2
    (a, c, e), (d, f, g) = matrix[0], matrix[1]
    out = np.empty((len(b), 4), np.float32)
    if c == 0.0 and d == 0.0:  # axis-aligned (flip, scale, shift): two corners suffice
        tx = a * x + e
        ty = f * y + g
        out[:, 0] = tx.min(axis=1)
        out[:, 2] = tx.max(axis=1)
        out[:, 1] = ty.min(axis=1)
        out[:, 3] = ty.max(axis=1)
        return out
    # the four corners are every (x_i, y_j) pair: (N, 2, 2) by broadcasting
    tx = (a * x + e)[:, :, None] + (c * y)[:, None, :]
    ty = (d * x)[:, :, None] + (f * y + g)[:, None, :]
    out[:, 0] = tx.min(axis=(1, 2))
    out[:, 2] = tx.max(axis=(1, 2))
    out[:, 1] = ty.min(axis=(1, 2))
    out[:, 3] = ty.max(axis=(1, 2))
    return out


def clip_boxes(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    hi = np.array([width, height, width, height], np.float32)
    return np.minimum(np.maximum(boxes, np.float32(0)), hi)


def box_area(boxes: np.ndarray) -> np.ndarray:
    w = np.maximum(boxes[:, 2] - boxes[:, 0], 0)
    h = np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    return w * h
