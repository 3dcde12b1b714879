"""The signature scheme retailers implement: what `verify` accepts and what it refuses."""

from __future__ import annotations

import time

from server.events.delivery import MAX_RETRY_DELAY_S, retry_delay
from server.events.signing import signature, signature_header, verify

SECRET = "whsec_test-secret-0123456789"
BODY = b'{"id":1,"topic":"stock.changed","created_at":"2026-12-02T09:00:00+00:00","payload":{}}'


def test_a_signature_verifies_only_for_the_same_body_secret_and_a_recent_time():
    header = signature_header(SECRET, BODY)
    assert verify(SECRET, BODY, header)
    assert not verify(SECRET, BODY + b" ", header)
    assert not verify("whsec_another-secret-0123456", BODY, header)
    old = signature_header(SECRET, BODY, timestamp=int(time.time()) - 600)
    assert not verify(SECRET, BODY, old)
    assert verify(SECRET, BODY, old, tolerance_s=900)


def test_the_signed_text_is_the_timestamp_a_dot_and_the_raw_body():
    header = signature_header(SECRET, BODY, timestamp=1_800_000_000)
    assert header == f"t=1800000000,v1={signature(SECRET, 1_800_000_000, BODY)}"
    import hashlib
    import hmac

    assert signature(SECRET, 1_800_000_000, BODY) == hmac.new(SECRET.encode(), b"1800000000." + BODY,
                                                               hashlib.sha256).hexdigest()


def test_verify_accepts_any_of_several_signatures_and_refuses_malformed_headers():
    now = int(time.time())
    rotated = f"t={now},v1={'0' * 64},v1={signature(SECRET, now, BODY)}"
    assert verify(SECRET, BODY, rotated)
    for header in ("", "v1=abc", f"t=soon,v1={signature(SECRET, now, BODY)}", f"t={now}",
                   f"t={now},t={now},v1={signature(SECRET, now, BODY)}"):
        assert not verify(SECRET, BODY, header), header


def test_retry_waits_double_from_the_base_up_to_ten_minutes_with_bounded_jitter():
    waits = [retry_delay(attempt, 2.0) for attempt in range(1, 12)]
    for attempt, wait in enumerate(waits[:5], start=1):
        assert 2.0 * 2 ** (attempt - 1) <= wait <= 1.2 * 2.0 * 2 ** (attempt - 1)
    assert all(MAX_RETRY_DELAY_S <= wait <= 1.2 * MAX_RETRY_DELAY_S for wait in waits[-2:])
