"""POST /api/feedback: a thumbs up or down on an answer, one JSON line in the feedback file."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from api.deps import get_desk
from api.problems import problem_responses
from api.schemas import FeedbackRequest, FeedbackSaved
from api.service import Desk

router = APIRouter(prefix="/api", tags=["feedback"])


@router.post("/feedback", response_model=FeedbackSaved, status_code=201, responses=problem_responses(400, 422),
             summary="Rate an answer")
async def feedback(body: FeedbackRequest, desk: Desk = Depends(get_desk)) -> FeedbackSaved:
    await run_in_threadpool(desk.record_feedback, {"source": "api", **body.model_dump()})
    return FeedbackSaved()
