"""Each package's exceptions form one tree: every public exception class defined anywhere in
``augment`` or ``manifest`` is defined in that package's ``errors`` module, listed in its
``__all__``, drawn in its docstring under its real parent with its built-in bases, and importable
from the package; the modules that raise them keep their old names."""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

import pytest

PACKAGES = ("augment", "manifest")
# running these modules does something (``python -m augment``): not imported here
NOT_IMPORTED = {"augment.__main__"}
# public by name but never seen by a caller: the reason is the entry
INTERNAL: dict[str, str] = {}  # "module.Class": why it is not public (none today)

_ROOT = re.compile(r"^ {4}(?P<name>[A-Z]\w*)(?: \((?P<bases>[^)]*)\))?(?:\s|$)")
_NODE = re.compile(r"^ {4}(?P<prefix>(?:[│ ] {3})*)[├└]── (?P<name>[A-Z]\w*)(?: \((?P<bases>[^)]*)\))?(?:\s|$)")


def _modules(package: str) -> list[ModuleType]:
    pkg = importlib.import_module(package)
    names = [package] + [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")]
    out = []
    for n in names:
        if n in NOT_IMPORTED:
            continue
        try:
            out.append(importlib.import_module(n))
        except ModuleNotFoundError as exc:  # an optional dependency (torch) that is not installed
            if (exc.name or "").split(".")[0] in PACKAGES:
                raise
    return out


def _public_exceptions(package: str) -> dict[str, type]:
    """Every exception class defined (not imported) in a module of ``package`` whose name is public."""
    found = {}
    for mod in _modules(package):
        for name, obj in vars(mod).items():
            if (
                isinstance(obj, type)
                and issubclass(obj, BaseException)
                and obj.__module__ == mod.__name__
                and not name.startswith("_")
            ):
                found[f"{mod.__name__}.{name}"] = obj
    return found


def _drawn_tree(doc: str) -> dict[str, tuple[str | None, list[str]]]:
    """The docstring's tree: class name -> (parent drawn, built-ins in brackets)."""
    tree: dict[str, tuple[str | None, list[str]]] = {}
    stack: list[str] = []
    for line in doc.splitlines():
        m = _NODE.match(line)
        if m:
            depth = len(m["prefix"]) // 4 + 1
        else:
            m = _ROOT.match(line)
            if not m:
                continue
            depth = 0
        del stack[depth:]
        parent = stack[-1] if stack else None
        bases = [b.strip() for b in (m["bases"] or "").split(",") if b.strip()]
        assert m["name"] not in tree, f"{m['name']} drawn twice"
        tree[m["name"]] = (parent, bases)
        stack.append(m["name"])
    return tree


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_exception_is_in_the_errors_module(package):
    errors = importlib.import_module(f"{package}.errors")
    outside = {
        where: cls.__module__
        for where, cls in _public_exceptions(package).items()
        if cls.__module__ != errors.__name__ and where not in INTERNAL
    }
    assert outside == {}, f"define these in {errors.__name__} (and draw them in its tree)"
    defined = {where.rsplit(".", 1)[1] for where in _public_exceptions(package) if where.startswith(errors.__name__ + ".")}
    assert defined == set(errors.__all__)


@pytest.mark.parametrize("package", PACKAGES)
def test_the_tree_is_drawn_as_the_classes_are(package):
    errors = importlib.import_module(f"{package}.errors")
    tree = _drawn_tree(errors.__doc__)
    assert set(tree) == set(errors.__all__)
    for name, (parent, builtins) in tree.items():
        cls = getattr(errors, name)
        ours = [b for b in cls.__bases__ if b.__module__ == errors.__name__]
        assert [b.__name__ for b in ours] == ([] if parent is None else [parent]), name
        others = [b.__name__ for b in cls.__bases__ if b not in ours and b is not Exception]
        assert others == builtins, name


@pytest.mark.parametrize("package", PACKAGES)
def test_every_error_is_importable_from_its_package(package):
    pkg = importlib.import_module(package)
    errors = importlib.import_module(f"{package}.errors")
    for name in errors.__all__:
        assert name in pkg.__all__, name
        assert getattr(pkg, name) is getattr(errors, name), name


def test_the_tree_reader_sees_a_class_drawn_under_the_wrong_parent():
    doc = "x::\n\n    Base\n    ├── A (ValueError)    text\n    │   └── B         more\n    └── C\n"
    assert _drawn_tree(doc) == {"Base": (None, []), "A": ("Base", ["ValueError"]), "B": ("A", []), "C": ("Base", [])}


@pytest.mark.parametrize(
    ("old", "name"),
    [
        ("augment.imageio", "ImageReadError"),
        ("augment.imageio", "ImageTooLargeError"),
        ("augment.imageio", "ImageWriteError"),
        ("augment.annotations", "AnnotationError"),
        ("augment.data", "LoadError"),
        ("augment.data", "AllDroppedError"),
        ("augment.data", "DatasetError"),
        ("augment.batch", "RunError"),
        ("augment.batch", "FatalRunError"),
        ("augment.batch", "Interrupted"),
        ("manifest.layouts", "UnusedFileError"),
        ("manifest", "UnusedFileError"),
    ],
)
def test_the_old_import_paths_still_work(old, name):
    package = old.split(".")[0]
    mod = importlib.import_module(old)
    assert getattr(mod, name) is getattr(importlib.import_module(f"{package}.errors"), name)
    assert name in getattr(mod, "__all__", [name])
