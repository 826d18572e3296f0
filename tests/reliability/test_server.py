"""Scale-out on a Chroma server (DESK_CHROMA_URL): ingest writes into the server, the API and the
CLI of other processes read it, and an upload through one process is answerable from another.

What several workers share is the server (vectors) and the store folder (manifest, keyword
index, source texts); nothing about the store is kept per process that an ingest can't refresh."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.store import ChromaChunkStore
from tests.ingest.files import json_line, make_settings, markdown, python, write_sources
from tests.reliability.stores import assert_consistent, store_state

pytestmark = [pytest.mark.server, pytest.mark.slow]

QUESTION = "Who is designated as the Depositary of the Convention?"
NOTE = markdown(
    {"id": "delta-depot", "title": "Depot audit in Daugavpils", "publisher": "Delta Monitor", "date": "2025-06-02",
     "kind": "news", "countries": ["Latvia"], "language": "en"},
    "# Depot audit in Daugavpils\n\n## Findings\n\n"
    "Auditors counted 4,312 stored anti-personnel mines at the Daugavpils depot in June 2025.\n",
)


@pytest.fixture(scope="module")
def server_settings(chroma_server: str, tmp_path_factory):
    """Three sources ingested into the server by `python -m ingest --chroma-url` (a process of its own)."""
    root = tmp_path_factory.mktemp("scale-out")
    settings = make_settings(root / "store", chroma_url=chroma_server, collection=f"scale_{uuid.uuid4().hex[:8]}",
                             feedback_file=root / "feedback.jsonl")
    result = python("-m", "ingest", str(write_sources(root / "sources")), "--store", str(settings.store),
                    "--chroma-url", chroma_server, "--json", env={"DESK_COLLECTION": settings.collection})
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json_line(result.stdout)
    assert summary["added"] == 3 and summary["store"] == chroma_server and not summary["failed"]
    return settings


def test_ingest_writes_the_vectors_to_the_server(server_settings, embedder):
    assert not (server_settings.store / "chroma.sqlite3").exists(), "nothing of Chroma's in the store folder"
    state = store_state(server_settings, embedder)  # read back through the server
    assert_consistent(state)
    assert set(state.manifest) == {"alpha-treaty", "beta-saeima", "gamma-seimas"}


def test_api_answers_from_the_server_and_an_upload_is_answerable_from_a_new_process(server_settings, embedder):
    client = TestClient(create_app(server_settings), raise_server_exceptions=False)
    health = client.get("/api/health").json()
    assert health["store"] == server_settings.chroma_url and health["chunks"] > 0

    answer = client.post("/api/ask", json={"question": QUESTION}).json()
    assert not answer["abstained"] and "Secretary-General" in answer["answer"]
    assert {c["source_id"] for c in answer["citations"]} == {"alpha-treaty"}

    uploaded = client.post("/api/documents", files={"file": ("depot.md", NOTE.encode(), "text/markdown")})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["source_ids"] == ["delta-depot"]

    # Another process (as another API worker would be): a fresh client of the server, the shared
    # store folder's manifest and keyword index.
    result = python("-m", "assistant", "ask", "How many mines were counted at the Daugavpils depot?", "--json",
                    "--store", str(server_settings.store), "--chroma-url", server_settings.chroma_url,
                    env={"DESK_COLLECTION": server_settings.collection})
    assert result.returncode == 0, result.stderr[-2000:]
    other = json.loads(result.stdout)
    assert "4,312" in other["answer"] and {c["source_id"] for c in other["citations"]} == {"delta-depot"}

    state = store_state(server_settings, embedder)
    assert_consistent(state)
    assert len(state.manifest) == 4
    assert ChromaChunkStore(server_settings, embedder, create=False).count() == health["chunks"] + len(state.manifest["delta-depot"])
