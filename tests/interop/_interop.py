"""Helpers for the interop tests: our commands as a user runs them, and small generated datasets.

The commands run as subprocesses (``sys.executable -m augment run ...``), so what is tested is
what a user gets; the consumers (MindSpore, Huawei's SDK) read the files they write.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def run(module: str, *args, cwd=None, ok: bool = True) -> subprocess.CompletedProcess:
    """``python -m MODULE ARGS``; asserts exit 0 unless ``ok=False``."""
    cmd = [sys.executable, "-m", module, *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=_env(), timeout=600)
    if ok:
        assert r.returncode == 0, f"{' '.join(cmd)} -> {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def augment(*args, **kw) -> subprocess.CompletedProcess:
    return run("augment", *args, **kw)


def manifest_cmd(*args, **kw) -> subprocess.CompletedProcess:
    return run("manifest.cli", *args, **kw)


def example(folder: Path, count: int = 6) -> Path:
    """``augment example FOLDER``: detection/, classification/, pipeline.json."""
    augment("example", folder, "--count", count)
    return folder


def classification_folder(folder: Path, counts: dict, seed: int = 0) -> Path:
    """One sub-folder per label; JPEG, PNG and BMP files of different sizes (so that shapes
    tell images apart)."""
    g = np.random.default_rng(seed)
    fmts = ((".jpg", "JPEG"), (".png", "PNG"), (".bmp", "BMP"))
    k = 0
    for label, n in counts.items():
        (folder / label).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            h, w = 40 + 3 * k, 56 + 5 * (k % 7)
            yy, xx = np.mgrid[0:h, 0:w]
            img = np.stack([(xx * 4) % 256, (yy * 5) % 256, (xx + yy + 17 * k) % 256], -1)
            img = (img * 0.7 + g.integers(0, 60, (h, w, 3))).astype(np.uint8)
            ext, fmt = fmts[k % 3]
            Image.fromarray(img).save(folder / label / f"{label}_{i:02d}{ext}", fmt, quality=95)
            k += 1
    return folder


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))
