#!/usr/bin/env bash
# Lint and type checks on the library (settings in pyproject.toml): ruff's lint rules, ruff's formatter
# on the files it owns so far (the rest are excluded in [tool.ruff.format] until they are reformatted),
# and mypy. Runs in the current environment: ruff, mypy and the stub packages must be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "--- ruff check"
ruff check augment manifest
echo "--- ruff format --check"
ruff format --check augment manifest
echo "--- mypy"
mypy augment manifest
