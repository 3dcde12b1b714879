"""The retailer's webhooks: register, list, remove, and inspect or retry their deliveries.

A webhook's secret signs every delivery (server/events/signing.py). It is returned in full only
by `create_webhook`; listings show a hint of it, so a leaked listing cannot forge signatures.
`register_webhook` also refuses a URL whose host is not a public address
(server/events/address_guard.py); deliveries check again, since DNS can change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.errors import DeliveryNotFailed, InvalidRequest, InvalidWebhookUrl, UnknownDelivery, UnknownWebhook
from server.db.database import Database
from server.db.tables import DELIVERIES, OUTBOX, WEBHOOKS
from server.events.address_guard import Resolver, check_webhook_url, system_resolver
from server.events.signing import new_secret
from server.events.topics import validate_patterns

MAX_URL_LENGTH = 2000
MIN_SECRET_LENGTH = 16
DELIVERY_STATUSES = ("pending", "delivered", "failed")


def validate_url(url: str) -> str:
    """An absolute http or https URL with a host, else InvalidWebhookUrl saying what is wrong."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"the webhook URL is over {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError on a port that is not a number in range
    except ValueError as exc:
        raise InvalidWebhookUrl(f"the webhook URL {url!r} cannot be parsed ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidWebhookUrl(f"the webhook URL must start with https:// (or http://), not {url!r}")
    if any(c.isspace() for c in url):
        raise InvalidWebhookUrl(f"the webhook URL {url!r} contains spaces: percent-encode them (%20)")
    if not parts.hostname:
        raise InvalidWebhookUrl(f"the webhook URL {url!r} has no host name (e.g. https://pos.example.com/hooks)")
    return url


def _describe(row: Any, secret: str | None = None) -> dict[str, Any]:
    described = {"id": row.id, "url": row.url, "topics": list(row.topics), "active": row.active,
                 "created_at": row.created_at.isoformat(), "secret_hint": "…" + row.secret[-4:]}
    if secret is not None:
        described["secret"] = secret
    return described


def validate_secret(secret: str | None) -> None:
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        raise InvalidRequest(f"a webhook secret needs at least {MIN_SECRET_LENGTH} characters (or leave it out "
                             "and one is generated)")


async def register_webhook(db: Database, url: str, topics: list[str], secret: str | None, now: datetime,
                           allow_private: bool, resolve: Resolver = system_resolver) -> dict[str, Any]:
    """`create_webhook` for a URL whose host is a public address (WebhookAddressRefused otherwise,
    unless `allow_private`). The host is resolved before the transaction, so no write lock waits on DNS."""
    url = validate_url(url)
    validate_patterns(topics)
    validate_secret(secret)
    await check_webhook_url(url, allow_private, resolve)
    return await db.write(lambda conn: create_webhook(conn, url, topics, secret, now))


async def create_webhook(conn: AsyncConnection, url: str, topics: list[str], secret: str | None,
                         now: datetime) -> dict[str, Any]:
    """Register a webhook for `topics` (empty: every topic). The reply is the only place its secret
    appears in full. It does not look at the URL's address: `register_webhook` does."""
    url = validate_url(url)
    patterns = validate_patterns(topics)
    validate_secret(secret)
    secret = secret or new_secret()
    row = (await conn.execute(insert(WEBHOOKS).returning(*WEBHOOKS.c),
                              {"url": url, "secret": secret, "topics": patterns, "active": True,
                               "created_at": now})).one()
    return _describe(row, secret)


async def list_webhooks(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [_describe(row) for row in (await conn.execute(select(WEBHOOKS).order_by(WEBHOOKS.c.id))).all()]


async def delete_webhook(conn: AsyncConnection, webhook_id: int) -> None:
    """Remove the webhook and (by the foreign key's cascade) its delivery history; a delivery in
    flight still arrives, its outcome is not recorded."""
    if (await conn.execute(delete(WEBHOOKS).where(WEBHOOKS.c.id == webhook_id))).rowcount != 1:
        raise UnknownWebhook(f"no webhook with id {webhook_id}")


async def _require_webhook(conn: AsyncConnection, webhook_id: int) -> None:
    if (await conn.execute(select(WEBHOOKS.c.id).where(WEBHOOKS.c.id == webhook_id))).first() is None:
        raise UnknownWebhook(f"no webhook with id {webhook_id}")


def _describe_delivery(row: Any) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": row.id, "event_id": row.event_id, "topic": row.topic, "status": row.status,
            "attempts": row.attempts, "next_attempt_at": iso(row.next_attempt_at) if row.status == "pending" else None,
            "last_error": row.last_error, "delivered_at": iso(row.delivered_at),
            "event_created_at": iso(row.created_at)}


async def list_deliveries(conn: AsyncConnection, webhook_id: int, status: str | None = None,
                          limit: int = 100) -> list[dict[str, Any]]:
    """The webhook's most recent deliveries, newest event first."""
    await _require_webhook(conn, webhook_id)
    query = (select(DELIVERIES, OUTBOX.c.topic, OUTBOX.c.created_at)
             .join(OUTBOX, OUTBOX.c.id == DELIVERIES.c.event_id)
             .where(DELIVERIES.c.webhook_id == webhook_id).order_by(DELIVERIES.c.id.desc()).limit(limit))
    if status is not None:
        if status not in DELIVERY_STATUSES:
            raise InvalidRequest(f"status must be one of {', '.join(DELIVERY_STATUSES)}, not {status!r}")
        query = query.where(DELIVERIES.c.status == status)
    return [_describe_delivery(row) for row in (await conn.execute(query)).all()]


async def retry_delivery(conn: AsyncConnection, webhook_id: int, delivery_id: int, now: datetime) -> dict[str, Any]:
    """Give a failed delivery one more attempt, now (its attempt count goes on from where it was)."""
    await _require_webhook(conn, webhook_id)
    moved = await conn.execute(update(DELIVERIES)
                               .where(DELIVERIES.c.id == delivery_id, DELIVERIES.c.webhook_id == webhook_id,
                                      DELIVERIES.c.status == "failed")
                               .values(status="pending", next_attempt_at=now, locked_until=None))
    query = (select(DELIVERIES, OUTBOX.c.topic, OUTBOX.c.created_at)
             .join(OUTBOX, OUTBOX.c.id == DELIVERIES.c.event_id)
             .where(DELIVERIES.c.id == delivery_id, DELIVERIES.c.webhook_id == webhook_id))
    row = (await conn.execute(query)).first()
    if row is None:
        raise UnknownDelivery(f"webhook {webhook_id} has no delivery with id {delivery_id}")
    if moved.rowcount != 1:
        raise DeliveryNotFailed(f"delivery {delivery_id} is {row.status}: only a failed delivery can be retried")
    return _describe_delivery(row)
