"""Sentence boundaries as character spans, on pysbd's rule-based segmenter.

pysbd knows English abbreviations but not Polish or Baltic ones ("Dz. U. 2025 poz. 1514",
"2025. gada 27. decembrī"), so a segment is joined to its neighbour when it starts in lower case,
when it starts with a digit right after an abbreviation-like word ("poz.", "No."), or when the
previous piece is very short: a false join costs a longer quote, a false split a wrong citation."""

from __future__ import annotations

from functools import lru_cache

import re

import pysbd

_ABBREVIATION_END = re.compile(r"(\b[^\W\d_]{1,4}|\d)\.$")

_MIN_SENTENCE_CHARS = 12


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, trimmed of surrounding white space."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for segment in _segmenter().segment(text):
        piece = segment.strip()
        if not piece:
            continue
        start = text.find(piece, cursor)
        if start < 0:  # pysbd altered the text; fall back to the cursor position
            start = cursor
        end = start + len(piece)
        cursor = end
        if spans and _continues(text, spans[-1], start):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    if not spans and text.strip():
        stripped = text.strip()
        start = text.find(stripped)
        spans.append((start, start + len(stripped)))
    return spans


def _continues(text: str, previous: tuple[int, int], start: int) -> bool:
    if "\n\n" in text[previous[1]:start]:
        return False
    first = text[start]
    if first.islower():
        return True
    if first.isdigit() and _ABBREVIATION_END.search(text[previous[0]:previous[1]]):
        return True
    return previous[1] - previous[0] < _MIN_SENTENCE_CHARS
