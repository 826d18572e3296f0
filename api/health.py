"""GET /api/health: is the store reachable, is the model loaded, how much is in the store."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from api.deps import get_desk
from api.problems import problem_responses
from api.schemas import Health
from api.service import Desk
from ingest.store import describe

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", response_model=Health, responses=problem_responses(503), summary="Readiness of the store and the model")
async def health(desk: Desk = Depends(get_desk)) -> Health:
    def probe() -> Health:
        store = desk.store()  # StoreMissing / StoreUnavailable: a 503 problem
        store.heartbeat()
        return Health(
            store=describe(desk.settings),
            store_reachable=True,
            model_loaded=desk.model_loaded,
            assistant_ready=desk.assistant_ready,
            embedding_model=desk.settings.embedding_model,
            generator=desk.settings.generator,
            documents=desk.document_count(),
            chunks=store.count(),
        )

    return await run_in_threadpool(probe)
