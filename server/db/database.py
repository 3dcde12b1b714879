"""The async database engine: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) by URL.

Write transactions go through `Database.write`, which on SQLite starts with BEGIN IMMEDIATE (the
write lock is taken at the start, so two writers never deadlock upgrading a read lock) and on
both databases retries a transaction the database aborted for a deadlock, a serialisation
failure or a busy file. Reads go through `Database.read` and never take the write lock.

On PostgreSQL, `Database.raw` also lends plain asyncpg connections (a pool of their own) for the
few hot statements where SQLAlchemy's own cost per statement, about 0.5 ms of CPU, would be most
of the work: a reservation is one such statement (server/commerce/reservations_pg.py).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tryon.errors import TryonError

log = logging.getLogger("tryon.db")
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_ATTEMPTS = 8
# PostgreSQL SQLSTATEs for a transaction the server chose to abort: retrying it is safe
RETRYABLE_PG_STATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


class DatabaseUnavailable(TryonError):
    """The database cannot be reached or opened."""


class UnsupportedDatabaseUrl(TryonError):
    """TRYON_DATABASE_URL names a database this service does not run on."""


def async_url(url: str) -> str:
    """Any SQLite or PostgreSQL URL as the async driver's URL (sqlite+aiosqlite, postgresql+asyncpg)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise UnsupportedDatabaseUrl(f"database URL {parsed.render_as_string()!r}: use sqlite:///PATH or "
                                 "postgresql://USER@HOST:PORT/DB")


def sqlite_url_for(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


class Database:
    """One per process (each server worker, each test): a connection pool and the transaction
    helpers every commerce operation runs in."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = async_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        if self.dialect == "sqlite":
            database = make_url(self.url).database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(self.url, pool_size=pool_size, max_overflow=0,
                                                           connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            _configure_sqlite(self.engine)
        else:
            self.engine = create_async_engine(self.url, pool_size=pool_size, max_overflow=pool_size,
                                              pool_pre_ping=False)
        self._writer = self.engine.execution_options(tryon_write=True)
        self._pool_size = pool_size
        self._raw_pool: Any = None  # asyncpg.Pool, opened on first use (in the serving event loop)
        self._raw_lock = asyncio.Lock()
        self._outbox_hooks: list[Callable[[], None]] = []

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (a consistent snapshot on PostgreSQL)."""
        async with self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def begin_write(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction, committed at the end, rolled back on error (no retry: see `write`)."""
        async with self._writer.begin() as conn:
            yield conn

    async def write(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work` in a write transaction, retrying it when the database aborted it for a
        deadlock, a serialisation failure or a busy SQLite file. `work` must only touch the
        database (it may run more than once)."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                async with self._writer.begin() as conn:
                    return await work(conn)
            except (OperationalError, DBAPIError) as exc:
                if attempt == WRITE_ATTEMPTS or not is_retryable(exc):
                    raise
                log.debug("retrying a write transaction (attempt %d): %s", attempt, exc.orig)
                await asyncio.sleep(random.uniform(0, 0.002 * 2 ** attempt))
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def raw(self) -> AsyncIterator[Any]:
        """A pooled asyncpg connection (PostgreSQL only), outside SQLAlchemy: a single statement
        on it is its own transaction."""
        if self.is_sqlite:
            raise TypeError("Database.raw is for PostgreSQL")
        pool = self._raw_pool or await self._open_raw_pool()
        async with pool.acquire() as conn:
            yield conn

    async def _open_raw_pool(self) -> Any:
        import asyncpg

        async with self._raw_lock:
            if self._raw_pool is None:
                dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
                self._raw_pool = await asyncpg.create_pool(dsn, min_size=0, max_size=self._pool_size,
                                                           max_inactive_connection_lifetime=60, reset=_keep_session)
        return self._raw_pool

    def on_outbox_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` after a raw-connection statement that wrote outbox events committed (the
        engine's own transactions are watched by server/events/wakeup.py)."""
        self._outbox_hooks.append(callback)

    def outbox_committed(self) -> None:
        for callback in self._outbox_hooks:
            callback()

    async def dispose(self) -> None:
        if self._raw_pool is not None:
            pool, self._raw_pool = self._raw_pool, None
            await pool.close()
        await self.engine.dispose()


async def _keep_session(_conn: Any) -> None:
    """Raw connections run single statements and change no session state, so the pool's default
    reset (a RESET ALL / UNLISTEN round trip on every release) is skipped; an open transaction is
    still rolled back by the pool itself."""


def is_retryable(exc: DBAPIError) -> bool:
    orig: Any = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    if state in RETRYABLE_PG_STATES:
        return True
    message = str(orig).lower()
    return "database is locked" in message or "database table is locked" in message or "deadlock" in message


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL (readers never wait for the writer), a busy timeout, foreign keys, and the
    transaction start the driver would otherwise hide (pysqlite's own BEGIN is disabled)."""

    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across app crashes; WAL keeps it consistent
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("tryon_write") else "BEGIN")


def _use_wal(cursor: Any) -> None:
    """Switch a new database file to WAL (it stays so). The switch needs the file to itself and,
    unlike other statements, does not wait for a busy file: when several processes open a new
    database at once, the losers wait and see the winner's WAL."""
    for attempt in range(200):
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the driver's OperationalError: "database is locked"
            if "locked" not in str(exc).lower() or attempt == 199:
                raise
            time.sleep(0.05)
