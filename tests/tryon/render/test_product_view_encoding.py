"""Product pictures as files (PNG, WebP, animated WebP, MP4) that Pillow and OpenCV read back,
and the requests that are refused with InvalidViewRequest."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from render_models import box
from tryon.errors import InvalidViewRequest
from tryon.products.model import Material
from tryon.render.media_encoding import mp4_codec
from tryon.render.product_view import (
    ViewRequest,
    encode_animated_webp,
    encode_image,
    encode_mp4,
    render_view,
    turntable,
)

RED = Material("red", base_color=(0.8, 0.03, 0.03, 1.0), roughness=0.6)


@pytest.fixture(scope="module")
def red_box():
    return box(40.0, RED)


@pytest.fixture(scope="module")
def turn(red_box) -> list[np.ndarray]:
    return turntable(red_box, "red box", ViewRequest(0.0, 20.0, 96, 96, "#ffffff"), frames=6)


def test_a_png_decodes_to_exactly_the_rendered_pixels(red_box):
    for background, mode in (("#ffffff", "RGB"), ("transparent", "RGBA")):
        rgba = render_view(red_box, "red box", ViewRequest(30.0, 10.0, 96, 64, background))
        decoded = Image.open(io.BytesIO(encode_image(rgba, "png")))
        assert decoded.format == "PNG" and decoded.mode == mode, "opaque pictures are stored without alpha"
        assert np.array_equal(np.asarray(decoded.convert("RGBA")), rgba)


def test_a_webp_decodes_to_the_picture_with_its_transparency(red_box):
    rgba = render_view(red_box, "red box", ViewRequest(30.0, 10.0, 96, 64, "transparent"))
    decoded = Image.open(io.BytesIO(encode_image(rgba, "webp", quality=90)))
    assert decoded.format == "WEBP" and decoded.size == (96, 64)
    pixels = np.asarray(decoded.convert("RGBA")).astype(int)
    assert np.array_equal(pixels[..., 3], rgba[..., 3]), "alpha is kept exactly"
    opaque = rgba[..., 3] == 255
    assert np.abs(pixels[opaque, :3] - rgba[opaque, :3]).mean() < 6


def test_an_animated_webp_has_every_turntable_frame_at_the_frame_rate(turn):
    data = encode_animated_webp(turn, fps=12.0)
    decoded = Image.open(io.BytesIO(data))
    assert decoded.format == "WEBP" and decoded.n_frames == len(turn) and decoded.size == (96, 96)
    decoded.seek(3)
    decoded.load()  # Pillow reads a frame's timing with its pixels
    assert decoded.info["duration"] == 83 and decoded.info["timestamp"] == 3 * 83 and decoded.info["loop"] == 0
    assert np.abs(np.asarray(decoded.convert("RGB")).astype(int) - turn[3][..., :3]).mean() < 6


def test_an_mp4_has_every_turntable_frame_and_opencv_plays_it(turn, tmp_path):
    path = tmp_path / "turn.mp4"
    data = encode_mp4(turn, fps=24.0)
    assert mp4_codec().encode() in data, "the sample entry names the codec: avc1 where OpenCV has H.264, else mp4v"
    path.write_bytes(data)
    video = cv2.VideoCapture(str(path))
    try:
        frames = []
        while True:
            ok, frame = video.read()
            if not ok:
                break
            frames.append(frame)
        assert round(video.get(cv2.CAP_PROP_FPS)) == 24
    finally:
        video.release()
    assert len(frames) == len(turn) and frames[0].shape == (96, 96, 3)
    assert np.abs(frames[2][..., ::-1].astype(int) - turn[2][..., :3]).mean() < 8


def test_an_odd_sized_mp4_is_padded_to_even_and_a_transparent_one_is_refused(red_box, tmp_path):
    odd = turntable(red_box, "red box", ViewRequest(0.0, 20.0, 75, 51, "#000000"), frames=2)
    path = tmp_path / "odd.mp4"
    path.write_bytes(encode_mp4(odd))
    video = cv2.VideoCapture(str(path))
    ok, frame = video.read()
    video.release()
    assert ok and frame.shape == (52, 76, 3)
    clear = turntable(red_box, "red box", ViewRequest(0.0, 20.0, 64, 64, "transparent"), frames=2)
    with pytest.raises(InvalidViewRequest, match="#rrggbb"):
        encode_mp4(clear)


@pytest.mark.parametrize(
    "request_, message",
    [
        (ViewRequest(width=15), "width"),
        (ViewRequest(height=2049), "height"),
        (ViewRequest(width=0), "width"),
        (ViewRequest(width=256.0), "width"),  # type: ignore[arg-type]
        (ViewRequest(background="red"), "background"),
        (ViewRequest(background="#fff"), "background"),
        (ViewRequest(background="#ggffff"), "background"),
        (ViewRequest(background=" #ffffff"), "background"),
        (ViewRequest(pitch_deg=91.0), "pitch"),
        (ViewRequest(yaw_deg=float("nan")), "yaw"),
    ],
)
def test_a_bad_view_request_is_refused_with_what_to_change(red_box, request_, message):
    with pytest.raises(InvalidViewRequest, match=message):
        render_view(red_box, "red box", request_)


@pytest.mark.parametrize("frames", [0, 121, -1])
def test_a_turntable_needs_one_to_a_hundred_and_twenty_frames(red_box, frames):
    with pytest.raises(InvalidViewRequest, match="1 to 120 frames"):
        turntable(red_box, "red box", ViewRequest(width=32, height=32), frames=frames)


def test_encoders_refuse_an_empty_animation_and_out_of_range_settings(turn):
    with pytest.raises(InvalidViewRequest):
        encode_animated_webp([])
    with pytest.raises(InvalidViewRequest, match="fps"):
        encode_mp4(turn, fps=0.0)
    with pytest.raises(InvalidViewRequest, match="quality"):
        encode_image(turn[0], "webp", quality=101)
    with pytest.raises(InvalidViewRequest, match="png"):
        encode_image(turn[0], "gif")  # type: ignore[arg-type]
