"""The ChunkStore contract, run against every backend: the embedded Chroma store and a real
`chroma run` server started by the test. Ingest and the assistant rely on exactly these calls."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from desk.errors import ConfigError, StoreMissing, StoreUnavailable
from ingest.documents import Chunk
from ingest.loaders import load
from ingest.splitter import split
from ingest.store import ChromaChunkStore
from tests.chroma import ChromaServer, free_port
from tests.ingest.files import make_settings, write_sources

WITHDRAWAL_3 = "Article 20 — Duration and withdrawal › 3"


# Every test on a backend embeds with the real model, hence `slow` on both params.
@pytest.fixture(
    scope="module",
    params=[pytest.param("embedded", marks=pytest.mark.slow), pytest.param("server", marks=[pytest.mark.server, pytest.mark.slow])],
)
def backend(request) -> str | None:
    """None for the embedded store, else the URL of the shared test server."""
    return request.getfixturevalue("chroma_server") if request.param == "server" else None


def backend_settings_in(folder: Path, url: str | None):
    """Settings of an empty store on the backend: a new folder, or a new collection on the server."""
    return make_settings(folder / "store", chroma_url=url, collection=f"contract_{uuid.uuid4().hex[:10]}")


@pytest.fixture
def backend_settings(backend, tmp_path: Path):
    return backend_settings_in(tmp_path, backend)


@pytest.fixture(scope="module")
def chunks(tmp_path_factory) -> list[Chunk]:
    """Chunks of the three small sources: a treaty (1997), Latvia news (2025-04), Lithuania news (2025-12)."""
    folder = write_sources(tmp_path_factory.mktemp("contract-sources"))
    return [c for name in ("alpha.md", "beta.md", "gamma.md") for c in split(load(folder / name))]


@pytest.fixture(scope="module")
def filled(backend, tmp_path_factory, embedder, chunks) -> tuple:
    """(settings, store) holding every chunk, shared by the tests that only read."""
    settings = backend_settings_in(tmp_path_factory.mktemp("filled"), backend)
    store = ChromaChunkStore(settings, embedder)
    store.add(chunks)
    return settings, store


@pytest.fixture
def store(backend_settings, embedder, chunks) -> ChromaChunkStore:
    """A store of this test's own holding every chunk, for the tests that write."""
    store = ChromaChunkStore(backend_settings, embedder)
    store.add(chunks)
    return store


def search(store: ChromaChunkStore, embedder, query: str, k: int = 10, where=None) -> list[tuple[Chunk, float]]:
    return store.search(embedder.embed_query(query), k=k, where=where)


# -- the contract -------------------------------------------------------------------------------


def test_add_count_ids_and_get_round_trip(filled, chunks):
    _, store = filled
    ids = [c.id for c in chunks]

    assert store.count() == len(chunks) == len(set(ids)) > 6
    assert store.ids() == set(ids)
    assert store.get(ids) == chunks  # every field survives: spans, sentences, metadata
    assert store.get(list(reversed(ids))) == list(reversed(chunks))
    assert store.get([ids[0], "no-such-id"]) == [chunks[0]]
    assert store.get([]) == []


def test_adding_the_same_chunks_again_does_not_duplicate(store, chunks):
    store.add(chunks[:3])

    assert store.count() == len(chunks)


def test_search_ranks_the_relevant_passage_first(filled, embedder, chunks):
    _, store = filled
    hits = search(store, embedder, "How long after the notice does a withdrawal become effective?", k=4)

    assert len(hits) == 4
    assert hits[0][0].heading == WITHDRAWAL_3
    assert hits[0][0] == next(c for c in chunks if c.heading == WITHDRAWAL_3)
    # scores are cosine similarities, most similar first (not Chroma's distances)
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    query = embedder.embed_query("How long after the notice does a withdrawal become effective?")
    similarities = embedder.encode([chunk.embedding_text() for chunk, _ in hits]) @ query
    assert scores == pytest.approx(similarities.tolist(), abs=1e-3)
    assert scores[0] > 0.5


def test_search_filters_on_kind(filled, embedder):
    _, store = filled
    hits = search(store, embedder, "withdrawal from the convention", where={"kind": "news"})

    assert hits and {c.source.kind for c, _ in hits} == {"news"}
    assert {c.source.id for c, _ in hits} == {"beta-saeima", "gamma-seimas"}


def test_search_filters_on_a_country_flag(filled, embedder, chunks):
    _, store = filled
    hits = search(store, embedder, "withdrawal from the convention", where={"country_latvia": True})

    assert {c.id for c, _ in hits} == {c.id for c in chunks if "Latvia" in c.source.countries}
    either = search(store, embedder, "parliament", where={"$or": [{"country_latvia": True}, {"country_lithuania": True}]})
    assert {c.source.id for c, _ in either} == {"beta-saeima", "gamma-seimas"}


def test_search_filters_on_date_int(filled, embedder):
    _, store = filled
    since_2025 = search(store, embedder, "withdrawal", where={"date_int": {"$gte": 20250101}})
    before_may = search(store, embedder, "withdrawal", where={"$and": [{"date_int": {"$gte": 20250101}}, {"date_int": {"$lt": 20250501}}]})

    assert {c.source.id for c, _ in since_2025} == {"beta-saeima", "gamma-seimas"}
    assert {c.source.id for c, _ in before_may} == {"beta-saeima"}


def test_update_metadata_changes_spans_without_new_records(store, embedder, chunks):
    moved = [dataclasses.replace(c, start=c.start + 7, end=c.end + 7) for c in chunks if c.source.id == "alpha-treaty"]
    assert all(m.id == c.id for m, c in zip(moved, chunks))  # same passage, same id

    store.update_metadata(moved)

    assert store.count() == len(chunks)
    assert store.get([m.id for m in moved]) == moved
    top = search(store, embedder, "How long after the notice does a withdrawal become effective?", k=1)[0][0]
    assert top in moved


def test_delete_removes_chunks_from_every_read(store, embedder, chunks):
    gone = [c.id for c in chunks if c.source.id == "beta-saeima"]

    store.delete(gone)
    store.delete([])
    store.delete(["no-such-id"])

    assert store.count() == len(chunks) - len(gone)
    assert store.ids() == {c.id for c in chunks} - set(gone)
    assert store.get(gone) == []
    assert not [c for c, _ in search(store, embedder, "Saeima Latvia vote", k=20) if c.id in gone]


def test_a_reader_beside_the_writer_sees_its_moved_spans_and_deletions(store, backend_settings, embedder, chunks):
    # Another API worker: it has read the passages (and holds them) before an ingest rewrites them.
    reader = ChromaChunkStore(backend_settings, embedder, create=False)
    treaty = [c for c in chunks if c.source.id == "alpha-treaty"]
    assert reader.get([c.id for c in treaty]) == treaty
    query = "How long after the notice does a withdrawal become effective?"
    assert search(reader, embedder, query, k=1)[0][0] in treaty

    moved = [dataclasses.replace(c, start=c.start + 7, end=c.end + 7) for c in treaty]
    store.update_metadata(moved)
    assert reader.get([m.id for m in moved]) == moved
    assert search(reader, embedder, query, k=1)[0][0] in moved

    store.delete([m.id for m in moved])
    assert reader.get([m.id for m in moved]) == []
    assert not [c for c, _ in search(reader, embedder, query, k=20) if c.source.id == "alpha-treaty"]


def test_iter_texts_pages_through_every_embedded_text(filled, chunks):
    _, store = filled
    pages = list(store.iter_texts(batch=3))

    assert all(len(ids) == len(texts) <= 3 for ids, texts in pages)
    seen = {i: t for ids, texts in pages for i, t in zip(ids, texts)}
    assert seen == {c.id: c.embedding_text() for c in chunks}
    assert len([i for ids, _ in pages for i in ids]) == len(chunks)  # no page repeats a record


def test_a_reopened_store_sees_the_same_records(filled, embedder, chunks):
    settings, store = filled
    store.heartbeat()

    reopened = ChromaChunkStore(settings, embedder, create=False)

    assert reopened.ids() == {c.id for c in chunks}
    assert reopened.get([chunks[0].id]) == [chunks[0]]


def test_empty_store_has_nothing(backend_settings, embedder):
    store = ChromaChunkStore(backend_settings, embedder)

    assert store.count() == 0 and store.ids() == set()
    assert list(store.iter_texts()) == []
    assert store.search(embedder.embed_query("anything"), k=3) == []


def test_opening_without_create_where_there_is_no_store_says_how_to_build_it(backend_settings, embedder):
    with pytest.raises(StoreMissing) as caught:
        ChromaChunkStore(backend_settings, embedder, create=False)

    assert "python -m ingest" in str(caught.value)
    if backend_settings.chroma_url is None:
        assert str(backend_settings.store) in str(caught.value)
        assert not (backend_settings.store / "chroma.sqlite3").exists()  # looking did not create one


def test_a_store_of_another_model_is_refused(filled):
    settings, _ = filled

    class OtherModel:
        name = "sentence-transformers/some-other-model"

        def embed_documents(self, texts):
            return [[0.0] * 384 for _ in texts]

        def embed_query(self, text):
            return [0.0] * 384

    with pytest.raises(ConfigError, match="some-other-model"):
        ChromaChunkStore(settings, OtherModel())


# -- faults ------------------------------------------------------------------------------------


def test_unreachable_server_url_is_store_unavailable(tmp_path: Path, embedder):
    url = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(StoreUnavailable) as caught:
        ChromaChunkStore(make_settings(tmp_path, chroma_url=url), embedder)

    assert url in str(caught.value) and "chroma run" in str(caught.value)


def test_server_url_that_is_not_http_is_a_config_error(tmp_path: Path, embedder):
    with pytest.raises(ConfigError, match="not an http"):
        ChromaChunkStore(make_settings(tmp_path, chroma_url="ftp://127.0.0.1:8000"), embedder)


@pytest.mark.slow
@pytest.mark.server
@pytest.mark.fault
def test_server_stopped_after_opening_is_store_unavailable(tmp_path: Path, embedder, chunks):
    with ChromaServer(tmp_path / "data") as server:
        store = ChromaChunkStore(make_settings(tmp_path, chroma_url=server.url), embedder)
        store.add(chunks[:2])
        assert store.count() == 2

    with pytest.raises(StoreUnavailable, match="not reachable"):
        store.count()


@pytest.mark.fault
def test_corrupt_embedded_store_says_to_rebuild(tmp_path: Path, embedder):
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    (store_dir / "chroma.sqlite3").write_bytes(b"this is not a database " * 200)

    with pytest.raises(StoreMissing) as caught:
        ChromaChunkStore(make_settings(store_dir), embedder, create=False).count()

    assert "corrupt" in str(caught.value) and "python -m ingest" in str(caught.value)
