"""The one source of 'now' for the domain: aware UTC instants. Domain functions take `now` as an
argument so tests can place events in time; the API passes `utc_now()`."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
