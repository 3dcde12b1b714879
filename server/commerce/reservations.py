"""Reserve-and-fit: holds on stock and fitting slots, their life cycle, and the release of holds
whose time ran out.

Locking, in one place: every transaction that touches several rows takes them in the order
reservation rows -> stock rows by (store, sku) -> slot rows by (store, start). A reservation is
created by conditional UPDATEs (`allocated + q <= on_hand`, `booked < capacity`) that the database
evaluates atomically per row, so racing requests on any number of processes can neither oversell
nor overbook; deadlocks the database still reports are retried by Database.write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, case, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce import idempotency, reservations_pg
from server.commerce.codes import new_code, normalise_code
from server.commerce.errors import (HoldExpired, InsufficientStock, InvalidRequest, ReservationNotFound, SlotFull,
                                    TransitionNotAllowed)
from server.commerce.ledger import Reason
from server.commerce.outbox import emit, emit_many
from server.commerce.slots import check_slot, slot_end
from server.commerce.timestamps import iso_z
from server.commerce.statuses import ALLOWED_FROM, LAPSING, TARGET, Action, Status, lapsed_status
from server.commerce.stock import allocate, deallocate, require_sku, stock_changed_payload, stock_level
from server.commerce.stores import get_store, rules_of
from server.db.database import Database
from server.db.upsert import insert_ignore
from server.db.tables import RESERVATIONS, SKUS, SLOTS

SCOPE_CREATE = "reservation.create"
MAX_QUANTITY = 20  # a fitting, not a wholesale order
NO_SHOW_GRACE = timedelta(minutes=30)  # after the slot ends, before a confirmed reservation lapses
RELEASE_BATCH = 500
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ReservationRequest:
    sku: str
    store_id: int
    quantity: int = 1
    slot_start: datetime | None = None
    contact: dict[str, str] | None = None
    tryon_session_id: str | None = None

    def validated(self) -> ReservationRequest:
        if not 1 <= self.quantity <= MAX_QUANTITY:
            raise InvalidRequest(f"quantity must be between 1 and {MAX_QUANTITY}, not {self.quantity}")
        if self.tryon_session_id is not None and (len(self.tryon_session_id) > 64
                                                  or not self.tryon_session_id.isprintable()):
            raise InvalidRequest("tryon_session_id must be at most 64 printable characters")
        return ReservationRequest(self.sku, self.store_id, self.quantity,
                                  self.slot_start.astimezone(timezone.utc) if self.slot_start else None,
                                  clean_contact(self.contact), self.tryon_session_id)

    def fingerprint(self) -> dict[str, Any]:
        return {"sku": self.sku, "store_id": self.store_id, "quantity": self.quantity,
                "slot_start": self.slot_start.isoformat() if self.slot_start else None,
                "contact": self.contact, "tryon_session_id": self.tryon_session_id}


def clean_contact(contact: dict[str, str] | None) -> dict[str, str] | None:
    if contact is None:
        return None
    allowed = {"name": 100, "email": 200, "phone": 40}
    unknown = sorted(set(contact) - set(allowed))
    if unknown:
        raise InvalidRequest(f"contact: unknown field {unknown[0]!r} (name, email, phone)")
    out: dict[str, str] = {}
    for name, limit in allowed.items():
        value = contact.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > limit or not value.isprintable():
            raise InvalidRequest(f"contact.{name} must be text of at most {limit} characters")
        out[name] = value.strip()
    if "email" in out and not _EMAIL.match(out["email"]):
        raise InvalidRequest(f"contact.email {out['email']!r} is not an e-mail address")
    return out or None


# --- reading ---

def effective_status(row: RowMapping | dict[str, Any], now: datetime) -> Status:
    """The status readers see: a lapsing reservation past its time has lapsed, swept or not."""
    status = Status(row["status"])
    if status in LAPSING and row["expires_at"] is not None and row["expires_at"] <= now:
        return lapsed_status(status)
    return status


def describe(row: RowMapping | dict[str, Any], now: datetime, slot_minutes: int | None = None,
             product: tuple[str, str] | None = None) -> dict[str, Any]:
    code = row["code"]
    slot = row["slot_start"]
    out = {
        "code": code, "status": str(effective_status(row, now)), "sku": row["sku"], "store_id": row["store_id"],
        "quantity": row["quantity"], "slot_start": iso_z(slot),
        "slot_end": iso_z(slot + timedelta(minutes=slot_minutes)) if slot and slot_minutes else None,
        "expires_at": iso_z(row["expires_at"]), "created_at": iso_z(row["created_at"]),
        "confirmed_at": iso_z(row["confirmed_at"]), "checked_in_at": iso_z(row["checked_in_at"]),
        "closed_at": iso_z(row["closed_at"]), "contact": row["contact"], "tryon_session_id": row["tryon_session_id"],
        "links": {"self": f"/api/reservations/{code}", "page": f"/r/{code}",
                  "qr_png": f"/api/reservations/{code}/qr.png", "qr_svg": f"/api/reservations/{code}/qr.svg"},
    }
    if product:
        out["product_id"], out["variant"] = product
    return out


async def _row_by_code(conn: AsyncConnection, code: str, store_ids: frozenset[int] | None = None) -> RowMapping:
    canonical = normalise_code(code)
    if canonical is None:
        raise ReservationNotFound("no reservation with that code")
    q = select(RESERVATIONS).where(RESERVATIONS.c.code == canonical)
    if store_ids is not None:
        q = q.where(RESERVATIONS.c.store_id.in_(sorted(store_ids)))
    row = (await conn.execute(q)).mappings().first()
    if row is None:
        raise ReservationNotFound("no reservation with that code")
    return row


async def get_reservation(conn: AsyncConnection, code: str, now: datetime,
                          store_ids: frozenset[int] | None = None) -> dict[str, Any]:
    row = await _row_by_code(conn, code, store_ids)
    return await _describe_full(conn, row, now)


_PRODUCT_OF: dict[str, tuple[str, str]] = {}  # a SKU names one product variant for ever: safe to keep


async def product_of(conn: AsyncConnection, sku: str) -> tuple[str, str] | None:
    """(product id, variant) of a SKU."""
    found = _PRODUCT_OF.get(sku)
    if found is None:
        row = (await conn.execute(select(SKUS.c.product_id, SKUS.c.variant).where(SKUS.c.sku == sku))).first()
        if row is None:
            return None
        found = _PRODUCT_OF[sku] = (row.product_id, row.variant)
    return found


async def _describe_full(conn: AsyncConnection, row: RowMapping, now: datetime) -> dict[str, Any]:
    store = await get_store(conn, row["store_id"])
    out = describe(row, now, store["slot_minutes"], await product_of(conn, row["sku"]))
    out["store"] = {"id": store["id"], "name": store["name"], "address": store["address"],
                    "timezone": store["timezone"]}
    return out


async def store_reservations(conn: AsyncConnection, store_id: int, day: date, now: datetime,
                             statuses: list[Status] | None = None) -> list[dict[str, Any]]:
    """A store's reservations for a local day: fittings booked that day, plus reservations without a
    slot that are open or were made that day; by slot time, then creation."""
    store = await get_store(conn, store_id)
    rules = rules_of(store)
    start = datetime.combine(day, datetime.min.time()).replace(tzinfo=rules.zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(tzinfo=rules.zone) \
        .astimezone(timezone.utc)
    open_statuses = [str(s) for s in (Status.HELD, Status.CONFIRMED, Status.CHECKED_IN)]
    q = select(RESERVATIONS).where(RESERVATIONS.c.store_id == store_id, or_(
        and_(RESERVATIONS.c.slot_start >= start, RESERVATIONS.c.slot_start < end),
        and_(RESERVATIONS.c.slot_start.is_(None), or_(RESERVATIONS.c.status.in_(open_statuses),
                                                        and_(RESERVATIONS.c.created_at >= start,
                                                             RESERVATIONS.c.created_at < end)))))
    rows = (await conn.execute(q.order_by(RESERVATIONS.c.slot_start.is_(None), RESERVATIONS.c.slot_start,
                                          RESERVATIONS.c.created_at).limit(2000))).mappings().all()
    skus = {r.sku: (r.product_id, r.variant) for r in await conn.execute(
        select(SKUS.c.sku, SKUS.c.product_id, SKUS.c.variant).where(SKUS.c.sku.in_({r["sku"] for r in rows})))}
    out = [describe(r, now, store["slot_minutes"], skus.get(r["sku"])) for r in rows]
    if statuses:
        wanted = {str(s) for s in statuses}
        out = [r for r in out if r["status"] in wanted]
    return out


# --- creating ---

class _Short(Exception):
    def __init__(self, kind: str) -> None:
        self.kind = kind


class _KeyTaken(Exception):
    pass


async def create_reservation(db: Database, request: ReservationRequest, key: str, clock: Callable[[], datetime],
                             actor: str = "shopper") -> tuple[int, dict[str, Any]]:
    """Hold stock (and a slot place) for a shopper: (HTTP status, reservation). A replay of `key`
    returns the first result; a shortage raises InsufficientStock or SlotFull."""
    request = request.validated()
    req_hash = idempotency.request_hash(request.fingerprint())
    # No look-up of the key first: replays are rare, and the write below finds them anyway (its
    # idempotency insert conflicts, the attempt rolls back and the stored result is returned).
    if not db.is_sqlite:
        fast = await _create_in_one_statement(db, request, key, req_hash, clock(), actor)
        if isinstance(fast, idempotency.Replay):
            return fast.status_code, fast.response
        if fast is not None:
            return 201, fast
    for attempt in (1, 2):
        now = clock()
        try:
            return 201, await db.write(lambda conn: _create(conn, request, key, req_hash, now, actor))
        except _KeyTaken:
            pass
        except _Short as short:
            if attempt == 1:
                # lapsed holds still count in the counters: free them, then try once more
                released = await release_lapsed(db, now, store_id=request.store_id,
                                                sku=request.sku if short.kind == "stock" else None,
                                                slot_start=request.slot_start if short.kind == "slot" else None)
                if released:
                    continue
            async with db.read() as conn:
                replay = await idempotency.find(conn, SCOPE_CREATE, key, req_hash)
                if replay is not None:
                    return replay.status_code, replay.response
                if short.kind == "slot":
                    raise SlotFull(request.store_id, iso_z(request.slot_start) or "") from None
                level = await stock_level(conn, request.store_id, request.sku, now)
                raise InsufficientStock(request.sku, request.store_id, request.quantity, level.available) from None
        async with db.read() as conn:  # another request with this key committed first
            replay = await idempotency.find(conn, SCOPE_CREATE, key, req_hash)
        if replay is not None:
            return replay.status_code, replay.response
    raise AssertionError("unreachable")


async def _create(conn: AsyncConnection, request: ReservationRequest, key: str, req_hash: str, now: datetime,
                  actor: str) -> dict[str, Any]:
    store = await get_store(conn, request.store_id)
    rules = rules_of(store)
    slot = check_slot(rules, request.slot_start, now) if request.slot_start else None
    code = new_code()
    after = await allocate(conn, store_id=request.store_id, sku=request.sku, quantity=request.quantity, now=now,
                           reference=code, actor=actor)
    if after is None:
        await require_sku(conn, request.sku)  # an unknown SKU is a 404, not a shortage
        raise _Short("stock")
    if slot is not None:
        await conn.execute(insert_ignore(conn, SLOTS), {"store_id": request.store_id, "slot_start": slot,
                                                        "capacity": rules.capacity, "booked": 0})
        booked = (await conn.execute(update(SLOTS).where(SLOTS.c.store_id == request.store_id,
                                                         SLOTS.c.slot_start == slot, SLOTS.c.booked < SLOTS.c.capacity)
                                     .values(booked=SLOTS.c.booked + 1).returning(SLOTS.c.booked))).first()
        if booked is None:
            raise _Short("slot")
    values = _held_row(request, code, slot, store["hold_seconds"], now)
    await conn.execute(insert(RESERVATIONS), values)
    result = _created(values, store, await product_of(conn, request.sku), now)
    await emit_many(conn, [("reservation.created", _event(values)),
                           ("stock.changed", stock_changed_payload(request.store_id, request.sku, *after,
                                                                   str(Reason.HOLD)))], now)
    if not await idempotency.store(conn, SCOPE_CREATE, key, req_hash, 201, result, now):
        raise _KeyTaken()  # rolls this attempt back; the caller replays the winner's result
    return result


def _held_row(request: ReservationRequest, code: str, slot: datetime | None, hold_seconds: int,
              now: datetime) -> dict[str, Any]:
    return {"code": code, "store_id": request.store_id, "sku": request.sku, "quantity": request.quantity,
            "slot_start": slot, "status": str(Status.HELD), "contact": request.contact,
            "tryon_session_id": request.tryon_session_id, "created_at": now,
            "expires_at": now + timedelta(seconds=hold_seconds), "confirmed_at": None,
            "checked_in_at": None, "closed_at": None, "closed_by": ""}


def _created(values: dict[str, Any], store: RowMapping | dict[str, Any], product: tuple[str, str] | None,
             now: datetime) -> dict[str, Any]:
    """The 201 body (and the idempotency record) of a new reservation."""
    result = describe(values, now, store["slot_minutes"], product)
    result["store"] = {"id": store["id"], "name": store["name"], "address": store["address"],
                       "timezone": store["timezone"]}
    return result


async def _create_in_one_statement(db: Database, request: ReservationRequest, key: str, req_hash: str,
                                   now: datetime, actor: str) -> dict[str, Any] | idempotency.Replay | None:
    """PostgreSQL's hot path (reservations_pg.py); None: take the general path."""
    product = _PRODUCT_OF.get(request.sku)  # the general path reads an unknown one and explains a miss
    store = await reservations_pg.cached_store(db, request.store_id)
    if product is None or store is None:
        return None
    slot = check_slot(store.rules, request.slot_start, now) if request.slot_start else None
    values = _held_row(request, new_code(), slot, store.row["hold_seconds"], now)
    result = _created(values, store.row, product, now)
    return await reservations_pg.take(db, reservations_pg.Attempt(
        store, values, actor, _event(values), SCOPE_CREATE, key, req_hash, result))


def _event(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {"code": row["code"], "status": row["status"], "store_id": row["store_id"], "sku": row["sku"],
            "quantity": row["quantity"], "slot_start": iso_z(row["slot_start"]),
            "tryon_session_id": row["tryon_session_id"]}


# --- the life cycle ---

async def transition(db: Database, code: str, action: Action, clock: Callable[[], datetime], actor: str,
                     store_ids: frozenset[int] | None = None, contact: dict[str, str] | None = None) -> dict[str, Any]:
    """Move a reservation on (confirm, check in, fulfil, cancel, no-show) if its status allows it:
    one conditional UPDATE decides, so a racing cancel and check-in cannot both win. Repeating a
    transition that already happened returns the reservation unchanged."""
    canonical = normalise_code(code)
    if canonical is None:
        raise ReservationNotFound("no reservation with that code")
    contact = clean_contact(contact)
    now = clock()

    async def work(conn: AsyncConnection) -> dict[str, Any] | None:
        row = await _apply(conn, canonical, action, now, actor, store_ids, contact)
        return None if row is None else await _describe_full(conn, row, now)

    moved = await db.write(work)
    if moved is not None:
        return moved
    async with db.read() as conn:
        row = await _row_by_code(conn, canonical, store_ids)
        status = effective_status(row, now)
        if status is TARGET[action]:
            return await _describe_full(conn, row, now)
    lapsed_unrecorded = status != Status(row["status"])
    if lapsed_unrecorded:  # record the lapse first
        await release_lapsed(db, now, code=canonical)
    timed_out = lapsed_unrecorded or status is Status.EXPIRED or (status is Status.NO_SHOW
                                                                   and row["closed_by"] == "system")
    if timed_out and action in (Action.CONFIRM, Action.CHECK_IN):
        when = iso_z(row["closed_at"] or row["expires_at"])
        raise HoldExpired(f"reservation {canonical} {status.replace('_', '-')} at {when}: "
                          "its stock is free again; reserve again if it is still available")
    raise TransitionNotAllowed(canonical, status.replace("_", " "), action.value)


async def _apply(conn: AsyncConnection, code: str, action: Action, now: datetime, actor: str,
                 store_ids: frozenset[int] | None, contact: dict[str, str] | None) -> RowMapping | None:
    target = TARGET[action]
    values: dict[str, Any] = {"status": str(target)}
    conditions = [RESERVATIONS.c.code == code, RESERVATIONS.c.status.in_([str(s) for s in ALLOWED_FROM[action]])]
    if store_ids is not None:
        conditions.append(RESERVATIONS.c.store_id.in_(sorted(store_ids)))
    if action in (Action.CONFIRM, Action.CHECK_IN):
        conditions.append(RESERVATIONS.c.expires_at > now)  # a lapsed hold cannot be revived
    if action is Action.CONFIRM:
        values["confirmed_at"] = now
        if contact:
            values["contact"] = contact
    elif action is Action.CHECK_IN:
        values.update(checked_in_at=now, expires_at=None)  # in the store: no longer lapses
    else:
        values.update(closed_at=now, closed_by=actor[:200])
    row = (await conn.execute(update(RESERVATIONS).where(*conditions).values(**values)
                              .returning(*RESERVATIONS.c))).mappings().first()
    if row is None:
        return None
    store = await get_store(conn, row["store_id"])
    if action is Action.CONFIRM:
        rules = rules_of(store)
        lapses = (slot_end(rules, row["slot_start"]) + NO_SHOW_GRACE if row["slot_start"]
                  else now + timedelta(hours=store["pickup_hours"]))
        row = (await conn.execute(update(RESERVATIONS).where(RESERVATIONS.c.id == row["id"])
                                  .values(expires_at=lapses).returning(*RESERVATIONS.c))).mappings().one()
    elif action in (Action.FULFIL, Action.CANCEL, Action.NO_SHOW):
        reason = {Action.FULFIL: Reason.SALE, Action.CANCEL: Reason.RELEASE, Action.NO_SHOW: Reason.NO_SHOW}[action]
        await deallocate(conn, store_id=row["store_id"], sku=row["sku"], quantity=row["quantity"],
                         sold=action is Action.FULFIL, now=now, reason=reason, reference=code, actor=actor)
        if action is not Action.FULFIL:
            await _free_slot_places(conn, [row], now)
    await emit(conn, f"reservation.{target}", _event(row), now)
    return row


async def _free_slot_places(conn: AsyncConnection, rows: list[RowMapping], now: datetime) -> None:
    """Give back the slot places of reservations whose fitting has not started yet."""
    upcoming = sorted((r["store_id"], r["slot_start"]) for r in rows if r["slot_start"] and r["slot_start"] > now)
    for store_id, start in upcoming:
        await conn.execute(update(SLOTS).where(SLOTS.c.store_id == store_id, SLOTS.c.slot_start == start,
                                               SLOTS.c.booked > 0).values(booked=SLOTS.c.booked - 1))


async def release_lapsed(db: Database, now: datetime, *, store_id: int | None = None, sku: str | None = None,
                         slot_start: datetime | None = None, code: str | None = None) -> int:
    """Mark held reservations past their expiry expired, and confirmed ones past theirs no-shows,
    and give back their stock and slot places. Correctness never waits for this (readers already
    ignore them); it keeps the counters exact. Returns how many were released."""
    total = 0
    while True:
        released = await db.write(lambda conn: _release_batch(conn, now, store_id, sku, slot_start, code))
        total += released
        if released < RELEASE_BATCH:
            return total


async def _release_batch(conn: AsyncConnection, now: datetime, store_id: int | None, sku: str | None,
                         slot_start: datetime | None, code: str | None) -> int:
    chosen = select(RESERVATIONS.c.id).where(RESERVATIONS.c.status.in_([str(s) for s in LAPSING]),
                                             RESERVATIONS.c.expires_at <= now)
    for column, value in ((RESERVATIONS.c.store_id, store_id), (RESERVATIONS.c.sku, sku),
                          (RESERVATIONS.c.slot_start, slot_start), (RESERVATIONS.c.code, code)):
        if value is not None:
            chosen = chosen.where(column == value)
    chosen = chosen.order_by(RESERVATIONS.c.id).limit(RELEASE_BATCH)
    if conn.dialect.name != "sqlite":
        chosen = chosen.with_for_update(skip_locked=True)  # two sweepers share the work, never wait
    rows = (await conn.execute(
        update(RESERVATIONS).where(RESERVATIONS.c.id.in_(chosen.scalar_subquery()),
                                   RESERVATIONS.c.status.in_([str(s) for s in LAPSING]))
        .values(status=case((RESERVATIONS.c.status == str(Status.HELD), str(Status.EXPIRED)),
                            else_=str(Status.NO_SHOW)),
                closed_at=now, closed_by="system")
        .returning(*RESERVATIONS.c))).mappings().all()
    for row in sorted(rows, key=lambda r: (r["store_id"], r["sku"], r["id"])):  # stock rows in key order
        reason = Reason.EXPIRE if row["status"] == Status.EXPIRED else Reason.NO_SHOW
        await deallocate(conn, store_id=row["store_id"], sku=row["sku"], quantity=row["quantity"], sold=False,
                         now=now, reason=reason, reference=row["code"], actor="system")
    await _free_slot_places(conn, list(rows), now)
    if rows:
        await emit_many(conn, [(f"reservation.{r['status']}", _event(r)) for r in rows], now)
    return len(rows)
