"""Sentence-level evidence scoring: how likely each sentence of a retrieved passage is to carry
the answer. Shared by the default reranker, the extractive generator and the verifier.

The features (`assistant.answering.features`) are generic properties of question, sentence and
passage; the learned ranker of the answer model turns them into a probability. A passage scores
as its best sentence. No model call happens here: sentence vectors were made at ingest."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from assistant.answering.features import INDEX, featurize
from assistant.answering.model import AnswerModel, load_model
from assistant.query import QueryAnalysis
from desk.settings import Settings
from ingest.keyword_index import LiveKeywordIndex
from ingest.store import ChunkStore


@dataclass
class ScoredSentence:
    candidate: object  # Candidate; typed loosely to keep this module below the retriever
    index: int
    start: int  # offsets in the source text
    end: int
    text: str
    score: float  # the ranker's probability that this sentence carries the answer
    features: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))

    @property
    def semantic(self) -> float:
        return float(self.features[INDEX["semantic"]])

    @property
    def fit(self) -> float:
        """How fully it carries the kind of fact asked for (see query.type_fit)."""
        return float(self.features[INDEX["type_fit"]])

    @property
    def typed(self) -> bool:
        return self.fit > 0

    @property
    def source_id(self) -> str:
        return self.candidate.chunk.source.id

    @property
    def language(self) -> str:
        return self.candidate.chunk.lang

    @property
    def vector(self):
        """The sentence's embedding (made at ingest), or None when the store has none."""
        vectors = self.candidate.sentence_vectors
        return vectors[self.index] if vectors is not None and self.index < len(vectors) else None


# Sentence vectors kept in memory, in passages: a few MB, more than the shipped corpus holds.
_CACHED_PASSAGES = 4096


class EvidenceScorer:
    def __init__(self, settings: Settings, store: ChunkStore, keyword: LiveKeywordIndex, model: AnswerModel | None = None):
        self.settings = settings
        self.store = store
        self.keyword = keyword
        self._model = model
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # chunk id -> sentence vectors, least recently used first
        self._vectors_lock = threading.Lock()  # the API answers in a thread pool

    @property
    def model(self) -> AnswerModel:
        # Read on first use, so that `python -m evals train` can start before any model exists.
        if self._model is None:
            self._model = load_model(self.settings.answer_model)
        return self._model

    @model.setter
    def model(self, model: AnswerModel) -> None:
        self._model = model

    def attach_vectors(self, candidates: list) -> None:
        # A chunk id hashes everything that was embedded, so its sentence vectors never change:
        # the popular passages of a store come back with most questions, and the store's
        # filtered read of their vectors was a tenth of a warm answer.
        with self._vectors_lock:
            missing = [c.id for c in candidates if c.sentence_vectors is None and c.id not in self._vectors]
        found = self.store.sentence_vectors(missing) if missing else {}
        with self._vectors_lock:
            for chunk_id, vectors in found.items():
                vectors.setflags(write=False)  # shared by every later answer that retrieves the passage
                self._vectors[chunk_id] = vectors
            for c in candidates:
                if c.sentence_vectors is None and c.id in self._vectors:
                    c.sentence_vectors = self._vectors[c.id]
                    self._vectors.move_to_end(c.id)
            while len(self._vectors) > _CACHED_PASSAGES:
                self._vectors.popitem(last=False)

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        index = self.keyword.get()
        return {term: index.idf(term) if index else 1.0 for term in dict.fromkeys(terms)}

    def sentence_rows(self, analysis: QueryAnalysis, query_vector: np.ndarray, candidates: list) -> list[ScoredSentence]:
        """Every sentence of `candidates` with its features, unscored (score 0)."""
        self.attach_vectors(candidates)
        rows = featurize(analysis, query_vector, candidates, self.term_weights(analysis.terms))
        out = []
        for c, i, features in rows:
            start, end = c.chunk.sentences[i]
            out.append(ScoredSentence(c, i, c.chunk.start + start, c.chunk.start + end, c.chunk.text[start:end], 0.0, features))
        return out

    def score(self, analysis: QueryAnalysis, query_vector: np.ndarray, candidates: list) -> None:
        """Fill `candidate.sentences` with scored sentences and set `candidate.score` to its
        best sentence's score."""
        sentences = self.sentence_rows(analysis, query_vector, candidates)
        for c in candidates:
            c.sentences = []
            c.score = 0.0
        if sentences:
            probabilities = self.model.ranker.probabilities(np.stack([s.features for s in sentences]))
            for s, p in zip(sentences, probabilities):
                s.score = float(p)
                s.candidate.sentences.append(s)
                s.candidate.score = max(s.candidate.score, s.score)

    def part_scores(self, analysis: QueryAnalysis, query_vector: np.ndarray, candidates: list) -> dict[tuple[int, int], float]:
        """The ranker's probabilities for one part of a question, keyed (id(candidate), index),
        without touching the candidates' own scores."""
        sentences = self.sentence_rows(analysis, query_vector, candidates)
        if not sentences:
            return {}
        probabilities = self.model.ranker.probabilities(np.stack([s.features for s in sentences]))
        return {(id(s.candidate), s.index): float(p) for s, p in zip(sentences, probabilities)}
