"""Contact shadows: products darken the skin right next to them, softly, more when closer, a
little away from the light, and nowhere else (not off the head, not far from the product)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dataclasses import replace

from render_models import UNLIT_WHITE, item, quad, quad_primitive
from tryon.frames import read_image_file
from tryon.geometry.camera import CameraIntrinsics
from tryon.pipeline import TryOnPipeline
from tryon.products.model import ProductModel
from tryon.products.catalog import resolve_product
from tryon.render.compositor import Compositor, get_compositor
from tryon.render.contact_shadow import OVERHANG_REACH_MM, light_shift_px, pad_below_px, reduction_for
from tryon.render.items import Occluder
from tryon.render.lighting import SRGB_TO_LINEAR, SceneLight
from tryon.render.shadow_caster import build_caster_mesh, opaque_primitives

CAMERA = CameraIntrinsics.from_fov(640, 480)
SKIN = 150  # sRGB byte of a uniform "skin" frame


def wall(z: float, half: float = 120.0) -> Occluder:
    """A head-proxy stand-in: a camera-facing square at depth z (mm), centred on the axis."""
    v = np.array([[-half, -half, z], [half, -half, z], [half, half, z], [-half, half, z]], np.float32)
    return Occluder(v, np.array([[0, 1, 2], [0, 2, 3]], np.uint32))


def light_from(direction: tuple[float, float, float]) -> SceneLight:
    d = np.asarray(direction, np.float64)
    d = d / np.linalg.norm(d)
    grey = np.full((12, 16, 3), 128, np.uint8)
    return SceneLight((0.3, 0.3, 0.3), (0.3, 0.3, 0.3), tuple(d), (0.5, 0.5, 0.5), grey, (0.2, 0.2, 0.2))


def darkening(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(H, W) fraction of linear light taken away (sum over channels; 0 where unchanged, and
    where the pixel was nearly black, too dark to tell)."""
    b = SRGB_TO_LINEAR[before].astype(np.float64).sum(axis=2)
    a = SRGB_TO_LINEAR[after].astype(np.float64).sum(axis=2)
    return np.where(b > 0.02, 1.0 - a / np.maximum(b, 1e-6), 0.0)


@pytest.fixture(scope="module", params=["fxaa", "ssaa", "none"])
def shadowed(request) -> Compositor:
    """Every anti-aliasing mode casts the same shadows."""
    return Compositor(request.param)


@pytest.fixture(scope="module")
def unshadowed(shadowed) -> Compositor:
    """The same anti-aliasing mode without contact shadows: what the product alone changes."""
    return Compositor(shadowed.antialiasing, contact_shadows=False)


@pytest.fixture(scope="module")
def plain_shadowed() -> Compositor:
    return Compositor("none")


def bar_over_wall(compositor: Compositor, gap_mm: float, light: SceneLight | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(frame, render): an unlit 60 x 4 mm bar 500 mm away, `gap_mm` in front of a wall."""
    frame = np.full((480, 640, 3), SKIN, np.uint8)
    bar = item(quad(60.0, 4.0, UNLIT_WHITE), "bar", (0.0, 0.0, 500.0))
    light = light or light_from((0.0, 0.0, -1.0))
    return frame, compositor.render(frame, CAMERA, [bar], [wall(500.0 + gap_mm)], light=light)


def bar_alone(compositor: Compositor) -> np.ndarray:
    """What the bar changes without shadows (anti-aliased edges included), as a mask."""
    frame, out = bar_over_wall(compositor, gap_mm=3.0)
    return (out != frame).any(axis=2)


def rows_beside_bar(out: np.ndarray, frame: np.ndarray) -> tuple[int, int]:
    """First rows above and below the bar (its pixels are white)."""
    rows = np.nonzero((out[:, 320] > 250).all(axis=1))[0]
    return int(rows.min()) - 1, int(rows.max()) + 1


def test_skin_right_beside_a_product_darkens_softly_and_far_away_not_at_all(shadowed, unshadowed):
    frame, out = bar_over_wall(shadowed, gap_mm=3.0)
    product = bar_alone(unshadowed)
    above, below = rows_beside_bar(out, frame)
    loss = darkening(frame, out)
    assert 0.08 < loss[below + 1, 320] < 0.3, "a visible contact shadow next to the bar"
    px_per_mm = CAMERA.fx / 503.0
    fade = [loss[below + int(round(d * px_per_mm)), 320] for d in (0.5, 2.5, 5.0)]
    assert fade[0] > fade[1] > fade[2] >= 0.0, f"soft: it fades over a few mm, got {fade}"
    far = below + int(OVERHANG_REACH_MM * px_per_mm) + 2
    assert np.array_equal(out[far:], frame[far:]), "skin well past the edge keeps its exact bytes"
    assert np.array_equal(out[:above - int(8 * px_per_mm)], frame[:above - int(8 * px_per_mm)])
    assert not (product & (out != frame).any(axis=2) & (loss > 0.3)).any()


def test_a_product_nearer_the_skin_casts_a_stronger_shadow(shadowed, unshadowed):
    frame, close = bar_over_wall(shadowed, gap_mm=2.0)
    _, apart = bar_over_wall(shadowed, gap_mm=12.0)
    _, beyond_reach = bar_over_wall(shadowed, gap_mm=200.0)
    _, below = rows_beside_bar(close, frame)
    near_loss = darkening(frame, close)[below + 1, 320]
    apart_loss = darkening(frame, apart)[below + 1, 320]
    assert near_loss > 1.5 * apart_loss > 0.0
    _, alone = bar_over_wall(unshadowed, gap_mm=200.0)
    assert np.array_equal(beyond_reach, alone), "200 mm off the skin: no shadow"


def square_frame(size: float = 40.0, bar: float = 4.0) -> ProductModel:
    """A square picture frame facing the camera: four unlit bars around a hole (mm)."""
    half = (size - bar) / 2.0
    bars = []
    for name, (w, h, x, y) in {"left": (bar, size, -half, 0.0), "right": (bar, size, half, 0.0),
                               "top": (size, bar, 0.0, half), "bottom": (size, bar, 0.0, -half)}.items():
        p = quad_primitive(w, h, UNLIT_WHITE, name=name)
        bars.append(replace(p, positions=p.positions + np.array([x, y, 0.0], np.float32)))
    return ProductModel(tuple(bars))


def test_the_shadow_falls_on_the_side_away_from_the_key_light(plain_shadowed):
    frame = np.full((480, 640, 3), SKIN, np.uint8)
    placed = item(square_frame(), "square frame", (0.0, 0.0, 500.0))
    from_left = light_from((-0.6, 0.0, -0.8))  # toward the light: image left and the camera
    out = plain_shadowed.render(frame, CAMERA, [placed], [wall(503.0)], light=from_left)
    loss = darkening(frame, out)
    row = 240
    white = np.nonzero((out[row] > 250).all(axis=1))[0]
    left, right = int(white[white < 320].max()) + 2, int(white[white > 320].min()) - 2  # inside the hole
    assert loss[row, left] > loss[row, right] + 0.02, (loss[row, left], loss[row, right])


def test_without_occluders_or_with_shadows_off_nothing_but_the_product_changes(shadowed, unshadowed):
    frame = np.full((480, 640, 3), SKIN, np.uint8)
    bar = item(quad(60.0, 4.0, UNLIT_WHITE), "bar", (0.0, 0.0, 500.0))
    light = light_from((0.0, 0.0, -1.0))
    no_head = shadowed.render(frame, CAMERA, [bar], [], light=light)
    switched_off = unshadowed.render(frame, CAMERA, [bar], [wall(503.0)], light=light)
    alone = unshadowed.render(frame, CAMERA, [bar], [], light=light)
    assert np.array_equal(no_head, alone) and np.array_equal(switched_off, alone)


def test_pixels_off_the_occluder_are_never_darkened(shadowed, unshadowed):
    frame = np.full((480, 640, 3), SKIN, np.uint8)
    bar = item(quad(60.0, 4.0, UNLIT_WHITE), "bar", (0.0, 0.0, 500.0))
    # An occluder covering only the image's left half (camera x < 0), just behind the bar.
    half = Occluder(np.array([[-100, -50, 503], [0, -50, 503], [0, 50, 503], [-100, 50, 503]], np.float32),
                    np.array([[0, 1, 2], [0, 2, 3]], np.uint32))
    light = light_from((0.0, 0.0, -1.0))
    out = shadowed.render(frame, CAMERA, [bar], [half], light=light)
    alone = unshadowed.render(frame, CAMERA, [bar], [half], light=light)
    columns = np.nonzero((out != alone).any(axis=2).any(axis=0))[0]
    # The occluder ends at pixel column 320 (cx); FXAA may soften the shadow's edge there by one.
    assert len(columns) > 0 and columns.max() <= CAMERA.cx + 1.0


# --- On a real face, through the whole pipeline ---------------------------------------------


def try_on(image: np.ndarray, product: str, variant: str, shadows: bool) -> tuple[np.ndarray, list]:
    """The pipeline's picture and the occluders it drew (contact shadows on or off)."""
    compositor = get_compositor()
    drawn: list = []
    original = compositor.render

    def recording(frame, camera, items, occluders, **kwargs):
        drawn.append((camera, list(occluders), items[0].camera_from_model))
        return original(frame, camera, items, occluders, **kwargs)

    compositor.render, compositor.contact_shadows = recording, shadows  # type: ignore[method-assign]
    try:
        with TryOnPipeline(resolve_product(product), variant, mode="photo") as pipe:
            result = pipe.process(image)
    finally:
        del compositor.render
        compositor.contact_shadows = True
    return result.image, drawn


def occluder_mask(camera: CameraIntrinsics, occluders: list[Occluder]) -> np.ndarray:
    """(H, W) bool: pixels the occluders cover, dilated by 4 px: rasterisation edges, and FXAA
    softens any edge, the shadow's at the head's outline too, one pixel either side."""
    mask = np.zeros((camera.height, camera.width), np.uint8)
    for occluder in occluders:
        uv = camera.project(np.asarray(occluder.vertices, np.float64))
        triangles = np.round(uv[np.asarray(occluder.indices).reshape(-1, 3)] * 4).astype(np.int32)
        cv2.fillPoly(mask, list(triangles), 1, shift=2)
    return cv2.dilate(mask, np.ones((9, 9), np.uint8)).astype(bool)


@pytest.mark.parametrize("product, variant", [("rect-metro", "black"), ("sunglasses-shade", "grey"), ("hat-fedora", "camel")])
def test_a_product_on_a_real_face_shades_the_skin_beside_it_and_nothing_else(shared_data, artifacts, product, variant):
    image = read_image_file(shared_data / "faces/obama_official_portrait_frontal.jpg")
    image = cv2.resize(image, (640, int(image.shape[0] * 640 / image.shape[1])), interpolation=cv2.INTER_AREA)
    on, drawn = try_on(image, product, variant, shadows=True)
    off, _ = try_on(image, product, variant, shadows=False)
    camera, occluders, camera_from_product = drawn[0]
    product_px = (off != image).any(axis=2)
    skin = ~product_px
    assert np.array_equal(off[skin], image[skin]), "shadows off: the frame keeps its bytes"

    loss = np.where(skin, darkening(off, on), 0.0)
    # Skin within 2 mm of the product's outline.
    px_per_mm = camera.fx / camera_from_product[2, 3]
    distance = cv2.distanceTransform((~product_px).astype(np.uint8), cv2.DIST_L2, 3)
    beside = skin & (distance <= max(2.0 * px_per_mm, 1.5))
    strong = np.percentile(loss[beside], 95)
    print(f"{product}: 95th percentile darkening beside it {strong:.3f}, max {loss.max():.3f}")
    assert 0.08 < strong < 0.3, f"a visible, never heavy, contact shadow beside the {product}: {strong:.3f}"
    assert loss.max() < 0.4, "never a dark halo"
    far = skin & (distance > 30.0 * px_per_mm)
    assert far.any() and np.array_equal(on[far], off[far]), "skin 30 mm away is untouched"
    # Off the head, and not on a product edge's anti-aliased neighbours (FXAA blends a pixel
    # beside an edge with the pixels across it, which may lie in the shadow).
    near_product = cv2.dilate(product_px.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    off_head = ~occluder_mask(camera, occluders) & ~near_product
    bad = off_head & (on != off).any(axis=2)
    assert not bad.any(), f"the background is untouched: {np.argwhere(bad)[:5].tolist()} {len(np.argwhere(bad))}"
    cv2.imwrite(str(artifacts / f"contact_shadow_{product}.png"), np.hstack([off, on]))


# --- The pure parts -------------------------------------------------------------------------


def test_a_thin_rim_moving_by_fractions_of_a_pixel_keeps_a_steady_shadow(plain_shadowed):
    """Casters are drawn at low resolution; a rim thinner than a texel must not flicker."""
    frame = np.full((480, 640, 3), SKIN, np.uint8)
    light = light_from((0.0, 0.0, -1.0))
    peaks = []
    for step in range(12):  # 0.15 mm (0.17 px) at a time
        rim = item(quad(60.0, 1.5, UNLIT_WHITE), "thin rim", (3.0, step * 0.15, 500.0))
        out = plain_shadowed.render(frame, CAMERA, [rim], [wall(503.0)], light=light)
        loss = darkening(frame, out)
        loss[(out > 250).all(axis=2)] = 0.0
        peaks.append(loss[:, 300:340].max(axis=0).mean())
    assert min(peaks) > 0.05 and max(peaks) - min(peaks) < 0.02, np.round(peaks, 3)


def test_the_caster_stand_in_is_light_and_keeps_the_products_outline():
    from tryon.products.catalog import load_product_model

    model = load_product_model(resolve_product("sunglasses-shade"))
    opaque = opaque_primitives(model, "grey")
    assert 0 < len(opaque) < len(model.primitives), "the tinted lenses cast no shadow"
    positions, indices = build_caster_mesh(model, tuple(range(len(model.primitives))))
    assert len(indices) <= 1000 < sum(len(p.indices) for p in model.primitives)
    original = np.concatenate([p.positions for p in model.primitives])
    assert np.allclose(positions.min(axis=0), original.min(axis=0), atol=1.0)
    assert np.allclose(positions.max(axis=0), original.max(axis=0), atol=1.0)


def test_the_light_shift_points_toward_the_light_and_stays_small():
    dx, dy = light_shift_px((0.0, -0.6, -0.8), focal_px=500.0, depth_mm=500.0)
    assert dx == 0.0 and -1.6 < dy < 0.0  # up, toward the light, at most 1.5 mm (1 px per mm here)
    assert light_shift_px((0.0, 0.0, -1.0), 500.0, 500.0) == (0.0, 0.0)


def test_the_caster_resolution_follows_the_penumbra_and_the_patch_pad_its_reach():
    assert reduction_for(1.0) == 2 and reduction_for(2.2) == 2 and reduction_for(3.2) == 3 and reduction_for(20.0) == 8
    assert reduction_for(2.2, patch_px=336 * 190) == 4  # a hat's large patch: coarser
    assert pad_below_px(focal_px=1000.0, nearest_mm=500.0) > pad_below_px(focal_px=500.0, nearest_mm=500.0) > 0
