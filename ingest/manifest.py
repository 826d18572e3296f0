"""What has been ingested: per source, the file it came from, the file's hash, its chunk ids and
when. Written atomically after every file, so a killed ingest resumes where it stopped."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.keyword_index import atomic_write_text

_FILE = "manifest.json"


@dataclass
class Entry:
    source_id: str
    path: str
    sha256: str
    chunk_ids: list[str]
    ingested_at: str
    title: str = ""
    recipe: str = ""  # how the file was split (see pipeline.recipe): a new recipe re-splits it


@dataclass
class Manifest:
    directory: Path
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = directory / _FILE
        if not path.is_file():
            return cls(directory)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            entries = {sid: Entry(**e) for sid, e in raw["sources"].items()}
        except (ValueError, KeyError, TypeError):
            # A manifest we can't read is rebuilt from scratch: content-hash ids make the
            # re-ingest write the same chunks, and orphans are pruned afterwards.
            return cls(directory)
        return cls(directory, entries)

    def save(self) -> None:
        payload = {"version": 1, "sources": {sid: asdict(e) for sid, e in sorted(self.entries.items())}}
        atomic_write_text(self.directory / _FILE, json.dumps(payload, ensure_ascii=False, indent=1))

    def by_path(self, path: str) -> Entry | None:
        return next((e for e in self.entries.values() if e.path == path), None)

    def chunk_ids(self) -> set[str]:
        return {cid for e in self.entries.values() for cid in e.chunk_ids}
