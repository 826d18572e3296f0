"""Split a source along its own structure: Markdown headings, then treaty articles' numbered
paragraphs, then blocks, and only then sentences.

Every chunk keeps its heading path ("Article 20 — Duration and withdrawal › 3") and its exact
character span in the source text, which is what lets a citation quote and highlight the passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt

from ingest import language
from ingest.documents import Chunk, SourceDocument
from ingest.sentences import sentence_spans

# Raise when a change to this module or to ingest.sentences changes the chunks it makes: stores
# built before re-split their files on the next ingest (unchanged passages keep their vectors).
# 4: a chunk's embedded context (and so its id) carries its source's publisher and byline.
SPLITTER_VERSION = "4"

# "**3.**", "**4(b)(i)**" (the corpus treaty), "3." / "(a)" / "a)" at the start of a block.
_BOLD_LABEL = re.compile(r"^\*\*(\d+(?:\([a-z]+\))*)\.?\*\*")
_NUMBER_LABEL = re.compile(r"^(\d{1,3})[.)]\s")
_BYLINE = re.compile(r"^\*[^*\n][^\n]*\*$")
_LETTER_LABEL = re.compile(r"^\(([a-z]|[ivx]{1,4})\)\s")


@dataclass
class _Block:
    start: int
    end: int
    headings: tuple[str, ...]
    label: str | None


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark")


def split(document: SourceDocument, max_chars: int = 900, min_chars: int = 250) -> list[Chunk]:
    return list(iter_split(document, max_chars, min_chars))


def iter_split(document: SourceDocument, max_chars: int = 900, min_chars: int = 250) -> Iterator[Chunk]:
    """The chunks of `split`, each as soon as its section is cut: ingest hands the first ones to
    the model while the rest of a long document is still being split."""
    seen: set[str] = set()
    pending: list[_Block] = []

    def flush() -> Iterator[Chunk]:
        if pending:
            made = _make_chunks(document, pending[0].start, pending[-1].end, _path(pending[0]), max_chars)
            pending.clear()
            # Content-hash ids collide when a source repeats a passage verbatim under one
            # heading; keep the first occurrence (explicit duplicate policy: skip).
            for chunk in made:
                if chunk.id not in seen:
                    seen.add(chunk.id)
                    yield chunk

    for block in _blocks(document.text):
        # A numbered provision is always its own chunk so that it can be cited by number;
        # unnumbered short blocks under the same heading are merged into readable passages.
        mergeable = (
            pending
            and block.label is None
            and pending[-1].label is None
            and pending[0].headings == block.headings
            and pending[-1].end - pending[0].start < min_chars
            and block.end - pending[0].start <= max_chars
        )
        if not mergeable:
            yield from flush()
        pending.append(block)
    yield from flush()


def _path(block: _Block) -> str:
    parts = list(block.headings)
    if block.label:
        parts.append(block.label)
    return " › ".join(parts)


def _blocks(text: str) -> list[_Block]:
    # Lines as markdown-it counts them: only "\n" ends a line. str.splitlines() also breaks at
    # form feeds, U+2028, NEL and other separators, which shifted every later span.
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if line_starts[-1] < len(text):
        line_starts.append(len(text))
    tokens = _parser().parse(text)
    h1_count = sum(1 for t in tokens if t.type == "heading_open" and t.tag == "h1")
    headings: list[tuple[int, str]] = []
    blocks: list[_Block] = []
    current_number: str | None = None
    after_title = False
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open":
            after_title = token.tag == "h1"
            level = int(token.tag[1])
            title = tokens[i + 1].content.strip()
            headings = [(lv, t) for lv, t in headings if lv < level]
            # A single H1 is the document's title, already stored as metadata.
            if not (level == 1 and h1_count == 1):
                headings.append((level, title))
            current_number = None
            i += 3
            continue
        is_list = token.type in ("bullet_list_open", "ordered_list_open")
        if token.level == 0 and token.nesting in (0, 1) and token.map and token.type != "hr":
            items = [t for t in tokens[i:_close(tokens, i)] if t.type == "list_item_open" and t.level == 1] if is_list else [token]
            for item in items:
                start = line_starts[item.map[0]]
                end = line_starts[min(item.map[1], len(line_starts) - 1)]
                segment = text[start:end]
                stripped = segment.strip()
                if not stripped:
                    continue
                start += segment.find(stripped)
                end = start + len(stripped)
                if after_title and _BYLINE.match(stripped):
                    # An italic line right under the title is a byline (publisher · date ·
                    # address): metadata every chunk already carries, never an answer.
                    continue
                label, current_number = _label(stripped, current_number)
                blocks.append(_Block(start, end, tuple(t for _, t in headings), label))
            after_title = False
            i = _close(tokens, i) + 1 if token.nesting == 1 else i + 1
            continue
        i += 1
    return blocks


def _close(tokens, i: int) -> int:
    """Index of the token that closes the block opened at `i`."""
    if tokens[i].nesting != 1:
        return i
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _label(block: str, current_number: str | None) -> tuple[str | None, str | None]:
    if m := _BOLD_LABEL.match(block):
        label = m.group(1)
        return label, label.split("(")[0]
    if m := _NUMBER_LABEL.match(block):
        return m.group(1), m.group(1)
    if (m := _LETTER_LABEL.match(block)) and current_number:
        return f"{current_number}({m.group(1)})", current_number
    return None, current_number


def _make_chunks(document: SourceDocument, start: int, end: int, heading: str, max_chars: int) -> list[Chunk]:
    text = document.text
    spans = [(start + s, start + e) for s, e in sentence_spans(text[start:end])]
    groups: list[list[tuple[int, int]]] = [[]]
    for span in spans:
        if groups[-1] and span[1] - groups[-1][0][0] > max_chars:
            groups.append([])
        groups[-1].append(span)
    language = _passage_language(document, text[start:end])
    chunks = []
    for group in groups:
        if not group:
            continue
        c_start, c_end = group[0][0], group[-1][1]
        chunks.append(
            Chunk(
                source=document.meta,
                text=text[c_start:c_end],
                start=c_start,
                end=c_end,
                heading=heading,
                sentences=tuple((s - c_start, e - c_start) for s, e in group),
                language=language,
            )
        )
    return chunks


def _passage_language(document: SourceDocument, passage: str) -> str:
    """Sources in other languages carry English parts (summary, metadata line); label each
    passage so an English question is answered in English and a Latvian one in Latvian."""
    own = document.meta.language
    if own == "en":
        return own
    return language.detect(passage, among=(own, "en"), default=own)
