"""Operations: one structured JSON log line per request (with the answer's stage timings on
/api/ask), and Prometheus metrics at /metrics. A stand-in assistant: no model needed."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.manifest import Entry, Manifest
from tests.api.stubs import TIMINGS, StubDesk
from tests.ingest.files import make_settings


@pytest.fixture
def settings(tmp_path: Path):
    return make_settings(tmp_path / "store", feedback_file=tmp_path / "feedback.jsonl")


@pytest.fixture
def client(settings) -> TestClient:
    return TestClient(create_app(settings, desk=StubDesk(settings)), raise_server_exceptions=False)


@pytest.fixture
def access_lines(caplog):
    """The access log's lines as parsed JSON (its handler is attached directly: ui.py turns
    propagation off when it configures the log)."""
    logger = logging.getLogger("desk.access")
    logger.addHandler(caplog.handler)
    previous = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # or caplog would see each line twice
    yield lambda: [json.loads(r.getMessage()) for r in caplog.records if r.name == "desk.access"]
    logger.removeHandler(caplog.handler)
    logger.level, logger.propagate = previous


def test_one_json_line_per_request_with_stage_timings_for_answers(client: TestClient, access_lines):
    client.post("/api/ask", json={"question": "When does a withdrawal take effect?"})
    client.post("/api/ask/stream", json={"question": "When does a withdrawal take effect?"})
    client.get("/api/sources/no-such-source?start=1&end=2")
    client.post("/api/ask", json={"question": ""})

    lines = access_lines()
    assert [(l["method"], l["path"], l["status"]) for l in lines] == [
        ("POST", "/api/ask", 200), ("POST", "/api/ask/stream", 200), ("GET", "/api/sources/no-such-source", 404), ("POST", "/api/ask", 422),
    ]
    assert all(isinstance(l["duration_ms"], float) and l["duration_ms"] >= 0 for l in lines)
    assert lines[0]["stages_ms"] == TIMINGS and lines[1]["stages_ms"] == TIMINGS  # a streamed answer too
    assert "stages_ms" not in lines[2] and "stages_ms" not in lines[3]
    assert lines[2]["route"] == "/api/sources/{source_id}"
    assert all("start=" not in json.dumps(l) for l in lines), "query strings are never logged"


def test_metrics_count_requests_answers_abstentions_and_chunks(client: TestClient, settings):
    manifest = Manifest(settings.index_dir)
    manifest.entries["doc-1"] = Entry("doc-1", "/x/doc-1.md", "0" * 64, ["a", "b", "c"], "2025-01-01T00:00:00+00:00")
    manifest.save()
    for question in ("When does a withdrawal take effect?", "What is the unknown thing?", "And the unknown one?"):
        assert client.post("/api/ask", json={"question": question}).status_code == 200
    client.post("/v1/chat/completions", json={"model": "ottawa-desk", "messages": [{"role": "user", "content": "When?"}]})
    client.get("/api/sources/nope")

    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text

    def value(sample: str) -> float:
        match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.M)
        assert match, f"{sample} not in /metrics:\n{text}"
        return float(match.group(1))

    assert value('desk_http_requests_total{method="POST",route="/api/ask",status="200"}') == 3
    assert value('desk_http_requests_total{method="GET",route="/api/sources/{source_id}",status="404"}') == 1
    assert value('desk_http_request_duration_seconds_count{method="POST",route="/api/ask",status="200"}') == 3
    assert value('desk_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/api/ask",status="200"}') == 3
    assert value("desk_answers_total") == 4  # the /v1 answer counts too
    assert value("desk_answers_abstained_total") == 2
    assert value("desk_store_chunks") == 3
    assert "/metrics" not in text.split("desk_answers")[0], "the scrapes themselves are not counted"


def test_metrics_need_the_token_when_one_is_set(settings):
    secured = make_settings(settings.store, api_token="metrics-token-123")
    client = TestClient(create_app(secured, desk=StubDesk(secured)), raise_server_exceptions=False)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer metrics-token-123"}).status_code == 200
