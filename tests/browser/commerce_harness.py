"""What the reserve, staff and analytics page tests share: calls to the real server's API to set up
and check the world (stores with stock, reservations, staff keys), and the commerce pages opened
with everything they request recorded."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from browser_harness import PageWatch, RunningServer

PARIS = ZoneInfo("Europe/Paris")  # every demo store's time zone
PHONE_VIEWPORT = {"width": 360, "height": 800}
DESK_VIEWPORT = {"width": 1100, "height": 900}
CODE_PATTERN = r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$"


class ApiRefused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


def api(server: RunningServer, method: str, path: str, body: Any = None, key: str | None = None,
        idempotency_key: str | None = None) -> Any:
    """One JSON call to the server; raises ApiRefused on an error status."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    request = urllib.request.Request(f"{server.base_url}{path}", method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            raw = response.read()
            return json.loads(raw) if raw and response.headers.get_content_type() == "application/json" else raw
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = {"detail": raw.decode(errors="replace")}
        raise ApiRefused(error.code, parsed) from None


def stores_with_stock(server: RunningServer, sku: str, postcode: str = "75009") -> list[dict[str, Any]]:
    return api(server, "GET", f"/api/availability?sku={sku}&postcode={postcode}&slots=3")["stores"]


def free_slots(server: RunningServer, store_id: int, days: int = 7) -> list[dict[str, Any]]:
    return [slot for slot in api(server, "GET", f"/api/stores/{store_id}/slots?days={days}")["slots"]
            if slot["places_left"] > 0]


def reserve(server: RunningServer, sku: str, store_id: int, slot_start: str | None = None, *, confirm: bool = True,
            quantity: int = 1, name: str = "Test Shopper") -> dict[str, Any]:
    """A reservation made the way the page makes one (held, then confirmed unless asked not to)."""
    body = {"sku": sku, "store_id": store_id, "quantity": quantity, "slot_start": slot_start,
            "contact": {"name": name, "email": "shopper@example.com"}}
    held = api(server, "POST", "/api/reservations", body, idempotency_key=str(uuid.uuid4()))
    return api(server, "POST", f"/api/reservations/{held['code']}/confirm", {}) if confirm else held


def new_staff_key(server: RunningServer, name: str, store_ids: list[int]) -> str:
    return api(server, "POST", "/api/staff-keys", {"name": name, "store_ids": store_ids}, key=server.admin_key,
               idempotency_key=str(uuid.uuid4()))["key"]


def set_stock(server: RunningServer, store_id: int, sku: str, on_hand: int) -> None:
    """A stock count, as the store would enter it (admin key)."""
    api(server, "PUT", f"/api/stores/{store_id}/stock/{sku}", {"on_hand": on_hand, "reference": "browser tests"},
        key=server.admin_key, idempotency_key=str(uuid.uuid4()))


def store_local(instant: str) -> datetime:
    """A UTC ISO instant from the API ("...Z") at the demo stores' wall clock."""
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(PARIS)


def open_page(browser, server: RunningServer, path: str, viewport: dict[str, int] = DESK_VIEWPORT, **context_options):
    """A fresh context (own sessionStorage) with `path` loaded and every request recorded."""
    context = browser.new_context(viewport=viewport, locale="en-GB", **context_options)
    page = context.new_page()
    watch = PageWatch()
    watch.attach(page)
    page.goto(f"{server.base_url}{path}")
    return context, page, watch


def foreign_requests(watch: PageWatch, server: RunningServer) -> list[str]:
    return [url for url in watch.requests
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != server.netloc]


def sign_in(page, key: str) -> None:
    page.get_by_test_id("key").fill(key)
    page.get_by_test_id("sign-in").click()
