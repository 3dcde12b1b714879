"""Pose mode over /ws/tryon: while a thumb stands before a lens, each result carries the hand
mask (docs/protocol.md, `hand_mask`), small, and covering the thumb."""

from __future__ import annotations

import asyncio
import base64
import json

import cv2
import numpy as np
import pytest
import websockets

from server.stream.client import now_ms
from server.stream.protocol import pack_frame
from tryon.frames import encode_image
from tryon.video import VideoReader

pytestmark = pytest.mark.timeout(120)

THUMB_INSIDE = (slice(175, 226), slice(232, 251))  # rows, columns of frame 100 at 640x480
OTHER_LENS = (slice(160, 230), slice(330, 420))


def thumb_frames(shared_data, first: int = 70, last: int = 100) -> list[bytes]:
    """Frames first..last of the thumbs-up clip as a webcam would send them (640x480 JPEG)."""
    frames = []
    with VideoReader(shared_data / "video/woman_face_thumbs_up_720p.mp4") as reader:
        for index, (_, frame) in enumerate(reader):
            if index > last:
                break
            if index >= first:
                h, w = frame.shape[:2]
                crop = frame[:, (w - h * 4 // 3) // 2:(w + h * 4 // 3) // 2]
                frames.append(encode_image(cv2.resize(crop, (640, 480), interpolation=cv2.INTER_AREA), ".jpg", 85))
    return frames


def test_pose_results_carry_a_hand_mask_over_the_thumb(server, shared_data):
    frames = thumb_frames(shared_data)

    async def go():
        async with websockets.connect(server.ws + "?product=rect-metro&mode=pose") as ws:
            await ws.recv()  # ready
            await ws.recv()  # configured
            replies = []
            for i, frame in enumerate(frames):
                await ws.send(pack_frame(i, now_ms(), frame))
                replies.append(json.loads(await asyncio.wait_for(ws.recv(), 20)))
                await asyncio.sleep(0.02)  # a camera's pace
            return replies

    replies = run(go())
    last = replies[-1]
    assert last["type"] == "result" and last["faces"]
    assert "hands" in last["timings_ms"]
    mask = last["hand_mask"]
    png = base64.b64decode(mask["png_base64"])
    assert len(png) < 2000
    x0, y0, x1, y1 = mask["box_px"]
    small = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    scale = mask["scale"]
    assert small.shape == (-(-(y1 - y0) // scale), -(-(x1 - x0) // scale))
    full = np.zeros((480, 640), np.uint8)
    full[y0:y1, x0:x1] = cv2.resize(small, (small.shape[1] * scale, small.shape[0] * scale))[:y1 - y0, :x1 - x0]
    assert (full[THUMB_INSIDE] > 127).mean() > 0.98
    assert (full[OTHER_LENS] > 127).sum() == 0


def run(coro):
    return asyncio.run(coro)
