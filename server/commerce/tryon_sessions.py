"""Try-on sessions, the top of the funnel: one row per session with the product variants worn.

A session is recorded by the live stream when it ends (its summary, never a frame: frames are
biometric data) or through the API by clients that render on their own. Recording is an upsert by
session id, so the stream and the API may both record one session, and a retry changes nothing:
a repeat fills in what the first lacked (end, store), adds variants not yet listed, and the
stream's summary wins over one sent through the API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from server.catalog.bundled import CatalogEntry
from server.commerce.errors import InvalidRequest, TryonSessionNotFound, UnknownSku
from server.commerce.stores import get_store
from server.commerce.timestamps import iso_z
from server.db.database import Database
from server.db.upsert import insert_ignore
from server.db.tables import ITEMS, SESSIONS, SKUS

SOURCES = ("stream", "api")
MAX_ITEMS = 200  # variants worn in one session; far more than anyone tries on
FUTURE_SKEW = timedelta(minutes=5)  # a client's clock may run a little ahead of ours
# API session ids are bearer-like (a session's coupons are handed to whoever names it): at least
# 32 characters, e.g. a UUID4 in hex as the stream uses.
_API_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_STREAM_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class TriedItem:
    """A product variant worn in a session; `first_at` None means 'at the session start'."""

    product_id: str
    variant: str
    first_at: datetime | None = None


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    source: str
    started_at: datetime
    ended_at: datetime | None = None
    store_id: int | None = None
    items: tuple[TriedItem, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)

    def validated(self, now: datetime) -> SessionRecord:
        if self.source not in SOURCES:
            raise InvalidRequest(f"source must be one of {', '.join(SOURCES)}, not {self.source!r}")
        pattern = _STREAM_SESSION_ID if self.source == "stream" else _API_SESSION_ID
        if not pattern.match(self.session_id):
            raise InvalidRequest("a session id is 32 to 64 letters, digits, '-' or '_' (e.g. a UUID4 in hex)")
        started, ended = _aware("started_at", self.started_at), _aware("ended_at", self.ended_at)
        if started > now + FUTURE_SKEW:
            raise InvalidRequest(f"started_at {iso_z(started)} is in the future")
        if ended is not None and ended < started:
            raise InvalidRequest(f"ended_at {iso_z(ended)} is before started_at {iso_z(started)}")
        if len(self.items) > MAX_ITEMS:
            raise InvalidRequest(f"at most {MAX_ITEMS} items per session, not {len(self.items)}")
        items: dict[tuple[str, str], TriedItem] = {}
        for item in self.items:
            for name, value in (("product_id", item.product_id), ("variant", item.variant)):
                if not isinstance(value, str) or len(value) > 64 or not value.isprintable():
                    raise InvalidRequest(f"item {name} must be text of at most 64 characters")
            first = max(_aware("first_at", item.first_at) or started, started)
            key = (item.product_id, item.variant)
            if key not in items or first < (items[key].first_at or first):
                items[key] = TriedItem(item.product_id, item.variant, first)
        return replace(self, started_at=started, ended_at=ended, items=tuple(items.values()))


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidRequest(f"{name} needs a UTC offset, e.g. 2026-12-02T09:00:00Z")
    return value.astimezone(timezone.utc)


def default_variants(entries: Iterable[CatalogEntry]) -> dict[str, str]:
    """product id -> the variant a session wears when it names none (the catalog's first, as the
    shopper page shows it)."""
    return {e.product_id: e.variants[0] for e in entries if e.variants}


def resolve_variant(product_id: str, variant: str | None, defaults: Mapping[str, str]) -> str:
    """The concrete variant worn; '' for a product without variants."""
    return variant if variant is not None else defaults.get(product_id, "")


def record_from_summary(summary: dict[str, Any], defaults: Mapping[str, str]) -> SessionRecord:
    """A live stream session's end-of-session summary (server/stream/session.py) as a record."""
    try:
        started = datetime.fromisoformat(summary["started_at"])
        ended = datetime.fromisoformat(summary["ended_at"]) if summary.get("ended_at") else None
        items = tuple(TriedItem(t["product"], resolve_variant(t["product"], t.get("variant"), defaults))
                      for t in summary.get("tried", ()) if t.get("product"))
        return SessionRecord(summary["session_id"], "stream", started, ended, None, items, summary)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRequest(f"not a session summary ({type(exc).__name__}: {exc})") from None


def record_from_api(session_id: str, started_at: datetime, ended_at: datetime | None, store_id: int | None,
                    items: Iterable[tuple[str, str | None]], defaults: Mapping[str, str],
                    now: datetime) -> SessionRecord:
    """A session a client recorded itself (client-side rendering, another channel), validated."""
    record = SessionRecord(session_id, "api", started_at, ended_at, store_id,
                           tuple(TriedItem(p, resolve_variant(p, v, defaults)) for p, v in items)).validated(now)
    return replace(record, summary=api_summary(record))


def api_summary(record: SessionRecord) -> dict[str, Any]:
    """The summary kept for a session recorded through the API (no frame counters: we saw no frames)."""
    return {"session_id": record.session_id, "source": record.source, "started_at": iso_z(record.started_at),
            "ended_at": iso_z(record.ended_at), "store_id": record.store_id,
            "tried": [{"product": i.product_id, "variant": i.variant} for i in record.items]}


def merged(existing: RowMapping | dict[str, Any], record: SessionRecord) -> dict[str, Any]:
    """The row after recording `record` over an existing one (pure: see the module docstring)."""
    ends = [e for e in (existing["ended_at"], record.ended_at) if e is not None]
    keep_summary = existing["source"] == "stream" and record.source == "api"
    return {"source": "stream" if "stream" in (existing["source"], record.source) else "api",
            "started_at": min(existing["started_at"], record.started_at),
            "ended_at": max(ends) if ends else None,
            "store_id": existing["store_id"] if existing["store_id"] is not None else record.store_id,
            "summary": existing["summary"] if keep_summary else record.summary}


# --- the database ---

async def require_known_variants(conn: AsyncConnection, items: Iterable[TriedItem]) -> None:
    """Refuse product variants the catalog does not sell (API input; the stream's come from the catalog)."""
    wanted = {(i.product_id, i.variant) for i in items}
    if not wanted:
        return
    known = {(r.product_id, r.variant) for r in await conn.execute(
        select(SKUS.c.product_id, SKUS.c.variant).where(SKUS.c.product_id.in_(sorted({p for p, _ in wanted}))))}
    missing = sorted(wanted - known)
    if missing:
        product, variant = missing[0]
        raise UnknownSku(f"no variant {variant!r} of product {product!r}; GET /api/products lists them")


async def record_session(conn: AsyncConnection, record: SessionRecord) -> dict[str, Any]:
    """Insert or merge one session and its items (idempotent); returns the stored session."""
    if record.store_id is not None:
        await get_store(conn, record.store_id)
    values = {"id": record.session_id, "source": record.source, "started_at": record.started_at,
              "ended_at": record.ended_at, "store_id": record.store_id, "summary": record.summary}
    inserted = (await conn.execute(insert_ignore(conn, SESSIONS).returning(SESSIONS.c.id), values)).first()
    if inserted is None:  # recorded before: merge under the row's lock
        existing = (await conn.execute(select(SESSIONS).where(SESSIONS.c.id == record.session_id)
                                       .with_for_update())).mappings().one()
        await conn.execute(update(SESSIONS).where(SESSIONS.c.id == record.session_id)
                           .values(**merged(existing, record)))
    if record.items:
        await conn.execute(insert_ignore(conn, ITEMS), [
            {"session_id": record.session_id, "product_id": i.product_id, "variant": i.variant,
             "first_at": i.first_at or record.started_at} for i in record.items])
    return await get_session_record(conn, record.session_id)


async def get_session_record(conn: AsyncConnection, session_id: str) -> dict[str, Any]:
    row = (await conn.execute(select(SESSIONS).where(SESSIONS.c.id == session_id))).mappings().first()
    if row is None:
        raise TryonSessionNotFound(f"no try-on session {session_id!r} is recorded")
    items = (await conn.execute(select(ITEMS).where(ITEMS.c.session_id == session_id)
                                .order_by(ITEMS.c.first_at, ITEMS.c.product_id, ITEMS.c.variant))).mappings().all()
    return {"id": row["id"], "source": row["source"], "started_at": iso_z(row["started_at"]),
            "ended_at": iso_z(row["ended_at"]), "store_id": row["store_id"],
            "items": [{"product_id": i["product_id"], "variant": i["variant"], "first_at": iso_z(i["first_at"])}
                      for i in items],
            "summary": row["summary"]}


async def get_summary(conn: AsyncConnection, session_id: str) -> dict[str, Any]:
    """The summary a session left (what GET /api/sessions/{id} has always returned)."""
    summary = (await conn.execute(select(SESSIONS.c.summary).where(SESSIONS.c.id == session_id))).scalar()
    if summary is None:
        raise TryonSessionNotFound(f"no ended session {session_id!r} (a live session is recorded when it ends)")
    return summary


async def session_exists(conn: AsyncConnection, session_id: str) -> bool:
    return (await conn.execute(select(SESSIONS.c.id).where(SESSIONS.c.id == session_id))).first() is not None


class TryonSessionStore:
    """Where the live stream keeps its ended sessions: the commerce database, shared by every
    worker process."""

    def __init__(self, db: Database, clock: Callable[[], datetime], defaults: Mapping[str, str]) -> None:
        self.db = db
        self.clock = clock
        self.defaults = dict(defaults)

    async def append(self, summary: dict[str, Any]) -> None:
        """Record a stream summary (raises on a database failure: the caller logs it)."""
        record = record_from_summary(summary, self.defaults).validated(self.clock())
        await self.db.write(lambda conn: record_session(conn, record))

    async def get(self, session_id: str) -> dict[str, Any] | None:
        async with self.db.read() as conn:
            try:
                return await get_summary(conn, session_id)
            except TryonSessionNotFound:
                return None

