"""The one object both faces (HTTP API and chat UI) talk to: it owns the process's Assistant,
created by `warm()` when the server starts (loading the model costs seconds) or else on the first
question, and the store it reads.

Uploads and deletions go through the same idempotent ingest pipeline as the CLI and write into
the very Chroma collection the Assistant searches (a deletion moves the source to the store's
trash, ingest/trash.py, and never touches the curated corpus); the keyword index reloads itself
when the pipeline switches it, so the next question sees the change."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.answer import Answer
from assistant.chain import Assistant
from assistant.timeline import Timeline, TimelineBook
from desk.errors import DeskError, Forbidden, StoreMissing, UnsupportedFileType, UploadConflict, UploadTooLarge
from desk.jsonl import append_line
from desk.settings import Settings
from ingest import language
from ingest.documents import SourceDocument, SourceMeta
from ingest.loaders import SUPPORTED_SUFFIXES, ArchiveLimits, load
from ingest.manifest import Manifest
from ingest.pipeline import IngestSummary
from ingest.source_texts import SourceTexts
from ingest.store import ChunkStore
from ingest.trash import Trash, Trashed, is_protected, uploads_dir


_log = logging.getLogger("desk.api")


def _quietly(part: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            part()
        except Exception:  # noqa: BLE001 — the warm-up's own call to the part raises it again, and says so
            pass

    return run


@dataclass(frozen=True)
class Upload:
    """A file as received: the client's name (untrusted) and its bytes."""

    name: str
    data: bytes


class Desk:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.texts = SourceTexts(settings.index_dir)
        self.timeline_book = TimelineBook(settings.index_dir)
        self._assistant: Assistant | None = None
        self._store: ChunkStore | None = None
        self._lock = threading.RLock()  # re-entered: assistant() opens the store inside it
        self._write_lock = threading.Lock()  # uploads and deletions one at a time
        self._feedback_lock = threading.Lock()
        # Told of every answer any face gives (the metrics count abstentions this way).
        self.answer_listeners: list[Callable[[Answer], None]] = []
        self.warm_error: str | None = None  # why warm() failed, for /api/health
        self._warming: threading.Thread | None = None

    # -- reading --------------------------------------------------------------------------

    def assistant(self) -> Assistant:
        """The process's Assistant; a failed start (no store yet) is not cached, so a later call
        succeeds once the store exists."""
        if self._assistant is None:
            with self._lock:
                if self._assistant is None:
                    from assistant.retriever import HybridRetriever

                    retriever = HybridRetriever(settings=self.settings, k=self.settings.top_k, store=self._open_store(create=False))
                    self._assistant = Assistant(self.settings, retriever=retriever)
        return self._assistant

    def warm(self) -> None:
        """Open the store, load the model and the keyword index now, so that the first question
        doesn't wait for them. A failure (no store yet) is kept for /api/health; the next
        question tries again."""
        # The language identifier and the embedding session load in threads of their own,
        # beside the store's opening (Chroma's imports, ~0.7 s of pure Python): the first is
        # mostly file reading and the second ONNX Runtime's C++, both free of the GIL for most
        # of their time. A failure there shows again, and is reported, where the question
        # below needs the part.
        parts = (("language", lambda: language.preload(self.settings.model_cache_dir)), ("embedder", self._load_embedder))
        for name, part in parts:
            threading.Thread(target=_quietly(part), name=f"desk-warm-{name}", daemon=True).start()
        try:
            # A whole answer, not only a search: the first user's question then finds every lazy
            # part (model session, keyword index, answer model, composer) loaded and runs as fast
            # as any later one.
            self.assistant().ask("When does a withdrawal from the Ottawa Convention take effect?")
            self.warm_error = None
        except DeskError as exc:
            self.warm_error = str(exc)
        except Exception as exc:  # a broken model folder: health must say so, not stay "starting"
            _log.exception("warming the desk failed")
            self.warm_error = f"the desk could not start: {exc}"

    def _load_embedder(self) -> None:
        from ingest.embedders import get_embedder

        get_embedder(self.settings).embed_query("warm-up")

    def warm_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.warm, name="desk-warm", daemon=True)
        self._warming = thread
        thread.start()
        return thread

    @property
    def warming(self) -> bool:
        """The start-up warm-up is still running. The model is loaded early in it, but until
        its whole answer is done a first question would still pay for the rest (measured: 0.8 s
        against 0.08 s warm), so health keeps saying "starting"."""
        return self._warming is not None and self._warming.is_alive()

    @property
    def assistant_ready(self) -> bool:
        return self._assistant is not None

    @property
    def model_loaded(self) -> bool:
        from ingest.embedders import get_embedder

        return bool(getattr(get_embedder(self.settings), "loaded", False))

    def store(self) -> ChunkStore:
        """The existing store (StoreMissing if none has been built)."""
        return self._open_store(create=False)

    def _open_store(self, create: bool) -> ChunkStore:
        # One store object per process: the Assistant and the ingest of uploads share it.
        if self._store is None:
            with self._lock:
                if self._store is None:
                    from ingest.embedders import get_embedder
                    from ingest.store import ChromaChunkStore

                    self._store = ChromaChunkStore(self.settings, get_embedder(self.settings), create=create)
        return self._store

    def sources(self) -> list[SourceMeta]:
        return self.texts.all_meta()

    def source(self, source_id: str) -> SourceDocument:
        return self.texts.load(source_id)

    def timeline(self, countries: list[str] | None = None) -> Timeline:
        """The withdrawal steps table (no model needed); StoreMissing before the first ingest."""
        if not self.timeline_book.exists():
            raise StoreMissing(f"no store at {self.settings.store} yet; build it with `python -m ingest corpus --store {self.settings.store}`")
        return self.timeline_book.timeline(countries)

    def document_count(self) -> int:
        return len(Manifest.load(self.settings.index_dir).entries)

    def chunk_count(self) -> int:
        return len(Manifest.load(self.settings.index_dir).chunk_ids())

    def answered(self, answer: Answer) -> None:
        """Every face calls this with each answer it gives."""
        for listener in self.answer_listeners:
            listener(answer)

    # -- writing --------------------------------------------------------------------------

    @property
    def uploads_dir(self) -> Path:
        return uploads_dir(self.settings)

    def check_upload(self, upload: Upload) -> tuple[str, SourceDocument]:
        """The file's safe name and its parsed document, or the DeskError that refuses it. Type
        is checked by extension and by content (a PNG renamed .pdf is refused)."""
        if not self.settings.allow_uploads:
            raise Forbidden("uploads are switched off on this server (DESK_ALLOW_UPLOADS=false)")
        if len(upload.data) > self.settings.max_upload_bytes:
            # Only limit + 1 bytes were read (api/documents.py): the file's real size is unknown.
            raise UploadTooLarge(
                f"{safe_file_name(upload.name)} is larger than the limit of {self.settings.max_upload_bytes:,} bytes per file"
            )
        name = safe_file_name(upload.name)
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise UnsupportedFileType(name, f"unsupported file type {Path(name).suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}")
        # `load` names the file in its messages: give it the client's name, not a server path.
        return name, load(Path(name), upload.data, name, limits=ArchiveLimits.of(self.settings))

    def ingest_uploads(self, uploads: list[Upload]) -> IngestSummary:
        """Check every file first, then save and ingest them; a refused file changes nothing.

        A file whose bytes are already in the store (under any name) is reported unchanged
        without writing anything."""
        checked = [(upload, *self.check_upload(upload)) for upload in uploads]
        with self._write_lock:
            from ingest.pipeline import Ingestor

            manifest = Manifest.load(self.settings.index_dir)
            known = {entry.sha256: entry.source_id for entry in manifest.entries.values()}
            summary = IngestSummary(store=self.settings.chroma_url or str(self.settings.store))
            planned: dict[Path, bytes] = {}
            claimed: dict[str, str] = {}
            for upload, name, document in checked:
                digest = hashlib.sha256(upload.data).hexdigest()
                if digest in known:
                    summary.unchanged += 1
                    summary.source_ids.append(known[digest])
                    continue
                target = (self.uploads_dir / name).resolve()
                source_id = document.meta.id
                owner = manifest.entries.get(source_id)
                # The pipeline would refuse a second file with a taken id; say so before writing.
                if owner is not None and owner.path != str(target):
                    raise UploadConflict(f"{name}: source id {source_id!r} is already used by {Path(owner.path).name}; "
                                         "give the file another id (front matter `id:`) or delete that source first")
                if claimed.setdefault(source_id, name) != name:
                    raise UploadConflict(f"{name} and {claimed[source_id]} both have the source id {source_id!r}")
                planned[target] = upload.data
            if planned:
                for target, data in planned.items():
                    _atomic_write(target, data)
                # Never fork the server: other threads may be inside the model or the store,
                # and a child copies their locks as they are. Uploads are a few files anyway.
                in_thread = self.settings.model_copy(update={"ingest_fork": False})
                result = Ingestor(in_thread, store=self._open_store(create=True)).run(list(planned), prune=False)
                if result.failed:  # another worker took the id meanwhile (checks above are per process)
                    # Don't leave a copy the store doesn't know: remove what no manifest entry lists.
                    listed = {e.path for e in Manifest.load(self.settings.index_dir).entries.values()}
                    for target in planned:
                        if str(target) not in listed:
                            target.unlink(missing_ok=True)
                    reasons = "; ".join(f"{Path(f.path).name}: {f.reason}" for f in result.failed)
                    raise UploadConflict(f"some files could not be ingested: {reasons}")
                summary = _merge(summary, result)
            else:
                summary.chunks_total = len(manifest.chunk_ids())
        return summary

    def remove(self, source_id: str, by: str) -> int:
        """Move a source (never one of the curated corpus) to the trash; the chunk count left.
        `by` names who asked, for the audit log."""
        if not self.settings.allow_delete:
            raise Forbidden("deleting documents is switched off on this server (DESK_ALLOW_DELETE=false)")
        with self._write_lock:
            return self.trash().delete(source_id, by)

    def restore(self, source_id: str, by: str) -> IngestSummary:
        """Bring a deleted source back from the trash."""
        if not self.settings.allow_delete:
            raise Forbidden("deleting and restoring documents is switched off on this server (DESK_ALLOW_DELETE=false)")
        with self._write_lock:
            return self.trash().restore(source_id, by)

    def trash(self) -> Trash:
        return Trash(self.settings, store=self._open_store(create=True))

    def trashed(self) -> list[Trashed]:
        return Trash(self.settings).list()

    def is_protected(self, source_id: str) -> bool:
        return source_id in self.protected_ids()

    def protected_ids(self) -> set[str]:
        """The sources of the curated corpus folder, which no API or UI call may delete."""
        entries = Manifest.load(self.settings.index_dir).entries.values()
        return {e.source_id for e in entries if is_protected(self.settings, e)}

    def record_feedback(self, record: dict[str, Any]) -> None:
        """Append one JSON line, whole, even with several API workers writing the same file."""
        line = json.dumps({"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **record}, ensure_ascii=False)
        with self._feedback_lock:  # threads of this process queue here, not on the file lock
            append_line(self.settings.feedback_file, line)


def safe_file_name(name: str) -> str:
    """A plain file name for the uploads folder: the last path component of whatever the client
    sent (both / and \\ separators), letters, digits, '.', '_' and '-' only, never hidden."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-._")[:120] or "upload"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    tmp.replace(path)


def _merge(ours: IngestSummary, theirs: IngestSummary) -> IngestSummary:
    theirs.unchanged += ours.unchanged
    theirs.source_ids = ours.source_ids + theirs.source_ids
    return theirs

