"""Procedural tortoiseshell: dark brown mottling over honey amber, tileable, as a palette PNG."""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.ndimage import gaussian_filter

from demo_catalog.png import encode_palette_png

# Colour ramp from the darkest mottle to the clearest amber, sRGB.
_RAMP_STOPS = np.array([0.0, 0.38, 0.55, 0.72, 0.88, 1.0])
_RAMP_COLOURS = np.array(
    [(24, 11, 5), (48, 22, 8), (96, 46, 14), (164, 94, 32), (204, 138, 58), (226, 172, 92)], float
)


@cache
def tortoiseshell_png(size: int = 256, seed: int = 1907) -> bytes:
    """PNG bytes of a size x size tile that repeats without seams (filters wrap around)."""
    rng = np.random.default_rng(seed)
    # Patches stretched along u (x on the frame front), then finer grain inside them.
    field = gaussian_filter(rng.random((size, size)), sigma=(size / 40, size / 14), mode="wrap")
    field = _unit(field) + 0.35 * _unit(gaussian_filter(rng.random((size, size)), sigma=(2, 5), mode="wrap"))
    field = _unit(field)
    # Steepen the midtones so patches read as distinct spots rather than a blur.
    field = 1 / (1 + np.exp(-9 * (field - 0.52)))
    indices = np.round(_unit(field) * 255).astype(np.uint8)
    levels = np.linspace(0, 1, 256)
    palette = np.stack([np.interp(levels, _RAMP_STOPS, _RAMP_COLOURS[:, c]) for c in range(3)], axis=1)
    return encode_palette_png(indices, np.round(palette).astype(np.uint8))


def _unit(a: np.ndarray) -> np.ndarray:
    return (a - a.min()) / (a.max() - a.min())
