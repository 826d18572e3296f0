"""Every refusal is an RFC 9457 problem with a 4xx status (503 for a missing store), never a 5xx
crash. None of these needs the embedding model: each is refused before any search."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.service import safe_file_name
from ingest.documents import SourceDocument, SourceMeta
from ingest.source_texts import SourceTexts
from tests.api.checks import assert_problem
from tests.ingest.files import make_settings

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    "body, words",
    [
        ({"question": ""}, ["empty"]),
        ({"question": "   \n\t "}, ["empty"]),
        ({"question": "x" * 100_000}, ["100,000", "limit"]),
        ({"question": 42}, ["question", "string"]),
        ({"question": None}, ["question"]),
        ({"question": ["a"]}, ["question"]),
        ({}, ["question", "required"]),
        ({"question": "ok?", "history": "not a list"}, ["history"]),
        ({"question": "ok?", "history": [{"role": "robot", "content": "x"}]}, ["role"]),
        ({"question": "ok?", "filters": {"countries": "Latvia"}}, ["countries"]),
        ({"question": "ok?", "filters": {"date_from": "18 March"}}, ["date_from"]),
        ({"question": "ok?", "surprise": 1}, ["surprise"]),
    ],
)
@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream"])
def test_bad_questions_are_422_problems(empty_client: TestClient, path: str, body: dict, words: list[str]):
    assert_problem(empty_client.post(path, json=body), 422, *words)


@pytest.mark.parametrize("content", [b"not json", b"{\"question\": ", b"[1, 2]", "\"just a string\"".encode()])
def test_malformed_json_is_a_422_problem(empty_client: TestClient, content: bytes):
    response = empty_client.post("/api/ask", content=content, headers={"content-type": "application/json"})
    assert_problem(response, 422)


def test_validation_problem_lists_the_fields_without_echoing_the_input(empty_client: TestClient):
    body = assert_problem(empty_client.post("/api/ask", json={"question": 7, "history": [{"role": "x" * 5000}]}), 422)
    fields = {tuple(e["loc"]) for e in body["errors"]}
    assert ("body", "question") in fields
    assert "x" * 5000 not in json.dumps(body)


def test_asking_without_a_store_is_a_503_that_says_how_to_build_one(empty_client: TestClient):
    assert_problem(empty_client.post("/api/ask", json={"question": "What does Article 20 say?"}), 503, "python -m ingest")
    assert_problem(empty_client.post("/api/ask/stream", json={"question": "What does Article 20 say?"}), 503)
    assert_problem(empty_client.get("/api/health"), 503, "store")


def test_unknown_source_is_404(empty_client: TestClient):
    assert_problem(empty_client.get("/api/sources/no-such-source"), 404, "no-such-source")
    assert_problem(empty_client.get("/api/sources/..%2F..%2Fetc%2Fpasswd"), 404)
    assert_problem(empty_client.get("/api/sources/.hidden"), 404)


@pytest.fixture
def one_source(empty_settings) -> SourceDocument:
    document = SourceDocument(meta=SourceMeta(id="doc-1", title="A title", publisher="P", date="2025-01-02", url="https://example.org"),
                              text="First sentence. The cited sentence. Last sentence.\n")
    SourceTexts(empty_settings.index_dir).save(document)
    return document


def test_source_with_a_span_splits_the_text_around_it(empty_client: TestClient, one_source: SourceDocument):
    listed = empty_client.get("/api/sources").json()
    assert [s["id"] for s in listed] == ["doc-1"] and listed[0]["title"] == "A title"
    start = one_source.text.index("The cited")
    end = start + len("The cited sentence.")
    body = empty_client.get("/api/sources/doc-1", params={"start": start, "end": end}).json()
    assert body["highlight"] == {"start": start, "end": end, "text": "The cited sentence."}
    assert body["before"] + body["highlight"]["text"] + body["after"] == body["text"] == one_source.text
    assert body["meta"]["publisher"] == "P"
    whole = empty_client.get("/api/sources/doc-1").json()
    assert whole["highlight"] is None and whole["before"] == one_source.text


@pytest.mark.parametrize(
    "params, words",
    [
        ({"start": 10, "end": 5}, ["span"]),
        ({"start": 0, "end": 10_000}, ["span", "characters"]),
        ({"start": -1, "end": 3}, ["start"]),
        ({"start": "a", "end": 3}, ["start"]),
        ({"start": 3}, ["both"]),
    ],
)
def test_bad_spans_are_422(empty_client: TestClient, one_source, params: dict, words: list[str]):
    assert_problem(empty_client.get("/api/sources/doc-1", params=params), 422, *words)


def test_unknown_paths_and_methods_under_the_api_are_problems(empty_client: TestClient):
    assert_problem(empty_client.get("/api/nothing-here"), 404, "/api/nothing-here")
    assert_problem(empty_client.get("/v1/engines"), 404)
    response = empty_client.get("/api/ask")
    assert_problem(response, 405, "POST")
    assert response.headers["allow"] == "POST"
    assert_problem(empty_client.delete("/api/sources/doc-1"), 405, "GET")


def test_feedback_is_appended_as_json_lines(empty_client: TestClient, empty_settings):
    for rating in ("up", "down"):
        response = empty_client.post("/api/feedback", json={"question": "Q?", "answer": "A. [1]", "rating": rating, "comment": "ok"})
        assert response.status_code == 201 and response.json() == {"saved": True}
    lines = [json.loads(line) for line in empty_settings.feedback_file.read_text().splitlines()]
    assert [(r["question"], r["rating"], r["comment"]) for r in lines] == [("Q?", "up", "ok"), ("Q?", "down", "ok")]
    assert all(r["at"] for r in lines)


@pytest.mark.parametrize("body", [{"question": "Q", "answer": "A", "rating": "meh"}, {"question": "Q", "rating": "up"},
                                  {"question": "", "answer": "A", "rating": "up"}, {"question": "Q", "answer": 1, "rating": "up"}])
def test_bad_feedback_is_422(empty_client: TestClient, empty_settings, body: dict):
    assert_problem(empty_client.post("/api/feedback", json=body), 422)
    assert not empty_settings.feedback_file.exists()


# -- uploads refused before anything is stored ------------------------------------------------

def _upload(client: TestClient, name: str, data: bytes, field: str = "file"):
    return client.post("/api/documents", files={field: (name, data, "application/octet-stream")})


def test_oversize_upload_is_413(empty_settings):
    client = TestClient(create_app(empty_settings.model_copy(update={"max_upload_bytes": 1000})), raise_server_exceptions=False)
    problem = assert_problem(_upload(client, "big.md", b"# Big\n\n" + b"word " * 400), 413, "larger than the limit of 1,000 bytes")
    assert "1,001" not in problem["detail"], "only limit + 1 bytes are read: that is not the file's size"
    assert not (empty_settings.index_dir / "uploads").exists()


def test_upload_body_far_over_the_limit_is_refused_before_parsing(empty_settings):
    client = TestClient(create_app(empty_settings.model_copy(update={"max_upload_bytes": 1000})), raise_server_exceptions=False)
    assert_problem(_upload(client, "huge.md", b"a" * 2_000_000), 413)


@pytest.mark.parametrize(
    "name, data, status, words",
    [
        ("picture.png", PNG, 415, ["unsupported", ".png"]),
        ("renamed.pdf", PNG, 422, ["not a pdf"]),
        ("renamed.docx", PNG, 422, ["docx"]),
        ("binary.md", PNG, 422, ["binary"]),
        ("empty.md", b"", 422, ["empty"]),
        ("latin1.txt", "Šiauliai café".encode("cp1257"), 422, ["utf-8"]),
        ("broken.md", b"---\ntitle: [unclosed\n---\n\n# Body\n", 422, ["front matter"]),
        ("no-extension", b"plain words", 415, ["unsupported"]),
    ],
)
def test_bad_files_are_refused_with_a_clear_reason_and_nothing_is_stored(empty_client: TestClient, empty_settings, name, data, status, words):
    body = assert_problem(_upload(empty_client, name, data), status, *words)
    assert "/tmp" not in body["detail"] and str(empty_settings.store) not in body["detail"]
    assert not (empty_settings.index_dir / "uploads").exists()
    assert not (empty_settings.store / "chroma.sqlite3").exists()


def test_upload_without_a_file_is_422(empty_client: TestClient):
    assert_problem(empty_client.post("/api/documents", data={"x": "1"}), 422, "file")


def test_uploads_and_deletes_can_be_switched_off(empty_settings):
    locked = empty_settings.model_copy(update={"allow_uploads": False, "allow_delete": False})
    client = TestClient(create_app(locked), raise_server_exceptions=False)
    assert_problem(_upload(client, "note.md", b"# Note\n\nText."), 403, "uploads")
    assert_problem(client.delete("/api/documents/doc-1"), 403, "delet")


def test_deleting_an_unknown_document_is_404(empty_client: TestClient):
    assert_problem(empty_client.delete("/api/documents/no-such-doc"), 404, "no-such-doc")


@pytest.mark.parametrize(
    "given, expected",
    [
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\windows\\evil.MD", "evil.md"),
        ("/abs/path/Report 2025 (final).PDF", "Report-2025-final.pdf"),
        (".hidden.md", "hidden.md"),
        ("Šakalienė ataskaita.docx", "Sakaliene-ataskaita.docx"),
        ("..", "upload"),
        ("", "upload"),
    ],
)
def test_upload_names_are_sanitised(given: str, expected: str):
    assert safe_file_name(given) == expected


# -- the OpenAI-compatible face refuses like an OpenAI server ----------------------------------

@pytest.mark.parametrize(
    "body, status",
    [
        ({"model": "ottawa-desk", "messages": []}, 422),
        ({"model": "ottawa-desk", "messages": [{"role": "system", "content": "Be brief."}]}, 422),
        ({"model": "ottawa-desk", "messages": [{"role": "user", "content": ""}]}, 422),
        ({"model": "ottawa-desk", "messages": [{"role": "user", "content": "x" * 100_000}]}, 422),
        ({"model": "ottawa-desk", "messages": [{"role": "wizard", "content": "hi"}]}, 422),
        ({"model": "ottawa-desk", "messages": "hi"}, 422),
        ({"model": "ottawa-desk", "messages": [{"role": "user", "content": "What is Article 20?"}], "stream": "yes please"}, 422),
        ({"model": "ottawa-desk", "messages": [{"role": "user", "content": "What is Article 20?"}]}, 503),
    ],
)
def test_chat_completion_refusals_are_problems_with_an_openai_error(empty_client: TestClient, body: dict, status: int):
    problem = assert_problem(empty_client.post("/v1/chat/completions", json=body), status)
    assert problem["error"]["message"] == problem["detail"]


def test_models_lists_the_desk(empty_client: TestClient):
    assert [m["id"] for m in empty_client.get("/v1/models").json()["data"]] == ["ottawa-desk"]


def test_bearer_token_when_configured(empty_settings):
    client = TestClient(create_app(make_settings(empty_settings.store, api_token="s3cret")), raise_server_exceptions=False)
    response = client.get("/v1/models")
    assert_problem(response, 401, "bearer")
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200


# -- the OpenAPI document ----------------------------------------------------------------------

def test_openapi_declares_every_endpoint_with_its_responses(empty_client: TestClient):
    spec = empty_client.get("/openapi.json").json()
    operations = {(method.upper(), path): op for path, ops in spec["paths"].items() for method, op in ops.items()}
    assert set(operations) == {
        ("POST", "/api/ask"), ("POST", "/api/ask/stream"), ("GET", "/api/sources"), ("GET", "/api/sources/{source_id}"),
        ("GET", "/api/timeline"), ("POST", "/api/documents"), ("DELETE", "/api/documents/{source_id}"), ("GET", "/api/trash"),
        ("POST", "/api/trash/{source_id}/restore"), ("GET", "/api/health"),
        ("POST", "/api/feedback"), ("POST", "/v1/chat/completions"), ("GET", "/v1/models"),
    }
    for key, op in operations.items():
        success = [s for s in op["responses"] if s.startswith("2")]
        assert success and op["responses"][success[0]].get("content"), key
        for status, response in op["responses"].items():
            if status[0] in "45":
                assert list(response["content"]) == ["application/problem+json"], (key, status)
                # A health 503 is a problem that carries the health facts too.
                model = "/HealthProblem" if key == ("GET", "/api/health") and status == "503" else "/Problem"
                assert response["content"]["application/problem+json"]["schema"]["$ref"].endswith(model), (key, status)
    assert "HTTPValidationError" not in json.dumps(spec)
    assert spec["paths"]["/api/ask"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Answer")
    # The Answer schema is the JSON contract: the fields `to_json` leaves out are not in it.
    assert set(spec["components"]["schemas"]["Answer"]["properties"]) == {"answer", "abstained", "sentences", "citations", "timings_ms"}
    assert "text/event-stream" in spec["paths"]["/api/ask/stream"]["post"]["responses"]["200"]["content"]
