"""The HTTP client webhook deliveries go out through: every connection it opens goes to an address
checked at that moment (server/events/address_guard.py), and to nothing else.

The check and the connection use the same DNS answer, so a host that resolves to a private
address now, or only for the instant between a check and a second lookup (DNS rebinding), is
never contacted: the request fails with WebhookAddressRefused before a byte is sent. TLS still
verifies the certificate against the URL's host name. HTTP(S)_PROXY variables are not used,
since a proxy's connections would go around the check.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpcore
import httpx

from server.events.address_guard import (RESOLVE_TIMEOUT_S, Resolver, UnresolvableWebhookHost, checked_addresses,
                                         system_resolver)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to checked addresses of the host asked for, trying each in turn."""

    def __init__(self, allow_private: bool, resolve: Resolver = system_resolver,
                 inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await checked_addresses(host, port, self.allow_private, self.resolve,
                                                timeout or RESOLVE_TIMEOUT_S)
        except UnresolvableWebhookHost as exc:  # a DNS failure may pass: retried like any connection failure
            raise httpcore.ConnectError(str(exc)) from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(str(address), port, timeout=timeout, local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # checked_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks are not delivered over Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, allow_private: bool, limits: httpx.Limits, resolve: Resolver = system_resolver) -> None:
        super().__init__(limits=limits)
        # httpx has no public hook for the network backend: its pool is replaced by one built as
        # httpx builds it (httpx 0.28), with the guarded backend. tests/server/events prove it is used.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private, resolve))


def guarded_client(allow_private: bool, max_connections: int, resolve: Resolver = system_resolver) -> httpx.AsyncClient:
    """An httpx client that reaches public addresses only (any address with `allow_private`) and
    follows no redirects (a redirect is the receiver's answer, recorded as a refusal)."""
    transport = GuardedTransport(allow_private, httpx.Limits(max_connections=max_connections), resolve)
    return httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False)
