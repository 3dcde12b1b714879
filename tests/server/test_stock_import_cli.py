"""`tryon stock-import`: a CSV into the database from a terminal, with a report of bad rows."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from server.commerce.stock import stock_level
from tests.server.commerce.world import SKU, add_store, open_commerce


def test_the_cli_import_sets_stock_and_lists_rejected_rows(database_url, tmp_path):
    async def make_store() -> int:
        async with open_commerce(database_url, tmp_path) as rt:
            return (await add_store(rt))["id"]

    store_id = asyncio.run(make_store())
    csv = tmp_path / "stock.csv"
    csv.write_text(f"store_id,sku,on_hand\n{store_id},{SKU},6\n{store_id},no-such-sku,1\n")
    done = subprocess.run([sys.executable, "-m", "tryon.cli", "stock-import", str(csv), "--database-url", database_url,
                           "--strict"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "1 applied" in done.stdout and "1 rejected" in done.stdout and "unknown SKU 'no-such-sku'" in done.stdout

    async def read() -> int:
        async with open_commerce(database_url, tmp_path) as rt, rt.db.read() as conn:
            return (await stock_level(conn, store_id, SKU, rt.clock())).on_hand

    assert asyncio.run(read()) == 6
