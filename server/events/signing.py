"""Webhook signatures: HMAC-SHA256 with the webhook's secret over `<unix time>.<raw body>`, sent as

    X-Tryon-Signature: t=1764666000,v1=<64 hex digits>

The timestamp is inside the signed text so a captured request cannot be replayed later with a new
time; receivers refuse timestamps older than a few minutes. `verify` below uses only the standard
library so a retailer can copy it as it is (the README shows it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Tryon-Signature"
SECRET_PREFIX = "whsec_"
TOLERANCE_S = 300  # five minutes: generous for clock skew, short for replays


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The X-Tryon-Signature value for `body`, signed now (or at `timestamp`, unix seconds)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, body: bytes, header: str, tolerance_s: int = TOLERANCE_S, now: float | None = None) -> bool:
    """True if `header` (X-Tryon-Signature) signs exactly `body` (the raw request bytes, before
    any JSON parsing) with `secret`, within `tolerance_s` of now. Several v1= values are
    accepted, so a secret can be rotated without downtime."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for name, value in fields if name.strip() == "t"]
    candidates = [value.strip() for name, value in fields if name.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not candidates:
        return False
    timestamp = int(timestamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
