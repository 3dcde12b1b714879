"""Where webhooks may go: public internet addresses only, never the service's own network.

Without this, an admin key could turn webhooks into a probe of the machines behind the service
(server-side request forgery): 127.0.0.1, the private 10/8, 172.16/12 and 192.168/16, the cloud
metadata service at 169.254.169.254, and their IPv6 forms (::1, fc00::/7, fe80::/10, IPv4
addresses mapped into IPv6 such as ::ffff:127.0.0.1). A host name is judged by every address it
resolves to: one internal address is enough to refuse it. The check runs when a webhook is
registered (a clear 422) and again for every connection a delivery makes
(server/events/guarded_http.py), because DNS can change after registration.

`allow_private` (TRYON_WEBHOOK_ALLOW_PRIVATE) lifts the refusal, for development and tests whose
receivers listen on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from server.commerce.errors import InvalidWebhookUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]  # (host, port) -> numeric addresses; raises socket.gaierror

RESOLVE_TIMEOUT_S = 5.0
ALLOW_HINT = "set TRYON_WEBHOOK_ALLOW_PRIVATE=true to allow it in development"
METADATA_SERVICES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack...
    "fd00:ec2::254",  # AWS over IPv6
    "100.100.100.200",  # Alibaba Cloud
))
SHARED_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598): not public, not "private"
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known prefix: the last 32 bits are an IPv4 address
CATEGORIES = (  # the first that applies names the refusal; reserved before private, which also covers 240/4
    ("is_unspecified", "an unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private address"),
)


class WebhookAddressRefused(InvalidWebhookUrl):
    """The webhook's host is, or resolves to, an address on the service's own network."""

    def __init__(self, host: str, address: IPAddress, reason: str) -> None:
        self.host, self.address, self.reason = host, address, reason
        literal = ip_literal(host) == address
        subject = f"address {host}" if literal else f"host {host} resolves to {address}, which"
        super().__init__(f"the webhook {subject} is {reason}: webhooks are sent only to public internet "
                         f"addresses ({ALLOW_HINT})")


class UnresolvableWebhookHost(InvalidWebhookUrl):
    """The webhook's host name has no address (a typo, or a DNS record not made yet)."""

    def __init__(self, host: str, detail: str) -> None:
        self.host = host
        super().__init__(f"the webhook host {host} does not resolve ({detail}): check the name in the URL")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and leads to (mapped ::ffff:a.b.c.d, 6to4, NAT64)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why a webhook must not be sent to `address` ('a loopback address', ...); None for a public one."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = refusal(inner)
        return None if reason is None else f"{inner} in IPv6 form, {reason}"
    reason = next((text for attribute, text in CATEGORIES if getattr(address, attribute)), None)
    if reason is None and address in SHARED_SPACE:
        reason = "a shared (carrier-grade NAT) address"
    if reason is None and not address.is_global:
        reason = "not a public address"
    if reason is not None and address in METADATA_SERVICES:
        reason += " (a cloud metadata service)"
    return reason


def ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer, looked up on a worker thread (getaddrinfo blocks)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def checked_addresses(host: str, port: int, allow_private: bool, resolve: Resolver = system_resolver,
                            timeout_s: float = RESOLVE_TIMEOUT_S) -> list[IPAddress]:
    """Every address of `host`, in the resolver's order. WebhookAddressRefused if any is not public
    (unless `allow_private`), UnresolvableWebhookHost if there is none."""
    literal = ip_literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            async with asyncio.timeout(timeout_s):
                found = await resolve(host, port)
        except socket.gaierror as exc:
            raise UnresolvableWebhookHost(host, exc.strerror or str(exc)) from None
        except TimeoutError:
            raise UnresolvableWebhookHost(host, f"no DNS answer within {timeout_s:g} s") from None
        except UnicodeError as exc:  # a name IDNA cannot encode
            raise UnresolvableWebhookHost(host, str(exc)) from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(a) for a in found))
        if not addresses:
            raise UnresolvableWebhookHost(host, "no address")
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise WebhookAddressRefused(host, address, reason)
    return addresses


def host_and_port(url: str) -> tuple[str, int]:
    """The host (no brackets) and port, the scheme's default if none, of a URL validate_url accepted."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


async def check_webhook_url(url: str, allow_private: bool, resolve: Resolver = system_resolver) -> None:
    """Refuse (WebhookAddressRefused, UnresolvableWebhookHost) a URL whose host is not public. With
    `allow_private` nothing is looked up: any host is accepted."""
    if allow_private:
        return
    host, port = host_and_port(url)
    await checked_addresses(host, port, allow_private, resolve)
