"""The assistant's command line, as a user runs it: a subprocess over a built store."""

import json
import os
import subprocess
import sys

import pytest

from tests.paths import REPO_ROOT

pytestmark = pytest.mark.slow


def run_cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESK_")}
    env["DESK_STORE"] = str(settings.store)
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=300)


def test_json_answer_has_exactly_the_documented_shape(corpus_settings):
    result = run_cli(corpus_settings, "ask", "How many members of the Seimas voted for Lithuania's withdrawal?", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) == {"answer", "abstained", "sentences", "citations", "timings_ms"}
    assert "107" in answer["answer"] and answer["abstained"] is False
    assert all(set(s) == {"text", "citations"} for s in answer["sentences"])
    keys = {"n", "source_id", "title", "publisher", "date", "url", "language", "heading", "quote", "start", "end", "score"}
    assert all(set(c) == keys for c in answer["citations"])
    assert any("107" in c["quote"] for c in answer["citations"])


def test_unanswerable_question_abstains(corpus_settings):
    result = run_cli(corpus_settings, "ask", "What did NATO's Secretary General say about the withdrawals?", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["abstained"] is True


def test_missing_store_is_a_clear_error_without_traceback(tmp_path, corpus_settings):
    result = run_cli(corpus_settings.model_copy(update={"store": tmp_path / "nowhere"}), "ask", "Anything?")
    assert result.returncode == 1
    assert "python -m ingest" in result.stderr
    assert "Traceback" not in result.stderr


def test_text_output_lists_the_sources(corpus_settings):
    result = run_cli(corpus_settings, "ask", "Which official acts as depositary of the Ottawa Convention?", "--kind", "treaty")
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout and "Secretary-General" in result.stdout
    assert "Article 21" in result.stdout, "the cited provision is named"
    assert "https://" in result.stdout, "the original's address is shown"
