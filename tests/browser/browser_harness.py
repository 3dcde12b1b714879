"""What the browser tests share besides fixtures: where things are, whether they can run here,
and a shopper page opened with everything it does recorded."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
CHROMIUM = Path("/usr/bin/chromium")
FAKE_CAMERA_SOURCE = SHARED_DATA / "video" / "woman_face_thumbs_up_720p.mp4"
ARTIFACTS = Path(os.environ.get("TRYON_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts" / "browser")

# The clip's first 1.4 s (a frontal face, a fist coming up beside it) played forward then back,
# so the fake camera loops without a jump and every frame shows both eyes unobstructed; the
# raised fist and the thumb in front of the face come later in the clip and are left out.
FAKE_CAMERA_SOURCE_FRAMES = 36
FAKE_CAMERA_FPS = 25
FAKE_CAMERA_LOOP_S = (2 * FAKE_CAMERA_SOURCE_FRAMES - 2) / FAKE_CAMERA_FPS
FAKE_CAMERA_SIZE = (640, 360)
THREE_JS = REPO_ROOT / "web_client" / "node_modules" / "three" / "build" / "three.module.js"
# The shared server's admin key (TRYON_ADMIN_KEY), so the staff and analytics tests can set up data.
ADMIN_KEY = "browser-tests-admin-key-0123456789"

CHROMIUM_BASE_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def write_fake_camera(path: Path, frames: range) -> Path:
    """Frames `frames` of FAKE_CAMERA_SOURCE at FAKE_CAMERA_SIZE, played forward then backward
    (so the loop has no jump), as a YUV4MPEG2 file: Chromium's fake camera format, 4:2:0 planes
    after each FRAME line. Fails when the clip holds fewer than 25 of them."""
    import cv2

    width, height = FAKE_CAMERA_SIZE
    capture = cv2.VideoCapture(str(FAKE_CAMERA_SOURCE))
    planes: list[bytes] = []
    try:
        for index in range(frames.stop):
            ok, bgr = capture.read()
            if not ok:
                break
            if index in frames:
                bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_AREA)
                planes.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes())
    finally:
        capture.release()
    assert len(planes) >= 25, f"only {len(planes)} frames could be read from {FAKE_CAMERA_SOURCE}"
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{FAKE_CAMERA_FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in planes + planes[-2:0:-1]:
            out.write(b"FRAME\n")
            out.write(frame)
    return path


def launch_with_fake_camera(playwright_driver, y4m: Path):
    """Headless Chromium whose camera plays `y4m` and whose permission prompts are accepted."""
    return playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True,
        args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={y4m}", *CHROMIUM_BASE_ARGS])


def missing_prerequisite() -> str | None:
    """Why the Chromium tests cannot run here, or None."""
    if not CHROMIUM.is_file():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return missing_test_data()


def missing_test_data() -> str | None:
    """Why the real video every browser test needs is not here, or None."""
    if not SHARED_DATA.is_dir():
        return f"real test data not found at {SHARED_DATA} (the shared/ folder beside the repo)"
    if not FAKE_CAMERA_SOURCE.is_file():
        return f"fake camera source video not found at {FAKE_CAMERA_SOURCE}"
    return None


@dataclass
class RunningServer:
    base_url: str
    log_path: Path
    admin_key: str | None = None

    @property
    def netloc(self) -> str:
        return self.base_url.split("://", 1)[1]

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


@dataclass
class PageWatch:
    """What a page did that a test may assert on: every request URL, WebSocket traffic, errors."""

    requests: list[str] = field(default_factory=list)
    websocket_urls: list[str] = field(default_factory=list)
    binary_frames_received: int = 0
    text_frames_received: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", lambda message: self.console_errors.append(message.text)
                if message.type == "error" else None)
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, websocket) -> None:
        self.websocket_urls.append(websocket.url)
        websocket.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        if isinstance(payload, (bytes, bytearray)):
            self.binary_frames_received += 1
        else:
            self.text_frames_received.append(payload)


def open_shopper_page(browser, server: RunningServer, query: str = "", **context_options):
    """A fresh context and the shopper page in it, loaded and initialised."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, **context_options)
    page = context.new_page()
    watch = PageWatch()
    watch.attach(page)
    page.goto(f"{server.base_url}/{query}")
    page.wait_for_function("window.tryonState && window.tryonState.initialised", timeout=15_000)
    return context, page, watch
