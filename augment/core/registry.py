"""The operator registry: a plain name -> class mapping, and building operators from configs.

Core keeps the mapping (:data:`OPERATORS`) and :func:`register_class` (the ``@register``
decorator calls it). Which built-in operators exist and where they live is written once, in
:data:`augment.ops.CATALOGUE`; loading them is :mod:`augment.ops`'s job, handed to this module
with :func:`install_loader` when :mod:`augment.ops` is imported (``import augment`` imports it,
without loading any family). So core never imports the operator families: dependencies run one
way, ``ops`` -> ``core``.

:func:`get_operator` looks a name up and, for a built-in not loaded yet, asks the loader to import
its family (a pipeline loads only the families it uses); :func:`load_builtins` loads them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, UnknownOperatorError

if TYPE_CHECKING:
    from .base import Operator

__all__ = [
    "OPERATORS",
    "register_class",
    "install_loader",
    "get_operator",
    "operator_from_dict",
    "load_builtins",
    "describe_operators",
]

#: every registered operator class by name (the built-ins appear as their families load)
OPERATORS: dict[str, type[Operator]] = {}

#: names that build a container (:mod:`augment.core.compose`) rather than an operator class of
#: :data:`OPERATORS`; each takes the config dict and its place in the config for messages
COMPOSITES: dict[str, Callable[[Mapping[str, Any], str], Operator]] = {}


class _Loader:
    """The built-ins' catalogue and loader, as :mod:`augment.ops` installs them."""

    def __init__(self) -> None:
        self.catalogue: Mapping[str, str] = {}
        self.load: Callable[[Any], bool] = lambda name: False
        self.load_all: Callable[[], None] = lambda: None

    def family_of(self, name: Any) -> str | None:
        return self.catalogue.get(name) if isinstance(name, str) else None


_LOADER = _Loader()


def install_loader(catalogue: Mapping[str, str], load: Callable[[Any], bool], load_all: Callable[[], None]) -> None:
    """Called by :mod:`augment.ops`: its ``catalogue`` (built-in name -> family module),
    ``load(name)`` (import that family; False for a name that is not a built-in), ``load_all()``."""
    _LOADER.catalogue = catalogue
    _LOADER.load = load
    _LOADER.load_all = load_all


def register_class(cls: type[Operator]) -> type[Operator]:
    """Register ``cls`` under its class name; a name already taken by another class (a built-in
    included, loaded now to find out) raises :class:`ConfigError`."""
    name = cls.__name__
    if name in COMPOSITES:
        raise ConfigError(f"operator name {name!r} is taken by a container (augment.core.compose)")
    family = _LOADER.family_of(name)
    if name not in OPERATORS and family is not None and cls.__module__ != f"augment.ops.{family}":
        # a built-in of that name loads lazily: load it now, so that the clash is reported here
        # (and not, later, as a failure to load the built-ins)
        _LOADER.load(name)
    if name in OPERATORS and OPERATORS[name] is not cls:
        raise ConfigError(f"operator name {name!r} is already registered by {OPERATORS[name].__module__}")
    OPERATORS[name] = cls
    return cls


_BUILTINS_LOADED = False


def load_builtins() -> None:
    """Import every built-in operator; they register themselves. ``import augment`` alone does not
    load them (the package's names load on first use), and :func:`get_operator` loads only the
    family of the operator asked for."""
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _LOADER.load_all()
        _BUILTINS_LOADED = True


def get_operator(name: str) -> type[Operator]:
    try:
        return OPERATORS[name]
    except KeyError:
        if _LOADER.load(name) and name in OPERATORS:
            return OPERATORS[name]
        if not _BUILTINS_LOADED:  # the full list for the message (and any name loaded with the rest)
            load_builtins()
            return get_operator(name)
        known = sorted({*OPERATORS, *COMPOSITES})
        lowered = {k.lower(): k for k in known}
        hint = f"; did you mean {lowered[name.lower()]!r}?" if isinstance(name, str) and name.lower() in lowered else ""
        raise UnknownOperatorError(f"unknown operator {name!r}{hint} (registered: {', '.join(known)})") from None


def operator_from_dict(config: Mapping[str, Any], where: str = "operator config") -> Operator:
    """Build an operator from ``{"name": "Rotate", "angle_min": -30, ...}``, or a container from
    ``{"name": "OneOf", "ops": [...], ...}`` (:mod:`augment.core.compose`)."""
    if not isinstance(config, Mapping):
        raise ConfigError(f"{where}: expected an object like {{'name': 'Flip', ...}}, got {type(config).__name__}")
    if "name" not in config:
        raise ConfigError(f"{where}: missing 'name' (the operator name, e.g. 'Rotate')")
    name = config["name"]
    if not COMPOSITES:  # the containers register when their module loads (core, no operator family)
        from importlib import import_module

        import_module(".compose", __package__)
    if isinstance(name, str) and name in COMPOSITES:
        return COMPOSITES[name](config, where)
    params = dict(config)
    params.pop("name")
    cls = get_operator(name)
    return cls.from_dict(params)


def __getattr__(name: str) -> Any:
    if name == "BUILTIN_MODULES":  # compatible alias: the name augment.ops.CATALOGUE had here
        return dict(_LOADER.catalogue)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _first_line(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def describe_operators() -> str:
    """What ``augment ops`` prints: every operator (the built-ins loaded) with its parameters and
    defaults, its docstring's first paragraph, and each parameter's declared range; then the
    containers; then the parameters every operator takes."""
    import dataclasses

    from .validate import specs_of

    load_builtins()
    lines: list[str] = []
    for name in sorted(OPERATORS):
        cls = OPERATORS[name]
        own = cls.own_fields()
        fields = {f.name: f for f in dataclasses.fields(cls)}
        lines.append(f"{name}({', '.join(f'{k}={fields[k].default!r}' for k in own)})")
        lines.append(f"    {_first_line(cls.__doc__)}")
        specs = specs_of(cls)
        for k in own:
            if k in specs:
                lines.append(f"      {k}: {specs[k].describe()}")
        if cls.gate not in (None, "p"):
            lines.append(f"      {cls.gate}: the probability that it runs (its 'p'), number in [0, 1], default 1.0")
    if COMPOSITES:
        lines.append("")
        lines.append("Containers (usable anywhere an operator is, nested as deep as 4 levels):")
        for name in COMPOSITES:
            doc = getattr(COMPOSITES[name], "__doc__", None)
            lines.append(f"{name}: {_first_line(doc)}")
    lines.append("")
    lines.append(
        "Every operator also takes: p (number in [0, 1], default 1.0: the probability that it runs, "
        "else the image passes unchanged), do_validation (True or False, default True), "
        "box_policy ('clip', 'drop_box', 'drop_image' or {'mode': ..., 'min_visibility': ...}; default: "
        "the pipeline's, else the operator's own)."
    )
    return "\n".join(lines)
