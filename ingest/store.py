"""The chunk store: a protocol any backend satisfies, and its Chroma implementation.

Chroma runs embedded (`PersistentClient` on the store folder) by default, or as a server
(`HttpClient`) when a URL is configured. Vectors always come from our embedder, passed on every
open, so Chroma never falls back to its own default model (which would try to download)."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np
from langchain_core.embeddings import Embeddings

from desk.errors import ConfigError, StoreMissing, StoreUnavailable
from desk.settings import Settings
from ingest.documents import Chunk
from ingest.keyword_index import atomic_write_text

Where = dict[str, Any]
PassageVectors = tuple[np.ndarray, np.ndarray]  # a passage's vector and its sentences' (one row each)

# The store's generation, beside the keyword index; rewritten by every write of records.
_GENERATION = "store-generation"
# Chunks kept in memory by a reader: ~3 KB each, so some 25 MB at most.
_CACHED_CHUNKS = 8192


class ChunkStore(Protocol):
    """What ingest writes and the assistant reads. Contract tests in tests/ingest/test_store.py
    run against every implementation."""

    def count(self) -> int: ...

    def ids(self, where: Where | None = None) -> set[str]: ...

    def embed(self, chunks: Sequence[Chunk]) -> list[PassageVectors]: ...

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[PassageVectors] | None = None) -> None: ...

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def update_metadata(self, chunks: Sequence[Chunk]) -> None: ...

    def delete(self, ids: Iterable[str]) -> None: ...

    def get(self, ids: Sequence[str]) -> list[Chunk]: ...

    def iter_texts(self, batch: int = 1000) -> Iterator[tuple[list[str], list[str]]]: ...

    def search(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[tuple[Chunk, float]]:
        """Up to k (chunk, cosine similarity) pairs, most similar first."""
        ...

    def heartbeat(self) -> None: ...


# One insert thread: Chroma's default (a thread per core) took the core the embedding model runs
# on during ingest (ingest / raw encode 0.70 -> 0.74 in one probe) and, in a server, the cores the
# other workers answer on; inserts are also deterministic then.
# Wide graph search: at this corpus's size (hundreds to thousands of passages) it returns the
# exact nearest neighbours, so two stores built from the same corpus rank alike and the answer
# model rebuilt from either is the same; the cost per query stays under a millisecond.
HNSW = {"space": "cosine", "ef_construction": 400, "ef_search": 400, "max_neighbors": 32, "num_threads": 1}
# The sentence vectors are only ever read by chunk id, never searched, yet Chroma indexes every
# vector it holds: a small graph makes their writes cheaper (the shipped corpus's 787 sentences:
# 0.06 s of CPU against 0.16 s with the wide one; the gap grows with the store). A store made
# before keeps the graph it was made with (Chroma keeps a collection's configuration).
SENTENCE_HNSW = {"space": "cosine", "ef_construction": 8, "ef_search": 8, "max_neighbors": 4, "num_threads": 1}


class ChromaChunkStore:
    def __init__(self, settings: Settings, embedder: Embeddings, create: bool = True):
        from langchain_chroma import Chroma

        self.settings = settings
        self.embedder = embedder
        self.client = make_client(settings, create=create)
        model = getattr(embedder, "name", type(embedder).__name__)
        try:
            if not create and settings.collection not in {c.name for c in self.client.list_collections()}:
                raise StoreMissing(
                    f"no collection {settings.collection!r} in the store at {describe(settings)}; "
                    "build it with `python -m ingest corpus` (or `make run`)"
                )
            self.vectors = Chroma(
                client=self.client,
                collection_name=settings.collection,
                embedding_function=embedder,
                collection_configuration={"hnsw": HNSW},
                collection_metadata={"embedding_model": model},
            )
            stored_model = (self.vectors._collection.metadata or {}).get("embedding_model")
            # Sentence vectors live in a sibling collection: Chroma has one vector per record.
            self._sentences = self.client.get_or_create_collection(
                f"{settings.collection}_sentences",
                embedding_function=None,
                configuration={"hnsw": SENTENCE_HNSW},
                metadata={"embedding_model": model},
            )
        except StoreMissing:
            raise
        except Exception as exc:  # chromadb raises many types for a broken or absent store
            raise _unavailable(settings, exc) from exc
        self._generation_file = settings.index_dir / _GENERATION
        self._chunks: OrderedDict[str, tuple[str | None, Chunk]] = OrderedDict()  # id -> (generation read, chunk), least recent first
        self._chunks_lock = threading.Lock()  # the API answers in a thread pool
        if stored_model and stored_model != model:
            raise ConfigError(
                f"the store at {describe(settings)} holds vectors of {stored_model}, not {model}; "
                "rebuild it into an empty store folder or set DESK_EMBEDDING_MODEL back"
            )

    @property
    def _collection(self):
        return self.vectors._collection

    def count(self) -> int:
        return self._guard(self._collection.count)

    def ids(self, where: Where | None = None) -> set[str]:
        out: set[str] = set()
        offset, page = 0, 5000
        while True:
            batch = self._guard(lambda: self._collection.get(where=where or None, include=[], limit=page, offset=offset))["ids"]
            out.update(batch)
            if len(batch) < page:
                return out
            offset += page

    def embed(self, chunks: Sequence[Chunk]) -> list[PassageVectors]:
        """The vectors `add` stores for each chunk. The embedded text is the passage in its
        title and heading context; sentence spans are shifted by that prefix so each sentence
        gets its contextual vector."""
        if not chunks:
            return []
        texts = [c.embedding_text() for c in chunks]
        spans = []
        for chunk, text in zip(chunks, texts):
            shift = len(text) - len(chunk.text)
            spans.append([(shift + s, shift + e) for s, e in chunk.sentences])
        passages, sentences = self.embedder.embed_passages(texts, spans)
        return list(zip(passages, sentences))

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[PassageVectors] | None = None) -> None:
        """Upsert chunks with their vectors: `vectors` from `embed` (ingest embeds the next batch
        while it writes this one), or embedded here."""
        if not chunks:
            return
        embedded = self.embed(chunks) if vectors is None else vectors
        texts = [c.embedding_text() for c in chunks]
        passages = np.asarray([passage for passage, _ in embedded])
        sentence_vectors = [sentences for _, sentences in embedded]
        ids = [c.id for c in chunks]
        s_ids, s_vectors, s_meta = [], [], []
        for chunk_id, vecs in zip(ids, sentence_vectors):
            for i, vec in enumerate(vecs):
                s_ids.append(f"{chunk_id}:{i}")
                s_vectors.append(vec)
                s_meta.append({"chunk_id": chunk_id, "i": i})
        # Sentences first, the chunk record last: a chunk record is the commit mark of all its
        # vectors. Ingest reuses any chunk already in the store, so a kill between the two writes
        # must leave the chunk absent (re-embedded next run), never present without sentences.
        # (delete() goes the other way round for the same reason.)
        if s_ids:
            self._guard(lambda: self._sentences.upsert(ids=s_ids, embeddings=np.asarray(s_vectors), metadatas=s_meta))
        self._guard(lambda: self._collection.upsert(ids=ids, embeddings=passages, documents=texts, metadatas=[c.to_metadata() for c in chunks]))
        self._changed()

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not chunk_ids:
            return {}
        found = self._guard(
            lambda: self._sentences.get(where={"chunk_id": {"$in": list(chunk_ids)}}, include=["embeddings", "metadatas"])
        )
        grouped: dict[str, list[tuple[int, np.ndarray]]] = {}
        for meta, vector in zip(found["metadatas"], found["embeddings"]):
            grouped.setdefault(meta["chunk_id"], []).append((meta["i"], vector))
        return {cid: np.asarray([v for _, v in sorted(items, key=lambda t: t[0])], dtype=np.float32) for cid, items in grouped.items()}

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        """Refresh spans of unchanged passages in a changed file, without re-embedding."""
        if chunks:
            self._guard(lambda: self._collection.update(ids=[c.id for c in chunks], metadatas=[c.to_metadata() for c in chunks]))
            self._changed()

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), 5000):
            part = ids[i : i + 5000]
            # The chunk record first: once it is gone the chunk is never reused, so sentence rows a
            # kill leaves behind are unreachable (and overwritten if the passage comes back).
            self._guard(lambda: self._collection.delete(ids=part))
            self._guard(lambda: self._sentences.delete(where={"chunk_id": {"$in": part}}))
        if ids:
            self._changed()

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        if not ids:
            return []
        by_id = self._chunks_by_id(ids)
        return [by_id[i] for i in ids if i in by_id]

    def iter_texts(self, batch: int = 1000) -> Iterator[tuple[list[str], list[str]]]:
        """All (ids, embedded texts) in pages: what the keyword index is built from."""
        offset = 0
        while True:
            page = self._guard(lambda: self._collection.get(include=["documents"], limit=batch, offset=offset))
            if page["ids"]:
                yield page["ids"], page["documents"]
            if len(page["ids"]) < batch:
                return
            offset += batch

    def search(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[tuple[Chunk, float]]:
        # Ids and distances only, the chunks from _chunks_by_id: reading 40 records' metadata
        # was most of a search's cost, and the same passages come back query after query.
        generation = self._generation()
        hits = self._guard(
            lambda: self._collection.query(
                query_embeddings=[np.asarray(vector, dtype=float).tolist()], n_results=k, where=where or None, include=["distances"]
            )
        )
        ids, distances = hits["ids"][0], hits["distances"][0]
        by_id = self._chunks_by_id(ids, generation)
        # Chroma's distances are cosine distances (lower = closer); callers rank and weight by
        # similarity, so return cosine similarity (higher = closer).
        return [(by_id[i], 1.0 - float(distance)) for i, distance in zip(ids, distances) if i in by_id]

    def _chunks_by_id(self, ids: Sequence[str], generation: str | None = None) -> dict[str, Chunk]:
        """The chunks of `ids` that are in the store, from memory where this store has not been
        written since they were read. A chunk's text is fixed by its id but its metadata is not
        (update_metadata moves spans, a source's date can change), hence the generation: every
        write replaces it, and a chunk read under another generation is read again."""
        generation = self._generation() if generation is None else generation
        with self._chunks_lock:
            found = {i: entry[1] for i in ids if (entry := self._chunks.get(i)) is not None and entry[0] == generation}
            for i in found:
                self._chunks.move_to_end(i)
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            read = self._guard(lambda: self._collection.get(ids=missing, include=["metadatas"]))
            fetched = {i: Chunk.from_metadata(m) for i, m in zip(read["ids"], read["metadatas"])}
            with self._chunks_lock:
                for i, chunk in fetched.items():
                    self._chunks[i] = (generation, chunk)
                    self._chunks.move_to_end(i)
                while len(self._chunks) > _CACHED_CHUNKS:
                    self._chunks.popitem(last=False)
            found.update(fetched)
        return found

    def _generation(self) -> str | None:
        # A file's content, not its stat: a few bytes per query, and no clock granularity or
        # reused inode can make two generations look alike.
        try:
            return self._generation_file.read_text()
        except OSError:
            return None

    def _changed(self) -> None:
        """After every write of records: readers in this and other processes (API workers over
        one Chroma server, an ingest beside a running server) re-read the chunks they hold."""
        atomic_write_text(self._generation_file, uuid.uuid4().hex)

    def heartbeat(self) -> None:
        self._guard(self.client.heartbeat)

    def _guard(self, call):
        try:
            return call()
        except (StoreMissing, ConfigError):
            raise
        except Exception as exc:
            raise _unavailable(self.settings, exc) from exc


def make_client(settings: Settings, create: bool = True):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ConfigError(f"DESK_CHROMA_URL {settings.chroma_url!r} is not an http(s) URL")
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        if not create and not (settings.store / "chroma.sqlite3").is_file():
            raise StoreMissing(
                f"no store at {settings.store}; build it with `python -m ingest corpus --store {settings.store}` (or `make run`)"
            )
        settings.store.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store), settings=chroma_settings)
    except (ConfigError, StoreMissing):
        raise
    except Exception as exc:
        raise _unavailable(settings, exc) from exc


def describe(settings: Settings) -> str:
    return settings.chroma_url or str(settings.store)


def _unavailable(settings: Settings, exc: Exception) -> StoreUnavailable | StoreMissing:
    reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    if settings.chroma_url:
        return StoreUnavailable(
            f"the Chroma server at {settings.chroma_url} is not reachable ({reason}); "
            "start it (`chroma run --path DIR`) or unset DESK_CHROMA_URL to use the embedded store"
        )
    return StoreMissing(
        f"the store at {settings.store} can't be opened ({reason}); "
        f"it may be corrupt: move it aside and rebuild with `python -m ingest corpus --store {settings.store}`"
    )
