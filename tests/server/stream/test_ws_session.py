"""/ws/tryon against the running service, with a real WebSocket client: every message kind,
every limit, malformed input, concurrent sessions and drop counting (docs/protocol.md)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import struct
import urllib.request

import numpy as np
import pytest
import websockets

from server.stream.client import TryOnClient, now_ms, stream_video
from server.stream.protocol import FRAME_HEADER, pack_frame, unpack_result
from tests.server.live_server import start_server, stop_server
from tryon.frames import decode_image, encode_image

pytestmark = pytest.mark.timeout(120)


def run(coro):
    return asyncio.run(coro)


async def next_of(client: TryOnClient, kind: str, limit: int = 50):
    for _ in range(limit):
        reply = await asyncio.wait_for(client.recv(), 20)
        if reply.kind == kind:
            return reply
    raise AssertionError(f"no {kind!r} message in {limit} replies")


async def closed_with(ws, timeout: float = 10.0) -> tuple[int | None, str]:
    """Read until the server closes; its close code and reason."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as exc:
        return (exc.rcvd.code if exc.rcvd else None), (exc.rcvd.reason if exc.rcvd else "")


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def eye_patch(image: np.ndarray, anchor: tuple[float, float], half: int = 40) -> np.ndarray:
    u, v = int(anchor[0]), int(anchor[1])
    return image[max(v - half // 2, 0):v + half // 2, max(u - 2 * half, 0):u + 2 * half].astype(np.float32)


def test_ready_message_names_the_session_and_its_limits(server):
    async def go():
        async with TryOnClient(server.ws) as client:
            return client.ready

    ready = run(go())
    assert ready["protocol"] == 1 and len(ready["session_id"]) == 32
    assert ready["limits"]["max_frame_bytes"] == 600_000 and ready["limits"]["max_fps"] == 60
    assert ready["config"]["mode"] == "composite" and ready["config"]["product"] is None


def test_composite_result_echoes_the_frame_and_draws_glasses_over_the_eyes(server, camera_frames):
    async def go():
        async with TryOnClient(server.ws) as client:
            bare = None
            for i, frame in enumerate(camera_frames[:8]):  # a few frames: the tracker settles
                await client.send_frame(i, frame, capture_ts_ms=1000.0 + i)
                bare = await next_of(client, "result")
            await client.configure(product="sunglasses-shade")
            dressed = None
            for i, frame in enumerate(camera_frames[:8]):
                await client.send_frame(100 + i, frame, capture_ts_ms=2000.0 + i)
                dressed = await next_of(client, "result")
            return bare, dressed

    bare, dressed = run(go())
    assert dressed.meta["frame_id"] == 107 and dressed.meta["capture_ts_ms"] == 2007.0
    assert dressed.meta["image"] == {"format": "jpeg", "width": 640, "height": 480, "mirrored": False}
    face = dressed.meta["faces"][0]
    assert 50 < face["measurements"]["pd_mm"] < 80 and 250 < face["distance_mm"] < 1500
    assert len(face["placements"]) == 1 and len(face["camera_from_head"]) == 16
    assert bare.meta["faces"][0]["placements"] == []  # no product, nothing placed
    for key in ("decode", "track", "pose", "render", "encode", "queue", "server"):
        assert dressed.meta["timings_ms"][key] >= 0
    sent = decode_image(camera_frames[7])
    without, with_glasses = decode_image(bare.image), decode_image(dressed.image)
    anchor = face["anchors_px"][0]
    lens_change = np.abs(eye_patch(with_glasses, anchor) - eye_patch(sent, anchor)).mean()
    codec_noise = np.abs(eye_patch(without, anchor) - eye_patch(sent, anchor)).mean()
    corner_change = np.abs(with_glasses[:60, :60].astype(np.float32) - sent[:60, :60]).mean()
    assert lens_change > 20 and lens_change > 5 * codec_noise and corner_change < 4


def test_mirror_flips_the_returned_picture_but_not_the_pose(server, camera_frames):
    async def go(mirror: bool):
        async with TryOnClient(server.ws) as client:
            await client.configure(product="round-classic", mirror=mirror)
            result = None
            for i, frame in enumerate(camera_frames[:6]):
                await client.send_frame(i, frame)
                result = await next_of(client, "result")
            return result

    plain, mirrored = run(go(False)), run(go(True))
    assert mirrored.meta["image"]["mirrored"] is True
    a, b = decode_image(plain.image).astype(np.float32), decode_image(mirrored.image).astype(np.float32)
    assert np.abs(a - b[:, ::-1]).mean() < 3 < np.abs(a - b).mean()
    ua = plain.meta["faces"][0]["anchors_px"][0][0]
    ub = mirrored.meta["faces"][0]["anchors_px"][0][0]
    assert abs(ua - ub) < 3  # anchors stay in camera coordinates


def test_pose_mode_sends_placements_as_json_and_no_pictures(server, camera_frames):
    async def go():
        async with websockets.connect(server.ws + "?product=rect-metro&mode=pose") as ws:
            messages = []
            ready = json.loads(await ws.recv())
            configured = json.loads(await ws.recv())
            for i, frame in enumerate(camera_frames[:10]):
                await ws.send(pack_frame(i, now_ms(), frame))
                messages.append(await asyncio.wait_for(ws.recv(), 20))
            return ready, configured, messages

    ready, configured, messages = run(go())
    assert configured["config"]["mode"] == "pose" and configured["config"]["product"] == "rect-metro"
    assert all(isinstance(m, str) for m in messages)
    results = [json.loads(m) for m in messages]
    last = results[-1]
    assert last["type"] == "result" and "image" not in last and "render" in last["timings_ms"]
    m = np.array(last["faces"][0]["placements"][0]).reshape(4, 4)
    cam = last["camera"]
    u = cam["fx"] * m[0, 3] / m[2, 3] + cam["cx"]
    v = cam["fy"] * m[1, 3] / m[2, 3] + cam["cy"]
    assert np.allclose((u, v), last["faces"][0]["anchors_px"][0], atol=0.5)
    assert 200 < m[2, 3] < 2000  # mm in front of the camera
    assert np.allclose(np.linalg.det(m[:3, :3]) > 0, True)


def test_configure_rejections_change_nothing(server):
    async def go():
        async with TryOnClient(server.ws) as client:
            await client.configure(product="round-classic", variant="tortoise")
            errors = []
            for bad in ({"product": "no-such-frame"}, {"variant": "plaid"}, {"mode": "hologram"},
                        {"quality": 5}, {"fov_deg": "wide"}, {"colour": "red"}, {"max_faces": 9}):
                await client.send_json({"type": "configure", **bad})
                errors.append((await next_of(client, "error")).meta)
            await client.send_json({"type": "stats"})
            stats = (await next_of(client, "stats")).meta
            config = await client.configure(quality=70)
            return errors, stats, config

    errors, stats, config = run(go())
    assert [e["code"] for e in errors] == ["unknown_product", "unknown_variant", "invalid_config", "invalid_config",
                                           "invalid_config", "invalid_config", "invalid_config"]
    assert "round-classic" in errors[0]["message"] and "tortoise" in errors[1]["message"]
    assert config["product"] == "round-classic" and config["variant"] == "tortoise" and config["mode"] == "composite"
    assert stats["frames_received"] == 0


def test_ping_is_answered_with_the_same_token(server):
    async def go():
        async with TryOnClient(server.ws) as client:
            await client.send_json({"type": "ping", "t": "abc-1"})
            return (await next_of(client, "pong")).meta

    pong = run(go())
    assert pong["t"] == "abc-1" and pong["server_time_ms"] > 0


def test_end_returns_the_summary_which_is_kept_without_any_frame(server, camera_frames):
    async def go():
        async with TryOnClient(server.ws) as client:
            await client.configure(product="round-classic", variant="gold")
            for i, frame in enumerate(camera_frames[:5]):
                await client.send_frame(i, frame)
                await next_of(client, "result")
            await client.configure(product="hat-fedora")
            for i, frame in enumerate(camera_frames[:3]):
                await client.send_frame(10 + i, frame)
                await next_of(client, "result")
            summary = await client.end()
            code, reason = await closed_with(client._ws)
            return client.session_id, summary, code

    session_id, summary, code = run(go())
    assert code == 1000
    assert summary["frames_processed"] == 8 and summary["frames_received"] == 8
    assert {(t["product"], t["variant"], t["frames"]) for t in summary["tried"]} == {
        ("round-classic", "gold", 5), ("hat-fedora", None, 3)}
    kept = get_json(f"{server.http}/api/sessions/{session_id}")
    assert kept["session_id"] == session_id and kept["close_code"] == 1000 and kept["mean_latency_ms"] > 0
    stored = {p.name for p in server.data_dir.rglob("*") if p.is_file() and "cache" not in p.parts}
    assert stored <= {"tryon.db", "tryon.db-wal", "tryon.db-shm", "admin.key"}  # the summary is in the database
    assert all(p.suffix not in (".jpg", ".png", ".webp", ".mp4") for p in server.data_dir.rglob("*"))


def test_a_session_dropped_without_end_still_leaves_its_summary(server, camera_frames):
    async def go():
        ws = await websockets.connect(server.ws)
        ready = json.loads(await ws.recv())
        await ws.send(pack_frame(1, now_ms(), camera_frames[0]))
        await asyncio.wait_for(ws.recv(), 20)
        ws.transport.abort()  # no close handshake, like a closed laptop lid
        return ready["session_id"]

    session_id = run(go())
    for _ in range(50):
        try:
            kept = get_json(f"{server.http}/api/sessions/{session_id}")
            break
        except urllib.error.HTTPError:
            asyncio.run(asyncio.sleep(0.1))
    else:
        raise AssertionError("no summary kept for an aborted session")
    assert kept["frames_processed"] == 1


@pytest.mark.parametrize("payload, expected", [
    (b"TRY1", "shorter than"),
    (b"JPEG" + bytes(12) + b"\xff\xd8", "must start with"),
])
def test_a_malformed_frame_header_closes_with_4400(server, payload, expected):
    async def go():
        async with websockets.connect(server.ws) as ws:
            await ws.recv()
            await ws.send(payload)
            return await closed_with(ws)

    code, reason = run(go())
    assert code == 4400 and expected in reason


@pytest.mark.parametrize("text, expected", [
    ("{not json", "invalid JSON"),
    ("[1, 2]", "must be an object"),
    ('{"kind": "configure"}', "must be an object"),
    ('{"type": "teleport"}', "unknown message type"),
])
def test_malformed_json_closes_with_4400(server, text, expected):
    async def go():
        async with websockets.connect(server.ws) as ws:
            await ws.recv()
            await ws.send(text)
            return await closed_with(ws)

    code, reason = run(go())
    assert code == 4400 and expected in reason


def test_a_frame_over_the_byte_limit_closes_with_1009(server):
    async def go():
        async with websockets.connect(server.ws, max_size=None) as ws:
            await ws.recv()
            await ws.send(pack_frame(1, 0.0, b"\xff\xd8" + bytes(700_000)))
            return await closed_with(ws)

    code, reason = run(go())
    assert code == 1009


def test_a_json_message_over_the_text_limit_closes_with_1009(server):
    async def go():
        async with websockets.connect(server.ws) as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "ping", "t": "x" * 20_000}))
            return await closed_with(ws)

    code, reason = run(go())
    assert code == 1009 and "JSON message over" in reason


def test_corrupt_and_oversized_frames_are_reported_and_the_session_goes_on(server, camera_frames, shared_data):
    big = np.zeros((1500, 1400, 3), np.uint8)

    async def go():
        async with TryOnClient(server.ws) as client:
            replies = []
            for frame_id, image in ((1, camera_frames[0][:3000]), (2, b"GIF89a nonsense"), (3, b""),
                                    (4, encode_image(big, ".jpg", 50)), (5, camera_frames[1])):
                await client.send_frame(frame_id, image)
                replies.append(await asyncio.wait_for(client.recv(), 20))
            return replies

    replies = run(go())
    kinds = [(r.kind, r.meta.get("code"), r.meta.get("frame_id")) for r in replies]
    assert kinds[:4] == [("error", "unreadable_frame", 1), ("error", "unreadable_frame", 2),
                         ("error", "unreadable_frame", 3), ("error", "frame_too_large", 4)]
    assert "truncated" in replies[0].meta["message"] and "1400x1500" in replies[3].meta["message"]
    assert kinds[4] == ("result", None, 5) and replies[4].meta["frames"]["errors"] == 4


def test_frames_over_the_rate_limit_are_dropped_counted_and_reported(strict_server, camera_frames):
    async def go():
        async with TryOnClient(strict_server.ws) as client:
            for i in range(40):  # at once: a 10 fps bucket lets through a burst of 2.5
                await client.send_frame(i, camera_frames[i % len(camera_frames)])
            warning = await next_of(client, "error")
            await client.send_json({"type": "stats"})
            stats = await next_of(client, "stats")
            return warning.meta, stats.meta

    warning, stats = run(go())
    assert warning["code"] == "frame_rate_exceeded" and "10 per second" in warning["message"]
    assert stats["frames_received"] == 40 and stats["dropped_rate_limited"] >= 35


def test_latest_frame_wins_and_every_frame_is_accounted_for(server, camera_frames):
    async def go():
        async with TryOnClient(server.ws) as client:
            await client.configure(product="round-classic")
            for i in range(12):  # a burst inside the rate limit's allowance
                await client.send_frame(i, camera_frames[i])
            results = []
            while not results or results[-1].meta["frame_id"] != 11:
                results.append(await next_of(client, "result"))
            summary = await client.end()
            return results, summary

    results, summary = run(go())
    ids = [r.meta["frame_id"] for r in results]
    assert ids == sorted(ids) and ids[-1] == 11 and len(ids) < 12  # older frames were replaced
    last = results[-1].meta["dropped"]
    assert last["superseded"] == 12 - len(ids) and last["rate_limited"] == 0
    assert sum(r.meta["dropped"]["since_last_result"] for r in results) == 12 - len(ids)
    assert summary["frames_received"] == 12 == summary["frames_processed"] + summary["dropped_superseded"]


def test_a_full_process_refuses_more_sessions_with_1013(strict_server):

    async def fill():
        async with TryOnClient(strict_server.ws), TryOnClient(strict_server.ws):
            async with websockets.connect(strict_server.ws) as third:
                refusal = json.loads(await third.recv())
                code, _ = await closed_with(third)
        return refusal, code

    async def again():
        async with TryOnClient(strict_server.ws) as client:
            return client.session_id

    refusal, code = run(fill())
    assert refusal["code"] == "server_full" and code == 1013
    strict_server.wait_until_idle()  # the slots free up when sessions end
    assert run(again())


def test_an_idle_session_is_closed_with_4408(strict_server):
    async def go():
        async with websockets.connect(strict_server.ws) as ws:
            await ws.recv()
            return await closed_with(ws, timeout=10)

    code, reason = run(go())
    assert code == 4408 and "idle" in reason


def test_concurrent_sessions_keep_their_own_products_and_tracking(server, camera_frames):
    products = ["round-classic", "sunglasses-shade", "hat-fedora"]

    async def one(product: str):
        return await stream_video(server.ws, camera_frames[:30], 15.0, {"product": product, "mode": "pose"})

    async def go():
        return await asyncio.gather(*(one(p) for p in products))

    reports = run(go())
    for product, report in zip(products, reports):
        s = report.summary
        assert not report.errors and report.last_frame_id == 29  # the newest frame always gets its turn
        assert s["frames_received"] == 30 == s["frames_processed"] + s["dropped_superseded"] + s["dropped_rate_limited"]
        assert s["tried"] == [{"product": product, "variant": None, "frames": report.results}]
        assert report.faces_seen == report.results
    assert len({r.session_id for r in reports}) == 3


def test_one_misbehaving_client_does_not_disturb_another(server, camera_frames):
    async def bad_clients():
        for payload in (b"\x00" * 3, "{oops"):  # protocol violations: the server closes them
            async with websockets.connect(server.ws) as ws:
                await ws.recv()
                await ws.send(payload)
                assert (await closed_with(ws, timeout=5))[0] == 4400
        async with websockets.connect(server.ws) as ws:  # a bad picture: an error, the session stays
            await ws.recv()
            await ws.send(pack_frame(1, 0.0, b"\xff\xd8garbage"))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["code"] == "unreadable_frame"

    async def go():
        good = asyncio.create_task(stream_video(server.ws, camera_frames[:45], 15.0, {"product": "cateye-luna"}))
        await asyncio.sleep(0.5)
        await bad_clients()
        return await good

    report = run(go())
    assert not report.errors and report.last_frame_id == 44 and report.results >= 3
    assert report.summary["frames_received"] == 45
    assert get_json(f"{server.http}/health")["status"] == "ok" and server.alive()


def test_result_binary_layout_is_magic_length_json_then_image(server, camera_frames):
    async def go():
        async with websockets.connect(server.ws) as ws:
            await ws.recv()
            await ws.send(pack_frame(9, 5.0, camera_frames[0]))
            return await asyncio.wait_for(ws.recv(), 20)

    data = run(go())
    magic, length = struct.unpack_from("<4sI", data)
    assert magic == b"TRR1" and json.loads(data[8:8 + length])["frame_id"] == 9
    meta, image = unpack_result(data)
    assert image[:2] == b"\xff\xd8" and decode_image(image).shape == (480, 640, 3)
    assert FRAME_HEADER.size == 16


def test_stopping_the_server_closes_sessions_with_1012_and_keeps_their_summaries(tmp_path, camera_frames):
    live = start_server(tmp_path)
    try:
        async def go():
            async with TryOnClient(live.ws) as client:
                await client.send_frame(1, camera_frames[0])
                await next_of(client, "result")
                live.process.terminate()
                code, _ = await closed_with(client._ws)
                return client.session_id, code

        session_id, code = run(go())
        live.process.wait(timeout=20)
    finally:
        stop_server(live)
    assert code == 1012
    with sqlite3.connect(live.data_dir / "tryon.db") as db:
        kept = [json.loads(summary) for (summary,) in db.execute("select summary from tryon_sessions")]
    assert [(k["session_id"], k["close_reason"], k["frames_processed"]) for k in kept] == [
        (session_id, "server shutting down", 1)]


def test_webp_frames_are_accepted_and_webp_pictures_returned(server, camera_frames):
    webp = encode_image(decode_image(camera_frames[0]), ".webp", 80)

    async def go():
        async with TryOnClient(server.ws) as client:
            await client.configure(product="round-classic", format="webp", quality=60)
            result = None
            for i in range(3):  # a face is dressed once seen on 3 frames (no ghost products)
                await client.send_frame(1 + i, webp)
                result = await next_of(client, "result")
            return result

    result = run(go())
    assert result.image[:4] == b"RIFF" and result.image[8:12] == b"WEBP"
    assert result.meta["image"]["format"] == "webp" and decode_image(result.image).shape == (480, 640, 3)
    assert result.meta["faces"] and result.meta["faces"][0]["placements"]


def test_field_of_view_sets_the_focal_length_the_pose_is_computed_with(server, camera_frames):
    async def go(fov: float):
        async with TryOnClient(server.ws) as client:
            await client.configure(product="round-classic", fov_deg=fov, mode="pose")
            for i in range(4):
                await client.send_frame(i, camera_frames[i])
                result = await next_of(client, "result")
            return result.meta

    narrow, wide = run(go(40.0)), run(go(80.0))
    assert narrow["camera"]["fx"] > 1.5 * wide["camera"]["fx"]
    # the same face looks farther away through a longer lens; PD barely depends on the guess
    assert narrow["faces"][0]["distance_mm"] > 1.5 * wide["faces"][0]["distance_mm"]
    pd = [m["faces"][0]["measurements"]["pd_mm"] for m in (narrow, wide)]
    assert abs(pd[0] - pd[1]) < 3


def test_max_faces_dresses_every_face_in_the_frame(server, shared_data):
    photo = (shared_data / "faces" / "two_children_frontal_multiface.jpeg").read_bytes()

    async def go(max_faces: int):
        async with TryOnClient(server.ws) as client:
            await client.configure(product="round-classic", max_faces=max_faces, mode="pose")
            for i in range(3):
                await client.send_frame(i, photo)
                result = await next_of(client, "result")
            return result.meta

    one, two = run(go(1)), run(go(2))
    assert len(one["faces"]) == 1 and len(two["faces"]) == 2
    assert len({f["face_id"] for f in two["faces"]}) == 2 and all(f["placements"] for f in two["faces"])


def test_a_new_face_is_announced_as_acquiring_then_tracked_and_fades_in(server, camera_frames):
    async def go():
        async with TryOnClient(server.ws) as client:
            await client.configure(product="round-classic", mode="pose")
            faces = []
            for i, frame in enumerate(camera_frames[:8]):
                await client.send_frame(i, frame)
                faces.append((await next_of(client, "result")).meta["faces"])
            return faces

    faces = run(go())
    first, second, third = (f[0] for f in faces[:3])
    for early in (first, second):  # seen but not yet trusted: no product to draw
        assert early["tracking"] == "acquiring" and early["placements"] == [] and early["opacity"] == 0
        assert len(early["camera_from_head"]) == 16  # the pose is there all the same
    assert third["tracking"] == "tracked" and third["placements"] and 0 < third["opacity"] < 1
    last = faces[-1][0]
    # (the fade runs on the server's clock: how far it got depends on how fast frames came)
    assert last["tracking"] == "tracked" and last["opacity"] > third["opacity"]
    assert last["confidence"] > 0.6 and last["notes"] == []
