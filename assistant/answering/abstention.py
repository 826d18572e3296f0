"""Whether the sources answer the question at all: one calibrated decision.

Features of the whole question and its best evidence (how likely the best sentence that
carries the kind of fact asked for is to answer it, whether the names it turns on occur in the
corpus and in the best passages) feed a logistic regression fitted on answerable
vs unanswerable development questions; its threshold is set for few false declines
(`assistant.answering.training`)."""

from __future__ import annotations

import re

import numpy as np

from assistant.answering.features import INDEX, name_tokens
from assistant.query import COUNTRY_NAMES, QueryAnalysis
from ingest.keyword_index import fold, tokenize

ABSTENTION_FEATURES = (
    "typed_best",  # the ranker's probability for the best sentence that carries the kind of fact asked for
    "name_best",  # for a "who"/"which" question, the best sentence that names someone the question does not
    "unknown_names",  # share of the question's names that no passage of the corpus contains
    "names_missing",  # share of the question's names that none of the best passages contains
)
# Fewer, sharper signals: with 22 unanswerable development questions, held-out figures of
# `python -m evals cv` (2026-12-02): the earlier eleven signals (three kinds of best score, term
# and name coverage) declined 2 of 22 at 4.1% false declines; these four, on the final retrieval,
# 6 of 22 at 4.1% with the confidence-bounded threshold of `evals.training` (on the earlier
# retrieval, 7 of 22 at 7.7% with a plain 5% quantile, 4 of 22 at 3.6% with the bound).
_TOP_PASSAGES = 5
_TOP_SENTENCES = 10
# "Which …", "the name of …": questions whose answer is a name, in the corpus languages
# (folded). "Who" questions are already answer type "person".
_ASKS_NAME = re.compile(r"^\s*(which|whose)\b|\b(name of|named|kuris|kuri|kurie|kuria|kurs|kura|kuras|milline|millised|ktory|ktora|ktore|ktorzy)\b")


def question_features(analysis: QueryAnalysis, pool: list, keyword_index) -> np.ndarray:
    """`pool`: the scored sentences of the reranked passages, best first by score."""
    row = np.zeros(len(ABSTENTION_FEATURES))
    if not pool:
        row[ABSTENTION_FEATURES.index("names_missing")] = 1.0
        return row
    names = name_tokens(analysis)
    passages: list = []
    for s in pool:
        if s.candidate not in passages:
            passages.append(s.candidate)
    top_terms: set[str] = set()
    for c in passages[:_TOP_PASSAGES]:
        top_terms.update(tokenize(c.chunk.embedding_text()))
    top = pool[:_TOP_SENTENCES]
    typed = analysis.answer_type in ("date", "number")
    asks_name = analysis.answer_type == "person" or bool(_ASKS_NAME.search(fold(analysis.text)))
    question_terms = set(analysis.terms)
    values = {
        "typed_best": max((s.score for s in top if s.features[INDEX["type_fit"]] >= 1.0), default=0.0) if typed else pool[0].score,
        "name_best": max((s.score for s in top if _names_other(s.text, question_terms)), default=0.0) if asks_name else pool[0].score,
        "unknown_names": (sum(not keyword_index.knows(t) for t in names) / len(names)) if names and keyword_index else 0.0,
        "names_missing": len(names - top_terms) / len(names) if names else 0.0,
    }
    for i, name in enumerate(ABSTENTION_FEATURES):
        row[i] = values[name]
    return row


def _names_other(sentence: str, question_terms: set[str]) -> bool:
    """Whether the sentence names someone the question does not: a capitalised word (not its
    first, not after "the", not a month or a country) that the question lacks."""
    previous = ""
    for i, match in enumerate(_WORD.finditer(sentence)):
        word = match.group(0)
        if i and word[:1].isupper() and previous.casefold() != "the" and fold(word) not in _NOT_NAMES:
            tokens = tokenize(word)
            if tokens and not set(tokens) & question_terms:
                return True
        previous = word
    return False


def lacking(analysis: QueryAnalysis, pool: list, keyword_index) -> str:
    """One sentence saying what the sources lack, from the same signals the decision uses."""
    unknown = _unknown_names(analysis.text, keyword_index)
    if unknown:
        return f"The sources never mention {_join(unknown)}."
    names, seen = [], set()
    for name in analysis.countries + analysis.names:
        tokens = frozenset(t for t in tokenize(name) if not (keyword_index and keyword_index.common(t))) & name_tokens(analysis)
        if tokens and not tokens <= seen:  # "Lithuania" and "Lithuania's" are one name
            names.append(name)
            seen |= tokens
    subject = f" about {_join(names)}" if names else ""
    if analysis.answer_type == "number":
        return f"The sources give no figure{subject} that answers this."
    if analysis.answer_type == "date":
        return f"The sources give no date{subject} that answers this."
    if analysis.answer_type == "person":
        return f"The sources name no one{subject} who answers this."
    return f"The sources{subject} don't answer this." if subject else "The sources don't answer this."


_WORD = re.compile(r"[\w’'-]+")
_NOT_NAMES = {
    *(fold(m) for m in ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                        "October", "November", "December")),
    *(fold(c) for c in COUNTRY_NAMES), *(v for variants in COUNTRY_NAMES.values() for v in variants),
}


def _unknown_names(question: str, keyword_index) -> list[str]:
    """Runs of capitalised words of the question that no passage contains ("Mark Rutte")."""
    if keyword_index is None:
        return []
    runs: list[list[str]] = [[]]
    for i, match in enumerate(_WORD.finditer(question)):
        word = match.group(0)
        tokens = tokenize(word)
        if i > 0 and word[:1].isupper() and tokens and not any(keyword_index.knows(t) for t in tokens):
            runs[-1].append(word)
        elif runs[-1]:
            runs.append([])
    return [" ".join(run) for run in runs if run]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
