"""Failed code lookups per client address are limited, so reservation and coupon codes cannot be
enumerated by brute force even from inside a store's network: 20 misses per minute, then 429.
Per process (each process keeps its own count; the 80-bit codes are the real protection)."""

from __future__ import annotations

import time
from collections import OrderedDict

from fastapi import HTTPException, Request

MISSES_PER_MINUTE = 20.0
TRACKED_CLIENTS = 10_000


class CodeGuard:
    def __init__(self, misses_per_minute: float = MISSES_PER_MINUTE) -> None:
        self.rate = misses_per_minute / 60.0
        self.capacity = misses_per_minute
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _tokens(self, client: str, now: float) -> float:
        tokens, last = self._buckets.get(client, (self.capacity, now))
        return min(self.capacity, tokens + (now - last) * self.rate)

    def check(self, request: Request) -> None:
        """Refuse a client that has used up its misses."""
        client = request.client.host if request.client else "?"
        if self._tokens(client, time.monotonic()) < 1.0:
            raise HTTPException(429, "too many unknown codes from this address; wait a minute and check the code",
                                headers={"Retry-After": "60"})

    def missed(self, request: Request) -> None:
        client = request.client.host if request.client else "?"
        now = time.monotonic()
        self._buckets[client] = (self._tokens(client, now) - 1.0, now)
        self._buckets.move_to_end(client)
        while len(self._buckets) > TRACKED_CLIENTS:
            self._buckets.popitem(last=False)
