"""augment: ModelArts-compatible image augmentation that moves PASCAL VOC boxes with the pixels.

    import numpy as np, augment as A
    s = A.Sample(image=img, boxes=np.array([[10, 20, 110, 80]], np.float32), labels=["cat"])
    out = A.Rotate(angle_min=-30, angle_max=30)(s, seed=0)   # a Sample, or None if dropped
    p = A.Pipeline.from_config([{"name": "Flip", "lr_ud": "lr"}], seed=0)

Everything public is listed in ``__all__`` (pinned by a test); modules not named here are private.
"""

from __future__ import annotations

import logging

from .core.base import AffineOperator, Operator, Outcome, Params
from .core.pipeline import Pipeline
from .core.policy import BoxPolicy
from .core.registry import OPERATORS, get_operator, operator_from_dict
from .errors import (
    AugmentError,
    BoxError,
    ConfigError,
    SampleError,
    UnknownOperatorError,
    UnsupportedImageError,
)
from .core.lut import LutOperator
from .ops import (
    AddNoise,
    Blur,
    Crop,
    CutOut,
    Flip,
    Grayscale,
    HistogramEqual,
    LightArithmetic,
    LightContrast,
    MotionBlur,
    Padding,
    Resize,
    Rotate,
    Saturation,
    Scale,
    Sharpen,
    Shear,
    Translate,
    Weather,
)
from .random import rng
from .structures import ImageMeta, Sample

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    # data
    "Sample",
    "ImageMeta",
    # operators
    "Crop",
    "Flip",
    "Padding",
    "Resize",
    "Rotate",
    "Scale",
    "Shear",
    "Translate",
    "AddNoise",
    "Blur",
    "CutOut",
    "Grayscale",
    "HistogramEqual",
    "LightArithmetic",
    "LightContrast",
    "MotionBlur",
    "Saturation",
    "Sharpen",
    "Weather",
    # composition and configuration
    "Pipeline",
    "BoxPolicy",
    "Operator",
    "AffineOperator",
    "LutOperator",
    "Params",
    "Outcome",
    "OPERATORS",
    "get_operator",
    "operator_from_dict",
    "rng",
    # errors
    "AugmentError",
    "ConfigError",
    "UnknownOperatorError",
    "SampleError",
    "BoxError",
    "UnsupportedImageError",
    "__version__",
]
