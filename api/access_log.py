"""One structured log line per request: a JSON object on the `desk.access` logger.

Only what is safe to keep: method, path (no query string), route, status, duration and, for
answers, the stage timings. Never headers, bodies or query strings, so a bearer token, an
uploaded file or a question can't end up in a log."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

from api.telemetry import RequestRecord

logger = logging.getLogger("desk.access")


def log_request(record: RequestRecord) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    line = {
        "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "method": record.method,
        "path": record.path,
        "route": record.route,
        "status": record.status,
        "duration_ms": record.duration_ms,
    }
    if record.stages:
        line["stages_ms"] = record.stages
    logger.info(json.dumps(line, ensure_ascii=False))


def configure(level: int = logging.INFO) -> None:
    """Access lines go to stderr as bare JSON (one object per line, for log shippers); called
    by ui.py, which also turns uvicorn's own access log off so each request logs once."""
    if any(getattr(h, "_desk_access", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._desk_access = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
