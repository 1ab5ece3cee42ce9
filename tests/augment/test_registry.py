"""The registry depends one way (#17 item 1), parameters are declared (#17 item 2), what is public
is said (#17 item 6)."""

from __future__ import annotations

import ast
import dataclasses
import pathlib
from typing import Annotated

import numpy as np
import pytest

import augment as A
from augment.core import registry, validate
from augment.core.base import AffineOperator
from augment.ops import CATALOGUE, FAMILIES

ROOT = pathlib.Path(A.__file__).parent


def _type_checking_imports(path: pathlib.Path) -> dict[str, str]:
    """name -> the module it is imported from, inside ``if TYPE_CHECKING:`` of ``path``."""
    out: dict[str, str] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                if isinstance(imp, ast.ImportFrom):
                    for alias in imp.names:
                        out[alias.asname or alias.name] = "." * imp.level + (imp.module or "")
    return out


def test_the_type_checking_imports_agree_with_the_catalogue():
    ops_imports = _type_checking_imports(ROOT / "ops" / "__init__.py")
    assert ops_imports == {name: f".{family}" for name, family in CATALOGUE.items()}
    top = _type_checking_imports(ROOT / "__init__.py")
    assert {n for n, m in top.items() if m == ".ops"} == set(CATALOGUE)
    # the exceptions are exported from augment.errors.__all__; type checkers see the same names
    from augment import errors

    assert {n for n, m in top.items() if m == ".errors"} == set(errors.__all__)


def test_exports_are_generated_from_the_catalogue():
    import augment.ops as O

    assert set(O.__all__) == set(CATALOGUE) and len(O.__all__) == len(CATALOGUE)
    assert [n for n in A.__all__ if n in CATALOGUE] == O.__all__
    assert sorted(CATALOGUE) == sorted(n for names in FAMILIES.values() for n in names)
    registry.load_builtins()
    assert sorted(registry.OPERATORS) == sorted(CATALOGUE)
    for name, family in CATALOGUE.items():
        assert registry.OPERATORS[name].__module__ == f"augment.ops.{family}"
        assert getattr(A, name) is getattr(O, name) is registry.OPERATORS[name]
    assert registry.BUILTIN_MODULES == CATALOGUE  # the compatible alias


def _imports(path: pathlib.Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved), and the
    strings it passes to import_module."""
    pkg = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = pkg.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            out.add(".".join([*base, node.module] if node.module else base) if node.level else node.module or "")
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            out.update(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
            out.update("augment.ops" for a in node.args if isinstance(a, ast.JoinedStr))  # a computed name: suspect
    return out


def test_core_never_imports_the_operator_families():
    for path in sorted((ROOT / "core").glob("*.py")):
        bad = {m for m in _imports(path) if m == "augment.ops" or m.startswith("augment.ops.")}
        assert not bad, (path.name, bad)


def test_operator_names_are_written_once():
    """The 19 names appear as string literals only in the catalogue (not in core, not in augment/__init__)."""
    names = set(CATALOGUE)
    for path in [ROOT / "__init__.py", *(ROOT / "core").glob("*.py")]:
        literals = {n.value for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.Constant)}
        assert not (literals & names), (path.name, literals & names)


# --------------------------------------------------------------------------- declared parameters
def _cases():
    registry.load_builtins()
    return sorted(registry.OPERATORS)


@pytest.mark.parametrize("name", _cases())
def test_every_own_parameter_is_declared(name):
    cls = registry.OPERATORS[name]
    specs = validate.specs_of(cls)
    assert set(cls.own_fields()) <= set(specs), set(cls.own_fields()) - set(specs)
    assert cls._check is A.Operator._check  # no hand-written validation left in the built-ins


BAD = [
    ("Rotate", {"angle_min": 400}),
    ("Rotate", {"angle_max": "x"}),
    ("Flip", {"lr_ud": "diagonal"}),
    ("Flip", {"flip_p": 1.5}),
    ("Flip", {"p": -0.1}),
    ("Crop", {"crop_percent_min": 0.3, "crop_percent_max": 0.1}),
    ("Crop", {"crop_percent_max": 1.0}),
    ("Padding", {"px_top": -1}),
    ("Resize", {"height": 0}),
    ("Resize", {"interpolation": "auto"}),
    ("Blur", {"k_min": 5, "k_max": 3}),
    ("Blur", {"k_min": 2.5}),
    ("LightContrast", {"func": "sigmoid", "gain_min": 7.0}),  # sigmoid's default max is 6
    ("LightContrast", {"gain_min": 2.0, "gain_max": 1.0}),
    ("Weather", {"weather_mode": "Fog", "density_max": 0.1}),  # Fog's default min is 0.4
    ("Weather", {"weather_mode": "Hail"}),
    ("AddNoise", {"p": 2.0}),
    ("AddNoise", {"apply_p": 2.0}),
    ("CutOut", {"squared": 1}),
    ("Grayscale", {"do_validation": "yes"}),
    ("Grayscale", {"box_policy": "keep"}),
    ("Grayscale", {"alpha": 1.0}),  # unknown parameter
]


@pytest.mark.parametrize(("name", "params"), BAD)
def test_check_config_refuses_what_the_constructor_refuses(name, params):
    cls = A.get_operator(name)
    with pytest.raises(A.ConfigError) as built:
        cls.from_dict(params)
    with pytest.raises(A.ConfigError) as checked:
        cls.check_config(params)
    assert str(built.value) == str(checked.value)


@pytest.mark.parametrize("name", _cases())
def test_check_config_gives_the_values_the_operator_holds(name):
    cls = A.get_operator(name)
    op = cls()
    values = cls.check_config({"name": name})
    for f in dataclasses.fields(cls):
        assert values[f.name] == getattr(op, f.name), f.name
    # coerced as the constructor coerces: an integer-valued float, a lower-case choice
    if name == "Blur":
        assert cls.check_config({"k_min": 3.0, "blur_type": "average"})["k_min"] == 3
        assert cls.check_config({"blur_type": "average"})["blur_type"] == "Average"


def test_describe_operators_prints_defaults_and_ranges():
    text = registry.describe_operators()
    assert "Rotate(angle_min=-90.0, angle_max=90.0)" in text
    assert "angle_min: number in [-360, 360]" in text
    assert "crop_percent_min: number in [0, 1), <= crop_percent_max" in text
    assert "gain_min: None (the mode's default) or number in [0, 1000], <= gain_max" in text
    assert "AddNoise(noise_type='Gauss', loc=0.0, scale=1.0, lam=2.0, p=0.01, per_channel=False)" in text
    assert "apply_p" in text
    for name in CATALOGUE:
        assert f"\n{name}(" in "\n" + text, name


def test_specs_naming_an_unknown_field_are_refused():
    class Bad(A.Operator):
        lo: Annotated[float, validate.Number(0, 1, le="nope")] = 0.0

    Bad = dataclasses.dataclass(frozen=True, kw_only=True)(Bad)
    with pytest.raises(TypeError, match="nope"):
        validate.specs_of(Bad)


# --------------------------------------------------------------------------- the matrix once per sample
@pytest.mark.parametrize("name", ["Rotate", "Scale", "Shear", "Crop", "Resize", "Flip", "Translate"])
@pytest.mark.parametrize("with_mask", [False, True])
def test_the_matrix_is_computed_once_per_sample(name, with_mask, monkeypatch):
    cls = A.get_operator(name)
    calls = []
    original = cls.matrix

    def counting(self, params, meta):
        calls.append(1)
        return original(self, params, meta)

    monkeypatch.setattr(cls, "matrix", counting)
    image = np.zeros((40, 50, 3), np.uint8)
    mask = np.zeros((40, 50), np.uint8) if with_mask else None
    s = A.Sample(image, [[20, 15, 30, 25]], labels=["a"], mask=mask)
    op = cls(box_policy="clip") if name == "Rotate" else cls()
    op(s, seed=0)
    assert len(calls) <= 1, len(calls)


def test_affine_outputs_are_unchanged_by_the_single_matrix():
    """The warp and the boxes through one matrix give what the two hooks give."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    s = A.Sample(image, [[5, 6, 30, 20], [10, 12, 40, 33]], labels=["a", "b"])
    for op in (A.Rotate(angle_min=-20, angle_max=20, box_policy="clip"), A.Scale(), A.Shear(), A.Translate()):
        out, p = op(s, seed=3, return_params=True)
        meta = op._check_and_describe(image)
        assert np.array_equal(out.image, op.apply_image(image, p))
        want = AffineOperator.apply_boxes(op, s.boxes, p, meta)
        assert np.array_equal(out.boxes, np.clip(want, 0, [53, 37, 53, 37]).astype(np.float32))


# --------------------------------------------------------------------------- public modules
def test_public_modules_are_listed_and_importable():
    assert set(A.PUBLIC_MODULES) == {"batch", "data", "torch", "geometry", "imageio", "errors", "ops", "core"}
    doc = A.__doc__ or ""
    for name in A.PUBLIC_MODULES:
        assert f"``augment.{name}``" in doc, name
    for private in ("annotations", "vocshapes", "cli", "launch", "examples", "preview", "kernels"):
        assert f"``augment.{private}``" in doc.split("private")[-2] + doc.split("private")[-1], private
    import importlib

    for name in A.PUBLIC_MODULES:
        if name == "torch":
            continue  # imports torch
        mod = importlib.import_module(f"augment.{name}")
        assert mod.__doc__, name
    from augment.batch import run  # noqa: F401  the README's names
    from augment.imageio import ImageReadError

    assert issubclass(ImageReadError, A.AugmentError)


def test_an_operator_of_your_own_in_a_function_still_builds():
    """Annotations that name a function's local type cannot be read: those fields are simply not
    declared (their own _check validates them), the framework's still are."""

    class Local:
        pass

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Mine(A.Operator):
        thing: Local | None = None

        def apply_image(self, image, params):
            return image

    assert Mine().thing is None
    with pytest.raises(A.ConfigError, match="'p'"):
        Mine(p=3)
