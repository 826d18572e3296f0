"""Faults an operator will meet: the Chroma server going away under load and coming back, no
store yet, a corrupt store. Each ends in a clear message that says what to do (a 503 problem on
the API, one `error:` line from the CLIs), never a traceback, and no restart of the API is needed
once the store is back."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.pipeline import Ingestor
from tests.api.checks import assert_problem
from tests.api.servers import serve
from tests.chroma import ChromaServer
from tests.ingest.files import make_settings, python, write_sources
from tests.reliability.asking import AskLoop

pytestmark = pytest.mark.fault

QUESTION = "How long after the notice does a withdrawal become effective?"


@pytest.mark.server
@pytest.mark.slow
def test_chroma_server_stopping_under_load_is_a_503_and_service_resumes_when_it_is_back(tmp_path: Path):
    server = ChromaServer(tmp_path / "chroma").start()
    try:
        settings = make_settings(tmp_path / "store", chroma_url=server.url, collection=f"fault_{uuid.uuid4().hex[:8]}",
                                 feedback_file=tmp_path / "feedback.jsonl")
        Ingestor(settings).run([write_sources(tmp_path / "sources")])
        with serve(create_app(settings)) as base, AskLoop(base, QUESTION) as load:
            load.wait_for(200, more_than=3)

            server.stop()  # under load
            load.wait_for(503, more_than=3)
            problem = assert_problem(httpx.post(f"{base}/api/ask", json={"question": QUESTION}, timeout=30), 503, "not reachable", server.url)
            assert "Traceback" not in problem["detail"]
            assert_problem(httpx.get(f"{base}/api/health", timeout=30), 503, "not reachable", "chroma run")

            answered_before = load.count(200)
            server.start()  # same port, same folder; the API is not restarted
            load.wait_for(200, more_than=answered_before)
            health = httpx.get(f"{base}/api/health", timeout=30)
            assert health.status_code == 200 and health.json()["store_reachable"] is True

        statuses = Counter(r.status for r in load.seen)
        assert set(statuses) <= {200, 503}, f"only answers and clean 503s, never a 5xx crash or a dropped connection: {statuses}"
        for reply in load.seen:
            if reply.status == 503:
                assert reply.content_type.startswith("application/problem+json") and server.url in reply.detail
    finally:
        server.stop()


# -- no store, a corrupt store: the CLI and the API say how to rebuild ---------------------------


def corrupt_store(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "chroma.sqlite3").write_bytes(b"this is not a database " * 200)
    return folder


@pytest.mark.parametrize("kind", ["missing", "corrupt"])
def test_the_cli_says_how_to_rebuild_without_a_traceback(tmp_path: Path, kind: str):
    store = tmp_path / "store"
    if kind == "corrupt":
        corrupt_store(store)

    result = python("-m", "assistant", "ask", "What does Article 20 say?", "--store", str(store), env={"DESK_CHROMA_URL": ""})

    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert f"python -m ingest corpus --store {store}" in result.stderr
    if kind == "corrupt":
        assert "corrupt" in result.stderr


@pytest.mark.parametrize("kind", ["missing", "corrupt"])
def test_the_api_says_how_to_rebuild(tmp_path: Path, kind: str):
    store = tmp_path / "store"
    if kind == "corrupt":
        corrupt_store(store)
    client = TestClient(create_app(make_settings(store, feedback_file=tmp_path / "f.jsonl")), raise_server_exceptions=False)

    for response in (client.post("/api/ask", json={"question": "What does Article 20 say?"}),
                     client.post("/v1/chat/completions", json={"model": "ottawa-desk", "messages": [{"role": "user", "content": "Article 20?"}]}),
                     client.get("/api/health")):
        body = assert_problem(response, 503, f"python -m ingest corpus --store {store}")
        assert "Traceback" not in body["detail"]
        if kind == "corrupt":
            assert "corrupt" in body["detail"]
    assert client.get("/metrics").status_code == 200  # a scrape works without a store
