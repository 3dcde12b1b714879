"""The world for the browser tests: a fake camera clip made from a real video, the real server
in a subprocess, and Debian's Chromium driven by Playwright (no downloaded browsers)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from browser_harness import (
    ARTIFACTS, CHROMIUM, CHROMIUM_BASE_ARGS, FAKE_CAMERA_FPS, FAKE_CAMERA_SIZE, FAKE_CAMERA_SOURCE,
    FAKE_CAMERA_SOURCE_FRAMES, REPO_ROOT, SERVER_START_TIMEOUT_S, THREE_JS, RunningServer,
)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def fake_camera_y4m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The start of a real face video, forward then backward, as a YUV4MPEG2 file (Chromium's
    fake camera format: 4:2:0 planes after each FRAME line)."""
    import cv2

    path = tmp_path_factory.mktemp("fake_camera") / "face_640x360.y4m"
    width, height = FAKE_CAMERA_SIZE
    capture = cv2.VideoCapture(str(FAKE_CAMERA_SOURCE))
    frames: list[bytes] = []
    try:
        while len(frames) < FAKE_CAMERA_SOURCE_FRAMES:
            ok, bgr = capture.read()
            if not ok:
                break
            bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes())
    finally:
        capture.release()
    assert len(frames) >= 25, f"only {len(frames)} frames could be read from {FAKE_CAMERA_SOURCE}"
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{FAKE_CAMERA_FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for planes in frames + frames[-2:0:-1]:
            out.write(b"FRAME\n")
            out.write(planes)
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_health(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_path.read_text(errors='replace')[-4000:]}")
        try:
            with urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the server did not answer {url} within {SERVER_START_TIMEOUT_S:.0f} s:\n"
                       f"{log_path.read_text(errors='replace')[-4000:]}")


@pytest.fixture(scope="session")
def tryon_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The real service (uvicorn, app factory) on a free port, with its own empty data dir."""
    # Not a skip: a checkout set up without it would silently lose the pose-mode tests.
    assert THREE_JS.is_file(), f"three.js is missing at {THREE_JS}: run `npm ci` in web_client"
    data_dir = tmp_path_factory.mktemp("server_data")
    log_path = data_dir / "server.log"
    port = _free_port()
    env = {**os.environ, "TRYON_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "server.app:create_app",
               "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_for_health(f"{base_url}/health", process, log_path)
        yield RunningServer(base_url, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def camera_browser(playwright_driver, fake_camera_y4m: Path):
    """Chromium whose camera is the fake clip and whose permission prompts are accepted."""
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={fake_camera_y4m}", *CHROMIUM_BASE_ARGS])
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def prompting_browser(playwright_driver, fake_camera_y4m: Path):
    """Chromium with the fake camera but no auto-accepted prompts: a context not granted the
    camera permission is refused (NotAllowedError), as when a shopper clicks "Block"."""
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={fake_camera_y4m}",
              *CHROMIUM_BASE_ARGS])
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def cameraless_browser(playwright_driver):
    """Chromium on a machine with no camera at all (NotFoundError once permission is granted)."""
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_BASE_ARGS)
    yield browser
    browser.close()
