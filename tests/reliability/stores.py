"""What the reliability tests compare: the whole observable state of a store (Chroma records,
sentence vectors, keyword index, manifest, source texts), and folders of generated sources."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desk.settings import Settings
from ingest.keyword_index import KeywordIndex
from ingest.manifest import Manifest
from ingest.source_texts import SourceTexts
from ingest.store import ChromaChunkStore
from ingest.timeline import TimelineStore
from tests.ingest.files import markdown

TOPICS = ["Riga", "Vilnius", "Tallinn", "Warsaw", "Helsinki", "Kyiv", "Geneva", "Ottawa", "Oslo", "Maputo"]


def write_many(folder: Path, count: int = 10, sections: int = 6) -> Path:
    """`count` Markdown sources of `sections` passages each, every passage under a heading of its
    own (one chunk per passage) and different from every other (no shared chunk ids)."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        city = TOPICS[n % len(TOPICS)]
        body = [f"# Briefing {n + 1} from {city}"]
        for k in range(sections):
            body.append(f"## Section {k + 1}")
            body.append(
                f"In briefing {n + 1}, section {k + 1}, officials in {city} reported {17 * n + 3 * k + 5} cleared sites "
                f"and {11 * n + 7 * k + 2} remaining hazards along the border. The review of stockpile item {n * 100 + k} "
                f"was completed on day {k + 2} of the mission, and observers from {TOPICS[(n + k) % len(TOPICS)]} "
                f"confirmed the count. A further inspection of district {n + 3 * k + 1} is planned for the following month, "
                f"subject to funding of {(n + 1) * (k + 2) * 1000} euros."
            )
        meta = {"id": f"briefing-{n + 1:02d}", "title": f"Briefing {n + 1} from {city}", "publisher": "Test Monitor",
                "date": f"2025-{(n % 12) + 1:02d}-15", "kind": "news", "language": "en"}
        (folder / f"briefing-{n + 1:02d}.md").write_text(markdown(meta, "\n\n".join(body) + "\n"), encoding="utf-8")
    return folder


@dataclass
class StoreState:
    chunk_ids: set[str]
    chunk_count: int
    sentence_ids: set[str]
    keyword_ids: list[str]
    manifest: dict[str, list[str]]  # source id -> its chunk ids, in order
    manifest_paths: dict[str, str]
    texts: set[str]
    timeline: dict[str, list[dict]]  # source id -> the withdrawal steps it states
    leftovers: list[str]  # temporary files a killed writer left

    def comparable(self) -> dict:
        """Everything that must not depend on the store's history (paths do: stores differ)."""
        return {"chunk_ids": self.chunk_ids, "chunk_count": self.chunk_count, "sentence_ids": self.sentence_ids,
                "keyword_ids": sorted(self.keyword_ids), "manifest": self.manifest, "texts": self.texts,
                "timeline": self.timeline}


def store_state(settings: Settings, embedder) -> StoreState:
    store = ChromaChunkStore(settings, embedder, create=False)
    index_dir = settings.index_dir
    keyword = KeywordIndex.load(index_dir)
    manifest = Manifest.load(index_dir)
    sentences = store._sentences.get(include=[])["ids"]
    return StoreState(
        chunk_ids=store.ids(),
        chunk_count=store.count(),
        sentence_ids=set(sentences),
        keyword_ids=list(keyword.ids) if keyword else [],
        manifest={sid: list(e.chunk_ids) for sid, e in manifest.entries.items()},
        manifest_paths={sid: e.path for sid, e in manifest.entries.items()},
        texts={m.id for m in SourceTexts(index_dir).all_meta()},
        timeline={sid: entry["events"] for sid, entry in TimelineStore.load(index_dir).sources.items()},
        leftovers=sorted(str(p.relative_to(index_dir)) for p in index_dir.rglob(".*.tmp")),
    )


def assert_consistent(state: StoreState) -> None:
    """The invariants of any store, however it got there."""
    every = [cid for ids in state.manifest.values() for cid in ids]
    assert len(every) == len(set(every)), "a chunk id is listed twice in the manifest"
    assert state.chunk_ids == set(every), "Chroma holds exactly the chunks the manifest lists"
    assert state.chunk_count == len(state.chunk_ids), "no duplicate records"
    assert len(state.keyword_ids) == len(set(state.keyword_ids)) and set(state.keyword_ids) == state.chunk_ids, \
        "the keyword index covers exactly the chunks in Chroma"
    assert {sid.rsplit(":", 1)[0] for sid in state.sentence_ids} == state.chunk_ids, \
        "every chunk has sentence vectors, and no sentence vector is left without its chunk"
    assert state.texts == set(state.manifest), "one source text per manifest entry"
    assert set(state.timeline) == set(state.manifest), "the timeline has read exactly the sources in the manifest"
    assert not state.leftovers, f"temporary files left behind: {state.leftovers}"
