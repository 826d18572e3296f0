"""GET /api/trash and POST /api/trash/{id}/restore: what was deleted, and bringing it back."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from api.deps import actor, get_desk
from api.problems import problem_responses
from api.schemas import Restored, TrashedSource
from api.service import Desk

router = APIRouter(prefix="/api/trash", tags=["documents"])


@router.get("", response_model=list[TrashedSource], summary="Deleted sources that can be restored, newest first")
async def list_trash(desk: Desk = Depends(get_desk)) -> list[TrashedSource]:
    return [TrashedSource(**asdict(item)) for item in await run_in_threadpool(desk.trashed)]


@router.post("/{source_id}/restore", response_model=Restored, responses=problem_responses(403, 404, 409, 422, 503),
             summary="Put a deleted source back in the store (audit-logged)")
async def restore(source_id: str, request: Request, desk: Desk = Depends(get_desk)) -> Restored:
    summary = await run_in_threadpool(desk.restore, source_id, actor(request))
    return Restored(source_id=source_id, chunks_total=summary.chunks_total)
