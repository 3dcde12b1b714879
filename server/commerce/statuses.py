"""Reservation statuses and the transitions allowed between them (pure; enforced in SQL by
conditional updates on the current status, see reservations.py)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    HELD = "held"              # stock (and a slot place) held until expires_at, awaiting confirmation
    CONFIRMED = "confirmed"    # the shopper confirmed; held until the slot ends (or the pickup window)
    CHECKED_IN = "checked_in"  # the shopper is in the store; staff have the item ready
    FULFILLED = "fulfilled"    # sold: on-hand went down
    CANCELLED = "cancelled"
    EXPIRED = "expired"        # the hold lapsed unconfirmed
    NO_SHOW = "no_show"        # confirmed, never checked in


class Action(StrEnum):
    CONFIRM = "confirmed"
    CHECK_IN = "checked in"
    FULFIL = "fulfilled"
    CANCEL = "cancelled"
    NO_SHOW = "marked no-show"
    EXPIRE = "expired"


TARGET = {Action.CONFIRM: Status.CONFIRMED, Action.CHECK_IN: Status.CHECKED_IN, Action.FULFIL: Status.FULFILLED,
          Action.CANCEL: Status.CANCELLED, Action.NO_SHOW: Status.NO_SHOW, Action.EXPIRE: Status.EXPIRED}

ALLOWED_FROM: dict[Action, frozenset[Status]] = {
    Action.CONFIRM: frozenset({Status.HELD}),
    Action.CHECK_IN: frozenset({Status.CONFIRMED}),
    Action.FULFIL: frozenset({Status.CHECKED_IN}),
    Action.CANCEL: frozenset({Status.HELD, Status.CONFIRMED, Status.CHECKED_IN}),
    Action.NO_SHOW: frozenset({Status.CONFIRMED}),
    Action.EXPIRE: frozenset({Status.HELD}),
}

# Statuses whose quantity is counted in stock.allocated (and whose slot place is booked).
ALLOCATING = frozenset({Status.HELD, Status.CONFIRMED, Status.CHECKED_IN})
# Statuses that lapse at expires_at: availability stops counting them at that instant.
LAPSING = frozenset({Status.HELD, Status.CONFIRMED})
TERMINAL = frozenset({Status.FULFILLED, Status.CANCELLED, Status.EXPIRED, Status.NO_SHOW})


def can(action: Action, status: Status) -> bool:
    return status in ALLOWED_FROM[action]


def lapsed_status(status: Status) -> Status:
    """What a lapsing reservation becomes when its time runs out."""
    return Status.EXPIRED if status is Status.HELD else Status.NO_SHOW
