"""Scene light estimated from the camera frame, cheaply (~0.1 ms at 640x480 or 1280x720).

Products lit by a fixed light look pasted on; products lit by nothing come out black (a bug
reported in a peer). So the light follows the frame (ambient from its upper and lower parts,
a key light from its brighter side, a tiny blurred copy of it for reflections) but never
drops below a floor. Colours are linear RGB; directions are in the camera frame (OpenCV axes:
x right, y down, z forward).

Works on a 64x48 point sample with single-threaded OpenCV calls: NumPy reductions on tiny
arrays cost tens of microseconds each, and OpenCV's GaussianBlur hands even a 16x12 image to its
thread pool, whose threads then spin and take a core from the software rasteriser on small
machines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

ENV_SIZE = (16, 12)  # environment thumbnail (width, height): 4:3, 40x smaller than 640x480
_SAMPLES_PER_CELL = 4  # per axis: a 64x48 point sample, averaged down to the thumbnail

# A camera auto-exposes so that a mid-grey scene averages ~0.18 linear; at that brightness a
# white lambertian surface facing the key light receives KEY_LEVEL + AMBIENT_LEVEL ~ 0.8 and
# renders close to the frame's own whites.
MID_GREY = 0.18
KEY_LEVEL = 0.5
AMBIENT_LEVEL = 0.3
# Light gain relative to a mid-grey frame. The floor keeps products visible in a black frame
# (a 0.8 grey surface facing the light still renders at ~sRGB 150/255); the ceiling keeps
# them from clipping in an over-exposed one.
GAIN_FLOOR = 0.45
GAIN_CEILING = 1.6
ENV_MIN_MEAN = 0.04  # floor for the reflections' mean luminance (linear)
ENV_MAX_GAIN = 8.0  # ... reached by amplifying a dark frame at most this much
# Light sources are near white even when the frame's average colour is not (a blue wall): keep
# only part of the frame's tint in the light colours.
KEY_TINT = 0.3
AMBIENT_TINT = 0.5
# The key light sits on the camera's side of the face, a little above; a brightness imbalance
# across the frame swings it toward the brighter side (up to 45 degrees).
KEY_BIAS_UP = 0.35
KEY_SWING = 2.5
SKY_GROUND_MAX_RATIO = 2.0

SRGB_TO_LINEAR = np.array(
    [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in np.arange(256) / 255.0],
    dtype=np.float32,
)
_LUMA_BGR = np.array([0.0722, 0.7152, 0.2126], dtype=np.float32)  # Rec. 709 weights, BGR order
_BLUR_KERNEL = np.array([0.25, 0.5, 0.25], dtype=np.float32)
_COLUMN_X = np.linspace(-1.0, 1.0, ENV_SIZE[0] * 2 + 1, dtype=np.float32)[1::2]  # sums to 0
_ROW_Y = np.linspace(-1.0, 1.0, ENV_SIZE[1] * 2 + 1, dtype=np.float32)[1::2]

Rgb = tuple[float, float, float]


@dataclass(frozen=True, eq=False)
class SceneLight:
    """Light for one frame: linear RGB radiance, camera-frame directions.

    sky / ground: ambient arriving from above (-y) / below (+y).
    key_direction: unit vector from the surface toward the key light.
    key_color: the key light's colour times intensity.
    environment: (12, 16, 3) uint8 sRGB RGB, row 0 = top of the frame, blurred: what
    reflections show, looked up by the reflection vector.
    environment_mean: the environment's mean (linear RGB), what very rough surfaces reflect.
    environment_gain: linear multiplier for both (> 1 lifts a dark frame to the floor).
    """

    sky: Rgb
    ground: Rgb
    key_direction: Rgb
    key_color: Rgb
    environment: np.ndarray = field(repr=False)
    environment_mean: Rgb
    environment_gain: float = 1.0


def estimate_scene_light(frame_bgr: np.ndarray) -> SceneLight:
    """Estimate the light in a BGR uint8 (H, W, 3) frame; see the module docstring for the model."""
    if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3 or frame_bgr.dtype != np.uint8:
        raise ValueError(f"expected a (H, W, 3) uint8 BGR frame, got {frame_bgr.shape} {frame_bgr.dtype}")
    thumb = frame_thumbnail(frame_bgr)
    linear = SRGB_TO_LINEAR[thumb]  # (12, 16, 3) float32 linear BGR
    half = ENV_SIZE[1] // 2
    upper = _mean_rgb(linear[:half])
    lower = _mean_rgb(linear[half:])
    mean = [(u + v) / 2.0 for u, v in zip(upper, lower)]
    mean_luma = _luma(mean)
    gain = min(max(math.sqrt(mean_luma / MID_GREY), GAIN_FLOOR), GAIN_CEILING)

    # Sky vs ground keeps the frame's top/bottom imbalance, limited to 2:1 either way.
    ratio = (_luma(upper) + 1e-4) / (_luma(lower) + 1e-4)
    balance = math.sqrt(min(max(ratio, 1.0 / SKY_GROUND_MAX_RATIO), SKY_GROUND_MAX_RATIO))
    ambient = AMBIENT_LEVEL * gain
    sky = _scaled(_tinted(upper, AMBIENT_TINT), ambient * balance)
    ground = _scaled(_tinted(lower, AMBIENT_TINT), ambient / balance)

    # Key light toward the brighter side: the luminance-weighted mean position in the frame.
    luma = linear @ _LUMA_BGR
    total = float(luma.sum()) + 1e-6
    dx = _clamp(KEY_SWING * float(luma.sum(axis=0) @ _COLUMN_X) / total, -1.0, 1.0)
    dy = _clamp(KEY_SWING * float(luma.sum(axis=1) @ _ROW_Y) / total, -1.0, 1.0)
    direction = (dx, dy - KEY_BIAS_UP, -1.0)
    norm = math.sqrt(sum(c * c for c in direction))
    key = _scaled(_tinted(mean, KEY_TINT), KEY_LEVEL * gain)

    blurred = cv2.sepFilter2D(thumb, -1, _BLUR_KERNEL, _BLUR_KERNEL, borderType=cv2.BORDER_REPLICATE)
    return SceneLight(
        sky=sky,
        ground=ground,
        key_direction=(direction[0] / norm, direction[1] / norm, direction[2] / norm),
        key_color=key,
        environment=cv2.cvtColor(blurred, cv2.COLOR_BGR2RGB),
        environment_mean=(mean[0], mean[1], mean[2]),
        environment_gain=min(max(1.0, ENV_MIN_MEAN / (mean_luma + 1e-6)), ENV_MAX_GAIN),
    )


def frame_thumbnail(frame_bgr: np.ndarray) -> np.ndarray:
    """(12, 16, 3) uint8 BGR thumbnail: 4x4 block means of a 64x48 grid of point samples."""
    grid = (ENV_SIZE[0] * _SAMPLES_PER_CELL, ENV_SIZE[1] * _SAMPLES_PER_CELL)
    samples = cv2.resize(frame_bgr, grid, interpolation=cv2.INTER_NEAREST)
    return cv2.resize(samples, ENV_SIZE, interpolation=cv2.INTER_AREA)


def _mean_rgb(linear_bgr: np.ndarray) -> list[float]:
    b, g, r, _ = cv2.mean(linear_bgr)
    return [r, g, b]


def _luma(rgb: list[float] | Rgb) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def _tinted(rgb: list[float], tint: float) -> Rgb:
    """White mixed with `tint` of the colour's chromaticity, at luminance 1."""
    luma = _luma(rgb)
    chroma = [c / luma for c in rgb] if luma > 1e-5 else [1.0, 1.0, 1.0]
    mixed = [(1.0 - tint) + tint * c for c in chroma]
    scale = 1.0 / _luma(mixed)
    return (mixed[0] * scale, mixed[1] * scale, mixed[2] * scale)


def _scaled(rgb: Rgb, factor: float) -> Rgb:
    return (rgb[0] * factor, rgb[1] * factor, rgb[2] * factor)


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
