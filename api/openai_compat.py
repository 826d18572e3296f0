"""An OpenAI-compatible face: POST /v1/chat/completions (plain and streamed) and GET /v1/models.

Any OpenAI client can talk to the desk. The reply's text carries the citations as [n] markers
and ends with a "Sources:" list, so a client that shows only text still shows where each claim
comes from; the structured citations travel in an extra top-level `citations` field (on the
last chunk when streaming), which the official client keeps in `model_extra`."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.answer import Answer, Citation, Turn
from assistant.chain import render_sentence
from api.deps import check_question, get_desk, note_answer
from api.problems import ProblemError, problem_responses
from api.schemas import RequestFilters
from api.service import Desk
from desk.errors import DeskError
from ingest.language import passage_language

router = APIRouter(prefix="/v1", tags=["openai"])
_log = logging.getLogger("desk.api")

MODEL_ID = "ottawa-desk"
SOURCES_HEADING = "Sources:"
_CREATED = int(time.time())


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    # Sampling knobs (temperature, top_p, …) are accepted and ignored: answers are extracted, not
    # sampled. The knobs that change what a client gets back are honoured or refused.
    model_config = ConfigDict(extra="allow")
    model: str = Field(MODEL_ID, description=f"Must be {MODEL_ID!r}, the one model GET /v1/models lists",
                       json_schema_extra={"enum": [MODEL_ID]})
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1, description="Cut the reply after whole sentences that fit (finish_reason \"length\")")
    max_completion_tokens: int | None = Field(None, ge=1, description="The newer name of max_tokens; the smaller wins")
    n: int = Field(1, ge=1, le=1, description="Only 1: the desk gives one answer per question")
    stream: bool = Field(False, strict=True)  # strict: "yes" or 1 is not a boolean in the schema either
    filters: RequestFilters | None = Field(None, description="Extension: the same filters as POST /api/ask")


class ReplyMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ReplyMessage
    finish_reason: Literal["stop", "length"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    citations: list[Citation] = Field(description="Extension: the structured citations the [n] markers point to")


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    finish_reason: Literal["stop", "length"] | None = None


class ChatCompletionChunk(BaseModel):
    """One `data:` line of a streamed completion."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    citations: list[Citation] | None = Field(None, description="Extension: on the last chunk only")


class StreamErrorDetail(BaseModel):
    message: str
    type: str
    code: int


class StreamError(BaseModel):
    """A failure after the stream started, as OpenAI servers send it."""

    error: StreamErrorDetail


# Models only the stream uses: app.py adds them to the OpenAPI components.
STREAM_MODELS = (ChatCompletionChunk, StreamError)

# One event of the stream: its data is a chunk, an error, or the final "[DONE]".
STREAM_EVENT_SCHEMA = {
    "type": "object",
    "required": ["data"],
    "properties": {"data": {
        "type": "string",
        "if": {"const": "[DONE]"},
        "then": True,
        "else": {"contentMediaType": "application/json", "contentSchema": {"oneOf": [
            {"$ref": "#/components/schemas/ChatCompletionChunk"}, {"$ref": "#/components/schemas/StreamError"}]}},
    }},
}


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


_STREAM_DOC = (
    "With `stream: true`: SSE `data:` lines, each a `chat.completion.chunk`; the last chunk has "
    "`finish_reason: \"stop\"` and the extra `citations` field; then `data: [DONE]`."
)


@router.get("/models", response_model=ModelList, summary="The one model this server offers")
async def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL_ID, created=_CREATED, owned_by="ottawa-desk")])


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={200: {"description": _STREAM_DOC, "content": {"text/event-stream": {"schema": STREAM_EVENT_SCHEMA}}},
               **problem_responses(400, 404, 422, 502, 503)},
    summary="OpenAI-compatible chat completion with citations",
)
async def chat_completions(body: ChatCompletionRequest, request: Request, desk: Desk = Depends(get_desk)):
    if body.model != MODEL_ID:  # as OpenAI answers an unknown model: 404, not a silent substitute
        raise ProblemError(404, f"the model {body.model!r} does not exist here; use {MODEL_ID!r} (GET /v1/models lists it)")
    question, history = split_messages(body.messages)
    question = check_question(desk, question)
    assistant = await run_in_threadpool(desk.assistant)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    budget = min((t for t in (body.max_tokens, body.max_completion_tokens) if t is not None), default=None)
    if not body.stream:
        answer = await run_in_threadpool(assistant.ask, question, history, body.filters)
        note_answer(request, desk, answer)
        answer, cut = fit_tokens(answer, budget)
        reply = ChatCompletion(id=completion_id, created=created, model=MODEL_ID, citations=answer.citations,
                               choices=[Choice(message=ReplyMessage(content=reply_text(answer)), finish_reason="length" if cut else "stop")])
        return JSONResponse(reply.model_dump(mode="json"))

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, str]:
        payload = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return {"data": json.dumps(payload, ensure_ascii=False)}

    async def events() -> AsyncIterator[dict[str, str]]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            async for item in iterate_in_threadpool(assistant.stream(question, history, body.filters)):
                if isinstance(item, Answer):
                    note_answer(request, desk, item)
                    item, cut = fit_tokens(item, budget)
                    if budget is not None:  # held back until it was cut to size: sent whole now
                        yield chunk({"content": item.answer})
                    sources = sources_block(item)
                    if sources:
                        yield chunk({"content": sources})
                    yield chunk({}, "length" if cut else "stop", citations=[c.model_dump(mode="json") for c in item.citations])
                elif budget is None:
                    yield chunk({"content": item})
        except DeskError as exc:
            # OpenAI streams report a failure as a data line with an `error` object.
            yield {"data": json.dumps({"error": {"message": str(exc), "type": "server_error", "code": exc.status}})}
        except Exception:
            _log.exception("the chat completion stream failed")
            yield {"data": json.dumps({"error": {"message": "an unexpected error occurred while answering", "type": "server_error", "code": 500}})}
        yield {"data": "[DONE]"}

    return EventSourceResponse(events())


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message is the question; the user and assistant messages before it are the
    history (system prompts are ignored: the desk's behaviour is not promptable)."""
    last = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last is None:
        raise ProblemError(422, "no user message: the last message with role 'user' is the question")
    history = [Turn(role=m.role, content=strip_sources(m.text())) for m in messages[:last] if m.role in ("user", "assistant")]
    return messages[last].text(), history


def estimate_tokens(text: str) -> int:
    """Tokens as a tokenizer would roughly count them: a word or a punctuation mark each (real
    tokenizers split long words further, so this errs on the short side of a budget rarely)."""
    return len(_TOKEN.findall(text))


def fit_tokens(answer: Answer, budget: int | None) -> tuple[Answer, bool]:
    """The answer cut to the whole sentences (with their [n] markers) that fit in `budget`
    tokens, keeping only the citations those sentences use; True when something was cut. The
    Sources list is not counted: it is the reply's provenance, not its text."""
    if budget is None or estimate_tokens(answer.answer) <= budget:
        return answer, False
    kept, used = [], 0
    for sentence in answer.sentences:
        size = estimate_tokens(render_sentence(sentence))
        if used + size > budget:
            break
        kept.append(sentence)
        used += size
    if not kept:  # not even one sentence fits: its first words, without a marker to claim it
        words = _TOKEN.findall(answer.answer)[:budget]
        return answer.model_copy(update={"answer": " ".join(words), "sentences": [], "citations": []}), True
    cited = {n for s in kept for n in s.citations}
    text = " ".join(render_sentence(s) for s in kept)
    return answer.model_copy(update={"answer": text, "sentences": kept,
                                     "citations": [c for c in answer.citations if c.n in cited]}), True


_TOKEN = re.compile(r"\w+|[^\w\s]")


def reply_text(answer: Answer) -> str:
    return answer.answer + sources_block(answer)


def sources_block(answer: Answer) -> str:
    if not answer.citations:
        return ""
    lines = []
    for c in answer.citations:
        where = ", ".join(p for p in (c.publisher, c.date or "undated", passage_language(c.language)) if p)
        lines.append(f"[{c.n}] {c.title} — {where}" + (f". {c.url}" if c.url else ""))
    return f"\n\n{SOURCES_HEADING}\n" + "\n".join(lines)


def strip_sources(text: str) -> str:
    """An earlier reply of ours without its Sources list: history is for the conversation."""
    return text.split(f"\n\n{SOURCES_HEADING}\n", 1)[0]
