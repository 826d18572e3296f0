"""The files ingest keeps beside Chroma are replaced atomically: a writer killed mid-write leaves
the previous version readable and a temporary file that the next ingest sweeps away."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingest.keyword_index import KeywordIndex, LiveKeywordIndex, atomic_write_text
from ingest.manifest import Entry, Manifest
from ingest.pipeline import sweep_partial_writes

pytestmark = pytest.mark.crash


class Killed(BaseException):
    pass


def test_a_manifest_write_killed_midway_leaves_the_old_manifest(tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "desk"
    manifest = Manifest(index_dir, {"a": Entry("a", "/x/a.md", "0" * 64, ["c1"], "2025-01-01T00:00:00+00:00")})
    manifest.save()
    before = (index_dir / "manifest.json").read_text()

    manifest.entries["b"] = Entry("b", "/x/b.md", "1" * 64, ["c2"], "2025-01-01T00:00:00+00:00")
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(Killed()))  # dies after writing, before the rename
    with pytest.raises(Killed):
        manifest.save()
    monkeypatch.undo()

    assert (index_dir / "manifest.json").read_text() == before
    assert set(Manifest.load(index_dir).entries) == {"a"}
    assert list(index_dir.glob(".manifest.json.*.tmp")), "the half-written temp file is left"
    sweep_partial_writes(index_dir)
    assert not list(index_dir.glob(".*.tmp"))


def test_a_keyword_index_save_killed_before_the_switch_keeps_serving_the_old_index(tmp_path: Path, monkeypatch):
    old = KeywordIndex.build(["c1", "c2"], ["Latvia left the treaty", "Lithuania left the treaty"], "fp-old")
    old.save(tmp_path)
    live = LiveKeywordIndex(tmp_path)
    assert live.get().fingerprint == "fp-old"

    new = KeywordIndex.build(["c3"], ["Finland left the treaty"], "fp-new")
    real = atomic_write_text

    def dying(path, text):  # the new folder is written, the pointer switch never happens
        if path.name == "keyword.json":
            raise Killed()
        real(path, text)

    monkeypatch.setattr("ingest.keyword_index.atomic_write_text", dying)
    with pytest.raises(Killed):
        new.save(tmp_path)
    monkeypatch.undo()

    assert live.get().fingerprint == "fp-old" and live.get().search("Latvia", 2)[0][0] == "c1"
    assert json.loads((tmp_path / "keyword.json").read_text())["fingerprint"] == "fp-old"
    new.save(tmp_path)  # the next ingest's save switches the pointer and drops the old folder
    assert live.get().fingerprint == "fp-new"
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("keyword-")]) == 1
