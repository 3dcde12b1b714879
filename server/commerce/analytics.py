"""The try-on to purchase funnel, counted by the database (GROUP BY queries that run the same on
SQLite and PostgreSQL), per UTC day, product, product variant or store.

What each count means, for a range of UTC days [from, to] (both inclusive):
  sessions      try-on sessions started in the range
  tried         (session, product variant) pairs worn in those sessions
  reservations  reservations created in the range; of those, the ones that reached
  confirmed / checked_in / fulfilled   each stage (confirmed_at, checked_in_at, status fulfilled),
                whenever they reached it: a cohort, so the funnel narrows monotonically
  coupons_issued / coupons_redeemed    coupons issued / redeemed in the range
Grouped by product or variant, a session counts in the row of every product (variant) it tried,
reservations count under their SKU's product, and coupons under the products their session
tried; so product rows need not add up to the totals. Grouped by store: reservations by their
store, sessions (and their coupons' issuing) by the in-store mirror's store, redemptions by the
store that redeemed; online sessions fall in the row whose store_id is null (its store_name
is ONLINE).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, distinct, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.errors import InvalidRequest
from server.commerce.statuses import Status
from server.db.tables import COUPONS, ITEMS, RESERVATIONS, SESSIONS, SKUS, STORES

MAX_DAYS = 366
ONLINE = "Online (no store)"  # the store row of sessions and coupons that no store took part in
COUNTS = ("sessions", "tried", "reservations", "confirmed", "checked_in", "fulfilled", "coupons_issued",
          "coupons_redeemed")
# name -> (numerator, denominator): each stage over the one before it, and end to end
RATES = {"reservations_per_session": ("reservations", "sessions"),
         "confirmed_per_reservation": ("confirmed", "reservations"),
         "checked_in_per_confirmed": ("checked_in", "confirmed"),
         "fulfilled_per_checked_in": ("fulfilled", "checked_in"),
         "fulfilled_per_session": ("fulfilled", "sessions"),
         "redeemed_per_coupon_issued": ("coupons_redeemed", "coupons_issued")}


class GroupBy(StrEnum):
    DAY = "day"
    PRODUCT = "product"
    VARIANT = "variant"
    STORE = "store"


KEY_FIELDS = {GroupBy.DAY: ("day",), GroupBy.PRODUCT: ("product_id",), GroupBy.VARIANT: ("product_id", "variant"),
              GroupBy.STORE: ("store_id", "store_name")}


@dataclass(frozen=True)
class FunnelQuery:
    first_day: date
    last_day: date
    group_by: GroupBy = GroupBy.DAY

    def validated(self) -> FunnelQuery:
        if self.last_day < self.first_day:
            raise InvalidRequest(f"'to' ({self.last_day}) is before 'from' ({self.first_day})")
        if (self.last_day - self.first_day).days + 1 > MAX_DAYS:
            raise InvalidRequest(f"at most {MAX_DAYS} days per report")
        return self

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, timezone.utc)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight UTC after the last day."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, timezone.utc)

    def days(self) -> list[str]:
        return [(self.first_day + timedelta(days=i)).isoformat()
                for i in range((self.last_day - self.first_day).days + 1)]


def utc_day(conn: AsyncConnection, column: Any) -> ColumnElement[str]:
    """'YYYY-MM-DD' of an instant, in UTC. Literals, not bound parameters, so PostgreSQL sees the
    GROUP BY expression as the selected one."""
    if conn.dialect.name == "sqlite":  # stored as naive UTC text
        return func.date(column, type_=String)
    return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM-DD'"),
                        type_=String)


Key = tuple[Any, ...]
Counts = dict[Key, dict[str, int]]


async def _grouped(conn: AsyncConnection, keys: Sequence[Any], measures: dict[str, Any], query: Any,
                   into: Counts) -> None:
    """Run `query` (a FROM/WHERE without columns) grouped by `keys`, adding `measures` into `into`."""
    stmt = query.with_only_columns(*keys, *(m.label(name) for name, m in measures.items()))
    if keys:
        stmt = stmt.group_by(*keys)
    for row in (await conn.execute(stmt)).all():
        counts = into.setdefault(tuple(row[:len(keys)]), {})
        for i, name in enumerate(measures):
            counts[name] = counts.get(name, 0) + int(row[len(keys) + i] or 0)


async def _sessions(conn: AsyncConnection, q: FunnelQuery, group: GroupBy | None, into: Counts) -> None:
    in_range = and_(SESSIONS.c.started_at >= q.start, SESSIONS.c.started_at < q.end)
    if group in (GroupBy.PRODUCT, GroupBy.VARIANT):
        keys = [ITEMS.c.product_id] + ([ITEMS.c.variant] if group is GroupBy.VARIANT else [])
        base = select(ITEMS.c.session_id).select_from(ITEMS.join(SESSIONS, SESSIONS.c.id == ITEMS.c.session_id))
        await _grouped(conn, keys, {"sessions": func.count(distinct(ITEMS.c.session_id)),
                                    "tried": func.count()}, base.where(in_range), into)
        return
    keys = {GroupBy.DAY: [utc_day(conn, SESSIONS.c.started_at)], GroupBy.STORE: [SESSIONS.c.store_id], None: []}[group]
    base = select(SESSIONS.c.id).select_from(SESSIONS.outerjoin(ITEMS, ITEMS.c.session_id == SESSIONS.c.id))
    await _grouped(conn, keys, {"sessions": func.count(distinct(SESSIONS.c.id)),
                                "tried": func.count(ITEMS.c.session_id)}, base.where(in_range), into)


async def _reservations(conn: AsyncConnection, q: FunnelQuery, group: GroupBy | None, into: Counts) -> None:
    keys = {GroupBy.DAY: [utc_day(conn, RESERVATIONS.c.created_at)], GroupBy.PRODUCT: [SKUS.c.product_id],
            GroupBy.VARIANT: [SKUS.c.product_id, SKUS.c.variant], GroupBy.STORE: [RESERVATIONS.c.store_id],
            None: []}[group]
    base = (select(RESERVATIONS.c.id).select_from(RESERVATIONS.join(SKUS, SKUS.c.sku == RESERVATIONS.c.sku))
            .where(RESERVATIONS.c.created_at >= q.start, RESERVATIONS.c.created_at < q.end))
    await _grouped(conn, keys, {
        "reservations": func.count(),
        "confirmed": func.count(RESERVATIONS.c.confirmed_at),
        "checked_in": func.count(RESERVATIONS.c.checked_in_at),
        "fulfilled": func.sum(case((RESERVATIONS.c.status == str(Status.FULFILLED), 1), else_=0)),
    }, base, into)


async def _coupons(conn: AsyncConnection, q: FunnelQuery, group: GroupBy | None, into: Counts) -> None:
    for name, at, store in (("coupons_issued", COUPONS.c.issued_at, SESSIONS.c.store_id),
                            ("coupons_redeemed", COUPONS.c.redeemed_at, COUPONS.c.redeemed_store_id)):
        in_range = and_(at >= q.start, at < q.end)
        if group in (GroupBy.PRODUCT, GroupBy.VARIANT):
            keys = [ITEMS.c.product_id] + ([ITEMS.c.variant] if group is GroupBy.VARIANT else [])
            source = COUPONS.join(ITEMS, ITEMS.c.session_id == COUPONS.c.tryon_session_id)
        elif group is GroupBy.STORE:
            keys = [store]
            source = COUPONS.outerjoin(SESSIONS, SESSIONS.c.id == COUPONS.c.tryon_session_id)
        else:
            keys = [utc_day(conn, at)] if group is GroupBy.DAY else []
            source = COUPONS
        await _grouped(conn, keys, {name: func.count(distinct(COUPONS.c.id))},
                       select(COUPONS.c.id).select_from(source).where(in_range), into)


async def _counts(conn: AsyncConnection, q: FunnelQuery, group: GroupBy | None) -> Counts:
    into: Counts = {}
    await _sessions(conn, q, group, into)
    await _reservations(conn, q, group, into)
    await _coupons(conn, q, group, into)
    return into


def with_rates(counts: dict[str, int]) -> dict[str, Any]:
    """Every count (0 when absent) and the conversion rates between them (None: nothing to divide by)."""
    out: dict[str, Any] = {name: counts.get(name, 0) for name in COUNTS}
    out["rates"] = {rate: round(out[top] / out[bottom], 4) if out[bottom] else None
                    for rate, (top, bottom) in RATES.items()}
    return out


def _sort_key(key: Key) -> tuple[Any, ...]:
    return tuple((value is None, value if value is not None else 0) for value in key)


async def funnel(conn: AsyncConnection, query: FunnelQuery) -> dict[str, Any]:
    """The funnel report: totals and one row per group, as the API returns it."""
    query = query.validated()
    totals = (await _counts(conn, query, None)).get((), {})
    grouped = await _counts(conn, query, query.group_by)
    if query.group_by is GroupBy.DAY:  # every day of the range, so a chart has no gaps
        for day in query.days():
            grouped.setdefault((day,), {})
    names: dict[int, str] = {}
    if query.group_by is GroupBy.STORE:
        ids = sorted(k[0] for k in grouped if k[0] is not None)
        if ids:
            names = dict((await conn.execute(select(STORES.c.id, STORES.c.name).where(STORES.c.id.in_(ids)))).all())
    rows = []
    for key in sorted(grouped, key=_sort_key):
        values = key + (names.get(key[0], "") if key[0] is not None else ONLINE,) \
            if query.group_by is GroupBy.STORE else key
        rows.append({"key": dict(zip(KEY_FIELDS[query.group_by], values)), **with_rates(grouped[key])})
    return {"from": query.first_day.isoformat(), "to": query.last_day.isoformat(), "group_by": str(query.group_by),
            "timezone": "UTC", "totals": with_rates(totals), "rows": rows}


def funnel_csv(report: dict[str, Any]) -> str:
    """The report as CSV: key columns, counts, rates; the last line holds the totals."""
    key_fields = KEY_FIELDS[GroupBy(report["group_by"])]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*key_fields, *COUNTS, *RATES])

    def line(key: Iterable[Any], values: dict[str, Any]) -> list[Any]:
        rates = ["" if values["rates"][r] is None else values["rates"][r] for r in RATES]
        return [*("" if k is None else k for k in key), *(values[c] for c in COUNTS), *rates]

    for row in report["rows"]:
        writer.writerow(line((row["key"][f] for f in key_fields), row))
    writer.writerow(line(["total", *[""] * (len(key_fields) - 1)], report["totals"]))
    return out.getvalue()
