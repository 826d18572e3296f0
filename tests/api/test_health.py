"""/api/health tells the truth: 200 "ok" only when the store opens, holds documents and the
model is loaded; 503 "starting" while the model loads and "degraded" when the store is missing or
empty, each with its reasons; /metrics carries the same state. Stand-in desks: no model needed."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.documents import SourceDocument, SourceMeta
from ingest.source_texts import SourceTexts
from tests.api.checks import assert_problem
from tests.api.stubs import StubDesk
from tests.ingest.files import make_settings


class LoadingDesk(StubDesk):
    """The store is fine; the model is still loading."""

    @property
    def model_loaded(self) -> bool:
        return False


class EmptyDesk(StubDesk):
    def document_count(self) -> int:
        return 0


class BrokenModelDesk(LoadingDesk):
    def __init__(self, settings):
        super().__init__(settings)
        self.warm_error = "the desk could not start: no model at /models/missing"


@pytest.fixture
def settings(tmp_path: Path):
    """A store folder holding one source (the stand-in desks count documents from it)."""
    settings = make_settings(tmp_path / "store", feedback_file=tmp_path / "feedback.jsonl")
    SourceTexts(settings.index_dir).save(SourceDocument(meta=SourceMeta(id="doc-1", title="Doc"), text="Text.\n"))
    return settings


def client_for(desk_class, settings) -> TestClient:
    return TestClient(create_app(settings, desk=desk_class(settings)), raise_server_exceptions=False)


def health_state(client: TestClient) -> float:
    text = client.get("/metrics").text
    return {state: float(re.search(rf'^desk_health_state{{state="{state}"}} (\S+)$', text, re.M).group(1))
            for state in ("ok", "starting", "degraded")}


def test_ok_only_when_everything_is_ready(settings):
    client = client_for(StubDesk, settings)
    response = client.get("/api/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["state"], body["reasons"]) == ("ok", "ok", [])
    assert health_state(client) == {"ok": 1.0, "starting": 0.0, "degraded": 0.0}


def test_starting_while_the_model_loads(settings):
    client = client_for(LoadingDesk, settings)
    body = assert_problem(client.get("/api/health"), 503, "starting", "model is loading")
    assert body["state"] == "starting" and body["model_loaded"] is False and body["store_reachable"] is True
    assert health_state(client)["starting"] == 1.0
    assert "desk_model_loaded 0.0" in client.get("/metrics").text


def test_degraded_when_the_store_is_empty(settings):
    client = client_for(EmptyDesk, settings)
    body = assert_problem(client.get("/api/health"), 503, "degraded", "no documents", "python -m ingest")
    assert body["documents"] == 0
    assert health_state(client)["degraded"] == 1.0


def test_degraded_when_the_model_failed_to_load(settings):
    body = assert_problem(client_for(BrokenModelDesk, settings).get("/api/health"), 503, "degraded", "/models/missing")
    assert body["state"] == "degraded"


def test_degraded_without_a_store(tmp_path: Path):
    client = TestClient(create_app(make_settings(tmp_path / "nothing")), raise_server_exceptions=False)
    body = assert_problem(client.get("/api/health"), 503, "degraded", "python -m ingest")
    assert body["store_reachable"] is False
    assert "desk_store_reachable 0.0" in client.get("/metrics").text


class WarmingDesk(StubDesk):
    """The model is loaded, but the start-up warm-up (one whole answer) has not finished."""

    def __init__(self, settings):
        super().__init__(settings)
        self.release = threading.Event()

    def warm(self) -> None:
        self.release.wait(30)


def test_starting_until_the_warm_up_answer_is_done(settings):
    """A load balancer sends traffic on "ok": before the warm-up's answer is done, the first
    question would still pay for what it loads."""
    desk = WarmingDesk(settings)
    with TestClient(create_app(settings, desk=desk), raise_server_exceptions=False) as client:  # runs the lifespan
        response = client.get("/api/health")
        assert response.status_code == 503 and response.json()["state"] == "starting"
        desk.release.set()
        desk._warming.join(5)
        assert client.get("/api/health").status_code == 200
