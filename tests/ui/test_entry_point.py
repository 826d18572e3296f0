"""`python ui.py` is the one command that serves everything; it refuses to expose the desk
beyond this machine without a token."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.api.servers import free_port
from tests.paths import REPO_ROOT


def test_refuses_a_public_bind_without_a_token(capsys, monkeypatch):
    import ui

    monkeypatch.delenv("DESK_API_TOKEN", raising=False)
    assert ui.main(["--host", "0.0.0.0", "--store", "unused"]) == 2
    assert "DESK_API_TOKEN" in capsys.readouterr().err


@pytest.mark.slow
def test_python_ui_py_serves_ui_and_api(tmp_path):
    port = free_port()
    env = {**os.environ, "DESK_FEEDBACK_FILE": str(tmp_path / "feedback.jsonl")}
    log = open(tmp_path / "ui.log", "w")  # a file, not a pipe: nobody reads it while the server runs
    process = subprocess.Popen([sys.executable, "ui.py", "--port", str(port), "--store", str(tmp_path / "store")],
                               cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(base + "/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "ui.log").read_text()
                assert time.monotonic() < deadline, "ui.py did not start"
                time.sleep(0.3)
        # No store built yet: the server runs and says so, as a problem.
        assert health.status_code == 503 and health.headers["content-type"].startswith("application/problem+json")
        assert "python -m ingest" in health.json()["detail"]
        page = httpx.get(base + "/")
        assert page.status_code == 200 and "gradio" in page.text.lower()
        assert httpx.get(base + "/v1/models").json()["data"][0]["id"] == "ottawa-desk"
        assert httpx.get(base + "/openapi.json").json()["info"]["title"] == "Ottawa Desk"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
