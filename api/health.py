"""GET /api/health: ok only when the store opens, holds documents and the model is loaded;
otherwise 503 (what load balancers take as "not ready") with the state and its reasons."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import get_desk
from api.problems import PROBLEM_MEDIA_TYPE, problem_body
from api.schemas import Health, HealthFacts, HealthProblem
from api.service import Desk
from desk.errors import DeskError
from ingest.store import describe

router = APIRouter(prefix="/api", tags=["health"])


def probe(desk: Desk) -> HealthFacts:
    """The desk's state now: opens the store and pings it (a blocking call: run it in a thread)."""
    reasons: list[str] = []
    reachable, chunks = False, 0
    try:
        store = desk.store()
        store.heartbeat()
        reachable, chunks = True, store.count()
    except DeskError as exc:  # StoreMissing, StoreUnavailable: their messages say what to do
        reasons.append(str(exc))
    documents = desk.document_count()
    if reachable and documents == 0:
        reasons.append("the store holds no documents: run `python -m ingest` (or upload files) to add some")
    model_loaded = desk.model_loaded
    if not reasons and not model_loaded and desk.warm_error:  # the model itself failed to load
        reasons.append(desk.warm_error)
    if reasons:
        state = "degraded"
    elif not model_loaded or desk.warming:
        state = "starting"
        reasons.append("the embedding model is loading and warming up; the desk answers once it is ready")
    else:
        state = "ok"
    return HealthFacts(state=state, reasons=reasons, store=describe(desk.settings), store_reachable=reachable,
                       model_loaded=model_loaded, assistant_ready=desk.assistant_ready,
                       embedding_model=desk.settings.embedding_model, generator=desk.settings.generator,
                       documents=documents, chunks=chunks)


@router.get("/health", response_model=Health,
            responses={503: {"model": HealthProblem, "description": "Starting or degraded: the reasons say why"}},
            summary="Readiness: 200 when the store opens, holds documents and the model is loaded; else 503")
async def health(desk: Desk = Depends(get_desk)):
    facts = await run_in_threadpool(probe, desk)
    if facts.state == "ok":
        return Health(**facts.model_dump())
    body = {**facts.model_dump(), **problem_body(503, f"{facts.state}: " + "; ".join(facts.reasons))}
    return JSONResponse(HealthProblem(**body).model_dump(mode="json", exclude_none=True), status_code=503,
                        media_type=PROBLEM_MEDIA_TYPE)
