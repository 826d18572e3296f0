"""The typed records that flow from loading to splitting to the store."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

COUNTRIES = ("Lithuania", "Latvia", "Estonia", "Poland", "Finland", "Ukraine")
# Kinds of source whose date is when it reported what it says (a news item, a press statement).
# A treaty's or a law's date is when the text was made, not when the events it lays down
# happen, so it never dates an undated sentence of it.
REPORT_KINDS = frozenset({"news", "statement"})


@dataclass(frozen=True)
class SourceMeta:
    id: str
    title: str
    publisher: str = ""
    date: str | None = None
    url: str = ""
    kind: str = "document"
    countries: tuple[str, ...] = ()
    language: str = "en"
    completeness: str = "full"
    # About the source, not in it: shown on its card, never indexed or quoted as evidence.
    dateline: str | None = None
    byline: str | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "publisher": self.publisher,
            "date": self.date,
            "url": self.url,
            "kind": self.kind,
            "countries": list(self.countries),
            "language": self.language,
            "completeness": self.completeness,
            "dateline": self.dateline,
            "byline": self.byline,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceMeta:
        return cls(**{**data, "countries": tuple(data.get("countries") or ()), "notes": tuple(data.get("notes") or ())})


@dataclass(frozen=True)
class SourceDocument:
    """A loaded source: its metadata and its text, which every chunk span points into."""

    meta: SourceMeta
    text: str


@dataclass(frozen=True)
class Chunk:
    """A passage of a source. `text == source.text[start:end]` always holds; `sentences` are
    (start, end) offsets relative to the chunk, computed once at ingest so queries never split."""

    source: SourceMeta
    text: str
    start: int
    end: int
    heading: str
    sentences: tuple[tuple[int, int], ...] = field(default=())
    language: str = ""  # the passage's own language: a Latvian source's English summary is "en"

    @property
    def lang(self) -> str:
        return self.language or self.source.language

    @cached_property
    def id(self) -> str:
        # Cached (the chunk is frozen): ranking a query's candidates reads it tens of times each.
        # The sentence spans are part of the identity: their vectors are stored per sentence,
        # so a splitter that cuts the same text differently must re-embed it.
        # So is the context it is embedded in: a retitled source re-embeds its passages.
        key = f"{self.source.id}\n{self.embedding_text()}\n{self.sentences}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def embedding_text(self) -> str:
        """What gets embedded and keyword-indexed: the passage in the context of its source
        (publisher, byline, title) and heading, so that 'the vote' under a Seimas headline still
        finds Seimas questions and "according to Politico" finds Politico's report. Only the
        passage itself is ever quoted."""
        by = " · ".join(dict.fromkeys(p for p in (self.source.publisher, self.source.byline) if p))
        context = " › ".join(p for p in (by, self.source.title, self.heading) if p)
        return f"{context}\n\n{self.text}"

    def to_metadata(self) -> dict[str, Any]:
        """Flat metadata for Chroma, which accepts only scalars: countries become one boolean
        flag each (filterable with $or) and the date an integer (filterable with $gte/$lte)."""
        meta = self.source
        flat: dict[str, Any] = {
            "source_id": meta.id,
            "title": meta.title,
            "publisher": meta.publisher,
            "date": meta.date or "",
            "date_int": date_to_int(meta.date),
            "url": meta.url,
            "kind": meta.kind,
            "language": meta.language,
            "completeness": meta.completeness,
            "dateline": meta.dateline or "",
            "byline": meta.byline or "",
            "notes": json.dumps(list(meta.notes), ensure_ascii=False),
            "countries": json.dumps(list(meta.countries), ensure_ascii=False),
            "heading": self.heading,
            "start": self.start,
            "end": self.end,
            "sentences": json.dumps(self.sentences),
            "chunk_text": self.text,
            "lang": self.lang,
        }
        for country in meta.countries:
            flat[f"country_{country.lower()}"] = True
        return flat

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> Chunk:
        source = SourceMeta(
            id=metadata["source_id"],
            title=metadata["title"],
            publisher=metadata.get("publisher", ""),
            date=metadata.get("date") or None,
            url=metadata.get("url", ""),
            kind=metadata.get("kind", "document"),
            countries=tuple(json.loads(metadata.get("countries") or "[]")),
            language=metadata.get("language", "en"),
            completeness=metadata.get("completeness", "full"),
            dateline=metadata.get("dateline") or None,
            byline=metadata.get("byline") or None,
            notes=tuple(json.loads(metadata.get("notes") or "[]")),
        )
        return cls(
            source=source,
            text=metadata["chunk_text"],
            start=int(metadata["start"]),
            end=int(metadata["end"]),
            heading=metadata.get("heading", ""),
            sentences=tuple(tuple(s) for s in json.loads(metadata.get("sentences") or "[]")),
            language=metadata.get("lang", ""),
        )


def date_to_int(date: str | None) -> int:
    """'2025-06-27' -> 20250627, '2025-06' -> 20250600, None -> 0 (unknown sorts first)."""
    if not date:
        return 0
    parts = (str(date).split("-") + ["00", "00"])[:3]
    try:
        return int("".join(p.zfill(2) for p in parts))
    except ValueError:
        return 0
