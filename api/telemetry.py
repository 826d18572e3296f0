"""Times every request the process serves (API, /v1, /metrics and the mounted UI alike) and
hands one `RequestRecord` per request to listeners: the structured access log and the metrics.

A pure ASGI middleware rather than an HTTP one: a streamed answer is timed to its last byte, and
a route's stage timings (set on `request.state`) are read after the route has run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_log = logging.getLogger("desk.api")

STAGES_KEY = "stage_timings"  # request.state attribute a route sets to its stage timings (ms)


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # without the query string: a query may carry anything, secrets included
    route: str  # the route template ("/api/sources/{source_id}"): a label of bounded cardinality
    status: int
    duration_ms: float
    stages: dict[str, float] = field(default_factory=dict)


Listener = Callable[[RequestRecord], None]


def route_label(scope: Scope) -> str:
    """The matched route's template; "ui" for anything the mounted Gradio app served (its own
    paths are many and not ours to name); "unmatched" when nothing matched."""
    if "app_root_path" in scope:  # set only by a Mount, and the UI is our only mount
        return "ui"
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestTelemetry:
    def __init__(self, app: ASGIApp, listeners: Sequence[Listener]):
        self.app = app
        self.listeners = list(listeners)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before it responds

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            state = scope.get("state") or {}
            record = RequestRecord(
                method=scope["method"],
                path=scope["path"],
                route=route_label(scope),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                stages=dict(state.get(STAGES_KEY) or {}),
            )
            for listener in self.listeners:
                try:
                    listener(record)
                except Exception:  # telemetry must never fail a request
                    _log.exception("a request listener failed")
