"""POST /api/ask (one JSON answer) and POST /api/ask/stream (server-sent events)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from assistant.answer import Answer
from api.deps import check_question, get_desk, note_answer
from api.problems import problem_body, problem_responses
from api.schemas import AskRequest
from api.service import Desk
from desk.errors import DeskError

router = APIRouter(prefix="/api", tags=["ask"])
_log = logging.getLogger("desk.api")

_STREAM_DOC = (
    "Server-sent events: `delta` events whose data is a JSON string (the next text increment), then one "
    "`answer` event whose data is the Answer JSON (as POST /api/ask returns). A failure after the stream "
    "has started arrives as one `error` event whose data is a problem object."
)


def _event(name: str, content_schema: dict) -> dict:
    return {"if": {"properties": {"event": {"const": name}}},
            "then": {"properties": {"data": {"contentMediaType": "application/json", "contentSchema": content_schema}}}}


# One event of the stream (OpenAPI 3.1 has `schema` describe each event of text/event-stream).
STREAM_EVENT_SCHEMA = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {"event": {"enum": ["delta", "answer", "error"]}, "data": {"type": "string"}},
    "allOf": [
        _event("delta", {"type": "string"}),
        _event("answer", {"$ref": "#/components/schemas/Answer"}),
        _event("error", {"$ref": "#/components/schemas/Problem"}),
    ],
}


@router.post("/ask", response_model=Answer, responses=problem_responses(400, 422, 502, 503), summary="Ask a question; get a cited answer")
async def ask(body: AskRequest, request: Request, desk: Desk = Depends(get_desk)) -> JSONResponse:
    question = check_question(desk, body.question)
    assistant = await run_in_threadpool(desk.assistant)
    # CPU-bound retrieval and scoring run off the event loop so other requests keep flowing.
    answer = await run_in_threadpool(assistant.ask, question, body.history, body.filters)
    note_answer(request, desk, answer)
    return JSONResponse(answer.to_json())


@router.post(
    "/ask/stream",
    response_class=EventSourceResponse,
    responses={200: {"description": _STREAM_DOC, "content": {"text/event-stream": {"schema": STREAM_EVENT_SCHEMA}}},
               **problem_responses(400, 422, 502, 503)},
    summary="Ask a question; get the answer as it is written (SSE)",
)
async def ask_stream(body: AskRequest, request: Request, desk: Desk = Depends(get_desk)) -> EventSourceResponse:
    question = check_question(desk, body.question)
    # Started before the response, so a missing store is a 503 problem, not a broken stream.
    assistant = await run_in_threadpool(desk.assistant)

    async def events() -> AsyncIterator[ServerSentEvent]:
        try:
            async for item in iterate_in_threadpool(assistant.stream(question, body.history, body.filters)):
                if isinstance(item, Answer):
                    note_answer(request, desk, item)
                    yield ServerSentEvent(event="answer", data=json.dumps(item.to_json(), ensure_ascii=False))
                else:
                    yield ServerSentEvent(event="delta", data=json.dumps(item, ensure_ascii=False))
        except DeskError as exc:
            yield ServerSentEvent(event="error", data=json.dumps(problem_body(exc.status, str(exc))))
        except Exception:
            _log.exception("the answer stream failed")
            yield ServerSentEvent(event="error", data=json.dumps(problem_body(500, "an unexpected error occurred while answering")))

    return EventSourceResponse(events())
