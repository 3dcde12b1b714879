"""Start and stop the real service in a subprocess (`python -m server`, as in production)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from server.serve import free_port

START_TIMEOUT_S = 60.0
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveServer:
    process: subprocess.Popen
    port: int
    data_dir: Path
    log_path: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/tryon"

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def live_sessions(self) -> int:
        with urllib.request.urlopen(f"{self.http}/health", timeout=10) as r:
            return int(json.loads(r.read())["sessions"])

    def wait_until_idle(self, timeout_s: float = 30.0) -> None:
        """Sessions end on the server a moment after their clients leave (their MediaPipe graph
        closes on a frame thread), so a test that needs free slots waits for them."""
        deadline = time.monotonic() + timeout_s
        while self.live_sessions():
            if time.monotonic() > deadline:
                raise AssertionError(f"sessions of earlier tests did not end within {timeout_s:.0f} s")
            time.sleep(0.05)


def start_server(tmp: Path, workers: int = 1, **settings: object) -> LiveServer:
    """`python -m server` with TRYON_* settings; waits until /health answers."""
    port = free_port("127.0.0.1")
    env = {**os.environ, "TRYON_PORT": str(port), "TRYON_DATA_DIR": str(tmp / "data"), "TRYON_WORKERS": str(workers),
           "TRYON_LOG_LEVEL": "warning", **{f"TRYON_{k.upper()}": str(v) for k, v in settings.items()}}
    log_path = tmp / "server.log"
    process = subprocess.Popen([sys.executable, "-m", "server"], cwd=REPO_ROOT, env=env,
                               stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    server = LiveServer(process, port, tmp / "data", log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if not server.alive():
            raise RuntimeError(f"the server exited at start:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.http}/health", timeout=1) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"the server did not answer /health within {START_TIMEOUT_S} s:\n{server.log()}")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def commerce_server(backend: str, tmp: Path, workers: int = 1, **settings: object) -> Iterator[LiveServer]:
    """The service on a fresh `backend` database ('sqlite' or 'postgresql'), with the tests' admin
    key, no demo stores, and webhooks allowed to reach receivers on 127.0.0.1."""
    from tests.server.databases import ADMIN_KEY, fresh_database

    settings.setdefault("webhook_allow_private", True)
    with fresh_database(backend, tmp) as url:
        live = start_server(tmp, workers=workers, database_url=url, admin_key=ADMIN_KEY, demo_stores=False,
                            **settings)
        try:
            yield live
        finally:
            stop_server(live)
