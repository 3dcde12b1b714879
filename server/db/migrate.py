"""Bring a database to the newest schema (Alembic head) at start, once even when several
processes start together: PostgreSQL serialises them with an advisory lock, SQLite with the
write lock of BEGIN IMMEDIATE."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from server.db.database import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
PG_MIGRATION_LOCK = 7_343_001  # advisory lock key: any constant shared by every process of the service


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _upgrade(connection: Connection) -> None:
    if MigrationContext.configure(connection).get_current_revision() == head_revision():
        return
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(database: Database) -> None:
    """Upgrade to head (no-op when already there)."""
    async with database.begin_write() as conn:
        if not database.is_sqlite:
            await conn.execute(text("select pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
        await conn.run_sync(_upgrade)


async def current_revision(database: Database) -> str | None:
    async with database.read() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
