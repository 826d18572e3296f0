"""A bulk ingest embeds in a forked process: the store it builds must be the one a threaded
ingest builds, the process must end with the ingest, and a failure in it must reach the caller."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ingest.embed_worker import MAX_PROCESSES, EmbedWorker, can_fork, process_count
from ingest import pipeline
from ingest.embedders import get_embedder
from ingest.keyword_index import KeywordIndex
from ingest.manifest import Manifest
from ingest.onnx_embedder import OnnxEmbedder
from ingest.pipeline import Ingestor
from ingest.store import ChromaChunkStore
from tests.ingest.files import make_settings
from tests.paths import REPO_ROOT
from tests.reliability.stores import write_many

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not can_fork(), reason="ingest forks only on Linux")]


def _store(settings) -> ChromaChunkStore:
    return ChromaChunkStore(settings, get_embedder(settings), create=False)


# At 2 passages a batch the first file goes to the model in parts, and each part is stored apart;
# with two processes the parts are embedded by both, in whatever order they finish.
@pytest.mark.parametrize(("batch", "processes"), [(32, 1), (2, 1), (2, 2)])
def test_a_forked_ingest_stores_what_a_threaded_one_does(tmp_path, sources, monkeypatch, batch, processes):
    batches: list[int] = []
    submit = EmbedWorker.submit
    monkeypatch.setattr(EmbedWorker, "submit", lambda self, chunks: batches.append(len(chunks)) or submit(self, chunks))
    pids = tmp_path / "pids"
    embed = ChromaChunkStore.embed

    def noted(self, chunks):  # patched before the fork: each child notes that it embedded
        if chunks:
            with pids.open("a") as out:
                out.write(f"{os.getpid()}\n")
        return embed(self, chunks)

    monkeypatch.setattr(ChromaChunkStore, "embed", noted)
    forked = make_settings(tmp_path / "forked", ingest_fork=True, embedding_batch_size=batch, ingest_processes=processes)
    threaded = make_settings(tmp_path / "threaded", ingest_fork=False, embedding_batch_size=batch)
    a = Ingestor(forked).run([sources])
    assert sum(batches) == a.chunks_embedded, "the forked run embedded every passage in a child"
    embedders = set(pids.read_text().split())
    assert str(os.getpid()) not in embedders and len(embedders) == processes
    pids.unlink()
    b = Ingestor(threaded).run([sources])
    assert sum(batches) == a.chunks_embedded, "the threaded run never forked"
    assert (a.added, a.chunks_embedded, a.failed) == (b.added, b.chunks_embedded, b.failed) and a.added == 3
    fa, fb = _store(forked), _store(threaded)
    ids = sorted(fa.ids())
    assert ids == sorted(fb.ids())
    va, vb = fa.sentence_vectors(ids), fb.sentence_vectors(ids)
    for chunk_id in ids:
        np.testing.assert_allclose(va[chunk_id], vb[chunk_id], atol=1e-6)
    query = get_embedder(forked).encode(["When did Latvia's withdrawal take effect?"])[0]
    hits_a = [(c.id, round(d, 5)) for c, d in fa.search(query, 5)]
    hits_b = [(c.id, round(d, 5)) for c, d in fb.search(query, 5)]
    assert hits_a == hits_b
    keywords_a, keywords_b = KeywordIndex.load(forked.index_dir), KeywordIndex.load(threaded.index_dir)
    assert keywords_a.ids == keywords_b.ids
    assert keywords_a.search("withdrawal effective six months", 5) == keywords_b.search("withdrawal effective six months", 5)


def test_the_first_file_reaches_the_model_while_it_is_still_being_split(tmp_path, sources, monkeypatch):
    """Nothing overlaps the first file's split: its first passages must not wait for its last."""
    events: list[tuple[str, object]] = []
    submit = EmbedWorker.submit
    monkeypatch.setattr(EmbedWorker, "submit", lambda self, chunks: events.append(("embed", len(chunks))) or submit(self, chunks))
    real_split = pipeline.iter_split

    def traced(document, *args):
        yield from real_split(document, *args)
        events.append(("split", document.meta.id))

    monkeypatch.setattr(pipeline, "iter_split", traced)
    summary = Ingestor(make_settings(tmp_path / "store", embedding_batch_size=2)).run([sources])
    first = events.index(("split", "alpha-treaty"))  # alpha.md: four passages, so two parts of two
    assert events[:first] == [("embed", 2), ("embed", 2)]
    assert sum(n for kind, n in events if kind == "embed") == summary.chunks_embedded


def test_the_default_is_one_embedding_process_per_core_the_model_threads_leave():
    cores = len(os.sched_getaffinity(0))
    assert process_count(0, 1) == min(cores, MAX_PROCESSES)
    assert process_count(0, cores) == 1
    assert process_count(0, 2 * cores) == 1, "at least one, however many threads each"
    assert process_count(3, 1) == 3, "a count asked for is the count used"


def test_an_ingest_that_forks_while_another_thread_loads_the_model_still_finishes(tmp_path, sources, monkeypatch):
    """A server's warm-up loads the model in a thread of its own. A process that also ingests
    (a test session, a notebook) forked while that thread held the model's lock: the children
    inherited the lock held, with no thread to release it, and waited forever."""
    shared = get_embedder(make_settings(tmp_path / "any")).graph_path
    graphs = tmp_path / "graphs"
    graphs.mkdir()
    shutil.copy(shared, graphs / shared.name)  # a model of its own, not yet loaded, without an export
    settings = make_settings(tmp_path / "store", onnx_cache=graphs)
    model = get_embedder(settings)
    assert not model.loaded
    opened = threading.Event()
    real_open = OnnxEmbedder._open

    def slow_open(self):
        opened.set()
        time.sleep(1.5)  # the warm-up is still loading when the ingest forks
        return real_open(self)

    monkeypatch.setattr(OnnxEmbedder, "_open", slow_open)
    warming = threading.Thread(target=model.embed_query, args=("warm-up",), daemon=True)
    warming.start()
    assert opened.wait(30)
    done: list = []
    ingest = threading.Thread(target=lambda: done.append(Ingestor(settings).run([sources])), daemon=True)
    ingest.start()
    ingest.join(90)
    assert done and done[0].added == 3 and not done[0].failed, "the ingest never finished"


def test_the_embedding_process_ends_with_the_ingest(settings, sources):
    Ingestor(settings).run([sources])
    assert multiprocessing.active_children() == []


def test_a_model_failure_in_the_process_reaches_the_caller_and_records_nothing(settings, sources, monkeypatch):
    def broken(self, chunks):
        raise RuntimeError("the model ran out of memory")

    # Patched before the fork, so the child inherits the broken model.
    monkeypatch.setattr(ChromaChunkStore, "embed", broken)
    with pytest.raises(RuntimeError, match="ran out of memory"):
        Ingestor(settings).run([sources])
    assert Manifest.load(settings.index_dir).entries == {}
    assert multiprocessing.active_children() == []


def _children(pid: int) -> list[int]:
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:  # the process ended while we looked
            continue
        if fields.get("PPid", "").strip() == str(pid):
            out.append(int(status.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("State:"))
    except (OSError, StopIteration):
        return False
    return " Z " not in state and "zombie" not in state


def test_an_ingest_killed_outright_takes_its_embedding_process_with_it(tmp_path):
    """SIGKILL (the OOM killer, a kill -9) gives the pool no chance to shut down; the child must
    not be left behind holding a copy of the model."""
    folder = write_many(tmp_path / "sources", 40)
    env = {**os.environ, "DESK_CHROMA_URL": "", "DESK_EMBEDDING_BATCH_SIZE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "ingest", str(folder), "--store", str(tmp_path / "store"), "--quiet"],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        children: list[int] = []
        while not children and process.poll() is None and time.monotonic() < deadline:
            children = _children(process.pid)
            time.sleep(0.01)
        assert children, "the ingest ended (or never forked) before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in children), "the embedding process outlived its parent"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
