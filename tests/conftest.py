"""Shared fixtures: small deterministic images and boxes, generated here (no files needed)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

# Tests fork worker processes (process pools, DataLoader workers). Forking a process whose OpenCV
# thread pool has run can hang the child (see augment.data's docstring; seen once in this suite),
# so the test process follows the advice given there and never starts that pool.
cv2.setNumThreads(1)


def make_image(h: int = 67, w: int = 91, c: int | None = 3, dtype=np.uint8, seed: int = 0) -> np.ndarray:
    """A photo-like test image: gradients, a sinusoid, a hard-edged block, mild noise."""
    g = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = []
    for k in range(c or 1):
        v = 0.5 + 0.25 * np.sin(xx / (5 + 2 * k)) * np.cos(yy / (7 + k)) + 0.2 * (xx / w - yy / h)
        chans.append(v)
    img = np.stack(chans, -1)
    img[h // 4 : h // 2, w // 3 : w // 2] = 0.9
    img = np.clip(img + g.normal(0, 0.02, img.shape), 0, 1)
    if dtype == np.uint8:
        out = (img * 255).round().astype(np.uint8)
    elif dtype == np.uint16:
        out = (img * 65535).round().astype(np.uint16)
    else:
        out = img.astype(dtype)
    return out if c is not None else out[..., 0]


@pytest.fixture
def rgb() -> np.ndarray:
    return make_image()


@pytest.fixture
def boxes() -> np.ndarray:
    # inside; near the right/bottom edge; touching the top-left corner
    return np.array([[20, 10, 50, 40], [70, 45, 90, 66], [0, 0, 15, 12]], np.float32)
