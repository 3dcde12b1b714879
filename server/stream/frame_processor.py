"""One session's frame work, run on a frame thread: decode -> try-on pipeline -> encode.

Per-stream tracking state (MediaPipe graph, filters) lives in the session's TryOnPipeline, which
only this object touches, and only one frame at a time (the session processes frames in order).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import simplejpeg
from PIL import Image

from server.stream.protocol import FrameMessage, RequestRejected, StreamConfig
from server.stream.result_json import result_json
from tryon.errors import ImageTooLarge, UnreadableImage
from tryon.frames import decode_image, encode_image
from tryon.pipeline import TryOnPipeline
from tryon.products.model import Product


@dataclass(frozen=True)
class FrameLimits:
    max_width: int
    max_height: int


@dataclass(frozen=True)
class ProcessedFrame:
    meta: dict[str, Any]
    image: bytes | None  # the encoded composite; None in pose mode


class FrameProcessor:
    """Owns a session's pipeline; `process` is called from a worker thread, never concurrently."""

    def __init__(self, limits: FrameLimits) -> None:
        self._limits = limits
        self._pipeline: TryOnPipeline | None = None
        self._pipeline_key: tuple[int, bool] | None = None
        self._product_key: tuple[Product | None, str | None] = (None, None)
        self._fov: float | None = None

    def process(self, message: FrameMessage, config: StreamConfig, product: Product | None) -> ProcessedFrame:
        """Raises RequestRejected for a bad frame (the session goes on)."""
        t0 = time.perf_counter()
        frame = self._decode(message)
        t1 = time.perf_counter()
        pipeline = self._pipeline_for(config, product)
        # The decoded frame is ours alone: the product is drawn straight into it.
        result = pipeline.process(frame, None, in_place=True)
        t2 = time.perf_counter()
        image = None
        out = result.image
        if config.mode == "composite":
            if config.mirror:
                out = np.ascontiguousarray(out[:, ::-1])
            image = _encode(out, config)
        t3 = time.perf_counter()
        timings = {"decode": (t1 - t0) * 1e3, **result.timings_ms, "encode": (t3 - t2) * 1e3}
        meta = result_json(message, result, pipeline.camera_for(frame), config, timings)
        return ProcessedFrame(meta, image)

    def prepare(self, config: StreamConfig) -> None:
        """Build the pipeline for `config` ahead of the first frame."""
        self._pipeline_for(config, None)

    def close(self) -> None:
        if self._pipeline is not None:
            self._pipeline.close()
            self._pipeline = None

    def _decode(self, message: FrameMessage) -> np.ndarray:
        width, height = _image_size(message)
        if width > self._limits.max_width or height > self._limits.max_height:
            raise RequestRejected("frame_too_large", f"frame is {width}x{height}; this server accepts at most "
                                  f"{self._limits.max_width}x{self._limits.max_height}: scale it down before sending",
                                  message.frame_id)
        try:
            return decode_image(message.image)
        except (UnreadableImage, ImageTooLarge) as exc:
            raise RequestRejected("unreadable_frame", f"frame {message.frame_id}: {exc}", message.frame_id) from None

    def _pipeline_for(self, config: StreamConfig, product: Product | None) -> TryOnPipeline:
        # A new MediaPipe graph only when the face count or the drawing need changes; product,
        # variant and field of view switch on the live pipeline, keeping its tracking state.
        key = (config.max_faces, config.mode == "composite")
        if self._pipeline is None or key != self._pipeline_key:
            self.close()
            self._pipeline = TryOnPipeline(None, mode="video", max_faces=config.max_faces,
                                           fov_deg=config.fov_deg, render=key[1])
            self._pipeline_key, self._product_key, self._fov = key, (None, None), config.fov_deg
        if self._fov != config.fov_deg:
            self._pipeline.set_fov(config.fov_deg)
            self._fov = config.fov_deg
        product_key = (product, config.variant)  # a re-imported model is a new Product (its model_path)
        if product_key != self._product_key:
            self._pipeline.set_product(product, product.look(config.variant) if product else None)
            self._product_key = product_key
        return self._pipeline


def _image_size(message: FrameMessage) -> tuple[int, int]:
    """Width and height from the image header alone (no decode), so oversized frames cost nothing."""
    data = message.image
    if not data:
        raise RequestRejected("unreadable_frame", f"frame {message.frame_id} has no image bytes after its header",
                              message.frame_id)
    if data[:2] == b"\xff\xd8":
        try:
            height, width, _, _ = simplejpeg.decode_jpeg_header(data)
            return width, height
        except ValueError:
            pass
    try:
        with Image.open(io.BytesIO(data)) as probe:
            return probe.size
    except Exception:
        raise RequestRejected("unreadable_frame", f"frame {message.frame_id}: not a readable JPEG, WebP or PNG image",
                              message.frame_id) from None


def _encode(image: np.ndarray, config: StreamConfig) -> bytes:
    if config.format == "jpeg":
        return simplejpeg.encode_jpeg(image, quality=config.quality, colorspace="BGR", colorsubsampling="420")
    return encode_image(image, ".webp", config.quality)
