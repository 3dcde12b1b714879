"""Webhook routes (admin): register the retailer's endpoints, see what was delivered, retry."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from server.api.auth import AdminDep, CommerceDep
from server.commerce.clock import utc_now
from server.events.webhooks import (MAX_URL_LENGTH, delete_webhook, list_deliveries, list_webhooks, register_webhook,
                                    retry_delivery)

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


class WebhookCreate(BaseModel):
    url: str = Field(max_length=MAX_URL_LENGTH,
                     description="Where events are POSTed: https://... (or http://), on a public address")
    topics: list[str] = Field(default_factory=list, max_length=20,
                              description="e.g. ['reservation.*', 'stock.changed']; empty: every topic")
    secret: str | None = Field(None, min_length=16, max_length=200,
                               description="Signs each delivery (HMAC-SHA256); generated when left out")


@router.post("", status_code=201, summary="Register a webhook (admin); the reply is the only one with its secret",
             description="422 for a URL whose host is, or resolves to, a loopback, private, link-local, multicast, "
                         "reserved or unspecified address (unless TRYON_WEBHOOK_ALLOW_PRIVATE).")
async def create(body: WebhookCreate, commerce: CommerceDep, principal: AdminDep) -> dict[str, Any]:
    return await register_webhook(commerce.db, body.url, body.topics, body.secret, commerce.clock(),
                                  commerce.settings.webhook_allow_private)


@router.get("", summary="Every webhook, without secrets (admin)")
async def webhooks(commerce: CommerceDep, principal: AdminDep) -> list[dict[str, Any]]:
    async with commerce.db.read() as conn:
        return await list_webhooks(conn)


@router.delete("/{webhook_id}", status_code=204, summary="Remove a webhook and its delivery history (admin)")
async def remove(webhook_id: int, commerce: CommerceDep, principal: AdminDep) -> None:
    await commerce.db.write(lambda conn: delete_webhook(conn, webhook_id))


@router.get("/{webhook_id}/deliveries", summary="A webhook's recent deliveries, newest first (admin)")
async def deliveries(webhook_id: int, commerce: CommerceDep, principal: AdminDep,
                     status: Literal["pending", "delivered", "failed"] | None = None,
                     limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    async with commerce.db.read() as conn:
        return await list_deliveries(conn, webhook_id, status, limit)


@router.post("/{webhook_id}/deliveries/{delivery_id}/retry",
             summary="Try a failed delivery once more, now (admin); 409 unless it failed")
async def retry(webhook_id: int, delivery_id: int, commerce: CommerceDep, principal: AdminDep) -> dict[str, Any]:
    now = utc_now()  # deliveries are scheduled in real time, like the HTTP requests they make
    retried = await commerce.db.write(lambda conn: retry_delivery(conn, webhook_id, delivery_id, now))
    commerce.events.wake_deliveries()
    return retried
