"""Latest frame wins: one frame waits while one is processed; a newer arrival replaces the waiting one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from server.stream.protocol import FrameMessage


@dataclass(frozen=True)
class PendingFrame:
    message: FrameMessage
    received_at: float  # time.perf_counter() when the message arrived


class LatestFrameSlot:
    """A one-place mailbox between a session's receive loop and its processing loop.

    `put` never blocks and returns how many frames it superseded (0 or 1), so the caller counts
    drops; the queue can never grow, whatever the client sends.
    """

    def __init__(self) -> None:
        self._frame: PendingFrame | None = None
        self._ready = asyncio.Event()
        self._closed = False

    def put(self, frame: PendingFrame) -> int:
        superseded = int(self._frame is not None)
        self._frame = frame
        self._ready.set()
        return superseded

    async def take(self) -> PendingFrame | None:
        """The waiting frame, waiting for one if needed; None once closed."""
        while self._frame is None:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        frame, self._frame = self._frame, None
        return frame

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    @property
    def waiting(self) -> bool:
        return self._frame is not None
