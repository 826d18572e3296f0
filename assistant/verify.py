"""Verify every generated sentence against the passages it cites, before it is shown.

A sentence is supported by a passage when every figure, date and proper name it states occurs in
that passage and its embedding similarity to the passage's closest sentence clears
`verify_min_similarity`. Unsupported citations are removed; a sentence none of its citations
supports is re-pointed to a retrieved passage that does support it, or else dropped (or marked,
with `DESK_VERIFY_ACTION=mark`). Every change is recorded for the Answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.evidence import ScoredSentence
from desk.settings import Settings
from ingest.keyword_index import fold

_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-ZÀ-ÖØ-ÞĀ-Ž][\w’'-]{2,}")
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\b[^.]{0,60}\b(question|instructions?|prompt|above|previous|rules)\b"
    r"|\b(reply|answer|respond|say|state)\s+(only\s+)?(that|with)\b|^\s*(assistant|system|user)\s*:",
    re.I,
)
_COMMON = {"the", "this", "that", "these", "according", "under", "article", "however", "there", "sources"}


@dataclass
class Verdict:
    text: str
    support: list[ScoredSentence]
    kept: bool
    changes: list[str] = field(default_factory=list)


def claims(sentence: str) -> set[str]:
    """The checkable facts of a sentence: its figures and its proper names (folded)."""
    figures = {f.strip(".,") for f in _FIGURE.findall(sentence)}
    names = {fold(n) for n in _NAME.findall(sentence) if fold(n) not in _COMMON}
    return figures | names


class Verifier:
    def __init__(self, settings: Settings, embedder):
        self.settings = settings
        self.embedder = embedder

    def verify(self, text: str, cited: list[int], passages: list) -> Verdict:
        """`passages` are the prompt's numbered candidates (1-based numbering in `cited`)."""
        vector = self.embedder.encode([text])[0]
        facts = claims(text)
        changes: list[str] = []
        support: list[ScoredSentence] = []
        for n in cited:
            if not 1 <= n <= len(passages):
                changes.append(f"removed citation [{n}]: no such passage")
                continue
            evidence = self._support(passages[n - 1], facts, vector)
            if evidence is None:
                changes.append(f"removed citation [{n}]: the passage does not support “{_short(text)}”")
            else:
                support.append(evidence)
        if support:
            return Verdict(text, support, True, changes)
        for n, candidate in enumerate(passages, start=1):
            if n in cited:
                continue
            evidence = self._support(candidate, facts, vector)
            if evidence is not None:
                changes.append(f"re-pointed “{_short(text)}” to passage [{n}]")
                return Verdict(text, [evidence], True, changes)
        if self.settings.verify_action == "mark":
            changes.append(f"marked unsupported sentence “{_short(text)}”")
            return Verdict(f"[unverified] {text}", [], True, changes)
        changes.append(f"dropped unsupported sentence “{_short(text)}”")
        return Verdict(text, [], False, changes)

    def _support(self, candidate, facts: set[str], vector: np.ndarray) -> ScoredSentence | None:
        chunk = candidate.chunk
        passage = fold(f"{chunk.source.title} {chunk.heading} {chunk.text}")
        for fact in facts:
            if fold(fact) not in passage:
                return None
        if not candidate.sentences:
            return None
        vectors = candidate.sentence_vectors
        if vectors is None or not len(vectors):
            return None
        similarities = vectors @ vector
        for i in np.argsort(-similarities):
            if float(similarities[i]) < self.settings.verify_min_similarity or i >= len(candidate.sentences):
                return None
            # A sentence that instructs the reader is a document trying to steer the model,
            # never evidence for what the model then says.
            if not _INSTRUCTION.search(candidate.sentences[i].text):
                return candidate.sentences[i]
        return None


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
