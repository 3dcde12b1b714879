"""Server memory across many sessions: a long-running server must not grow as shoppers come and go.

Rounds of concurrent sessions (each configures a product, gets a few composited frames, leaves)
against a started server; the server's resident memory is read after each round. Target: after
the first half of the rounds (models, GL, caches and the allocator's arenas filled), less than
10 MB growth over the second half: memory must plateau, not climb with every session.

    .venv/bin/python benchmarks/bench_session_memory.py [--rounds 20] [--sessions 6]

Prints a table, writes benchmarks/results/session_memory.json and .png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_pipeline import load_frames  # noqa: E402
from bench_ws import PRODUCT, start_server  # noqa: E402

from server.stream.client import TryOnClient  # noqa: E402

GROWTH_LIMIT_MB = 10.0
FRAMES_PER_SESSION = 3


async def one_round(url: str, frames: list[bytes], sessions: int) -> None:
    clients = [TryOnClient(url) for _ in range(sessions)]
    for client in clients:
        await client.__aenter__()
        await client.configure(product=PRODUCT)
    for client in clients:
        for i in range(FRAMES_PER_SESSION):
            await client.send_frame(i, frames[i % len(frames)])
            while (await client.recv()).kind != "result":
                pass
    for client in clients:
        await client.end()
        await client.__aexit__()
    await asyncio.sleep(1.0)  # the server closes the sessions' pipelines after they leave


async def measure(rounds: int, sessions: int, console: Console) -> list[float]:
    frames = load_frames((640, 480), 10)
    process, url, _ = start_server(Path(tempfile.mkdtemp(prefix="bench_mem_")))
    server = psutil.Process(process.pid)
    rss: list[float] = []
    try:
        for r in range(rounds):
            await one_round(url, frames, sessions)
            rss.append(server.memory_info().rss / 1e6)
            console.print(f"round {r + 1}: {rss[-1]:.0f} MB")
    finally:
        process.terminate()
        process.wait(timeout=20)
    return rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/session_memory.json")
    args = parser.parse_args()
    console = Console()
    rss = asyncio.run(measure(args.rounds, args.sessions, console))
    settle = max(1, len(rss) // 2)  # first-use loading and arena filling are not growth
    growth = rss[-1] - rss[settle - 1]
    table = Table("sessions so far", "server RSS MB", title="server memory across sessions")
    for r, value in enumerate(rss):
        table.add_row(str((r + 1) * args.sessions), f"{value:.0f}")
    console.print(table)
    ok = growth < GROWTH_LIMIT_MB
    console.print(f"{'[green]met' if ok else '[red]missed'}[/] growth after round {settle}: "
                  f"{growth:+.1f} MB over {(len(rss) - settle) * args.sessions} sessions "
                  f"(target < {GROWTH_LIMIT_MB:g} MB)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"sessions_per_round": args.sessions, "rss_mb": rss, "growth_mb": growth,
                                    "target_mb": GROWTH_LIMIT_MB, "met": ok}, indent=2))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot([(r + 1) * args.sessions for r in range(len(rss))], rss, "o-")
    ax.set_xlabel("sessions served")
    ax.set_ylabel("server RSS (MB)")
    ax.set_ylim(0, max(rss) * 1.2)
    fig.tight_layout()
    fig.savefig(args.out.with_suffix(".png"), dpi=110)
    console.print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
