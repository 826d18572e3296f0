"""Hybrid retrieval as a LangChain retriever: dense search in Chroma and the persisted BM25
index, fused by reciprocal rank fusion, then reranked.

`retrieve()` returns rich `Candidate`s for the assistant; `invoke()` (the BaseRetriever API)
returns LangChain Documents, so the retriever composes with LCEL and passes langchain-tests."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from assistant.answer import Filters
from assistant.answering.features import figure_phrases, section_numbers
from assistant.lexicon import english_gloss
from assistant.query import QueryAnalysis, analyse
from desk.settings import Settings
from ingest.documents import Chunk
from ingest.embedders import get_embedder
from ingest.keyword_index import LiveKeywordIndex
from ingest.store import ChromaChunkStore, ChunkStore


@dataclass
class Candidate:
    chunk: Chunk
    dense: float | None = None
    keyword: float | None = None
    fused: float = 0.0
    score: float = 0.0
    sentence_vectors: np.ndarray | None = None
    sentences: list = field(default_factory=list)  # ScoredSentence, filled by the evidence scorer

    @property
    def id(self) -> str:
        return self.chunk.id


class HybridRetriever(BaseRetriever):
    settings: Settings
    k: int = 8
    mode: str | None = None
    filters: Filters | None = None

    model_config = ConfigDict(arbitrary_types_allowed=True)

    _store: ChunkStore = PrivateAttr()
    _embedder = PrivateAttr()
    _keyword: LiveKeywordIndex = PrivateAttr()
    _reranker = PrivateAttr()

    def __init__(self, store: ChunkStore | None = None, reranker=None, **data):
        super().__init__(**data)
        from assistant.rerankers import make_reranker

        self._embedder = get_embedder(self.settings)
        self._store = store or ChromaChunkStore(self.settings, self._embedder, create=False)
        self._keyword = LiveKeywordIndex(self.settings.index_dir)
        self._reranker = reranker or make_reranker(self.settings, self._store, self._keyword)

    @property
    def store(self) -> ChunkStore:
        return self._store

    @property
    def keyword_index(self) -> LiveKeywordIndex:
        return self._keyword

    @property
    def embedder(self):
        return self._embedder

    @property
    def reranker(self):
        return self._reranker

    def retrieve(
        self,
        query: str,
        k: int | None = None,
        filters: Filters | None = None,
        analysis: QueryAnalysis | None = None,
        timings: dict[str, float] | None = None,
        focus_sources: list[str] | None = None,
    ) -> tuple[list[Candidate], np.ndarray]:
        """Top-k candidates for `query`, best first, and the query vector (reused downstream).
        `focus_sources`: the sources a follow-up leans on (those the last answer cited); their
        best keyword matches join the fusion as a third list, so they reach the reranker."""
        timings = {} if timings is None else timings
        k = k or self.k
        filters = filters or self.filters
        where = filters.to_where() if filters and not filters.is_empty() else None
        mode = self.mode or self.settings.retrieval_mode
        n = max(self.settings.candidates, k)
        analysis = analysis or analyse(query)

        # A question in another language also searches with English words for its vocabulary:
        # the keyword index then reaches English passages the English-only embedder misses.
        gloss = english_gloss(query) if analysis.language != "en" or analysis.foreign else ""
        keyword_query = f"{query} {gloss}" if gloss else query
        with _timer(timings, "embed_ms"):
            # The English-only embedder makes noise of a script it never saw; the gloss is
            # what it can read of a question in a language the corpus lacks.
            vector = self._embedder.encode([gloss if analysis.foreign and gloss else query])[0]
        dense: list[tuple[Chunk, float]] = []
        if mode in ("hybrid", "dense"):
            with _timer(timings, "dense_ms"):
                dense = self._store.search(vector, n, where)
        keyword: list[tuple[str, float]] = []
        focused: list[tuple[str, float]] = []
        if mode in ("hybrid", "keyword"):
            with _timer(timings, "keyword_ms"):
                index = self._keyword.get()
                if index is not None:
                    allowed = self._store.ids(where) if where else None
                    keyword = index.search(keyword_query, n, allowed)
                    if focus_sources:
                        in_focus = self._store.ids({"source_id": {"$in": list(focus_sources)}})
                        focused = index.search(keyword_query, self.settings.focus_candidates, in_focus & allowed if allowed is not None else in_focus)
        with _timer(timings, "fuse_ms"):
            candidates = self._fuse(dense, keyword, focused)
        with _timer(timings, "rerank_ms"):
            ranked = self._reranker.rerank(analysis, vector, in_named_section(analysis, candidates))
        return ranked[:k], vector

    def _fuse(
        self, dense: list[tuple[Chunk, float]], keyword: list[tuple[str, float]], focused: list[tuple[str, float]] = ()
    ) -> list[Candidate]:
        rrf_k = self.settings.rrf_k
        by_id: dict[str, Candidate] = {}
        for rank, (chunk, score) in enumerate(dense):
            c = by_id.setdefault(chunk.id, Candidate(chunk=chunk))
            c.dense = score
            c.fused += 1.0 / (rrf_k + rank + 1)
        missing = list(dict.fromkeys(cid for cid, _ in [*keyword, *focused] if cid not in by_id))
        fetched = {c.id: c for c in self._store.get(missing)} if missing else {}
        for ranking, is_keyword in ((keyword, True), (focused, False)):
            for rank, (chunk_id, score) in enumerate(ranking):
                if chunk_id not in by_id:
                    if chunk_id not in fetched:  # index a step behind the store: skip, don't fail
                        continue
                    by_id[chunk_id] = Candidate(chunk=fetched[chunk_id])
                c = by_id[chunk_id]
                if is_keyword:
                    c.keyword = score
                c.fused += 1.0 / (rrf_k + rank + 1)
        fused = sorted(by_id.values(), key=lambda c: -c.fused)
        return fused[: self.settings.candidates]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None, filters: Filters | None = None
    ) -> list[Document]:
        candidates, _ = self.retrieve(query, k=k, filters=filters)
        return [to_document(c) for c in candidates]


def in_named_section(analysis: QueryAnalysis, candidates: list[Candidate]) -> list[Candidate]:
    """A question that names a numbered section ("What does Article 20 say?") is about that
    section: when the candidates hold it, passages of other sections of the same kind ("Article 8
    › 20", whose paragraph number matches) are not its answer. The ranker cannot learn this from
    the few development questions that name a section."""
    asked = figure_phrases(analysis.text)
    if not asked:
        return candidates
    kinds = {p.rsplit(" ", 1)[0] for p in asked}

    def section(c: Candidate) -> set[str]:
        return section_numbers(c.chunk.heading)

    if not any(asked & section(c) for c in candidates):
        return candidates
    return [c for c in candidates if asked & section(c) or not {p.rsplit(" ", 1)[0] for p in section(c)} & kinds]


def to_document(candidate: Candidate) -> Document:
    chunk = candidate.chunk
    metadata = {k: v for k, v in chunk.to_metadata().items() if k not in ("chunk_text", "sentences")}
    metadata.update(chunk_id=chunk.id, score=candidate.score, dense=candidate.dense, keyword=candidate.keyword)
    return Document(page_content=chunk.text, metadata=metadata, id=chunk.id)


class _timer:
    def __init__(self, timings: dict[str, float], key: str):
        self.timings, self.key = timings, key

    def __enter__(self):
        self.started = time.perf_counter()

    def __exit__(self, *exc):
        self.timings[self.key] = self.timings.get(self.key, 0.0) + round((time.perf_counter() - self.started) * 1000, 2)
