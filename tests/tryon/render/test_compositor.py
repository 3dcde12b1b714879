"""The compositor's visible behaviour: where products land, what hides them, how they blend,
light and texture, and that the camera frame passes through untouched."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from render_models import UNLIT_WHITE, box, facing_camera, item, quad, quad_primitive, yaw
from tryon.geometry.camera import CameraIntrinsics
from tryon.products.model import Material, ProductModel
from tryon.render.compositor import Compositor, get_compositor
from tryon.render.items import Occluder, RenderItem
from tryon.render.lighting import SRGB_TO_LINEAR

CAMERA = CameraIntrinsics.from_fov(640, 480)
GREY = 60


def uniform(value: int | tuple[int, int, int] = GREY, width: int = 640, height: int = 480) -> np.ndarray:
    return np.full((height, width, 3), value, np.uint8)


def noise(width: int = 640, height: int = 480, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(H, W) summed absolute channel difference."""
    return np.abs(a.astype(np.int32) - b.astype(np.int32)).sum(axis=2)


def centroid(weights: np.ndarray) -> np.ndarray:
    """Weighted centre in pixel coordinates (pixel i covers [i, i + 1))."""
    ys, xs = np.nonzero(weights)
    w = weights[ys, xs].astype(np.float64)
    return np.array([((xs + 0.5) * w).sum() / w.sum(), ((ys + 0.5) * w).sum() / w.sum()])


def occluder_square(centre_xy: tuple[float, float], z: float, half: float) -> Occluder:
    """A camera-frame square facing the camera (mm)."""
    x, y = centre_xy
    vertices = np.array([[x - half, y - half, z], [x + half, y - half, z], [x + half, y + half, z],
                         [x - half, y + half, z]], np.float32)
    return Occluder(vertices, np.array([[0, 1, 2], [0, 2, 3]], np.uint32))


@pytest.fixture(scope="module", params=["fxaa", "ssaa", "none"])
def compositor(request) -> Compositor:
    """Every anti-aliasing mode must keep the guarantees below."""
    return Compositor(request.param)


@pytest.fixture(scope="module")
def plain() -> Compositor:
    return Compositor("none")


def test_a_product_point_lands_on_the_pixel_camera_project_predicts(compositor):
    camera = CameraIntrinsics(fx=600.0, fy=630.0, cx=331.3, cy=228.7, width=640, height=480)
    frame = uniform()
    dot = quad(5.0, 5.0, UNLIT_WHITE)
    for position in [(40.0, -30.0, 400.0), (-120.0, 80.0, 700.0), (0.0, 0.0, 300.0), (150.0, 100.0, 2500.0)]:
        out = compositor.render(frame, camera, [item(dot, "dot", position)], [])
        found = centroid(difference(out, frame))
        expected = camera.project(np.array([position]))[0]
        assert np.hypot(*(found - expected)) < 1.0, f"{position}: drawn at {found}, projected at {expected}"


def test_with_no_items_the_frame_passes_through_unchanged(compositor):
    frame = noise(seed=1)
    out = compositor.render(frame, CAMERA, [], [occluder_square((0.0, 0.0), 400.0, 50.0)])
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert np.array_equal(out, frame)
    assert out is not frame


def test_an_occluder_in_front_hides_the_product_and_leaves_the_frame_bit_exact(compositor):
    frame = noise(seed=2)
    product = item(box(40.0, Material(base_color=(0.9, 0.2, 0.2, 1.0))), "red box", (0.0, 0.0, 500.0), rotation=yaw(30))
    shown = compositor.render(frame, CAMERA, [product], [])
    hidden = compositor.render(frame, CAMERA, [product], [occluder_square((0.0, 0.0), 450.0, 60.0)])
    assert (difference(shown, frame) > 0).sum() > 500
    assert np.array_equal(hidden, frame)


def test_an_occluder_behind_the_product_does_not_hide_it(compositor):
    frame = uniform()
    product = item(box(40.0, Material(base_color=(0.9, 0.2, 0.2, 1.0))), "red box", (0.0, 0.0, 500.0), rotation=yaw(30))
    alone = compositor.render(frame, CAMERA, [product], [])
    with_occluder = compositor.render(frame, CAMERA, [product], [occluder_square((0.0, 0.0), 560.0, 60.0)])
    assert np.array_equal(alone, with_occluder)


def test_an_occluder_covering_half_the_product_cuts_it_at_the_occluder_edge(plain):
    frame = uniform()
    product = item(quad(80.0, 40.0, UNLIT_WHITE), "bar", (0.0, 0.0, 500.0))
    # Covers camera x > 0 (the right half of the image) in front of the bar.
    occluder = Occluder(np.array([[0, -50, 450], [100, -50, 450], [100, 50, 450], [0, 50, 450]], np.float32),
                        np.array([[0, 1, 2], [0, 2, 3]], np.uint32))
    out = plain.render(frame, CAMERA, [product], [occluder])
    changed = difference(out, frame) > 0
    columns = np.nonzero(changed.any(axis=0))[0]
    assert columns.min() < 300 and abs(columns.max() - CAMERA.cx) <= 1.0


def test_the_top_image_row_stays_on_top(compositor):
    frame = uniform((0, 0, 255))  # red top half (BGR) ...
    frame[240:] = (255, 0, 0)  # ... blue bottom half
    product = item(quad(20.0, 20.0, UNLIT_WHITE), "high", (0.0, -150.0, 500.0))  # above the optical axis
    out = compositor.render(frame, CAMERA, [product], [])
    rows = np.nonzero(difference(out, frame).any(axis=1))[0]
    expected_row = CAMERA.project(np.array([[0.0, -150.0, 500.0]]))[0, 1]
    assert rows.max() < 240 and abs(rows.mean() + 0.5 - expected_row) < 1.0
    assert np.array_equal(out[:rows.min()], frame[:rows.min()])
    assert np.array_equal(out[rows.max() + 1:], frame[rows.max() + 1:])


def test_a_tinted_lens_shows_the_background_through_its_tint(plain):
    lens = quad(60.0, 40.0, Material(base_color=(1.0, 0.0, 0.0, 0.5), roughness=1.0, alpha_mode="BLEND"))
    placed = item(lens, "lens", (0.0, 0.0, 500.0))
    green, dark = uniform((0, 200, 0)), uniform((0, 40, 0))
    through_green = plain.render(green, CAMERA, [placed], [])[240, 320].astype(int)
    through_dark = plain.render(dark, CAMERA, [placed], [])[240, 320].astype(int)
    b, g, r = through_green
    assert r > 60, "the tint shows"
    assert 40 < g < 200, "the background shows, dimmed"
    # See-through, in linear light: alpha 0.5 passes half of a background change.
    passed = (SRGB_TO_LINEAR[g] - SRGB_TO_LINEAR[through_dark[1]]) / (SRGB_TO_LINEAR[200] - SRGB_TO_LINEAR[40])
    assert 0.45 <= passed <= 0.55


def glass(tint: tuple[float, float, float], transmission: float = 1.0) -> Material:
    return Material("glass", base_color=(*tint, 1.0), roughness=0.05, transmission=transmission)


@pytest.mark.parametrize("skin", [(90, 120, 170), (150, 170, 210), (40, 60, 100)])
def test_a_clear_glass_lens_leaves_the_eyes_behind_it_as_they_are(compositor, skin):
    """Clear glass passes ~96% head-on: no fog, no grey film, only faint reflections."""
    frame = uniform(skin)
    out = compositor.render(frame, CAMERA, [item(quad(60.0, 40.0, glass((1.0, 1.0, 1.0))), "clear", (0.0, 0.0, 500.0))], [])
    before, after = frame[230:250, 310:330].astype(float), out[230:250, 310:330].astype(float)
    passed = SRGB_TO_LINEAR[out[230:250, 310:330]].mean() / SRGB_TO_LINEAR[frame[230:250, 310:330]].mean()
    assert 0.9 <= passed <= 1.1, f"{passed:.2f} of the light behind came through"
    # hue kept: each channel keeps its share of the light
    assert np.abs((after - before).mean(axis=(0, 1))).max() <= 12


def test_tinted_glass_multiplies_the_light_behind_it_by_its_colour(plain):
    """A G-15 style green lens passes green light and little red: over white the lens turns
    green, over black it stays dark (the tint is absorption, not a painted film)."""
    lens = item(quad(60.0, 40.0, glass((0.10, 0.30, 0.08))), "green glass", (0.0, 0.0, 500.0))
    over_white = plain.render(uniform((255, 255, 255)), CAMERA, [lens], [])[240, 320].astype(int)
    over_black = plain.render(uniform((0, 0, 0)), CAMERA, [lens], [])[240, 320].astype(int)
    b, g, r = over_white
    assert g > r + 40 and g > b + 40, f"white through green glass came out {over_white.tolist()} (BGR)"
    passed = SRGB_TO_LINEAR[g]
    assert 0.25 <= passed <= 0.35, f"the green channel passed {passed:.2f}, its tint is 0.30"
    assert over_black.max() <= 40, "over black only the reflections show"


def test_glass_hides_what_is_behind_it_in_proportion_to_its_transmission(plain):
    frame = uniform((200, 200, 200))
    seen = []
    for transmission in (1.0, 0.5, 0.0):
        lens = item(quad(60.0, 40.0, glass((1.0, 1.0, 1.0), transmission)), f"glass {transmission}", (0.0, 0.0, 500.0))
        seen.append(plain.render(frame, CAMERA, [lens], [])[240, 320].astype(int))
    checker = noise()
    under = [plain.render(checker, CAMERA, [item(quad(60.0, 40.0, glass((1.0, 1.0, 1.0), t)), f"glass {t}",
                                                 (0.0, 0.0, 500.0))], [])[230:250, 310:330].std() for t in (1.0, 0.5, 0.0)]
    assert under[0] > under[1] > under[2], f"texture behind the lens: {under}"
    assert under[2] < 0.1 * under[0], "no transmission: an opaque white surface"


@pytest.mark.parametrize("background", [(200, 210, 235), (245, 245, 245)])
def test_a_clear_lens_over_a_bright_background_stays_clear(plain, background):
    """Clear glass reflects ~4% per surface and a 12% white tint adds little light to a bright
    background: the lens must not turn it milky white (adding reflections to sRGB bytes took
    (200, 210, 235) to (251, 255, 255))."""
    clear = Material("clear", base_color=(0.9047, 0.9387, 0.9734, 0.12), roughness=0.05, alpha_mode="BLEND")
    frame = uniform(background)
    out = plain.render(frame, CAMERA, [item(quad(60.0, 40.0, clear), "clear lens", (0.0, 0.0, 500.0))], [])
    change = out[230:250, 310:330].astype(int) - frame[230:250, 310:330].astype(int)
    assert np.abs(change).max() <= 16, f"the lens changed the background by up to {np.abs(change).max()}"


def test_blend_primitives_are_drawn_back_to_front(plain):
    near = quad_primitive(60.0, 60.0, Material(base_color=(1.0, 0.0, 0.0, 0.6), roughness=1.0, alpha_mode="BLEND"),
                          z=20.0, name="near red")
    far = quad_primitive(60.0, 60.0, Material(base_color=(0.0, 0.0, 1.0, 0.6), roughness=1.0, alpha_mode="BLEND"),
                         z=-20.0, name="far blue")
    model = ProductModel((near, far))  # listed near first: the compositor must sort them
    b, _, r = plain.render(uniform(), CAMERA, [item(model, "two lenses", (0.0, 0.0, 500.0))], [])[240, 320].astype(int)
    assert r > b + 40


def test_two_variants_render_different_pixels_from_the_same_geometry(compositor):
    red = Material("red", base_color=(0.9, 0.1, 0.1, 1.0))
    blue = Material("blue", base_color=(0.1, 0.1, 0.9, 1.0))
    base = box(40.0, red)
    model = ProductModel(base.primitives, variant_materials={"red": (red,), "blue": (blue,)})
    frame = uniform()
    as_red = compositor.render(frame, CAMERA, [item(model, "variants", (0.0, 0.0, 500.0), "red", yaw(20))], [])
    vbo = compositor.models.get("variants", model).primitives[0].levels[0].vbo
    as_blue = compositor.render(frame, CAMERA, [item(model, "variants", (0.0, 0.0, 500.0), "blue", yaw(20))], [])
    assert compositor.models.get("variants", model).primitives[0].levels[0].vbo is vbo, "geometry was uploaded again"
    b_red, _, r_red = as_red[240, 320].astype(int)
    b_blue, _, r_blue = as_blue[240, 320].astype(int)
    assert r_red > b_red + 50 and b_blue > r_blue + 50


def test_mask_materials_discard_texels_below_the_cutoff(plain):
    texture = np.full((8, 8, 4), 255, np.uint8)
    texture[:, :4, 3] = 0  # left half transparent
    cutout = Material(base_color=(1.0, 1.0, 1.0, 1.0), base_color_texture=texture, alpha_mode="MASK",
                      alpha_cutoff=0.5, roughness=1.0)
    frame = uniform()
    out = plain.render(frame, CAMERA, [item(quad(80.0, 40.0, cutout), "cutout", (0.0, 0.0, 500.0))], [])
    changed = difference(out, frame) > 0
    left, right = changed[225:255, 282:316], changed[225:255, 324:358]  # quad: columns ~276-364
    assert not left.any() and right.all()


def test_products_are_lit_even_in_a_black_frame(compositor):
    frame = uniform(0)
    grey_box = box(50.0, Material(base_color=(0.5, 0.5, 0.5, 1.0), roughness=0.7))
    out = compositor.render(frame, CAMERA, [item(grey_box, "grey box", (0.0, 0.0, 400.0), rotation=yaw(35))], [])
    product = out[difference(out, frame) > 0]
    assert len(product) > 1000
    assert product.mean() > 60, f"mean {product.mean():.0f}: the light floor did not hold"
    assert np.percentile(product.mean(axis=1), 5) > 15, "faces turned from the key light went black"


def test_a_texture_shows_its_top_half_on_the_top_of_the_mesh(compositor):
    texture = np.zeros((16, 16, 4), np.uint8)
    texture[:, :, 3] = 255
    texture[:8, :, 0] = 255  # rows 0-7 (v in 0..0.5): red
    texture[8:, :, 2] = 255  # rows 8-15: blue
    textured = Material(base_color=(1.0, 1.0, 1.0, 1.0), base_color_texture=texture, roughness=1.0)
    out = compositor.render(uniform(), CAMERA, [item(quad(60.0, 60.0, textured), "two tone", (0.0, 0.0, 500.0))], [])
    top = out[215:236, 300:340].astype(int)  # the quad spans rows ~207-273, centre row 240
    bottom = out[245:266, 300:340].astype(int)
    assert (top[:, :, 2] > top[:, :, 0] + 60).all(), "top should be red"
    assert (bottom[:, :, 0] > bottom[:, :, 2] + 60).all(), "bottom should be blue"
    # ... and u runs left to right: a left-red/right-blue texture keeps its sides.
    texture = np.zeros((16, 16, 4), np.uint8)
    texture[:, :, 3] = 255
    texture[:, :8, 0] = 255
    texture[:, 8:, 2] = 255
    sides = Material(base_color=(1.0, 1.0, 1.0, 1.0), base_color_texture=texture, roughness=1.0)
    out = compositor.render(uniform(), CAMERA, [item(quad(60.0, 60.0, sides), "sides", (0.0, 0.0, 500.0))], [])
    assert out[240, 300, 2] > out[240, 300, 0] + 60 and out[240, 340, 0] > out[240, 340, 2] + 60


def test_frames_of_different_sizes_in_a_row_render_in_the_right_place(compositor):
    dot = quad(6.0, 6.0, UNLIT_WHITE)
    position = (30.0, 20.0, 450.0)
    for width, height in [(640, 480), (320, 240), (1280, 720), (641, 359), (640, 480)]:
        camera = CameraIntrinsics.from_fov(width, height)
        frame = uniform(width=width, height=height)
        out = compositor.render(frame, camera, [item(dot, "dot", position)], [])
        assert out.shape == frame.shape
        found = centroid(difference(out, frame))
        assert np.hypot(*(found - camera.project(np.array([position]))[0])) < 1.0, f"{width}x{height}"


def test_a_large_product_close_to_the_camera_grows_the_targets(compositor):
    frame = uniform()
    near = item(quad(240.0, 180.0, UNLIT_WHITE), "big", (0.0, 0.0, 250.0))  # ~530 x 400 px
    out = compositor.render(frame, CAMERA, [near], [])
    changed = difference(out, frame) > 0
    assert changed.mean() > 0.6
    rows, cols = np.nonzero(changed.any(axis=1))[0], np.nonzero(changed.any(axis=0))[0]
    assert compositor.targets.capacity[0] >= cols.max() - cols.min()
    assert compositor.targets.capacity[1] >= rows.max() - rows.min()


def test_products_behind_the_camera_or_out_of_view_leave_the_frame_unchanged(compositor):
    frame = noise(seed=3)
    behind = item(box(40.0, Material()), "box", (0.0, 0.0, -500.0))
    aside = item(box(40.0, Material()), "box", (3000.0, 0.0, 500.0))
    assert np.array_equal(compositor.render(frame, CAMERA, [behind, aside], []), frame)


def test_a_product_straddling_the_near_plane_still_renders(plain):
    frame = uniform()
    long_bar = item(box(20.0, UNLIT_WHITE), "bar", (0.0, 0.0, 40.0), rotation=yaw(80))
    out = plain.render(frame, CAMERA, [long_bar], [])
    assert out.shape == frame.shape and (difference(out, frame) > 0).any()


def test_single_sided_back_faces_are_culled_and_double_sided_ones_drawn(plain):
    frame = uniform()
    one_sided = quad(40.0, 40.0, Material(base_color=(0.9, 0.9, 0.9, 1.0)))
    two_sided = quad(40.0, 40.0, Material(base_color=(0.9, 0.9, 0.9, 1.0), double_sided=True))
    turned = yaw(180)
    assert (difference(plain.render(frame, CAMERA, [item(one_sided, "front", (0, 0, 500))], []), frame) > 0).sum() > 500
    assert np.array_equal(plain.render(frame, CAMERA, [item(one_sided, "back", (0, 0, 500), rotation=turned)], []), frame)
    seen_from_behind = plain.render(frame, CAMERA, [item(two_sided, "two", (0, 0, 500), rotation=turned)], [])
    assert (difference(seen_from_behind, frame) > 0).sum() > 500
    assert seen_from_behind[240, 320].mean() > 100, "the back face should be lit like a front face"


def test_a_mirroring_transform_keeps_front_faces_visible(plain):
    frame = uniform()
    mirrored = facing_camera((0.0, 0.0, 500.0))
    mirrored[:3, 0] *= -1.0  # flip the product's x axis: determinant < 0, winding reversed
    model = quad(40.0, 40.0, Material(base_color=(0.9, 0.9, 0.9, 1.0)))
    out = plain.render(frame, CAMERA, [RenderItem(model, "mirrored", None, mirrored)], [])
    assert (difference(out, frame) > 0).sum() > 500


def test_fxaa_softens_a_slanted_edge_and_touches_nothing_far_from_it():
    frame = uniform()
    roll = np.array([[np.cos(0.3), -np.sin(0.3), 0.0], [np.sin(0.3), np.cos(0.3), 0.0], [0.0, 0.0, 1.0]])
    slanted = item(quad(60.0, 60.0, UNLIT_WHITE), "slanted", (0.0, 0.0, 500.0), rotation=roll)
    hard = Compositor("none").render(frame, CAMERA, [slanted], [])
    soft = Compositor("fxaa").render(frame, CAMERA, [slanted], [])

    def partial(image: np.ndarray) -> int:
        grey = image[:, :, 1].astype(int)
        return int(((grey > GREY + 10) & (grey < 245)).sum())

    assert partial(soft) > partial(hard) + 50
    touched = difference(soft, frame) > 0
    drawn = difference(hard, frame) > 0
    grown = drawn.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            grown |= np.roll(np.roll(drawn, dy, axis=0), dx, axis=1)
    assert not (touched & ~grown).any(), "FXAA changed frame pixels away from the product"


def test_fxaa_without_undecoded_srgb_reads_gives_the_same_pixels(monkeypatch):
    """Where the driver cannot skip sRGB decoding, FXAA reads a byte copy of the scene instead."""
    import tryon.render.antialias as antialias

    frame = noise()
    roll = np.array([[np.cos(0.3), -np.sin(0.3), 0.0], [np.sin(0.3), np.cos(0.3), 0.0], [0.0, 0.0, 1.0]])
    lens = Material(base_color=(0.2, 0.3, 0.9, 0.5), roughness=0.2, alpha_mode="BLEND")
    scene = [item(box(40.0, Material(base_color=(0.8, 0.5, 0.2, 1.0))), "aa box", (0.0, 0.0, 500.0), rotation=roll),
             item(quad(70.0, 30.0, lens), "aa lens", (0.0, 10.0, 450.0), rotation=roll)]
    reading_bytes = Compositor("fxaa")
    assert reading_bytes.targets._resolve is not None and reading_bytes.targets._resolve.reads_bytes
    monkeypatch.setattr(antialias, "byte_sampler", lambda ctx, filter_: None)
    copying = Compositor("fxaa")
    assert copying.targets._resolve is not None and not copying.targets._resolve.reads_bytes
    assert np.array_equal(reading_bytes.render(frame, CAMERA, scene, []), copying.render(frame, CAMERA, scene, []))


def test_rendering_from_worker_threads_matches_the_calling_thread():
    compositor = get_compositor()
    frame = uniform()
    product = item(box(40.0, Material(base_color=(0.2, 0.7, 0.3, 1.0))), "thread box", (0.0, 0.0, 500.0), rotation=yaw(25))
    here = compositor.render(frame, CAMERA, [product], [])
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: compositor.render(frame, CAMERA, [product], []), range(6)))
    for other in results:
        assert np.array_equal(other, here)


def test_get_compositor_returns_one_instance_per_process():
    assert get_compositor() is get_compositor()


def test_a_frame_and_camera_of_different_sizes_are_refused(plain):
    with pytest.raises(ValueError, match="scaled_to"):
        plain.render(uniform(width=320, height=240), CAMERA, [], [])
    with pytest.raises(ValueError, match="BGR"):
        plain.render(np.zeros((480, 640), np.uint8), CAMERA, [], [])


def _tilted_normal_map(x: float, y: float) -> np.ndarray:
    n = np.array([x, y, 1.0])
    n /= np.linalg.norm(n)
    texture = np.zeros((8, 8, 4), np.uint8)
    texture[:, :, :3] = np.rint((n * 0.5 + 0.5) * 255).astype(np.uint8)
    texture[:, :, 3] = 255
    return texture


@pytest.mark.parametrize("bright_side", ["left", "top"])
def test_normal_maps_tilt_the_surface_toward_the_light(plain, bright_side):
    frame = uniform(20)
    if bright_side == "left":
        frame[:, :320] = 230  # key light from the image's left (-x)
        toward, away = _tilted_normal_map(-0.8, 0.0), _tilted_normal_map(0.8, 0.0)  # +X along +u (right)
    else:
        frame[:240] = 230  # key light from above
        toward, away = _tilted_normal_map(0.0, 0.8), _tilted_normal_map(0.0, -0.8)  # +Y toward the image top
    lit = []
    for normals in (toward, away):
        material = Material(base_color=(0.8, 0.8, 0.8, 1.0), roughness=0.9, normal_texture=normals)
        out = plain.render(frame, CAMERA, [item(quad(40.0, 40.0, material), f"bumpy {bright_side}", (0, 0, 400))], [])
        lit.append(out[225:255, 305:335].astype(float).mean())
    assert lit[0] > lit[1] + 15, f"facing the light {lit[0]:.0f}, facing away {lit[1]:.0f}"


def test_rendering_in_place_draws_into_the_callers_frame_and_the_default_leaves_it_alone(plain):
    box_item = item(box(40.0, Material(base_color=(0.8, 0.2, 0.2, 1.0))), "in place box", (0.0, 0.0, 500.0))
    frame = uniform()
    copy = plain.render(frame, CAMERA, [box_item], [])
    assert copy is not frame and np.all(frame == GREY), "the input frame was changed"
    drawn = plain.render(frame, CAMERA, [box_item], [], in_place=True)
    assert drawn is frame and np.array_equal(drawn, copy)
    read_only = uniform()
    read_only.flags.writeable = False
    assert plain.render(read_only, CAMERA, [box_item], [], in_place=True) is not read_only


def test_handing_draws_to_the_rasteriser_early_changes_no_pixel(monkeypatch):
    """Flushing after the occluder and heavy draws (software GL) only changes when work runs."""
    from tryon.render import compositor as compositor_module

    heavy = box(40.0, Material(base_color=(0.3, 0.6, 0.9, 1.0)))
    lens = quad(70.0, 30.0, Material(base_color=(0.2, 0.3, 0.9, 0.5), roughness=0.2, alpha_mode="BLEND"))
    scene = [item(heavy, "flush box", (0.0, 0.0, 500.0), rotation=yaw(25)), item(lens, "flush lens", (0.0, 5.0, 450.0))]
    head = [occluder_square((10.0, 0.0), 520.0, 30.0)]
    frame = noise(seed=3)
    flushing, waiting = Compositor("fxaa"), Compositor("fxaa")
    waiting._flush = None
    monkeypatch.setattr(compositor_module, "FLUSH_AFTER_TRIANGLES", 1)  # every draw hands over
    assert np.array_equal(flushing.render(frame, CAMERA, scene, head), waiting.render(frame, CAMERA, scene, head))
