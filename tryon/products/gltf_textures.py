"""Decode a glTF file's texture images to (H, W, 4) uint8 arrays, size-checked before decoding.

Pillow's own decompression-bomb guard fires inside Image.open, before we could name the image or
its size, so we open the format's plugin directly (header only), check the size against
MAX_TEXTURE_SIDE, and only then decode.
"""

from __future__ import annotations

import io
import struct
from typing import Any

import numpy as np
from PIL import Image, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from tryon.products.gltf_file import MAX_TEXTURE_PIXELS, MAX_TEXTURE_SIDE, GltfFile

# Image formats glTF allows (PNG, JPEG; WebP through EXT_texture_webp), told apart by magic bytes.
_PLUGINS = (
    (b"\x89PNG\r\n\x1a\n", PngImagePlugin.PngImageFile),
    (b"\xff\xd8\xff", JpegImagePlugin.JpegImageFile),
)
_KTX2_MAGIC = b"\xabKTX 20\xbb"


class TextureDecoder:
    """Per-load cache of decoded glTF images: each image is decoded once, however many
    materials or variants use it. Arrays are read-only, row 0 = the image's top row."""

    def __init__(self, gltf: GltfFile) -> None:
        self._gltf = gltf
        self._decoded: dict[int, np.ndarray] = {}
        self._pixels = 0

    def texture(self, reference: Any, slot: str) -> np.ndarray | None:
        """The image behind a material's texture reference ({"index": i, ...}), or None.

        slot names the material slot in error messages, e.g. "material 'lens' baseColorTexture".
        """
        if not isinstance(reference, dict) or "index" not in reference:
            return None
        textures = self._gltf.document.get("textures", [])
        index = reference["index"]
        if not isinstance(index, int) or not 0 <= index < len(textures):
            raise self._gltf.fail(
                f"{slot} uses texture {index!r} but the file has {len(textures)} textures; re-export it"
            )
        source = _texture_source(textures[index])
        if source is None:
            return None  # e.g. KTX2-only texture in a file that does not require it: render untextured
        return self.image(source)

    def image(self, index: int) -> np.ndarray:
        if index not in self._decoded:
            self._decoded[index] = self._decode(index)
        return self._decoded[index]

    def _decode(self, index: int) -> np.ndarray:
        images = self._gltf.document.get("images", [])
        if not isinstance(index, int) or not 0 <= index < len(images):
            raise self._gltf.fail(f"a texture uses image {index!r} but the file has {len(images)} images; re-export it")
        entry = images[index]
        label = _image_label(entry, index)
        data = self._image_bytes(entry, label)
        image = self._open_header(data, label)
        width, height = image.size
        if max(width, height) > MAX_TEXTURE_SIDE:
            raise self._gltf.fail(
                f"texture {label} is {width}x{height} px, over the {MAX_TEXTURE_SIDE} px limit per side; "
                "downscale it (2048 px is plenty for try-on) and re-export"
            )
        self._pixels += width * height
        if self._pixels > MAX_TEXTURE_PIXELS:
            raise self._gltf.fail(
                f"its textures add up to over {MAX_TEXTURE_PIXELS // 10**6} megapixels (at {label}); "
                "downscale them (2048 px a side is plenty for try-on) and re-export"
            )
        try:
            array = _to_rgba(image)
        except (OSError, ValueError, SyntaxError) as exc:
            raise self._gltf.fail(f"texture {label} could not be decoded ({exc}); re-save it as PNG or JPEG") from exc
        array.flags.writeable = False
        return array

    def _image_bytes(self, entry: dict[str, Any], label: str) -> bytes:
        if "bufferView" in entry:
            try:
                return self._gltf.view_bytes(int(entry["bufferView"]))
            except (IndexError, KeyError, TypeError, ValueError) as exc:
                raise self._gltf.fail(f"texture {label} points to a missing bufferView; re-export it") from exc
        if "uri" in entry:
            return self._gltf.read_uri(str(entry["uri"]), f"texture {label}")
        raise self._gltf.fail(f"texture {label} has neither a uri nor a bufferView; re-export it")

    def _open_header(self, data: bytes, label: str) -> Image.Image:
        """Parse only the image header (no pixel decode, no Pillow bomb check)."""
        if data.startswith(_KTX2_MAGIC):
            raise self._gltf.fail(
                f"texture {label} is KTX2/Basis, which tryon cannot decode; re-export with PNG or JPEG"
            )
        plugin = None
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            plugin = WebPImagePlugin.WebPImageFile
        for magic, candidate in _PLUGINS:
            if data.startswith(magic):
                plugin = candidate
        if plugin is None:
            raise self._gltf.fail(
                f"texture {label} is not a PNG, JPEG or WebP image (starts {data[:8]!r}); re-save it as PNG"
            )
        try:
            return plugin(io.BytesIO(data))
        except (OSError, SyntaxError, ValueError, struct.error) as exc:
            raise self._gltf.fail(f"texture {label} is corrupt ({exc}); re-save it as PNG or JPEG") from exc


def _texture_source(texture: Any) -> int | None:
    if not isinstance(texture, dict):
        return None
    webp = texture.get("extensions", {}).get("EXT_texture_webp", {})
    if isinstance(webp, dict) and isinstance(webp.get("source"), int):
        return webp["source"]
    source = texture.get("source")
    return source if isinstance(source, int) else None


def _image_label(entry: Any, index: int) -> str:
    if isinstance(entry, dict):
        if isinstance(entry.get("uri"), str) and not entry["uri"].startswith("data:"):
            return repr(entry["uri"])
        if entry.get("name"):
            return f"{entry['name']!r} (images[{index}])"
    return f"images[{index}]"


def _to_rgba(image: Image.Image) -> np.ndarray:
    """(H, W, 4) uint8, including 16-bit greyscale PNGs that Pillow cannot convert directly."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        grey = (np.asarray(image).astype(np.float64) / 257.0).clip(0, 255).astype(np.uint8)  # 16 -> 8 bit
        return np.ascontiguousarray(np.dstack([grey, grey, grey, np.full_like(grey, 255)]))
    return np.ascontiguousarray(np.asarray(image.convert("RGBA")))


def texture_rgba(image: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 from grey, RGB or RGBA uint8 images (row 0 = the image's top row)."""
    data = np.asarray(image)
    if data.dtype != np.uint8:
        raise ValueError(f"textures must be uint8, got {data.dtype}")
    if data.ndim == 2:
        data = data[:, :, None]
    channels = data.shape[2]
    if channels == 1:
        data = np.repeat(data, 3, axis=2)
    if channels in (1, 3):
        data = np.concatenate([data, np.full(data.shape[:2] + (1,), 255, np.uint8)], axis=2)
    elif channels == 2:  # grey + alpha
        data = np.concatenate([np.repeat(data[:, :, :1], 3, axis=2), data[:, :, 1:]], axis=2)
    return np.ascontiguousarray(data)
