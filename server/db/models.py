"""The commerce tables: catalog SKUs, stores, stock and its ledger, fitting slots, reservations,
idempotency keys, staff keys, coupons, try-on sessions, and the event outbox.

Invariants the database itself enforces (CHECK and UNIQUE constraints), so that no code path,
however buggy or racy, can store an oversold stock row or an overbooked slot:
  stock.on_hand >= 0, stock.allocated >= 0, 0 <= fitting_slots.booked <= capacity,
  one redemption per coupon, one idempotency record per (scope, key).
Operations that change these rows live in server/commerce/, with their locking spelled out there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Text, UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.db.types import UTCDateTime

# Constraint names are spelled out so Alembic migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite has no BIGINT autoincrement: it needs INTEGER PRIMARY KEY to alias the rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# --- catalog: products, their SKUs, their 3D model uploads ---

class ProductRow(Base):
    """A catalog product. source "bundled": from the engine's demo catalog (assets/products),
    re-synced at start until an admin edits it; "import": a retailer's model, whose current
    prepared asset is asset_id. Never deleted while SKUs are referenced: deactivated instead."""

    __tablename__ = "products"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    source: Mapped[str] = mapped_column(String(16), default="bundled", server_default="bundled")
    # {"real_width_mm": float|None, "fit_to_face": bool, "offset_mm": [x,y,z], "confirmed": bool}
    fit: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    default_variant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    asset_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # product_assets.id, see ProductAsset
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # bumped by every change
    edited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))  # by an admin
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Sku(Base):
    """One sellable variant of a product: what stock, reservations and coupons refer to.
    model_variant names the KHR_materials_variants entry the 3D model shows for it (None: the
    model's default look)."""

    __tablename__ = "skus"
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    variant: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    colour: Mapped[str] = mapped_column(String(64), default="", server_default="")
    size: Mapped[str] = mapped_column(String(32), default="", server_default="")
    model_variant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # display order
    __table_args__ = (UniqueConstraint("product_id", "variant", name="uq_skus_product_variant"),)


class ProductAsset(Base):
    """One upload of a product's 3D model: the original file as received and the prepared copy
    (product frame, decimated, textures capped) the renderer and browsers use, with the import
    report. Kept per upload, so replacing a model keeps the history."""

    __tablename__ = "product_assets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    source_format: Mapped[str] = mapped_column(String(8))  # glb, gltf, obj, zip
    original_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    prepared_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    # {"problems": [...warnings], "steps": [...], "fit_suggestion": {...}}
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    variants: Mapped[list[str]] = mapped_column(JSON, default=list)
    size_mm: Mapped[list[float]] = mapped_column(JSON, default=list)
    original_triangles: Mapped[int] = mapped_column(Integer)
    prepared_triangles: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Blob(Base):
    """Content-addressed file bytes (model uploads and prepared models), in the database so every
    server process and machine reads the same files with no shared disk."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- stores and stock ---

class Store(Base):
    __tablename__ = "stores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(400), default="")
    postcode: Mapped[str] = mapped_column(String(16), default="", index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # {"mon": [["09:00", "18:00"]], ..., "sun": []}: local wall-clock hours, several ranges a day
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON)
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    fitting_capacity: Mapped[int] = mapped_column(Integer, default=2)  # shoppers per fitting slot
    hold_seconds: Mapped[int] = mapped_column(Integer, default=900)  # how long an unconfirmed hold lasts
    pickup_hours: Mapped[int] = mapped_column(Integer, default=48)  # a confirmed reservation without a slot
    booking_days: Mapped[int] = mapped_column(Integer, default=14)  # how far ahead fitting slots are offered
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_stores_lat_lon", "lat", "lon"),
        CheckConstraint("slot_minutes between 5 and 240", name="slot_minutes"),
        CheckConstraint("fitting_capacity >= 0", name="fitting_capacity"),
        CheckConstraint("hold_seconds between 1 and 86400", name="hold_seconds"),
        CheckConstraint("pickup_hours between 1 and 720", name="pickup_hours"),
        CheckConstraint("booking_days between 1 and 90", name="booking_days"),
    )


class Stock(Base):
    """On hand and allocated (live holds plus confirmed and checked-in reservations) per store
    and SKU. Available = on_hand - allocated; holds past their expiry are added back by readers."""

    __tablename__ = "stock"
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("skus.sku"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every change: compare-and-set
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_stock_sku_store", "sku", "store_id"),
        CheckConstraint("on_hand >= 0", name="on_hand"),
        CheckConstraint("allocated >= 0", name="allocated"),
    )


class StockLedgerEntry(Base):
    """Append-only: every change of on_hand or allocated, with why, by whom, and its reference.
    Summing on_hand_delta (allocated_delta) over a stock row rebuilds its on_hand (allocated)."""

    __tablename__ = "stock_ledger"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    store_id: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    on_hand_delta: Mapped[int] = mapped_column(Integer, default=0)
    allocated_delta: Mapped[int] = mapped_column(Integer, default=0)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    allocated_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))  # see server.commerce.ledger.Reason
    reference: Mapped[str] = mapped_column(String(200), default="")
    actor: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_stock_ledger_row", "store_id", "sku", "id"),)


# --- fitting slots and reservations ---

class FittingSlot(Base):
    """A fitting slot that has (or had) bookings; slots nobody booked are not stored, their
    capacity comes from the store's settings."""

    __tablename__ = "fitting_slots"
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        CheckConstraint("booked >= 0", name="booked"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
    )


class Reservation(Base):
    __tablename__ = "reservations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # unguessable; the shopper's only key
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    sku: Mapped[str] = mapped_column(ForeignKey("skus.sku"))
    quantity: Mapped[int] = mapped_column(Integer)
    slot_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # see server.commerce.statuses.Status
    contact: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tryon_session_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # held: the hold's end; confirmed: when it becomes a no-show; afterwards: unused
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # fulfilled/cancelled/...
    closed_by: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (
        Index("ix_reservations_store_status", "store_id", "status"),
        Index("ix_reservations_lapsing", "status", "expires_at"),
        Index("ix_reservations_store_slot", "store_id", "slot_start"),
        Index("ix_reservations_created", "created_at"),
        CheckConstraint("quantity > 0", name="quantity"),
    )


class IdempotencyRecord(Base):
    """The first successful result of a creating call, replayed for the same key."""

    __tablename__ = "idempotency_keys"
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


# --- staff ---

class StaffKey(Base):
    __tablename__ = "staff_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the key; the key is shown once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StaffKeyStore(Base):
    __tablename__ = "staff_key_stores"
    staff_key_id: Mapped[int] = mapped_column(ForeignKey("staff_keys.id", ondelete="CASCADE"), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)


# --- coupons ---

class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    percent_off: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amount_off_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    product_ids: Mapped[list[str]] = mapped_column(JSON)  # empty: every product
    max_coupons: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issued: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        CheckConstraint("percent_off is null or percent_off between 1 and 100", name="percent_off"),
        CheckConstraint("amount_off_cents is null or amount_off_cents > 0", name="amount_off"),
        CheckConstraint("max_coupons is null or issued <= max_coupons", name="issued_within_max"),
    )


class Coupon(Base):
    __tablename__ = "coupons"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    tryon_session_id: Mapped[str] = mapped_column(ForeignKey("tryon_sessions.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    redeemed_store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), nullable=True)
    redeemed_by: Mapped[str] = mapped_column(String(200), default="")
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), nullable=True)
    redeemed_sku: Mapped[str | None] = mapped_column(ForeignKey("skus.sku"), nullable=True)  # the item bought
    __table_args__ = (
        UniqueConstraint("campaign_id", "tryon_session_id", name="uq_coupons_campaign_session"),
        Index("ix_coupons_redeemed", "redeemed_at"),
    )


# --- try-on sessions (the top of the funnel) ---

class TryonSession(Base):
    __tablename__ = "tryon_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), default="stream")  # stream | api
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"), nullable=True)  # a smart mirror's store
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class TryonSessionItem(Base):
    """A product variant worn in a session."""

    __tablename__ = "tryon_session_items"
    session_id: Mapped[str] = mapped_column(ForeignKey("tryon_sessions.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    variant: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_tryon_session_items_variant", "product_id", "variant"),)


# --- events for the retailer's systems ---

class OutboxEvent(Base):
    """Written in the same transaction as the change it describes, so no event is lost or
    invented; delivered to webhooks afterwards."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64))  # reservation.created, stock.changed, ...
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # fanned out to deliveries
    __table_args__ = (Index("ix_outbox_undispatched", "dispatched_at", "id"),)


class Webhook(Base):
    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))  # signs each delivery (HMAC-SHA256)
    topics: Mapped[list[str]] = mapped_column(JSON)  # empty: every topic
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # claimed by a worker
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    __table_args__ = (
        UniqueConstraint("event_id", "webhook_id", name="uq_webhook_deliveries_event_webhook"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
