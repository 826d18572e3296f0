"""Whether the sources answer the question at all: one calibrated decision.

Features of the whole question and its best evidence (how likely the best sentences are to
answer it, whether the names it turns on occur in the corpus and in the best passages, whether
any sentence carries the kind of fact asked for) feed a logistic regression fitted on answerable
vs unanswerable development questions; its threshold is set for few false declines
(`assistant.answering.training`)."""

from __future__ import annotations

import re

import numpy as np

from assistant.answering.features import INDEX, name_tokens
from assistant.query import QueryAnalysis
from ingest.keyword_index import tokenize

ABSTENTION_FEATURES = (
    "best",  # the ranker's probability for the best sentence
    "second",
    "top3_mean",
    "best_lexical",
    "best_semantic",
    "unknown_names",  # share of the question's names that no passage of the corpus contains
    "names_missing",  # share of the question's names that none of the best passages contains
    "best_names",  # share of the question's names in the best sentence
    "no_typed_fact",  # a "when"/"how many" question whose best sentences carry no such fact
    "terms_missing",  # idf-weighted share of the question's terms that none of the best passages contains
    "terms_missing_best",  # … that the best sentence's passage lacks
)
_TOP_PASSAGES = 5
_TOP_SENTENCES = 10


def _missing(terms: list[str], present: set[str], keyword_index) -> float:
    weights = {t: keyword_index.idf(t) if keyword_index else 1.0 for t in dict.fromkeys(terms)}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t not in present) / total if total else 0.0


def question_features(analysis: QueryAnalysis, pool: list, keyword_index) -> np.ndarray:
    """`pool`: the scored sentences of the reranked passages, best first by score."""
    row = np.zeros(len(ABSTENTION_FEATURES))
    if not pool:
        row[ABSTENTION_FEATURES.index("no_typed_fact")] = 1.0
        row[ABSTENTION_FEATURES.index("names_missing")] = 1.0
        row[ABSTENTION_FEATURES.index("terms_missing")] = 1.0
        row[ABSTENTION_FEATURES.index("terms_missing_best")] = 1.0
        return row
    scores = [s.score for s in pool]
    best = pool[0]
    names = name_tokens(analysis)
    passages: list = []
    for s in pool:
        if s.candidate not in passages:
            passages.append(s.candidate)
    top_terms: set[str] = set()
    for c in passages[:_TOP_PASSAGES]:
        top_terms.update(tokenize(c.chunk.embedding_text()))
    values = {
        "best": scores[0],
        "second": scores[1] if len(scores) > 1 else 0.0,
        "top3_mean": float(np.mean(scores[:3])),
        "best_lexical": max(s.features[INDEX["lexical"]] for s in pool),
        "best_semantic": max(s.features[INDEX["semantic"]] for s in pool),
        "unknown_names": (sum(not keyword_index.knows(t) for t in names) / len(names)) if names and keyword_index else 0.0,
        "names_missing": len(names - top_terms) / len(names) if names else 0.0,
        "best_names": best.features[INDEX["names_in_sentence"]],
        "terms_missing": _missing(analysis.terms, top_terms, keyword_index),
        "terms_missing_best": _missing(analysis.terms, set(tokenize(best.candidate.chunk.embedding_text())), keyword_index),
        "no_typed_fact": float(
            analysis.answer_type in ("date", "number") and not any(s.features[INDEX["type_fit"]] >= 1.0 for s in pool[:_TOP_SENTENCES])
        ),
    }
    for i, name in enumerate(ABSTENTION_FEATURES):
        row[i] = values[name]
    return row


def lacking(analysis: QueryAnalysis, pool: list, keyword_index) -> str:
    """One sentence saying what the sources lack, from the same signals the decision uses."""
    unknown = _unknown_names(analysis.text, keyword_index)
    if unknown:
        return f"The sources never mention {_join(unknown)}."
    names, seen = [], set()
    for name in analysis.countries + analysis.names:
        tokens = frozenset(tokenize(name)) & name_tokens(analysis)
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
