"""GET /api/timeline: every state's withdrawal steps, one cited cell per state × step."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.deps import get_desk
from api.problems import problem_responses
from api.service import Desk
from assistant.timeline import Timeline
from ingest.timeline import STATES

router = APIRouter(prefix="/api", tags=["timeline"])
State = Literal[STATES]  # an enum in the OpenAPI document


@router.get("/timeline", response_model=Timeline, responses=problem_responses(422, 503),
            summary="The withdrawal tracker: each state's steps with their dates and citations")
async def timeline(
    country: list[State] = Query(default_factory=list, description="Only these states (repeatable)"),
    desk: Desk = Depends(get_desk),
) -> Timeline:
    """`steps` lists the steps in order; `states[state][step]` is a cell: the date most sources
    state (ISO, "YYYY-MM" when only the month is known, null when no source states it),
    `computed` (an entry into force computed from the notice, Article 20(3)), the citations of
    every passage that states it (the Answer's citation format) and the sources that state
    another date."""
    return await run_in_threadpool(desk.timeline, country or None)
