"""`tryon catalog ...`: import retailers' models and manage products from a terminal, straight
into the database (TRYON_DATABASE_URL or the default SQLite file). Running servers see the
changes within seconds (server/catalog/service.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from server.catalog.admin import ProductChange, SkuChange, change_product, parse_price, retire_product
from server.catalog.bundled import sync_catalog
from server.catalog.importer import ImportRequest, import_file
from server.catalog.manifest import MANIFEST_SUFFIXES, ImportItem, folder_items, manifest_items
from server.catalog.records import CatalogProduct, price_text
from server.catalog.service import ProductCatalog
from server.commerce.clock import utc_now
from server.db.database import Database
from server.db.migrate import migrate
from server.settings import Settings
from tryon.errors import TryonError

T = TypeVar("T")


@dataclass(frozen=True)
class ItemOutcome:
    source: str
    product_id: str | None
    ok: bool
    detail: str  # the SKUs made, or why it was rejected
    problems: tuple[dict[str, Any], ...] = ()


def _run(database_url: str | None, work: Callable[[Database, ProductCatalog], Awaitable[T]]) -> T:
    async def main() -> T:
        db = Database(database_url or Settings().resolved_database_url, pool_size=2)
        try:
            await migrate(db)
            catalog = ProductCatalog(db)
            await db.write(lambda conn: sync_catalog(conn, catalog.entries(), utc_now()))
            await catalog.refresh()
            return await work(db, catalog)
        finally:
            await db.dispose()
    return asyncio.run(main())


def import_items(target: Path, defaults: ImportRequest) -> list[ImportItem]:
    if target.is_dir():
        return folder_items(target, defaults)
    if target.suffix.lower() in MANIFEST_SUFFIXES:
        return manifest_items(target, defaults)
    return [ImportItem(target, defaults)]


async def _import_one(db: Database, item: ImportItem) -> ItemOutcome:
    source = f"{item.path.name}" + (f" (line {item.line})" if item.line else "")
    try:
        if not item.path.is_file():
            raise FileNotFoundError(f"no file at {item.path}")
        result = await import_file(db, item.path, item.request, item.path.name, utc_now())
    except (TryonError, FileNotFoundError, ValueError) as exc:  # ValueError: bad options (unit, budgets)
        problems = tuple(p.to_dict() for p in getattr(exc, "problems", ()) or ())
        return ItemOutcome(source, item.request.product_id, False, str(exc), problems)
    verb = "imported" if result.created else "model replaced"
    return ItemOutcome(source, result.product_id, True, f"{verb}; SKUs {', '.join(result.skus)}")


def run_import(target: Path, defaults: ImportRequest, database_url: str | None,
               console: Console) -> list[ItemOutcome]:
    """Import one model, a folder of them or a manifest's; print a report; every outcome."""
    items = import_items(target, defaults)

    async def work(db: Database, _: ProductCatalog) -> list[ItemOutcome]:
        outcomes = []
        with Progress(TextColumn("[bold]importing models"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      TextColumn("{task.description}"), console=console, transient=len(items) == 1) as progress:
            task = progress.add_task("", total=len(items))
            for item in items:
                progress.update(task, description=item.path.name)
                outcomes.append(await _import_one(db, item))
                progress.advance(task)
        return outcomes
    outcomes = _run(database_url, work)
    table = Table("file", "product", "result", title=f"{sum(o.ok for o in outcomes)} of {len(outcomes)} imported")
    for o in outcomes:
        table.add_row(o.source, o.product_id or "", o.detail if o.ok else f"[red]rejected[/]: {o.detail}")
    console.print(table)
    return outcomes


def run_list(database_url: str | None, console: Console, include_retired: bool) -> list[CatalogProduct]:
    async def work(_: Database, catalog: ProductCatalog) -> list[CatalogProduct]:
        return catalog.products(include_inactive=include_retired)
    products = _run(database_url, work)
    table = Table("id", "name", "category", "source", "variants (SKU: price)", "size mm", "triangles", "active")
    for p in products:
        size = " x ".join(f"{v:.0f}" for v in p.asset.size_mm) if p.asset else ""
        triangles = f"{p.asset.prepared_triangles:,}" if p.asset else ""
        variants = ", ".join(f"{s.sku}" + (f": {price_text(s.price_cents)} {s.currency}" if s.price_cents is not None
                                           else "") for s in p.variants)
        table.add_row(p.id, p.name, p.category, p.source, variants, size, triangles, "yes" if p.active else "no")
    console.print(table)
    return products


def run_show(product_id: str, database_url: str | None, console: Console) -> dict[str, Any]:
    async def work(_: Database, catalog: ProductCatalog) -> dict[str, Any]:
        product = await catalog.lookup(product_id, include_inactive=True)
        return {**catalog.describe(product), "fit": product.fit,
                "asset": product.asset.describe() if product.asset else None}
    shown = _run(database_url, work)
    console.print_json(data=shown)
    return shown


def run_update(product_id: str, values: dict[str, Any], fit: dict[str, Any], prices: dict[str, str],
               database_url: str | None, console: Console) -> None:
    skus = tuple(SkuChange(variant, {"price_cents": parse_price(price)}) for variant, price in prices.items())

    async def work(db: Database, _: ProductCatalog) -> None:
        await db.write(lambda conn: change_product(conn, product_id, ProductChange(values, fit, skus), utc_now()))
    _run(database_url, work)
    console.print(f"updated {product_id}")


def run_retire(product_id: str, database_url: str | None, console: Console) -> None:
    async def work(db: Database, _: ProductCatalog) -> None:
        await db.write(lambda conn: retire_product(conn, product_id, utc_now()))
    _run(database_url, work)
    console.print(f"retired {product_id} (its SKUs stay for old reservations; `tryon catalog update "
                  f"{product_id} --active` brings it back)")
