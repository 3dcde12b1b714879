"""The real service in a subprocess (uvicorn, as in production) and real camera-like frames."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import pytest

from server.serve import free_port

from tryon.frames import encode_image
from tryon.video import VideoReader

VIDEO = "woman_face_thumbs_up_720p.mp4"
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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service with production-like limits (frames up to 1280x1280 and 600 KB, 60 fps)."""
    live = start_server(tmp_path_factory.mktemp("server"), max_sessions=6, max_frame_bytes=600_000,
                        max_frame_width=1280, max_frame_height=1280, idle_timeout_s=20)
    yield live
    stop_server(live)


@pytest.fixture(scope="session")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tight limits, to hit each one quickly: 2 sessions, 10 fps, 1.5 s idle timeout."""
    live = start_server(tmp_path_factory.mktemp("strict"), max_sessions=2, max_fps=10, idle_timeout_s=1.5)
    yield live
    stop_server(live)


@pytest.fixture(scope="session")
def camera_frames(shared_data: Path) -> list[bytes]:
    """60 frames of a real face video as a webcam would send them: 640x480 JPEG."""
    frames: list[bytes] = []
    with VideoReader(shared_data / "video" / VIDEO) as reader:
        for _, frame in reader:
            h, w = frame.shape[:2]
            crop = frame[:, (w - h * 4 // 3) // 2:(w + h * 4 // 3) // 2]
            frames.append(encode_image(cv2.resize(crop, (640, 480), interpolation=cv2.INTER_AREA), ".jpg", 85))
            if len(frames) == 60:
                break
    return frames
