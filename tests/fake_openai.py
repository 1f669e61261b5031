"""A fake OpenAI-compatible Chat Completions server on 127.0.0.1, for the tests (no network).

Each POST to `/v1/chat/completions` is recorded and answered by a function
of the request, which says what the server does: a status, the model's
text or a raw body, headers, and a delay before answering.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple


class Seen(NamedTuple):
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        """The user message: the JSON object of data the writer sends."""
        return json.loads(self.body["messages"][-1]["content"])

    @property
    def key_points(self) -> list[str]:
        return list(self.data["key_points"].values())


class Answer(NamedTuple):
    """What the server does with one request."""

    content: str | None = None  # the model's text, in a chat completion
    status: int = 200
    body: str | None = None  # a raw body instead of a chat completion
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()
    prompt_tokens: int = 100
    completion_tokens: int = 20
    cut: bool = False  # the connection closes before the body it announced is sent
    trickle: float = 0.0  # seconds between the body's bytes: each comes in time, the whole never does


def completion(content: str | None, prompt_tokens: int, completion_tokens: int) -> str:
    return json.dumps({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": "fake",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    })


def cards_json(*cards: tuple[int, str, str, str]) -> str:
    """The model's JSON: (key point number, cloze, question, answer) for each card."""
    return json.dumps({"cards": [{"key_point": n, "cloze": c, "question": q, "answer": a} for n, c, q, a in cards]})


class FakeServer:
    """`with FakeServer(reply) as server:` serves on `server.url` until the block ends."""

    def __init__(self, reply: Callable[[Seen], Answer]):
        self.reply = reply
        self.seen: list[Seen] = []
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)  # quick to stop

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw))
                with fake._lock:
                    fake.seen.append(seen)
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                try:
                    answer = fake.reply(seen)
                    fake._closing.wait(answer.delay)
                    body = answer.body if answer.body is not None else \
                        completion(answer.content, answer.prompt_tokens, answer.completion_tokens)
                    data = body.encode()
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data) + 1000 * answer.cut))
                    for name, value in answer.headers:
                        self.send_header(name, value)
                    self.end_headers()
                    if answer.trickle:
                        for byte in data:
                            self.wfile.write(bytes((byte,)))
                            self.wfile.flush()
                            if fake._closing.wait(answer.trickle):
                                break
                    else:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout): nobody reads the answer
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

        return Handler


def closed_port_url() -> str:
    """The URL of a port on 127.0.0.1 that nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    time.sleep(0.01)
    return f"http://127.0.0.1:{port}/v1"
