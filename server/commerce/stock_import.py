"""Bulk stock import from CSV (the retailer's nightly file, a store's full count).

Columns: store_id, sku, on_hand, and optionally expected_version (compare-and-set per row) and
reference. Every row is checked first (parse, known store, known SKU) and the good ones are
applied in batches of one transaction each, each through the same set_on_hand as the API, so
every change reaches the ledger. Bad rows never stop the good ones: the report lists each
rejected row with its line number and the reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from server.commerce.errors import CommerceError, InvalidRequest, StaleStock
from server.commerce.ledger import Reason
from server.commerce.stock import MAX_ON_HAND, set_on_hand, stock_level
from server.db.database import Database
from server.db.models import Sku, Store

REQUIRED = ("store_id", "sku", "on_hand")
OPTIONAL = ("expected_version", "reference")
BATCH_ROWS = 500
MAX_IMPORT_BYTES = 50_000_000
MAX_REJECTS_LISTED = 1000


@dataclass(frozen=True)
class ImportRow:
    line: int
    store_id: int
    sku: str
    on_hand: int
    expected_version: int | None
    reference: str


@dataclass
class ImportReport:
    rows: int = 0
    applied: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    rejected_count: int = 0

    def reject(self, line: int, reason: str, raw: dict[str, Any] | None = None) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTS_LISTED:
            self.rejected.append({"line": line, "reason": reason, **({"row": raw} if raw else {})})

    def describe(self) -> dict[str, Any]:
        return {"rows": self.rows, "applied": self.applied, "unchanged": self.unchanged,
                "rejected_count": self.rejected_count, "rejected": self.rejected}


def parse_csv(data: bytes, report: ImportReport) -> list[ImportRow]:
    """Rows that parse; the others go to the report. Raises InvalidRequest if the file as a whole
    cannot be read (not UTF-8, missing columns)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the CSV is not UTF-8 text (byte {exc.start}); export it as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidRequest(f"the CSV needs a header with {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)}); "
                             f"missing: {', '.join(missing)}")
    reader.fieldnames = header
    rows: list[ImportRow] = []
    seen: dict[tuple[int, str], int] = {}
    for raw in reader:
        line = reader.line_num
        report.rows += 1
        if None in raw:
            report.reject(line, "more fields than the header has", None)
            continue
        try:
            store_id = int((raw.get("store_id") or "").strip())
            sku = (raw.get("sku") or "").strip()
            on_hand = int((raw.get("on_hand") or "").strip())
            version_text = (raw.get("expected_version") or "").strip()
            expected = int(version_text) if version_text else None
        except ValueError:
            report.reject(line, "store_id, on_hand and expected_version must be whole numbers", _clip(raw))
            continue
        if not sku:
            report.reject(line, "sku is empty", _clip(raw))
        elif not 0 <= on_hand <= MAX_ON_HAND:
            report.reject(line, f"on_hand must be between 0 and {MAX_ON_HAND}", _clip(raw))
        elif (store_id, sku) in seen:
            report.reject(line, f"store {store_id} / {sku} already appears on line {seen[(store_id, sku)]}", _clip(raw))
        else:
            seen[(store_id, sku)] = line
            rows.append(ImportRow(line, store_id, sku, on_hand, expected, (raw.get("reference") or "").strip()[:200]))
    return rows


def _clip(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v)[:80] if v is not None else None) for k, v in raw.items() if k is not None}


async def import_stock_csv(db: Database, data: bytes, clock: Callable[[], datetime], actor: str,
                           progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Apply a stock CSV; `progress(done, total)` is called after each batch."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidRequest(f"the CSV is over {MAX_IMPORT_BYTES // 1_000_000} MB: split it")
    report = ImportReport()
    rows = parse_csv(data, report)
    async with db.read() as conn:
        known_stores = set((await conn.execute(select(Store.__table__.c.id)
                                               .where(Store.__table__.c.active.is_(True)))).scalars())
        known_skus = set((await conn.execute(select(Sku.__table__.c.sku)
                                             .where(Sku.__table__.c.active.is_(True)))).scalars())
    good = []
    for row in rows:
        if row.store_id not in known_stores:
            report.reject(row.line, f"no store with id {row.store_id}")
        elif row.sku not in known_skus:
            report.reject(row.line, f"unknown SKU {row.sku!r}")
        else:
            good.append(row)
    good.sort(key=lambda r: (r.store_id, r.sku))  # stock rows locked in key order, as everywhere
    done = 0
    for start in range(0, len(good), BATCH_ROWS):
        batch = good[start:start + BATCH_ROWS]
        now = clock()
        outcome = await db.write(lambda conn: _apply_batch(conn, batch, now, actor))
        for row, result in zip(batch, outcome):
            if result == "applied":
                report.applied += 1
            elif result == "unchanged":
                report.unchanged += 1
            else:
                report.reject(row.line, result)
        done += len(batch)
        if progress:
            progress(done, len(good))
    return report


async def _apply_batch(conn: AsyncConnection, batch: list[ImportRow], now: datetime, actor: str) -> list[str]:
    results = []
    for row in batch:
        current = await stock_level(conn, row.store_id, row.sku, now)
        if row.expected_version is not None and current.version != row.expected_version:
            results.append(str(StaleStock(row.store_id, row.sku, row.expected_version, current.version)))
            continue
        if current.on_hand == row.on_hand and current.version > 0:
            results.append("unchanged")
            continue
        try:
            await set_on_hand(conn, store_id=row.store_id, sku=row.sku, on_hand=row.on_hand, now=now, actor=actor,
                              expected_version=row.expected_version, reason=Reason.IMPORT,
                              reference=row.reference or "csv import")
        except CommerceError as exc:
            results.append(str(exc))
            continue
        results.append("applied")
    return results
