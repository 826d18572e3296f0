"""What the retriever keeps for the reranker: a question naming a numbered section keeps that
section's passages and drops other sections of the same kind."""

from __future__ import annotations

from assistant.query import analyse
from assistant.retriever import Candidate, in_named_section
from ingest.documents import Chunk, SourceMeta

TREATY = SourceMeta(id="treaty", title="The treaty")
NEWS = SourceMeta(id="news", title="A report")


def candidate(heading: str, source: SourceMeta = TREATY) -> Candidate:
    text = "Some words of the passage."
    return Candidate(Chunk(source=source, text=text, start=0, end=len(text), heading=heading))


def headings(candidates: list[Candidate]) -> list[str]:
    return [c.chunk.heading for c in candidates]


def test_a_named_article_keeps_its_passages_and_drops_other_articles():
    pool = [candidate("Article 8 — Facilitation and clarification of compliance › 20"), candidate("Article 20 — Duration and withdrawal › 1"),
            candidate("The withdrawal", NEWS), candidate("Preamble")]
    kept = in_named_section(analyse("What does Article 20 say?"), pool)
    assert headings(kept) == ["Article 20 — Duration and withdrawal › 1", "The withdrawal", "Preamble"]


def test_nothing_is_dropped_when_the_named_section_is_not_among_the_candidates():
    pool = [candidate("Article 8 — Facilitation and clarification of compliance › 20"), candidate("The withdrawal", NEWS)]
    assert in_named_section(analyse("What does Article 20 say?"), pool) == pool
    # A month and year is not a section number: "March 2025" in the question drops nothing.
    dated = [candidate("March 2025 statement", NEWS), candidate("March 2024 report", NEWS)]
    assert in_named_section(analyse("What did the March 2025 statement say?"), dated) == dated
