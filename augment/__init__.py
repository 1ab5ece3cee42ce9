"""augment: ModelArts-compatible image augmentation that moves PASCAL VOC boxes with the pixels.

    import numpy as np, augment as A
    s = A.Sample(image=img, boxes=np.array([[10, 20, 110, 80]], np.float32), labels=["cat"])
    out = A.Rotate(angle_min=-30, angle_max=30)(s, seed=0)   # a Sample, or None if dropped
    p = A.Pipeline.from_config([{"name": "Flip", "lr_ud": "lr"}], seed=0)

Everything public is listed in ``__all__`` (pinned by a test); modules not named here are private.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from .core.registry import BUILTIN_MODULES as _BUILTIN_MODULES  # a name table; imports nothing heavy

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# Public names load on first use (PEP 562), so that ``import augment`` and the ``augment`` command's
# first lines do not import numpy and OpenCV: the command sets its thread variables before numpy
# loads (augment.launch). Each name, and the module (relative to this package) that defines it:
_EXPORTS = {
    **dict.fromkeys(("Sample", "ImageMeta"), "structures"),
    **dict.fromkeys(_BUILTIN_MODULES, "ops"),  # the 19 operators
    "Pipeline": "core.pipeline",
    "BoxPolicy": "core.policy",
    **dict.fromkeys(("Operator", "AffineOperator", "Params", "Outcome"), "core.base"),
    "LutOperator": "core.lut",
    **dict.fromkeys(("OPERATORS", "get_operator", "operator_from_dict"), "core.registry"),
    "rng": "random",
    **dict.fromkeys(("AugmentError", "ConfigError", "UnknownOperatorError", "SampleError", "BoxError",
                     "UnsupportedImageError"), "errors"),
}


# Submodules reachable as attributes without their own import (``import augment; augment.batch``),
# as most were when this package imported everything eagerly. Not augment.torch: it imports torch.
_SUBMODULES = frozenset({"annotations", "batch", "cli", "core", "data", "errors", "examples", "imageio",
                         "kernels", "launch", "ops", "preview", "random", "structures"})


def __getattr__(name: str) -> Any:
    where = _EXPORTS.get(name)
    if where is None:
        if name in _SUBMODULES:
            return importlib.import_module(f".{name}", __name__)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name == "OPERATORS":  # the full table (lookups load what they need themselves)
        importlib.import_module(".core.registry", __name__).load_builtins()
    value = getattr(importlib.import_module(f".{where}", __name__), name)
    globals()[name] = value  # next time a plain module attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what type checkers and IDEs see
    from .core.base import AffineOperator, Operator, Outcome, Params
    from .core.lut import LutOperator
    from .core.pipeline import Pipeline
    from .core.policy import BoxPolicy
    from .core.registry import OPERATORS, get_operator, operator_from_dict
    from .errors import AugmentError, BoxError, ConfigError, SampleError, UnknownOperatorError, UnsupportedImageError
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
