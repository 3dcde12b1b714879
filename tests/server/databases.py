"""Real databases for tests: a SQLite file, or a fresh PostgreSQL database on the machine's
server (127.0.0.1:5432, trust auth), created per test and dropped after. No mocks.

TRYON_TEST_POSTGRES_URL overrides the server's URL; without a server the PostgreSQL tests skip
with the reason."""

from __future__ import annotations

import asyncio
import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ADMIN_URL = os.environ.get("TRYON_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ADMIN_KEY = "test-admin-key-0123456789"


async def _admin(sql: str) -> None:
    import asyncpg

    dsn = ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@functools.lru_cache(maxsize=1)
def postgres_unavailable_reason() -> str | None:
    """None if the PostgreSQL server answers, else why not."""
    try:
        asyncio.run(_admin("select 1"))
    except Exception as exc:  # any failure to connect means: skip, saying why
        return f"PostgreSQL is not answering at {ADMIN_URL} ({type(exc).__name__}: {exc}); .ci/run starts it"
    return None


def create_postgres_database() -> str:
    name = f"tryon_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'create database "{name}"'))
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    asyncio.run(_admin(f'drop database if exists "{name}" with (force)'))


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{(folder / 'tryon.db').resolve()}"


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a new empty database: a SQLite file in `folder`, or a PostgreSQL database that
    is dropped afterwards. Skips the test, saying why, when PostgreSQL is not answering."""
    if backend == "sqlite":
        yield sqlite_url(folder)
        return
    import pytest

    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)
