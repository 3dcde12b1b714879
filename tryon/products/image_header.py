"""Texture sizes from image headers, checked against the texture limits before anything is decoded.

A 16384 x 16384 PNG can be a few kB on disk and 1 GiB once decoded, so the size must come from the
header. Pillow's format plugins parse only the header when constructed (Image.open would also
run Pillow's own bomb check, which fires before we could name the image).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from tryon.products import gltf_file
from tryon.products.problems import ProblemLog

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_KTX2 = b"\xabKTX 20\xbb"
_HINT = "downscale it (2048 px a side is plenty for try-on) and export again"


class UnreadableImageHeader(ValueError):
    """The bytes are not a PNG, JPEG or WebP whose header can be parsed; `code` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def image_size(data: bytes) -> tuple[str, int, int]:
    """(format, width, height) of a PNG, JPEG or WebP from its header alone.

    Raises UnreadableImageHeader ("image.unsupported_format" or "image.corrupt").
    """
    if data.startswith(_KTX2):
        raise UnreadableImageHeader(
            "image.unsupported_format", "is KTX2/Basis, which tryon cannot decode; export textures as PNG or JPEG"
        )
    if data.startswith(_PNG):
        name, plugin = "PNG", PngImagePlugin.PngImageFile
    elif data.startswith(_JPEG):
        name, plugin = "JPEG", JpegImagePlugin.JpegImageFile
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        name, plugin = "WebP", WebPImagePlugin.WebPImageFile
    else:
        raise UnreadableImageHeader(
            "image.unsupported_format",
            f"is not a PNG, JPEG or WebP image (it starts with {data[:8]!r}); save it as PNG or JPEG",
        )
    try:
        width, height = plugin(io.BytesIO(data)).size
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise UnreadableImageHeader(
            "image.corrupt", f"is a damaged {name} ({exc}); save it again as PNG or JPEG"
        ) from exc
    return name, int(width), int(height)


@dataclass
class TextureBudget:
    """Checks each texture's header against MAX_TEXTURE_SIDE and all of them together against
    MAX_TEXTURE_PIXELS (the limits the loader enforces), logging problems instead of raising."""

    log: ProblemLog
    pixels: int = 0
    _over_total: bool = False

    def check(self, data: bytes, label: str) -> tuple[int, int] | None:
        """(width, height) of an acceptable image; None (a problem logged) otherwise."""
        try:
            _, width, height = image_size(data)
        except UnreadableImageHeader as exc:
            self.log.error(exc.code, f"texture {label} {exc}")
            return None
        side = gltf_file.MAX_TEXTURE_SIDE
        if max(width, height) > side:
            self.log.error(
                "texture.too_large",
                f"texture {label} is {width}x{height} px, over the {side} px limit per side; {_HINT}",
            )
            return None
        self.pixels += width * height
        if self.pixels > gltf_file.MAX_TEXTURE_PIXELS and not self._over_total:
            self._over_total = True
            self.log.error(
                "texture.too_many_pixels",
                f"its textures add up to over {gltf_file.MAX_TEXTURE_PIXELS // 10**6} megapixels (at {label}); {_HINT}",
            )
        return width, height
