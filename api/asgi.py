"""ASGI entry point for running the API without the UI under any ASGI server, e.g. several
workers behind a load balancer:

    uvicorn --factory api.asgi:create --workers 4 --no-access-log --timeout-keep-alive 75 --host 127.0.0.1 --port 7860

Settings come from DESK_* variables. The access log is set up here because no ui.py main() runs;
`--no-access-log` leaves one line per request (ours, JSON, without query strings)."""

from __future__ import annotations

from fastapi import FastAPI

from api import access_log
from api.app import create_app


def create() -> FastAPI:
    access_log.configure()
    return create_app()
