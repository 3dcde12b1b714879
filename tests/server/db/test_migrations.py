"""The Alembic migrations build exactly the schema the models describe, on both databases, and
several processes migrating at once do it once."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server.db.database import Database
from server.db.migrate import current_revision, head_revision, migrate
from server.db.models import Base


def test_migrations_match_the_models_and_racing_starts_migrate_once(database_url):
    async def go():
        databases = [Database(database_url, pool_size=1) for _ in range(3)]  # three processes starting together
        try:
            await asyncio.gather(*(migrate(db) for db in databases))
            async with databases[0].read() as conn:
                diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
            return diff, await current_revision(databases[0])
        finally:
            for db in databases:
                await db.dispose()

    diff, revision = asyncio.run(go())
    assert diff == [] and revision == head_revision()


def test_processes_starting_together_sync_the_bundled_catalog_once(database_url):
    """Every server process syncs the bundled catalog at start; racing inserts must not fail."""
    from sqlalchemy import func, select

    from server.catalog.bundled import sync_catalog
    from server.catalog.service import ProductCatalog
    from server.db.tables import PRODUCTS, SKUS

    entries = ProductCatalog().entries()

    async def go():
        databases = [Database(database_url, pool_size=1) for _ in range(4)]
        try:
            await migrate(databases[0])
            counts = await asyncio.gather(*(db.write(lambda conn: sync_catalog(conn, entries)) for db in databases))
            async with databases[0].read() as conn:
                products = (await conn.execute(select(func.count()).select_from(PRODUCTS))).scalar_one()
                skus = (await conn.execute(select(func.count()).select_from(SKUS))).scalar_one()
            return counts, products, skus
        finally:
            for db in databases:
                await db.dispose()

    counts, products, skus = asyncio.run(go())
    assert products == len(entries) and skus == sum(len(e.variants) for e in entries)
    assert set(counts) == {skus}
