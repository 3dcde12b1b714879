"""An outbox event as it leaves the service: the same JSON for webhooks, the Redis bus and
Server-Sent Events, so a retailer parses one shape everywhere."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """`id` is the outbox row's id: unique, and increasing in commit order within one dispatcher
    (across dispatchers only roughly; `stock.changed` carries the row's `version` for ordering)."""

    id: int
    topic: str
    created_at: datetime
    payload: dict[str, Any]

    @property
    def store_id(self) -> int | None:
        value = self.payload.get("store_id")
        return value if isinstance(value, int) else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "topic": self.topic, "created_at": self.created_at.isoformat(),
                "payload": self.payload}

    def to_json(self) -> str:
        """One line of compact JSON (SSE data lines cannot hold newlines)."""
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(int(data["id"]), str(data["topic"]), datetime.fromisoformat(data["created_at"]),
                   dict(data["payload"]))

    @classmethod
    def from_json(cls, text: str | bytes) -> Event:
        """Raises ValueError (or KeyError/TypeError) on a message that is not an event."""
        return cls.from_dict(json.loads(text))
