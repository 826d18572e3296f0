"""`python -m evals run` end to end on a small question file of the dev set's schema, over the
session's corpus store: the three output files exist and hold the required keys."""

from __future__ import annotations

import json

import pytest

from evals.__main__ import main
from tests.evals.paths import FIXTURE, REQUIRED_KEYS

pytestmark = pytest.mark.slow


def test_run_writes_the_three_files(corpus_settings, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["run", "--questions", str(FIXTURE), "--report", str(out), "--store", str(corpus_settings.store), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert REQUIRED_KEYS <= set(metrics)
    assert metrics["n.questions"] == 3 and metrics["n.answerable"] == 2
    assert "by_type.numeric.answer.key_fact_accuracy" in metrics
    assert "by_type.unanswerable.abstention.accuracy" in metrics
    assert 0.0 <= metrics["retrieval.recall@5"] <= 1.0
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == ["fx-001", "fx-002", "fx-003"]
    for r in records:
        assert r["answer"] and "scores" in r and "citations" in r and "timings_ms" in r
        for c in r["citations"]:
            assert {"n", "source_id", "quote", "start", "end"} <= set(c)
    page = (out / "report.html").read_text()
    assert "<img" in page and "fx-0" in page
    printed = capsys.readouterr().out
    assert "retrieval.recall@5" in printed and "judge: heuristic" in printed


def test_compare_runs_the_ablations(corpus_settings, tmp_path):
    out = tmp_path / "compare"
    assert main(["run", "--compare", "--questions", str(FIXTURE), "--report", str(out), "--store", str(corpus_settings.store), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert REQUIRED_KEYS <= set(metrics)
    for name in ("dense", "keyword", "hybrid", "hybrid+rerank"):
        assert f"config.{name}.retrieval.recall@5" in metrics
        assert f"config.{name}.latency.ask_ms.p95" in metrics
    assert metrics["meta.config.reranker"] == "evidence"  # the top level is the configured default
    assert "meta.skipped.llm" in metrics  # no LLM backend here
    assert (out / "results.dense.jsonl").exists()
    assert "Configurations side by side" in (out / "report.html").read_text()
