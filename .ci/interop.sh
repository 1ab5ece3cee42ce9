#!/usr/bin/env bash
# Interop: the real consumers load what `augment run` and `manifest` write (tests/interop).
# A venv of its own, because MindSpore pins its own numpy and is a large install: the package,
# pytest and MindSpore 2.10 (PyPI, CPU wheel). Huawei's modelarts-dataset-sdk is not on PyPI,
# so tests/interop/test_sdk.py runs only where MODELARTS_SDK_PATH points at a checkout of it.
# Called from .ci/run; a few minutes (mostly the MindSpore install).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv-interop"
. "$tmp/venv-interop/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q . pytest "mindspore==2.10.0"
# a missing MindSpore must fail here, not turn the tests into skips
python -c "import mindspore, mindspore.dataset; print('MindSpore', mindspore.__version__)"
python -m pytest -q -p no:cacheprovider tests/interop
