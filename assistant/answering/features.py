"""Generic features of a (question, candidate sentence) pair, for the learned sentence ranker.

Nothing here names a source, a question or a corpus phrase: each feature is a property any
question and any passage have — embedding similarity, idf-weighted term overlap, rank in the
dense and keyword lists, the kind of fact asked for, names and figures shared with the question,
language, position and length. One matrix row per sentence of the candidate passages; the
ranker (`assistant.answering.model`) turns rows into scores."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from assistant.query import ASKS_COUNTRY, QueryAnalysis, has_date, type_fit
from assistant.query import countries_in as _countries_listed
from ingest.keyword_index import fold, tokenize

FEATURES = (
    "semantic",  # sentence vector · question vector (late-chunking vectors made at ingest)
    "semantic_gap",  # semantic minus the best semantic in the pool: relative, so scale-free
    "semantic_rank",  # 1 / (1 + rank of the sentence by semantic in the pool)
    "lexical",  # share of the question's idf weight found in the sentence
    "lexical_gap",
    "context",  # question weight found in the title and heading but not in the sentence
    "passage_terms",  # question weight found anywhere in the passage
    "passage_dense",  # passage vector · question vector
    "dense_rank",  # 1 / (1 + rank in the dense list), 0 when the dense search missed it
    "keyword_rank",  # 1 / (1 + rank in the BM25 list), 0 when missed
    "fused_rank",  # 1 / (1 + rank after reciprocal rank fusion)
    "type_fit",  # carries the kind of fact asked for (a full date for "when", a figure next to the counted noun)
    "asks_date_has_date",
    "asks_number_has_figure",
    "asks_typed_no_fit",  # a "when"/"how many" question and a sentence without a date or figure
    "same_language",
    "first_in_passage",
    "position",  # index / (sentences in passage - 1)
    "log_length",
    "short",  # under 40 characters: headings, captions, list stubs
    "names_in_sentence",  # share of the question's names (countries, proper nouns) in the sentence
    "names_in_passage",  # … in the passage, its title or heading
    "other_country",  # names a country the question does not, while the question names one, and none of its other names
    "refers_to_named",  # opens with a pronoun or "the <office>" in a passage naming the question's person, who it does not name
    "question_figures",  # share of the question's figures and years found in the sentence
    "question_figures_heading",  # the question's "word figure" phrases ("Article 20") in the title and heading
    "has_figure",
    "neighbour_lexical",  # the best lexical share of the sentences just before and after
    "neighbour_semantic",
    "passage_best_lexical",  # the best lexical share of any sentence of the passage
)
INDEX = {name: i for i, name in enumerate(FEATURES)}

_FIGURE = re.compile(r"\b\d[\d,.]*\b")
# A sentence that goes on about someone its passage named: a pronoun, or "the" and an office.
_REFERS = re.compile(
    r"^(?:he|she|they)\b|^the\s+(?:[\w-]+\s+){0,2}?(?:minister|president|director|spokesman|spokeswoman|spokesperson|"
    r"secretary|chief|head|ambassador|chair|chairman|chairwoman|speaker|commander|official|envoy)\b",
    re.IGNORECASE,
)
_MARKUP = re.compile(r"^\s*(\*\*[\w()]+\.?\*\*\s*|#+\s*|[-*]\s+)")


def clean(sentence: str) -> str:
    """A source sentence as answer text: without paragraph markers ("**20.**") and emphasis
    marks, which are layout, not words of the sentence."""
    text = _MARKUP.sub("", sentence).strip()
    return text.replace("**", "").strip("* ").strip()
# Words that name the treaty itself: every passage is about it, so they never decide relevance.
GENERIC_TERMS = {"ottawa", "conven", "treaty", "articl", "state", "partie", "party", "un", "s"}


def name_tokens(analysis: QueryAnalysis) -> set[str]:
    """Stems of the question's names and countries, less the words every passage shares."""
    return {t for name in analysis.names + analysis.countries for t in tokenize(name)} - GENERIC_TERMS


def figures(text: str) -> set[str]:
    return {f.rstrip(".,") for f in _FIGURE.findall(text)}


_FIGURE_PHRASE = re.compile(r"([^\W\d_]+)\s+(\d+)")


@lru_cache(maxsize=100_000)
def figure_phrases(text: str) -> frozenset[str]:
    """A figure with the word before it ("articl 20", "paragraph 3"): which thing it numbers.
    In a heading path "Article 8 › 20", 20 numbers a paragraph of Article 8, not Article 20.
    Cached: every question that retrieves a passage reads its title and heading again."""
    return frozenset(f"{tokenize(word)[0] if tokenize(word) else fold(word)} {number}" for word, number in _FIGURE_PHRASE.findall(fold(text)))


_SECTION_NUMBER = re.compile(r"[^\W\d_]+\s+\d{1,3}\b")


def section_numbers(heading: str) -> frozenset[str]:
    """The number a numbered section's heading opens with ("Article 20 — Duration and
    withdrawal › 1" → {"articl 20"}); nothing for other headings, nor for a heading that opens
    with a month and year ("March 2025 statement")."""
    opening = _SECTION_NUMBER.match(heading)
    return figure_phrases(opening.group(0)) if opening else frozenset()


def countries_in(text: str) -> set[str]:
    return set(_countries_listed(text))


@lru_cache(maxsize=100_000)
def _sentence_facts(sentence: str) -> tuple[str, frozenset[str], frozenset[str], frozenset[str]]:
    """A source sentence's cleaned text, terms, figures and countries. Cached: they depend on the
    sentence alone, and every question that retrieves a passage featurizes its sentences again."""
    text = clean(sentence)
    return text, frozenset(tokenize(text)), frozenset(figures(text)), frozenset(countries_in(text))


@lru_cache(maxsize=20_000)
def _passage_facts(title: str, heading: str, text: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """A passage's title-and-heading terms, all its terms, and its heading's "word figure"
    phrases: fixed by the passage, and read again by every question that retrieves it."""
    context = f"{title} {heading}"
    context_terms = frozenset(tokenize(context))
    return context_terms, frozenset(tokenize(text)) | context_terms, figure_phrases(context)


def featurize(analysis: QueryAnalysis, query_vector: np.ndarray, candidates: list, weights: dict[str, float]) -> list[tuple[object, int, np.ndarray]]:
    """One (candidate, sentence index, feature row) per sentence of every candidate, in order."""
    total = sum(weights.values()) or 1.0
    names = name_tokens(analysis)
    # A question asking which (other) country did something wants a sentence naming another one.
    asked_countries = set() if ASKS_COUNTRY.search(fold(analysis.text)) else set(analysis.countries)
    # The question's names that are not countries ("Tsahkna"): a sentence naming them is about
    # what the question asks even when it names another country ("… because of Russia's
    # aggression against Ukraine" for a question about Estonia's minister).
    own_names = {t for name in analysis.names if not countries_in(name) for t in tokenize(name)} - GENERIC_TERMS
    question_figures = figures(analysis.text)
    question_phrases = figure_phrases(analysis.text)
    dense_order = sorted((c for c in candidates if c.dense is not None), key=lambda c: -c.dense)
    keyword_order = sorted((c for c in candidates if c.keyword is not None), key=lambda c: -c.keyword)
    dense_rank = {id(c): r for r, c in enumerate(dense_order)}
    keyword_rank = {id(c): r for r, c in enumerate(keyword_order)}
    fused_rank = {id(c): r for r, c in enumerate(sorted(candidates, key=lambda c: -c.fused))}

    rows: list[tuple[object, int, np.ndarray]] = []
    for c in candidates:
        chunk = c.chunk
        context_terms, passage_terms, heading_phrases = _passage_facts(chunk.source.title, chunk.heading, chunk.text)
        passage_share = sum(w for t, w in weights.items() if t in passage_terms) / total
        names_passage = len(names & passage_terms) / len(names) if names else 1.0
        figures_heading = len(question_phrases & heading_phrases) / len(question_phrases) if question_phrases else 0.0
        vectors = c.sentence_vectors
        n = len(chunk.sentences)
        for i, (start, end) in enumerate(chunk.sentences):
            text, terms, sentence_figures, mentioned = _sentence_facts(chunk.text[start:end])
            fit = type_fit(analysis.answer_type, text, analysis.terms, analysis.focus, analysis.asks_year, analysis.asks_amount)
            row = np.zeros(len(FEATURES))
            row[INDEX["semantic"]] = float(vectors[i] @ query_vector) if vectors is not None and i < len(vectors) else float(c.dense or 0.0)
            row[INDEX["lexical"]] = sum(w for t, w in weights.items() if t in terms) / total
            row[INDEX["context"]] = sum(w for t, w in weights.items() if t in context_terms and t not in terms) / total
            row[INDEX["passage_terms"]] = passage_share
            row[INDEX["passage_dense"]] = float(c.dense or 0.0)
            row[INDEX["dense_rank"]] = 1.0 / (1 + dense_rank[id(c)]) if id(c) in dense_rank else 0.0
            row[INDEX["keyword_rank"]] = 1.0 / (1 + keyword_rank[id(c)]) if id(c) in keyword_rank else 0.0
            row[INDEX["fused_rank"]] = 1.0 / (1 + fused_rank[id(c)])
            row[INDEX["type_fit"]] = fit
            row[INDEX["asks_date_has_date"]] = float(analysis.answer_type == "date" and has_date(text))
            row[INDEX["asks_number_has_figure"]] = float(analysis.answer_type == "number" and bool(sentence_figures))
            row[INDEX["asks_typed_no_fit"]] = float(analysis.answer_type in ("date", "number") and fit == 0)
            row[INDEX["same_language"]] = float(chunk.lang == analysis.language)
            row[INDEX["first_in_passage"]] = float(i == 0)
            row[INDEX["position"]] = i / (n - 1) if n > 1 else 0.0
            row[INDEX["log_length"]] = math.log1p(len(text))
            row[INDEX["short"]] = float(len(text.strip()) < 40)
            row[INDEX["names_in_sentence"]] = len(names & terms) / len(names) if names else 1.0
            row[INDEX["names_in_passage"]] = names_passage
            row[INDEX["other_country"]] = float(bool(asked_countries) and bool(mentioned - asked_countries) and not (mentioned & asked_countries)
                                                and not own_names & terms)
            row[INDEX["question_figures"]] = len(question_figures & sentence_figures) / len(question_figures) if question_figures else 0.0
            row[INDEX["question_figures_heading"]] = figures_heading
            row[INDEX["has_figure"]] = float(bool(sentence_figures))
            row[INDEX["refers_to_named"]] = float(bool(own_names) and bool(own_names & passage_terms) and not own_names & terms
                                                  and bool(_REFERS.match(text)))
            rows.append((c, i, row))
        _neighbours([r for _, _, r in rows[len(rows) - n :]])
    if rows:
        matrix = np.stack([r for _, _, r in rows])
        for name in ("semantic", "lexical"):
            column = matrix[:, INDEX[name]]
            matrix[:, INDEX[f"{name}_gap"]] = column - column.max()
        order = np.argsort(-matrix[:, INDEX["semantic"]], kind="stable")
        ranks = np.empty(len(order))
        ranks[order] = np.arange(len(order))
        matrix[:, INDEX["semantic_rank"]] = 1.0 / (1 + ranks)
        rows = [(c, i, matrix[k]) for k, (c, i, _) in enumerate(rows)]
    return rows


def _neighbours(passage: list[np.ndarray]) -> None:
    """An answer often sits next to the sentence that repeats the question's words."""
    if not passage:
        return
    lexical = [r[INDEX["lexical"]] for r in passage]
    semantic = [r[INDEX["semantic"]] for r in passage]
    for i, row in enumerate(passage):
        around = [j for j in (i - 1, i + 1) if 0 <= j < len(passage)]
        row[INDEX["neighbour_lexical"]] = max((lexical[j] for j in around), default=0.0)
        row[INDEX["neighbour_semantic"]] = max((semantic[j] for j in around), default=0.0)
        row[INDEX["passage_best_lexical"]] = max(lexical)
