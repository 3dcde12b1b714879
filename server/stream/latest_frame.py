"""Latest frame wins: one frame waits while one is processed; a newer arrival replaces the waiting one."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from server.stream.protocol import FrameMessage


@dataclass(frozen=True)
class PendingFrame:
    message: FrameMessage
    received_at: float  # time.perf_counter() when the message arrived


class LatestFrameSlot:
    """A one-place mailbox between a session's receive loop and its processing.

    `put` (event loop) never blocks and returns how many frames it superseded (0 or 1), so the
    caller counts drops; the queue can never grow, whatever the client sends. The frame is taken
    by the frame thread when it *starts* the work (`take_nowait`, thread-safe), not when the work
    is queued, so a frame that waited behind other sessions' work is replaced by a newer one.
    """

    def __init__(self) -> None:
        self._frame: PendingFrame | None = None
        self._lock = threading.Lock()
        self._ready = asyncio.Event()
        self._closed = False

    def put(self, frame: PendingFrame) -> int:
        with self._lock:
            superseded = int(self._frame is not None)
            self._frame = frame
        self._ready.set()
        return superseded

    async def wait(self) -> bool:
        """Until a frame waits (True) or the slot is closed with none left (False)."""
        while not self.waiting:
            if self._closed:
                return False
            self._ready.clear()
            await self._ready.wait()
        return True

    def take_nowait(self) -> PendingFrame | None:
        """The waiting frame, or None; safe from any thread."""
        with self._lock:
            frame, self._frame = self._frame, None
        return frame

    async def take(self) -> PendingFrame | None:
        """The waiting frame, waiting for one if needed; None once closed and empty."""
        return self.take_nowait() if await self.wait() else None

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    @property
    def waiting(self) -> bool:
        return self._frame is not None
