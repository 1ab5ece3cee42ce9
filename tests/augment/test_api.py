"""The public API: the issue's calls work as written; ``__all__`` is pinned."""

from __future__ import annotations

import json

import numpy as np

import augment as A

PUBLIC = {
    "Sample", "ImageMeta",
    "Crop", "Flip", "Padding", "Resize", "Rotate", "Scale", "Shear", "Translate",
    "AddNoise", "Blur", "CutOut", "Grayscale", "HistogramEqual", "LightArithmetic", "LightContrast",
    "MotionBlur", "Saturation", "Sharpen", "Weather", "LutOperator",
    "Pipeline", "Sequential", "OneOf", "SomeOf", "Sometimes", "BoxPolicy", "Operator", "AffineOperator", "Params", "Outcome",
    "OPERATORS", "get_operator", "operator_from_dict", "rng",
    "AugmentError", "ConfigError", "UnknownOperatorError", "SampleError", "BoxError", "UnsupportedImageError",
    "ImageReadError", "ImageTooLargeError", "ImageWriteError", "AnnotationError", "DatasetError", "LoadError",
    "AllDroppedError", "ItemIndexError", "ItemKeyError", "RunError", "FatalRunError", "Interrupted", "StorageError",
    "__version__",
}


def test_exported_members_are_pinned():
    assert set(A.__all__) == PUBLIC
    assert len(A.__all__) == len(set(A.__all__))
    for name in A.__all__:
        assert hasattr(A, name), name


def test_the_issue_example_works_as_written():
    img = np.zeros((240, 320, 3), np.uint8)
    s = A.Sample(image=img, boxes=np.array([[10, 20, 110, 80]], np.float32), labels=["cat"])
    # this box's corner leaves a 240x320 image at 30 degrees: ModelArts' rule drops the image
    assert A.Rotate(angle_min=30, angle_max=30)(s, seed=0) is None
    s = A.Sample(image=img, boxes=np.array([[110, 90, 210, 150]], np.float32), labels=["cat"])
    out = A.Rotate(angle_min=30, angle_max=30)(s, seed=0)
    assert out is not None
    assert out.image.shape == img.shape
    assert out.boxes.shape == (1, 4) and out.boxes.dtype == np.float32
    assert out.labels == ["cat"]
    flipped = A.Flip(lr_ud="lr")(img)
    assert isinstance(flipped, np.ndarray) and flipped.shape == img.shape
    p = A.Pipeline.from_config([{"name": "Flip", "lr_ud": "lr"},
                                {"name": "Rotate", "angle_min": -10, "angle_max": 10}], seed=0)
    p(s)
    cfg = p.to_config()
    assert A.Pipeline.from_config(json.loads(json.dumps(cfg))) == p
    out, params = A.Rotate(angle_min=-30, angle_max=30)(s, seed=0, return_params=True)
    assert -30 <= params.angle <= 30


def test_errors_form_one_tree():
    for name in ("ConfigError", "UnknownOperatorError", "SampleError", "BoxError", "UnsupportedImageError"):
        assert issubclass(getattr(A, name), A.AugmentError)
    assert issubclass(A.ConfigError, ValueError)
    assert issubclass(A.UnsupportedImageError, TypeError)
