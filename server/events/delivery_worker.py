"""The delivery loop of one process: keeps up to MAX_IN_FLIGHT webhook requests going, at most
PER_WEBHOOK of them to any one webhook, so a slow or dead receiver only ever ties up its own few
slots while every other webhook keeps receiving. Each turn of the loop records every outcome
that came in since the last turn in one transaction, then claims what is due in another.

Stopping cancels the HTTP requests only, never a database transaction half-way: a transaction
cut off mid-way can leave SQLite's write lock held by a connection nobody owns any more.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import timedelta

import httpx

from server.commerce.clock import utc_now
from server.db.database import Database
from server.events.address_guard import WebhookAddressRefused
from server.events.delivery import Claimed, Outcome, claim_due, lease_for, next_due_at, post, record_outcomes
from server.events.guarded_http import guarded_client
from server.settings import Settings

log = logging.getLogger("tryon.events")
MAX_IN_FLIGHT = 32
PER_WEBHOOK = 4
POLL_S = 1.0  # also looks this often for deliveries other processes' dispatchers created
ERROR_PAUSE_S = 2.0


class DeliveryWorker:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.failures = 0  # errors of the loop itself (not of receivers), for logs and tests
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: dict[asyncio.Task[None], Claimed] = {}
        self._outcomes: list[Outcome] = []
        self._client: httpx.AsyncClient | None = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Ask `run` to end: requests in flight are cut short and their leases given back."""
        self._stopping = True
        self._wake.set()
        for task in self._in_flight:
            task.cancel()

    async def run(self) -> None:
        """Deliver until `stop()`; an error of the database or of this loop is logged and retried."""
        self._client = guarded_client(self.settings.webhook_allow_private, MAX_IN_FLIGHT)
        try:
            while not self._stopping:
                try:
                    await self._record()
                    pause = await self._start_due()
                except Exception:
                    self.failures += 1
                    log.exception("recording or claiming webhook deliveries failed; trying again in %.0f s",
                                  ERROR_PAUSE_S)
                    pause = ERROR_PAUSE_S
                try:
                    await asyncio.wait_for(self._wake.wait(), pause)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            await self._client.aclose()
            try:
                await self._record()
            except Exception:
                log.warning("could not record %d webhook outcomes while stopping; those deliveries are tried "
                            "again when their leases run out", len(self._outcomes), exc_info=True)

    async def _start_due(self) -> float:
        """Claim what is due and start it; how long to wait before looking again."""
        busy = Counter(delivery.webhook_id for delivery in self._in_flight.values())
        claimed_at = utc_now()
        claimed = await claim_due(self.db, claimed_at, lease_for(self.settings.webhook_timeout_s),
                                  MAX_IN_FLIGHT - len(self._in_flight), PER_WEBHOOK, busy)
        for delivery in claimed:
            task = asyncio.create_task(self._deliver(delivery), name=f"webhook-delivery-{delivery.id}")
            self._in_flight[task] = delivery
            task.add_done_callback(self._finished)
        if claimed:
            return 0.0 if len(self._in_flight) < MAX_IN_FLIGHT else POLL_S
        soonest = await next_due_at(self.db)
        if soonest is None or soonest <= claimed_at:  # nothing, or due but capped or leased: a finished task wakes us
            return POLL_S
        return min(POLL_S, max(0.0, (soonest - utc_now()) / timedelta(seconds=1)))

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        self._wake.set()  # an outcome to record and a slot free

    async def _deliver(self, delivery: Claimed) -> None:
        assert self._client is not None
        try:
            error = await post(self._client, delivery, self.settings.webhook_timeout_s)
        except asyncio.CancelledError:
            self._outcomes.append(Outcome(delivery, None, utc_now(), cut_short=True))
            return  # only stop() cancels these: the loop records that the lease is given back
        except WebhookAddressRefused as exc:
            self._outcomes.append(Outcome(delivery, f"not sent: {exc}", utc_now(), final=True))
            return
        self._outcomes.append(Outcome(delivery, error, utc_now()))

    async def _record(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        try:
            statuses = await record_outcomes(self.db, outcomes, self.settings.webhook_max_attempts,
                                             self.settings.webhook_retry_base_s)
        except Exception:
            self._outcomes[:0] = outcomes  # kept for the next turn; their leases outlast a few retries
            raise
        for outcome, status in zip(outcomes, statuses):
            delivery, error = outcome.delivery, outcome.error
            if status == "failed" and outcome.final:
                log.warning("webhook %d, event %d: %s", delivery.webhook_id, delivery.event.id, error)
            elif status == "failed":
                log.warning("webhook %d gave up on event %d after %d attempts: %s", delivery.webhook_id,
                            delivery.event.id, delivery.attempts + 1, error)
            elif error is not None and status is not None:
                log.info("webhook %d refused event %d (attempt %d): %s", delivery.webhook_id, delivery.event.id,
                         delivery.attempts + 1, error)
