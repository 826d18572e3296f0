"""The ONNX Runtime embedder keeps the PyTorch embedder's contract: the same shapes, unit
vectors, the same vectors to within quantisation (passage and per-sentence), and a graph
exported once per cache folder. Marked slow: it exports the real model (seconds) and loads torch
to compare."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ingest import onnx_embedder
from ingest.onnx_embedder import OnnxEmbedder
from tests.paths import REPO_ROOT

pytestmark = pytest.mark.slow

PASSAGES = [
    "Article 20 — Duration and withdrawal. Each State Party shall, in exercising its national sovereignty, have the "
    "right to withdraw from this Convention. Such withdrawal shall take effect six months after the receipt of the "
    "instrument of withdrawal by the Depositary.",
    "The Saeima voted on 16 April 2025 to leave the convention. Sixty-four members voted in favour.",
    "Finland's parliament approved the withdrawal.",
]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch == "." and (i + 1 == len(text) or text[i + 1] == " "):
            spans.append((start, i + 1))
            start = i + 2
    return spans


SPANS = [sentence_spans(t) for t in PASSAGES]


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def torch_embedder():
    from ingest.embedders import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


@pytest.fixture(scope="module", params=["fp32", "int8"])
def onnx(request, cache) -> OnnxEmbedder:
    return OnnxEmbedder("all-MiniLM-L6-v2", variant=request.param, cache_dir=cache)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_vectors_have_the_torch_shape_and_unit_length(onnx, torch_embedder):
    vectors = onnx.encode(PASSAGES)
    assert vectors.shape == torch_embedder.encode(PASSAGES).shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    passages, sentences = onnx.embed_passages(PASSAGES, SPANS)
    assert passages.shape == (3, 384)
    assert [s.shape for s in sentences] == [(len(spans), 384) for spans in SPANS]
    assert all(np.allclose(np.linalg.norm(s, axis=1), 1.0, atol=1e-5) for s in sentences)
    assert len(onnx.embed_query("When did Finland leave?")) == 384


def test_vectors_match_the_torch_embedders(onnx, torch_embedder):
    """Passage vectors, sentence (late-chunking) vectors and query vectors point where the
    PyTorch ones do: fp32 to rounding, int8 to within quantisation."""
    floor = 0.9999 if onnx.variant == "fp32" else 0.98
    passages, sentences = onnx.embed_passages(PASSAGES, SPANS)
    torch_passages, torch_sentences = torch_embedder.embed_passages(PASSAGES, SPANS)
    assert cosines(passages, torch_passages).min() >= floor
    for mine, theirs in zip(sentences, torch_sentences):
        assert cosines(mine, theirs).min() >= floor
    assert cosines(onnx.encode(PASSAGES), torch_embedder.encode(PASSAGES)).min() >= floor
    # A passage's sentence vectors are its own, not copies of the passage vector.
    assert cosines(sentences[0], np.repeat(passages[:1], len(SPANS[0]), axis=0)).max() < 0.999


def test_a_text_has_one_vector_whatever_it_is_embedded_with(onnx):
    """A query's vector equals the stored vector of the same text, so a search score is the
    cosine the user would compute (int8 quantises activations per call: batching texts together
    would let neighbours move each other's vectors)."""
    alone = onnx.encode([PASSAGES[2]])
    together = onnx.encode(PASSAGES)[2:]
    passage, _ = onnx.embed_passages([PASSAGES[2]], [SPANS[2]])
    assert np.allclose(alone, together, atol=1e-6) and np.allclose(alone, passage, atol=1e-6)


def test_a_second_construction_reuses_the_cached_graph(onnx, cache, monkeypatch):
    onnx.encode(["warm"])
    graph = onnx.graph_path
    before = graph.stat().st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("exported again although the graph is cached")

    monkeypatch.setattr(onnx_embedder, "export_fp32", no_export)
    monkeypatch.setattr(onnx_embedder, "quantize_int8", no_export)
    again = OnnxEmbedder("all-MiniLM-L6-v2", variant=onnx.variant, cache_dir=cache)
    assert np.allclose(again.encode(PASSAGES), onnx.encode(PASSAGES))
    assert graph.stat().st_mtime_ns == before
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_a_cached_graph_serves_without_importing_torch(onnx):
    """The cold-start win: with the graph in place, a new process embeds with onnxruntime and
    tokenizers only."""
    onnx.encode(["warm"])
    code = (
        "import sys; from pathlib import Path; from ingest.onnx_embedder import OnnxEmbedder; "
        f"e = OnnxEmbedder('all-MiniLM-L6-v2', variant={onnx.variant!r}, cache_dir=Path({str(onnx.cache_dir)!r})); "
        "e.embed_passages(['A test. Two.'], [[(0, 7), (8, 12)]]); "
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
