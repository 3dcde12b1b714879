"""The CLI as a user runs it: a real process, real files, exit codes and messages."""

import math
import subprocess
import sys

import cv2
import numpy as np
import pytest

TRYON = [sys.executable, "-m", "tryon.cli"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*TRYON, *map(str, args)], capture_output=True, text=True, timeout=180)


def assert_clean_failure(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr.lower(), result.stderr


def test_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("photo", "video", "products"):
        assert command in result.stdout


def test_products_lists_the_bundled_catalog():
    result = run("products")
    assert result.returncode == 0
    assert "sunglasses" in result.stdout and "hat" in result.stdout


def test_photo_try_on_writes_the_result_and_measurements(shared_data, tmp_path):
    out = tmp_path / "out.jpg"
    result = run("photo", shared_data / "faces/two_children_frontal_multiface.jpeg", "--product", "sunglasses-shade", "--out", out)
    assert result.returncode == 0, result.stderr
    image = cv2.imread(str(out))
    assert image is not None and image.shape[:2] == (853, 1280)
    assert "PD mm" in result.stdout


def test_empty_image_fails_cleanly(tmp_path):
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert_clean_failure(run("photo", empty, "--product", "round-classic"), "empty")


def test_truncated_image_fails_cleanly(shared_data, tmp_path):
    data = (shared_data / "faces/biden_standing_upper_body.jpg").read_bytes()
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(data[:20000])
    assert_clean_failure(run("photo", cut, "--product", "round-classic"), "truncated")


def test_photo_without_a_face_fails_cleanly(tmp_path):
    wall = tmp_path / "wall.png"
    cv2.imwrite(str(wall), np.full((240, 320, 3), 200, np.uint8))
    assert_clean_failure(run("photo", wall, "--product", "round-classic"), "no face")


def test_face_cut_by_the_frame_edge_fails_cleanly(shared_data, tmp_path):
    image = cv2.imread(str(shared_data / "faces/hagrid_man_closeup_thumb_down.jpg"))
    half = tmp_path / "half.jpg"
    cv2.imwrite(str(half), image[:, : int(image.shape[1] * 0.6)])  # the left eye is outside
    result = run("photo", half, "--product", "round-classic")
    if result.returncode == 2 and "no face" in result.stderr.lower():
        pytest.skip("MediaPipe found no face at all in this crop")
    assert_clean_failure(result, "cut by the frame edge")


def test_unknown_product_names_the_known_ones(shared_data):
    result = run("photo", shared_data / "faces/obama_official_portrait_frontal.jpg", "--product", "no-such-thing")
    assert_clean_failure(result, "no-such-thing")


def test_unknown_variant_lists_the_variants(shared_data):
    result = run("photo", shared_data / "faces/obama_official_portrait_frontal.jpg", "--product", "sunglasses-shade", "--variant", "purple")
    assert_clean_failure(result, "purple", "variants")


def test_broken_model_file_fails_cleanly(shared_data, tmp_path):
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF\x02\x00\x00\x00" + b"\x00" * 20)
    assert_clean_failure(run("photo", shared_data / "faces/obama_official_portrait_frontal.jpg", "--product", broken), "broken.glb")


def test_non_gltf_model_fails_cleanly(shared_data, tmp_path):
    text = tmp_path / "notes.glb"
    text.write_text("these are not the glasses you are looking for")
    assert_clean_failure(run("photo", shared_data / "faces/obama_official_portrait_frontal.jpg", "--product", text), "notes.glb")


def test_draco_compressed_model_is_decoded_and_worn(shared_data, tmp_path):
    out = tmp_path / "box.jpg"
    result = run("photo", shared_data / "faces/obama_official_portrait_frontal.jpg", "--product",
                 shared_data / "models3d/box_draco/Box.gltf", "--category", "glasses", "--out", out)
    assert result.returncode == 0, result.stderr
    assert out.is_file()


def test_video_try_on_writes_every_frame(shared_data, tmp_path):
    out = tmp_path / "clip.mp4"
    result = run("video", shared_data / "video/carphone_talking_head_qcif.mp4", "--product", "round-classic", "--out", out)
    assert result.returncode == 0, result.stderr
    cap = cv2.VideoCapture(str(out))
    source = cv2.VideoCapture(str(shared_data / "video/carphone_talking_head_qcif.mp4"))
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == source.get(cv2.CAP_PROP_FRAME_COUNT)


def test_unreadable_video_fails_cleanly(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x01" * 500)
    assert_clean_failure(run("video", junk, "--product", "round-classic", "--out", tmp_path / "o.mp4"), "junk.mp4")


def _distance_mm(stdout: str) -> float:
    """The distance column of face 0 in the photo command's table."""
    row = next(line for line in stdout.splitlines() if line.startswith("│ 0"))
    return float(row.split("│")[5])


def test_photo_uses_the_focal_length_its_exif_gives(shared_data, tmp_path):
    from PIL import Image

    photo = tmp_path / "telephoto.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 80  # FocalLengthIn35mmFilm: a short telephoto, 2.7x the default's
    Image.open(shared_data / "faces/hagrid_man_closeup_thumb_down.jpg").save(photo, "JPEG", quality=95, exif=exif)
    from_exif = run("photo", photo, "--product", "rect-metro", "--out", tmp_path / "a.jpg")
    assumed = run("photo", photo, "--product", "rect-metro", "--out", tmp_path / "b.jpg", "--fov", "60")
    assert from_exif.returncode == 0 and assumed.returncode == 0, from_exif.stderr + assumed.stderr
    assert "camera: exif 35mm" in from_exif.stdout
    assert "camera: --fov 60 deg" in assumed.stdout
    # The iris gives the distance in focal lengths: the same face seen through the longer lens is
    # farther away by the focal ratio, 80 mm / 43.27 mm diagonal vs 60 degrees across 512 px.
    ratio = (80 * 640 / 43.27) / (256 / math.tan(math.radians(30)))
    assert _distance_mm(from_exif.stdout) == pytest.approx(ratio * _distance_mm(assumed.stdout), rel=0.02)


def test_a_face_too_small_to_trust_is_not_dressed_and_the_note_says_come_closer(shared_data, tmp_path):
    image = cv2.imread(str(shared_data / "faces/hagrid_man_eyeglasses_phone_gesture.jpg"))
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA))
    result = run("photo", small, "--product", "round-classic", "--out", tmp_path / "o.jpg")
    assert_clean_failure(result, "not dressed", "come closer")
    assert "come" in result.stdout  # the faces table's note column says it too
    assert not (tmp_path / "o.jpg").exists()


def test_the_video_table_says_how_long_each_face_waited_and_faded(shared_data, tmp_path):
    source = tmp_path / "walk_in.mp4"
    portrait = cv2.resize(cv2.imread(str(shared_data / "faces/obama_official_portrait_frontal.jpg"))[:720], (320, 240))
    wall = np.full((240, 320, 3), 120, np.uint8)
    writer = cv2.VideoWriter(str(source), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (320, 240))
    for frame in [wall] * 5 + [portrait] * 15 + [wall] * 10:
        writer.write(frame)
    writer.release()
    result = run("video", source, "--product", "round-classic", "--out", tmp_path / "out.mp4")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.strip().startswith(("│ 0", "┃ 0", "| 0")))
    numbers = [int(cell) for cell in row.replace("│", "|").split("|")[2:6]]
    seen, shown, acquiring, fading = numbers
    assert seen >= 19 and acquiring == 2 and fading >= 4 and shown == seen - acquiring - 1
