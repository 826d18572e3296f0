"""The full text and metadata of each ingested source, kept beside the store so that a citation
span can be shown and highlighted in its document (`GET /api/sources/{id}`)."""

from __future__ import annotations

import json
from pathlib import Path

from desk.errors import SourceNotFound
from ingest.documents import SourceDocument, SourceMeta
from ingest.keyword_index import atomic_write_text


class SourceTexts:
    def __init__(self, index_dir: Path):
        self.directory = index_dir / "sources"

    def _path(self, source_id: str) -> Path:
        return self.directory / f"{source_id}.json"

    def save(self, document: SourceDocument) -> None:
        payload = {"meta": document.meta.to_dict(), "text": document.text}
        atomic_write_text(self._path(document.meta.id), json.dumps(payload, ensure_ascii=False))

    def load(self, source_id: str) -> SourceDocument:
        path = self._path(source_id)
        if "/" in source_id or source_id.startswith(".") or not path.is_file():
            raise SourceNotFound(f"no source with id {source_id!r}; GET /api/sources lists the ids")
        payload = json.loads(path.read_text(encoding="utf-8"))
        return SourceDocument(meta=SourceMeta.from_dict(payload["meta"]), text=payload["text"])

    def exists(self, source_id: str) -> bool:
        return self._path(source_id).is_file()

    def delete(self, source_id: str) -> None:
        self._path(source_id).unlink(missing_ok=True)

    def all_meta(self) -> list[SourceMeta]:
        if not self.directory.is_dir():
            return []
        return [
            SourceMeta.from_dict(json.loads(p.read_text(encoding="utf-8"))["meta"])
            for p in sorted(self.directory.glob("*.json"))
        ]
