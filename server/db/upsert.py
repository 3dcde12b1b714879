"""INSERT ... ON CONFLICT DO NOTHING / DO UPDATE, spelled for the connection's dialect
(SQLite and PostgreSQL share the syntax, SQLAlchemy has one construct per dialect)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def _insert(conn: AsyncConnection, table: Table) -> Any:
    return (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(table)


def insert_ignore(conn: AsyncConnection, table: Table) -> Any:
    """An INSERT that skips rows whose key already exists (use .returning() to learn which)."""
    return _insert(conn, table).on_conflict_do_nothing()


def upsert(conn: AsyncConnection, table: Table, keys: list[str], update_columns: list[str]) -> Any:
    """An INSERT that overwrites `update_columns` of rows whose `keys` already exist."""
    stmt = _insert(conn, table)
    return stmt.on_conflict_do_update(index_elements=keys,
                                      set_={c: getattr(stmt.excluded, c) for c in update_columns})
