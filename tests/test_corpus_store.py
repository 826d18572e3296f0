"""The `corpus_settings` fixture (tests/conftest.py) that the assistant and API tests build on:
the whole corpus in one store, every source and passage present, searchable both ways, and a
second ingest from a new process finding nothing to do.

These tests live beside the fixture rather than in tests/ingest so that a run of tests/ingest
alone stays quick; in a full run the store is built once and shared."""

from __future__ import annotations

import pytest

from ingest.embedders import get_embedder
from ingest.keyword_index import KeywordIndex
from ingest.loaders import load
from ingest.manifest import Manifest
from ingest.splitter import split
from ingest.store import ChromaChunkStore
from tests.conftest import corpus_documents
from tests.ingest.files import chroma_content, ingest_cli, json_line

pytestmark = pytest.mark.slow


def test_corpus_store_holds_every_source_and_passage(corpus_settings):
    manifest = Manifest.load(corpus_settings.index_dir)
    paths = corpus_documents()
    expected = {c.id for p in paths for c in split(load(p), corpus_settings.chunk_max_chars, corpus_settings.chunk_min_chars)}

    store = ChromaChunkStore(corpus_settings, get_embedder(corpus_settings), create=False)

    assert set(manifest.entries) == {p.stem for p in paths}
    assert store.ids() == manifest.chunk_ids() == expected
    assert store.count() == len(expected)
    assert set(KeywordIndex.load(corpus_settings.index_dir).ids) == expected


def test_corpus_store_finds_a_treaty_provision_and_a_name_typed_without_diacritics(corpus_settings):
    store, embedder = ChromaChunkStore(corpus_settings, get_embedder(corpus_settings), create=False), get_embedder(corpus_settings)

    hits = store.search(embedder.embed_query("When does a withdrawal from the Convention take effect?"), k=5)
    assert "Article 20 — Duration and withdrawal › 3" in [c.heading for c, _ in hits]
    treaty_only = store.search(embedder.embed_query("withdrawal"), k=5, where={"kind": "treaty"})
    assert {c.source.id for c, _ in treaty_only} == {"001-ottawa-convention-english-text"}
    (top_id, _), *_ = KeywordIndex.load(corpus_settings.index_dir).search("sakaliene Poland visit", k=3)
    assert store.get([top_id])[0].source.id == "007-l24-sakaliene-in-poland"


def test_corpus_second_ingest_from_a_new_process_does_nothing(corpus_settings):
    records = chroma_content(corpus_settings.store)
    manifest = corpus_settings.index_dir / "manifest.json"
    manifest_mtime = manifest.stat().st_mtime_ns

    result = ingest_cli(str(corpus_settings.corpus), "--store", str(corpus_settings.store), "--json")

    assert result.returncode == 0, result.stderr
    summary = json_line(result.stdout)
    assert summary["unchanged"] == len(corpus_documents())
    assert summary["added"] == summary["updated"] == summary["removed"] == summary["chunks_embedded"] == 0
    assert chroma_content(corpus_settings.store) == records
    assert manifest.stat().st_mtime_ns == manifest_mtime
