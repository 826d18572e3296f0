"""Reversible deletes: a removed source goes to the store's trash folder, whence one call brings
it back, and every delete and restore is one line of the store's audit log.

The curated corpus (files under `settings.corpus`) is protected: only its files decide what it
holds, so it is changed by deleting a file and re-running ingest, never by an API call. Anything
else (uploads, files ingested from other folders) can be deleted.

Layout, beside the manifest (`settings.index_dir`):

    trash/<source id>/record.json   manifest entry, source text and metadata, who and when
    trash/<source id>/<file name>   the file's bytes (an upload's own copy is moved here)
    audit.jsonl                     {"at", "action": "delete" | "restore", "source_id", "by"}

A restore re-ingests the saved file: its chunks were removed from the store (search must not
find them), so they are embedded again, which takes well under a second for an upload."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from desk.errors import NotInTrash, ProtectedSource, RestoreConflict, SourceNotFound
from desk.jsonl import append_line
from desk.settings import Settings
from ingest.keyword_index import atomic_write_text
from ingest.manifest import Entry, Manifest
from ingest.pipeline import IngestSummary, Ingestor
from ingest.store import ChunkStore

_RECORD = "record.json"


@dataclass(frozen=True)
class Trashed:
    """One source in the trash."""

    source_id: str
    title: str
    file: str  # the file's name, never a server path
    deleted_at: str
    deleted_by: str


@dataclass(frozen=True)
class AuditEntry:
    at: str
    action: str
    source_id: str
    by: str


def uploads_dir(settings: Settings) -> Path:
    return (settings.index_dir / "uploads").resolve()


def is_protected(settings: Settings, entry: Entry) -> bool:
    """Whether the source came from the configured corpus folder."""
    return Path(entry.path).resolve().is_relative_to(settings.corpus.resolve())


class Trash:
    def __init__(self, settings: Settings, store: ChunkStore | None = None):
        self.settings = settings
        self.directory = settings.index_dir / "trash"
        self.audit_file = settings.index_dir / "audit.jsonl"
        self._store = store

    def _ingestor(self) -> Ingestor:
        return Ingestor(self.settings, store=self._store)

    # -- reading ----------------------------------------------------------------------------

    def list(self) -> list[Trashed]:
        if not self.directory.is_dir():
            return []
        items = [self._record(folder.name) for folder in sorted(self.directory.iterdir()) if (folder / _RECORD).is_file()]
        return sorted((Trashed(**item["trashed"]) for item in items), key=lambda t: t.deleted_at, reverse=True)

    def audit(self) -> list[AuditEntry]:
        if not self.audit_file.is_file():
            return []
        return [AuditEntry(**json.loads(line)) for line in self.audit_file.read_text(encoding="utf-8").splitlines() if line.strip()]

    def _folder(self, source_id: str) -> Path:
        if "/" in source_id or "\\" in source_id or source_id.startswith(".") or not source_id:
            raise NotInTrash(f"no source {source_id!r} in the trash; GET /api/trash lists what it holds")
        return self.directory / source_id

    def _record(self, source_id: str) -> dict:
        path = self._folder(source_id) / _RECORD
        if not path.is_file():
            raise NotInTrash(f"no source {source_id!r} in the trash; GET /api/trash lists what it holds")
        return json.loads(path.read_text(encoding="utf-8"))

    # -- writing ----------------------------------------------------------------------------

    def delete(self, source_id: str, by: str) -> int:
        """Move a source to the trash; the number of chunks left in the store."""
        ingestor = self._ingestor()
        with ingestor.lock:  # re-entered by ingestor.remove: the whole move is one writer's
            manifest = Manifest.load(self.settings.index_dir)
            entry = manifest.entries.get(source_id)
            if entry is None:
                raise SourceNotFound(f"no source with id {source_id!r}; GET /api/sources lists the ids")
            if is_protected(self.settings, entry):
                name = Path(entry.path).name
                raise ProtectedSource(
                    f"{source_id!r} is part of the curated corpus ({name} in the corpus folder) and can't be deleted "
                    f"through the API or the UI; to remove it, delete the file {name} from the corpus folder and run "
                    "`python -m ingest` again"
                )
            try:
                document = ingestor.texts.load(source_id)
                source = {"meta": document.meta.to_dict(), "text": document.text}
            except SourceNotFound:  # a store from before source texts were kept: the file is what matters
                source = {"meta": {"id": source_id, "title": entry.title}, "text": ""}
            original = Path(entry.path)
            folder = self._folder(source_id)
            shutil.rmtree(folder, ignore_errors=True)  # an older trashed copy of the same id
            folder.mkdir(parents=True)
            if original.is_file():
                if original.parent.resolve() == uploads_dir(self.settings):
                    original.replace(folder / original.name)  # our own copy of an upload moves
                else:
                    shutil.copy2(original, folder / original.name)  # the user's file stays where it is
            now = _now()
            record = {"trashed": asdict(Trashed(source_id, entry.title or source["meta"].get("title", ""), original.name, now, by)),
                      "entry": asdict(entry), "source": source}
            atomic_write_text(folder / _RECORD, json.dumps(record, ensure_ascii=False))
            ingestor.remove(source_id)
            self._log("delete", source_id, by, now)
            return len(Manifest.load(self.settings.index_dir).chunk_ids())

    def restore(self, source_id: str, by: str) -> IngestSummary:
        """Put a trashed source back in the store, as it was when it was deleted."""
        ingestor = self._ingestor()
        with ingestor.lock:
            record = self._record(source_id)
            folder = self._folder(source_id)
            entry = Entry(**record["entry"])
            if source_id in Manifest.load(self.settings.index_dir).entries:
                raise RestoreConflict(f"{source_id!r} is in the store again (uploaded or ingested since it was deleted); "
                                      "delete that one first to restore the trashed copy")
            saved = folder / record["trashed"]["file"]
            if not saved.is_file():
                raise NotInTrash(f"the trash holds no file for {source_id!r}; upload it again")
            target = self._target(entry, saved)
            if target != Path(entry.path) or not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(saved, target)
            summary = ingestor.run([target], prune=False)
            if summary.failed:
                reasons = "; ".join(f.reason for f in summary.failed)
                raise RestoreConflict(f"{source_id!r} could not be restored: {reasons}")
            shutil.rmtree(folder, ignore_errors=True)
            self._log("restore", source_id, by, _now())
            return summary

    def _target(self, entry: Entry, saved: Path) -> Path:
        """Where the restored file lives: an upload back in the uploads folder; a file from
        elsewhere at its old path if it is still there unchanged, else as an upload."""
        original = Path(entry.path)
        if original.parent.resolve() != uploads_dir(self.settings) and original.is_file() and _sha256(original) == entry.sha256:
            return original
        target = uploads_dir(self.settings) / original.name
        if target.exists() and _sha256(target) != _sha256(saved):
            raise RestoreConflict(f"another upload named {original.name} is in the store; delete it first to restore {entry.source_id!r}")
        return target

    def _log(self, action: str, source_id: str, by: str, at: str) -> None:
        append_line(self.audit_file, json.dumps(asdict(AuditEntry(at, action, source_id, by)), ensure_ascii=False))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
