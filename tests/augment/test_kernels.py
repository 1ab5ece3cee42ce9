"""Kernel fast paths equal their reference implementation."""

from __future__ import annotations

import numpy as np
import pytest

from augment.kernels.color import _apply_lut_sz, _translate, apply_lut, apply_lut_cv2
from tests.conftest import make_image

TABLES = [(255 - np.arange(256)).astype(np.uint8), np.random.default_rng(0).integers(0, 256, 256).astype(np.uint8)]


@pytest.mark.skipif(_translate is None, reason="stringzilla not installed")
@pytest.mark.parametrize("channels", [None, 1, 3, 4])
@pytest.mark.parametrize("view", ["contiguous", "strided", "fortran"])
def test_stringzilla_lut_equals_opencv(channels, view):
    img = make_image(c=channels)
    if view == "strided":
        img = img[::2, 1::3]
    elif view == "fortran":
        img = np.asfortranarray(img)
    before = img.copy()
    for t in TABLES:
        ref = apply_lut_cv2(np.ascontiguousarray(img), t)
        out = _apply_lut_sz(img, t)
        np.testing.assert_array_equal(out, ref)
        assert out.shape == img.shape and out.dtype == np.uint8
        np.testing.assert_array_equal(apply_lut(img, t), ref)
    np.testing.assert_array_equal(img, before)  # the input is not modified


@pytest.mark.parametrize("channels", [3, 4])
def test_per_channel_tables_equal_the_opencv_route(channels, monkeypatch):
    import augment.kernels.color as C

    img = make_image(c=channels)
    table = TABLES[1]
    fast_y = C.brightness_ycrcb(img, table)
    fast_hs = C.multiply_hue_saturation(img, 1.3, 0.7)
    monkeypatch.setattr(C, "_translate", None)  # the cv2.LUT fallback
    np.testing.assert_array_equal(fast_y, C.brightness_ycrcb(img, table))
    np.testing.assert_array_equal(fast_hs, C.multiply_hue_saturation(img, 1.3, 0.7))
