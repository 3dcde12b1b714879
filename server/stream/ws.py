"""`WS /ws/tryon`: the live try-on session loop (docs/protocol.md).

Two tasks per session: this receive loop (control messages, frames into the latest-frame slot,
limits) and a processing loop that takes the waiting frame, runs it on the process's frame
threads (never on the event loop) and sends the result. One bad client only ever closes its own
socket: every error is turned into an error message or a close code here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from server.catalog.service import ProductCatalog
from server.commerce.tryon_sessions import TryonSessionStore
from server.memory import trim_heap
from server.settings import Settings
from server.stream.frame_processor import FrameLimits, FrameProcessor, ProcessedFrame
from server.stream.latest_frame import LatestFrameSlot, PendingFrame
from server.stream.protocol import (
    PROTOCOL_VERSION,
    CloseCode,
    ProtocolViolation,
    RequestRejected,
    StreamConfig,
    apply_config,
    pack_result,
    parse_control,
    unpack_frame,
)
from server.stream.rate_limit import TokenBucket
from server.stream.registry import ServerFull, SessionRegistry
from server.stream.session import StreamSession
from tryon.errors import TryonError, UnknownProduct, UnknownVariant, UnsupportedModel
from tryon.products.model import Product

log = logging.getLogger("tryon.server.stream")

RATE_WARNING_INTERVAL_S = 1.0
QUERY_CONFIG_FIELDS = ("product", "variant", "mode", "mirror", "format")
SUMMARY_WRITE_TIMEOUT_S = 10.0  # a database that slow is down: the session ends without its record


@dataclass(frozen=True)
class StreamServices:
    """What every session of this process shares (built once by the app's lifespan)."""

    settings: Settings
    catalog: ProductCatalog
    registry: SessionRegistry
    summaries: TryonSessionStore
    executor: Executor


class _Connection:
    """One accepted socket: serialised sends, and the close that ends it."""

    def __init__(self, websocket: WebSocket) -> None:
        self.ws = websocket
        self._send_lock = asyncio.Lock()
        self.closed = False

    async def send_json(self, message: dict[str, Any]) -> None:
        await self._send(text=json.dumps(message, separators=(",", ":")))

    async def send_bytes(self, data: bytes) -> None:
        await self._send(data=data)

    async def _send(self, text: str | None = None, data: bytes | None = None) -> None:
        if self.closed:
            return
        async with self._send_lock:
            try:
                if text is not None:
                    await self.ws.send_text(text)
                else:
                    await self.ws.send_bytes(data or b"")
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.closed = True  # the peer went away; the receive loop sees the disconnect

    async def close(self, code: int, reason: str) -> None:
        if self.closed or self.ws.application_state == WebSocketState.DISCONNECTED:
            self.closed = True
            return
        async with self._send_lock:
            self.closed = True
            try:
                await self.ws.close(code=code, reason=reason.encode()[:123].decode(errors="ignore"))
            except (RuntimeError, OSError):
                pass


async def tryon_session(websocket: WebSocket, services: StreamServices) -> None:
    """Serve one WebSocket from accept to close."""
    await websocket.accept()
    conn = _Connection(websocket)
    session = StreamSession()
    try:
        services.registry.add(session)
    except ServerFull as exc:
        await conn.send_json({"type": "error", "code": "server_full", "message": str(exc)})
        await conn.close(CloseCode.TRY_AGAIN_LATER, "server full: too many live sessions in this process")
        return
    runner = _SessionRunner(conn, session, services)
    try:
        await runner.run(dict(websocket.query_params))
    finally:
        services.registry.remove(session)
        if not runner.summary_kept:
            await runner.keep_summary(session.summary(runner.close_code, runner.close_reason))


class _SessionRunner:
    """One session's loops, limits and per-session state (its pipeline lives in `processor`)."""

    def __init__(self, conn: _Connection, session: StreamSession, services: StreamServices) -> None:
        self.conn = conn
        self.session = session
        self.services = services
        s = services.settings
        self.settings = s
        self.slot = LatestFrameSlot()
        self.bucket = TokenBucket(s.max_fps, time.perf_counter())
        self.processor = FrameProcessor(FrameLimits(s.max_frame_width, s.max_frame_height))
        self.product: Product | None = None
        self.close_code: int | None = None
        self.close_reason = ""
        self.summary_kept = False
        self._last_rate_warning = -1e9
        self._warned_count = 0

    async def run(self, query: dict[str, str]) -> None:
        worker = asyncio.create_task(self._process_loop())
        try:
            await self.conn.send_json(self._ready())
            if query:
                await self._configure(_query_config(query), reply=True)
            await self._receive_loop()
        except ProtocolViolation as exc:
            await self._close(exc.code, exc.reason)
        except WebSocketDisconnect as exc:
            self.close_code, self.close_reason = exc.code, "client disconnected"
        except Exception:
            log.exception("session %s failed", self.session.session_id)
            await self._close(CloseCode.INTERNAL_ERROR, "internal server error; please report it")
        finally:
            self.slot.close()
            try:
                await worker  # let a frame in flight finish before the pipeline closes
            except Exception:
                log.exception("session %s processing loop failed", self.session.session_id)
            await asyncio.get_running_loop().run_in_executor(self.services.executor, self._close_processor)

    def _close_processor(self) -> None:
        self.processor.close()
        trim_heap()  # the graph's memory goes back to the system, not to a thread's arena

    async def keep_summary(self, summary: dict[str, Any]) -> None:
        """Record the session in the database. A failure is logged and the session goes on: the
        shopper's try-on never depends on the funnel's bookkeeping."""
        self.summary_kept = True
        try:
            await asyncio.wait_for(self.services.summaries.append(summary), SUMMARY_WRITE_TIMEOUT_S)
        except (SQLAlchemyError, OSError, TimeoutError, TryonError):
            log.exception("could not keep the summary of session %s", self.session.session_id)

    def _ready(self) -> dict[str, Any]:
        return {"type": "ready", "protocol": PROTOCOL_VERSION, "session_id": self.session.session_id,
                "config": self.session.config.to_json(),
                "limits": self.settings.client_limits()}

    async def _close(self, code: int, reason: str) -> None:
        self.close_code, self.close_reason = code, reason
        await self.conn.close(code, reason)

    async def _receive_loop(self) -> None:
        ws = self.conn.ws
        while True:
            try:
                message = await asyncio.wait_for(ws.receive(), timeout=self.settings.idle_timeout_s)
            except asyncio.TimeoutError:
                raise ProtocolViolation(CloseCode.IDLE_TIMEOUT,
                                        f"idle for {self.settings.idle_timeout_s:g} s: session closed") from None
            if message["type"] == "websocket.disconnect":
                code = message.get("code", 1005)
                self.close_code = code
                self.close_reason = "server shutting down" if code == CloseCode.SERVICE_RESTART else "client closed"
                return
            data = message.get("bytes")
            if data is not None:
                self._on_frame(data)
                await self._maybe_warn_rate()
                continue
            text = message.get("text")
            if text is None:
                continue
            if await self._on_control(parse_control(text, self.settings.max_text_bytes)):
                return

    def _on_frame(self, data: bytes) -> None:
        if len(data) > self.settings.max_frame_bytes:
            raise ProtocolViolation(CloseCode.MESSAGE_TOO_BIG,
                                    f"frame of {len(data)} bytes is over the {self.settings.max_frame_bytes}-byte limit")
        frame = unpack_frame(data)
        now = time.perf_counter()
        self.session.frame_received()
        if not self.bucket.take(now):
            self.session.frame_rate_limited()
            return
        self.session.frame_superseded(self.slot.put(PendingFrame(frame, now)))

    async def _maybe_warn_rate(self) -> None:
        s = self.session.stats
        now = time.perf_counter()
        if s.rate_limited > self._warned_count and now - self._last_rate_warning >= RATE_WARNING_INTERVAL_S:
            self._last_rate_warning, self._warned_count = now, s.rate_limited
            await self.conn.send_json({"type": "error", "code": "frame_rate_exceeded",
                                       "message": f"frames are arriving faster than {self.settings.max_fps:g} per "
                                                  f"second; {s.rate_limited} dropped so far: send fewer"})

    async def _on_control(self, message: dict[str, Any]) -> bool:
        """Handle one control message; True when the session should end."""
        kind = message["type"]
        if kind == "configure":
            await self._configure({k: v for k, v in message.items() if k != "type"}, reply=True)
        elif kind == "ping":
            await self.conn.send_json({"type": "pong", "t": message.get("t"), "server_time_ms": time.time() * 1e3})
        elif kind == "stats":
            await self.conn.send_json({"type": "stats", **self.session.summary()})
        elif kind == "end":
            self.slot.close()
            await asyncio.sleep(0)
            summary = self.session.summary(CloseCode.NORMAL, "end")
            await self.keep_summary(summary)  # kept before the client hears of it, so it can fetch it at once
            await self.conn.send_json({"type": "summary", **summary})
            await self._close(CloseCode.NORMAL, "end")
            return True
        else:
            raise ProtocolViolation(CloseCode.MALFORMED, f"unknown message type {kind!r}; "
                                    "expected configure, ping, stats or end")
        return False

    async def _configure(self, changes: dict[str, Any], reply: bool) -> None:
        try:
            config = apply_config(self.session.config, changes)
            product = self.product
            if (config.product, config.variant) != (self.session.config.product, self.session.config.variant):
                product = await self._checked_product(config)
        except RequestRejected as exc:
            await self.conn.send_json({"type": "error", "code": exc.code, "message": exc.message})
            return
        self.session.config, self.product = config, product
        if reply:
            await self.conn.send_json({"type": "configured", "config": config.to_json()})

    async def _checked_product(self, config: StreamConfig) -> Product | None:
        if config.product is None:
            return None
        try:
            product = await self.services.catalog.product(config.product)
            await asyncio.get_running_loop().run_in_executor(
                self.services.executor, self.services.catalog.check_variant, product, config.variant)
        except UnknownProduct as exc:
            raise RequestRejected("unknown_product", str(exc)) from None
        except UnknownVariant as exc:
            raise RequestRejected("unknown_variant", str(exc)) from None
        except UnsupportedModel as exc:
            raise RequestRejected("model_unavailable", f"product {config.product!r} cannot be shown: {exc}") from None
        return product

    async def _process_loop(self) -> None:
        loop = asyncio.get_running_loop()
        # The MediaPipe graph is built now, not on the first frame (it takes ~0.1-0.3 s); this
        # task is the only user of the processor, so it never runs twice at once.
        await loop.run_in_executor(self.services.executor, self.processor.prepare, self.session.config)
        while await self.slot.wait():
            config, product = self.session.config, self.product
            outcome = await loop.run_in_executor(self.services.executor, self._process_newest, config, product)
            if outcome is None:
                continue
            pending, started, done = outcome
            if isinstance(done, RequestRejected):
                self.session.frame_failed()
                await self.conn.send_json({"type": "error", "code": done.code, "message": done.message,
                                           "frame_id": done.frame_id})
                continue
            if isinstance(done, Exception):
                self.session.frame_failed()
                await self.conn.send_json({"type": "error", "code": "processing_failed", "frame_id": pending.message.frame_id,
                                           "message": "the server failed on this frame (a bug, logged); the session goes on"})
                continue
            meta = done.meta
            server_ms = (time.perf_counter() - pending.received_at) * 1e3
            meta["timings_ms"]["queue"] = round((started - pending.received_at) * 1e3, 3)
            meta["timings_ms"]["server"] = round(server_ms, 3)
            meta.update(self.session.frame_done(server_ms, config.product, config.variant))
            if done.image is not None:
                await self.conn.send_bytes(pack_result(meta, done.image))
            else:
                await self.conn.send_json(meta)

    def _process_newest(self, config: StreamConfig, product: Product | None
                        ) -> tuple[PendingFrame, float, ProcessedFrame | Exception] | None:
        """On a frame thread: take the newest waiting frame now and process it. Errors are
        returned, not raised, so the loop knows which frame they belong to."""
        pending = self.slot.take_nowait()
        if pending is None:
            return None
        started = time.perf_counter()
        try:
            return pending, started, self.processor.process(pending.message, config, product)
        except RequestRejected as exc:
            return pending, started, exc
        except Exception as exc:
            log.exception("session %s: frame %d failed", self.session.session_id, pending.message.frame_id)
            return pending, started, exc


def _query_config(query: dict[str, str]) -> dict[str, Any]:
    """Connect-time query parameters as configure fields (strings turned into their types)."""
    changes: dict[str, Any] = {}
    for key, value in query.items():
        if key not in QUERY_CONFIG_FIELDS:
            continue
        if key == "mirror":
            changes[key] = value.lower() in ("1", "true", "yes")
        else:
            changes[key] = value
    return changes
