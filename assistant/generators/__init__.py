"""Answer generators behind one protocol, registered in one place (`make_generator`).

A generator turns the question and the reranked passages into draft sentences, each tied to the
evidence sentences that support it. The chain numbers the citations and builds the Answer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.answer import Turn
from assistant.evidence import EvidenceScorer, ScoredSentence
from assistant.query import QueryAnalysis
from desk.settings import Settings
from ingest.keyword_index import KeywordIndex


@dataclass
class DraftSentence:
    text: str
    support: list[ScoredSentence]


@dataclass
class Draft:
    sentences: list[DraftSentence]
    abstained: bool = False
    changes: list[str] = field(default_factory=list)
    # Milliseconds since the generator started (first_token_ms for an LLM): the chain adds them,
    # offset to the question's start, to the Answer's timings.
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class GenerationInput:
    analysis: QueryAnalysis
    query_vector: np.ndarray
    candidates: list  # Candidate, best first, sentences scored
    history: list[Turn]
    keyword_index: KeywordIndex | None = None  # the corpus vocabulary, for "no source mentions X"


class Generator(Protocol):
    def generate(self, data: GenerationInput) -> Draft: ...

    def stream(self, data: GenerationInput) -> Iterator[DraftSentence | Draft]:
        """Sentences as soon as each is ready (and verified), then the whole Draft."""
        ...

    def condense(self, question: str, history: list[Turn]) -> str | None:
        """A standalone version of a follow-up question, or None to use the default condenser."""
        ...


def make_generator(settings: Settings, scorer: EvidenceScorer, embedder) -> Generator:
    from assistant.generators.extractive import ExtractiveGenerator

    extractive = ExtractiveGenerator(settings, scorer)
    if settings.generator == "extractive":
        return extractive
    from assistant.generators.llm import LLMGenerator
    from assistant.verify import Verifier

    verifier = Verifier(settings, embedder)
    if settings.generator == "openai":
        from assistant.generators.openai import chat_model
    else:
        from assistant.generators.ollama import chat_model
    return LLMGenerator(settings, chat_model(settings), verifier, fallback=extractive)
