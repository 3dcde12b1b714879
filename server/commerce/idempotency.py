"""Idempotency keys for creating calls: the first successful result is stored with the change, in
the same transaction, and a replay with the same key gets that result back unchanged.

A key sent again with a *different* request is an error (IdempotencyKeyReused) rather than a
silent replay of something the caller did not ask for. A refused request (409, 422) stores
nothing, so retrying it with the same key tries again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.errors import IdempotencyKeyReused, InvalidRequest
from server.db.upsert import insert_ignore
from server.db.tables import IDEMPOTENCY

MAX_KEY_CHARS = 200


@dataclass(frozen=True)
class Replay:
    status_code: int
    response: dict[str, Any]


def check_key(key: str | None, required: bool) -> str | None:
    if key is None or key == "":
        if required:
            raise InvalidRequest("this call needs an Idempotency-Key header (any unique string, e.g. a UUID), "
                                 "so that a retried request cannot create a second one")
        return None
    if len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise InvalidRequest(f"Idempotency-Key must be printable and at most {MAX_KEY_CHARS} characters")
    return key


def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


async def find(conn: AsyncConnection, scope: str, key: str, req_hash: str) -> Replay | None:
    row = (await conn.execute(select(IDEMPOTENCY.c.request_hash, IDEMPOTENCY.c.status_code, IDEMPOTENCY.c.response)
                              .where(IDEMPOTENCY.c.scope == scope, IDEMPOTENCY.c.key == key))).first()
    if row is None:
        return None
    if row.request_hash != req_hash:
        raise IdempotencyKeyReused(f"Idempotency-Key {key!r} was already used for a different request; "
                                   "use a new key for a new request")
    return Replay(row.status_code, row.response)


async def store(conn: AsyncConnection, scope: str, key: str, req_hash: str, status_code: int,
                response: dict[str, Any], now: datetime) -> bool:
    """Keep the result; False if another request with this key committed first (the caller then
    rolls back and replays that one's result)."""
    inserted = (await conn.execute(insert_ignore(conn, IDEMPOTENCY).returning(IDEMPOTENCY.c.key), {
        "scope": scope, "key": key, "request_hash": req_hash, "status_code": status_code, "response": response,
        "created_at": now})).first()
    return inserted is not None


async def forget_older_than(conn: AsyncConnection, cutoff: datetime) -> int:
    return (await conn.execute(delete(IDEMPOTENCY).where(IDEMPOTENCY.c.created_at < cutoff))).rowcount
