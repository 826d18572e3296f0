"""Sentence boundaries as character spans, on pysbd's rule-based segmenter.

pysbd knows English abbreviations but not Polish or Baltic ones ("Dz. U. 2025 poz. 1514"), so a
segment that starts in lower case or with a digit, or a very short one, is joined to its
neighbour: a false join costs a slightly longer quote, a false split a wrong citation."""

from __future__ import annotations

from functools import lru_cache

import pysbd

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
    first = text[start]
    if first.islower() or first.isdigit():
        return True
    if "\n\n" in text[previous[1]:start]:
        return False
    return previous[1] - previous[0] < _MIN_SENTENCE_CHARS
