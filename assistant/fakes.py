"""A fake LLM server for tests and demos: a real HTTP server on a loopback socket that speaks
the OpenAI chat-completions protocol (/v1/chat/completions, /v1/models; streaming as SSE) and
Ollama's native one (/api/chat, /api/tags; streaming as NDJSON), answering from a queue of
scripted replies. Shipped as library code, like pydantic-ai's TestModel, so that anyone can
exercise the LLM backends without model weights.

A reply is a text (streamed in pieces of `piece_chars`), a function of the request's messages,
or a `Transcript`: the exact pieces a real server streamed (recorded from llama.cpp, see
tests/fixtures/transcripts/), replayed as they came, optionally slowed down or cut off mid-stream
as a server that dies would."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Transcript:
    """A streamed reply as a real server sent it."""

    pieces: list[str]
    delay_s: float = 0.0  # pause before each piece: a slow server
    cut_after: int | None = None  # close the connection after this many pieces: a server that dies
    meta: dict = field(default_factory=dict)  # model, question, when and how it was recorded

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    @classmethod
    def load(cls, path: Path | str) -> Transcript:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(pieces=data["pieces"], meta={k: v for k, v in data.items() if k != "pieces"})


Reply = str | Transcript | Callable[[list[dict]], str]


class FakeLLMServer:
    def __init__(self, replies: list[Reply] | None = None, piece_chars: int = 7, model: str = "fake-model"):
        self.replies: deque[Reply] = deque(replies or [])
        self.last: Reply = "The sources don't say."
        self.piece_chars = piece_chars
        self.model = model
        self.requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ollama_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def push(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _next_reply(self, messages: list[dict]) -> Transcript:
        if self.replies:
            self.last = self.replies.popleft()
        reply = self.last
        if isinstance(reply, Transcript):
            return reply
        text = reply(messages) if callable(reply) else reply
        return Transcript([text[i : i + self.piece_chars] for i in range(0, len(text), self.piece_chars)] or [""])

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                if self.path.rstrip("/") == "/v1/models":
                    self._json({"object": "list", "data": [{"id": fake.model, "object": "model", "created": 0, "owned_by": "fake"}]})
                elif self.path.rstrip("/") == "/api/tags":
                    self._json({"models": [{"name": fake.model, "model": fake.model}]})
                else:
                    self._json({"error": "not found"}, status=404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "body": body})
                messages = body.get("messages", [])
                if self.path.rstrip("/") == "/v1/chat/completions":
                    self._openai(body, fake._next_reply(messages))
                elif self.path.rstrip("/") == "/api/chat":
                    self._ollama(body, fake._next_reply(messages))
                else:
                    self._json({"error": "not found"}, status=404)

            def _openai(self, body: dict, reply: Transcript):
                text = reply.text
                created, ident = int(time.time()), f"chatcmpl-fake{len(fake.requests)}"
                if not body.get("stream"):
                    self._json({
                        "id": ident, "object": "chat.completion", "created": created, "model": fake.model,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    })
                    return
                self._start_stream("text/event-stream")
                for piece in self._replay(reply):
                    chunk = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": fake.model,
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    self._chunk(f"data: {json.dumps(chunk)}\n\n")
                final = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": fake.model,
                         "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self._chunk(f"data: {json.dumps(final)}\n\n")
                self._chunk("data: [DONE]\n\n")
                self._end_stream()

            def _ollama(self, body: dict, reply: Transcript):
                text = reply.text
                stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                done = {"model": fake.model, "created_at": stamp, "message": {"role": "assistant", "content": ""},
                        "done": True, "done_reason": "stop", "total_duration": 1, "eval_count": 1, "prompt_eval_count": 1}
                if body.get("stream") is False:
                    self._json({**done, "message": {"role": "assistant", "content": text}})
                    return
                self._start_stream("application/x-ndjson")
                for piece in self._replay(reply):
                    line = {"model": fake.model, "created_at": stamp, "message": {"role": "assistant", "content": piece}, "done": False}
                    self._chunk(json.dumps(line) + "\n")
                self._chunk(json.dumps(done) + "\n")
                self._end_stream()

            def _replay(self, reply: Transcript):
                for piece in reply.pieces[: reply.cut_after]:
                    if reply.delay_s:
                        time.sleep(reply.delay_s)
                    yield piece
                if reply.cut_after is not None:
                    # Gone mid-stream: no final chunk, no [DONE], the socket just closes.
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    raise ConnectionAbortedError("the fake server stopped mid-stream")

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except (ConnectionAbortedError, ConnectionResetError):
                    self.close_connection = True

            def _json(self, payload: dict, status: int = 200):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _start_stream(self, content_type: str):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

            def _chunk(self, text: str):
                data = text.encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _end_stream(self):
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        return Handler
