#!/usr/bin/env bash
# Lint and type checks on the library (settings in pyproject.toml): ruff's lint rules, ruff's formatter
# on the files formatted so far (the rest are listed in [tool.ruff.format] exclude, to do),
# and mypy. Runs in the current environment: ruff, mypy and the stub packages must be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "--- ruff check"
ruff check augment manifest
echo "--- ruff format --check"
ruff format --check augment manifest
echo "--- mypy"
mypy augment manifest
echo "--- mypy: the public API as users see it"
mypy --follow-imports=silent .ci/typing_usage.py
