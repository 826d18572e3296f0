"""A real `chroma run` server for the tests that need one (marker `server`): started on a free
loopback port, ready once GET /api/v2/heartbeat answers, and restartable on the same port and
data folder so fault tests can stop it under load and bring it back."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.api.servers import free_port

CHROMA = Path(sys.executable).with_name("chroma")
READY_TIMEOUT_S = 60.0


class ChromaServerError(RuntimeError):
    pass


@dataclass
class ChromaServer:
    """One `chroma run --path DIR --host 127.0.0.1 --port PORT`. `stop()` then `start()` brings
    it back on the same port and folder, as an operator restarting it would."""

    path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.path.parent / f"chroma-{self.port}.log"

    def start(self) -> ChromaServer:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.alive():
            if self.process.poll() is not None:
                raise ChromaServerError(f"chroma run exited with {self.process.returncode}: {self.tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ChromaServerError(f"chroma run did not answer its heartbeat within {READY_TIMEOUT_S:.0f} s: {self.tail()}")
            time.sleep(0.1)
        return self

    def alive(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def __enter__(self) -> ChromaServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
