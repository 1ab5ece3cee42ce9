#!/usr/bin/env bash
# Lint and type checks on the library (settings in pyproject.toml): ruff's lint rules, ruff's formatter
# on the files formatted so far (the rest are listed in [tool.ruff.format] exclude, to do), mypy on
# augment/ and manifest/, and mypy on .ci/typing_usage.py (the public API as a user's type checker
# sees it). Runs in the current environment: ruff, mypy and the stub packages must be installed.
# Every check runs; the exit status is non-zero when any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
check() {
    echo "--- $*"
    "$@" || failed+=("'$*'")
}
check ruff check augment manifest
check ruff format --check augment manifest
check mypy augment manifest
check mypy --follow-imports=silent .ci/typing_usage.py
if ((${#failed[@]})); then
    echo "lint: failed: ${failed[*]}" >&2  # each check quoted
    exit 1
fi
echo "lint: ruff and mypy passed"
