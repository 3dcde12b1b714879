"""One exception per thing a caller can act on; HTTP status codes are mapped in server/errors_http.py."""

from __future__ import annotations

from tryon.errors import TryonError


class CommerceError(TryonError):
    """Base of the commerce domain's errors."""


class NotFound(CommerceError):
    """Base: the thing named does not exist (or is not visible to the caller)."""


class UnknownStore(NotFound):
    pass


class UnknownSku(NotFound):
    pass


class ReservationNotFound(NotFound):
    pass


class Conflict(CommerceError):
    """Base: the request is valid but the current state does not allow it (HTTP 409)."""


class InsufficientStock(Conflict):
    def __init__(self, sku: str, store_id: int, requested: int, available: int) -> None:
        self.sku, self.store_id, self.requested, self.available = sku, store_id, requested, available
        super().__init__(f"not enough stock: {requested} x {sku} requested at store {store_id}, "
                         f"{available} available")


class SlotFull(Conflict):
    def __init__(self, store_id: int, slot_start: str) -> None:
        self.store_id, self.slot_start = store_id, slot_start
        super().__init__(f"the fitting slot at {slot_start} in store {store_id} is fully booked; pick another slot")


class TransitionNotAllowed(Conflict):
    def __init__(self, code_hint: str, status: str, action: str) -> None:
        self.status, self.action = status, action
        super().__init__(f"reservation {code_hint} is {status}: it cannot be {action}")


class HoldExpired(Conflict):
    """A hold's time ran out before it was confirmed."""


class StaleStock(Conflict):
    """Compare-and-set failed: the stock row changed since the caller read it."""

    def __init__(self, store_id: int, sku: str, expected: int, actual: int) -> None:
        self.expected, self.actual = expected, actual
        super().__init__(f"stock of {sku} at store {store_id} is at version {actual}, not {expected}: "
                         "read it again and retry")


class NegativeStock(Conflict):
    """An adjustment would take on-hand below zero."""


class IdempotencyKeyReused(CommerceError):
    """The same Idempotency-Key was sent with a different request (HTTP 422)."""


class InvalidRequest(CommerceError):
    """A value is out of range or inconsistent (HTTP 422): bad slot, bad hours, bad time zone..."""


class PayloadTooLarge(CommerceError):
    """An upload over its size limit (HTTP 413)."""


class CouponError(Conflict):
    """Base: a coupon cannot be issued or redeemed (already redeemed, expired, wrong product...)."""


class NotAuthorised(CommerceError):
    """No key, or a key that is not valid (HTTP 401)."""


class Forbidden(CommerceError):
    """A valid key that does not cover this store or action (HTTP 403)."""


# --- coupons and sessions ---

class TryonSessionNotFound(NotFound):
    """No try-on session with that id has been recorded (a live one is recorded when it ends)."""


class CampaignNotFound(NotFound):
    pass


class CouponNotFound(NotFound):
    pass


class CampaignInactive(CouponError):
    """The campaign was switched off: it issues and honours no coupons."""


class CouponsExhausted(CouponError):
    """The campaign has issued its max_coupons."""


class CouponNotYetValid(CouponError):
    """Before the campaign's valid_from."""


class CouponExpired(CouponError):
    """At or after the campaign's valid_until."""


class CouponNotApplicable(CouponError):
    """The coupon's campaign does not cover the product being bought."""


class CouponAlreadyRedeemed(CouponError):
    def __init__(self, code: str, store: str, redeemed_at: str) -> None:
        self.code, self.store, self.redeemed_at = code, store, redeemed_at
        super().__init__(f"coupon {code} was already redeemed at {store} on {redeemed_at}; a coupon is used once")


# --- events ---

class UnknownWebhook(NotFound):
    pass


class UnknownDelivery(NotFound):
    pass


class InvalidWebhookUrl(InvalidRequest):
    """A webhook URL that is not an absolute http(s) URL."""


class InvalidTopic(InvalidRequest):
    """A topic pattern that is not `family.name`, `family.*` or `*`."""


class DeliveryNotFailed(Conflict):
    """Only a failed delivery can be retried: a pending one is still being tried, a delivered one arrived."""
