"""Shared fixtures: the ../shared folder (skip with a reason when absent) and the bundled sample."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"../shared not found at {SHARED}: tests that read the shared corpora are skipped")
    return SHARED


@pytest.fixture(scope="session")
def sample_txt() -> Path:
    """The bundled copy of the NOS sample article in the archive text layout (always available)."""
    return Path(str(resources.files("duiding") / "samples" / "nos-2448020.txt"))
