"""Schemathesis against the real app (real model, a small real store): whatever it sends, no 5xx
and every response as the OpenAPI document says. tests/api/test_schema.py runs many more cases
against a stand-in assistant; this run proves the real retrieval and answering paths hold too."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api.app import create_app
from tests.ingest.files import make_settings, write_sources

pytestmark = [pytest.mark.badinput, pytest.mark.slow]

UNSTATABLE = {("POST", "/v1/chat/completions"), ("POST", "/api/documents")}  # as in tests/api/test_schema.py

# The app must exist when the module is collected (schemathesis reads its OpenAPI document then);
# it opens its store lazily, so the store is built by the fixture below, before the first case.
# Deleting is off so the fuzzer can't empty the store the other cases ask (it still gets 403s to
# check); uploads stay on, and each file it gets accepted is really ingested. No warm start:
# schemathesis starts the app while pytest is still collecting, and a warm-up's threads would
# load models beside pytest's own parsing of the test files (CPython 3.11's `ast` keeps one
# recursion counter for all threads: "AST constructor recursion depth mismatch" in a clean-clone run).
ROOT = Path(tempfile.mkdtemp(prefix="desk-schema-real-"))
SETTINGS = make_settings(ROOT / "store", feedback_file=ROOT / "feedback.jsonl", allow_delete=False, max_upload_bytes=4000,
                         warm_start=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(SETTINGS))


@pytest.fixture(scope="module", autouse=True)
def built_store():
    from ingest.pipeline import Ingestor

    if not (SETTINGS.store / "chroma.sqlite3").exists():
        assert Ingestor(SETTINGS).run([write_sources(ROOT / "sources")]).added == 3


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_real_app_never_answers_5xx(case):
    excluded = [positive_data_acceptance] if (case.method.upper(), case.path) in UNSTATABLE else []
    case.call_and_validate(excluded_checks=excluded)
