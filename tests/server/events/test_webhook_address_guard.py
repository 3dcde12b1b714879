"""Webhooks never reach the service's own network: a URL whose host is, or resolves to, a loopback,
private, link-local (cloud metadata), multicast, reserved or unspecified address is refused at
registration with the address named; a delivery to a host that resolves privately by then fails
without a request being sent; TRYON_WEBHOOK_ALLOW_PRIVATE lets local receivers through."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from server.api import webhooks as webhook_routes
from server.commerce.clock import utc_now
from server.errors_http import install_error_handlers
from server.events.address_guard import (UnresolvableWebhookHost, WebhookAddressRefused, check_webhook_url,
                                         refusal)
from server.events.guarded_http import guarded_client
from server.events.webhooks import register_webhook
from tests.server.commerce.world import add_store, open_commerce
from tests.server.databases import ADMIN_KEY
from tests.server.events.event_world import count_stock, deliveries, eventually
from tests.server.events.receivers import Receiver

pytestmark = pytest.mark.timeout(60)
PUBLIC_HOOK = "https://93.184.216.34/hook"  # a public address literal: registered, never sent to here

# URL -> (the address the refusal names, a word of its reason)
REFUSED = {
    "http://127.0.0.1:8080/hooks": ("127.0.0.1", "loopback"),
    "http://10.1.2.3/hooks": ("10.1.2.3", "private"),
    "http://172.16.5.4/hooks": ("172.16.5.4", "private"),
    "http://192.168.1.20/hooks": ("192.168.1.20", "private"),
    "http://169.254.169.254/latest/meta-data/": ("169.254.169.254", "metadata"),
    "http://100.100.100.200/latest/meta-data/": ("100.100.100.200", "metadata"),
    "http://0.0.0.0:8000/hooks": ("0.0.0.0", "unspecified"),
    "http://224.0.0.251/hooks": ("224.0.0.251", "multicast"),
    "http://240.0.0.1/hooks": ("240.0.0.1", "reserved"),
    "http://[::1]:8080/hooks": ("::1", "loopback"),
    "http://[::]/hooks": ("::", "unspecified"),
    "http://[fe80::1]/hooks": ("fe80::1", "link-local"),
    "http://[fc00::1]/hooks": ("fc00::1", "private"),
    "http://[ff02::1]/hooks": ("ff02::1", "multicast"),
    "http://[fd00:ec2::254]/hooks": ("fd00:ec2::254", "metadata"),
    "http://[::ffff:127.0.0.1]/hooks": ("::ffff:127.0.0.1", "loopback"),
    "http://[::ffff:169.254.169.254]/hooks": ("::ffff:169.254.169.254", "metadata"),
    "http://[2002:7f00:1::]/hooks": ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
    "http://[64:ff9b::a00:1]/hooks": ("64:ff9b::a00:1", "private"),  # NAT64 around 10.0.0.1
    "http://localhost:8080/hooks": ("localhost resolves to 127.0.0.1", "loopback"),
    "http://2130706433/hooks": ("2130706433 resolves to 127.0.0.1", "loopback"),  # 127.0.0.1 as one number
    "http://127.1/hooks": ("127.1 resolves to 127.0.0.1", "loopback"),
}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.mark.parametrize("url", REFUSED)
def test_registration_refuses_an_internal_address_and_names_it(url):
    named, reason = REFUSED[url]
    with pytest.raises(WebhookAddressRefused) as refused:
        asyncio.run(check_webhook_url(url, allow_private=False))
    message = str(refused.value)
    assert named in message and reason in message, message
    assert "TRYON_WEBHOOK_ALLOW_PRIVATE" in message


def test_with_allow_private_every_address_is_accepted_without_a_lookup():
    async def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError(f"looked up {host}")

    async def go():
        for url in REFUSED:
            await check_webhook_url(url, allow_private=True, resolve=no_dns)

    asyncio.run(go())


def test_public_addresses_are_accepted_in_either_ip_version():
    for address in ("93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:93.184.216.34"):
        assert refusal(ipaddress.ip_address(address)) is None, address
    asyncio.run(check_webhook_url(PUBLIC_HOOK, allow_private=False))
    asyncio.run(check_webhook_url("http://[2606:2800:220:1:248:1893:25c8:1946]:8443/hook", allow_private=False))


def test_a_host_name_is_refused_if_any_of_its_addresses_is_internal_or_it_has_none():
    answers = {"hooks.example.test": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
               "mixed.example.test": ["93.184.216.34", "10.0.0.7"]}

    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers[host]

    async def go():
        await check_webhook_url("https://hooks.example.test/hook", allow_private=False, resolve=resolve)
        with pytest.raises(WebhookAddressRefused) as mixed:
            await check_webhook_url("https://mixed.example.test/hook", allow_private=False, resolve=resolve)
        with pytest.raises(UnresolvableWebhookHost) as unknown:
            await check_webhook_url("https://typo.example.test/hook", allow_private=False, resolve=resolve)
        return str(mixed.value), str(unknown.value)

    mixed, unknown = asyncio.run(go())
    assert "mixed.example.test resolves to 10.0.0.7" in mixed and "private" in mixed
    assert "typo.example.test does not resolve" in unknown


@asynccontextmanager
async def webhook_api(database_url: str, data_dir, **settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real webhook routes and error mapping over a real database, in this process."""
    async with open_commerce(database_url, data_dir, **settings) as runtime:
        app = FastAPI()
        install_error_handlers(app)
        app.include_router(webhook_routes.router)
        app.state.commerce = runtime
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://tryon.test",
                                     headers=ADMIN) as api:
            yield api


def test_the_api_refuses_an_internal_webhook_with_a_422_and_accepts_a_public_one(database_url, tmp_path):
    async def go():
        async with webhook_api(database_url, tmp_path) as api:
            metadata = await api.post("/api/webhooks", json={"url": "http://169.254.169.254/latest/meta-data/"})
            local = await api.post("/api/webhooks", json={"url": "http://localhost:8000/hooks"})
            public = await api.post("/api/webhooks", json={"url": PUBLIC_HOOK})
            listed = (await api.get("/api/webhooks")).json()
            return metadata, local, public, listed

    metadata, local, public, listed = asyncio.run(go())
    assert metadata.status_code == 422 and metadata.json()["error"] == "WebhookAddressRefused"
    assert "169.254.169.254" in metadata.json()["detail"] and "metadata" in metadata.json()["detail"]
    assert local.status_code == 422 and "localhost resolves to 127.0.0.1" in local.json()["detail"]
    assert public.status_code == 201, public.text
    assert [hook["url"] for hook in listed] == [PUBLIC_HOOK]  # nothing of the refused ones was stored


def test_the_api_accepts_local_receivers_when_private_addresses_are_allowed(database_url, tmp_path):
    async def go():
        async with webhook_api(database_url, tmp_path, webhook_allow_private=True) as api:
            return [await api.post("/api/webhooks", json={"url": url})
                    for url in ("http://127.0.0.1:8000/hooks", "http://[::1]:8000/hooks", "http://localhost/h")]

    assert [reply.status_code for reply in asyncio.run(go())] == [201, 201, 201]


def test_a_webhook_whose_host_now_resolves_privately_fails_without_a_request(database_url, tmp_path):
    async def go(receiver: Receiver):
        async with open_commerce(database_url, tmp_path) as rt:  # private addresses refused
            url = receiver.url.replace("127.0.0.1", "localhost")  # resolves to the receiver, on 127.0.0.1
            # Registered while allowed: as if its DNS record pointed somewhere public back then.
            hook = await register_webhook(rt.db, url, [], None, utc_now(), allow_private=True)
            store = await add_store(rt)
            await count_stock(rt, store["id"], 3)
            [failed] = await eventually(lambda: deliveries(rt, hook["id"], "failed"), what="the delivery failing")
            await asyncio.sleep(0.3)  # time for a request or a retry, had there been one
            return failed, await deliveries(rt, hook["id"])

    with Receiver() as receiver:
        failed, every = asyncio.run(go(receiver))
        sent = receiver.count()
    assert sent == 0
    assert failed["attempts"] == 1 and len(every) == 1  # failed at once: no retry can help
    assert failed["last_error"].startswith("not sent: ") and "localhost resolves to 127.0.0.1" in failed["last_error"]
    assert "loopback" in failed["last_error"]


def test_a_delivery_connects_to_the_address_that_was_checked():
    """The client does no second lookup of its own: the name below resolves only through the
    guard's resolver, so the request arriving proves it connected to the address checked."""

    async def resolve(host: str, port: int) -> list[str]:
        if host == "hooks.example.test":
            return ["127.0.0.1"]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def go(url: str):
        async with guarded_client(True, 4, resolve) as client:
            reply = await client.post(url, content=b"{}")
            with pytest.raises(httpx.ConnectError, match="does not resolve"):
                await client.post(url.replace("hooks.example.test", "typo.example.test"), content=b"{}")
        async with guarded_client(False, 4, resolve) as client:
            with pytest.raises(WebhookAddressRefused, match="hooks.example.test resolves to 127.0.0.1"):
                await client.post(url, content=b"{}")
        return reply.status_code

    with Receiver() as receiver:
        url = f"http://hooks.example.test:{urlsplit(receiver.url).port}/hooks"
        status = asyncio.run(go(url))
        requests = list(receiver.requests)
    assert status == 200 and len(requests) == 1  # the refused one never arrived
    assert requests[0].headers["Host"] == f"hooks.example.test:{urlsplit(receiver.url).port}"
