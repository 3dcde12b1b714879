"""Product pictures without a face, through the live renderer: every real model framed in the
middle of the picture from any angle, studio-lit in its true colours, its variants told apart,
a real transparent background, turntables that turn without changing size, and concurrent
callers that get the same pixels as one at a time. Writes test-artifacts/product_views.png."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from render_models import box, item
from tryon.errors import UnknownVariant
from tryon.geometry.camera import CameraIntrinsics
from tryon.products.load import load_model
from tryon.products.model import Material, ProductModel
from tryon.render.compositor import get_compositor
from tryon.render.product_view import ViewRequest, render_view, turntable

REPO_ROOT = Path(__file__).resolve().parents[3]
REAL_MODELS = {
    "sunglasses": ("models3d/sunglasses_khronos/SunglassesKhronos.glb", "sunglasses"),
    "shoe": ("models3d/materials_variants_shoe/MaterialsVariantsShoe.glb", "other"),
    "thug-life glasses": ("models3d/glasses_thuglife_mindar/scene.gltf", "glasses"),
    "clown hat": ("models3d/hat_clown_mindar/scene.gltf", "hat"),
    "jade earring": ("models3d/earring_jade_mindar/scene.gltf", "earrings"),
    "draco box": ("models3d/box_draco/Box.gltf", "other"),
    "round-classic (demo)": (REPO_ROOT / "assets/products/round-classic.glb", "glasses"),
}
ANGLES = [(0.0, 0.0), (30.0, 10.0), (135.0, 25.0), (270.0, -15.0)]
SIZE = 160
RED = Material("red", base_color=(0.8, 0.03, 0.03, 1.0), roughness=0.6)
GREY = Material("grey", base_color=(0.5, 0.5, 0.5, 1.0), roughness=0.6)


@pytest.fixture(scope="module")
def models(shared_data):
    """Name -> (model key, ProductModel), each file loaded once for the module."""

    @cache
    def load(name: str) -> tuple[str, ProductModel]:
        path, category = REAL_MODELS[name]
        return name, load_model(shared_data / path, category)

    return load


@pytest.fixture(scope="module")
def contact_sheet(artifacts):
    """Rows of renders the tests add to; saved when the module is done, for a person to look at."""
    rows: list[np.ndarray] = []
    yield rows
    if rows:
        checker = (((np.indices((SIZE, SIZE)).sum(axis=0) // 8) % 2) * 60 + 160).astype(np.float32)[..., None]
        flat = []
        for row in rows:
            alpha = row[..., 3:4] / np.float32(255.0)
            tiled = np.tile(checker, (1, row.shape[1] // SIZE, 3))
            flat.append((row[..., :3] * alpha + tiled * (1.0 - alpha)).round().astype(np.uint8))
        Image.fromarray(np.vstack(flat)).save(artifacts / "product_views.png")


def covered(rgba: np.ndarray, background: tuple[int, int, int] | None) -> np.ndarray:
    """(H, W) bool: pixels the product changed (alpha > 0 on a transparent picture)."""
    if background is None:
        return rgba[..., 3] > 0
    return np.abs(rgba[..., :3].astype(np.int32) - np.array(background)).sum(axis=2) > 6


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def assert_framed(rgba: np.ndarray, background: tuple[int, int, int] | None, what: str) -> None:
    """Drawn, inside the frame with a margin, around the middle, and not lost in a corner."""
    height, width = rgba.shape[:2]
    mask = covered(rgba, background)
    assert mask.mean() > 0.01, f"{what}: only {mask.mean():.1%} of the picture drawn"
    x0, y0, x1, y1 = bounding_box(mask)
    margin = 0.09 * min(width, height)  # the bounding sphere spans 80%: 10% each side
    assert x0 >= margin and y0 >= margin and x1 <= width - margin and y1 <= height - margin, f"{what}: box {x0, y0, x1, y1}"
    assert max(x1 - x0, y1 - y0) > 0.4 * min(width, height), f"{what}: box {x0, y0, x1, y1} is small"
    ys, xs = np.nonzero(mask)
    centroid = np.array([xs.mean() + 0.5, ys.mean() + 0.5])
    offset = np.abs(centroid - [width / 2, height / 2]) / [width, height]
    assert (offset < 0.15).all(), f"{what}: coverage centred at {centroid}"


@pytest.mark.parametrize("name", list(REAL_MODELS))
def test_every_real_model_is_drawn_in_the_middle_of_the_picture_from_any_angle(name, models, contact_sheet):
    key, model = models(name)
    row = []
    for index, (yaw, pitch) in enumerate(ANGLES):
        background = "transparent" if index % 2 else "#ffffff"
        rgba = render_view(model, key, ViewRequest(yaw, pitch, SIZE, SIZE, background))
        assert rgba.shape == (SIZE, SIZE, 4) and rgba.dtype == np.uint8
        assert_framed(rgba, None if index % 2 else (255, 255, 255), f"{name} at yaw {yaw}, pitch {pitch}")
        row.append(rgba)
    contact_sheet.append(np.hstack(row))


def test_a_non_square_picture_centres_the_product_and_fits_the_shorter_side(models):
    key, model = models("shoe")
    rgba = render_view(model, key, ViewRequest(30.0, 10.0, 256, 144, "#ffffff"))
    assert rgba.shape == (144, 256, 4)
    assert_framed(rgba, (255, 255, 255), "shoe 256x144")


def test_a_red_material_comes_out_red_on_any_background():
    red_box = box(40.0, RED)
    for background in ("#ffffff", "#000000", "#00ff00", "transparent"):
        rgba = render_view(red_box, "red box", ViewRequest(20.0, 15.0, 128, 128, background))
        r, g, b, a = (int(c) for c in rgba[64, 64])
        assert a == 255 and r > 140 and g < 60 and b < 60, f"on {background}: {r, g, b, a}"


def test_the_studio_light_is_the_same_on_every_background_and_neither_clips_nor_darkens():
    grey_box = box(40.0, GREY)
    pictures = {background: render_view(grey_box, "grey box", ViewRequest(30.0, 20.0, 128, 128, background))
                for background in ("#ffffff", "#000000", "transparent")}
    opaque = pictures["transparent"][..., 3] == 255
    assert opaque.mean() > 0.2
    for background, rgba in pictures.items():
        assert np.array_equal(rgba[opaque], pictures["transparent"][opaque]), f"light changed on {background}"
    faces = pictures["#ffffff"][opaque][:, :3].astype(int)
    # A mid-grey (0.5 linear) box: lit faces well above black, none clipped to the backdrop's white.
    assert 90 < faces.mean() < 220 and faces.max() < 250, f"grey faces {faces.min()}..{faces.max()}, mean {faces.mean()}"


def test_a_six_centimetre_and_a_two_metre_product_make_the_same_picture():
    small = render_view(box(60.0, RED), "60 mm box", ViewRequest(30.0, 10.0, 128, 128))
    large = render_view(box(2000.0, RED), "2 m box", ViewRequest(30.0, 10.0, 128, 128))
    difference = np.abs(small.astype(int) - large.astype(int))
    assert difference.max() <= 2, f"differ by up to {difference.max()}"


def test_the_three_shoe_variants_give_different_pictures(models):
    key, shoe = models("shoe")
    variants = list(shoe.variant_materials)
    assert len(variants) == 3
    pictures = [render_view(shoe, key, ViewRequest(30.0, 10.0, 128, 128, variant=v)) for v in variants]
    for i in range(3):
        for j in range(i + 1, 3):
            mean_difference = np.abs(pictures[i].astype(int) - pictures[j].astype(int)).mean()
            assert mean_difference > 2.0, f"{variants[i]} and {variants[j]} differ by {mean_difference:.2f} on average"
    with pytest.raises(UnknownVariant, match=variants[0]):
        render_view(shoe, key, ViewRequest(variant="tartan"))


def test_a_transparent_background_is_empty_round_the_product_and_see_through_in_clear_lenses(models):
    key, sunglasses = models("sunglasses")
    rgba = render_view(sunglasses, key, ViewRequest(0.0, 0.0, 192, 192, "transparent"))
    corners = rgba[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners == 0).all()
    assert (rgba[..., 3] == 255).sum() > 200, "the thin metal frame is opaque"
    key, clear = models("round-classic (demo)")
    rgba = render_view(clear, key, ViewRequest(0.0, 0.0, 192, 192, "transparent"))
    alpha = rgba[..., 3]
    lenses = (alpha > 0) & (alpha < 128)
    assert lenses.sum() > 0.5 * (alpha > 0).sum(), "most of round glasses seen head-on is clear lens"
    assert (alpha == 255).sum() > 300, "the frame is opaque"


def test_a_transparent_picture_composited_like_a_browser_does_matches_the_picture_on_white_and_on_black(models):
    key, model = models("round-classic (demo)")  # thin anti-aliased frame and clear lenses
    clear = render_view(model, key, ViewRequest(30.0, 10.0, 160, 160, "transparent")).astype(np.float32)
    alpha = clear[..., 3:4] / 255.0
    for background, value in (("#ffffff", 255.0), ("#000000", 0.0)):
        opaque = render_view(model, key, ViewRequest(30.0, 10.0, 160, 160, background)).astype(np.float32)
        composited = clear[..., :3] * alpha + value * (1.0 - alpha)  # on sRGB bytes, as browsers do
        difference = np.abs(composited - opaque[..., :3])
        assert difference.mean() < 0.2 and difference.max() <= 4.0, (
            f"on {background}: mean {difference.mean():.2f}, max {difference.max():.1f}")


def test_a_turntable_turns_in_equal_steps_without_changing_size(models):
    key, shoe = models("shoe")
    request = ViewRequest(15.0, 0.0, 128, 128, "#ffffff")
    frames = turntable(shoe, key, request, frames=8)
    assert len(frames) == 8
    for index, frame in enumerate(frames):
        assert np.array_equal(frame, render_view(shoe, key, ViewRequest(15.0 + 45.0 * index, 0.0, 128, 128)))
        assert not np.array_equal(frame, frames[index - 1])
    # Seen level, the shoe's height on screen hardly depends on where it points (perspective
    # only); framing each frame by its own outline would zoom in ~2x on the end-on views.
    heights = []
    for frame in frames:
        _, y0, _, y1 = bounding_box(covered(frame, (255, 255, 255)))
        heights.append(y1 - y0)
    assert max(heights) < 1.2 * min(heights), f"heights {heights}"


def test_concurrent_pictures_and_live_frames_get_the_same_pixels_as_one_at_a_time(models):
    key, sunglasses = models("sunglasses")
    requests = [ViewRequest(yaw, 10.0, 128, 128, background)
                for yaw in (0.0, 60.0, 120.0) for background in ("#ffffff", "transparent")]
    alone = [render_view(sunglasses, key, r) for r in requests]
    camera = CameraIntrinsics.from_fov(320, 240)
    frame = np.full((240, 320, 3), 90, np.uint8)
    live_item = item(box(30.0, RED), "live box", (0.0, 0.0, 300.0))
    live_alone = get_compositor().render(frame, camera, [live_item], [])

    def live(_: int) -> np.ndarray:
        return get_compositor().render(frame, camera, [live_item], [])

    with ThreadPoolExecutor(6) as pool:
        views = [pool.submit(render_view, sunglasses, key, r) for r in requests * 3]
        frames = [pool.submit(live, i) for i in range(12)]
        for index, future in enumerate(views):
            assert np.array_equal(future.result(), alone[index % len(requests)])
        for future in frames:
            assert np.array_equal(future.result(), live_alone)
