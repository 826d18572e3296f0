"""Sentence-level evidence scoring: how well each sentence of a retrieved passage answers the
question. Shared by the default reranker, the extractive generator and the verifier.

A sentence's score mixes its embedding similarity to the question (vectors precomputed at
ingest), the share of the question's rare terms it contains (BM25 idf weights), the terms found
in its passage's title and heading, whether it carries the kind of fact asked for, and whether it
is in the question's language. No model call happens here."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.query import QueryAnalysis, type_fit
from desk.settings import Settings
from ingest.keyword_index import LiveKeywordIndex, tokenize
from ingest.store import ChunkStore

_MARKUP = re.compile(r"^\s*(\*\*[\w()]+\.?\*\*\s*|#+\s*|[-*]\s+)")


@dataclass
class ScoredSentence:
    candidate: object  # Candidate; typed loosely to keep this module below the retriever
    index: int
    start: int  # offsets in the source text
    end: int
    text: str
    semantic: float
    lexical: float
    typed: bool
    score: float
    fit: float = 0.0  # how fully it carries the kind of fact asked for (see query.type_fit)

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


def clean(sentence: str) -> str:
    """A source sentence as answer text: without paragraph markers and emphasis marks."""
    text = _MARKUP.sub("", sentence).strip()
    return text.replace("**", "").strip("* ").strip()


class EvidenceScorer:
    def __init__(self, settings: Settings, store: ChunkStore, keyword: LiveKeywordIndex):
        self.settings = settings
        self.store = store
        self.keyword = keyword

    def attach_vectors(self, candidates: list) -> None:
        missing = [c.id for c in candidates if c.sentence_vectors is None]
        if missing:
            found = self.store.sentence_vectors(missing)
            for c in candidates:
                if c.sentence_vectors is None:
                    c.sentence_vectors = found.get(c.id)

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        index = self.keyword.get()
        weights = {}
        for term in dict.fromkeys(terms):
            weights[term] = index.idf(term) if index else 1.0
        return weights

    def score(self, analysis: QueryAnalysis, query_vector: np.ndarray, candidates: list) -> None:
        """Fill `candidate.sentences` and set `candidate.score` to its best sentence's score plus
        the passage-level similarity."""
        s = self.settings
        self.attach_vectors(candidates)
        weights = self.term_weights(analysis.terms)
        total = sum(weights.values()) or 1.0
        for c in candidates:
            chunk = c.chunk
            context_terms = set(tokenize(f"{chunk.source.title} {chunk.heading}"))
            passage_terms = set(tokenize(chunk.text)) | context_terms
            # Lexical evidence counts at passage level too: the sentence that answers often
            # doesn't repeat the question's words its neighbours carry ("justification" →
            # "the security situation has deteriorated").
            passage = sum(w for t, w in weights.items() if t in passage_terms) / total
            language_mismatch = chunk.lang != analysis.language
            c.sentences = []
            vectors = c.sentence_vectors
            for i, (start, end) in enumerate(chunk.sentences):
                text = chunk.text[start:end]
                terms = set(tokenize(text))
                lexical = sum(w for t, w in weights.items() if t in terms) / total
                context = sum(w for t, w in weights.items() if t in context_terms and t not in terms) / total
                semantic = float(vectors[i] @ query_vector) if vectors is not None and i < len(vectors) else float(c.dense or 0.0)
                fit = type_fit(analysis.answer_type, text, analysis.terms, analysis.focus, analysis.asks_year)
                typed = fit > 0
                score = s.w_semantic * semantic + s.w_lexical * lexical + s.w_context * context + s.w_passage_terms * passage
                score += s.w_type * fit - s.language_penalty * language_mismatch
                c.sentences.append(
                    ScoredSentence(c, i, chunk.start + start, chunk.start + end, text, semantic, lexical, typed, score, fit)
                )
            best = max((x.score for x in c.sentences), default=0.0)
            c.score = best + s.w_passage * float(c.dense if c.dense is not None else 0.0)
