"""A Server-Sent Events client for tests: reads a live stream in the background and hands over
each event, as a browser's EventSource would see it."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class LiveEvent:
    topic: str
    id: int
    data: dict[str, Any]


class LiveStream:
    """`async with LiveStream(url, params=..., headers=...) as stream`: connected once the server
    said `: connected` (it subscribes before that), closed on exit."""

    def __init__(self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        self.url, self.params, self.headers = url, params or {}, headers or {}
        self.events: list[LiveEvent] = []
        self.comments: list[str] = []
        self._arrived = asyncio.Event()
        self._connected = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None))
        self.status: int | None = None
        self.content_type = ""

    async def __aenter__(self) -> LiveStream:
        self._reader = asyncio.create_task(self._read())
        connected = asyncio.create_task(self._connected.wait())
        done, _ = await asyncio.wait([self._reader, connected], timeout=10, return_when=asyncio.FIRST_COMPLETED)
        connected.cancel()
        if self._reader in done:
            self._reader.result()
            raise AssertionError(f"the stream ended before it was connected (HTTP {self.status})")
        if not self._connected.is_set():
            raise AssertionError("the stream did not say ': connected' within 10 s")
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._reader is not None
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self._client.aclose()

    async def _read(self) -> None:
        async with self._client.stream("GET", self.url, params=self.params, headers=self.headers) as response:
            self.status, self.content_type = response.status_code, response.headers.get("content-type", "")
            if response.status_code != 200:
                raise AssertionError(f"HTTP {response.status_code}: {(await response.aread()).decode()}")
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                    if line[1:].strip() == "connected":
                        self._connected.set()
                elif line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                elif "data" in fields:
                    self.events.append(LiveEvent(fields.get("event", "message"), int(fields["id"]),
                                                 json.loads(fields["data"])))
                    self._arrived.set()
                    fields = {}

    async def until(self, count: int, timeout_s: float = 10.0) -> list[LiveEvent]:
        """The events once at least `count` arrived; AssertionError after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while len(self.events) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{len(self.events)} of {count} live events arrived within {timeout_s} s: "
                                     f"{self.events}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except TimeoutError:
                pass
        return list(self.events)
