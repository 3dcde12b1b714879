"""A real HTTP receiver for webhook tests: a threaded http.server on a free port that records
every request, and can refuse the first N (HTTP 500) or take too long to answer."""

from __future__ import annotations

import asyncio
import select
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived
    answered: int  # the status code it was given


class Receiver:
    def __init__(self, refuse_first: int = 0, refuse_status: int = 500, answer_after_s: float = 0.0) -> None:
        self.refuse_first = refuse_first
        self.refuse_status = refuse_status
        self.answer_after_s = answer_after_s
        self.requests: list[Received] = []
        self.max_concurrent = 0  # the most requests open at once (a sender that gave up closed its own)
        self._answering = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    status = receiver.refuse_status if len(receiver.requests) < receiver.refuse_first else 200
                    receiver.requests.append(Received(dict(self.headers), body, time.monotonic(), status))
                    receiver._answering += 1
                    receiver.max_concurrent = max(receiver.max_concurrent, receiver._answering)
                try:
                    if not receiver.answer_after_s or not self._sender_left_within(receiver.answer_after_s):
                        self._answer(status)
                finally:
                    with receiver._lock:
                        receiver._answering -= 1

            def _sender_left_within(self, seconds: float) -> bool:
                """Wait up to `seconds`; True as soon as the sender closed the connection."""
                deadline = time.monotonic() + seconds
                while (left := deadline - time.monotonic()) > 0:
                    readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
                    if readable and self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return True
                return False

            def _answer(self, status: int) -> None:
                reply = b"refused by the test receiver" if status >= 300 else b"ok"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:
                    pass  # the sender gave up waiting, as it should

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="webhook-receiver")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    async def until(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        """The requests once at least `count` arrived; AssertionError after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while self.count() < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.count()} of {count} webhook requests arrived within {timeout_s} s")
            await asyncio.sleep(0.02)
        with self._lock:
            return list(self.requests)
