"""Product pictures and turntables to PNG, WebP, animated WebP and MP4 bytes.

Frames are (H, W, 4) uint8 RGBA, sRGB, straight alpha (what product_view makes). A picture that
is opaque everywhere is stored without its alpha channel: a quarter fewer bytes to compress
and send.
"""

from __future__ import annotations

import io
import os
import tempfile
from functools import lru_cache
from typing import Literal

import cv2
import numpy as np
from PIL import Image

from tryon.errors import InvalidViewRequest

# zlib level; 512 px sunglasses: level 9 was 5-7% smaller at 2.5-3.5x the time (~40 ms against ~13 ms).
PNG_COMPRESS_LEVEL = 6
# libwebp effort 0..6 (4 is its default); with alpha, 6 took seconds for 1% fewer bytes.
WEBP_METHOD = 4
# H.264 where OpenCV's FFmpeg can encode it; the opencv-contrib wheel this project installs
# cannot ("avc1" fails to open: no encoder), so there MP4s hold MPEG-4 Part 2 ("mp4v"), which
# desktop players (VLC, QuickTime) play but browsers' <video> generally does not.
MP4_CODECS = ("avc1", "mp4v")


def encode_image(rgba: np.ndarray, fmt: Literal["png", "webp"], quality: int = 90) -> bytes:
    """PNG (lossless; `quality` unused) or WebP (lossy colour at `quality` 0..100, lossless
    alpha) bytes of one picture."""
    image = _pil_image(rgba)
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    elif fmt == "webp":
        image.save(out, format="WEBP", quality=_quality(quality), method=WEBP_METHOD)
    else:
        raise InvalidViewRequest(f"image format must be 'png' or 'webp', got {fmt!r}")
    return out.getvalue()


def encode_animated_webp(frames: list[np.ndarray], fps: float = 24.0, quality: int = 80) -> bytes:
    """Animated WebP that loops forever, `fps` frames a second (WebP stores whole milliseconds)."""
    images = [_pil_image(frame) for frame in _checked_frames(frames)]
    if any(image.mode == "RGBA" for image in images):
        images = [image.convert("RGBA") for image in images]
    out = io.BytesIO()
    images[0].save(out, format="WEBP", save_all=True, append_images=images[1:], loop=0,
                   duration=_frame_ms(fps), quality=_quality(quality), method=WEBP_METHOD)
    return out.getvalue()


def encode_mp4(frames: list[np.ndarray], fps: float = 24.0) -> bytes:
    """MP4 of opaque frames, H.264 ("avc1") if OpenCV can encode it, else MPEG-4 Part 2 ("mp4v",
    the case with this project's opencv-contrib wheel; see mp4_codec). Odd sizes gain a repeated
    last row or column (both codecs' chroma needs even ones). A video has no alpha, so frames
    with a transparent background are refused: render them over a colour."""
    frames = _checked_frames(frames)
    if any(frame.shape[2] == 4 and int(frame[..., 3].min()) < 255 for frame in frames):
        raise InvalidViewRequest("an MP4 cannot be transparent; render the turntable over a #rrggbb background")
    _frame_ms(fps)
    height, width = frames[0].shape[:2]
    size = (width + width % 2, height + height % 2)
    fd, path = tempfile.mkstemp(suffix=".mp4")  # VideoWriter writes files only
    os.close(fd)
    try:
        codec = mp4_codec()
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*codec), float(fps), size)
        if not writer.isOpened():
            raise RuntimeError(f"OpenCV could not open an {codec!r} MP4 writer")
        try:
            for frame in frames:
                bgr = cv2.cvtColor(frame[..., :3], cv2.COLOR_RGB2BGR)
                if size != (width, height):
                    bgr = cv2.copyMakeBorder(bgr, 0, size[1] - height, 0, size[0] - width, cv2.BORDER_REPLICATE)
                writer.write(bgr)
        finally:
            writer.release()
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


@lru_cache(maxsize=1)
def mp4_codec() -> str:
    """The first of MP4_CODECS that OpenCV opens a writer for (probed once, its FFmpeg log
    silenced: a missing encoder is expected, not an error)."""
    level = cv2.getLogLevel()
    cv2.setLogLevel(0)
    try:
        for codec in MP4_CODECS:
            fd, path = tempfile.mkstemp(suffix=".mp4")
            os.close(fd)
            try:
                writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*codec), 24.0, (16, 16))
                opened = writer.isOpened()
                writer.release()
            finally:
                os.unlink(path)
            if opened:
                return codec
    finally:
        cv2.setLogLevel(level)
    raise RuntimeError(f"OpenCV can encode none of {', '.join(MP4_CODECS)}; MP4 turntables need one")


def _pil_image(rgba: np.ndarray) -> Image.Image:
    if not isinstance(rgba, np.ndarray) or rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 4) uint8 RGBA picture, got {getattr(rgba, 'shape', None)}")
    if rgba.shape[2] == 4 and int(rgba[..., 3].min()) == 255:
        rgba = rgba[..., :3]
    return Image.fromarray(np.ascontiguousarray(rgba), "RGBA" if rgba.shape[2] == 4 else "RGB")


def _checked_frames(frames: list[np.ndarray]) -> list[np.ndarray]:
    if not frames:
        raise InvalidViewRequest("an animation needs at least one frame")
    shapes = {frame.shape for frame in frames}
    if len(shapes) != 1:
        raise ValueError(f"every frame must have one size, got {sorted(shapes)}")
    return list(frames)


def _frame_ms(fps: float) -> int:
    if not 0.5 <= fps <= 60.0:
        raise InvalidViewRequest(f"fps must be between 0.5 and 60, got {fps}")
    return max(1, round(1000.0 / fps))


def _quality(quality: int) -> int:
    if not 0 <= quality <= 100:
        raise InvalidViewRequest(f"quality must be between 0 and 100, got {quality}")
    return int(quality)
