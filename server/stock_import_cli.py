"""`tryon stock-import FILE.csv`: the bulk stock import from a terminal, straight into the
database (TRYON_DATABASE_URL or the default SQLite file), with a progress bar and a table of the
rows it rejected."""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from server.catalog.service import ProductCatalog
from server.catalog.bundled import sync_catalog
from server.commerce.clock import utc_now
from server.commerce.stock_import import ImportReport, import_stock_csv
from server.db.database import Database
from server.db.migrate import migrate
from server.settings import Settings


async def _run(path: Path, database_url: str, actor: str, console: Console) -> ImportReport:
    db = Database(database_url, pool_size=2)
    try:
        await migrate(db)
        await db.write(lambda conn: sync_catalog(conn, ProductCatalog().entries()))
        with Progress(TextColumn("[bold]importing stock"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, transient=False) as progress:
            task = progress.add_task("rows", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)
            return await import_stock_csv(db, path.read_bytes(), utc_now, actor=actor, progress=advance)
    finally:
        await db.dispose()


def run_stock_import(path: Path, database_url: str | None, actor: str, console: Console | None = None) -> ImportReport:
    console = console or Console()
    url = database_url or Settings().resolved_database_url
    report = asyncio.run(_run(path, url, actor, console))
    console.print(f"{report.rows} rows: [green]{report.applied} applied[/], {report.unchanged} unchanged, "
                  f"[{'red' if report.rejected_count else 'green'}]{report.rejected_count} rejected[/]")
    if report.rejected:
        table = Table("line", "reason", title="rejected rows")
        for reject in report.rejected[:50]:
            table.add_row(str(reject["line"]), reject["reason"])
        console.print(table)
        if report.rejected_count > 50:
            console.print(f"... and {report.rejected_count - 50} more")
    return report
