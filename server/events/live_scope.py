"""Which live events a caller may stream: stock levels are public, everything else (reservations,
coupons) needs a key and is limited to the stores the key covers."""

from __future__ import annotations

from dataclasses import dataclass

from server.commerce.errors import NotAuthorised
from server.commerce.staff import Principal
from server.events.envelope import Event
from server.events.topics import is_public, topic_matches, validate_patterns

PUBLIC_DEFAULT = ("stock.changed",)


@dataclass(frozen=True)
class LiveScope:
    patterns: tuple[str, ...]  # never empty
    store_ids: frozenset[int] | None  # None: every store
    sku: str | None = None

    def admits(self, event: Event) -> bool:
        if not topic_matches(self.patterns, event.topic):
            return False
        if self.store_ids is not None and event.store_id not in self.store_ids:
            return False
        return self.sku is None or event.payload.get("sku") == self.sku


def live_scope(principal: Principal | None, topics: list[str], store_id: int | None = None,
               sku: str | None = None) -> LiveScope:
    """The scope of a stream asked for with these filters. Without a key only public topics may be
    asked for (and are the default); a staff key's streams never leave its stores (Forbidden for
    a `store_id` it does not cover)."""
    patterns = tuple(validate_patterns(topics))
    if principal is None:
        patterns = patterns or PUBLIC_DEFAULT
        private = [p for p in patterns if not is_public(p)]
        if private:
            raise NotAuthorised(f"live {private[0]!r} events need a staff or admin key: send "
                                "'Authorization: Bearer <key>', or ?key=<key> from a browser's EventSource")
        return LiveScope(patterns, None if store_id is None else frozenset({store_id}), sku)
    patterns = patterns or ("*",)
    if store_id is not None:
        principal.require_store(store_id)
        return LiveScope(patterns, frozenset({store_id}), sku)
    return LiveScope(patterns, principal.store_ids, sku)
