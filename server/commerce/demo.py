"""Demo stores with stock, made when the database has no store yet (TRYON_DEMO_STORES), so the
zero-set-up service shows nearby stock and fitting slots straight away."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.ledger import Reason
from server.commerce.stock import set_on_hand
from server.commerce.stores import StoreInput, create_store
from server.db.models import Sku, Store

PG_SEED_LOCK = 7_343_002

WEEKDAYS = {d: [["10:00", "19:30"]] for d in ("mon", "tue", "wed", "thu", "fri")}
# (name, address, postcode, lat, lon, saturday/sunday hours, fitting places per slot)
DEMO_STORES = [
    ("tryon Opéra", "12 boulevard des Capucines, Paris", "75009", 48.8707, 2.3319, [["10:00", "20:00"]], [], 3),
    ("tryon Marais", "38 rue des Francs-Bourgeois, Paris", "75003", 48.8583, 2.3589, [["11:00", "19:00"]],
     [["13:00", "18:00"]], 2),
    ("tryon Saint-Germain", "91 rue de Rennes, Paris", "75006", 48.8489, 2.3296, [["10:00", "19:00"]], [], 2),
    ("tryon Bastille", "5 rue de la Roquette, Paris", "75011", 48.8545, 2.3714, [["10:00", "19:00"]], [], 1),
    ("tryon La Défense", "Centre commercial Les 4 Temps, Puteaux", "92800", 48.8916, 2.2385,
     [["10:00", "20:30"]], [["11:00", "19:00"]], 4),
    ("tryon Versailles", "18 rue de la Paroisse, Versailles", "78000", 48.8049, 2.1301, [["10:00", "19:00"]], [], 2),
]


async def seed_demo_stores(conn: AsyncConnection, now: datetime) -> int:
    """Create the demo stores and their stock, unless any store exists. Returns stores made."""
    if conn.dialect.name != "sqlite":
        await conn.execute(text("select pg_advisory_xact_lock(:k)"), {"k": PG_SEED_LOCK})
    if (await conn.execute(select(func.count()).select_from(Store.__table__))).scalar_one():
        return 0
    skus = list((await conn.execute(select(Sku.__table__.c.sku).where(Sku.__table__.c.active.is_(True))
                                    .order_by(Sku.__table__.c.sku))).scalars())
    for i, (name, address, postcode, lat, lon, sat, sun, places) in enumerate(DEMO_STORES):
        store = await create_store(conn, StoreInput(
            name=name, address=address, postcode=postcode, lat=lat, lon=lon, timezone="Europe/Paris",
            opening_hours={**WEEKDAYS, "sat": sat, "sun": sun}, fitting_capacity=places), now)
        for j, sku in enumerate(skus):
            count = (i * 7 + j * 3) % 6  # a spread of 0..5 so some stores are out of some variants
            if count:
                await set_on_hand(conn, store_id=store["id"], sku=sku, on_hand=count, now=now, actor="demo",
                                  reason=Reason.IMPORT, reference="demo stores")
    return len(DEMO_STORES)
