"""Alembic environment: migrations run on the service's own async engine (server/db/migrate.py)
or from the `alembic` command with -x url=... / TRYON_DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from server.db.database import Database
from server.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed over by server.db.migrate
        run_on(connection)
        return
    from server.settings import Settings

    url = context.get_x_argument(as_dictionary=True).get("url") or Settings().resolved_database_url
    database = Database(url, pool_size=1)
    try:
        async with database.engine.connect() as conn:
            await conn.run_sync(run_on)
            await conn.commit()
    finally:
        await database.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run them against a database")
if config.attributes.get("connection") is not None:
    run_on(config.attributes["connection"])
else:
    asyncio.run(run_online())
