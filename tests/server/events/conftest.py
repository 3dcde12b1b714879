"""Fixtures for the event tests: real webhook receivers, a real Redis, and two real server
processes sharing one PostgreSQL database and one Redis channel."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server.databases import (ADMIN_KEY, create_postgres_database, drop_postgres_database,
                                    postgres_unavailable_reason)
from tests.server.live_server import LiveServer, start_server, stop_server

REDIS_URL = os.environ.get("TRYON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_unavailable_reason() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        return f"Redis is not answering at {REDIS_URL} ({type(exc).__name__}: {exc}); .ci/run starts it"
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    reason = redis_unavailable_reason()
    if reason:
        pytest.skip(reason)
    return REDIS_URL


@dataclass
class ServerPair:
    """Two server processes on one database and one Redis channel, as two machines would run."""

    a: LiveServer
    b: LiveServer
    database_url: str


@pytest.fixture(scope="session")
def server_pair(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[ServerPair]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    database_url = create_postgres_database()
    settings = dict(database_url=database_url, admin_key=ADMIN_KEY, demo_stores=False, redis_url=redis_url,
                    redis_channel=f"tryon:test:{uuid.uuid4().hex[:8]}", webhook_retry_base_s=0.05,
                    webhook_max_attempts=3, webhook_timeout_s=2,
                    webhook_allow_private=True)  # the receivers listen on 127.0.0.1
    folders: list[Path] = [tmp_path_factory.mktemp("server_a"), tmp_path_factory.mktemp("server_b")]
    with ThreadPoolExecutor(2) as pool:  # they start in parallel: each takes seconds to import its models
        starts = [pool.submit(start_server, folder, **settings) for folder in folders]
        servers = [start.result() for start in starts]
    yield ServerPair(servers[0], servers[1], database_url)
    for server in servers:
        stop_server(server)
    drop_postgres_database(database_url)
