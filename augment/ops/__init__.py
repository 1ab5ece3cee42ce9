"""The operator classes, one family per module, and the catalogue that says where each one lives.

:data:`CATALOGUE` (operator name -> family module) is the only list of the built-in operators:
``augment.__all__``, this package's ``__all__`` and the lazy exports of both are generated from
it, and a test holds the type-checking imports below (and in ``augment/__init__.py``) equal to it.
The families load on first use (PEP 562): a pipeline imports only the families it uses, and the
``augment`` command starts without importing numpy or OpenCV.

Dependencies run one way: this package imports :mod:`augment.core`, never the reverse. Core
keeps the plain name -> class mapping (:data:`augment.core.registry.OPERATORS`) and
``register_class``; the loading of the built-in families is here, handed to core as its loader
(:func:`augment.core.registry.install_loader`) when this package is imported (``import augment``
does it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..core import registry as _registry

#: The built-in operators, by family module (data only: the one place their names are written).
FAMILIES: dict[str, tuple[str, ...]] = {
    "geometric": ("Crop", "Flip", "Padding", "Resize", "Rotate", "Scale", "Shear", "Translate"),
    "blur": ("Blur", "MotionBlur", "Sharpen"),
    "color": ("Grayscale", "HistogramEqual", "LightArithmetic", "LightContrast", "Saturation"),
    "cutout": ("CutOut",),
    "noise": ("AddNoise",),
    "weather": ("Weather",),
}

#: operator name -> the module (relative to this package) that defines it, in reading order
CATALOGUE: dict[str, str] = {name: family for family, names in FAMILIES.items() for name in names}

# the geometric operators, then the pixel operators, each alphabetically (as the README lists them)
__all__ = [*FAMILIES["geometric"], *sorted(n for n in CATALOGUE if CATALOGUE[n] != "geometric")]


def family_of(name: Any) -> str | None:
    """The family module of the built-in operator ``name``, or None when it is not a built-in."""
    return CATALOGUE.get(name) if isinstance(name, str) else None


def load(name: Any) -> bool:
    """Import the family of the built-in ``name`` (its operators register on import); False when
    ``name`` is not a built-in."""
    family = family_of(name)
    if family is None:
        return False
    importlib.import_module(f".{family}", __name__)
    return True


def load_all() -> None:
    """Import every family (each operator registers itself when its module loads)."""
    for family in FAMILIES:
        importlib.import_module(f".{family}", __name__)


_registry.install_loader(CATALOGUE, load, load_all)


def __getattr__(name: str) -> Any:
    family = CATALOGUE.get(name)
    if family is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{family}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what type checkers see; tests/augment/test_registry.py holds it equal to CATALOGUE
    from .blur import Blur as Blur
    from .blur import MotionBlur as MotionBlur
    from .blur import Sharpen as Sharpen
    from .color import (
        Grayscale as Grayscale,
    )
    from .color import (
        HistogramEqual as HistogramEqual,
    )
    from .color import (
        LightArithmetic as LightArithmetic,
    )
    from .color import (
        LightContrast as LightContrast,
    )
    from .color import (
        Saturation as Saturation,
    )
    from .cutout import CutOut as CutOut
    from .geometric import (
        Crop as Crop,
    )
    from .geometric import (
        Flip as Flip,
    )
    from .geometric import (
        Padding as Padding,
    )
    from .geometric import (
        Resize as Resize,
    )
    from .geometric import (
        Rotate as Rotate,
    )
    from .geometric import (
        Scale as Scale,
    )
    from .geometric import (
        Shear as Shear,
    )
    from .geometric import (
        Translate as Translate,
    )
    from .noise import AddNoise as AddNoise
    from .weather import Weather as Weather
