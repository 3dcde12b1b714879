"""Per-session frame-rate limit: a token bucket, so a camera's jitter passes but a flood does not."""

from __future__ import annotations

BURST_SECONDS = 0.25  # a quarter second of frames may arrive back to back (network bunching)


class TokenBucket:
    """`rate` tokens per second, holding at most max(2, rate * BURST_SECONDS)."""

    def __init__(self, rate: float, now: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.capacity = max(2.0, rate * BURST_SECONDS)
        self._tokens = self.capacity
        self._last = now

    def take(self, now: float) -> bool:
        """True if one more event is allowed at time `now` (seconds, monotonic)."""
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
