"""The ``augment`` command."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import augment as A
from augment.cli import main


def test_ops_lists_every_operator(capsys):
    assert main(["ops"]) == 0
    out = capsys.readouterr().out
    for name in A.OPERATORS:
        assert f"{name}(" in out


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage: augment" in capsys.readouterr().out


# ----------------------------------------------------------------------------- start-up


def _python(code: str, env_drop=()) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k not in env_drop}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)


def test_import_augment_loads_neither_numpy_nor_opencv():
    """The package's names load on first use, so the command can set up its process first."""
    p = _python("""
        import sys
        import augment, augment.launch
        assert "numpy" not in sys.modules and "cv2" not in sys.modules, sorted(sys.modules)
        assert augment.__version__ and "Rotate" in dir(augment)
        print(augment.Rotate.__module__, "numpy" in sys.modules)
    """)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["augment.ops.geometric", "True"]


def test_star_import_and_registry_without_the_package_names():
    p = _python("""
        from augment.core.registry import OPERATORS, get_operator
        assert get_operator("Flip").__name__ == "Flip"   # its family loads on the first lookup
        assert get_operator("Weather").__name__ == "Weather"
        try:
            get_operator("Nope")
        except Exception as exc:   # an unknown name loads them all, to list them
            assert len(OPERATORS) == 19 and "Weather" in str(exc) and "AddNoise" in str(exc), exc
        else:
            raise AssertionError("no error")
        ns = {}
        exec("from augment import *", ns)
        import augment
        missing = [n for n in augment.__all__ if n not in ns]
        assert not missing, missing
    """)
    assert p.returncode == 0, p.stderr


def test_builtin_module_map_matches_the_classes_and_pipelines_load_only_their_families():
    p = _python("""
        import sys
        from augment.core.pipeline import Pipeline
        Pipeline.from_config([{"name": "Flip"}, {"name": "Rotate"}], seed=0)
        loaded = sorted(m for m in sys.modules if m.startswith("augment.ops."))
        assert loaded == ["augment.ops.geometric"], loaded
        from augment.core.registry import BUILTIN_MODULES, OPERATORS, load_builtins
        load_builtins()
        assert sorted(OPERATORS) == sorted(BUILTIN_MODULES), sorted(set(OPERATORS) ^ set(BUILTIN_MODULES))
        wrong = {n: c.__module__ for n, c in OPERATORS.items() if c.__module__ != "augment.ops." + BUILTIN_MODULES[n]}
        assert not wrong, wrong
        import augment.ops as O
        assert sorted(O.__all__) == sorted(BUILTIN_MODULES) and all(getattr(O, n) is OPERATORS[n] for n in O.__all__)
    """)
    assert p.returncode == 0, p.stderr


def test_lazy_loading_keeps_what_users_relied_on():
    """What the eager package gave: every operator listed, a clash with a built-in's name refused
    at registration, submodules as attributes, `augment ops` complete in a fresh process."""
    p = _python("""
        import augment as A
        assert len(A.OPERATORS) == 19, sorted(A.OPERATORS)
    """)
    assert p.returncode == 0, p.stderr
    p = _python("""
        import augment as A
        from augment.core.base import register
        try:
            @register
            class Flip(A.Operator):
                def apply_image(self, image, params):
                    return image
        except A.ConfigError as exc:
            assert "already registered by augment.ops.geometric" in str(exc), exc
        else:
            raise AssertionError("a second Flip was registered")
        assert A.Rotate.__module__ == "augment.ops.geometric" and len(A.OPERATORS) == 19
        assert A.get_operator("Flip").__module__ == "augment.ops.geometric"
        import augment
        assert augment.batch.run and augment.ops.Flip is A.Flip and augment.kernels.geometric
        assert not hasattr(augment, "torch") and not hasattr(augment, "nope")
    """)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([sys.executable, "-m", "augment", "ops"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    listed = re.findall(r"^([A-Z]\w*)\(", p.stdout, re.MULTILINE)  # one line per operator: Name(defaults)
    assert len(listed) == 19 and len(set(listed)) == 19, p.stdout
    assert all(f"\n{name}: " in p.stdout for name in ("Sequential", "OneOf", "SomeOf", "Sometimes")), p.stdout


_BLAS_THREADS = """
    import ctypes, re, sys
    import numpy  # noqa: F401
    libs = re.findall(r"(/\\S*openblas\\S*\\.so\\S*)", open("/proc/self/maps").read())
    n = None
    for lib in dict.fromkeys(libs):
        for sym in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads"):
            fn = getattr(ctypes.CDLL(lib), sym, None)
            if fn is not None:
                n = fn()
                break
        if n is not None:
            break
"""


def test_the_command_makes_numpy_single_threaded_before_importing_it():
    """augment.launch sets OPENBLAS/OMP/MKL_NUM_THREADS=1 (unless set) before numpy is imported:
    numpy's OpenBLAS then starts no threads of its own (they spun through the command's imports)."""
    import pytest

    from augment.launch import SINGLE_THREAD_VARIABLES

    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/maps")
    run = textwrap.dedent("""
        import os, sys
        sys.argv = ["augment", "ops"]
        import augment.launch
        assert "numpy" not in sys.modules
        assert augment.launch.entry() == 0
        print("ENV", os.environ["OPENBLAS_NUM_THREADS"], os.environ["OMP_NUM_THREADS"], os.environ["MKL_NUM_THREADS"])
    """)
    code = run + textwrap.dedent(_BLAS_THREADS) + 'print("BLAS", n)\n'
    for preset, want in (("", "1 1 1"), ("import os; os.environ['OPENBLAS_NUM_THREADS'] = '3'\n", "3 1 1")):
        p = _python(preset + code, env_drop=SINGLE_THREAD_VARIABLES)
        assert p.returncode == 0, p.stderr
        lines = dict(line.split(" ", 1) for line in p.stdout.splitlines() if line.startswith(("ENV", "BLAS")))
        assert lines["ENV"] == want  # set before numpy's import, a user's value kept
        if lines["BLAS"] != "None" and not preset:  # an OpenBLAS we can ask: one thread, not one per core
            assert lines["BLAS"] == "1"
