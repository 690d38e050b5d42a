"""A webhook receiver on 127.0.0.1 for tests: records what it is sent, answers as told.

`receiver` starts one per test. Tell it how to answer the next requests with
`answer_next("fail", "slow", ...)`; after those it answers 200. "fail" is 500,
"redirect" is 302 to /elsewhere (which records what reaches it too), "slow"
waits `slow_seconds` before answering 200, "trickle" answers 200 at once but
sends its body a byte every 0.1 s for `slow_seconds`.
"""

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.plan: deque[str] = deque()
        self.slow_seconds = 3.0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def answer_next(self, *answers: str) -> None:
        with self.lock:
            self.plan.extend(answers)

    def hooks(self) -> list[Received]:
        with self.lock:
            return [request for request in self.received if _path(request.path) == "/hook"]

    def _next_answer(self) -> str:
        with self.lock:
            return self.plan.popleft() if self.plan else "ok"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    receiver.received.append(
                        Received(self.path, dict(self.headers.items()), body, time.time())
                    )
                answer = receiver._next_answer() if _path(self.path) == "/hook" else "ok"
                if answer == "trickle":
                    self._trickle()
                    return
                if answer == "slow":
                    time.sleep(receiver.slow_seconds)
                if answer == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "/elsewhere")
                else:
                    self.send_response(500 if answer == "fail" else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                # A sender that gave up on a slow answer has closed the connection.
                with suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(b"ok")

            def _trickle(self) -> None:
                bytes_to_send = round(receiver.slow_seconds / 0.1)
                self.send_response(200)
                self.send_header("Content-Length", str(bytes_to_send))
                self.end_headers()
                with suppress(BrokenPipeError, ConnectionResetError):
                    for _ in range(bytes_to_send):
                        self.wfile.write(b".")
                        self.wfile.flush()
                        time.sleep(0.1)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def _path(path: str) -> str:
    return path.split("?", 1)[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    handle = Receiver()
    handle.thread.start()
    yield handle
    handle.server.shutdown()
    handle.server.server_close()
