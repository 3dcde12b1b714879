"""A Python client for `/ws/tryon` (docs/protocol.md), built on `websockets`.

`TryOnClient` is the protocol for integrators (connect, configure, send frames, read replies);
`stream_video` plays a video file at its frame rate through a server and collects the replies,
which is what `tryon client` and benchmarks/bench_ws.py do.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import websockets

from server.stream.protocol import pack_frame, unpack_result


class ServerRejected(Exception):
    """The server answered a request with an error message (code and message from it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Reply:
    """One server message: `meta` is its JSON; `image` the composite bytes of a binary result."""

    meta: dict[str, Any]
    image: bytes | None = None

    @property
    def kind(self) -> str:
        return str(self.meta.get("type"))


def now_ms() -> float:
    """The client clock frames are stamped with (monotonic, ms)."""
    return time.perf_counter() * 1e3


class TryOnClient:
    """One try-on session. Use as `async with TryOnClient(url) as client:`."""

    def __init__(self, url: str, open_timeout_s: float = 10.0, max_size: int = 16 * 1024 * 1024,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.url = url
        self._ssl = ssl_context
        self._open_timeout = open_timeout_s
        self._max_size = max_size
        self._ws: Any = None
        self.ready: dict[str, Any] = {}

    @property
    def session_id(self) -> str:
        return str(self.ready.get("session_id", ""))

    async def __aenter__(self) -> "TryOnClient":
        extra = {"ssl": self._ssl} if self._ssl is not None else {}
        self._ws = await websockets.connect(self.url, open_timeout=self._open_timeout, max_size=self._max_size,
                                            compression=None, **extra)
        first = await self.recv()
        if first.kind == "error":
            raise ServerRejected(first.meta.get("code", "error"), first.meta.get("message", ""))
        if first.kind != "ready":
            raise ConnectionError(f"expected a ready message from {self.url}, got {first.kind!r}")
        self.ready = first.meta
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._ws.close()

    async def configure(self, **fields: Any) -> dict[str, Any]:
        """Send a configure message and wait for its answer; raises ServerRejected on an error.
        Results of frames already sent that arrive meanwhile are skipped."""
        await self.send_json({"type": "configure", **fields})
        while True:
            reply = await self.recv()
            if reply.kind == "configured":
                return reply.meta["config"]
            if reply.kind == "error" and "frame_id" not in reply.meta:
                raise ServerRejected(reply.meta["code"], reply.meta["message"])

    async def send_json(self, message: dict[str, Any]) -> None:
        await self._ws.send(json.dumps(message))

    async def send_frame(self, frame_id: int, image: bytes, capture_ts_ms: float | None = None) -> None:
        await self._ws.send(pack_frame(frame_id, now_ms() if capture_ts_ms is None else capture_ts_ms, image))

    async def recv(self) -> Reply:
        message = await self._ws.recv()
        if isinstance(message, bytes):
            meta, image = unpack_result(message)
            return Reply(meta, image)
        return Reply(json.loads(message))

    async def end(self) -> dict[str, Any]:
        """Finish the session; returns the server's summary (results still in flight are skipped)."""
        await self.send_json({"type": "end"})
        while True:
            reply = await self.recv()
            if reply.kind == "summary":
                return reply.meta

    @property
    def close_code(self) -> int | None:
        return self._ws.close_code if self._ws is not None else None


@dataclass
class StreamReport:
    """What one streamed video measured, client side."""

    session_id: str = ""
    sent: int = 0
    results: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    rtt_ms: list[float] = field(default_factory=list)
    result_times_s: list[float] = field(default_factory=list)  # arrival, seconds from the first send
    server_ms: list[float] = field(default_factory=list)
    faces_seen: int = 0
    last_frame_id: int | None = None
    superseded: int = 0
    rate_limited: int = 0
    duration_s: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.results / self.duration_s if self.duration_s > 0 else 0.0

    def rtt_percentiles(self) -> dict[str, float]:
        if not self.rtt_ms:
            return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
        a = np.asarray(self.rtt_ms)
        return {f"p{q}": float(np.percentile(a, q)) for q in (50, 95, 99)}


async def stream_video(url: str, frames: list[bytes], fps: float, config: dict[str, Any],
                       duration_s: float | None = None,
                       on_result: Callable[[int, Reply], None] | None = None) -> StreamReport:
    """Send pre-encoded `frames` at `fps` (looping them when `duration_s` is longer than the
    clip), read every reply, then end the session. on_result(frame_index, reply) is called for
    each result (e.g. to write the composite)."""
    report = StreamReport()
    if not frames:
        raise ValueError("no frames to stream")
    total = len(frames) if duration_s is None else max(1, int(round(duration_s * fps)))
    async with TryOnClient(url) as client:
        report.session_id = client.session_id
        if config:
            await client.configure(**config)
        start = time.perf_counter()
        sending_done = asyncio.Event()

        async def send() -> None:
            for i in range(total):
                delay = start + i / fps - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                await client.send_frame(i, frames[i % len(frames)])
                report.sent += 1
            sending_done.set()

        sender = asyncio.create_task(send())
        last_id = total - 1
        try:
            while True:
                timeout = 2.0 if sending_done.is_set() else None
                try:
                    reply = await asyncio.wait_for(client.recv(), timeout)
                except asyncio.TimeoutError:
                    break  # the last frames were dropped by the server: nothing more will come
                arrived = time.perf_counter()
                if reply.kind == "error":
                    report.errors.append(reply.meta)
                    if reply.meta.get("frame_id") == last_id:
                        break
                    continue
                if reply.kind != "result":
                    continue
                meta = reply.meta
                report.results += 1
                report.rtt_ms.append(arrived * 1e3 - meta["capture_ts_ms"])
                report.result_times_s.append(arrived - start)
                report.server_ms.append(meta["timings_ms"]["server"])
                report.faces_seen += bool(meta["faces"])
                report.last_frame_id = meta["frame_id"]
                report.superseded = meta["dropped"]["superseded"]
                report.rate_limited = meta["dropped"]["rate_limited"]
                if on_result is not None:
                    on_result(meta["frame_id"], reply)
                if meta["frame_id"] == last_id:
                    break
        finally:
            await sender
        report.duration_s = time.perf_counter() - start
        report.summary = await client.end()
    return report
