"""Commerce benchmark: reservations per second and latency through the HTTP API, and nearby
availability on a large store network, on SQLite and on PostgreSQL.

Reservations: wrk (C, Debian's package; a Lua script gives every request its own
Idempotency-Key) drives POST /api/reservations with 16 and 64 concurrent connections against
the real service (`python -m server`, 2 worker processes) for a few popular stock rows with
limited units, so both the success path and the "not enough stock" path run under contention.
After each run the database is checked: no stock row allocated more than it had, counters equal
the ledger sums and the number of reservations rows (zero oversell, or the run fails).

Availability: 5,000 stores spread over France x 2,000 SKUs, every SKU stocked at every store
(10 M stock rows, loaded with COPY / executemany, then VACUUM ANALYZE), then GET /api/availability
for random points (25 km radius, ~15 stores per answer) and random SKUs, at 1, 4 and 16 clients.

Every run also reports the CPU time per request of the server processes and of PostgreSQL
(/proc): wrk, the server and the database share the machine's cores, so these say what a
request costs and where a faster machine (or a separate database host) would help.

    .venv/bin/python benchmarks/bench_commerce.py                 # both databases
    .venv/bin/python benchmarks/bench_commerce.py --db postgresql --duration 10

Prints tables, writes benchmarks/results/commerce.json and commerce.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.serve import free_port  # noqa: E402

PG_SERVER = os.environ.get("TRYON_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ADMIN_KEY = "bench-admin-key-0123456789abcdef"
SKU = "round-classic-black"
HOT_STORES = 8
UNITS_PER_STORE = 2_500
TARGETS = {"postgresql": {"reservations_per_s": 1000.0, "p95_ms": 50.0}, "availability_p95_ms": 20.0}
FRANCE = (43.0, 50.5, -1.5, 7.5)  # lat min/max, lon min/max
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

RESERVE_LUA = """
local counter = 0
local stores = {%(stores)s}
statuses = {}
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("id", #threads) end
function init(args) statuses = {} end
function request()
  counter = counter + 1
  local store = stores[(counter + id) %% #stores + 1]
  local body = '{"sku":"%(sku)s","store_id":' .. store .. ',"quantity":1}'
  return wrk.format("POST", "/api/reservations",
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = "b-" .. id .. "-" .. counter .. "-%(run)s"}, body)
end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses")) do counts[tostring(s)] = (counts[tostring(s)] or 0) + n end
  end
  local out = {requests = summary.requests, duration_us = summary.duration, errors = summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout, statuses = counts,
    p50_us = latency:percentile(50), p95_us = latency:percentile(95), p99_us = latency:percentile(99),
    max_us = latency.max}
  local parts = {}
  for k, v in pairs(out) do
    if type(v) == "table" then
      local inner = {}
      for s, n in pairs(v) do table.insert(inner, '"' .. s .. '":' .. n) end
      table.insert(parts, '"' .. k .. '":{' .. table.concat(inner, ",") .. '}')
    else table.insert(parts, '"' .. k .. '":' .. v) end
  end
  io.write("WRK_JSON{" .. table.concat(parts, ",") .. "}\\n")
end
"""

AVAILABILITY_LUA = """
local threads = {}
statuses = {}
function setup(thread) table.insert(threads, thread); thread:set("seed", #threads) end
function init(args) math.randomseed(seed * 7919) statuses = {} end
function request()
  local lat = %(lat0)f + math.random() * %(dlat)f
  local lon = %(lon0)f + math.random() * %(dlon)f
  local sku = string.format("bench-sku-%%04d", math.random(0, %(skus)d - 1))
  return wrk.format("GET", string.format("/api/availability?sku=%%s&lat=%%.5f&lon=%%.5f&radius_km=25&slots=3",
    sku, lat, lon))
end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local ok, other = 0, 0
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses")) do if s == 200 then ok = ok + n else other = other + n end end
  end
  io.write(string.format('WRK_JSON{"requests":%%d,"duration_us":%%d,"ok":%%d,"other":%%d,"p50_us":%%d,' ..
    '"p95_us":%%d,"p99_us":%%d,"max_us":%%d}\\n', summary.requests, summary.duration, ok, other,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


# --- databases ---

async def _pg_sql(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_admin(sql: str) -> None:
    await _pg_sql(PG_SERVER, sql)


def new_database(kind: str, tmp: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}"
    name = f"tryon_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(f'create database "{name}"'))
    return PG_SERVER.rsplit("/", 1)[0] + "/" + name


def drop_database(kind: str, url: str) -> None:
    if kind == "postgresql":
        asyncio.run(_pg_admin(f'drop database if exists "{url.rsplit("/", 1)[1]}" with (force)'))


# --- the service ---

def start_server(tmp: Path, url: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port("127.0.0.1")
    env = {**os.environ, "TRYON_PORT": str(port), "TRYON_DATA_DIR": str(tmp / "data"), "TRYON_WORKERS": str(workers),
           "TRYON_DATABASE_URL": url, "TRYON_ADMIN_KEY": ADMIN_KEY, "TRYON_DEMO_STORES": "false",
           "TRYON_LOG_LEVEL": "warning", "TRYON_DB_POOL_SIZE": "16",
           "TRYON_SAMPLE_VIDEO": str(tmp / "none.mp4")}  # no sample-clip transcode competing for the CPU
    log = (tmp / "server.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "server"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=1):
                return process, base
        except OSError:
            if process.poll() is not None:
                raise RuntimeError((tmp / "server.log").read_text())
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended since it was listed
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def _process_tree(root: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(root)], capture_output=True, text=True).stdout.split()
    return [root] + [pid for child in children for pid in _process_tree(int(child))]


def _postgres_processes() -> list[int]:
    return [int(p) for p in subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout.split()]


class CpuMeter:
    """CPU time the server processes and the PostgreSQL server used during a run: per request,
    these say where the time goes on a machine whose cores the load generator shares."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def __enter__(self) -> CpuMeter:
        self.server0, self.db0 = _cpu_seconds(_process_tree(self.server_pid)), _cpu_seconds(_postgres_processes())
        return self

    def __exit__(self, *_: object) -> None:
        self.server_s = _cpu_seconds(_process_tree(self.server_pid)) - self.server0
        self.db_s = _cpu_seconds(_postgres_processes()) - self.db0

    def per_request_ms(self, requests: int) -> dict:
        n = max(1, requests)
        return {"server": round(self.server_s * 1000 / n, 2), "postgresql": round(self.db_s * 1000 / n, 2)}


def call(base: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(f"{base}{path}", method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {ADMIN_KEY}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read() or b"{}")


def run_wrk(wrk: str, base: str, script: str, connections: int, duration_s: float, tmp: Path) -> dict:
    path = tmp / f"wrk_{uuid.uuid4().hex[:6]}.lua"
    path.write_text(script)
    threads = min(2, connections)
    done = subprocess.run([wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration_s:g}s",
                           "--timeout", "10s", "-s", str(path), base], capture_output=True, text=True, check=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON"))
    return json.loads(line[len("WRK_JSON"):])


# --- reservations ---

async def oversell_check(url: str, store_ids: list[int]) -> dict:
    """Every hot stock row: allocated <= on_hand, counters == ledger sums == live reservations."""
    from sqlalchemy import func, select

    from server.db.database import Database
    from server.db.tables import LEDGER, RESERVATIONS, STOCK

    db = Database(url, pool_size=1)
    problems, reserved, rows_total = [], 0, 0
    try:
        async with db.read() as conn:
            if not db.is_sqlite:  # one snapshot for every read below
                await conn.execution_options(isolation_level="REPEATABLE READ")
            for store_id in store_ids:
                row = (await conn.execute(select(STOCK.c.on_hand, STOCK.c.allocated).where(
                    STOCK.c.store_id == store_id, STOCK.c.sku == SKU))).one()
                ledger = (await conn.execute(
                    select(func.sum(LEDGER.c.on_hand_delta), func.sum(LEDGER.c.allocated_delta))
                    .where(LEDGER.c.store_id == store_id, LEDGER.c.sku == SKU))).one()
                held = (await conn.execute(select(func.coalesce(func.sum(RESERVATIONS.c.quantity), 0)).where(
                    RESERVATIONS.c.store_id == store_id, RESERVATIONS.c.sku == SKU))).scalar_one()
                reserved += row.allocated
                rows_total += held
                if row.allocated > row.on_hand:
                    problems.append(f"store {store_id}: {row.allocated} allocated of {row.on_hand}")
                if (row.on_hand, row.allocated) != (ledger[0], ledger[1]) or row.allocated != held:
                    problems.append(f"store {store_id}: counters {tuple(row)} ledger {tuple(ledger)} rows {held}")
    finally:
        await db.dispose()
    return {"oversold_rows": problems, "reserved_units": reserved, "reservation_rows": rows_total}


def _little_floor_ms(clients: int, requests_per_s: float) -> float:
    """The mean latency a closed loop of `clients` connections must have at this rate (Little's
    law): no p95 can be below it, whatever the server does."""
    return round(clients / max(requests_per_s, 1e-9) * 1000, 1)


def bench_reservations(kind: str, url: str, server_pid: int, base: str, wrk: str, clients: int, duration_s: float,
                       tmp: Path) -> dict:
    stores = []
    for i in range(HOT_STORES):
        store = call(base, "POST", "/api/stores", {"name": f"hot {clients}-{i}", "lat": 48.85, "lon": 2.35,
                                                   "opening_hours": ALWAYS_OPEN})
        call(base, "PUT", f"/api/stores/{store['id']}/stock/{SKU}", {"on_hand": UNITS_PER_STORE})
        stores.append(store["id"])
    script = RESERVE_LUA % {"stores": ",".join(map(str, stores)), "sku": SKU, "run": uuid.uuid4().hex[:6]}
    with CpuMeter(server_pid) as cpu:
        result = run_wrk(wrk, base, script, clients, duration_s, tmp)
    time.sleep(2.0)  # requests wrk cut off at the end finish on the server before the books are checked
    check = asyncio.run(oversell_check(url, stores))
    seconds = result["duration_us"] / 1e6
    created = result["statuses"].get("201", 0)
    refused = result["statuses"].get("409", 0)
    other = {k: v for k, v in result["statuses"].items() if k not in ("201", "409")}
    return {"db": kind, "clients": clients, "duration_s": round(seconds, 2), "requests": result["requests"],
            "requests_per_s": round(result["requests"] / seconds, 1),
            "reservations_per_s": round(created / seconds, 1), "created": created, "refused_409": refused,
            "other_statuses": other, "socket_errors": result["errors"],
            "latency_ms": {p: round(result[f"{p}_us"] / 1000, 2) for p in ("p50", "p95", "p99", "max")},
            "mean_latency_floor_ms": _little_floor_ms(clients, result["requests"] / seconds),
            "units_offered": HOT_STORES * UNITS_PER_STORE, "units_reserved": check["reserved_units"],
            "reservation_rows": check["reservation_rows"], "oversold_rows": check["oversold_rows"],
            "zero_oversell": not check["oversold_rows"], "cpu_ms_per_request": cpu.per_request_ms(result["requests"])}


# --- availability ---

async def load_network(url: str, stores: int, skus: int, console: Console) -> None:
    """`stores` stores over France and every one of `skus` SKUs in stock at each, straight into
    the tables (the API would take hours for 10 M rows)."""
    from sqlalchemy import text

    from server.commerce.slots import DEFAULT_HOURS
    from server.db.database import Database

    rng = random.Random(7)
    now = datetime.now(timezone.utc)
    store_rows = [(100_000 + i, f"bench store {i}", "", f"B{i:05d}", rng.uniform(FRANCE[0], FRANCE[1]),
                   rng.uniform(FRANCE[2], FRANCE[3])) for i in range(stores)]
    sku_names = [f"bench-sku-{i:04d}" for i in range(skus)]
    db = Database(url, pool_size=1)
    try:
        with Progress(console=console) as progress:
            task = progress.add_task(f"loading {stores} stores x {skus} SKUs", total=stores)
            if db.is_sqlite:
                await _load_sqlite(url, store_rows, sku_names, now, progress, task)
            else:
                async with db.engine.connect() as conn:
                    raw = await conn.get_raw_connection()
                    pg = raw.driver_connection
                    await pg.execute("insert into products (id, name, category, active) values "
                                     "('bench', 'bench', 'glasses', true) on conflict do nothing")
                    await pg.copy_records_to_table("skus", records=[(s, "bench", s, True) for s in sku_names],
                                                   columns=["sku", "product_id", "variant", "active"])
                    hours = json.dumps(DEFAULT_HOURS)
                    await pg.copy_records_to_table("stores", records=[
                        (i, n, a, p, lat, lon, "Europe/Paris", hours, 30, 2, 900, 48, 14, True, now)
                        for i, n, a, p, lat, lon in store_rows], columns=[
                        "id", "name", "address", "postcode", "lat", "lon", "timezone", "opening_hours", "slot_minutes",
                        "fitting_capacity", "hold_seconds", "pickup_hours", "booking_days", "active", "created_at"])
                    for start in range(0, stores, 100):
                        chunk = store_rows[start:start + 100]
                        await pg.copy_records_to_table("stock", records=[
                            (row[0], s, (row[0] * 31 + j) % 7, 0, 1, now) for row in chunk
                            for j, s in enumerate(sku_names)],
                            columns=["store_id", "sku", "on_hand", "allocated", "version", "updated_at"])
                        progress.update(task, completed=start + len(chunk))
                    await conn.commit()
                async with db.engine.connect() as conn:
                    # as a database in service would be: hint bits set and visibility map built, so
                    # the first reads of each page are not the ones that write it
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                    await conn.execute(text("vacuum analyze"))
    finally:
        await db.dispose()


async def _load_sqlite(url: str, store_rows, sku_names, now, progress, task) -> None:
    import sqlite3

    from server.commerce.slots import DEFAULT_HOURS

    path = url.split("sqlite:///", 1)[1]
    stamp = now.replace(tzinfo=None).isoformat(sep=" ")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("pragma journal_mode=wal")
        conn.execute("pragma synchronous=off")
        conn.execute("begin")
        conn.execute("insert or ignore into products (id, name, category, active) values ('bench','bench','glasses',1)")
        conn.executemany("insert into skus (sku, product_id, variant, active) values (?, 'bench', ?, 1)",
                         [(s, s) for s in sku_names])
        hours = json.dumps(DEFAULT_HOURS)
        conn.executemany(
            "insert into stores (id, name, address, postcode, lat, lon, timezone, opening_hours, slot_minutes, "
            "fitting_capacity, hold_seconds, pickup_hours, booking_days, active, created_at) "
            "values (?, ?, ?, ?, ?, ?, 'Europe/Paris', ?, 30, 2, 900, 48, 14, 1, ?)",
            [(*row, hours, stamp) for row in store_rows])
        for start in range(0, len(store_rows), 100):
            chunk = store_rows[start:start + 100]
            conn.executemany("insert into stock (store_id, sku, on_hand, allocated, version, updated_at) "
                             "values (?, ?, ?, 0, 1, ?)",
                             [(row[0], s, (row[0] * 31 + j) % 7, stamp) for row in chunk
                              for j, s in enumerate(sku_names)])
            progress.update(task, completed=start + len(chunk))
        conn.execute("commit")
        conn.execute("analyze")
    finally:
        conn.close()


def prewarm(kind: str, url: str) -> None:
    """Read the network's tables and indexes into the OS page cache just before the runs: this VM's
    kernel evicts page-cache pages nobody touched for a while (DAMON reclaim), so a table loaded
    minutes earlier is read from disk again, and the first queries measured the disk (p95 29 ms
    for one client against 9 ms once warm). A database in service keeps its working set cached."""
    if kind == "sqlite":
        with open(url.split("sqlite:///", 1)[1], "rb") as f:
            while f.read(1 << 24):
                pass
        return
    relations = ["stores", "stock", "pk_stock", "ix_stock_sku_store", "ix_stores_lat_lon", "reservations",
                 "fitting_slots"]
    try:
        asyncio.run(_pg_sql(url, "create extension if not exists pg_prewarm; "
                            + " ".join(f"select pg_prewarm('{r}', 'read');" for r in relations)))
    except Exception as exc:  # no contrib package: a scan reads the tables at least
        print(f"pg_prewarm unavailable ({exc}); scanning the tables instead")
        asyncio.run(_pg_sql(url, "select count(*) from stock; select count(*) from stores;"))


def bench_availability(kind: str, server_pid: int, base: str, wrk: str, skus: int, clients: int, duration_s: float,
                       tmp: Path) -> dict:
    script = AVAILABILITY_LUA % {"lat0": FRANCE[0] + 0.5, "dlat": FRANCE[1] - FRANCE[0] - 1.0,
                                 "lon0": FRANCE[2] + 0.5, "dlon": FRANCE[3] - FRANCE[2] - 1.0, "skus": skus}
    with CpuMeter(server_pid) as cpu:
        result = run_wrk(wrk, base, script, clients, duration_s, tmp)
    seconds = result["duration_us"] / 1e6
    sample = call(base, "GET", "/api/availability?sku=bench-sku-0001&lat=48.85&lon=2.35&radius_km=25")
    return {"db": kind, "clients": clients, "requests_per_s": round(result["requests"] / seconds, 1),
            "ok": result["ok"], "non_200": result["other"], "stores_in_sample": len(sample["stores"]),
            "latency_ms": {p: round(result[f"{p}_us"] / 1000, 2) for p in ("p50", "p95", "p99", "max")},
            "mean_latency_floor_ms": _little_floor_ms(clients, result["requests"] / seconds),
            "cpu_ms_per_request": cpu.per_request_ms(result["requests"])}


# --- report ---

def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = results["reservations"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    labels = [f"{r['db']}\n{r['clients']} clients" for r in runs]
    axes[0].bar(labels, [r["reservations_per_s"] for r in runs], color="#3b7dd8")
    axes[0].axhline(TARGETS["postgresql"]["reservations_per_s"], color="red", ls="--", lw=1, label="PG target")
    axes[0].set_title("reservations created per second")
    axes[0].legend(fontsize=7)
    axes[1].bar(labels, [r["latency_ms"]["p95"] for r in runs], color="#e08a2c")
    axes[1].scatter(labels, [r["mean_latency_floor_ms"] for r in runs], marker="_", s=600, color="black",
                    label="mean floor (clients / rate)")
    axes[1].axhline(TARGETS["postgresql"]["p95_ms"], color="red", ls="--", lw=1, label="PG target")
    axes[1].set_yscale("log")
    axes[1].set_title("reservation latency p95 (ms, log)")
    axes[1].legend(fontsize=7)
    avail = results["availability"]
    avail_labels = [f"{a['db'][:6]}\n{a['clients']} cl." for a in avail]
    axes[2].bar(avail_labels, [a["latency_ms"]["p95"] for a in avail], color="#4caf50")
    axes[2].scatter(avail_labels, [a["mean_latency_floor_ms"] for a in avail], marker="_", s=400, color="black",
                    label="mean floor")
    axes[2].axhline(TARGETS["availability_p95_ms"], color="red", ls="--", lw=1, label="target")
    axes[2].set_title(f"nearby availability p95 (ms), {results['network']}")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", default="16,64", help="comma-separated concurrent connections")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per reservation run")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--stores", type=int, default=5000)
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--availability-clients", default="1,4,16",
                        help="comma-separated concurrent connections for the availability runs")
    parser.add_argument("--skip-availability", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "commerce.json")
    args = parser.parse_args()
    console = Console(width=170)  # the tables are wide; a log file should keep them whole
    wrk = ensure_wrk()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                     "workers": args.workers, "targets": TARGETS, "network": f"{args.stores} stores x {args.skus} SKUs",
                     "reservations": [], "availability": []}
    for kind in kinds:
        tmp = Path(tempfile.mkdtemp(prefix=f"bench_commerce_{kind}_"))
        url = new_database(kind, tmp)
        process, base = start_server(tmp, url, args.workers)
        try:
            for clients in (int(c) for c in args.clients.split(",")):
                console.print(f"[bold]{kind}[/]: reservations, {clients} clients, {args.duration:g} s")
                results["reservations"].append(bench_reservations(kind, url, process.pid, base, wrk, clients,
                                                                  args.duration, tmp))
            if not args.skip_availability:
                asyncio.run(load_network(url, args.stores, args.skus, console))
                prewarm(kind, url)
                run_wrk(wrk, base, AVAILABILITY_LUA % {"lat0": 45.0, "dlat": 3.0, "lon0": 1.0, "dlon": 4.0,
                                                       "skus": args.skus}, 4, 3, tmp)  # warm the pools and caches
                for clients in (int(c) for c in args.availability_clients.split(",")):
                    console.print(f"[bold]{kind}[/]: nearby availability, {clients} clients, {args.duration:g} s")
                    results["availability"].append(bench_availability(kind, process.pid, base, wrk, args.skus, clients,
                                                                      args.duration, tmp))
        finally:
            process.terminate()
            process.wait(30)
            drop_database(kind, url)
            shutil.rmtree(tmp, ignore_errors=True)

    table = Table("db", "clients", "reservations/s", "requests/s", "201", "409", "other", "p50 ms", "p95 ms",
                  "p99 ms", "mean floor ms", "zero oversell", "CPU ms/req server", "CPU ms/req PG",
                  title="POST /api/reservations")
    for r in results["reservations"]:
        table.add_row(r["db"], str(r["clients"]), f"{r['reservations_per_s']:.0f}", f"{r['requests_per_s']:.0f}",
                      str(r["created"]), str(r["refused_409"]), str(sum(r["other_statuses"].values())
                                                                    + r["socket_errors"]),
                      f"{r['latency_ms']['p50']:.1f}", f"{r['latency_ms']['p95']:.1f}",
                      f"{r['latency_ms']['p99']:.1f}", f"{r['mean_latency_floor_ms']:.1f}",
                      "yes" if r["zero_oversell"] else "[red]NO[/]",
                      f"{r['cpu_ms_per_request']['server']:.2f}", f"{r['cpu_ms_per_request']['postgresql']:.2f}")
    console.print(table)
    if results["availability"]:
        table = Table("db", "clients", "requests/s", "p50 ms", "p95 ms", "p99 ms", "mean floor ms",
                      "stores in a 25 km sample", "CPU ms/req server", "CPU ms/req PG",
                      title=f"GET /api/availability, {results['network']}")
        for a in results["availability"]:
            table.add_row(a["db"], str(a["clients"]), f"{a['requests_per_s']:.0f}", f"{a['latency_ms']['p50']:.1f}",
                          f"{a['latency_ms']['p95']:.1f}", f"{a['latency_ms']['p99']:.1f}",
                          f"{a['mean_latency_floor_ms']:.1f}", str(a["stores_in_sample"]),
                          f"{a['cpu_ms_per_request']['server']:.2f}", f"{a['cpu_ms_per_request']['postgresql']:.2f}")
        console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    plot(results, args.out.with_suffix(".png"))
    console.print(f"wrote {args.out} and {args.out.with_suffix('.png')}")
    if not all(r["zero_oversell"] for r in results["reservations"]):
        raise SystemExit("OVERSELL: see oversold_rows in the JSON")


if __name__ == "__main__":
    main()
