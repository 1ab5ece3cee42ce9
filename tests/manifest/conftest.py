"""Fixtures for the manifest tests (helpers live in _manifest_helpers.py)."""

import pytest

from ._manifest_helpers import REAL


@pytest.fixture
def real_dir():
    if not REAL.is_dir():
        pytest.skip("shared/real-samples is not present")
    return REAL
