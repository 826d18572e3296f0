"""Reversible deletes: an upload deleted through the API goes to the trash and comes back with
one call (answerable again) or one CLI command; a source of the configured corpus folder can't
be deleted at all; every delete and restore is audit-logged with who and when."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.deps import token_id
from ingest.manifest import Manifest
from ingest.pipeline import Ingestor
from tests.api.checks import assert_problem
from tests.api.test_documents import NOTE, ask, store_state, upload
from tests.ingest.files import make_settings, write_sources
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.slow
QUESTION = "Where was the Quillfeather Accord signed?"


def cites_quillfeather(client: TestClient) -> bool:
    return any(c["source_id"] == "quillfeather-accord" for c in ask(client, QUESTION)["citations"])


def test_a_deleted_upload_is_restored_and_answers_again(small_client: TestClient, small_settings):
    assert upload(small_client, "quillfeather.md", NOTE.encode()).status_code == 200
    assert cites_quillfeather(small_client)
    state = store_state(small_settings)

    removed = small_client.delete("/api/documents/quillfeather-accord")
    assert removed.status_code == 200, removed.text
    assert removed.json()["restore"] == "POST /api/trash/quillfeather-accord/restore"
    assert not cites_quillfeather(small_client)
    assert_problem(small_client.get("/api/sources/quillfeather-accord"), 404)
    [trashed] = small_client.get("/api/trash").json()
    assert (trashed["source_id"], trashed["file"], trashed["deleted_by"]) == ("quillfeather-accord", "quillfeather.md", "loopback")
    assert trashed["title"] == "The Quillfeather Accord"

    restored = small_client.post("/api/trash/quillfeather-accord/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["chunks_total"] == state[1]
    assert cites_quillfeather(small_client)
    assert store_state(small_settings) == state  # the same file, the same passages, nothing else
    assert small_client.get("/api/trash").json() == []
    assert_problem(small_client.post("/api/trash/quillfeather-accord/restore"), 404, "trash")

    audit = [json.loads(line) for line in (small_settings.index_dir / "audit.jsonl").read_text().splitlines()]
    assert [(a["action"], a["source_id"], a["by"]) for a in audit] == [
        ("delete", "quillfeather-accord", "loopback"), ("restore", "quillfeather-accord", "loopback")]
    assert all(a["at"].endswith("+00:00") for a in audit)


def test_restoring_over_a_new_copy_is_a_conflict(small_client: TestClient):
    upload(small_client, "quillfeather.md", NOTE.encode())
    small_client.delete("/api/documents/quillfeather-accord")
    upload(small_client, "quillfeather.md", NOTE.encode())  # uploaded again meanwhile
    assert_problem(small_client.post("/api/trash/quillfeather-accord/restore"), 409, "delete that one first")


def test_corpus_sources_cannot_be_deleted(tmp_path):
    corpus = write_sources(tmp_path / "corpus")
    settings = make_settings(tmp_path / "store", corpus=corpus, feedback_file=tmp_path / "feedback.jsonl")
    Ingestor(settings).run([corpus])
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    state = store_state(settings)
    problem = assert_problem(client.delete("/api/documents/beta-saeima"), 403, "curated corpus", "delete the file", "python -m ingest")
    assert "/" not in problem["detail"].split("(")[1].split(" ")[0], "names the file, not a server path"
    assert store_state(settings) == state and client.get("/api/trash").json() == []
    assert not (settings.index_dir / "audit.jsonl").exists()


def test_destructive_routes_need_the_token_and_log_its_id(small_settings):
    settings = small_settings.model_copy(update={"api_token": SecretStr("trash-token-1")})
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    auth = {"Authorization": "Bearer trash-token-1"}
    upload_response = client.post("/api/documents", files={"file": ("q.md", NOTE.encode())}, headers=auth)
    assert upload_response.status_code == 200, upload_response.text
    assert_problem(client.delete("/api/documents/quillfeather-accord"), 401)
    assert client.delete("/api/documents/quillfeather-accord", headers=auth).status_code == 200
    assert_problem(client.post("/api/trash/quillfeather-accord/restore"), 401)
    assert_problem(client.get("/api/trash"), 401)
    assert client.get("/api/trash", headers=auth).json()[0]["deleted_by"] == token_id("trash-token-1")
    assert "trash-token-1" not in (settings.index_dir / "audit.jsonl").read_text()


def test_deletes_and_restores_can_be_switched_off(small_settings):
    client = TestClient(create_app(small_settings.model_copy(update={"allow_delete": False})), raise_server_exceptions=False)
    assert_problem(client.delete("/api/documents/beta-saeima"), 403, "DESK_ALLOW_DELETE")
    assert_problem(client.post("/api/trash/beta-saeima/restore"), 403, "DESK_ALLOW_DELETE")
    assert "beta-saeima" in Manifest.load(small_settings.index_dir).entries


def test_the_cli_lists_the_trash_and_restores(small_client: TestClient, small_settings):
    upload(small_client, "quillfeather.md", NOTE.encode())
    small_client.delete("/api/documents/quillfeather-accord")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ingest", "--store", str(small_settings.store), *args],
                              cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)

    listed = cli("--trash")
    assert listed.returncode == 0 and "quillfeather-accord" in listed.stdout and "loopback" in listed.stdout
    restored = cli("--restore", "quillfeather-accord")
    assert restored.returncode == 0, restored.stderr
    assert "restored quillfeather-accord" in restored.stdout
    assert "quillfeather-accord" in Manifest.load(small_settings.index_dir).entries
    again = cli("--restore", "quillfeather-accord")
    assert again.returncode == 1 and again.stderr.startswith("error: no source 'quillfeather-accord' in the trash")
    assert "Traceback" not in again.stderr
    audit = (small_settings.index_dir / "audit.jsonl").read_text().splitlines()
    assert json.loads(audit[-1])["by"].startswith("cli:")
