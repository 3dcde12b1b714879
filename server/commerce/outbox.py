"""Events for the retailer's systems, written in the same transaction as the change they describe
(the transactional outbox): an event exists if and only if its change committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.tables import OUTBOX


async def emit(conn: AsyncConnection, topic: str, payload: dict[str, Any], now: datetime) -> None:
    """Record an event; the dispatcher delivers it to webhooks and live pages after commit."""
    await conn.execute(insert(OUTBOX), {"topic": topic, "payload": payload, "created_at": now})


async def emit_many(conn: AsyncConnection, events: list[tuple[str, dict[str, Any]]], now: datetime) -> None:
    """Several events in one statement."""
    await conn.execute(insert(OUTBOX), [{"topic": t, "payload": p, "created_at": now} for t, p in events])
