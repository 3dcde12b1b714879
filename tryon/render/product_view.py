"""Product pictures without a face: a view from any angle, a turntable, over a colour or
transparent, through the same compositor (and shaders) as live try-on.

- Framing: view_framing.py (bounding sphere, so a turntable never changes size).
- Light: studio_light.py, the same whatever the background (the live path's estimate from the
  frame would wash a product out on white and floor it on black).
- Background colour: the compositor draws over a plain frame of that colour, as live.
- Transparent: one pass over black (Compositor.render_coverage). The framebuffer's alpha
  already holds how much background shows through each pixel, so colour and coverage come back
  together; straight_alpha.py turns them into the alpha that browsers (which composite on sRGB
  bytes) need to show this render over white and over black (exactly where a pixel is neutral:
  grey edges, clear glass). Rendering over black and over white and comparing would give about
  the same for twice the GL time (512 px sunglasses: ~19.5 ms for the pass and the conversion,
  ~17 ms for a view on white).
- Anti-aliasing: 2x2 supersampling, which averages alpha with colour (FXAA, the live choice
  on llvmpipe, keeps each pixel's alpha and so leaves transparent edges jagged); it costs ~35%
  more than FXAA here (512 px sunglasses on 2-core llvmpipe: p50 ~17 ms against ~13 ms).

Thread safety: pictures have their own Compositor (its targets and GPU model cache are not the
live sessions', so a catalog sweep never evicts a model a session is drawing), made once under
a lock; every GL call inside it takes the process's GL lock (context.py), so any number of
threads may call render_view while sessions render.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass

import cv2
import numpy as np

from tryon.errors import InvalidViewRequest
from tryon.products.model import ProductModel
from tryon.render.compositor import Compositor
from tryon.render.items import RenderItem
from tryon.render.media_encoding import encode_animated_webp, encode_image, encode_mp4
from tryon.render.straight_alpha import straight_rgba
from tryon.render.studio_light import studio_light
from tryon.render.view_framing import BoundingSphere, bounding_sphere, camera_from_model, view_camera

__all__ = [
    "ViewRequest",
    "render_view",
    "turntable",
    "encode_image",
    "encode_animated_webp",
    "encode_mp4",
    "parse_background",
    "MIN_SIDE_PX",
    "MAX_SIDE_PX",
    "MAX_FRAMES",
]

MIN_SIDE_PX, MAX_SIDE_PX = 16, 2048
MAX_FRAMES = 120  # 5 s at 24 fps; a 384 px turn of 120 frames takes a few seconds on llvmpipe
TRANSPARENT = "transparent"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class ViewRequest:
    """What picture to make. yaw_deg: about the product's vertical axis toward its +X side (0:
    the front, +Z, faces the camera); pitch_deg: camera elevation above the horizontal, -90..90;
    width, height: 16..2048 px; background: "#rrggbb" or "transparent"; variant: a
    KHR_materials_variants name, or None for the default materials."""

    yaw_deg: float = 30.0
    pitch_deg: float = 10.0
    width: int = 512
    height: int = 512
    background: str = "#ffffff"
    variant: str | None = None


def render_view(model: ProductModel, model_key: str, request: ViewRequest) -> np.ndarray:
    """(H, W, 4) uint8 RGBA (sRGB, straight alpha), the product centred and framed to fill ~80%
    of the shorter side, whatever its size in mm (a 6 cm earring and a 2 m sofa both fill the view).

    model_key names the model in the GPU cache (same key, same model object). Raises
    InvalidViewRequest for a bad size or colour, UnknownVariant for a variant the model lacks.
    """
    background = _checked(model, request)
    return _render(model, model_key, request, bounding_sphere(model), request.yaw_deg, background)


def turntable(model: ProductModel, model_key: str, request: ViewRequest, frames: int = 36) -> list[np.ndarray]:
    """One full turn, yaw from request.yaw_deg in `frames` equal steps (1..120); the same framing
    for every frame (the bounding sphere does not turn), so the product never changes size."""
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or not 1 <= frames <= MAX_FRAMES:
        raise InvalidViewRequest(f"a turntable has 1 to {MAX_FRAMES} frames, got {frames!r}")
    background = _checked(model, request)
    sphere = bounding_sphere(model)
    step = 360.0 / frames
    return [_render(model, model_key, request, sphere, request.yaw_deg + i * step, background) for i in range(frames)]


def parse_background(background: str) -> tuple[int, int, int] | None:
    """"#rrggbb" -> (r, g, b) bytes; "transparent" -> None."""
    if background == TRANSPARENT:
        return None
    if not isinstance(background, str) or _COLOUR.fullmatch(background) is None:
        raise InvalidViewRequest(f'background must be "#rrggbb" (e.g. "#ffffff") or "transparent", got {background!r}')
    return int(background[1:3], 16), int(background[3:5], 16), int(background[5:7], 16)


def _checked(model: ProductModel, request: ViewRequest) -> tuple[int, int, int] | None:
    """Validate the request (and that the model has its variant); the background colour."""
    for name in ("width", "height"):
        side = getattr(request, name)
        if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or not MIN_SIDE_PX <= side <= MAX_SIDE_PX:
            raise InvalidViewRequest(f"{name} must be a whole number of pixels from {MIN_SIDE_PX} to {MAX_SIDE_PX}, "
                                     f"got {side!r}")
    if not math.isfinite(request.yaw_deg):
        raise InvalidViewRequest(f"yaw_deg must be a finite angle, got {request.yaw_deg!r}")
    if not -90.0 <= request.pitch_deg <= 90.0:
        raise InvalidViewRequest(f"pitch_deg must be from -90 to 90 degrees, got {request.pitch_deg!r}")
    background = parse_background(request.background)
    model.materials_for(request.variant)  # raises UnknownVariant naming the model's variants
    return background


def _render(model: ProductModel, model_key: str, request: ViewRequest, sphere: BoundingSphere, yaw_deg: float,
            background: tuple[int, int, int] | None) -> np.ndarray:
    camera = view_camera(request.width, request.height)
    item = RenderItem(model, model_key, request.variant, camera_from_model(sphere, yaw_deg, request.pitch_deg))
    compositor = _compositor()
    if background is None:
        return straight_rgba(compositor.render_coverage(camera, [item], studio_light()))
    r, g, b = background
    frame = np.empty((request.height, request.width, 3), np.uint8)
    frame[:] = np.tile(np.array([b, g, r], np.uint8), (request.width, 1))  # a row at a time: 50x faster than a pixel
    drawn = compositor.render(frame, camera, [item], [], in_place=True, light=studio_light())
    return cv2.cvtColor(drawn, cv2.COLOR_BGR2RGBA)  # alpha 255


_instance: Compositor | None = None
_instance_lock = threading.Lock()


def _compositor() -> Compositor:
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = Compositor(antialiasing="ssaa")
        return _instance
