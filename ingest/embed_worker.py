"""Embedding in processes of their own during a bulk ingest.

On 2 cores the model is not what holds a fresh ingest back: Chroma's embedded `upsert` keeps the
GIL for its whole call, and reading and splitting the next files is pure Python, so a model
thread in the same process waits out both after every text (ingest ran at 0.69–0.80 of the
encoder's own rate; see the README's benchmark). A process forked from this one, after the model
is loaded, has its own GIL: it embeds batch after batch while this process splits and writes.
Two such processes on 2 cores (the default: one per core) embed while this one waits for them,
which it mostly does: in probes, ingest at 1.17–1.42 of one process's raw encode rate, against
0.85–1.01 with one child (README, Benchmark).

Fork, not spawn: the child starts in milliseconds with the loaded model and store object, where a
fresh interpreter would spend a second importing and loading what this process already holds.
A child only embeds: it never touches the store's client, and it ends with the ingest."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from ingest.documents import Chunk
from ingest.embedders import Embedder
from ingest.store import ChunkStore, PassageVectors

_STORE: ChunkStore | None = None  # the child's inherited copy of the ingesting store
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _adopt(store: ChunkStore, parent: int) -> None:
    global _STORE
    _STORE = store
    # A parent killed outright (SIGKILL, the OOM killer) can't shut the pool down: without this
    # the child would wait for work forever. Linux's parent-death signal ends it with its parent.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was asked for
        os._exit(1)
    # Ctrl-C reaches the whole process group: the parent stops the ingest and ends the pool; a
    # child's own KeyboardInterrupt would only add a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _embed(chunks: Sequence[Chunk]) -> list[PassageVectors]:
    assert _STORE is not None, "the worker was started without a store"
    return _STORE.embed(chunks)


def can_fork() -> bool:
    """Fork exists on Linux and macOS (where it stays off: system libraries there are not safe to
    use in a forked child); elsewhere ingest embeds in a thread."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


MAX_PROCESSES = 4  # each holds a model session of its own; past 2 this process's split and writes bound the ingest here


def process_count(requested: int, threads: int) -> int:
    """`requested` children, or (0) one per `threads` cores this process may run on, at most
    `MAX_PROCESSES`, at least one."""
    if requested:
        return requested
    return max(1, min(MAX_PROCESSES, len(os.sched_getaffinity(0)) // max(1, threads)))


class EmbedWorker:
    """Forked children that run `store.embed` on the batches they are given, taken in order.

    Several, because one child leaves a core to this process's splitting and writing, which need
    less than a core: with two, the model runs on both cores whenever this process waits. Which
    child embeds a batch changes nothing: a backend that embeds in a child gives each text the
    same vector alone or in any company (`OnnxEmbedder._forward`)."""

    def __init__(self, store: ChunkStore, model: Embedder, processes: int = 1):
        """`model`: the one `store.embed` runs."""
        self.processes = processes
        # The model is loaded here, before the fork, so the children inherit it rather than
        # each loading its own (or, on a fresh store, each exporting the graph again). And a
        # thread of this process that is loading it (a server's warm-up, in a process that
        # also ingests) is waited for: a child forked while that thread held the model's lock
        # would wait for it forever.
        model.load()
        # Forked children all start at the first submit, as copies of this process then.
        self._pool = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_adopt, initargs=(store, os.getpid()))

    def submit(self, chunks: list[Chunk]) -> Future:
        return self._pool.submit(_embed, chunks)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> EmbedWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
