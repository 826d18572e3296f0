"""create_app(settings): the HTTP API as a FastAPI app. ui.py mounts the chat UI on it at "/"
after these routes, so one process serves the UI, /api and /v1 around one Assistant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from api import access_log, ask, documents, feedback, health, metrics, openai_compat, problems, sources, timeline, trash
from api.auth import require_token
from api.exposure import LoopbackOnlyWithoutToken
from api.service import Desk
from api.telemetry import RequestTelemetry
from desk.settings import Settings, get_settings

DESCRIPTION = (
    "Cited answers about the Mine Ban (Ottawa) Convention and the 2025 withdrawals from it. Every answer "
    "sentence carries [n] markers that point at citations quoting the exact passage, with its character span "
    "in the source text (GET /api/sources/{id}?start=&end= shows it in context). Errors are RFC 9457 "
    "problem details (`application/problem+json`)."
)


def create_app(settings: Settings | None = None, desk: Desk | None = None) -> FastAPI:
    settings = settings or get_settings()
    desk = desk or Desk(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Warmed in a thread, not before serving: /api/health answers "starting" (503) meanwhile,
        # and a server without a store still says how to build one. ui.py warms before it binds.
        if settings.warm_start and not desk.assistant_ready:
            desk.warm_in_background()
        yield

    app = FastAPI(title="Ottawa Desk", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.desk = desk
    problems.install(app)
    # The token check (and its 401 and security scheme in the OpenAPI document) exists only when
    # a token is configured, so the document says exactly what a client must send.
    secured = [Depends(require_token)] if settings.api_token is not None else []
    errors = problems.problem_responses(401, 500) if secured else problems.problem_responses(500)
    for module in (ask, sources, timeline, documents, trash, health, feedback, openai_compat, metrics):
        app.include_router(module.router, dependencies=secured, responses=errors)
    problems.install_fallbacks(app)
    app.state.metrics = metrics.Metrics(app.state.desk)
    # Middleware added last runs first: telemetry outermost, so every request is logged and
    # counted, refusals by the middlewares below included.
    app.add_middleware(documents.UploadBodyLimit, max_upload_bytes=settings.max_upload_bytes)
    if settings.cors_origins:  # off unless origins are configured (DESK_CORS_ORIGINS)
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"])
    if settings.api_token is None:
        app.add_middleware(LoopbackOnlyWithoutToken)
    app.add_middleware(RequestTelemetry, listeners=[access_log.log_request, app.state.metrics.observe_request])
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """The generated schema, with error responses under their real media type and the limits
    that are settings rather than constants."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema["components"]["schemas"]
    components["AskRequest"]["properties"]["question"]["maxLength"] = settings.max_question_chars
    for model in openai_compat.STREAM_MODELS:  # referenced only from the event-stream schema
        model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(model_schema.pop("$defs", {}))
        components.setdefault(model.__name__, model_schema)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[problems.PROBLEM_MEDIA_TYPE] = content.pop("application/json")
    app.openapi_schema = schema
    return schema
