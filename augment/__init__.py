"""augment: ModelArts-compatible image augmentation that moves PASCAL VOC boxes with the pixels.

    import numpy as np, augment as A
    s = A.Sample(image=img, boxes=np.array([[10, 20, 110, 80]], np.float32), labels=["cat"])
    out = A.Rotate(angle_min=-30, angle_max=30)(s, seed=0)   # a Sample, or None if dropped
    p = A.Pipeline.from_config([{"name": "Flip", "lr_ud": "lr"}], seed=0)

What is public:

* the names in ``__all__`` (pinned by a test), importable from this package;
* the modules in :data:`PUBLIC_MODULES`, each with its own ``__all__``: ``augment.batch`` (the
  folder job, ``augment.batch.run``), ``augment.data`` (the datasets), ``augment.torch`` (PyTorch
  glue; imports torch), ``augment.geometry`` (``Shapes``), ``augment.imageio`` (decoding and its
  errors, ``ImageReadError``), ``augment.errors`` (the exception tree), ``augment.ops`` (the
  operator families and their catalogue) and ``augment.core`` (what an operator of your own
  subclasses and validates with: ``core.base.register``, ``core.validate``, ``core.sampling``);
* everything else is private and may change without notice: ``augment.annotations``,
  ``augment.vocshapes``, ``augment.cli``, ``augment.launch``, ``augment.examples``,
  ``augment.preview``, ``augment.kernels`` and the modules behind the names of ``__all__``
  (``augment.structures``, ``augment.random``); use those names from here.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

# the operator catalogue (a name table: importing it loads no family, no numpy); importing the ops
# package also gives core's registry its loader (augment.core.registry.install_loader)
from . import errors as _errors  # the exception tree (a module of class statements, no imports)
from . import ops as _ops
from .ops import CATALOGUE as _CATALOGUE

__version__ = "0.1.0"

#: the public submodules (see the module docstring); the others are private
PUBLIC_MODULES = ("batch", "data", "torch", "geometry", "imageio", "errors", "ops", "core")

logging.getLogger(__name__).addHandler(logging.NullHandler())

# Public names load on first use (PEP 562), so that ``import augment`` and the ``augment`` command's
# first lines do not import numpy and OpenCV: the command sets its thread variables before numpy
# loads (augment.launch). Each name, and the module (relative to this package) that defines it:
_EXPORTS = {
    **dict.fromkeys(("Sample", "ImageMeta"), "structures"),
    **dict.fromkeys(_CATALOGUE, "ops"),  # the built-in operators
    "Pipeline": "core.pipeline",
    **dict.fromkeys(("Sequential", "OneOf", "SomeOf", "Sometimes"), "core.compose"),
    "BoxPolicy": "core.policy",
    **dict.fromkeys(("Operator", "AffineOperator", "Params", "Outcome"), "core.base"),
    "LutOperator": "core.lut",
    **dict.fromkeys(("OPERATORS", "get_operator", "operator_from_dict"), "core.registry"),
    "rng": "random",
    **dict.fromkeys(_errors.__all__, "errors"),  # the exception tree
}


# Submodules reachable as attributes without their own import (``import augment; augment.batch``),
# as most were when this package imported everything eagerly. Not augment.torch: it imports torch.
_SUBMODULES = frozenset(
    {
        *PUBLIC_MODULES,
        "annotations",
        "cli",
        "examples",
        "kernels",
        "launch",
        "preview",
        "random",
        "structures",
        "vocshapes",
    }
    - {"torch"}
)


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
    from .core.compose import OneOf, Sequential, SomeOf, Sometimes
    from .core.lut import LutOperator
    from .core.pipeline import Pipeline
    from .core.policy import BoxPolicy
    from .core.registry import OPERATORS, get_operator, operator_from_dict
    from .errors import (  # as augment.errors.__all__ (the exception tree; a test holds them equal)
        AllDroppedError as AllDroppedError,
    )
    from .errors import (
        AnnotationError as AnnotationError,
    )
    from .errors import (
        AugmentError as AugmentError,
    )
    from .errors import (
        BoxError as BoxError,
    )
    from .errors import (
        ConfigError as ConfigError,
    )
    from .errors import (
        DatasetError as DatasetError,
    )
    from .errors import (
        FatalRunError as FatalRunError,
    )
    from .errors import (
        ImageReadError as ImageReadError,
    )
    from .errors import (
        ImageTooLargeError as ImageTooLargeError,
    )
    from .errors import (
        ImageWriteError as ImageWriteError,
    )
    from .errors import (
        Interrupted as Interrupted,
    )
    from .errors import (
        ItemIndexError as ItemIndexError,
    )
    from .errors import (
        ItemKeyError as ItemKeyError,
    )
    from .errors import (
        LoadError as LoadError,
    )
    from .errors import (
        RunError as RunError,
    )
    from .errors import (
        SampleError as SampleError,
    )
    from .errors import (
        StorageError as StorageError,
    )
    from .errors import (
        UnknownOperatorError as UnknownOperatorError,
    )
    from .errors import (
        UnsupportedImageError as UnsupportedImageError,
    )
    from .ops import (  # as the catalogue (a test holds them equal)
        AddNoise as AddNoise,
    )
    from .ops import (
        Blur as Blur,
    )
    from .ops import (
        Crop as Crop,
    )
    from .ops import (
        CutOut as CutOut,
    )
    from .ops import (
        Flip as Flip,
    )
    from .ops import (
        Grayscale as Grayscale,
    )
    from .ops import (
        HistogramEqual as HistogramEqual,
    )
    from .ops import (
        LightArithmetic as LightArithmetic,
    )
    from .ops import (
        LightContrast as LightContrast,
    )
    from .ops import (
        MotionBlur as MotionBlur,
    )
    from .ops import (
        Padding as Padding,
    )
    from .ops import (
        Resize as Resize,
    )
    from .ops import (
        Rotate as Rotate,
    )
    from .ops import (
        Saturation as Saturation,
    )
    from .ops import (
        Scale as Scale,
    )
    from .ops import (
        Sharpen as Sharpen,
    )
    from .ops import (
        Shear as Shear,
    )
    from .ops import (
        Translate as Translate,
    )
    from .ops import (
        Weather as Weather,
    )
    from .random import rng
    from .structures import ImageMeta, Sample

__all__ = [
    # data
    "Sample",
    "ImageMeta",
    # operators (the catalogue: geometric, then pixel operators)
    *_ops.__all__,
    # composition and configuration
    "Pipeline",
    "Sequential",
    "OneOf",
    "SomeOf",
    "Sometimes",
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
    # errors (the tree of augment.errors)
    *_errors.__all__,
    "__version__",
]
