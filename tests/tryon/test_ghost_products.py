"""No ghost products: a product appears only on a face seen steadily, fades in, and fades out in
place when the face goes; clips with no face, or only a profile, never get one."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest

from tryon.frames import read_image_file
from tryon.pipeline import FrameResult, TryOnPipeline
from tryon.products.catalog import resolve_product
from tryon.tracking.presence_gate import ACQUIRE_FRAMES, MAX_STEP

FPS = 30.0


def pan_zoom(image: np.ndarray, frames: int, zoom: tuple[float, float], pan: tuple[float, float] = (0.0, 1.0),
             size: tuple[int, int] = (640, 480)) -> Iterator[np.ndarray]:
    """A slow camera move over a still picture, undistorted: the crop (the output's aspect ratio)
    zooms from zoom[0] to zoom[1] (1 = the largest crop that fits) while sliding across it from
    pan[0] to pan[1] (0 = left edge, 1 = right)."""
    h, w = image.shape[:2]
    aspect = size[1] / size[0]
    full_w = min(w, h / aspect)
    for i in range(frames):
        a = i / max(frames - 1, 1)
        z = zoom[0] + (zoom[1] - zoom[0]) * a
        cw = full_w / z
        ch = cw * aspect
        x0 = (w - cw) * (pan[0] + (pan[1] - pan[0]) * a)
        y0 = (h - ch) * 0.5
        sx, sy = size[0] / cw, size[1] / ch
        m = np.array([[sx, 0.0, -x0 * sx], [0.0, sy, -y0 * sy]])
        yield cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def run_clip(frames, product: str = "sunglasses-shade", max_faces: int = 2) -> list[tuple[np.ndarray, FrameResult]]:
    with TryOnPipeline(resolve_product(product), mode="video", max_faces=max_faces) as pipe:
        return [(frame, pipe.process(frame, i / FPS)) for i, frame in enumerate(frames)]


def drawn(result: FrameResult) -> bool:
    return any(f.placements and f.opacity > 0 for f in result.faces)


def assert_never_drawn(clip: list[tuple[np.ndarray, FrameResult]]) -> None:
    for i, (frame, result) in enumerate(clip):
        assert not drawn(result), f"frame {i}: a product was placed on {[f.tracking for f in result.faces]}"
        assert np.array_equal(result.image, frame), f"frame {i}: pixels changed with no face"


@pytest.fixture(scope="module")
def no_face_clip(shared_data) -> list[np.ndarray]:
    """Hands and a wall, no face: an open palm (the hand crop of hagrid_four_fingers, the man's
    face cut away), two thumbs up, and the kitchen wall behind the man, each a slow pan/zoom."""
    palm = read_image_file(shared_data / "hands/hagrid_four_fingers.jpg")[:, :300]
    thumbs = read_image_file(shared_data / "hands/two_hands_thumbs_up_wrists.jpg")
    wall = read_image_file(shared_data / "hands/hagrid_four_fingers.jpg")[:, :190]
    frames = [*pan_zoom(palm, 30, (1.0, 1.6)), *pan_zoom(thumbs, 30, (1.6, 1.0)), *pan_zoom(wall, 20, (1.0, 1.3))]
    return frames


def test_a_clip_of_hands_and_a_wall_never_shows_a_product(no_face_clip):
    assert len(no_face_clip) >= 60
    assert_never_drawn(run_clip(no_face_clip))


def test_a_profile_that_the_face_mesh_tracks_never_gets_glasses(shared_data):
    """The face mesh does fit the cameraman's turned face on every frame of this clip; no frame
    may draw a product on it."""
    profile = read_image_file(shared_data / "faces/cameraman_profile_grayscale.png")
    clip = run_clip(pan_zoom(profile, 60, (1.5, 1.0)), "rect-metro")
    assert sum(len(r.faces) for _, r in clip) >= 30, "the mesh no longer tracks the profile: the test proves nothing"
    assert_never_drawn(clip)
    notes = {n for _, r in clip for f in r.faces for n in f.notes}
    assert any("turned" in n or "lopsided" in n for n in notes)


def opacity_runs(clip: list[tuple[np.ndarray, FrameResult]]) -> dict[int, list[float]]:
    """Per face id, the product opacity on every frame of the clip (0 where not drawn)."""
    ids = {f.face_id for _, r in clip for f in r.faces}
    runs = {}
    for face_id in ids:
        series = []
        for _, result in clip:
            face = next((f for f in result.faces if f.face_id == face_id), None)
            series.append(face.opacity if face is not None and face.placements else 0.0)
        runs[face_id] = series
    return runs


def test_children_leaving_the_picture_never_pop_in_or_out(shared_data):
    """A zoom that pushes one child's face out of the picture, half-seen on the way: every face's
    product only ever changes opacity in steps, and never shows on a face seen for one frame."""
    children = read_image_file(shared_data / "faces/two_children_frontal_multiface.jpeg")
    clip = run_clip(pan_zoom(children, 90, (1.0, 2.5)), "rect-metro")
    runs = opacity_runs(clip)
    assert len(runs) >= 2
    for face_id, series in runs.items():
        steps = np.abs(np.diff([0.0, *series, 0.0]))
        assert steps.max() <= MAX_STEP + 1e-6, f"face {face_id} popped: {np.round(series, 2).tolist()}"
        first_seen = next(i for i, (_, r) in enumerate(clip) if any(f.face_id == face_id for f in r.faces))
        shown = [i for i, o in enumerate(series) if o > 0]
        if shown:
            assert shown[0] >= first_seen + ACQUIRE_FRAMES - 1


def test_a_face_that_walks_in_is_dressed_after_the_gating_frames_fades_in_and_fades_out_in_place(shared_data):
    portrait = read_image_file(shared_data / "faces/obama_official_portrait_frontal.jpg")
    wall = np.ascontiguousarray(portrait[:60, :80])  # the plain backdrop above his head
    empty = [cv2.resize(wall, (640, 480))] * 10
    face = list(pan_zoom(portrait[:720], 20, (1.0, 1.05), (0.5, 0.52)))  # head and shoulders
    clip = run_clip([*empty, *face, *empty])
    states = [[(f.tracking, round(f.opacity, 2)) for f in r.faces] for _, r in clip]
    results = [r for _, r in clip]

    for i in range(10, 10 + ACQUIRE_FRAMES - 1):  # seen, not yet trusted: nothing drawn
        assert states[i] == [("acquiring", 0.0)] and np.array_equal(results[i].image, clip[i][0])
    opacities = [results[i].faces[0].opacity for i in range(12, 30)]
    assert 0.0 < opacities[0] < 0.5, "the first drawn frame is faint"
    assert all(b >= a for a, b in zip(opacities, opacities[1:])) and opacities[5] == 1.0
    tracked = results[29].faces[0]

    fading = [r.faces[0] for r in results[30:] if r.faces]
    assert len(fading) >= 3, "the product vanished in fewer than three frames"
    assert all(f.tracking == "fading" and f.notes == ("face lost",) for f in fading)
    assert all(b.opacity < a.opacity for a, b in zip(fading, fading[1:]))
    # the last placement stays still while it fades, and is still drawn
    assert all(np.allclose(f.placements[0], tracked.placements[0]) for f in fading if f.placements)
    assert not np.array_equal(results[30].image, clip[30][0])
    assert results[-1].faces == () and np.array_equal(results[-1].image, clip[-1][0])


def test_photo_mode_says_why_a_face_too_small_to_trust_is_not_dressed(shared_data):
    image = read_image_file(shared_data / "faces/hagrid_man_eyeglasses_phone_gesture.jpg")
    small = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    with TryOnPipeline(resolve_product("rect-metro"), mode="photo") as pipe:
        result = pipe.process(small)
    assert len(result.faces) == 1
    face = result.faces[0]
    assert face.tracking == "rejected" and not face.placements and face.confidence < 0.3
    assert face.skipped and "come closer" in face.skipped
    assert np.array_equal(result.image, small)


def test_photo_mode_draws_a_marginal_face_and_says_it_is_unsure(shared_data):
    image = read_image_file(shared_data / "faces/hagrid_woman_eyeglasses_hand_raised.jpg")
    small = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    with TryOnPipeline(resolve_product("rect-metro"), mode="photo") as pipe:
        face = pipe.process(small).faces[0]
    assert face.placements and face.skipped is None and face.opacity == 1.0
    assert face.notes and 0.3 <= face.confidence < 0.9


def test_a_face_the_tracker_drops_for_one_frame_keeps_one_product_that_dips_and_returns(shared_data):
    portrait = read_image_file(shared_data / "faces/obama_official_portrait_frontal.jpg")
    face = list(pan_zoom(portrait[:720], 30, (1.0, 1.04), (0.5, 0.51)))
    face[15] = np.full_like(face[15], 128)  # one grey frame: the track is lost and found again
    clip = run_clip(face)
    for i, (_, result) in enumerate(clip):
        assert sum(1 for f in result.faces if f.placements and f.opacity > 0) <= 1, f"frame {i}: two copies"
    opacity = [max((f.opacity for f in r.faces if f.placements), default=0.0) for _, r in clip]
    assert opacity[14] == 1.0 and 0.5 < opacity[15] < 1.0  # lost: the product dips, in place
    assert opacity[16] > opacity[15] and opacity[18] == 1.0  # found: it comes back, no new wait
