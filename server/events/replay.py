"""Events a live page missed while it was disconnected, read back from the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select

from server.db.database import Database
from server.db.tables import OUTBOX
from server.events.envelope import Event

REPLAY_LIMIT = 1000  # a page away for more events than this should reload rather than catch up


def _topic_filter(patterns: Sequence[str]):
    if "*" in patterns:
        return None
    exact = [p for p in patterns if not p.endswith(".*")]
    families = [p[:-1] for p in patterns if p.endswith(".*")]  # "reservation.*" -> prefix "reservation."
    return or_(OUTBOX.c.topic.in_(exact), *[OUTBOX.c.topic.startswith(f, autoescape=True) for f in families])


async def events_after(db: Database, last_id: int, patterns: Sequence[str] = ("*",),
                       limit: int = REPLAY_LIMIT) -> list[Event]:
    """Committed events with an id above `last_id` on topics matching `patterns`, oldest first."""
    query = select(OUTBOX).where(OUTBOX.c.id > last_id).order_by(OUTBOX.c.id).limit(limit)
    topics = _topic_filter(patterns)
    if topics is not None:
        query = query.where(topics)
    async with db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [Event(row.id, row.topic, row.created_at, row.payload) for row in rows]
