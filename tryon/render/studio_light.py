"""A fixed studio light for product pictures on a plain backdrop.

The live path estimates light from the camera frame; a plain backdrop is no scene to estimate
from (white would over-expose the product, black would floor it). So pictures get one light
whatever the background: a soft key from the upper left in front, a brighter sky than floor
for ambient, and a studio environment for reflections (a bright softbox overhead, two strip
lights at the sides, grey walls, a darker floor), so metal and glass have something to show.
Neutral white throughout, so a red material renders red. Camera frame, linear RGB.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from tryon.render.lighting import ENV_SIZE, SRGB_TO_LINEAR, SceneLight

# A white diffuse surface facing the camera receives ~0.77 linear (sRGB ~226): bright, but it
# does not merge into a white backdrop; one turned from the key keeps the ambient, 0.25..0.4
# linear from floor to sky (sRGB ~137..170), so shapes read without black sides.
KEY_LEVEL = 0.7
SKY_LEVEL = 0.4
GROUND_LEVEL = 0.25
KEY_DIRECTION = (-0.45, -0.6, -0.65)  # toward the light: left, up (-y), toward the camera (-z)
# Environment bytes (sRGB): softbox overhead, walls at the horizon, floor, vertical strip lights.
SOFTBOX, WALL, FLOOR, STRIP = 250, 150, 95, 235


@lru_cache(maxsize=1)
def studio_light() -> SceneLight:
    """The studio SceneLight (made once; SceneLight is immutable)."""
    environment = _studio_environment()
    mean = SRGB_TO_LINEAR[environment].reshape(-1, 3).mean(axis=0)
    direction = np.array(KEY_DIRECTION) / np.linalg.norm(KEY_DIRECTION)
    return SceneLight(
        sky=(SKY_LEVEL,) * 3,
        ground=(GROUND_LEVEL,) * 3,
        key_direction=(float(direction[0]), float(direction[1]), float(direction[2])),
        key_color=(KEY_LEVEL,) * 3,
        environment=environment,
        environment_mean=(float(mean[0]), float(mean[1]), float(mean[2])),
        environment_gain=1.0,
    )


def _studio_environment() -> np.ndarray:
    """(12, 16, 3) uint8 sRGB, row 0 = up: what reflections show."""
    width, height = ENV_SIZE
    rows = np.interp(np.arange(height), [0, 2, height / 2, height - 1], [SOFTBOX, SOFTBOX, WALL, FLOOR])
    image = np.repeat(rows[:, None], width, axis=1)
    strips = [1, width - 2]
    image[2 : height // 2 + 2, strips] = STRIP
    return np.repeat(np.rint(image)[..., None], 3, axis=2).astype(np.uint8)
