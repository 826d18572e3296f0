"""RFC 9457 problem details: every error the HTTP faces return, whatever raised it.

A client can always read `type`, `title`, `status` and `detail` from an
`application/problem+json` body; validation errors add `errors`, and on /v1 an OpenAI-style
`error` member is added too, because OpenAI clients read their message from there."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from desk.errors import DeskError

PROBLEM_MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger("desk.api")


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field("about:blank", description="URI naming the kind of problem")
    title: str = Field(description="Short summary of the kind of problem (the HTTP reason phrase)")
    status: int = Field(description="The HTTP status code")
    detail: str = Field(description="What went wrong in this request, and what to do about it")
    errors: list[dict[str, Any]] | None = Field(None, description="Validation errors, one per bad field")


class ProblemError(Exception):
    """Raised by route code for a request it refuses (bad span, too long a question, …)."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


def problem_body(status: int, detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": _phrase(status), "status": status, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(request: Request | None, status: int, detail: str, errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    body = problem_body(status, detail, errors)
    if request is not None and request.url.path.startswith("/v1/"):
        body["error"] = {"message": detail, "type": "invalid_request_error" if status < 500 else "server_error", "code": status}
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these error statuses (moved to problem+json by app.py)."""
    return {status: {"model": Problem, "description": _phrase(status)} for status in statuses}


def install(app: FastAPI) -> None:
    """Turn every error the app can raise into a problem response."""

    @app.exception_handler(DeskError)
    async def desk_error(request: Request, exc: DeskError) -> JSONResponse:
        if exc.status >= 500:
            _log.warning("%s %s: %s", request.method, request.url.path, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem_response(request, exc.status, str(exc), headers=headers)

    @app.exception_handler(ProblemError)
    async def refused(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(request, exc.status, exc.detail, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_clean(e) for e in exc.errors()]
        summary = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem_response(request, 422, f"the request is not valid: {summary}", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _phrase(exc.status_code)
        return problem_response(request, exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        # Never leak a traceback to the client; the log keeps it.
        _log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "an unexpected error occurred; the server log has the details")


def install_fallbacks(app: FastAPI, prefixes: tuple[str, ...] = ("/api", "/v1")) -> None:
    """Unknown paths under the API prefixes answer with a problem, not with the UI mounted at
    "/" (which would otherwise catch them). Must be added after every API route."""

    async def fallback(request: Request, rest: str) -> JSONResponse:
        # A path that exists with other methods is a 405, as Starlette would have said.
        # Routes are probed per method: included routers don't expose their methods.
        allowed: set[str] = set()
        # Routes only: the UI mounted at "/" matches every method and path, and would make
        # every method look allowed.
        routes = [r for r in app.router.routes if not isinstance(r, Mount) and getattr(r, "endpoint", None) is not fallback]
        for method in methods:
            probe = {**request.scope, "method": method}
            if any(route.matches(probe)[0] is Match.FULL for route in routes):
                allowed.add(method)
        if allowed:
            return problem_response(request, 405, f"{request.method} is not allowed here; use {', '.join(sorted(allowed))}",
                                    headers={"Allow": ", ".join(sorted(allowed))})
        return problem_response(request, 404, f"no such endpoint: {request.url.path}; see /docs for the API")

    # TRACE too: without it a TRACE fell through to the UI's mount and was answered 404.
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"]
    for prefix in prefixes:
        app.add_api_route(f"{prefix}/{{rest:path}}", fallback, methods=methods, include_in_schema=False)


def _clean(error: dict[str, Any]) -> dict[str, Any]:
    """A validation error without the raw input (a 100,000-character question echoed back)
    and with JSON-safe context."""
    out = {"loc": list(error.get("loc", ())), "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}
    ctx = error.get("ctx")
    if ctx:
        out["ctx"] = {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in ctx.items()}
    return out


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
