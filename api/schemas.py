"""Request and response bodies of /api. The Answer itself is `assistant.answer.Answer`: the API
returns exactly `Answer.to_json()`, so it has no model of its own here."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.problems import Problem
from assistant.answer import Filters, Turn
from ingest.documents import SourceMeta

# History is context for a follow-up, not a transcript store: a bound keeps a request small.
MAX_HISTORY_TURNS = 40
MAX_TEXT_CHARS = 100_000


class RequestFilters(Filters):
    """Filters as a client sends them. Dates must be "YYYY-MM-DD" strings: pydantic's lax mode
    would also take a number (0 → 1970-01-01), which the schema does not allow."""

    @field_validator("date_from", "date_to", mode="before")
    @classmethod
    def _date_text(cls, value: object) -> object:
        if value is not None and not isinstance(value, (str, date)):
            raise ValueError("a date is a string YYYY-MM-DD")
        return value


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Not pydantic constraints: deps.check_question refuses with clearer messages. The schema
    # still states them; app.py writes the configured maximum (DESK_MAX_QUESTION_CHARS) into it.
    # "Not blank" as Python's str.strip reads it: JSON Schema's \s (ECMAScript's) lacks the
    # separators U+001C-U+001F and U+0085, so a question of "\u001e" matched \S yet was refused.
    question: str = Field(description="The question; not blank, at most `max_question_chars` characters",
                          json_schema_extra={"minLength": 1, "pattern": r"[^\s\u001c-\u001f\u0085]"})
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS, description="Earlier turns, oldest first")
    filters: RequestFilters | None = None


class SourceInfo(BaseModel):
    """A source's metadata, as ingest recorded it."""

    id: str
    title: str
    publisher: str = ""
    date: str | None = None
    url: str = ""
    kind: str = "document"
    countries: list[str] = Field(default_factory=list)
    language: str = "en"
    completeness: str = "full"
    dateline: str | None = Field(None, description="Place and date the source prints at its top")
    byline: str | None = None
    notes: list[str] = Field(default_factory=list, description="About the stored copy (an excerpt, a missing year); never evidence")

    @classmethod
    def of(cls, meta: SourceMeta) -> SourceInfo:
        return cls(**meta.to_dict())


class Highlight(BaseModel):
    start: int = Field(description="Character offset of the span in `text`")
    end: int
    text: str = Field(description="text[start:end]")


class SourceDetail(BaseModel):
    meta: SourceInfo
    text: str = Field(description="The whole source text that citation offsets point into")
    highlight: Highlight | None = Field(None, description="The requested span; null when no span was asked for")
    before: str = Field(description="text[:start] (the whole text when no span was asked for)")
    after: str = Field(description="text[end:]")


class IngestFailure(BaseModel):
    path: str
    reason: str


class IngestResult(BaseModel):
    """The ingest summary of an upload (`ingest.pipeline.IngestSummary`)."""

    store: str
    added: int
    updated: int
    unchanged: int
    removed: int
    failed: list[IngestFailure]
    chunks_embedded: int
    chunks_removed: int
    chunks_total: int
    seconds: float
    source_ids: list[str]


class Removed(BaseModel):
    source_id: str
    removed: Literal[True] = True
    chunks_total: int = Field(description="Chunks left in the store")
    restore: str = Field(description="The call that brings the source back from the trash")


class TrashedSource(BaseModel):
    """A deleted source, kept in the store's trash until it is restored."""

    source_id: str
    title: str
    file: str = Field(description="The file's name")
    deleted_at: str = Field(description="UTC, ISO 8601")
    deleted_by: str = Field(description="The token id that deleted it, or \"loopback\" on a server without a token")


class Restored(BaseModel):
    source_id: str
    restored: Literal[True] = True
    chunks_total: int = Field(description="Chunks in the store after the restore")


class HealthFacts(BaseModel):
    state: Literal["ok", "starting", "degraded"] = Field(
        description="ok: the store opens, holds documents and the model is loaded; starting: the model is still "
        "loading; degraded: the store can't be opened or is empty")
    reasons: list[str] = Field(default_factory=list, description="Why the state is not ok, each with what to do")
    store: str = Field(description="Where the store is (folder or Chroma server URL)")
    store_reachable: bool
    model_loaded: bool = Field(description="Whether the embedding model is in memory (the server loads it at startup)")
    assistant_ready: bool
    embedding_model: str
    generator: str
    documents: int
    chunks: int


class Health(HealthFacts):
    status: Literal["ok"] = "ok"


class HealthProblem(Problem, HealthFacts):
    """503 while starting or degraded: a problem (its `detail` joins the reasons) that carries
    the same facts as a healthy answer, so a load balancer reads the status code and a person
    reads why."""


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    answer: str = Field(max_length=MAX_TEXT_CHARS)
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=5_000)


class FeedbackSaved(BaseModel):
    saved: Literal[True] = True
