"""The operator registry: name -> class, and (de)serialisation of operator configs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, UnknownOperatorError

if TYPE_CHECKING:
    from .base import Operator

__all__ = ["OPERATORS", "BUILTIN_MODULES", "register_class", "get_operator", "operator_from_dict", "load_builtins"]

OPERATORS: dict[str, type[Operator]] = {}

# The module of each built-in operator, so that a pipeline loads only the modules it uses (a
# test holds this equal to where the classes are defined).
BUILTIN_MODULES = {
    **dict.fromkeys(("Crop", "Flip", "Padding", "Resize", "Rotate", "Scale", "Shear", "Translate"), "geometric"),
    **dict.fromkeys(("Blur", "MotionBlur", "Sharpen"), "blur"),
    **dict.fromkeys(("Grayscale", "HistogramEqual", "LightArithmetic", "LightContrast", "Saturation"), "color"),
    "CutOut": "cutout",
    "AddNoise": "noise",
    "Weather": "weather",
}


def _load_family_of(name: Any) -> str | None:
    """Import the module of the built-in operator ``name`` (it registers on import); its module
    name, or None when ``name`` is not a built-in."""
    home = BUILTIN_MODULES.get(name) if isinstance(name, str) else None
    if home is not None:
        import importlib

        importlib.import_module(f"augment.ops.{home}")
    return home


def register_class(cls: type[Operator]) -> type[Operator]:
    name = cls.__name__
    if name not in OPERATORS and cls.__module__ != f"augment.ops.{BUILTIN_MODULES.get(name)}":
        # a built-in of that name loads lazily: load it now, so that the clash is reported here
        # (and not, later, as a failure to load the built-ins)
        _load_family_of(name)
    if name in OPERATORS and OPERATORS[name] is not cls:
        raise ConfigError(f"operator name {name!r} is already registered by {OPERATORS[name].__module__}")
    OPERATORS[name] = cls
    return cls


_BUILTINS_LOADED = False


def load_builtins() -> None:
    """Import every built-in operator; they register themselves. ``import augment`` alone does not
    load them (the package's names load on first use), and :func:`get_operator` loads only the
    module of the operator asked for."""
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        import importlib

        importlib.import_module("augment.ops").load_all()
        _BUILTINS_LOADED = True


def get_operator(name: str) -> type[Operator]:
    try:
        return OPERATORS[name]
    except KeyError:
        if _load_family_of(name) is not None and name in OPERATORS:
            return OPERATORS[name]
        if not _BUILTINS_LOADED:  # the full list for the message (and any name loaded with the rest)
            load_builtins()
            return get_operator(name)
        lowered = {k.lower(): k for k in OPERATORS}
        hint = f"; did you mean {lowered[name.lower()]!r}?" if isinstance(name, str) and name.lower() in lowered else ""
        raise UnknownOperatorError(
            f"unknown operator {name!r}{hint} (registered: {', '.join(sorted(OPERATORS))})"
        ) from None


def operator_from_dict(config: Mapping[str, Any], where: str = "operator config") -> Operator:
    """Build an operator from ``{"name": "Rotate", "angle_min": -30, ...}``."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"{where}: expected an object like {{'name': 'Flip', ...}}, got {type(config).__name__}")
    if "name" not in config:
        raise ConfigError(f"{where}: missing 'name' (the operator name, e.g. 'Rotate')")
    params = dict(config)
    cls = get_operator(params.pop("name"))
    return cls.from_dict(params)
