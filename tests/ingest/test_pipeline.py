"""Ingest is incremental and idempotent: an unchanged folder writes nothing, a changed passage is
the only thing re-embedded, a deleted file takes its chunks with it, and one bad file is reported
and skipped while the rest is ingested. Every test uses the real embedding model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desk.errors import SourceNotFound
from ingest.documents import COUNTRIES
from ingest.embedders import get_embedder
from ingest.keyword_index import KeywordIndex
from ingest.loaders import load
from ingest.manifest import Manifest
from ingest.pipeline import IngestSummary, Ingestor
from ingest.source_texts import SourceTexts
from ingest.splitter import split
from ingest.store import ChromaChunkStore
from tests.ingest.files import BAD_FILES, TREATY, make_settings, markdown, python

pytestmark = pytest.mark.slow


def run(settings, *paths: Path, prune: bool = True) -> IngestSummary:
    """One ingest, as one CLI invocation would do it (a new Ingestor each time)."""
    return Ingestor(settings).run(list(paths), prune=prune)


def open_store(settings) -> ChromaChunkStore:
    return ChromaChunkStore(settings, get_embedder(settings), create=False)


def chunk_ids_of(settings, source_id: str) -> set[str]:
    return set(Manifest.load(settings.index_dir).entries[source_id].chunk_ids)


def expected_chunks(path: Path, settings) -> list:
    return split(load(path), settings.chunk_max_chars, settings.chunk_min_chars)


def store_files(settings) -> dict[str, int]:
    """Modification time of every file in the store folder."""
    return {str(p.relative_to(settings.store)): p.stat().st_mtime_ns for p in settings.store.rglob("*") if p.is_file()}


def keyword_ids(settings) -> set[str]:
    index = KeywordIndex.load(settings.index_dir)
    assert index is not None, "no keyword index was written"
    return set(index.ids)


# -- first run ----------------------------------------------------------------------------------


def test_first_run_adds_every_source_with_its_chunks_text_and_keyword_index(settings, sources):
    summary = run(settings, sources)

    expected = {p.name: expected_chunks(p, settings) for p in sorted(sources.iterdir())}
    total = sum(len(c) for c in expected.values())
    assert (summary.added, summary.updated, summary.unchanged, summary.removed, summary.failed) == (3, 0, 0, 0, [])
    assert summary.chunks_embedded == summary.chunks_total == total
    assert summary.exit_code == 0
    assert sorted(summary.source_ids) == ["alpha-treaty", "beta-saeima", "gamma-seimas"]

    store = open_store(settings)
    all_ids = {c.id for chunks in expected.values() for c in chunks}
    assert store.count() == total and store.ids() == all_ids
    assert keyword_ids(settings) == all_ids
    manifest = Manifest.load(settings.index_dir)
    assert manifest.entries["alpha-treaty"].path == str((sources / "alpha.md").resolve())
    assert manifest.entries["alpha-treaty"].chunk_ids == [c.id for c in expected["alpha.md"]]
    saved = SourceTexts(settings.index_dir).load("alpha-treaty")
    assert saved == load(sources / "alpha.md")
    # a citation can be shown in its source: every stored span points into the saved text
    for chunk in store.get(sorted(all_ids)):
        assert SourceTexts(settings.index_dir).load(chunk.source.id).text[chunk.start:chunk.end] == chunk.text


def test_a_store_is_searchable_after_ingest(settings, sources):
    run(settings, sources)
    store, embedder = open_store(settings), get_embedder(settings)

    top = store.search(embedder.embed_query("When does a withdrawal become effective?"), k=1)[0][0]
    assert top.heading == "Article 20 — Duration and withdrawal › 3"
    hits = KeywordIndex.load(settings.index_dir).search("Sakaliene", k=3)
    assert store.get([hits[0][0]])[0].source.id == "gamma-seimas"


# -- idempotency ----------------------------------------------------------------------------------


def test_second_run_writes_nothing(settings, sources):
    run(settings, sources)
    before = store_files(settings)

    summary = run(settings, sources)

    assert (summary.added, summary.updated, summary.unchanged, summary.removed) == (0, 0, 3, 0)
    assert summary.chunks_embedded == summary.chunks_removed == 0 and not summary.failed
    after = store_files(settings)
    for name in ("chroma.sqlite3", "desk/manifest.json", "desk/keyword.json"):
        assert name in before and after[name] == before[name], f"{name} was rewritten"
    assert after == before


# -- update -------------------------------------------------------------------------------------


def test_changed_paragraph_re_embeds_only_its_chunk(settings, sources):
    run(settings, sources)
    before_ids = chunk_ids_of(settings, "gamma-seimas")
    other_before = chunk_ids_of(settings, "alpha-treaty") | chunk_ids_of(settings, "beta-saeima")
    gamma = sources / "gamma.md"
    old = "had become effective six months after the notice."
    new = "had become effective on 27 December 2025, six months after the depositary received the notice."
    gamma.write_text(gamma.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

    summary = run(settings, sources)

    assert (summary.added, summary.updated, summary.unchanged, summary.removed) == (0, 1, 2, 0)
    assert summary.source_ids == ["gamma-seimas"]
    assert summary.chunks_embedded == 1 and summary.chunks_removed == 1
    after_ids = chunk_ids_of(settings, "gamma-seimas")
    (stale,) = before_ids - after_ids
    (fresh,) = after_ids - before_ids
    store = open_store(settings)
    assert stale not in store.ids() and stale not in keyword_ids(settings)
    assert store.ids() == other_before | after_ids == keyword_ids(settings)
    assert "27 December 2025" in store.get([fresh])[0].text
    # the unchanged passage after the edit moved; its stored span follows the new text
    text = SourceTexts(settings.index_dir).load("gamma-seimas").text
    assert "27 December 2025" in text
    for chunk in store.get(sorted(after_ids)):
        assert text[chunk.start:chunk.end] == chunk.text
    assert KeywordIndex.load(settings.index_dir).search("December", k=1)[0][0] == fresh


def test_file_that_turns_bad_keeps_what_it_said_last_time(settings, sources):
    run(settings, sources)
    kept = chunk_ids_of(settings, "beta-saeima")
    (sources / "beta.md").write_bytes("Saeima balsoja \xfe\xe7 2025".encode("latin-1"))

    summary = run(settings, sources)

    assert [(f.path, f.reason.split(" (")[0]) for f in summary.failed] == [(str((sources / "beta.md").resolve()), "not valid UTF-8 text")]
    assert summary.removed == 0 and summary.exit_code == 2
    assert kept <= open_store(settings).ids()
    assert SourceTexts(settings.index_dir).exists("beta-saeima")


# -- prune --------------------------------------------------------------------------------------


def test_deleted_file_takes_its_chunks_and_text_with_it(settings, sources):
    run(settings, sources)
    beta = chunk_ids_of(settings, "beta-saeima")
    (sources / "beta.md").unlink()

    summary = run(settings, sources)

    assert (summary.removed, summary.chunks_removed, summary.unchanged) == (1, len(beta), 2)
    store = open_store(settings)
    assert not beta & store.ids() and not beta & keyword_ids(settings)
    assert store.count() == summary.chunks_total
    assert "beta-saeima" not in Manifest.load(settings.index_dir).entries
    with pytest.raises(SourceNotFound):
        SourceTexts(settings.index_dir).load("beta-saeima")


def test_no_prune_keeps_sources_whose_files_are_gone(settings, sources):
    run(settings, sources)
    beta = chunk_ids_of(settings, "beta-saeima")
    (sources / "beta.md").unlink()

    kept = run(settings, sources, prune=False)

    assert kept.removed == 0 and kept.chunks_removed == 0
    assert beta <= open_store(settings).ids()
    assert SourceTexts(settings.index_dir).exists("beta-saeima")

    pruned = run(settings, sources)
    assert pruned.removed == 1 and not beta & open_store(settings).ids()


def test_ingesting_one_file_does_not_prune_the_others(settings, sources):
    run(settings, sources)

    summary = run(settings, sources / "alpha.md")

    assert (summary.unchanged, summary.removed) == (1, 0)
    assert set(Manifest.load(settings.index_dir).entries) == {"alpha-treaty", "beta-saeima", "gamma-seimas"}


def test_remove_deletes_one_source(settings, sources):
    run(settings, sources)
    gamma = chunk_ids_of(settings, "gamma-seimas")

    assert Ingestor(settings).remove("gamma-seimas") is True
    assert Ingestor(settings).remove("gamma-seimas") is False

    assert not gamma & open_store(settings).ids() and not gamma & keyword_ids(settings)
    assert not SourceTexts(settings.index_dir).exists("gamma-seimas")


# -- a new process, orphans, duplicates ---------------------------------------------------------

READ_STORE = """
import json, sys
from desk.settings import Settings
from ingest.embedders import get_embedder
from ingest.store import ChromaChunkStore
settings = Settings(store=sys.argv[1], chroma_url=None)
store = ChromaChunkStore(settings, get_embedder(settings), create=False)
print(json.dumps({"count": store.count(), "ids": sorted(store.ids())}))
"""


def test_a_new_process_sees_the_same_chunks(settings, sources):
    summary = run(settings, sources)

    result = python("-c", READ_STORE, str(settings.store))

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["count"] == summary.chunks_total
    assert seen["ids"] == sorted(open_store(settings).ids()) == sorted(Manifest.load(settings.index_dir).chunk_ids())


def test_the_keyword_index_is_the_same_whatever_order_the_files_came_in(tmp_path, sources):
    """BM25 breaks ties by position: two stores of the same files must rank alike."""
    at_once = make_settings(tmp_path / "at-once")
    Ingestor(at_once).run([sources])
    last_first = make_settings(tmp_path / "last-first")
    Ingestor(last_first).run([sorted(sources.glob("*.md"))[-1]])
    Ingestor(last_first).run([sources])
    a, b = KeywordIndex.load(at_once.index_dir), KeywordIndex.load(last_first.index_dir)
    assert a.ids == b.ids and len(a.ids) == len(ChromaChunkStore(at_once, get_embedder(at_once)).ids())
    assert a.search("Lithuania withdrawal", 5) == b.search("Lithuania withdrawal", 5)


def test_orphan_chunks_written_by_hand_are_removed(settings, sources):
    run(settings, sources)
    collection = ChromaChunkStore(settings, get_embedder(settings))._collection
    collection.add(
        ids=["orphan-1", "orphan-2"],
        embeddings=[[0.1] * 384, [0.2] * 384],
        documents=["A passage nobody ingested.", "Another stray passage."],
        metadatas=[{"source_id": "ghost"}, {"source_id": "ghost"}],
    )
    assert {"orphan-1", "orphan-2"} <= open_store(settings).ids()

    summary = run(settings, sources)

    ids = open_store(settings).ids()
    assert not {"orphan-1", "orphan-2"} & ids
    assert ids == Manifest.load(settings.index_dir).chunk_ids() and len(ids) == summary.chunks_total
    assert not {"orphan-1", "orphan-2"} & keyword_ids(settings)


def test_duplicate_source_id_fails_the_second_file(settings, sources):
    copy = sources / "zz-copy.md"
    copy.write_text(markdown({**TREATY, "title": "A copy"}, "## Other\n\nA different text that claims the same id.\n"), encoding="utf-8")

    summary = run(settings, sources)

    assert summary.added == 3 and summary.exit_code == 2
    (failure,) = summary.failed
    assert failure.path == str(copy.resolve())
    assert "'alpha-treaty' is already used by" in failure.reason and str((sources / "alpha.md").resolve()) in failure.reason
    assert Manifest.load(settings.index_dir).entries["alpha-treaty"].path == str((sources / "alpha.md").resolve())
    texts = [c.text for c in open_store(settings).get(sorted(chunk_ids_of(settings, "alpha-treaty")))]
    assert not any("claims the same id" in t for t in texts)

    again = run(settings, sources)
    assert [f.path for f in again.failed] == [str(copy.resolve())] and again.unchanged == 3


# -- bad files ----------------------------------------------------------------------------------


def test_every_bad_file_is_reported_and_skipped_while_the_rest_is_ingested(settings, sources, tmp_path):
    bad = {}
    for name, (content, reason) in BAD_FILES.items():
        path = sources / name
        path.write_bytes(content(tmp_path) if callable(content) else content)
        bad[str(path.resolve())] = reason
    missing = tmp_path / "no-such-folder"

    summary = run(settings, sources, sources / "notes.rtf", missing)

    assert summary.added == 3 and sorted(summary.source_ids) == ["alpha-treaty", "beta-saeima", "gamma-seimas"]
    failed = {f.path: f.reason for f in summary.failed}
    assert failed.pop(str(missing)) == "no such file or folder"
    assert set(failed) == set(bad), "the .rtf is only tried because it was named explicitly"
    for path, reason in bad.items():
        assert reason in failed[path], (path, failed[path])
    assert summary.exit_code == 2
    assert open_store(settings).count() == summary.chunks_total > 0


def test_countries_and_dates_reach_the_store_as_filterable_fields(settings, sources):
    run(settings, sources)
    store, embedder = open_store(settings), get_embedder(settings)
    vector = embedder.embed_query("withdrawal")

    expected = {"Latvia": {"beta-saeima"}, "Lithuania": {"gamma-seimas"}}
    for country in COUNTRIES:
        hits = store.search(vector, k=20, where={f"country_{country.lower()}": True})
        assert {c.source.id for c, _ in hits} == expected.get(country, set()), country
    recent = store.search(vector, k=20, where={"date_int": {"$gte": 20251201}})
    assert {c.source.id for c, _ in recent} == {"gamma-seimas"}


@pytest.mark.slow
def test_a_new_split_recipe_resplits_without_reembedding_unchanged_passages(tmp_path, monkeypatch):
    """A store built by an older splitter is brought up to date by the next ingest; passages the
    new recipe leaves as they were keep their vectors (content-hash ids)."""
    from desk.settings import Settings
    from ingest import pipeline
    from ingest.pipeline import Ingestor

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\n## One\n\nThe Seimas voted 107 to 0.\n\n## Two\n\nThree members abstained.\n")
    settings = Settings(store=tmp_path / "store")
    Ingestor(settings).run([folder])
    monkeypatch.setattr(pipeline, "SPLITTER_VERSION", "test-next")
    summary = Ingestor(settings).run([folder])
    assert summary.updated == 1 and summary.unchanged == 0
    assert summary.chunks_embedded == 0, "unchanged passages are not embedded again"
    again = Ingestor(settings).run([folder])
    assert again.unchanged == 1
