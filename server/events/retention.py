"""Retention: dispatched events and finished webhook deliveries are deleted once they are older
than TRYON_EVENT_RETENTION_DAYS, so the outbox and the delivery log do not grow for ever. The
sweeper (server/commerce/runtime.py) calls `prune_events` on every sweep.

Never deleted: an event not yet dispatched, a delivery still pending, and an event that still
has any delivery row (a delivery retried by hand recently keeps its event until it ages out
itself; the foreign key would otherwise take pending deliveries with it). A delivery's age is
that of its last attempt (`next_attempt_at`, and `delivered_at` once delivered); an event's,
the time it was dispatched. Live pages cannot replay events deleted here (server/events/replay.py).
The newest row of each table always stays, however old: SQLite (INTEGER PRIMARY KEY, no
AUTOINCREMENT) gives a new row max(id) + 1, so deleting the newest would hand its id out again,
and receivers deduplicate on the event id.

Rows go in batches of at most BATCH, each batch its own short transaction, so a big backlog
never holds a lock for long (SQLite has one write lock for the whole database); after
MAX_BATCHES per table the rest waits for the next sweep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Table, and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.database import Database
from server.db.tables import DELIVERIES, OUTBOX

log = logging.getLogger("tryon.events")
BATCH = 5000
MAX_BATCHES = 20  # per table and sweep: 100 000 rows, then the sweeper's other work comes round again
FINISHED = ("delivered", "failed")


@dataclass(frozen=True)
class Pruned:
    deliveries: int
    events: int


def finished_deliveries_before(cutoff: datetime) -> ColumnElement[bool]:
    # status and next_attempt_at: the (status, next_attempt_at) index keeps the search narrow.
    return and_(DELIVERIES.c.status.in_(FINISHED), DELIVERIES.c.next_attempt_at < cutoff,
                or_(DELIVERIES.c.delivered_at.is_(None), DELIVERIES.c.delivered_at < cutoff))


def events_dispatched_before(cutoff: datetime) -> ColumnElement[bool]:
    # dispatched_at < cutoff excludes undispatched events (NULL) and uses ix_outbox_undispatched.
    has_delivery = exists().where(DELIVERIES.c.event_id == OUTBOX.c.id)
    return and_(OUTBOX.c.dispatched_at < cutoff, ~has_delivery)


async def delete_batch(conn: AsyncConnection, table: Table, condition: ColumnElement[bool], batch: int) -> int:
    """Delete up to `batch` rows matching `condition`; how many went. On PostgreSQL rows another
    transaction holds are skipped (SKIP LOCKED: two sweepers never wait on, or deadlock with, each
    other), and the condition is repeated on the DELETE so a row changed meanwhile (a failed
    delivery retried by hand) is checked again under its lock and kept."""
    newest = select(func.max(table.c.id)).correlate(None).scalar_subquery()
    condition = and_(condition, table.c.id < newest)
    chosen = select(table.c.id).where(condition).limit(batch)
    if conn.dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    result = await conn.execute(delete(table).where(table.c.id.in_(chosen), condition))
    return result.rowcount


async def prune_table(db: Database, table: Table, condition: ColumnElement[bool], batch: int,
                      max_batches: int) -> int:
    deleted = 0
    for _ in range(max_batches):
        count = await db.write(lambda conn: delete_batch(conn, table, condition, batch))
        deleted += count
        if count < batch:
            break
    return deleted


async def prune_events(db: Database, cutoff: datetime, batch: int = BATCH, max_batches: int = MAX_BATCHES) -> Pruned:
    """Delete finished deliveries whose last attempt was before `cutoff`, then the dispatched
    events before `cutoff` that no delivery refers to any more."""
    deliveries = await prune_table(db, DELIVERIES, finished_deliveries_before(cutoff), batch, max_batches)
    events = await prune_table(db, OUTBOX, events_dispatched_before(cutoff), batch, max_batches)
    if deliveries or events:
        log.info("retention: deleted %d webhook deliveries and %d events older than %s", deliveries, events,
                 cutoff.isoformat())
    return Pruned(deliveries, events)
