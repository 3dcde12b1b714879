"""Topic patterns, shared by webhook subscriptions and live streams: an exact topic
(`stock.changed`), a family (`reservation.*`) or everything (`*`; an empty list means the same)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from server.commerce.errors import InvalidTopic

KNOWN_FAMILIES = ("stock", "reservation", "coupon", "product")
PUBLIC_FAMILIES = frozenset({"stock"})  # stock levels are public already (GET .../stock/{sku})
MAX_PATTERNS = 20
_PATTERN = re.compile(r"^(\*|[a-z][a-z_]*\.(\*|[a-z][a-z_]*))$")


def validate_patterns(patterns: Iterable[str]) -> list[str]:
    """The patterns, de-duplicated in order; InvalidTopic names the first bad one."""
    cleaned: list[str] = []
    for pattern in patterns:
        if not _PATTERN.match(pattern):
            raise InvalidTopic(f"topic {pattern!r} is not a topic pattern: use e.g. 'stock.changed', "
                               f"'reservation.*' or '*' (families: {', '.join(KNOWN_FAMILIES)})")
        if pattern not in cleaned:
            cleaned.append(pattern)
    if len(cleaned) > MAX_PATTERNS:
        raise InvalidTopic(f"at most {MAX_PATTERNS} topic patterns, not {len(cleaned)}")
    return cleaned


def topic_matches(patterns: Iterable[str], topic: str) -> bool:
    """Whether `topic` is one of `patterns`; no patterns at all means every topic."""
    patterns = list(patterns)
    if not patterns:
        return True
    family = topic.split(".", 1)[0]
    return any(p == "*" or p == topic or p == f"{family}.*" for p in patterns)


def is_public(pattern: str) -> bool:
    """Whether everything `pattern` can match may be streamed without a key."""
    return pattern.split(".", 1)[0] in PUBLIC_FAMILIES
