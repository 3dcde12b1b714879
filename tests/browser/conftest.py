"""The world for the browser tests: a fake camera clip made from a real video, the real server
in a subprocess, and Debian's Chromium driven by Playwright (no downloaded browsers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_harness import (
    ADMIN_KEY, ARTIFACTS, CHROMIUM, CHROMIUM_BASE_ARGS, FAKE_CAMERA_SOURCE, FAKE_CAMERA_SOURCE_FRAMES, THREE_JS,
    RunningServer, launch_with_fake_camera, write_fake_camera,
)

from tests.server.live_server import start_server, stop_server


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def fake_camera_y4m(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The start of a real face video, forward then backward, as Chromium's fake camera."""
    return write_fake_camera(tmp_path_factory.mktemp("fake_camera") / "face_640x360.y4m",
                             range(FAKE_CAMERA_SOURCE_FRAMES))


@pytest.fixture(scope="session")
def tryon_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The real service on a free port, with its own empty data dir (so the demo stores and their
    stock are made afresh) and a known admin key."""
    # Not a skip: a checkout set up without it would silently lose the pose-mode tests.
    assert THREE_JS.is_file(), f"three.js is missing at {THREE_JS}: run `npm ci` in web_client"
    live = start_server(tmp_path_factory.mktemp("server_data"), admin_key=ADMIN_KEY)
    try:
        yield RunningServer(live.http, live.log_path, ADMIN_KEY)
    finally:
        stop_server(live)


# Playwright's sync API keeps an event loop running while it is open: module scope closes it
# before other test modules, which run their own asyncio loops.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def camera_browser(playwright_driver, fake_camera_y4m: Path):
    """Chromium whose camera is the fake clip and whose permission prompts are accepted."""
    browser = launch_with_fake_camera(playwright_driver, fake_camera_y4m)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def prompting_browser(playwright_driver, fake_camera_y4m: Path):
    """Chromium with the fake camera but no auto-accepted prompts: a context not granted the
    camera permission is refused (NotAllowedError), as when a shopper clicks "Block"."""
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={fake_camera_y4m}",
              *CHROMIUM_BASE_ARGS])
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def cameraless_browser(playwright_driver):
    """Chromium on a machine with no camera at all (NotFoundError once permission is granted)."""
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_BASE_ARGS)
    yield browser
    browser.close()
