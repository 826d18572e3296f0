"""Fixtures of the API tests.

- `empty_settings` / `empty_client`: a store folder with nothing built; no model needed, so the
  refusal paths (bad input, missing store, refused uploads) run fast and unmarked.
- `corpus_client`: the whole corpus (tests/conftest.py's read-only `corpus_settings`), with
  uploads and deletions switched off so no test can write into the shared store.
- `small_settings`: a writable store of the three small sources of tests/ingest, for uploads."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from desk.settings import Settings
from tests.ingest.files import make_settings, write_sources


@pytest.fixture
def empty_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "store", feedback_file=tmp_path / "feedback.jsonl")


@pytest.fixture
def empty_client(empty_settings: Settings) -> TestClient:
    return TestClient(create_app(empty_settings), raise_server_exceptions=False)


@pytest.fixture(scope="session")
def corpus_api_settings(corpus_settings: Settings, tmp_path_factory) -> Settings:
    feedback = tmp_path_factory.mktemp("feedback") / "feedback.jsonl"
    return corpus_settings.model_copy(update={"allow_uploads": False, "allow_delete": False, "feedback_file": feedback})


@pytest.fixture(scope="session")
def corpus_app(corpus_api_settings: Settings):
    """One app (one Assistant) for every test of the session that reads the corpus."""
    return create_app(corpus_api_settings)


@pytest.fixture
def corpus_client(corpus_app) -> TestClient:
    return TestClient(corpus_app, raise_server_exceptions=False)


@pytest.fixture
def small_settings(tmp_path: Path) -> Settings:
    """A writable store holding alpha (treaty), beta (Latvia) and gamma (Lithuania)."""
    from ingest.pipeline import Ingestor

    settings = make_settings(tmp_path / "store", feedback_file=tmp_path / "feedback.jsonl")
    summary = Ingestor(settings).run([write_sources(tmp_path / "sources")])
    assert summary.added == 3 and not summary.failed
    return settings


@pytest.fixture
def small_client(small_settings: Settings) -> TestClient:
    return TestClient(create_app(small_settings), raise_server_exceptions=False)

