"""The dispatcher is woken by commits that wrote outbox events, and only by those."""

from __future__ import annotations

import asyncio

import pytest

from server.commerce.outbox import emit
from server.db.database import Database
from server.db.migrate import migrate
from server.events.wakeup import wake_on_outbox_commit
from tests.server.commerce.world import Clock


class RolledBack(Exception):
    pass


def test_only_a_committed_outbox_write_wakes_the_dispatcher(database_url):
    async def go():
        db = Database(database_url)
        await migrate(db)
        wakes: list[str] = []
        unhook = wake_on_outbox_commit(db.engine, lambda: wakes.append("woken"))
        try:
            await db.write(lambda conn: emit(conn, "stock.changed", {"store_id": 1}, Clock()()))
            after_commit = len(wakes)

            async def emit_then_fail(conn):
                await emit(conn, "stock.changed", {"store_id": 1}, Clock()())
                raise RolledBack()

            with pytest.raises(RolledBack):
                await db.write(emit_then_fail)
            async with db.read() as conn:
                await conn.exec_driver_sql("select 1")
            await db.write(lambda conn: conn.exec_driver_sql("select 1"))
            after_others = len(wakes)
            unhook()
            await db.write(lambda conn: emit(conn, "stock.changed", {"store_id": 1}, Clock()()))
            return after_commit, after_others, len(wakes)
        finally:
            await db.dispose()

    assert asyncio.run(go()) == (1, 1, 1)
