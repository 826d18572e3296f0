"""Rerankers behind one protocol, chosen by `DESK_RERANKER`; adding one touches only this file.

- `evidence` (default): sentence-level evidence scores (embedding similarity from vectors made at
  ingest, idf-weighted term overlap, answer-type and language fit); no model call per query.
- `cross-encoder`: a sentence-transformers CrossEncoder from a local folder
  (`DESK_CROSS_ENCODER_PATH`); none ships in a wheel, so it is opt-in.
- `none`: keep the fusion order (for ablations)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from assistant.evidence import EvidenceScorer
from assistant.query import QueryAnalysis
from desk.errors import ConfigError
from desk.settings import Settings
from ingest.keyword_index import LiveKeywordIndex
from ingest.store import ChunkStore


class Reranker(Protocol):
    def rerank(self, analysis: QueryAnalysis, query_vector: np.ndarray, candidates: list) -> list: ...


class EvidenceReranker:
    def __init__(self, scorer: EvidenceScorer):
        self.scorer = scorer

    def rerank(self, analysis: QueryAnalysis, query_vector: np.ndarray, candidates: list) -> list:
        self.scorer.score(analysis, query_vector, candidates)
        return sorted(candidates, key=lambda c: -c.score)


class FusionOrder:
    """No reranking: candidates keep their fused rank; sentences are still scored for answering."""

    def __init__(self, scorer: EvidenceScorer):
        self.scorer = scorer

    def rerank(self, analysis: QueryAnalysis, query_vector: np.ndarray, candidates: list) -> list:
        self.scorer.score(analysis, query_vector, candidates)
        return sorted(candidates, key=lambda c: -c.fused)


class CrossEncoderReranker:
    def __init__(self, scorer: EvidenceScorer, path):
        from sentence_transformers import CrossEncoder

        if path is None or not path.is_dir():
            raise ConfigError("DESK_RERANKER=cross-encoder needs DESK_CROSS_ENCODER_PATH set to a local model folder")
        self.scorer = scorer
        self.model = CrossEncoder(str(path), device="cpu")

    def rerank(self, analysis: QueryAnalysis, query_vector: np.ndarray, candidates: list) -> list:
        self.scorer.score(analysis, query_vector, candidates)
        if candidates:
            scores = self.model.predict([(analysis.text, c.chunk.text) for c in candidates])
            for c, s in zip(candidates, scores):
                c.score = float(s)
        return sorted(candidates, key=lambda c: -c.score)


def make_reranker(settings: Settings, store: ChunkStore, keyword: LiveKeywordIndex) -> Reranker:
    scorer = EvidenceScorer(settings, store, keyword)
    if settings.reranker == "evidence":
        return EvidenceReranker(scorer)
    if settings.reranker == "none":
        return FusionOrder(scorer)
    return CrossEncoderReranker(scorer, settings.cross_encoder_path)
