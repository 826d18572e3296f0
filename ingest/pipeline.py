"""Ingest files into the store: load, split, embed only what is new, upsert, prune, index.

Idempotent and incremental: chunk ids are content hashes, so an unchanged corpus embeds and
writes nothing; a changed file embeds only its changed passages and drops its stale ones; a file
gone from an ingested folder takes its chunks with it. One bad file is reported and skipped."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock
from tqdm import tqdm

from desk.errors import LoadError
from desk.settings import Settings
from ingest.documents import Chunk, SourceDocument
from ingest.embed_worker import EmbedWorker, can_fork, process_count
from ingest.embedders import get_embedder
from ingest.keyword_index import TOKENIZER_VERSION, KeywordIndex, pointer_fingerprint
from ingest.loaders import SUPPORTED_SUFFIXES, ArchiveLimits, load
from ingest.manifest import Entry, Manifest
from ingest.source_texts import SourceTexts
from ingest.splitter import SPLITTER_VERSION, iter_split, split
from ingest.store import ChromaChunkStore, ChunkStore, PassageVectors
from ingest.timeline import StepEvent, TimelineStore
from ingest.timeline import extract as extract_steps

SKIPPED_NAMES = {"README.md"}  # a folder's README describes the corpus; it is not a source
# Batches a forked model may run ahead of the store's writes: enough that it never waits for
# one, few enough that the vectors held stay small.
_AHEAD = 4


@dataclass
class FileFailure:
    path: str
    reason: str


@dataclass
class IngestSummary:
    store: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[FileFailure] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_removed: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    source_ids: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 2 if self.failed else 0

    def to_dict(self) -> dict:
        return asdict(self)


_Part = tuple[list[str], Future]  # chunk ids handed to the model, and their vectors to come


@dataclass
class _Prepared:
    """A file read and split, waiting for its new passages to be embedded with others'."""

    key: str
    digest: str
    document: SourceDocument
    chunks: list[Chunk]
    old: Entry | None
    # Passages already with the model, sent while the file was still being split: (ids, vectors).
    sent: list[_Part] = field(default_factory=list)


def recipe(settings: Settings) -> str:
    """How files are turned into chunks; a file ingested under another recipe is re-split."""
    return f"splitter {SPLITTER_VERSION}, max {settings.chunk_max_chars}, min {settings.chunk_min_chars}"


def fingerprint(chunk_ids: Iterable[str]) -> str:
    content = "\n".join([f"tokenizer {TOKENIZER_VERSION}", *sorted(chunk_ids)])
    return hashlib.sha256(content.encode()).hexdigest()[:32]


class Ingestor:
    def __init__(self, settings: Settings, store: ChunkStore | None = None):
        self.settings = settings
        self.index_dir = settings.index_dir
        self.index_dir.mkdir(parents=True, exist_ok=True)
        self.store = store or ChromaChunkStore(settings, get_embedder(settings))
        self.texts = SourceTexts(self.index_dir)
        # One writer at a time per store folder (API uploads and a CLI ingest may overlap).
        self.lock = FileLock(str(self.index_dir / "ingest.lock"))
        # The committing thread and the preparing one both read and write the manifest and the
        # set of stored ids; each holds this while it does (never while embedding or splitting).
        self._books = threading.Lock()
        self._split_now: dict[str, tuple[SourceDocument, list[Chunk]]] = {}  # this run's splits, for the timeline and the keyword index
        self._steps_now: dict[str, list[StepEvent]] = {}  # their withdrawal steps, when read ahead

    def run(self, paths: Sequence[Path], prune: bool = True, progress: bool = False) -> IngestSummary:
        started = time.perf_counter()
        summary = IngestSummary(store=self.settings.chroma_url or str(self.settings.store))
        self._split_now = {}
        self._steps_now = {}
        with self.lock:
            sweep_partial_writes(self.index_dir)
            manifest = Manifest.load(self.index_dir)
            in_store = self.store.ids()
            files, folders = self._discover(paths, summary)
            seen: dict[str, str] = {}
            bar = tqdm(files, desc="files", unit="file", disable=not progress, leave=False)
            embedding = tqdm(desc="embedding", unit="chunk", disable=not progress, leave=False)
            pending: list[_Prepared] = []
            prepared_now: list[_Prepared] = []
            # A pipeline of three: this thread reads and splits files; the model embeds a batch
            # of them; a committing thread writes each embedded batch to the store and records
            # its files, one batch at a time in file order, so a killed run leaves the manifest a
            # sequential one would. With several files the model runs in a forked process
            # (`ingest.embed_worker`): Chroma's embedded writes hold the GIL for their whole
            # call, and a model thread here waited out each of them (~0.7 s per fresh ingest of
            # the corpus). Otherwise (one file, or a backend whose batched calls leave the GIL
            # free for long stretches) it runs in a thread.
            model = get_embedder(self.settings)
            fork = self.settings.ingest_fork and len(files) > 1 and can_fork() and model.embeds_in_child
            size = self.settings.embedding_batch_size * (1 if fork else 4)
            ahead = _AHEAD if fork else 1
            with (ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-embed") as thread,
                  ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-commit") as committer,
                  ExitStack() as stack):
                worker: EmbedWorker | None = None
                commits: deque[Future] = deque()

                def send(chunks: list[Chunk]) -> _Part:
                    nonlocal worker
                    if fork and worker is None:
                        processes = process_count(self.settings.ingest_processes, self.settings.torch_threads)
                        worker = stack.enter_context(EmbedWorker(self.store, model, processes))
                    vectors = worker.submit(chunks) if worker is not None else thread.submit(self.store.embed, chunks)
                    return [c.id for c in chunks], vectors

                def submit(batch: list[_Prepared]) -> None:
                    parts = [part for item in batch for part in item.sent]
                    sent = {chunk_id for ids, _ in parts for chunk_id in ids}
                    rest = [c for c in self._new_chunks(batch, in_store) if c.id not in sent]
                    if rest:
                        parts.append(send(rest))
                    while len(commits) >= ahead:  # bound the vectors held in memory
                        commits.popleft().result()
                    commits.append(committer.submit(self._commit, batch, parts, manifest, in_store, summary, embedding))

                for path in bar:
                    bar.set_postfix_str(path.name[-40:])
                    # Until a first batch is out the model has nothing to do: the file being split
                    # then goes to it in parts as they are cut (the treaty, first in the corpus,
                    # took ~0.25 s to split, a head that nothing overlapped).
                    early = send if fork and not commits and not pending else None
                    prepared = self._prepare(path, manifest, in_store, seen, summary, early, size)
                    if prepared:
                        pending.append(prepared)
                        prepared_now.append(prepared)
                    if sum(len(p.chunks) for p in pending) >= size:
                        submit(pending)
                        pending = []
                if pending:
                    # The last write is the one nothing overlaps: file by file, it is one file's
                    # (a whole batch's upsert took ~0.16 s of a 0.28 s tail after the model's last batch).
                    for last in [[item] for item in pending] if fork else [pending]:
                        submit(last)
                if worker is not None:
                    # Idle until the model catches up: do now what the indexes would do after it.
                    self._read_ahead(prepared_now)
                while commits:
                    commits.popleft().result()
            embedding.close()
            if prune:
                self._prune(manifest, folders, seen, summary)
            orphans = self.store.ids() - manifest.chunk_ids()
            if orphans:  # left by a killed run, or written by hand: the store must equal the manifest
                self.store.delete(orphans)
            self._refresh_keyword_index(manifest)
            self._refresh_timeline(manifest)
            summary.chunks_total = len(manifest.chunk_ids())
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary

    def remove(self, source_id: str) -> bool:
        """Delete one source and its chunks; True if it existed."""
        with self.lock:
            manifest = Manifest.load(self.index_dir)
            entry = manifest.entries.pop(source_id, None)
            if entry is None:
                return False
            self.store.delete(entry.chunk_ids)
            self.texts.delete(source_id)
            manifest.save()
            self._refresh_keyword_index(manifest)
            self._refresh_timeline(manifest)
            return True

    # -- steps ------------------------------------------------------------------------------

    def _discover(self, paths: Sequence[Path], summary: IngestSummary) -> tuple[list[Path], list[Path]]:
        files: list[Path] = []
        folders: list[Path] = []
        for raw in paths:
            path = Path(raw).resolve()
            if path.is_dir():
                folders.append(path)
                files.extend(
                    p
                    for p in sorted(path.rglob("*"))
                    if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and p.name not in SKIPPED_NAMES
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            elif path.is_file():
                files.append(path)
            else:
                summary.failed.append(FileFailure(str(raw), "no such file or folder"))
        return files, folders

    def _prepare(self, path: Path, manifest: Manifest, in_store: set[str], seen: dict[str, str], summary: IngestSummary,
                 early: Callable[[list[Chunk]], _Part] | None = None, part_size: int = 0) -> _Prepared | None:
        """Read, check and split one file; None when it is unchanged or can't be read. With
        `early`, each `part_size` new passages are handed to it as soon as they are cut."""
        key = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            summary.failed.append(FileFailure(key, f"cannot read file ({exc.strerror})"))
            return None
        digest = hashlib.sha256(data).hexdigest()
        with self._books:
            previous = manifest.by_path(key)
            current = (
                previous
                and previous.sha256 == digest
                and previous.recipe == recipe(self.settings)
                and set(previous.chunk_ids) <= in_store
                and self.texts.exists(previous.source_id)
            )
        if current:
            seen[previous.source_id] = key
            summary.unchanged += 1
            return None
        try:
            document = load(path, data, limits=ArchiveLimits.of(self.settings))
        except LoadError as exc:
            if previous:  # keep what the file said last time rather than losing it
                seen[previous.source_id] = key
            summary.failed.append(FileFailure(key, exc.reason))
            return None
        source_id = document.meta.id
        with self._books:
            other = seen.get(source_id) or (manifest.entries[source_id].path if source_id in manifest.entries else None)
            if other and other != key and (source_id in seen or Path(other).exists()):
                summary.failed.append(FileFailure(key, f"source id {source_id!r} is already used by {other}; give this file another id"))
                return None
            seen[source_id] = key
            if previous and previous.source_id != source_id:  # the file's id changed: drop the old source
                self._drop(manifest, previous.source_id, summary)
            old = manifest.entries.get(source_id)
        chunks: list[Chunk] = []
        sent: list[_Part] = []
        waiting: list[Chunk] = []
        for chunk in iter_split(document, self.settings.chunk_max_chars, self.settings.chunk_min_chars):
            chunks.append(chunk)
            if early is None:
                continue
            with self._books:
                if chunk.id not in in_store:
                    waiting.append(chunk)
            if len(waiting) >= part_size:
                sent.append(early(waiting))
                waiting = []
        return _Prepared(key, digest, document, chunks, old, sent)

    def _new_chunks(self, batch: list[_Prepared], in_store: set[str]) -> list[Chunk]:
        """The passages of several files that the store lacks, to embed together (per-file
        batches of a few passages left a batching model a third idle)."""
        with self._books:
            return list({c.id: c for item in batch for c in item.chunks if c.id not in in_store}.values())

    def _commit(self, batch: list[_Prepared], parts: list[_Part], manifest: Manifest, in_store: set[str],
                summary: IngestSummary, bar) -> None:
        """Store the new passages of several files, each part as soon as the model returns its
        vectors, then record each file; the manifest is written only once its files' chunks are
        stored, so a killed run resumes from there (and drops what it stored beyond it)."""
        with self._books:
            new_chunks = {c.id: c for item in batch for c in item.chunks if c.id not in in_store}
        for ids, vectors in parts:
            embedded = dict(zip(ids, vectors.result()))
            self._add([new_chunks.pop(i) for i in ids if i in new_chunks], embedded, bar)
        # Embedded ahead against the store as it was then: a passage that a batch recorded since
        # has deleted (a source's old passages, should a later file bring them back) is embedded now.
        late = list(new_chunks.values())
        self._add(late, dict(zip((c.id for c in late), self.store.embed(late))), bar)
        with self._books:
            self._record(batch, manifest, in_store, summary)

    def _add(self, chunks: list[Chunk], vectors: dict[str, PassageVectors], bar) -> None:
        size = self.settings.embedding_batch_size * 4
        for i in range(0, len(chunks), size):
            part = chunks[i : i + size]
            self.store.add(part, [vectors[c.id] for c in part])
            bar.update(len(part))

    def _read_ahead(self, prepared: list[_Prepared]) -> None:
        """While a forked model embeds the last batches: the withdrawal steps of this run's
        files, and their passages' keyword tokens (cached), which the indexes read after it."""
        for item in prepared:
            self._steps_now[item.document.meta.id] = extract_steps(item.document, item.chunks)
        KeywordIndex.read_ahead(c.embedding_text() for item in prepared for c in item.chunks)

    def _record(self, batch: list[_Prepared], manifest: Manifest, in_store: set[str], summary: IngestSummary) -> None:
        for item in batch:
            ids = {c.id for c in item.chunks}
            self.store.update_metadata([c for c in item.chunks if c.id in in_store])
            old_ids = set(item.old.chunk_ids) if item.old else set()
            stale = old_ids - ids
            self.store.delete(stale)
            embedded = len(ids - in_store)
            in_store.update(ids)
            in_store.difference_update(stale)
            self.texts.save(item.document)
            source_id = item.document.meta.id
            manifest.entries[source_id] = Entry(
                source_id=source_id,
                path=item.key,
                sha256=item.digest,
                chunk_ids=[c.id for c in item.chunks],
                ingested_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                title=item.document.meta.title,
                recipe=recipe(self.settings),
            )
            self._split_now[source_id] = (item.document, item.chunks)
            summary.source_ids.append(source_id)
            summary.chunks_embedded += embedded
            summary.chunks_removed += len(stale)
            if item.old:
                summary.updated += 1
            else:
                summary.added += 1
        manifest.save()

    def _prune(self, manifest: Manifest, folders: list[Path], seen: dict[str, str], summary: IngestSummary) -> None:
        for source_id, entry in list(manifest.entries.items()):
            inside = any(Path(entry.path).is_relative_to(folder) for folder in folders)
            if inside and source_id not in seen:
                self._drop(manifest, source_id, summary)
                summary.removed += 1

    def _drop(self, manifest: Manifest, source_id: str, summary: IngestSummary) -> None:
        entry = manifest.entries.pop(source_id)
        self.store.delete(entry.chunk_ids)
        self.texts.delete(source_id)
        summary.chunks_removed += len(entry.chunk_ids)
        manifest.save()

    def _refresh_keyword_index(self, manifest: Manifest) -> None:
        wanted = fingerprint(manifest.chunk_ids())
        if pointer_fingerprint(self.index_dir) == wanted:
            return
        # One order for one corpus, whatever the history of its ingests: source by source (by
        # id), each in document order, so BM25's ties break alike in two stores of the same files.
        ids = list(dict.fromkeys(c for source_id in sorted(manifest.entries) for c in manifest.entries[source_id].chunk_ids))
        # The texts of the passages split in this run are at hand; reading the store's took
        # ~0.1 s of a fresh ingest's tail, after the model's last batch.
        texts = {c.id: c.embedding_text() for _, chunks in self._split_now.values() for c in chunks}
        if any(i not in texts for i in ids):
            for page_ids, page_texts in self.store.iter_texts():
                texts.update(zip(page_ids, page_texts))
        ids = [i for i in ids if i in texts]
        KeywordIndex.build(ids, [texts[i] for i in ids], wanted).save(self.index_dir)

    def _refresh_timeline(self, manifest: Manifest) -> None:
        """The withdrawal steps the sources state: only new or changed sources are read again
        (from their saved text, split as at ingest), so an upload that reports a step joins the
        table and an unchanged corpus reads nothing."""
        table = TimelineStore.load(self.index_dir)
        wanted = {sid: f"{e.sha256} {e.recipe}" for sid, e in manifest.entries.items()}

        def read(source_id: str):
            if source_id in self._split_now:  # split moments ago in this run: don't split it again
                return self._split_now[source_id]
            document = self.texts.load(source_id)
            return document, split(document, self.settings.chunk_max_chars, self.settings.chunk_min_chars)

        if table.refresh(wanted, read, self._steps_now) or not table.path.is_file():
            table.save()


def sweep_partial_writes(index_dir: Path) -> None:
    """Remove the temporary files and folders a killed writer left behind (every write here is
    write-to-temp-then-rename, so a temp name is never a live file). Called with the ingest lock
    held: no other writer can be between its write and its rename."""
    for folder in (index_dir, index_dir / "sources"):
        if not folder.is_dir():
            continue
        for stale in folder.glob(".*.tmp"):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
