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


def test_a_jpeg_decodes_to_the_same_pixels_as_opencv(shared_data):
    data = (shared_data / "faces/hagrid_man_closeup_thumb_down.jpg").read_bytes()
    reference = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    decoded = decode_image(data)
    assert decoded.shape == reference.shape and decoded.flags.c_contiguous
    assert np.abs(decoded.astype(int) - reference.astype(int)).max() <= 1


def test_a_grayscale_jpeg_becomes_three_equal_channels():
    ok, jpeg = cv2.imencode(".jpg", np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1)))
    frame = decode_image(jpeg.tobytes())
    assert frame.shape == (48, 64, 3)
    assert np.array_equal(frame[:, :, 0], frame[:, :, 1]) and np.array_equal(frame[:, :, 1], frame[:, :, 2])


def test_a_cmyk_jpeg_is_still_decoded():
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(buffer, "JPEG")  # pure red in CMYK
    frame = decode_image(buffer.getvalue())
    assert frame.shape == (30, 40, 3)


def test_a_jpeg_with_a_damaged_body_is_refused_clearly():
    data = bytearray(_jpeg((120, 160, 3)))
    data[400:600] = b"\xff" * 200  # markers where entropy-coded data should be
    with pytest.raises(UnreadableImage):
        decode_image(bytes(data))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_phone_photo_stored_sideways_comes_out_upright(shared_data, fmt):
    from io import BytesIO

    from PIL import Image

    upright_photo = read_image_file(shared_data / "faces/hagrid_man_closeup_thumb_down.jpg")
    stored = cv2.rotate(upright_photo, cv2.ROTATE_90_COUNTERCLOCKWISE)  # how a phone stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    buffer = BytesIO()
    Image.fromarray(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB)).save(buffer, fmt, exif=exif.tobytes(), quality=95)
    decoded = decode_image(buffer.getvalue())
    assert decoded.shape == upright_photo.shape
    assert np.abs(decoded.astype(int) - upright_photo.astype(int)).mean() < 4  # the same picture, re-encoded


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_undone_as_pillow_does(orientation):
    from PIL import Image, ImageOps

    from tryon.frames import upright

    image = np.random.default_rng(orientation).integers(0, 255, (5, 7, 3), dtype=np.uint8)
    pil = Image.fromarray(image)
    exif = pil.getexif()
    exif[0x0112] = orientation
    pil.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(pil))
    assert np.array_equal(upright(image, orientation), expected)
