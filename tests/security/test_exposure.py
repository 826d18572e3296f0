"""Who can reach the desk: loopback only by default; anything wider needs DESK_API_TOKEN, for
the API (bearer) and the UI (Gradio login, the token as password) alike; CORS only for the
configured origins; secrets never in a log line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.checks import assert_problem
from tests.api.stubs import StubDesk
from tests.ingest.files import make_settings
from tests.paths import REPO_ROOT

TOKEN = "desk-test-token-8f3a9c2e71"
LLM_KEY = "sk-llm-secret-5d1b0e44aa"


def test_the_default_bind_is_loopback():
    from desk.settings import Settings

    assert Settings(_env_file=None).host == "127.0.0.1"


@pytest.mark.parametrize("host", ["0.0.0.0"])
def test_python_ui_py_refuses_a_public_bind_without_a_token(tmp_path: Path, host: str):
    env = {k: v for k, v in os.environ.items() if k != "DESK_API_TOKEN"}
    result = subprocess.run([sys.executable, "ui.py", "--host", host, "--store", str(tmp_path / "store")],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "DESK_API_TOKEN" in result.stderr and "export DESK_API_TOKEN=" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def secured(tmp_path: Path):
    return make_settings(tmp_path / "store", api_token=TOKEN, llm_api_key=LLM_KEY, feedback_file=tmp_path / "feedback.jsonl")


def test_with_a_token_the_ui_needs_a_login_too(secured):
    import ui

    client = TestClient(ui.create_server_app(secured), raise_server_exceptions=False)
    # Gradio's page shell is static; its config, its API and its queue need the login.
    assert client.get("/config").status_code == 401
    assert client.post("/gradio_api/call/chat", json={"data": ["What does Article 20 say?"]}).status_code == 401
    assert client.post("/login", data={"username": "anyone", "password": "wrong"}).status_code == 400
    assert client.post("/login", data={"username": "anyone", "password": TOKEN}).status_code == 200
    assert client.get("/config").status_code == 200
    assert client.post("/gradio_api/call/chat", json={"data": ["What does Article 20 say?"]}).status_code == 200
    # The API beside the UI wants the bearer token, not the UI's cookie.
    assert_problem(client.get("/api/sources"), 401, "bearer")
    assert client.get("/api/sources", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    # The UI's many paths are one metrics label.
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert 'route="ui",status="401"' in metrics and 'route="/config"' not in metrics


async def test_without_a_token_requests_from_beyond_loopback_are_refused(tmp_path: Path):
    """`uvicorn --factory api.app:create_app --host 0.0.0.0` skips ui.py's check: the app itself
    refuses what arrives on a non-loopback address (the socket's, which a client can't forge)."""
    open_settings = make_settings(tmp_path / "store", feedback_file=tmp_path / "f.jsonl")
    app = create_app(open_settings, desk=StubDesk(open_settings))
    for address, allowed in (("10.1.2.3", False), ("192.0.2.7", False), ("127.0.0.1", True), ("[::1]", True)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{address}:7860") as client:
            response = await client.get("/v1/models")
        if allowed:
            assert response.status_code == 200, address
        else:
            assert_problem(response, 403, "DESK_API_TOKEN")

    secured_settings = make_settings(tmp_path / "store", api_token=TOKEN)
    app = create_app(secured_settings, desk=StubDesk(secured_settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://10.1.2.3:7860") as client:
        assert (await client.get("/v1/models", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200


def test_cors_is_off_unless_origins_are_configured(tmp_path: Path):
    preflight = {"Origin": "https://desk.example", "Access-Control-Request-Method": "POST"}
    plain = TestClient(create_app(make_settings(tmp_path / "store")), raise_server_exceptions=False)
    assert "access-control-allow-origin" not in plain.options("/api/ask", headers=preflight).headers
    assert "access-control-allow-origin" not in plain.get("/v1/models", headers={"Origin": "https://desk.example"}).headers

    cors = TestClient(create_app(make_settings(tmp_path / "store", cors_origins=["https://desk.example"])), raise_server_exceptions=False)
    assert cors.options("/api/ask", headers=preflight).headers["access-control-allow-origin"] == "https://desk.example"
    other = cors.options("/api/ask", headers={**preflight, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_secrets_never_reach_a_log(secured, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    access = logging.getLogger("desk.access")
    access.addHandler(caplog.handler)  # in case ui.py's configure() turned propagation off
    try:
        client = TestClient(create_app(secured, desk=StubDesk(secured)), raise_server_exceptions=False)
        good = {"Authorization": f"Bearer {TOKEN}"}
        client.post("/api/ask", json={"question": "When does a withdrawal take effect?"}, headers=good)
        client.get(f"/api/sources?token={TOKEN}", headers=good)  # a token in a query string
        client.get("/v1/models", headers={"Authorization": f"Bearer {TOKEN}x"})  # a wrong one
        client.get("/v1/models")
        client.post("/api/feedback", json={"question": "Q", "answer": "A", "rating": "up"}, headers=good)
        logging.getLogger("desk.test").info("settings: %r", secured)
    finally:
        access.removeHandler(caplog.handler)
    # The test's own HTTP client logs the URLs it requests: that is the client's log, not the desk's.
    logged = "\n".join(caplog.handler.format(r) for r in caplog.records if not r.name.startswith("httpx"))
    logged += "".join(capfd.readouterr())
    assert "/api/ask" in logged, "the requests were logged"
    assert TOKEN not in logged and LLM_KEY not in logged
