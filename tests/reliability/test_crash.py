"""A killed ingest leaves a store that the next run completes into exactly the store a clean
ingest builds: same chunk ids, no duplicates, keyword index == Chroma, manifest complete.

The kill is real (SIGKILL to `python -m ingest` in its own process, no hook in product code):
the test watches the manifest, which ingest rewrites atomically after every file, and kills
as soon as it lists some but not all sources, i.e. while later files are being embedded."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.pipeline import Ingestor
from tests.ingest.files import json_line, make_settings, write_sources
from tests.paths import REPO_ROOT
from tests.reliability.stores import assert_consistent, store_state, write_many

pytestmark = [pytest.mark.crash, pytest.mark.slow]

SOURCES = 10


def manifest_sources(store: Path) -> int:
    try:
        return len(json.loads((store / "desk" / "manifest.json").read_text())["sources"])
    except (OSError, ValueError, KeyError):  # not written yet (an atomic rename: never half a file)
        return 0


def kill_mid_ingest(folder: Path, store: Path, tries: int = 3) -> int:
    """Start `python -m ingest` and SIGKILL it once the manifest lists 1..SOURCES-1 sources;
    the number listed when it died. Retried on a fresh store if the run outpaced the poll."""
    for _ in range(tries):
        # Ingest commits files as their passages fill an embedding batch (4 x the batch size); a
        # batch size of 1 commits every few passages, so there is a moment to kill it between.
        process = subprocess.Popen([sys.executable, "-m", "ingest", str(folder), "--store", str(store), "--quiet"],
                                   cwd=REPO_ROOT, env={**os.environ, "DESK_CHROMA_URL": "", "DESK_EMBEDDING_BATCH_SIZE": "1"},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 300
            while process.poll() is None and time.monotonic() < deadline:
                listed = manifest_sources(store)
                if 1 <= listed < SOURCES:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    return manifest_sources(store)
                time.sleep(0.002)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        shutil.rmtree(store, ignore_errors=True)  # finished before we could kill it: try again
    pytest.fail(f"ingest finished {tries} times before it could be killed mid-way")


def test_killed_ingest_resumes_into_the_same_store_as_a_clean_one(tmp_path: Path, embedder):
    folder = write_many(tmp_path / "sources", SOURCES)
    crashed, clean = make_settings(tmp_path / "crashed"), make_settings(tmp_path / "clean")

    listed = kill_mid_ingest(folder, crashed.store)
    assert 1 <= listed < SOURCES

    rerun = subprocess.run([sys.executable, "-m", "ingest", str(folder), "--store", str(crashed.store), "--json"],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "DESK_CHROMA_URL": ""})
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    summary = json_line(rerun.stdout)
    assert summary["unchanged"] == listed and summary["added"] == SOURCES - listed and not summary["failed"]

    Ingestor(clean).run([folder])
    resumed, reference = store_state(crashed, embedder), store_state(clean, embedder)
    assert_consistent(resumed)
    assert_consistent(reference)
    assert len(resumed.manifest) == SOURCES
    assert resumed.comparable() == reference.comparable()


def test_a_kill_between_the_vector_writes_never_leaves_a_chunk_without_its_sentences(tmp_path: Path, embedder):
    """The narrowest window, made deterministic: the process dies inside ChromaChunkStore.add,
    after the first of its two writes. The next run must re-embed that chunk, not reuse it."""
    from ingest.store import ChromaChunkStore

    folder = write_sources(tmp_path / "sources")
    # Batch size 1: ingest stores passages four at a time, so there is a second store.add to die in.
    settings = make_settings(tmp_path / "store").model_copy(update={"embedding_batch_size": 1})

    class Killed(BaseException):  # like SIGKILL: no `except Exception` on the way out catches it
        pass

    class Dying:
        """A collection whose writes succeed while `budget` lasts, then the process 'dies'."""

        def __init__(self, target):
            self.target = target

        def upsert(self, **kwargs):
            if budget[0] <= 0:
                raise Killed()
            budget[0] -= 1
            return self.target.upsert(**kwargs)

        def __getattr__(self, name):
            return getattr(self.target, name)

    class DyingStore(ChromaChunkStore):
        @property
        def _collection(self):
            return Dying(self.vectors._collection)

    budget = [10**9]
    store = DyingStore(settings, embedder)
    store._sentences = Dying(store._sentences)
    real_add, calls = store.add, [0]

    def add(chunks, vectors=None):
        calls[0] += 1
        if calls[0] == 2:  # the second batch's vectors: one of the two writes happens, then death
            budget[0] = 1
        return real_add(chunks, vectors)

    store.add = add
    with pytest.raises(Killed):
        Ingestor(settings, store=store).run([folder])

    summary = Ingestor(make_settings(settings.store)).run([folder])  # a fresh process would open a new store
    assert not summary.failed
    state = store_state(settings, embedder)
    assert_consistent(state)
    assert len(state.manifest) == 3
