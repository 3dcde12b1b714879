"""The whole engine on real photos: every face dressed, where a shopper would look for it."""

import cv2
import numpy as np
import pytest

from tryon.frames import read_image_file
from tryon.pipeline import TryOnPipeline
from tryon.products.catalog import resolve_product

PEOPLE = [
    "obama_official_portrait_frontal.jpg",
    "biden_standing_upper_body.jpg",
    "astronaut_eileen_collins_frontal.png",
    "hagrid_man_closeup_thumb_down.jpg",
    "hagrid_woman_eyeglasses_hand_raised.jpg",  # already wears glasses
    "hagrid_man_eyeglasses_phone_gesture.jpg",  # already wears glasses, small face
    "obama_partial_face_cropped.jpg",  # half the picture cut away, both eyes still in
]


def changed_near_eyes(before: np.ndarray, after: np.ndarray, anchor: tuple[float, float], radius: int) -> float:
    x, y = int(anchor[0]), int(anchor[1])
    window = (slice(max(y - radius // 2, 0), y + radius // 2), slice(max(x - radius, 0), x + radius))
    diff = np.abs(after[window].astype(int) - before[window].astype(int)).max(axis=2)
    return float((diff > 30).mean())


@pytest.mark.parametrize("photo", PEOPLE)
def test_glasses_are_drawn_over_the_eyes_of_every_adult(shared_data, photo):
    image = read_image_file(shared_data / "faces" / photo)
    with TryOnPipeline(resolve_product("rect-metro"), "black", mode="photo") as pipe:
        result = pipe.process(image)
        lm = pipe.tracker.process(image)[0].landmarks
    assert len(result.faces) == 1
    face = result.faces[0]
    assert face.skipped is None and len(face.anchors_px) == 1
    pupils_mid = (lm[468, :2] + lm[473, :2]) / 2
    ipd_px = np.linalg.norm(lm[468, :2] - lm[473, :2])
    # the bridge sits on the nose between the pupils, within a tenth of their distance of the
    # pupils' midpoint or of the nose bridge (which a turned face shows to one side of it)
    anchor = np.array(face.anchors_px[0])
    assert min(np.linalg.norm(anchor - pupils_mid), np.linalg.norm(anchor - lm[168, :2])) < 0.1 * ipd_px
    radius = max(int(ipd_px), 12)
    assert changed_near_eyes(image, result.image, face.anchors_px[0], radius) > 0.05
    untouched = result.image[-20:, :20]
    assert np.array_equal(untouched, image[-20:, :20])  # far from the face nothing changes


def test_both_children_get_sunglasses_whose_tinted_lenses_hide_their_eyes(shared_data):
    image = read_image_file(shared_data / "faces/two_children_frontal_multiface.jpeg")
    with TryOnPipeline(resolve_product("sunglasses-shade"), "grey", mode="photo", max_faces=4) as pipe:
        result = pipe.process(image)
        faces = pipe.tracker.process(image)
    assert len(result.faces) == 2 and all(f.anchors_px for f in result.faces)
    for face in faces:
        lm = face.raw_landmarks
        ipd = np.linalg.norm(lm[468, :2] - lm[473, :2])
        for pupil in (468, 473):
            x, y = lm[pupil, :2].astype(int)

            def window(img: np.ndarray, fraction: float) -> np.ndarray:
                r = int(fraction * ipd)
                return img[y - r:y + r, x - r:x + r].astype(float)

            # The grey tint darkens the eye area (skin, sclera, iris) ...
            assert window(result.image, 0.35).mean() < 0.85 * window(image, 0.35).mean()
            # ... and hides the eye itself: what shows is mostly the lens and its reflections.
            # (In linear light a dark pupil behind a glossy dark lens barely gets darker.)
            assert window(result.image, 0.2).std() < 0.5 * window(image, 0.2).std()


def test_variants_change_the_pixels_of_the_product(shared_data):
    image = read_image_file(shared_data / "faces/obama_official_portrait_frontal.jpg")
    outputs = {}
    for variant in ("black", "tortoise", "gold"):
        with TryOnPipeline(resolve_product("round-classic"), variant, mode="photo") as pipe:
            outputs[variant] = pipe.process(image).image
    assert np.abs(outputs["black"].astype(int) - outputs["gold"].astype(int)).max() > 60
    assert np.abs(outputs["black"].astype(int) - outputs["tortoise"].astype(int)).max() > 60


def test_a_hat_covers_the_top_of_the_head(shared_data):
    image = read_image_file(shared_data / "faces/hagrid_man_closeup_thumb_down.jpg")
    with TryOnPipeline(resolve_product("hat-fedora"), "navy", mode="photo") as pipe:
        result = pipe.process(image)
        top = pipe.tracker.process(image)[0].raw_landmarks[10, :2]
    x, y = int(top[0]), int(top[1])
    above = (slice(max(y - 40, 0), y - 10), slice(x - 20, x + 20))
    assert np.abs(result.image[above].astype(int) - image[above].astype(int)).max(axis=2).mean() > 30


def test_grayscale_photos_are_dressed_too(shared_data):
    gray = cv2.cvtColor(read_image_file(shared_data / "faces/obama_official_portrait_frontal.jpg"), cv2.COLOR_BGR2GRAY)
    image = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    with TryOnPipeline(resolve_product("cateye-luna"), "rose", mode="photo") as pipe:
        result = pipe.process(image)
    assert result.faces and result.faces[0].anchors_px


def test_a_video_stream_keeps_one_face_id_and_reports_timings(shared_data):
    cap = cv2.VideoCapture(str(shared_data / "video/woman_face_thumbs_up_720p.mp4"))
    ids, timings = set(), []
    with TryOnPipeline(resolve_product("sunglasses-shade"), mode="video") as pipe:
        for i in range(20):
            ok, frame = cap.read()
            assert ok
            result = pipe.process(frame, i / 25)
            ids |= {f.face_id for f in result.faces}
            timings.append(result.timings_ms)
    assert ids == {0}
    assert set(timings[-1]) == {"track", "hands", "pose", "temples", "render"}  # temples: glasses only
    assert 0.0 < timings[-1]["temples"] < timings[-1]["pose"]


def test_switching_to_an_unknown_variant_is_refused_and_keeps_the_current_one(shared_data):
    from tryon.errors import UnknownVariant

    with TryOnPipeline(resolve_product("round-classic"), "gold", mode="photo") as pipe:
        with pytest.raises(UnknownVariant, match="purple"):
            pipe.set_product(resolve_product("round-classic"), "purple")
        assert pipe.variant == "gold"
