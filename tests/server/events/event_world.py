"""Helpers for event tests on the domain: make events, register webhooks, read deliveries, wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from server.commerce.clock import utc_now
from server.commerce.runtime import CommerceRuntime
from server.commerce.stock import set_on_hand
from server.events.webhooks import create_webhook, list_deliveries
from tests.server.commerce.world import SKU

T = TypeVar("T")


async def count_stock(runtime: CommerceRuntime, store_id: int, *on_hands: int) -> None:
    """One stock.changed event per count, all in one transaction."""
    async def work(conn):
        for on_hand in on_hands:
            await set_on_hand(conn, store_id=store_id, sku=SKU, on_hand=on_hand, now=runtime.clock(), actor="test")

    await runtime.db.write(work)


async def add_webhook(runtime: CommerceRuntime, url: str, topics: list[str] | None = None,
                      secret: str | None = None) -> dict[str, Any]:
    return await runtime.db.write(lambda conn: create_webhook(conn, url, topics or [], secret, utc_now()))


async def deliveries(runtime: CommerceRuntime, webhook_id: int, status: str | None = None) -> list[dict[str, Any]]:
    async with runtime.db.read() as conn:
        return await list_deliveries(conn, webhook_id, status, limit=1000)


async def eventually(check: Callable[[], Awaitable[T]], timeout_s: float = 10.0, what: str = "the condition") -> T:
    """`check()`'s first truthy result, polled until `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s} s (last: {result!r})")
        await asyncio.sleep(0.02)
