"""Renderer output over nothing to the straight-alpha RGBA that PNG and WebP store, with the
alpha that viewers need.

Browsers and image viewers composite PNG and WebP on sRGB bytes, while the renderer blends
linear light, so the linear coverage as alpha would draw anti-aliased edges and glass too dark
on a light page (a half-covered black edge: 194 on white as rendered, 168 as a browser would
show it). Instead each partly covered pixel gets the alpha and colour that, composited on
bytes, give exactly what the renderer draws over black and over white (both known from one
pass: over black is the premultiplied colour P, over white is P + 1 - coverage in linear
light), and nearly that over any other colour. Glass highlights, light added without covering
anything, then raise alpha as they should instead of vanishing.
"""

from __future__ import annotations

import cv2
import numpy as np

from tryon.render.lighting import SRGB_TO_LINEAR

_LEVELS = 65535  # linear-light steps of the encoding table: finer than a byte's step at black


def _encoding_table() -> np.ndarray:
    x = np.linspace(0.0, 1.0, _LEVELS + 1)
    encoded = np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1.0 / 2.4) - 0.055)
    return np.rint(255.0 * encoded).astype(np.float32)


_ENCODE = _encoding_table()


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear light (clipped to 0..1) to sRGB byte values 0..255 as float32, same shape."""
    return _ENCODE[np.rint(np.clip(linear, 0.0, 1.0) * _LEVELS).astype(np.int32)]


def straight_rgba(premultiplied_bgra: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 BGRA drawn over black (colour: sRGB bytes; alpha: linear coverage) to
    (H, W, 4) uint8 RGBA, straight alpha for compositing on sRGB bytes (module docstring)."""
    rgba = cv2.cvtColor(premultiplied_bgra, cv2.COLOR_BGRA2RGBA)
    # One little-endian uint32 per pixel, alpha in the top byte: partial = neither empty
    # (all zero) nor opaque, found without reductions over the 4-byte axis (~10x faster).
    pixels = rgba.view("<u4").reshape(-1)
    partial = np.flatnonzero((pixels != 0) & (pixels < 0xFF000000))
    if len(partial):
        flat = rgba.reshape(-1, 4)
        found = flat[partial]
        over_black = found[:, :3].astype(np.float32)
        shows_through = 1.0 - found[:, 3:4] / np.float32(255.0)
        over_white = linear_to_srgb(SRGB_TO_LINEAR[found[:, :3]] + shows_through)
        # On bytes, over white - over black = 255 (1 - alpha) per channel. One alpha for the three
        # (their mean), then each channel's colour splits what is left of its error evenly between
        # black and white: none for neutral pixels (grey edges, clear glass), some for coloured
        # edges, which no single alpha fits on both.
        alpha = np.clip(1.0 - (over_white - over_black).mean(axis=1) / 255.0, 0.0, 1.0)[:, None]
        premultiplied = np.clip((over_black + over_white - 255.0 * (1.0 - alpha)) / 2.0, 0.0, 255.0 * alpha)
        colour = np.divide(premultiplied, alpha, out=np.zeros_like(premultiplied), where=alpha > 0)
        found[:, :3] = np.clip(np.rint(colour), 0, 255).astype(np.uint8)
        found[:, 3] = np.rint(alpha[:, 0] * 255.0).astype(np.uint8)
        flat[partial] = found
    return rgba
