"""Uploading through the API: a new Markdown or PDF file becomes answerable at once (the same
Assistant, no restart), uploading it again adds nothing, a bad file changes nothing, and a
deleted document is no longer cited. Each test has its own small writable store."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.manifest import Manifest
from tests.api.checks import assert_problem
from tests.ingest.files import make_pdf, markdown

pytestmark = pytest.mark.slow

NOTE = markdown(
    {"id": "quillfeather-accord", "title": "The Quillfeather Accord", "publisher": "Test Gazette", "date": "2026-02-03",
     "url": "https://example.org/quillfeather", "kind": "news", "countries": ["Estonia"], "language": "en"},
    "# The Quillfeather Accord\n\n## Signing\n\n"
    "The Quillfeather Accord on demining drones was signed in Tartu by fourteen delegations on 3 February 2026.\n\n"
    "## Follow-up\n\nThe delegations agreed to meet again in Narva after the first season of drone surveys.\n",
)
PDF_PARAGRAPHS = [
    "Marrowdale Survey Report",
    "The Marrowdale survey cleared 412 hectares of former minefields near the river Ondra in 2026.",
    "Survey teams used trained rats named after famous composers to find the buried mines.",
]


def upload(client: TestClient, name: str, data: bytes):
    return client.post("/api/documents", files={"file": (name, data, "application/octet-stream")})


def ask(client: TestClient, question: str) -> dict:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def store_state(settings) -> tuple:
    manifest = Manifest.load(settings.index_dir)
    uploads = settings.index_dir / "uploads"
    files = sorted(p.name for p in uploads.iterdir()) if uploads.is_dir() else []
    return sorted((e.source_id, e.sha256) for e in manifest.entries.values()), len(manifest.chunk_ids()), files


def test_uploaded_markdown_is_answerable_and_a_second_upload_adds_nothing(small_client: TestClient, small_settings):
    before = ask(small_client, "Where was the Quillfeather Accord signed?")  # the Assistant exists before the upload
    assert all(c["source_id"] != "quillfeather-accord" for c in before["citations"])

    first = upload(small_client, "quillfeather.md", NOTE.encode())
    assert first.status_code == 200, first.text
    summary = first.json()
    assert summary["added"] == 1 and summary["source_ids"] == ["quillfeather-accord"] and summary["chunks_embedded"] >= 1
    assert (small_settings.index_dir / "uploads" / "quillfeather.md").read_text(encoding="utf-8") == NOTE

    answer = ask(small_client, "Where was the Quillfeather Accord signed?")
    assert "Tartu" in answer["answer"]
    assert answer["citations"][0]["source_id"] == "quillfeather-accord"
    assert "quillfeather-accord" in {s["id"] for s in small_client.get("/api/sources").json()}

    state = store_state(small_settings)
    for name in ("quillfeather.md", "a-copy-of-it.md"):  # same bytes, any name: nothing new
        again = upload(small_client, name, NOTE.encode()).json()
        assert (again["added"], again["updated"], again["unchanged"], again["chunks_embedded"]) == (0, 0, 1, 0)
        assert again["source_ids"] == ["quillfeather-accord"]
        assert store_state(small_settings) == state


def test_uploaded_pdf_is_answerable(small_client: TestClient, tmp_path: Path):
    pdf = make_pdf(tmp_path / "Marrowdale report.pdf", "Marrowdale Survey Report", [PDF_PARAGRAPHS])
    response = upload(small_client, pdf.name, pdf.read_bytes())
    assert response.status_code == 200, response.text
    assert response.json()["source_ids"] == ["marrowdale-report"]
    answer = ask(small_client, "How many hectares did the Marrowdale survey clear?")
    assert "412" in answer["answer"]
    assert answer["citations"][0]["source_id"] == "marrowdale-report"
    source = small_client.get("/api/sources/marrowdale-report").json()
    assert source["meta"]["title"] == "Marrowdale Survey Report"


def test_a_bad_file_changes_nothing(small_client: TestClient, small_settings):
    state = store_state(small_settings)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    assert_problem(upload(small_client, "scan.pdf", png), 422, "scan.pdf", "not a PDF")
    # One bad file in a batch refuses the whole batch.
    batch = small_client.post("/api/documents", files=[("files", ("good.md", NOTE.encode(), "text/markdown")),
                                                       ("files", ("bad.docx", png, "application/octet-stream"))])
    assert_problem(batch, 422, "bad.docx")
    assert store_state(small_settings) == state
    assert all(c["source_id"] != "quillfeather-accord" for c in ask(small_client, "Where was the Quillfeather Accord signed?")["citations"])


def test_a_taken_source_id_is_a_conflict(small_client: TestClient, small_settings):
    state = store_state(small_settings)
    clash = markdown({"id": "alpha-treaty", "title": "Impostor"}, "# Impostor\n\nA different text under a taken id.\n")
    assert_problem(upload(small_client, "impostor.md", clash.encode()), 409, "alpha-treaty")
    assert store_state(small_settings) == state


def test_a_hostile_file_name_stays_inside_the_uploads_folder(small_client: TestClient, small_settings):
    response = upload(small_client, "../../../outside.md", NOTE.encode())
    assert response.status_code == 200, response.text
    assert (small_settings.index_dir / "uploads" / "outside.md").is_file()
    assert not (small_settings.store.parent / "outside.md").exists()


def test_delete_removes_a_document_and_its_passages(small_client: TestClient, small_settings):
    upload(small_client, "quillfeather.md", NOTE.encode())
    chunks = small_client.get("/api/health").json()["chunks"]
    response = small_client.delete("/api/documents/quillfeather-accord")
    assert response.status_code == 200, response.text
    assert response.json()["source_id"] == "quillfeather-accord" and response.json()["chunks_total"] < chunks
    assert not (small_settings.index_dir / "uploads" / "quillfeather.md").exists()
    assert_problem(small_client.get("/api/sources/quillfeather-accord"), 404)
    assert all(c["source_id"] != "quillfeather-accord" for c in ask(small_client, "Where was the Quillfeather Accord signed?")["citations"])
    assert_problem(small_client.delete("/api/documents/quillfeather-accord"), 404)
    # A source ingested from a folder other than the corpus can be deleted too; its file is the user's and stays.
    assert small_client.delete("/api/documents/beta-saeima").status_code == 200
    assert (small_settings.store.parent / "sources" / "beta.md").is_file()


def test_a_batch_upload_is_embedded_in_the_server_process_never_a_fork(small_client: TestClient, monkeypatch):
    """Forking a server copies the locks other threads hold (a question inside the model): the
    child could wait on them forever. A batch of uploads embeds in a thread instead."""
    from ingest.embed_worker import EmbedWorker

    forks: list[int] = []
    def no_fork(self, *args):
        forks.append(1)
        raise AssertionError("the server forked")

    monkeypatch.setattr(EmbedWorker, "__init__", no_fork)
    second = NOTE.replace("quillfeather-accord", "quillfeather-follow-up").replace("Tartu", "Pärnu")
    batch = small_client.post("/api/documents", files=[("files", ("one.md", NOTE.encode(), "text/markdown")),
                                                       ("files", ("two.md", second.encode(), "text/markdown"))])
    assert batch.status_code == 200, batch.text
    assert batch.json()["added"] == 2 and forks == []
    assert {"quillfeather-accord", "quillfeather-follow-up"} <= {s["id"] for s in small_client.get("/api/sources").json()}
