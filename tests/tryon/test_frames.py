import cv2
import numpy as np
import pytest

from tryon.errors import ImageTooLarge, UnreadableImage
from tryon.frames import decode_image, encode_image, read_image_file


def _jpeg(shape=(64, 48, 3)) -> bytes:
    return encode_image(np.full(shape, 128, np.uint8), ".jpg")


def test_a_real_photo_decodes_to_bgr(shared_data):
    frame = read_image_file(shared_data / "faces/obama_official_portrait_frontal.jpg")
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3


def test_grayscale_photo_becomes_three_channels(shared_data):
    frame = read_image_file(shared_data / "faces/cameraman_profile_grayscale.png")
    assert frame.shape[2] == 3
    assert np.array_equal(frame[:, :, 0], frame[:, :, 2])


def test_rgba_is_composited_over_white():
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[:, :16, 3] = 255  # left half opaque black, right half transparent
    ok, png = cv2.imencode(".png", rgba)
    frame = decode_image(png.tobytes())
    assert frame[0, 0].tolist() == [0, 0, 0] and frame[0, 31].tolist() == [255, 255, 255]


def test_empty_bytes_are_refused_clearly():
    with pytest.raises(UnreadableImage, match="empty"):
        decode_image(b"")


def test_truncated_jpeg_is_refused(shared_data):
    data = (shared_data / "faces/obama_official_portrait_frontal.jpg").read_bytes()
    with pytest.raises(UnreadableImage, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_random_bytes_are_not_an_image():
    with pytest.raises(UnreadableImage):
        decode_image(np.random.default_rng(1).bytes(5000))


def test_oversized_dimensions_are_refused_before_decoding():
    ok, png = cv2.imencode(".png", np.zeros((9000, 20, 1), np.uint8))
    with pytest.raises(ImageTooLarge, match="9000"):
        decode_image(png.tobytes())


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(UnreadableImage, match="no such file"):
        read_image_file(tmp_path / "nope.jpg")


def test_encode_round_trip_keeps_size():
    assert decode_image(_jpeg()).shape == (64, 48, 3)
