"""A photo's camera from its EXIF: JPEGs made in memory from shared photos, EXIF set by Pillow."""

import io
import math

import pytest
from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from tryon.frames import decode_image
from tryon.geometry.camera import CameraIntrinsics
from tryon.geometry.photo_camera import photo_camera

EXIF_IFD, ORIENTATION = 0x8769, 0x0112
FOCAL, FOCAL_35MM = 0x920A, 0xA405
PLANE_X, PLANE_Y, PLANE_UNIT = 0xA20E, 0xA20F, 0xA210
IMAGE_WIDTH, IMAGE_LENGTH = 0x0100, 0x0101


def jpeg_with_exif(shared_data, main: dict | None = None, sub: dict | None = None, size=(384, 512),
                   photo: str = "faces/hagrid_man_closeup_thumb_down.jpg") -> bytes:
    image = Image.open(shared_data / photo).convert("RGB").resize(size)
    exif = Image.Exif()
    for tag, value in (main or {}).items():
        exif[tag] = value
    ifd = exif.get_ifd(EXIF_IFD)
    for tag, value in (sub or {}).items():
        ifd[tag] = value
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def camera_of(data: bytes):
    frame = decode_image(data)
    height, width = frame.shape[:2]
    return photo_camera(data, width, height), frame


def test_a_35mm_equivalent_focal_length_sets_the_view_by_the_diagonal(shared_data):
    camera, _ = camera_of(jpeg_with_exif(shared_data, sub={FOCAL_35MM: 26}))  # a phone's main camera
    assert camera.source == "exif 35mm"
    expected = 26 * math.hypot(384, 512) / 43.27
    k = camera.intrinsics
    assert k.fx == pytest.approx(expected) and k.fy == pytest.approx(expected)
    assert (k.cx, k.cy, k.width, k.height) == (192, 256, 384, 512)
    # 26 mm equivalent is an 80-degree diagonal view: 67 degrees across the long side of a 4:3 frame
    assert camera.fov_deg == pytest.approx(67.3, abs=0.5)


def test_the_35mm_equivalent_wins_over_focal_length_and_sensor(shared_data):
    camera, _ = camera_of(jpeg_with_exif(shared_data, sub={
        FOCAL_35MM: 50, FOCAL: IFDRational(425, 100), PLANE_X: 1000.0, PLANE_Y: 1000.0, PLANE_UNIT: 3}))
    assert camera.source == "exif 35mm"


def test_focal_length_with_the_sensor_pixel_pitch(shared_data):
    # a 4.25 mm lens over 10 um pixels (1000 per cm): a 425 px focal length
    camera, _ = camera_of(jpeg_with_exif(shared_data, sub={
        FOCAL: IFDRational(425, 100), PLANE_X: 1000.0, PLANE_Y: 1000.0, PLANE_UNIT: 3}))
    assert camera.source == "exif focal+sensor"
    assert camera.intrinsics.fx == pytest.approx(425.0) and camera.intrinsics.fy == pytest.approx(425.0)


def test_a_picture_scaled_down_after_capture_scales_the_sensor_resolution(shared_data):
    # An editor scaled a 768x1024 capture to 384x512 and kept its focal-plane resolution.
    camera, _ = camera_of(jpeg_with_exif(shared_data, main={IMAGE_WIDTH: 768, IMAGE_LENGTH: 1024}, sub={
        FOCAL: 4.0, PLANE_X: 200.0, PLANE_Y: 200.0, PLANE_UNIT: 4}))
    assert camera.source == "exif focal+sensor"
    assert camera.intrinsics.fx == pytest.approx(4.0 * 200.0 / 2)
    assert "scaled" in camera.note


def test_a_rotated_photo_swaps_the_sensor_axes(shared_data):
    # Stored 512 wide x 384 high, shown upright (orientation 6: turn 90 degrees clockwise) as
    # 384 x 512. The sensor's x pitch (stored width) is now along the shown height.
    data = jpeg_with_exif(shared_data, main={ORIENTATION: 6}, size=(512, 384), sub={
        FOCAL: 5.0, PLANE_X: 100.0, PLANE_Y: 110.0, PLANE_UNIT: 4})
    camera, frame = camera_of(data)
    assert frame.shape[:2] == (512, 384)
    k = camera.intrinsics
    assert (k.width, k.height) == (384, 512)
    assert k.fx == pytest.approx(5.0 * 110.0) and k.fy == pytest.approx(5.0 * 100.0)
    assert (k.cx, k.cy) == (192, 256)


@pytest.mark.parametrize("sub,why", [
    ({FOCAL_35MM: 0}, "not plausible"),
    ({FOCAL: -4.0, PLANE_X: 100.0, PLANE_UNIT: 4}, "not plausible"),
    ({FOCAL: 5000.0, PLANE_X: 100.0, PLANE_UNIT: 4}, "not plausible"),
    ({FOCAL: 4.0}, "without a usable sensor size"),
    ({FOCAL: IFDRational(4, 0), PLANE_X: 100.0, PLANE_UNIT: 4}, "no focal length"),
    ({FOCAL: 4.0, PLANE_X: 0.0, PLANE_UNIT: 4}, "without a usable sensor size"),
    ({FOCAL: 4.0, PLANE_X: 100.0, PLANE_UNIT: 9}, "without a usable sensor size"),
    ({FOCAL: 0.01, PLANE_X: 100.0, PLANE_UNIT: 4}, "implausible view"),  # a 179-degree view
    ({}, "no focal length"),
])
def test_corrupt_or_absurd_exif_falls_back_to_the_default_with_a_note(shared_data, sub, why):
    camera, _ = camera_of(jpeg_with_exif(shared_data, sub=sub))
    assert camera.source == "default 60 deg"
    assert camera.intrinsics == CameraIntrinsics.from_fov(384, 512)
    assert why in camera.note


def test_unreadable_exif_bytes_never_cost_the_picture(shared_data):
    image = Image.open(shared_data / "faces/hagrid_man_closeup_thumb_down.jpg").convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", exif=b"Exif\x00\x00MM\x00\x2a\x00\x00\xff\xff\xff")  # IFD offset past the end
    camera, _ = camera_of(out.getvalue())
    assert camera.source == "default 60 deg"


def test_what_the_shared_photos_carry(shared_data):
    """Most shared photos have no EXIF; the two White House portraits name their lens."""
    faces = shared_data / "faces"
    sources = {p.name: camera_of(p.read_bytes())[0] for p in sorted(faces.iterdir())}
    with_exif = {name for name, camera in sources.items() if camera.source.startswith("exif")}
    assert with_exif == {"obama_official_portrait_frontal.jpg", "biden_standing_upper_body.jpg"}
    # The portrait: an 85 mm lens on a full-frame body, the picture scaled to 0.339 since
    # capture (EXIF keeps the 2687x3356 it was scaled from): a narrow 14-degree view.
    portrait = sources["obama_official_portrait_frontal.jpg"]
    assert portrait.fov_deg == pytest.approx(14.1, abs=0.3) and "scaled" in portrait.note


def test_a_png_with_an_exif_chunk_gives_its_focal_length_too(shared_data):
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[FOCAL_35MM] = 50
    out = io.BytesIO()
    Image.open(shared_data / "faces/astronaut_eileen_collins_frontal.png").convert("RGB").save(
        out, "PNG", exif=exif.tobytes())
    camera, _ = camera_of(out.getvalue())
    assert camera.source == "exif 35mm"
    assert camera.intrinsics.fx == pytest.approx(50 * math.hypot(512, 512) / 43.27)
