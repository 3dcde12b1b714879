"""A palette PNG encoder whose bytes depend only on the pixels.

Deflate output differs between zlib builds (zlib, zlib-ng, Pillow's bundled copy), which would
make the committed GLBs unreproducible on other machines. Stored (uncompressed) deflate blocks
have exactly one encoding, and git compresses the files anyway.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STORED_BLOCK = 65535  # largest stored deflate block


def encode_palette_png(indices: np.ndarray, palette: np.ndarray) -> bytes:
    """PNG bytes for an (H,W) uint8 index image and a (P,3) uint8 sRGB palette, P <= 256."""
    if indices.dtype != np.uint8 or indices.ndim != 2:
        raise ValueError("indices must be an (H, W) uint8 array")
    if palette.dtype != np.uint8 or palette.shape[1:] != (3,) or not 0 < len(palette) <= 256:
        raise ValueError("palette must be a (P, 3) uint8 array with 1..256 colours")
    if int(indices.max()) >= len(palette):
        raise ValueError("an index points past the end of the palette")
    height, width = indices.shape
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)  # 8-bit palette, no interlace
    rows = np.concatenate([np.zeros((height, 1), np.uint8), indices], axis=1)  # filter 0 per row
    return b"".join(
        [
            _SIGNATURE,
            _chunk(b"IHDR", ihdr),
            _chunk(b"PLTE", palette.tobytes()),
            _chunk(b"IDAT", _stored_zlib(rows.tobytes())),
            _chunk(b"IEND", b""),
        ]
    )


def _stored_zlib(data: bytes) -> bytes:
    out = [b"\x78\x01"]
    starts = range(0, max(len(data), 1), _STORED_BLOCK)
    for start in starts:
        block = data[start : start + _STORED_BLOCK]
        final = 1 if start + _STORED_BLOCK >= len(data) else 0
        out.append(struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF) + block)
    out.append(struct.pack(">I", zlib.adler32(data)))
    return b"".join(out)


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
