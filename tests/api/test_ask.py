"""Asking over HTTP returns exactly the assistant's Answer JSON, streams it as it is written,
and every citation span can be opened in its source. Uses the whole corpus."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assistant.answer import Answer
from tests.api.checks import cited_numbers, sse_events

pytestmark = pytest.mark.slow

SAEIMA = "How many members of the Saeima voted for leaving the convention?"


def test_ask_returns_exactly_the_answer_json(corpus_client: TestClient):
    response = corpus_client.post("/api/ask", json={"question": SAEIMA})
    assert response.status_code == 200, response.text
    body = response.json()
    answer = Answer.model_validate(body)
    assert body == answer.to_json()  # nothing more, nothing less than the contract
    assert not answer.abstained and "66" in answer.answer
    assert answer.citations[0].source_id == "020-leta-saeima-supports-withdrawal"
    assert cited_numbers(answer.answer) == {c.n for c in answer.citations}


def test_every_citation_opens_highlighted_in_its_source(corpus_client: TestClient):
    answer = corpus_client.post("/api/ask", json={"question": "Who is the depositary of the convention?"}).json()
    assert answer["citations"]
    for citation in answer["citations"]:
        source = corpus_client.get(f"/api/sources/{citation['source_id']}", params={"start": citation["start"], "end": citation["end"]})
        assert source.status_code == 200
        body = source.json()
        assert body["highlight"]["text"] == citation["quote"]
        assert body["before"] + body["highlight"]["text"] + body["after"] == body["text"]
        assert body["meta"]["title"] == citation["title"]


def test_stream_sends_deltas_then_the_same_answer(corpus_client: TestClient):
    with corpus_client.stream("POST", "/api/ask/stream", json={"question": SAEIMA}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events("".join(response.iter_text()))
    names = [name for name, _ in events]
    assert names[-1] == "answer" and set(names[:-1]) == {"delta"} and len(names) > 2
    answer = json.loads(events[-1][1])
    assert "".join(json.loads(data) for _, data in events[:-1]) == answer["answer"]
    assert answer["citations"][0]["source_id"] == "020-leta-saeima-supports-withdrawal"


@pytest.mark.parametrize(
    "filters, check",
    [
        ({"countries": ["Finland"]}, lambda meta: "Finland" in meta["countries"]),
        ({"kinds": ["treaty"]}, lambda meta: meta["kind"] == "treaty"),
        ({"languages": ["en"], "date_from": "2025-06-01", "date_to": "2025-12-31"},
         lambda meta: meta["language"] == "en" and meta["date"] and "2025-06" <= meta["date"][:7] <= "2025-12"),
    ],
)
def test_filters_restrict_the_cited_sources(corpus_client: TestClient, filters: dict, check):
    sources = {s["id"]: s for s in corpus_client.get("/api/sources").json()}
    body = corpus_client.post("/api/ask", json={"question": "When was the withdrawal approved?", "filters": filters}).json()
    assert body["citations"], body
    for citation in body["citations"]:
        assert check(sources[citation["source_id"]]), (filters, citation["source_id"])


def test_a_follow_up_uses_the_history(corpus_client: TestClient):
    history = [{"role": "user", "content": SAEIMA}, {"role": "assistant", "content": "66 members voted in favour. [1]"}]
    body = corpus_client.post("/api/ask", json={"question": "And how many abstained?", "history": history}).json()
    assert body["citations"] and not body["abstained"]
    assert any(c["source_id"] == "020-leta-saeima-supports-withdrawal" for c in body["citations"])


def test_health_reports_the_corpus(corpus_client: TestClient):
    corpus_client.post("/api/ask", json={"question": SAEIMA})  # the model is loaded by now
    body = corpus_client.get("/api/health").json()
    assert body["store_reachable"] and body["model_loaded"] and body["assistant_ready"]
    assert body["documents"] == len(corpus_client.get("/api/sources").json()) > 50
    assert body["chunks"] > body["documents"]
