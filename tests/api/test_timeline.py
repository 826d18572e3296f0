"""GET /api/timeline, the CLI and the UI tab show the same cells; an upload that reports a step
joins the table; a timeline question in chat is answered from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ingest.timeline import STATES, STEPS
from tests.ingest.files import markdown
from tests.paths import REPO_ROOT

REPORT = markdown(
    {"id": "rada-vote-report", "title": "Rada vote report", "publisher": "Test Wire", "date": "2025-07-16",
     "url": "https://example.org/rada", "kind": "news", "countries": ["Ukraine"], "language": "en"},
    "# Rada vote report\n\n## The vote\n\nOn 15 July 2025 the Verkhovna Rada voted for Ukraine's withdrawal from the Ottawa Convention.\n",
)


def test_unknown_state_and_missing_store_are_problems(empty_client):
    missing = empty_client.get("/api/timeline")
    assert missing.status_code == 503 and "python -m ingest corpus" in missing.json()["detail"]
    unknown = empty_client.get("/api/timeline", params={"country": "Narnia"})
    assert unknown.status_code == 422 and unknown.headers["content-type"].startswith("application/problem+json")


def test_the_route_is_documented(empty_client):
    operation = empty_client.get("/openapi.json").json()["paths"]["/api/timeline"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Timeline")
    assert "503" in operation["responses"] and "422" in operation["responses"]


@pytest.mark.slow
def test_api_cli_and_ui_show_the_same_cells(corpus_client, corpus_api_settings):
    from api.service import Desk
    from ui import timeline_rows

    body = corpus_client.get("/api/timeline").json()
    assert body["steps"] == list(STEPS) and list(body["states"]) == list(STATES)
    assert body["states"]["Latvia"]["parliament"]["date"] == "2025-04-16"
    votes = body["states"]["Latvia"]["parliament"]["votes"]
    assert {votes["in_favour"], *(d["in_favour"] for d in votes["disagreements"])} == {66, 68}  # LETA vs TASS
    citation = body["states"]["Latvia"]["parliament"]["citations"][0]
    assert {"n", "source_id", "title", "quote", "start", "end", "url"} <= set(citation)
    cli = subprocess.run([sys.executable, "-m", "assistant", "timeline", "--store", str(corpus_api_settings.store), "--json"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == body
    rows = {row[0]: row[1:] for row in timeline_rows(Desk(corpus_api_settings))}
    for state, cells in body["states"].items():
        for step, shown in zip(STEPS, rows[state]):
            assert shown.split(" ")[0] == (cells[step]["date"] or "unknown"), (state, step, shown)
    only = corpus_client.get("/api/timeline", params={"country": "Estonia"}).json()
    assert list(only["states"]) == ["Estonia"] and only["states"]["Estonia"] == body["states"]["Estonia"]


@pytest.mark.slow
def test_an_upload_that_reports_a_step_joins_the_table(small_client):
    before = small_client.get("/api/timeline").json()["states"]["Ukraine"]["parliament"]
    assert before["date"] is None and before["citations"] == []
    uploaded = small_client.post("/api/documents", files={"file": ("rada.md", REPORT.encode(), "text/markdown")})
    assert uploaded.status_code == 200, uploaded.text
    cell = small_client.get("/api/timeline").json()["states"]["Ukraine"]["parliament"]
    assert cell["date"] == "2025-07-15"
    assert [c["source_id"] for c in cell["citations"]] == ["rada-vote-report"]
    assert "Verkhovna Rada voted" in cell["citations"][0]["quote"]
    assert small_client.delete("/api/documents/rada-vote-report").status_code == 200
    assert small_client.get("/api/timeline").json()["states"]["Ukraine"]["parliament"]["date"] is None


@pytest.mark.slow
def test_timeline_of_a_state_in_chat_lists_its_dated_steps_each_cited(corpus_client):
    answer = corpus_client.post("/api/ask", json={"question": "Timeline of Estonia's exit"}).json()
    assert not answer["abstained"]
    text = answer["answer"]
    assert text.index("4 June 2025") < text.index("13 June 2025") < text.index("27 December 2025")
    assert all(s["citations"] for s in answer["sentences"])
    quotes = " ".join(c["quote"] for c in answer["citations"])
    assert "4. juunil 2025" in quotes or "4 June 2025" in quotes
