"""No token, no exposure: without DESK_API_TOKEN the desk answers only requests that reached it
on a loopback address.

ui.py already refuses to bind anything but loopback without a token; this middleware closes the
other doors (`uvicorn --factory api.app:create_app --host 0.0.0.0`, a container publishing the
port), where no code of ours chooses the bind address. It looks at the address the connection
arrived on (`scope["server"]`), which a client cannot forge, not at any header."""

from __future__ import annotations

import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem_response

MESSAGE = (
    "this server is reachable beyond this machine but has no access token; set DESK_API_TOKEN "
    "(e.g. `export DESK_API_TOKEN=$(python -c 'import secrets; print(secrets.token_urlsafe(32))')`) and restart it"
)


def arrived_on_loopback(scope: Scope) -> bool:
    server = scope.get("server")
    if not server or server[0] is None:  # a Unix socket: only this machine can connect
        return True
    try:
        return ipaddress.ip_address(server[0]).is_loopback
    except ValueError:  # a name, not an address (test clients say "testserver"): not a socket we bound
        return True


class LoopbackOnlyWithoutToken:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not arrived_on_loopback(scope):
            if scope["type"] == "http":
                await problem_response(None, 403, MESSAGE)(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)
