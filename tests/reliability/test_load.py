"""Load: the bounded load script against a served desk finds no errors, and an upload being
ingested neither blocks nor corrupts the questions answered meanwhile."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from ingest.pipeline import Ingestor
from tests.api.servers import serve
from tests.ingest.files import make_settings, write_sources
from tests.paths import REPO_ROOT
from tests.reliability.asking import AskLoop
from tests.reliability.stores import assert_consistent, store_state, write_many

pytestmark = pytest.mark.slow

QUESTION = "Who is designated as the Depositary of the Convention?"


@pytest.fixture
def small_app(tmp_path: Path):
    settings = make_settings(tmp_path / "store", feedback_file=tmp_path / "feedback.jsonl")
    Ingestor(settings).run([write_sources(tmp_path / "sources")])
    return settings, create_app(settings)


def test_load_script_finds_no_errors(small_app):
    _, app = small_app
    with serve(app) as base:
        result = subprocess.run([sys.executable, "scripts/load.py", "--url", base, "--clients", "4", "--duration", "3", "--json"],
                                cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0, (figures, result.stderr[-2000:])
    assert figures["errors"] == 0 and figures["ok"] == figures["requests"] >= 4
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]


def test_load_script_refuses_a_remote_target():
    result = subprocess.run([sys.executable, "scripts/load.py", "--url", "http://192.0.2.10:7860", "--duration", "1"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "not a loopback address" in result.stderr


def test_an_upload_neither_blocks_nor_corrupts_concurrent_questions(small_app, tmp_path: Path, embedder):
    settings, app = small_app
    big = (write_many(tmp_path / "big", count=1, sections=40) / "briefing-01.md").read_bytes()
    with serve(app) as base, AskLoop(base, QUESTION) as load:
        load.wait_for(200, more_than=2)
        started = time.monotonic()
        uploaded = httpx.post(f"{base}/api/documents", files={"file": ("briefing.md", big, "text/markdown")}, timeout=300)
        finished = time.monotonic()
        assert uploaded.status_code == 200, uploaded.text
        assert uploaded.json()["chunks_embedded"] >= 40
        load.wait_for(200, more_than=load.count(200))  # and after it

        during = [r for r in load.seen if r.status == 200 and started < r.finished < finished]
        assert during, f"no question was answered during the {finished - started:.1f} s upload"
        assert Counter(r.status for r in load.seen) == {200: len(load.seen)}, "every question answered"

        new = httpx.post(f"{base}/api/ask", json={"question": "How many cleared sites did officials in Riga report in section 7?"},
                         timeout=60).json()
        assert "briefing-01" in {c["source_id"] for c in new["citations"]}
        health = httpx.get(f"{base}/api/health", timeout=30).json()

    state = store_state(settings, embedder)
    assert_consistent(state)
    assert health["chunks"] == state.chunk_count and health["documents"] == len(state.manifest) == 4
