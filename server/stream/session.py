"""One try-on session's bookkeeping: its id, config, counters and end-of-session summary.

No sockets and no frames here: the WebSocket loop (ws.py) reports events, this keeps score. The
summary is what a session leaves behind (frames never are: they are biometric data).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np

from server.stream.protocol import StreamConfig

LATENCY_WINDOW = 2048  # latencies kept for the summary's p95 (a minute at 30 fps is 1800)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class SessionStats:
    frames_received: int = 0
    frames_processed: int = 0
    superseded: int = 0
    rate_limited: int = 0
    frame_errors: int = 0
    dropped_since_last_result: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    latency_sum_ms: float = 0.0
    tried: dict[tuple[str, str | None], int] = field(default_factory=dict)


class StreamSession:
    """State of one live session that outlives any single frame."""

    def __init__(self, config: StreamConfig | None = None, session_id: str | None = None) -> None:
        self.session_id = session_id or uuid.uuid4().hex
        self.config = config or StreamConfig()
        self.started_wall = time.time()
        self.started = time.perf_counter()
        self.stats = SessionStats()

    def frame_received(self) -> None:
        self.stats.frames_received += 1

    def frame_superseded(self, count: int) -> None:
        self.stats.superseded += count
        self.stats.dropped_since_last_result += count

    def frame_rate_limited(self) -> None:
        self.stats.rate_limited += 1
        self.stats.dropped_since_last_result += 1

    def frame_failed(self) -> None:
        self.stats.frame_errors += 1

    def frame_done(self, latency_ms: float, product: str | None, variant: str | None) -> dict[str, Any]:
        """Count a processed frame; returns the counters its result carries."""
        s = self.stats
        s.frames_processed += 1
        s.latency_sum_ms += latency_ms
        if len(s.latencies_ms) < LATENCY_WINDOW:
            s.latencies_ms.append(latency_ms)
        else:
            s.latencies_ms[s.frames_processed % LATENCY_WINDOW] = latency_ms
        if product is not None:
            key = (product, variant)
            s.tried[key] = s.tried.get(key, 0) + 1
        counters = {
            "dropped": {"superseded": s.superseded, "rate_limited": s.rate_limited,
                        "since_last_result": s.dropped_since_last_result},
            "frames": {"received": s.frames_received, "processed": s.frames_processed, "errors": s.frame_errors},
        }
        s.dropped_since_last_result = 0
        return counters

    def summary(self, close_code: int | None = None, close_reason: str = "") -> dict[str, Any]:
        s = self.stats
        lat = np.asarray(s.latencies_ms) if s.latencies_ms else None
        return {
            "session_id": self.session_id,
            "started_at": _iso(self.started_wall),
            "ended_at": _iso(time.time()),
            "duration_s": round(time.perf_counter() - self.started, 3),
            "frames_received": s.frames_received,
            "frames_processed": s.frames_processed,
            "dropped_superseded": s.superseded,
            "dropped_rate_limited": s.rate_limited,
            "frame_errors": s.frame_errors,
            "mean_latency_ms": round(s.latency_sum_ms / s.frames_processed, 2) if s.frames_processed else None,
            "p95_latency_ms": round(float(np.percentile(lat, 95)), 2) if lat is not None else None,
            "tried": [{"product": p, "variant": v, "frames": n} for (p, v), n in s.tried.items()],
            "close_code": close_code,
            "close_reason": close_reason,
        }
