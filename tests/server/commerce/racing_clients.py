"""Many HTTP clients in several processes, all firing at one instant: the load that finds races."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from typing import Any

import httpx

Request = tuple[str, str, dict[str, Any] | None, dict[str, str]]  # method, path, json body, headers


def _fire(args: tuple[str, list[Request], float]) -> list[tuple[int, dict[str, Any]]]:
    base, requests, start_at = args

    async def go() -> list[tuple[int, dict[str, Any]]]:
        limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=len(requests))
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            await asyncio.sleep(max(0.0, start_at - time.time()))

            async def one(req: Request) -> tuple[int, dict[str, Any]]:
                method, path, body, headers = req
                r = await client.request(method, path, json=body, headers=headers)
                return r.status_code, r.json() if r.content else {}
            return await asyncio.gather(*(one(r) for r in requests))

    return asyncio.run(go())


def race(base: str, requests: list[Request], processes: int = 4, lead_s: float = 1.5) -> list[tuple[int, dict]]:
    """Send `requests` from `processes` client processes at once; replies in request order."""
    start_at = time.time() + lead_s  # every process is up and connected-ready before this instant
    shares = [requests[i::processes] for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_fire, [(base, share, start_at) for share in shares])
    ordered: list[tuple[int, dict]] = [None] * len(requests)  # type: ignore[list-item]
    for i, share_results in enumerate(results):
        for j, result in enumerate(share_results):
            ordered[i + j * processes] = result
    return ordered
