"""Bearer token on /api and /v1 when `DESK_API_TOKEN` is set (ui.py requires one before it binds
anything but loopback); create_app adds this check only then."""

from __future__ import annotations

import secrets

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.service import Desk
from desk.errors import DeskError

_bearer = HTTPBearer(auto_error=False, description="The server's DESK_API_TOKEN")


class Unauthorized(DeskError):
    status = 401


async def require_token(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
    desk: Desk = request.app.state.desk
    token = desk.settings.api_token
    if token is None:  # not reached through create_app, which adds this check only with a token
        return
    given = credentials.credentials if credentials else ""
    # Constant-time comparison: the token must not leak through response timing.
    if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise Unauthorized("this server needs a bearer token: send `Authorization: Bearer <DESK_API_TOKEN>`")
