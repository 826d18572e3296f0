"""GET /api/timeline: every state's withdrawal steps, one cited cell per state × step."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.deps import get_desk
from api.problems import ProblemError, problem_responses
from api.service import Desk
from assistant.timeline import Timeline
from ingest.timeline import STATES

router = APIRouter(prefix="/api", tags=["timeline"])


@router.get("/timeline", response_model=Timeline, responses=problem_responses(422, 503),
            summary="The withdrawal tracker: each state's steps with their dates and citations")
async def timeline(
    country: list[str] = Query(default_factory=list, description=f"Only these states (repeatable): {', '.join(STATES)}"),
    desk: Desk = Depends(get_desk),
) -> Timeline:
    """`steps` lists the steps in order; `states[state][step]` is a cell: the date most sources
    state (ISO, "YYYY-MM" when only the month is known, null when no source states it),
    `computed` (an entry into force computed from the notice, Article 20(3)), the citations of
    every passage that states it (the Answer's citation format) and the sources that state
    another date."""
    unknown = [c for c in country if c not in STATES]
    if unknown:
        raise ProblemError(422, f"unknown state {', '.join(map(repr, unknown))}; the timeline covers {', '.join(STATES)}")
    return await run_in_threadpool(desk.timeline, country or None)
