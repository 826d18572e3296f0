"""Clients that keep asking a served desk while a test does something to it (stops the Chroma
server, uploads a file), keeping every reply's status, content type, detail and time."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Reply:
    status: int  # 0: the connection itself failed
    content_type: str
    detail: str
    started: float
    finished: float


class AskLoop:
    def __init__(self, base: str, question: str, clients: int = 3):
        self.base = base
        self.question = question
        self.seen: list[Reply] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]

    def _run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as http:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    response = http.post("/api/ask", json={"question": self.question})
                except httpx.HTTPError as exc:
                    self.seen.append(Reply(0, type(exc).__name__, "", started, time.monotonic()))
                    continue
                detail = response.json().get("detail", "") if response.status_code != 200 else ""
                self.seen.append(Reply(response.status_code, response.headers.get("content-type", ""), detail, started, time.monotonic()))

    def __enter__(self) -> AskLoop:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def count(self, status: int) -> int:
        return sum(1 for r in self.seen if r.status == status)

    def wait_for(self, status: int, more_than: int = 0, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.count(status) <= more_than:
            assert time.monotonic() < deadline, f"no {status} within {timeout} s: {Counter(r.status for r in self.seen)}"
            time.sleep(0.05)
