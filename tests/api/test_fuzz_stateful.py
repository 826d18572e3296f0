"""A bounded stateful fuzzing session (schemathesis follows the OpenAPI links: list the sources,
then get, delete, restore them; upload, then delete the upload) against a real server on
loopback holding the shipped corpus. Afterwards every corpus document must still be in the
store and /api/health must be ok: no sequence of API calls can wipe the curated corpus."""

from __future__ import annotations

import shutil
import time

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import positive_data_acceptance

from api.app import create_app
from tests.api.servers import serve
from tests.conftest import corpus_documents

pytestmark = [pytest.mark.slow, pytest.mark.badinput]

# As in tests/api/test_schema.py, plus "a span lies inside its source's text": the schema can't
# know a text's length, so a schema-valid span past the end is refused (422).
UNSTATABLE = {("POST", "/v1/chat/completions"), ("POST", "/api/documents"), ("GET", "/api/sources/{source_id}")}


@pytest.fixture
def writable_corpus(corpus_settings, tmp_path):
    """A private copy of the corpus store, deletes and uploads on, the corpus folder configured."""
    shutil.copytree(corpus_settings.store, tmp_path / "store")
    return corpus_settings.model_copy(update={"store": tmp_path / "store", "feedback_file": tmp_path / "feedback.jsonl",
                                              "allow_delete": True, "allow_uploads": True, "max_upload_bytes": 4000})


def wait_until_healthy(base: str) -> dict:
    """The server warms up in the background: "starting" (503) until the model is loaded."""
    for _ in range(300):
        response = httpx.get(base + "/api/health", timeout=30)
        if response.status_code == 200:
            return response.json()
        time.sleep(0.2)
    raise AssertionError(f"the server never became healthy: {response.text}")


def test_a_stateful_fuzzing_session_leaves_the_corpus_whole(writable_corpus):
    with serve(create_app(writable_corpus), ready_path="/openapi.json") as base:
        before = wait_until_healthy(base)
        corpus_ids = {s["id"] for s in httpx.get(base + "/api/sources").json()}
        assert len(corpus_ids) == len(corpus_documents()) == before["documents"]

        schema = schemathesis.openapi.from_url(base + "/openapi.json")

        class Workflow(schema.as_state_machine()):
            def validate_response(self, response, case, additional_checks=None, **kwargs):
                excluded = [positive_data_acceptance] if (case.method.upper(), case.path) in UNSTATABLE else []
                case.validate_response(response, additional_checks=additional_checks, excluded_checks=excluded)

        calls = []
        original_call = Workflow.call

        def counting_call(self, case, **kwargs):
            response = original_call(self, case, **kwargs)
            calls.append((case.method.upper(), case.path, response.status_code))
            return response

        Workflow.call = counting_call
        Workflow.run(settings=settings(max_examples=25, stateful_step_count=8, deadline=None, derandomize=True,
                                       phases=[Phase.generate], suppress_health_check=list(HealthCheck)))

        # The fuzzer did try to delete corpus documents, and was refused every time.
        corpus_deletes = [c for c in calls if c[:2] == ("DELETE", "/api/documents/{source_id}") and c[2] == 403]
        assert corpus_deletes, f"the session never tried a delete: {sorted(set(c[:2] for c in calls))}"
        after = {s["id"] for s in httpx.get(base + "/api/sources").json()}
        assert corpus_ids <= after, f"corpus documents lost: {sorted(corpus_ids - after)}"
        health = httpx.get(base + "/api/health", timeout=30)
        assert health.status_code == 200 and health.json()["state"] == "ok", health.text
        assert health.json()["documents"] >= len(corpus_ids)
