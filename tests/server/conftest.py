"""Fixtures: the real service in a subprocess (two configurations) and camera-like frames."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from tests.server.databases import (create_postgres_database, drop_postgres_database, fresh_database,
                                    postgres_unavailable_reason)
from tests.server.live_server import LiveServer, start_server, stop_server
from tryon.frames import encode_image
from tryon.video import VideoReader

VIDEO = "woman_face_thumbs_up_720p.mp4"


@pytest.fixture(scope="session")
def _server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("server"), max_sessions=6, max_frame_bytes=600_000,
                        max_frame_width=1280, max_frame_height=1280, idle_timeout_s=20)
    yield live
    stop_server(live)


@pytest.fixture(scope="session")
def _strict_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("strict"), max_sessions=2, max_fps=10, idle_timeout_s=1.5)
    yield live
    stop_server(live)


@pytest.fixture
def server(_server_process: LiveServer) -> LiveServer:
    """The service with production-like limits (frames up to 1280x1280 and 600 KB, 60 fps), with
    the sessions of earlier tests ended, so that no test is refused for a full process."""
    _server_process.wait_until_idle()
    return _server_process


@pytest.fixture
def strict_server(_strict_server_process: LiveServer) -> LiveServer:
    """Tight limits, to hit each one quickly: 2 sessions, 10 fps, 1.5 s idle timeout."""
    _strict_server_process.wait_until_idle()
    return _strict_server_process


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


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped after the test)."""
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that takes this runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    with fresh_database(request.param, tmp_path) as url:
        yield url
