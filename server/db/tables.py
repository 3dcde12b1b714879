"""The tables as SQLAlchemy Core objects, named once for every module that queries them."""

from __future__ import annotations

from server.db.models import (Blob, Campaign, Coupon, FittingSlot, IdempotencyRecord, OutboxEvent, ProductAsset,
                              ProductRow, Reservation, Sku, StaffKey, StaffKeyStore, Stock, StockLedgerEntry, Store,
                              TryonSession, TryonSessionItem, Webhook, WebhookDelivery)

ASSETS = ProductAsset.__table__
BLOBS = Blob.__table__
CAMPAIGNS = Campaign.__table__
COUPONS = Coupon.__table__
DELIVERIES = WebhookDelivery.__table__
IDEMPOTENCY = IdempotencyRecord.__table__
ITEMS = TryonSessionItem.__table__
KEY_STORES = StaffKeyStore.__table__
LEDGER = StockLedgerEntry.__table__
OUTBOX = OutboxEvent.__table__
PRODUCTS = ProductRow.__table__
RESERVATIONS = Reservation.__table__
SESSIONS = TryonSession.__table__
SKUS = Sku.__table__
SLOTS = FittingSlot.__table__
STAFF_KEYS = StaffKey.__table__
STOCK = Stock.__table__
STORES = Store.__table__
WEBHOOKS = Webhook.__table__
