"""GET /api/sources and GET /api/sources/{id}: the library, and one source with a span
highlighted, so a client can show a citation inside its document."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.deps import get_desk
from api.problems import ProblemError, problem_responses
from api.schemas import Highlight, SourceDetail, SourceInfo
from api.service import Desk

router = APIRouter(prefix="/api/sources", tags=["sources"])


@router.get("", response_model=list[SourceInfo], summary="List the sources in the store",
            openapi_extra={"responses": {"200": {"links": {
                "GetSource": {"operationId": "get_source_api_sources__source_id__get", "parameters": {"source_id": "$response.body#/0/id"}},
                "DeleteSource": {"operationId": "delete_api_documents__source_id__delete", "parameters": {"source_id": "$response.body#/0/id"}},
            }}}})
async def list_sources(desk: Desk = Depends(get_desk)) -> list[SourceInfo]:
    return [SourceInfo.of(meta) for meta in await run_in_threadpool(desk.sources)]


@router.get("/{source_id}", response_model=SourceDetail, responses=problem_responses(404, 422),
            summary="One source: metadata, full text, and a highlighted span")
async def get_source(
    source_id: str,
    start: int | None = Query(None, ge=0, description="Start offset of the span to highlight (a citation's `start`)"),
    end: int | None = Query(None, ge=0, description="End offset of the span (a citation's `end`)"),
    desk: Desk = Depends(get_desk),
) -> SourceDetail:
    document = await run_in_threadpool(desk.source, source_id)
    text = document.text
    if start is None and end is None:
        return SourceDetail(meta=SourceInfo.of(document.meta), text=text, highlight=None, before=text, after="")
    if start is None or end is None:
        raise ProblemError(422, "give both start and end to highlight a span, or neither")
    if start > end or end > len(text):
        raise ProblemError(422, f"span {start}–{end} is outside the text, which has {len(text)} characters (need 0 ≤ start ≤ end ≤ {len(text)})")
    before, marked, after = split_span(text, start, end)
    return SourceDetail(meta=SourceInfo.of(document.meta), text=text, highlight=Highlight(start=start, end=end, text=marked),
                        before=before, after=after)


def split_span(text: str, start: int, end: int, context: int | None = None) -> tuple[str, str, str]:
    """(before, span, after) of text[start:end]; with `context`, before and after are cut to
    about that many characters, at a word boundary, with an ellipsis where text was cut."""
    before, marked, after = text[:start], text[start:end], text[end:]
    if context is not None:
        if len(before) > context:
            cut = before[-context:]
            before = "…" + (cut.split(" ", 1)[1] if " " in cut[:40] else cut)
        if len(after) > context:
            cut = after[:context]
            after = (cut.rsplit(" ", 1)[0] if " " in cut[-40:] else cut) + "…"
    return before, marked, after
