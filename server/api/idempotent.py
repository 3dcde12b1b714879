"""Idempotency-Key handling for creating calls whose work is one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce import idempotency
from server.db.database import Database


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key",
                                             description="Any unique string (a UUID); replays return the first result")]


class _Taken(Exception):
    pass


async def idempotent_create(db: Database, scope: str, key: str | None, request: dict[str, Any], now: datetime,
                            work: Callable[[AsyncConnection], Awaitable[dict[str, Any]]],
                            required: bool = False, status_code: int = 201) -> Any:
    """Run `work` once per key: the result is stored with the change, and replays get it back."""
    key = idempotency.check_key(key, required)
    if key is None:
        return JSONResponse(await db.write(work), status_code=status_code)
    req_hash = idempotency.request_hash(request)
    for _ in range(2):
        async with db.read() as conn:
            replay = await idempotency.find(conn, scope, key, req_hash)
        if replay is not None:
            return JSONResponse(replay.response, status_code=replay.status_code)

        async def run(conn: AsyncConnection) -> dict[str, Any]:
            result = await work(conn)
            if not await idempotency.store(conn, scope, key, req_hash, status_code, result, now):
                raise _Taken()
            return result

        try:
            return JSONResponse(await db.write(run), status_code=status_code)
        except _Taken:
            continue  # a racing request with this key won; replay its result
    raise AssertionError("unreachable")
