"""Fixtures shared by every test package.

`corpus_settings` builds the whole corpus into a store once per test session (about a minute on
a laptop CPU: it embeds every passage with the real model) and hands out the Settings that point
at it. Tests that use it must treat the store as read-only; a test that writes needs its own
small store in tmp_path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from desk.settings import Settings
from tests.paths import CORPUS_DIR


# The ONNX embedder exports its graph once per cache folder (seconds, with torch): every test's
# fresh store shares one folder instead of exporting again; subprocesses inherit it.
os.environ.setdefault("DESK_ONNX_CACHE", str(Path(tempfile.gettempdir()) / "desk-test-onnx-cache"))


def corpus_documents() -> list:
    """The corpus files ingest reads (the folder's README describes the corpus; it is not a source)."""
    return sorted(p for p in CORPUS_DIR.glob("*.md") if p.name != "README.md")


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory) -> Settings:
    """Settings of a store holding the whole corpus, built once per session with the real model.

    Only tests marked `slow` should ask for it."""
    from ingest.pipeline import Ingestor

    settings = Settings(store=tmp_path_factory.mktemp("corpus-store"), chroma_url=None, corpus=CORPUS_DIR)
    summary = Ingestor(settings).run([CORPUS_DIR])
    assert not summary.failed, f"the corpus did not ingest cleanly: {summary.failed}"
    assert summary.added == len(corpus_documents())
    return settings


@pytest.fixture(scope="session")
def embedder():
    """The real model with the default backend, loaded once per process (get_embedder caches it)
    and shared by every test."""
    from pathlib import Path

    from ingest.embedders import get_embedder
    from tests.ingest.files import make_settings

    return get_embedder(make_settings(Path("unused")))


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory) -> str:
    """The URL of one real `chroma run` server for the whole session (marker `server`). Tests
    share it by using collections of their own; a test that stops its server starts its own
    `tests.chroma.ChromaServer` instead."""
    from tests.chroma import ChromaServer, ChromaServerError

    try:
        server = ChromaServer(tmp_path_factory.mktemp("chroma-server") / "data").start()
    except ChromaServerError as exc:
        pytest.fail(str(exc))
    yield server.url
    server.stop()
