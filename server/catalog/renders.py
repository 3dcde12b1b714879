"""Product renders (still views, turntables, thumbnails) through the engine's renderer, cached.

A render is named by everything that changes its pixels: the model file (a prepared model's
SHA-256 or a bundled file's path and mtime), the variant's look and the view parameters. Results
are kept in memory (up to MEMORY_BYTES) and on disk (DATA_DIR/render-cache, shared by the
processes of one machine); two requests for the same render at once make it once.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tryon.products.catalog import load_product_model
from tryon.products.model import Product

MEMORY_BYTES = 64 * 2**20
RENDER_VERSION = "1"  # bump when the renderer's look changes, so old cached files are not served
Kind = Literal["png", "webp", "turntable.webp", "turntable.mp4"]
MEDIA_TYPES = {"png": "image/png", "webp": "image/webp", "turntable.webp": "image/webp", "turntable.mp4": "video/mp4"}


@dataclass(frozen=True)
class RenderSpec:
    kind: Kind
    variant: str | None
    yaw_deg: float = 30.0
    pitch_deg: float = 10.0
    width: int = 512
    height: int = 512
    background: str = "#ffffff"
    frames: int = 36
    fps: float = 24.0


def model_stamp(product: Product) -> str:
    """What identifies the model's bytes: prepared files are named by their hash already."""
    try:
        stat = os.stat(product.model_path)
        return f"{product.model_path}:{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        return product.model_path


def render_key(product: Product, spec: RenderSpec) -> str:
    parts = (RENDER_VERSION, model_stamp(product), product.fit.category, str(product.look(spec.variant)), spec.kind,
             f"{spec.yaw_deg:.2f}", f"{spec.pitch_deg:.2f}", str(spec.width), str(spec.height), spec.background,
             str(spec.frames), f"{spec.fps:.2f}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def render_bytes(product: Product, spec: RenderSpec) -> bytes:
    """Render and encode, uncached (the engine raises InvalidViewRequest / UnknownVariant)."""
    from tryon.render.product_view import (ViewRequest, encode_animated_webp, encode_image, encode_mp4,
                                           render_view, turntable)

    look = product.look(spec.variant)  # raises UnknownVariant
    model = load_product_model(product)
    request = ViewRequest(yaw_deg=spec.yaw_deg, pitch_deg=spec.pitch_deg, width=spec.width, height=spec.height,
                          background=spec.background, variant=look)
    key = f"{product.model_path}:{product.fit.category}"
    if spec.kind in ("png", "webp"):
        return encode_image(render_view(model, key, request), spec.kind)  # type: ignore[arg-type]
    frames = turntable(model, key, request, spec.frames)
    if spec.kind == "turntable.webp":
        return encode_animated_webp(frames, spec.fps)
    return encode_mp4(frames, spec.fps)


class RenderCache:
    def __init__(self, folder: Path, render: Callable[[Product, RenderSpec], bytes] = render_bytes) -> None:
        self.folder = folder
        self._render = render
        self._memory: OrderedDict[str, bytes] = OrderedDict()
        self._memory_bytes = 0
        self._lock = threading.Lock()
        self._making: dict[str, threading.Lock] = {}
        self.renders = 0  # made here, not served from a cache (for tests and /health)

    def get(self, product: Product, spec: RenderSpec) -> tuple[str, bytes]:
        """(key, bytes) of the render, made once. Call it off the event loop."""
        key = render_key(product, spec)
        found = self._recall(key, spec.kind)
        if found is not None:
            return key, found
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        with making:  # a second request for the same render waits for the first
            found = self._recall(key, spec.kind)
            if found is None:
                found = self._render(product, spec)
                self.renders += 1
                self._remember(key, found)
                self._store(key, spec.kind, found)
        with self._lock:
            self._making.pop(key, None)
        return key, found

    def _recall(self, key: str, kind: str) -> bytes | None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        path = self._path(key, kind)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        self._remember(key, data)
        return data

    def _remember(self, key: str, data: bytes) -> None:
        with self._lock:
            if key in self._memory:
                return
            self._memory[key] = data
            self._memory_bytes += len(data)
            while self._memory_bytes > MEMORY_BYTES and len(self._memory) > 1:
                _, dropped = self._memory.popitem(last=False)
                self._memory_bytes -= len(dropped)

    def _store(self, key: str, kind: str, data: bytes) -> None:
        path = self._path(key, kind)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except OSError:
            pass  # a full or read-only disk only costs a render next time

    def _path(self, key: str, kind: str) -> Path:
        return self.folder / f"{key}.{kind.replace('turntable.', 'turn.')}"
