"""One webhook delivery: claim it, POST it, record what happened.

A worker claims due deliveries by setting `locked_until` (a lease) in a conditional UPDATE: the
database hands each row to one worker, and a worker that dies mid-request leaves a lease that
simply runs out. The lease outlasts the request's whole timeout, so a live worker's delivery is
never claimed twice. Outcomes are recorded only while the lease is still the worker's own, many
in one transaction when a burst of deliveries finishes together.

Failures back off exponentially (base, 2 x base, 4 x base ... up to ten minutes, plus up to 20 %
random jitter so a recovered receiver is not hit by every retry at once) until the webhook's
attempts are spent; the delivery is then `failed` and waits for a manual retry. A delivery whose
host now resolves to an address on the service's own network (server/events/address_guard.py) is
not sent and fails at once: no retry can help until the webhook's DNS or URL is fixed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.db.database import Database
from server.db.tables import DELIVERIES, OUTBOX, WEBHOOKS
from server.events.envelope import Event
from server.events.signing import SIGNATURE_HEADER, signature_header

MAX_RETRY_DELAY_S = 600.0
JITTER = 0.2
LEASE_MARGIN_S = 30.0  # a lease outlives the request's timeout by this much
MAX_ERROR_CHARS = 500
MAX_RESPONSE_BYTES = 1024  # of a refusal's body, kept in last_error; the rest is not read


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds until `lease_until`."""

    id: int
    webhook_id: int
    attempts: int  # before this one
    url: str
    secret: str
    event: Event
    lease_until: datetime


def retry_delay(attempts: int, base_s: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempts`-th failed attempt (1, 2, ...)."""
    nominal = min(MAX_RETRY_DELAY_S, base_s * 2 ** (attempts - 1))
    return nominal * (1 + JITTER * (rng or random).random())


def lease_for(timeout_s: float) -> timedelta:
    return timedelta(seconds=timeout_s + LEASE_MARGIN_S)


def _due(now: datetime):
    return and_(DELIVERIES.c.status == "pending", DELIVERIES.c.next_attempt_at <= now,
                or_(DELIVERIES.c.locked_until.is_(None), DELIVERIES.c.locked_until < now))


async def claim_due(db: Database, now: datetime, lease: timedelta, limit: int, per_webhook: int,
                    busy: Mapping[int, int]) -> list[Claimed]:
    """Up to `limit` due deliveries, at most `per_webhook` for any webhook counting the `busy`
    ones this worker already has in flight, so one slow webhook never takes every slot."""
    if limit <= 0:
        return []
    rank = func.row_number().over(partition_by=DELIVERIES.c.webhook_id,
                                  order_by=(DELIVERIES.c.next_attempt_at, DELIVERIES.c.id)).label("rank")
    ranked = select(DELIVERIES.c.id, DELIVERIES.c.webhook_id, DELIVERIES.c.next_attempt_at, rank) \
        .where(_due(now)).subquery()
    candidates_query = (select(ranked.c.id, ranked.c.webhook_id).where(ranked.c.rank <= per_webhook)
                        .order_by(ranked.c.next_attempt_at, ranked.c.id).limit(limit + sum(busy.values())))
    async with db.read() as conn:  # finding nothing due, the common case, takes no write lock
        candidates = (await conn.execute(candidates_query)).all()
    taken: dict[int, int] = dict(busy)
    wanted: list[int] = []
    for row in candidates:
        if len(wanted) < limit and taken.get(row.webhook_id, 0) < per_webhook:
            taken[row.webhook_id] = taken.get(row.webhook_id, 0) + 1
            wanted.append(row.id)
    if not wanted:
        return []
    return await db.write(lambda conn: _claim(conn, wanted, now, now + lease))


async def _claim(conn: AsyncConnection, ids: list[int], now: datetime, lease_until: datetime) -> list[Claimed]:
    # The WHERE is checked again under the row locks: a row another worker claimed meanwhile drops out.
    claimed = (await conn.execute(update(DELIVERIES).where(DELIVERIES.c.id.in_(ids), _due(now))
                                  .values(locked_until=lease_until).returning(DELIVERIES.c.id))).scalars().all()
    if not claimed:
        return []
    rows = (await conn.execute(
        select(DELIVERIES.c.id, DELIVERIES.c.webhook_id, DELIVERIES.c.attempts, WEBHOOKS.c.url, WEBHOOKS.c.secret,
               OUTBOX.c.id.label("event_id"), OUTBOX.c.topic, OUTBOX.c.created_at, OUTBOX.c.payload)
        .join(WEBHOOKS, WEBHOOKS.c.id == DELIVERIES.c.webhook_id)
        .join(OUTBOX, OUTBOX.c.id == DELIVERIES.c.event_id)
        .where(DELIVERIES.c.id.in_(list(claimed))).order_by(DELIVERIES.c.id))).all()
    return [Claimed(r.id, r.webhook_id, r.attempts, r.url, r.secret,
                    Event(r.event_id, r.topic, r.created_at, r.payload), lease_until) for r in rows]


async def next_due_at(db: Database) -> datetime | None:
    """When the soonest pending delivery falls due (None: nothing pending)."""
    async with db.read() as conn:
        return (await conn.execute(select(func.min(DELIVERIES.c.next_attempt_at))
                                   .where(DELIVERIES.c.status == "pending"))).scalar()


async def post(client: httpx.AsyncClient, delivery: Claimed, timeout_s: float) -> str | None:
    """POST the event, signed; None if the receiver answered 2xx, else what went wrong. The whole
    exchange, connect to last byte, is bounded by `timeout_s`. Through a guarded client
    (server/events/guarded_http.py) it raises WebhookAddressRefused, having sent nothing, for a
    host that is not a public address."""
    body = delivery.event.to_json().encode()
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature_header(delivery.secret, body),
               "X-Tryon-Event": delivery.event.topic, "X-Tryon-Delivery": str(delivery.id),
               "User-Agent": "tryon-webhooks/1"}
    try:
        async with asyncio.timeout(timeout_s):
            async with client.stream("POST", delivery.url, content=body, headers=headers, timeout=timeout_s) as reply:
                if 200 <= reply.status_code < 300:
                    return None
                excerpt = b""
                async for chunk in reply.aiter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= MAX_RESPONSE_BYTES:
                        break
                text = excerpt[:MAX_RESPONSE_BYTES].decode(errors="replace").strip()
                return f"HTTP {reply.status_code}" + (f": {text}" if text else "")
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: `error` None for a 2xx; `cut_short` when the worker stopped
    mid-request; `final` when no further attempt can succeed (the address was refused)."""

    delivery: Claimed
    error: str | None
    at: datetime
    cut_short: bool = False
    final: bool = False


def _new_values(outcome: Outcome, max_attempts: int, retry_base_s: float) -> dict[str, object]:
    if outcome.cut_short:  # not counted: the receiver may not have seen it; another worker tries now
        return {"locked_until": None}
    attempts = outcome.delivery.attempts + 1
    values: dict[str, object] = {"attempts": attempts, "locked_until": None}
    if outcome.error is None:
        values.update(status="delivered", delivered_at=outcome.at)  # last_error stays: why it needed retries
    elif outcome.final or attempts >= max_attempts:
        values.update(status="failed", last_error=outcome.error[:MAX_ERROR_CHARS])
    else:
        values.update(status="pending", last_error=outcome.error[:MAX_ERROR_CHARS],
                      next_attempt_at=outcome.at + timedelta(seconds=retry_delay(attempts, retry_base_s)))
    return values


async def record_outcomes(db: Database, outcomes: list[Outcome], max_attempts: int,
                          retry_base_s: float) -> list[str | None]:
    """Store several attempts' outcomes in one transaction (one write lock for a burst of
    deliveries); each delivery's new status, or None where its lease had been lost meanwhile."""
    if not outcomes:
        return []

    async def work(conn: AsyncConnection) -> list[str | None]:
        statuses: list[str | None] = []
        for outcome in outcomes:
            values = _new_values(outcome, max_attempts, retry_base_s)
            mine = and_(DELIVERIES.c.id == outcome.delivery.id,
                        DELIVERIES.c.locked_until == outcome.delivery.lease_until)
            done = await conn.execute(update(DELIVERIES).where(mine).values(**values))
            statuses.append(str(values.get("status", "pending")) if done.rowcount == 1 else None)
        return statuses

    return await db.write(work)
