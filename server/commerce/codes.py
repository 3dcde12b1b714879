"""Codes a shopper carries (reservations, coupons): unguessable, short enough to read out or type.

16 Crockford base-32 characters = 80 random bits, shown in groups of four (K7QM-2XPD-9RTA-6WEH).
Guessing one among a million live codes takes ~10^18 tries, and failed lookups are rate-limited.
Crockford's alphabet has no I, L, O or U, and typed input is forgiving: case, spaces, hyphens and
the look-alikes O->0, I/L->1 are normalised.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 16
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CANONICAL = re.compile(rf"^[{ALPHABET}]{{{CODE_CHARS}}}$")


def new_code() -> str:
    bits = int.from_bytes(secrets.token_bytes(CODE_CHARS * 5 // 8))  # one read of the OS's randomness
    raw = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(CODE_CHARS))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_CHARS, 4))


def normalise_code(typed: str) -> str | None:
    """The canonical grouped form of what a shopper or clerk typed or scanned, or None if it cannot
    be a code (so the database is never asked about garbage)."""
    if "/" in typed:  # a scanned QR code holds the reservation page's URL
        typed = typed.rstrip("/").rsplit("/", 1)[-1]
    raw = re.sub(r"[\s\-]", "", typed.upper()).translate(_LOOKALIKES)
    if not _CANONICAL.match(raw):
        return None
    return "-".join(raw[i:i + 4] for i in range(0, CODE_CHARS, 4))
