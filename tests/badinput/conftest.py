"""A small real store (the three sources of tests/ingest) shared by a module's tests that only
read it; tests that write make their own."""

from __future__ import annotations

import pytest

from desk.settings import Settings
from ingest.pipeline import Ingestor
from tests.ingest.files import make_settings, write_sources


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("badinput")
    settings = make_settings(root / "store", feedback_file=root / "feedback.jsonl")
    summary = Ingestor(settings).run([write_sources(root / "sources")])
    assert summary.added == 3 and not summary.failed
    return settings
