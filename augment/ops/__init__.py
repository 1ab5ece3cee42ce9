"""The operator classes, one family per module. The modules load on first use (PEP 562), so a
pipeline imports only the families it uses (:data:`augment.core.registry.BUILTIN_MODULES`)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..core.registry import BUILTIN_MODULES

__all__ = [
    "Crop", "Flip", "Padding", "Resize", "Rotate", "Scale", "Shear", "Translate",
    "AddNoise", "Blur", "CutOut", "Grayscale", "HistogramEqual", "LightArithmetic", "LightContrast",
    "MotionBlur", "Saturation", "Sharpen", "Weather",
]


def __getattr__(name: str) -> Any:
    module = BUILTIN_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_all() -> None:
    """Import every family (each operator registers itself when its module loads)."""
    for module in dict.fromkeys(BUILTIN_MODULES.values()):
        importlib.import_module(f".{module}", __name__)


if TYPE_CHECKING:
    from .blur import Blur, MotionBlur, Sharpen
    from .color import Grayscale, HistogramEqual, LightArithmetic, LightContrast, Saturation
    from .cutout import CutOut
    from .geometric import Crop, Flip, Padding, Resize, Rotate, Scale, Shear, Translate
    from .noise import AddNoise
    from .weather import Weather
