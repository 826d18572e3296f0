"""Fixtures of the ingest tests: a small folder of real sources, a store folder per test, and the
real embedding model (the `embedder` fixture of tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.settings import Settings
from tests.ingest.files import make_settings, write_sources


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """An empty embedded store of this test's own."""
    return make_settings(tmp_path / "store")


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A folder with three small Markdown sources (alpha: treaty, beta: Latvia, gamma: Lithuania)."""
    return write_sources(tmp_path / "sources")
