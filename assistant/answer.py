"""The typed boundary of the assistant: what goes in (a question, history, filters) and what
comes out (an Answer whose every sentence carries verified citation numbers)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str
    # For an assistant turn: the ids of the sources its answer cited, so that a follow-up
    # ("what else does it say?") can search the document last in focus.
    sources: list[str] = Field(default_factory=list, description="Source ids an earlier answer cited")

    @classmethod
    def of_answer(cls, answer: Answer) -> Turn:
        return cls(role="assistant", content=answer.answer, sources=list(dict.fromkeys(c.source_id for c in answer.citations)))


class Filters(BaseModel):
    countries: list[str] = Field(default_factory=list, description="Keep sources about any of these countries")
    kinds: list[str] = Field(default_factory=list, description="treaty, statement, news, background, legislation, document")
    languages: list[str] = Field(default_factory=list, description="ISO 639-1 codes of the sources' languages")
    date_from: date | None = None
    date_to: date | None = None
    source_ids: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.countries or self.kinds or self.languages or self.date_from or self.date_to or self.source_ids)

    def to_where(self) -> dict | None:
        """Chroma `where` clause; None when nothing is filtered."""
        clauses: list[dict] = []
        if self.countries:
            flags = [{f"country_{c.strip().lower()}": True} for c in self.countries]
            clauses.append(flags[0] if len(flags) == 1 else {"$or": flags})
        if self.kinds:
            clauses.append({"kind": {"$in": self.kinds}})
        if self.languages:
            clauses.append({"language": {"$in": self.languages}})
        if self.source_ids:
            clauses.append({"source_id": {"$in": self.source_ids}})
        if self.date_from:
            clauses.append({"date_int": {"$gte": int(self.date_from.strftime("%Y%m%d"))}})
        if self.date_to:
            clauses.append({"date_int": {"$lte": int(self.date_to.strftime("%Y%m%d")) + 99}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Citation(BaseModel):
    n: int = Field(description="The number used as [n] in the answer text")
    source_id: str
    title: str
    publisher: str
    date: str | None
    url: str
    language: str = Field("en", description="Language of the quoted passage (ISO 639-1); a source's English summary is 'en'")
    heading: str = Field(description="Heading path of the passage, e.g. 'Article 20 — Duration and withdrawal › 3'")
    quote: str = Field(description="The exact passage, as it stands in the source text")
    start: int = Field(description="Character offset of the quote in the source text")
    end: int
    score: float


class AnswerSentence(BaseModel):
    text: str
    citations: list[int]


class Answer(BaseModel):
    answer: str
    abstained: bool
    sentences: list[AnswerSentence]
    citations: list[Citation]
    timings_ms: dict[str, float]
    # Not part of the JSON contract (`to_json`): what verification changed, and the query that
    # was actually searched (after a follow-up was made standalone). Shown by the UI and CLI.
    changes: list[str] = Field(default_factory=list, exclude=True)
    query: str = Field("", exclude=True)

    def to_json(self) -> dict:
        return self.model_dump(mode="json")


ABSTAIN_MESSAGES = {
    "en": "The sources don't say.",
    "lt": "Šaltiniuose to nėra.",
    "lv": "Avotos tas nav teikts.",
    "et": "Allikad seda ei ütle.",
    "pl": "Źródła tego nie podają.",
    "fi": "Lähteet eivät kerro tätä.",
    "ro": "Sursele nu spun acest lucru.",
}
NEAREST_MESSAGES = {
    "en": "The nearest they come:",
    "lt": "Artimiausia, ką jie sako:",
    "lv": "Tuvākais, ko tie saka:",
    "et": "Kõige lähemal on:",
    "pl": "Najbliżej pytania jest:",
    "fi": "Lähimpänä kysymystä on:",
    "ro": "Cel mai aproape este:",
}
DISAGREE_MESSAGES = {
    "en": "The sources differ on this",
    "lt": "Šaltiniai čia nesutaria",
    "lv": "Avoti šeit atšķiras",
    "et": "Allikad erinevad siin",
    "pl": "Źródła różnią się w tej kwestii",
    "fi": "Lähteet eroavat tässä",
    "ro": "Sursele diferă aici",
}
# Said after an answer the LLM backend could not give (it declined, none of its sentences held up,
# or it failed or ran out of time), so the reader knows the text is quoted, not written.
DIRECT_MESSAGES = {
    "en": "(Answered from the passages directly.)",
    "lt": "(Atsakyta tiesiai iš ištraukų.)",
    "lv": "(Atbildēts tieši no fragmentiem.)",
    "et": "(Vastatud otse lõikudest.)",
    "pl": "(Odpowiedź wprost z fragmentów.)",
    "fi": "(Vastattu suoraan katkelmista.)",
    "ro": "(Răspuns direct din pasaje.)",
}
