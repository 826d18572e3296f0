"""`python -m evals bench` on a small slice of the corpus and a tiny scale run: every section
runs and bench.json holds the side-by-side figures."""

from __future__ import annotations

import io
import json
import shutil

import pytest

from evals.bench import Bench, _table
from tests.evals.paths import FIXTURE
from tests.paths import CORPUS_DIR


def test_table_aligns_columns():
    text = _table([("name", "value"), ("a", 1), ("longer", 22.5)])
    lines = text.splitlines()
    assert lines[0].startswith("name") and set(lines[1]) <= {"-", " "}
    assert len({len(line) for line in lines}) == 1


@pytest.mark.slow
def test_bench_small(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("001-ottawa-convention-english-text.md", "052-bb-lv-latvia-withdraws-from-the-convention.md",
                 "028-err-news-estonia-votes-to-leave.md"):
        shutil.copy(CORPUS_DIR / name, corpus / name)
    out = io.StringIO()
    bench = Bench(scale=[300], questions=FIXTURE, report=tmp_path / "report", keep=tmp_path / "stores", corpus=corpus, out=out,
                  quality_questions=[FIXTURE], embedders=("onnx-int8",), workers=(1,), load_s=3, ingest_rounds=2)
    assert bench.run() == 0
    data = json.loads((tmp_path / "report" / "bench.json").read_text())
    # Both embedders measured on the same corpus and questions, and the guard's verdict recorded.
    torch, onnx = data["embedders"]["sentence-transformers"], data["embedders"]["onnx-int8"]
    assert torch["ingest"]["chunks"] == onnx["ingest"]["chunks"] > 0
    assert 0 <= onnx["quality"]["hit@5"] <= 1 and 0 <= onnx["quality"]["key_fact_accuracy"] <= 1
    assert onnx["cosine_to_torch"]["passages"] > 0.97 and onnx["cosine_to_torch"]["queries"] > 0.97
    assert data["chosen_embedder"] in ("sentence-transformers", "onnx-int8")
    # The ONNX ratio is the median of ingest / encode pairs timed in turn; only the last store is kept.
    rounds = onnx["ingest"]["rounds"]
    assert len(rounds) == 2 and len(torch["ingest"]["rounds"]) == 1
    assert onnx["ingest"]["ingest_vs_encode"] == pytest.approx(sum(r["ingest_vs_encode"] for r in rounds) / 2, abs=0.006)
    assert not [p.name for p in (tmp_path / "stores").iterdir() if "-round" in p.name or p.name.endswith(("-threaded", "-one-child"))]
    # Beside it, the before of the second embedding process (one child) and the machine's raw rate
    # in as many processes as ingest forks; PyTorch embeds in this process, so it has neither.
    assert onnx["ingest"]["embed_processes"] >= 1 and onnx["ingest"]["parallel_encode_chunks_per_s"] > 0
    assert onnx["ingest"]["one_child_ingest_chunks_per_s"] > 0 and "parallel_encode_chunks_per_s" not in torch["ingest"]
    assert onnx["query_embed_ms"]["p50"] < torch["query_embed_ms"]["p50"]
    # The API server's cold start: ready, then answers; the ONNX one never loads torch.
    api = data["api_cold_start"]
    assert all(r["wall_s"] >= r["ready_s"] > 0 for r in api.values())
    if data["chosen_embedder"] == "onnx-int8":
        assert api["onnx-int8"]["torch_loaded"] is False and api["sentence-transformers"]["torch_loaded"] is True
    [load] = data["throughput"]
    assert load["workers"] == 1 and load["ok"] > 0 and load["errors"] == 0
    assert data["ingest"]["chunks"] > 0 and data["ingest"]["encode_chunks_per_s"] > 0
    assert 0 < data["ingest"]["timeline_share_of_ingest"] <= 0.2  # the tracker's budget: at most 20% of a fresh ingest
    assert data["warm"]["ask_ms"]["p95"] >= data["warm"]["ask_ms"]["p50"] > 0
    assert data["recipe"]["chunks"] > 0 and 0 <= data["recipe"]["hit@5"] <= 1
    assert data["cold_start"]["first_answer_s"] > 0 and data["cold_start"]["peak_rss_mb"] > 100
    [row] = data["scale"]
    assert row["synthetic"] == 300 and row["chunks_total"] == data["ingest"]["chunks"] + 300
    printed = out.getvalue()
    assert "plain LangChain recipe" in printed and "source hit@5" in printed and "Scale" in printed
