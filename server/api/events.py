"""Live events for pages, as Server-Sent Events: the shopper page follows stock, the staff page
its stores' reservations. Stock is public; other topics need a key, which may come as ?key=
because a browser's EventSource cannot send an Authorization header (the key then appears in
URLs: prefer a staff key, never the admin key, in a browser; server/log_redaction.py keeps it out
of the access log). A Last-Event-ID older than the retention gets a `replay.incomplete` event
instead of a replay (server/events/replay.py)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from server.api.auth import CommerceDep
from server.commerce.errors import NotAuthorised
from server.commerce.runtime import CommerceRuntime
from server.commerce.staff import Principal, authenticate
from server.events.live_scope import live_scope
from server.events.replay import events_after, replay_horizon
from server.events.sse import event_stream

router = APIRouter(tags=["events"])

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering (nginx)


async def _caller(commerce: CommerceRuntime, authorization: str | None, key: str | None) -> Principal | None:
    """The key from the Authorization header, else from ?key=; None for an anonymous caller."""
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise NotAuthorised("send 'Authorization: Bearer <key>'")
        key = credentials.strip()
    if not key:
        return None
    async with commerce.db.read() as conn:
        return await authenticate(conn, key, commerce.admin_key)


def _last_id(header: str | None, query: int | None) -> int | None:
    if header is not None and header.strip().isdigit():
        return int(header)
    return query


@router.get("/api/events", response_class=StreamingResponse,
            summary="Live events (text/event-stream): stock for anyone, reservations for a store's staff",
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`event: <topic>`, `id: <event id>`, `data: <JSON>` per event"}})
async def live_events(
    commerce: CommerceDep,
    store_id: Annotated[int | None, Query(description="Only this store's events")] = None,
    topic: Annotated[list[str], Query(description="Topic patterns, repeated or comma-separated: stock.changed, "
                                      "reservation.*, * (default: stock.changed without a key, all with one)")] = [],
    sku: Annotated[str | None, Query(max_length=64, description="Only this SKU's events")] = None,
    key: Annotated[str | None, Query(description="A staff or admin key, for EventSource (no headers)")] = None,
    last_event_id: Annotated[int | None, Query(ge=0, description="Replay events after this id first "
                                               "(EventSource sends the Last-Event-ID header by itself)")] = None,
    authorization: Annotated[str | None, Header()] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    principal = await _caller(commerce, authorization, key)
    patterns = [part.strip() for value in topic for part in value.split(",") if part.strip()]
    scope = live_scope(principal, patterns, store_id, sku)
    after = _last_id(last_event_id_header, last_event_id)
    kept_since = replay_horizon(commerce.clock(), commerce.settings.event_retention_days)
    missed = None if after is None else partial(events_after, commerce.db, after, scope.patterns,
                                                kept_since=kept_since)
    stream = event_stream(commerce.events.bus, scope, missed)
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)
