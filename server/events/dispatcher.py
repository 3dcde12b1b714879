"""Fan committed outbox events out: one webhook_deliveries row per (event, matching active
webhook), then mark the event dispatched. The caller publishes the returned events to the live bus.

Many processes run this at once. On PostgreSQL each claims its batch with FOR UPDATE SKIP LOCKED,
so two dispatchers take different events and never wait on each other; on SQLite the write
transaction (BEGIN IMMEDIATE) already holds the database's one write lock. Either way the unique
(event_id, webhook_id) key and INSERT ... ON CONFLICT DO NOTHING make a repeat fan-out harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.database import Database
from server.db.upsert import insert_ignore
from server.db.tables import DELIVERIES, OUTBOX, WEBHOOKS
from server.events.envelope import Event
from server.events.topics import topic_matches

DISPATCH_BATCH = 200


@dataclass(frozen=True)
class Dispatched:
    events: list[Event]
    deliveries: int  # webhook_deliveries rows created

    @property
    def full(self) -> bool:
        """A full batch: more events are probably waiting."""
        return len(self.events) >= DISPATCH_BATCH


NOTHING = Dispatched([], 0)


async def dispatch_batch(db: Database, now: datetime, limit: int = DISPATCH_BATCH) -> Dispatched:
    """Dispatch up to `limit` undispatched events, oldest first."""
    async with db.read() as conn:  # the common case, nothing waiting, never takes SQLite's write lock
        waiting = (await conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.dispatched_at.is_(None)).limit(1))).first()
    if waiting is None:
        return NOTHING
    return await db.write(lambda conn: _fan_out(conn, now, limit))


async def _fan_out(conn: AsyncConnection, now: datetime, limit: int) -> Dispatched:
    query = select(OUTBOX).where(OUTBOX.c.dispatched_at.is_(None)).order_by(OUTBOX.c.id).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = (await conn.execute(query)).all()
    if not rows:
        return NOTHING
    hooks = (await conn.execute(select(WEBHOOKS.c.id, WEBHOOKS.c.topics).where(WEBHOOKS.c.active.is_(True)))).all()
    deliveries = [{"event_id": row.id, "webhook_id": hook.id, "status": "pending", "attempts": 0,
                   "next_attempt_at": now, "last_error": ""}
                  for row in rows for hook in hooks if topic_matches(hook.topics, row.topic)]
    if deliveries:
        await conn.execute(insert_ignore(conn, DELIVERIES), deliveries)
    ids = [row.id for row in rows]
    await conn.execute(update(OUTBOX).where(OUTBOX.c.id.in_(ids), OUTBOX.c.dispatched_at.is_(None))
                       .values(dispatched_at=now))
    return Dispatched([Event(row.id, row.topic, row.created_at, row.payload) for row in rows], len(deliveries))
