"""The shopper page (web_client/) in a real Chromium against the real server: a fake camera made
from a real face video streams, composited frames and poses come back, glasses land on the eyes,
a refused camera falls back to the sample video, and nothing is fetched from anywhere else.

Screenshots of each state go to test-artifacts/browser/ (or $TRYON_TEST_ARTIFACTS).
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import time
from urllib.parse import urlsplit

import cv2
import numpy as np
import pytest

from browser_harness import FAKE_CAMERA_LOOP_S, missing_prerequisite, open_shopper_page

from server.stream.protocol import pack_frame, pack_result

_reason = missing_prerequisite()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.timeout(120)

GLASSES = "sunglasses-shade"
BARE_FRAMES_PER_LOOP = 10
STREAM_TIMEOUT_MS = 40_000


# --- helpers ------------------------------------------------------------------------------------

def wait_for_state(page, condition: str, timeout_ms: int = STREAM_TIMEOUT_MS) -> None:
    """Wait until the JS expression `condition` over `s` (window.tryonState) is true."""
    try:
        page.wait_for_function(f"(() => {{ const s = window.tryonState; return Boolean({condition}); }})()",
                               timeout=timeout_ms, polling=100)
    except Exception as exc:
        summary = page.evaluate("JSON.stringify({...window.tryonState, lastResult: undefined, shownFrame: undefined,"
                                " lastRender: undefined})")
        raise AssertionError(f"page never reached `{condition}`: {summary}") from exc


def decode_data_url(data_url: str, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    payload = base64.b64decode(data_url.split(",", 1)[1])
    image = cv2.imdecode(np.frombuffer(payload, np.uint8), flags)
    assert image is not None, "the canvas could not be read back as a PNG"
    return image


def shown_composite_frame(page) -> tuple[np.ndarray, dict]:
    """The composited picture on screen now and the result it came with (read in one go)."""
    shown = page.evaluate("""() => ({
        png: document.getElementById('composite-canvas').toDataURL('image/png'),
        meta: window.tryonState.shownFrame })""")
    return decode_data_url(shown["png"]), shown["meta"]


def eye_region(meta: dict, scale: float = 1.0) -> tuple[slice, slice]:
    """Rows and columns around the glasses' anchor of the first face, in the picture as shown
    (mirrored if the server mirrored it), sized from the face's PD in pixels."""
    face = meta["faces"][0]
    anchor_x, anchor_y = face["anchors_px"][0]
    width = meta["camera"]["width"]
    if meta.get("image", {}).get("mirrored"):
        anchor_x = width - 1 - anchor_x
    pd_px = meta["camera"]["fx"] * face["measurements"]["pd_mm"] / face["distance_mm"]
    half_w, half_h = 0.9 * pd_px, 0.35 * pd_px
    x0, x1 = int((anchor_x - half_w) * scale), int((anchor_x + half_w) * scale)
    y0, y1 = int((anchor_y - half_h) * scale), int((anchor_y + half_h) * scale)
    return slice(max(y0, 0), y1), slice(max(x0, 0), x1)


def corner_region(image: np.ndarray) -> tuple[slice, slice]:
    """The top-left tenth: backdrop, far from the face."""
    height, width = image.shape[:2]
    return slice(0, height // 10), slice(0, width // 10)


def mean_abs_diff(a: np.ndarray, b: np.ndarray, region: tuple[slice, slice]) -> float:
    return float(np.mean(np.abs(a[region].astype(np.float32) - b[region].astype(np.float32))))


def start_camera(page) -> None:
    page.get_by_test_id("start-camera").click()
    wait_for_state(page, "s.source === 'camera' && s.connected")


def face_results(page, count: int, interval_s: float = 0.1) -> list[dict]:
    """`count` successive lastResult snapshots that report a face."""
    results = []
    while len(results) < count:
        result = page.evaluate("window.tryonState.lastResult")
        if result and result.get("faces"):
            results.append(result)
        time.sleep(interval_s)
    return results


def assert_no_page_errors(watch) -> None:
    assert not watch.page_errors, f"uncaught errors in the page: {watch.page_errors}"
    assert not watch.console_errors, f"errors in the console: {watch.console_errors}"


# --- tests --------------------------------------------------------------------------------------

def test_fake_camera_streams_and_composited_frames_come_back(camera_browser, tryon_server, artifacts_dir):
    context, page, watch = open_shopper_page(camera_browser, tryon_server)
    try:
        start_camera(page)
        wait_for_state(page, "s.imagesReceived >= 20 && s.shownFrame && s.shownFrame.faces.length === 1")
        pds = [r["faces"][0]["measurements"]["pd_mm"] for r in face_results(page, 8)]
        state = page.evaluate("({...window.tryonState})")
        page.screenshot(path=str(artifacts_dir / "composite_streaming.png"))

        assert 50.0 <= statistics.median(pds) <= 80.0, f"PD readings {pds} are not an adult's"
        assert state["resultsReceived"] >= 20 and state["imagesReceived"] == state["resultsReceived"]
        assert state["shownFrame"]["image"]["mirrored"] is True, "the view is a mirror by default"
        assert 0 < state["latencyMs"] < 2000
        assert state["fps"] > 0
        assert re.fullmatch(r"\d+ /s", page.get_by_test_id("readout-fps").inner_text())
        assert re.fullmatch(r"\d+ ms", page.get_by_test_id("readout-latency").inner_text())
        assert re.fullmatch(r"\d+\.\d mm", page.get_by_test_id("readout-pd").inner_text())
        assert re.fullmatch(r"\d+\.\d mm", page.get_by_test_id("readout-face-width").inner_text())
        assert page.get_by_test_id("composite-canvas").is_visible()
        assert_no_page_errors(watch)
    finally:
        context.close()


def test_glasses_change_the_pixels_around_the_eyes_and_not_the_backdrop(camera_browser, tryon_server, artifacts_dir):
    context, page, watch = open_shopper_page(camera_browser, tryon_server)
    try:
        start_camera(page)
        wait_for_state(page, "s.shownFrame && s.shownFrame.product.id === null && s.shownFrame.faces.length === 1")
        # The fake camera loops a moving clip: bare frames over a whole loop, so each picture
        # with glasses can be compared with the bare one nearest to it in the loop.
        bare_frames = []
        for _ in range(BARE_FRAMES_PER_LOOP):
            bare_frames.append(shown_composite_frame(page)[0])
            time.sleep(FAKE_CAMERA_LOOP_S / BARE_FRAMES_PER_LOOP)
        cv2.imwrite(str(artifacts_dir / "glasses_before.png"), bare_frames[0])

        page.get_by_test_id("product-select").select_option(GLASSES)
        wait_for_state(page, f"s.shownFrame && s.shownFrame.product.id === '{GLASSES}'"
                             " && s.shownFrame.faces.length === 1 && s.shownFrame.faces[0].anchors_px.length > 0")
        dressed, dressed_meta = shown_composite_frame(page)
        cv2.imwrite(str(artifacts_dir / "glasses_after.png"), dressed)
        page.screenshot(path=str(artifacts_dir / "composite_with_glasses.png"))

        eyes = eye_region(dressed_meta)
        corner = corner_region(dressed)
        # Glasses must differ even from the most similar bare frame; the noise is how far a bare
        # frame can be from its nearest other bare frame (motion + JPEG).
        eyes_changed = min(mean_abs_diff(bare, dressed, eyes) for bare in bare_frames)
        eyes_noise = max(min(mean_abs_diff(a, b, eyes) for j, b in enumerate(bare_frames) if j != i)
                         for i, a in enumerate(bare_frames))
        corner_changed = max(mean_abs_diff(bare, dressed, corner) for bare in bare_frames)
        (artifacts_dir / "glasses_pixels.json").write_text(json.dumps(
            {"eyes_changed": eyes_changed, "eyes_noise": eyes_noise, "corner_changed": corner_changed}, indent=1))
        assert dressed.shape == bare_frames[0].shape == (dressed_meta["image"]["height"], dressed_meta["image"]["width"], 3)
        assert eyes_changed > max(15.0, 2.5 * eyes_noise), (
            f"glasses barely changed the eyes: mean |diff| {eyes_changed:.1f}, bare frames differ by up to {eyes_noise:.1f}")
        assert corner_changed < 6.0, f"the backdrop changed by {corner_changed:.1f} (mean |diff|)"
        assert_no_page_errors(watch)
    finally:
        context.close()


def test_refused_camera_says_so_and_the_sample_video_streams_instead(prompting_browser, tryon_server, artifacts_dir):
    context, page, watch = open_shopper_page(prompting_browser, tryon_server)
    try:
        sample_button = page.get_by_test_id("use-sample-video")
        assert sample_button.is_visible() and sample_button.is_enabled()
        page.get_by_test_id("start-camera").click()
        wait_for_state(page, "s.cameraError !== null", timeout_ms=10_000)
        message = page.get_by_test_id("message")
        assert message.is_visible()
        assert "refused" in message.inner_text() and "sample video" in message.inner_text()
        assert page.evaluate("window.tryonState.cameraError.name") == "NotAllowedError"
        page.screenshot(path=str(artifacts_dir / "camera_refused.png"))

        sample_button.click()
        wait_for_state(page, "s.source === 'sample' && s.imagesReceived >= 10 && s.shownFrame"
                             " && s.shownFrame.faces.length === 1")
        assert not message.is_visible(), "the refusal message stays after the sample video started"
        video = page.evaluate("""(() => { const v = document.getElementById('source-video');
            return {muted: v.muted, loop: v.loop, inline: v.playsInline, src: v.currentSrc, paused: v.paused}; })()""")
        assert video["muted"] and video["loop"] and video["inline"] and not video["paused"]
        assert urlsplit(video["src"]).path == "/api/sample-video"
        page.screenshot(path=str(artifacts_dir / "sample_video_streaming.png"))
        assert not watch.page_errors
    finally:
        context.close()


def test_missing_camera_says_none_was_found(cameraless_browser, tryon_server, artifacts_dir):
    context, page, watch = open_shopper_page(cameraless_browser, tryon_server, permissions=["camera"])
    try:
        page.get_by_test_id("start-camera").click()
        wait_for_state(page, "s.cameraError !== null", timeout_ms=10_000)
        assert page.evaluate("window.tryonState.cameraError.name") == "NotFoundError"
        assert "No camera was found" in page.get_by_test_id("message").inner_text()
        assert page.get_by_test_id("use-sample-video").is_visible()
        page.screenshot(path=str(artifacts_dir / "camera_absent.png"))
        assert not watch.page_errors
    finally:
        context.close()


def test_pose_mode_gets_no_pictures_and_draws_the_product_itself(camera_browser, tryon_server, artifacts_dir):
    context, page, watch = open_shopper_page(camera_browser, tryon_server, f"?mode=pose&product={GLASSES}")
    try:
        start_camera(page)
        wait_for_state(page, "s.poseResultsReceived >= 10 && s.posesRendered >= 5 && s.lastRender"
                             " && s.lastRender.copies > 0 && s.lastRender.pose.faces[0].anchors_px.length > 0")
        drawn = page.evaluate("""() => ({
            png: document.getElementById('pose-canvas').toDataURL('image/png'),
            pose: window.tryonState.lastRender.pose,
            imagesReceived: window.tryonState.imagesReceived,
            mirrorTransform: getComputedStyle(document.getElementById('live-layer')).transform })""")
        page.screenshot(path=str(artifacts_dir / "pose_mode_three_js.png"))
        canvas = decode_data_url(drawn["png"], cv2.IMREAD_UNCHANGED)
        cv2.imwrite(str(artifacts_dir / "pose_mode_canvas.png"), canvas)

        results = [t for t in watch.text_frames_received if '"type":"result"' in t.replace(" ", "")]
        assert watch.binary_frames_received == 0, "pose mode must send no pictures"
        assert drawn["imagesReceived"] == 0
        assert len(results) >= 10
        assert canvas.shape[2] == 4, "the 3D canvas is transparent over the video"
        pose = drawn["pose"]
        unmirrored = {**pose, "image": {"mirrored": False}}  # the canvas holds camera pixels; CSS mirrors it
        eyes = eye_region(unmirrored, scale=canvas.shape[1] / pose["camera"]["width"])
        alpha = canvas[:, :, 3]
        covered_near_eyes = float(np.mean(alpha[eyes] > 0))
        covered_corner = float(np.mean(alpha[corner_region(canvas)] > 0))
        assert covered_near_eyes > 0.15, f"only {covered_near_eyes:.0%} of the eye region is drawn"
        assert covered_corner == 0.0, "the canvas draws far from the face"
        # Glasses temples swing at their hinges as on the server: both temple meshes are moved.
        assert pose["faces"][0]["part_transforms"][0].keys() == {"temple_right", "temple_left"}
        assert page.evaluate("() => window.tryonState.lastRender.partsMoved") >= 2
        assert drawn["mirrorTransform"] not in ("none", ""), "video and 3D canvas are mirrored together"

        with page.expect_download() as download_info:
            page.get_by_test_id("snapshot").click()
        snapshot_path = artifacts_dir / "pose_mode_snapshot.jpg"
        download_info.value.save_as(snapshot_path)
        snapshot = cv2.imread(str(snapshot_path))
        assert snapshot is not None and snapshot.shape[:2] == (pose["camera"]["height"], pose["camera"]["width"])
        assert_no_page_errors(watch)
    finally:
        context.close()


def test_snapshot_saves_the_try_on_frame_on_screen(camera_browser, tryon_server, artifacts_dir):
    context, page, watch = open_shopper_page(camera_browser, tryon_server, f"?product={GLASSES}")
    try:
        start_camera(page)
        wait_for_state(page, f"s.shownFrame && s.shownFrame.product.id === '{GLASSES}'")
        with page.expect_download() as download_info:
            page.get_by_test_id("snapshot").click()
        download = download_info.value
        target = artifacts_dir / "snapshot.jpg"
        download.save_as(target)
        data = target.read_bytes()
        assert data[:3] == b"\xff\xd8\xff", "the snapshot is a JPEG"
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        shown = page.evaluate("[document.getElementById('composite-canvas').width,"
                              " document.getElementById('composite-canvas').height]")
        assert [image.shape[1], image.shape[0]] == shown
        assert download.suggested_filename.startswith(f"tryon-{GLASSES}-")
        assert_no_page_errors(watch)
    finally:
        context.close()


def test_the_page_requests_nothing_but_its_own_server(camera_browser, tryon_server, artifacts_dir):
    context, page, watch = open_shopper_page(camera_browser, tryon_server)
    try:
        start_camera(page)
        page.get_by_test_id("product-select").select_option("round-classic")
        wait_for_state(page, "s.shownFrame && s.shownFrame.product.id === 'round-classic'")
        page.get_by_test_id("mode-pose").check()
        wait_for_state(page, "s.modelsLoaded.length > 0 && s.posesRendered > 0")
        page.get_by_test_id("mode-composite").check()
        page.get_by_test_id("use-sample-video").click()
        wait_for_state(page, "s.source === 'sample' && s.shownFrame")
        page.screenshot(path=str(artifacts_dir / "only_own_server.png"))

        foreign = [url for url in watch.requests + watch.websocket_urls
                   if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != tryon_server.netloc]
        assert not foreign, f"requests to other hosts: {foreign}"
        paths = {urlsplit(url).path for url in watch.requests}
        assert {"/", "/api/products", "/vendor/three/build/three.module.js", "/api/sample-video"} <= paths
        assert any(p.startswith("/api/products/round-classic/model.glb") for p in paths)
        assert_no_page_errors(watch)
    finally:
        context.close()


def test_the_page_packs_and_unpacks_the_wire_format_like_the_python_client(camera_browser, tryon_server):
    context, page, watch = open_shopper_page(camera_browser, tryon_server)
    try:
        frame = page.evaluate("""async () => {
            const protocol = await import('/static/protocol.js');
            const image = new Uint8Array([0xff, 0xd8, 0xff, 7]).buffer;
            return Array.from(new Uint8Array(protocol.packFrame(4294967295, 123456.789, image))); }""")
        meta = {"type": "result", "frame_id": 17, "capture_ts_ms": 123456.789, "faces": [], "note": "caf\u00e9"}
        result = page.evaluate("""async (bytes) => {
            const protocol = await import('/static/protocol.js');
            const { meta, image } = protocol.unpackResult(new Uint8Array(bytes).buffer);
            return { meta, image: Array.from(image) }; }""", list(pack_result(meta, b"\xff\xd8picture")))
        assert bytes(frame) == pack_frame(4294967295, 123456.789, b"\xff\xd8\xff\x07")
        assert result == {"meta": meta, "image": list(b"\xff\xd8picture")}
    finally:
        context.close()


def test_pose_matrices_follow_the_documented_projection_and_view(camera_browser, tryon_server):
    intrinsics = {"fx": 554.3, "fy": 550.1, "cx": 320.0, "cy": 178.0, "width": 640, "height": 360}
    rng = np.random.default_rng(7)
    camera_from_product = np.eye(4)
    camera_from_product[:3, :3] = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    camera_from_product[:3, 3] = [12.0, -30.0, 520.0]
    context, page, watch = open_shopper_page(camera_browser, tryon_server)
    try:
        got = page.evaluate("""async ([intrinsics, placement]) => {
            const m = await import('/static/pose_math.js');
            return { projection: m.projectionFromIntrinsics(intrinsics, 10, 10000),
                     modelView: m.modelViewFromPlacement(placement) }; }""",
                            [intrinsics, camera_from_product.ravel().tolist()])
    finally:
        context.close()
    fx, fy, cx, cy, w, h = (intrinsics[k] for k in ("fx", "fy", "cx", "cy", "width", "height"))
    n, f = 10.0, 10000.0
    projection = np.array([[2 * fx / w, 0, 1 - 2 * cx / w, 0],
                           [0, 2 * fy / h, 2 * cy / h - 1, 0],
                           [0, 0, -(f + n) / (f - n), -2 * f * n / (f - n)],
                           [0, 0, -1, 0]])
    model_view = np.diag([1.0, -1.0, -1.0, 1.0]) @ camera_from_product
    np.testing.assert_allclose(np.reshape(got["projection"], (4, 4)), projection, rtol=1e-12)
    np.testing.assert_allclose(np.reshape(got["modelView"], (4, 4)), model_view, atol=1e-12)
    # A point of the product frame lands where the OpenCV pinhole puts it, in both conventions.
    point = np.array([20.0, 5.0, -3.0, 1.0])
    clip = projection @ model_view @ point
    ndc = clip[:2] / clip[3]
    pixel = ((ndc[0] + 1) / 2 * w, (1 - ndc[1]) / 2 * h)
    camera_point = camera_from_product @ point
    expected = (fx * camera_point[0] / camera_point[2] + cx, fy * camera_point[1] / camera_point[2] + cy)
    np.testing.assert_allclose(pixel, expected, atol=1e-6)
