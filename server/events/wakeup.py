"""Wake the dispatcher the moment a transaction that wrote outbox events is committed, without
every domain function having to remember to say so: the engine notes an INSERT INTO outbox on a
connection, and when that connection, committed, goes back to the pool (so the rows are visible
to other connections) the callback runs. Polling remains the fallback, and picks up events that
other processes committed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

WROTE, COMMITTED = "tryon_outbox_written", "tryon_outbox_committed"
OUTBOX_INSERT = "INSERT INTO outbox "


def wake_on_outbox_commit(engine: AsyncEngine, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after each commit that inserted outbox rows; returns the function that unhooks it."""
    sync_engine = engine.sync_engine

    def noted_insert(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(OUTBOX_INSERT):
            conn.info[WROTE] = True

    def committed(conn: Any) -> None:
        if conn.info.pop(WROTE, False):
            conn.info[COMMITTED] = True

    def rolled_back(conn: Any) -> None:
        conn.info.pop(WROTE, None)

    def returned(_dbapi_conn: Any, record: Any) -> None:
        if record is not None and record.info.pop(COMMITTED, False):
            callback()

    hooks = [(sync_engine, "after_cursor_execute", noted_insert), (sync_engine, "commit", committed),
             (sync_engine, "rollback", rolled_back), (sync_engine.pool, "checkin", returned)]
    for target, name, fn in hooks:
        event.listen(target, name, fn)

    def unhook() -> None:
        for target, name, fn in hooks:
            if event.contains(target, name, fn):
                event.remove(target, name, fn)

    return unhook
