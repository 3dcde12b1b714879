"""The O2O commerce domain: stores, stock, fitting slots, reservations, coupons, analytics.

Plain async functions over a SQLAlchemy AsyncConnection; no HTTP here (server/api/ translates).
Every guarantee (no oversell, no overbooked slot, one redemption) lives in a single conditional
statement or in row locks taken in one order: reservation rows, then stock rows by (store, sku),
then slot rows by (store, start).
"""
