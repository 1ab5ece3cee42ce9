"""Fixed-parameter outputs against imgaug 0.4.0 (tests/data/imgaug_pixel.*, made by
tests/data/make_imgaug_refs_pixel.py in the imgaug side environment)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import augment as A

DATA = Path(__file__).resolve().parents[1] / "data"
META = json.loads((DATA / "imgaug_pixel.json").read_text())
ARRAYS = np.load(DATA / "imgaug_pixel.npz")
KEYS = sorted(META["cases"])


@pytest.mark.parametrize("key", KEYS)
def test_matches_imgaug(key):
    case = META["cases"][key]
    op = A.operator_from_dict(case["config"])
    image = ARRAYS["input_" + case["input"]]
    out = op(image, seed=0)
    ref = ARRAYS[key]
    assert out.shape == ref.shape and out.dtype == ref.dtype
    diff = np.abs(out.astype(np.int16) - ref.astype(np.int16))
    tol = case["max_abs_diff"]
    if tol is None:  # informative case (MotionBlur's kernel rotation): close, not asked to be equal
        assert diff.max() <= 3 and diff.mean() < 0.5
    else:
        assert diff.max() <= tol, f"{key}: max |diff| {diff.max()} > {tol}"


def test_every_asked_operator_is_covered():
    names = {META["cases"][k]["config"]["name"] for k in KEYS}
    assert {"LightContrast", "Grayscale", "Sharpen", "Blur", "HistogramEqual", "LightArithmetic", "Saturation"} <= names
    funcs = {META["cases"][k]["config"].get("func") for k in KEYS}
    assert {"gamma", "sigmoid", "log", "linear"} <= funcs
