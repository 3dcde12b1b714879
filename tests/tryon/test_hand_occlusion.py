"""Hands in front of the face: a thumb held up before a lens is drawn in front of the glasses,
in the server's picture and in the mask sent to pages that draw the product themselves."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from tryon.frames import read_image_file
from tryon.pipeline import TryOnPipeline
from tryon.products.catalog import resolve_product

VIDEO = "video/woman_face_thumbs_up_720p.mp4"
THUMB_FRAME = 100  # the thumb stands still before her right lens (the picture's left) from ~60 on
# Inside the thumb at 640x480 in that frame (read off the picture: the thumb spans x 222-260,
# its tip at y ~162, and the lens ends at y ~233), kept a few pixels in from its edges.
THUMB_INSIDE = (slice(175, 226), slice(232, 251))  # rows, columns
# Her left lens (the picture's right), far from the hand.
OTHER_LENS = (slice(160, 230), slice(330, 420))


def clip_frames(shared_data, count: int) -> list[np.ndarray]:
    """The clip's first `count` frames, centre-cropped to 4:3 and scaled to 640x480 (the bench's
    frames, without its JPEG round trip)."""
    cap = cv2.VideoCapture(str(shared_data / VIDEO))
    frames = []
    while len(frames) < count:
        ok, frame = cap.read()
        assert ok, "the clip ended early"
        h, w = frame.shape[:2]
        crop = int(round(h * 4 / 3))
        x0 = (w - crop) // 2
        frames.append(cv2.resize(frame[:, x0:x0 + crop], (640, 480), interpolation=cv2.INTER_AREA))
    cap.release()
    return frames


@pytest.fixture(scope="module")
def frames(shared_data) -> list[np.ndarray]:
    return clip_frames(shared_data, THUMB_FRAME + 1)


def drawn(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """(H, W) bool: where the product changed the picture."""
    return np.abs(after.astype(int) - before.astype(int)).max(axis=2) > 12


def test_a_thumb_before_a_lens_shows_the_thumb_not_the_glasses_in_video(frames, artifacts):
    product = resolve_product("sunglasses-shade")
    with TryOnPipeline(product, "grey", mode="video") as with_hands, \
            TryOnPipeline(product, "grey", mode="video", hands=False) as without:
        for i, frame in enumerate(frames):
            a = with_hands.process(frame.copy(), i / 25)
            b = without.process(frame.copy(), i / 25)
            time.sleep(0.01)  # a camera's pace: the hand search runs between frames
    frame = frames[-1]
    glasses = drawn(frame, b.image)
    thumb = np.zeros_like(glasses)
    thumb[THUMB_INSIDE] = True
    covered = glasses & thumb
    assert covered.sum() > 0.5 * thumb.sum(), "without hands the lens must be drawn over the thumb"
    cv2.imwrite(str(artifacts / "hands_thumb_before_lens.png"), np.hstack([b.image, a.image]))
    # Where the lens lay over the thumb, the thumb now shows, as filmed.
    assert (~drawn(frame, a.image) & covered).sum() >= 0.97 * covered.sum()
    # The other lens, which no hand covers, is drawn as before.
    other = glasses[OTHER_LENS]
    assert other.mean() > 0.3
    assert (drawn(frame, a.image)[OTHER_LENS] == other).mean() > 0.99
    assert "hands" in a.timings_ms


def test_a_thumb_before_a_lens_wins_in_a_photo_too(frames):
    frame = frames[THUMB_FRAME]
    with TryOnPipeline(resolve_product("rect-metro"), "black", mode="photo") as pipe:
        result = pipe.process(frame)
    with TryOnPipeline(resolve_product("rect-metro"), "black", mode="photo", hands=False) as pipe:
        plain = pipe.process(frame)
    frame_over_thumb = drawn(frame, plain.image)[THUMB_INSIDE]
    assert frame_over_thumb.any(), "the frame's rim crosses the thumb when hands are off"
    assert not drawn(frame, result.image)[THUMB_INSIDE].any()


def test_a_raised_hand_beside_the_face_leaves_the_glasses_whole(shared_data):
    image = read_image_file(shared_data / "faces/hagrid_woman_eyeglasses_hand_raised.jpg")
    with TryOnPipeline(resolve_product("rect-metro"), "black", mode="photo") as pipe:
        result = pipe.process(image)
        assert pipe.hand_tracker.process(image)  # the hand is seen, and hides nothing
    with TryOnPipeline(resolve_product("rect-metro"), "black", mode="photo", hands=False) as pipe:
        plain = pipe.process(image)
    assert drawn(image, plain.image).sum() > 500
    assert np.array_equal(result.image, plain.image)


@pytest.mark.parametrize("photo", ["hand_thumb_up_wrist.jpg", "two_hands_thumbs_up_wrists.jpg",
                                   "hagrid_four_fingers.jpg", "hagrid_rock_gesture.jpg"])
def test_photos_of_hands_alone_come_back_untouched(shared_data, photo):
    image = read_image_file(shared_data / "hands" / photo)
    with TryOnPipeline(resolve_product("rect-metro"), "black", mode="photo") as pipe:
        result = pipe.process(image)
    assert result.faces == ()
    assert result.hand_mask is None
    assert np.array_equal(result.image, image)


def test_pose_mode_sends_a_small_mask_that_covers_the_thumb(frames):
    frame = frames[THUMB_FRAME]
    with TryOnPipeline(resolve_product("rect-metro"), "black", mode="photo", render=False) as pipe:
        result = pipe.process(frame)
    mask = result.hand_mask
    assert mask is not None
    assert len(mask.png) < 2000  # bytes: small beside a ~30 kB JPEG frame
    x0, y0, x1, y1 = mask.box_px
    small = cv2.imdecode(np.frombuffer(mask.png, np.uint8), cv2.IMREAD_GRAYSCALE)
    full = np.zeros(frame.shape[:2], np.uint8)
    full[y0:y1, x0:x1] = cv2.resize(small, (small.shape[1] * 4, small.shape[0] * 4),
                                    interpolation=cv2.INTER_LINEAR)[:y1 - y0, :x1 - x0]
    assert (full[THUMB_INSIDE] > 127).mean() > 0.98
    assert (full[OTHER_LENS] > 127).mean() == 0.0  # the other lens stays visible
