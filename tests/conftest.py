"""Shared test fixtures: where the outside reference values live, and a scratch warehouse."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"the published reference values are not beside this clone ({REFERENCE_DIR})")
    return REFERENCE_DIR
