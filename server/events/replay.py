"""Events a live page missed while it was disconnected, read back from the outbox.

Only what retention kept can be replayed (TRYON_EVENT_RETENTION_DAYS, server/events/retention.py).
A page whose Last-Event-ID is no longer in the outbox, or was dispatched so long ago that events
after it may have been deleted, or which missed more than REPLAY_LIMIT events, cannot catch up by
replay: it gets an incomplete Replay, no events, and should reload its state (server/events/sse.py
tells it so with a `replay.incomplete` event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.database import Database
from server.db.tables import OUTBOX
from server.events.envelope import Event

REPLAY_LIMIT = 1000  # a page away for more events than this should reload rather than catch up
RETENTION_MARGIN = timedelta(hours=1)  # an event this close to deletion counts as gone: the sweeper may be at it


@dataclass(frozen=True)
class Replay:
    """The events after `last_id`, oldest first; `complete` False when some may be missing, and
    then `latest_id` is the newest event's id, where a page that reloaded its state goes on from."""

    last_id: int
    events: list[Event] = field(default_factory=list)
    complete: bool = True
    latest_id: int | None = None


def replay_horizon(now: datetime, retention_days: int) -> datetime:
    """Events dispatched before this may have been deleted, with those after them."""
    return now - timedelta(days=retention_days) + RETENTION_MARGIN


def _topic_filter(patterns: Sequence[str]):
    if "*" in patterns:
        return None
    exact = [p for p in patterns if not p.endswith(".*")]
    families = [p[:-1] for p in patterns if p.endswith(".*")]  # "reservation.*" -> prefix "reservation."
    return or_(OUTBOX.c.topic.in_(exact), *[OUTBOX.c.topic.startswith(f, autoescape=True) for f in families])


async def events_after(db: Database, last_id: int, patterns: Sequence[str] = ("*",), limit: int = REPLAY_LIMIT,
                       kept_since: datetime | None = None) -> Replay:
    """Committed events with an id above `last_id` on topics matching `patterns`, oldest first.
    With `kept_since` (see replay_horizon) a `last_id` that is gone, or older, makes it incomplete."""
    query = select(OUTBOX).where(OUTBOX.c.id > last_id).order_by(OUTBOX.c.id).limit(limit + 1)
    topics = _topic_filter(patterns)
    if topics is not None:
        query = query.where(topics)
    async with db.read() as conn:
        if kept_since is not None:
            anchor = (await conn.execute(select(OUTBOX.c.dispatched_at).where(OUTBOX.c.id == last_id))).first()
            if anchor is None or anchor.dispatched_at is None or anchor.dispatched_at < kept_since:
                return await _incomplete(conn, last_id)
        rows = (await conn.execute(query)).all()
        if len(rows) > limit:
            return await _incomplete(conn, last_id)
    return Replay(last_id, [Event(row.id, row.topic, row.created_at, row.payload) for row in rows])


async def _incomplete(conn: AsyncConnection, last_id: int) -> Replay:
    latest = (await conn.execute(select(func.max(OUTBOX.c.id)))).scalar()
    return Replay(last_id, complete=False, latest_id=latest)
