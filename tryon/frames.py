"""Decode, validate and encode images and camera frames (BGR uint8, the engine's pixel format)."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import simplejpeg
from PIL import Image

from tryon.errors import ImageTooLarge, UnreadableImage

# Limits for one image or frame. 40 MB covers any phone photo; 8192 px per side and 40 megapixels
# keep one decode under ~120 MB of memory. Larger inputs are refused before they are decoded.
MAX_IMAGE_BYTES = 40 * 1024 * 1024
MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 40_000_000
MIN_IMAGE_SIDE = 16
_ORIENTATION_TAG = 0x0112
_EXIF_MARK = b"Exif\x00\x00"
_EXIF_SEARCH_BYTES = 65536  # APP1 comes before the image data


def read_image_file(path: str | Path) -> np.ndarray:
    """Read an image file into a BGR uint8 frame, with the checks of `decode_image`."""
    p = Path(path)
    if not p.is_file():
        raise UnreadableImage(f"{p}: no such file")
    size = p.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"{p}: {size / 1e6:.1f} MB is over the {MAX_IMAGE_BYTES / 1e6:.0f} MB limit; resize it first")
    try:
        return decode_image(p.read_bytes())
    except (UnreadableImage, ImageTooLarge) as exc:
        raise type(exc)(f"{p}: {exc}") from None


def _check_dimensions(width: int, height: int) -> None:
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
        raise ImageTooLarge(
            f"{width}x{height} pixels is over the limit ({MAX_IMAGE_SIDE} px per side, "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels); resize it first"
        )
    if width < MIN_IMAGE_SIDE or height < MIN_IMAGE_SIDE:
        raise UnreadableImage(f"{width}x{height} pixels is too small to hold a face")


def _looks_truncated(data: bytes) -> bool:
    """JPEG must end with EOI, PNG must hold IEND: a cut-off upload decodes to grey otherwise."""
    if data[:2] == b"\xff\xd8":
        return b"\xff\xd9" not in data[-64:]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return b"IEND" not in data[-32:]
    return False


def decode_image(data: bytes) -> np.ndarray:
    """Bytes of a JPEG/PNG/WebP/BMP/TIFF image -> (H,W,3) BGR uint8.

    Grayscale becomes 3-channel, RGBA is composited over white, 16-bit is reduced to 8-bit,
    and an EXIF orientation (phone photos taken upright are often stored sideways) is applied.
    Raises UnreadableImage (empty, corrupt, truncated, unknown format) or ImageTooLarge.
    """
    if not data:
        raise UnreadableImage("the image is empty (0 bytes)")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(f"{len(data) / 1e6:.1f} MB is over the {MAX_IMAGE_BYTES / 1e6:.0f} MB limit")
    if data[:2] == b"\xff\xd8":
        frame = _decode_jpeg(data)
        if frame is not None:
            # Camera frames carry no EXIF: only look for it where an APP1 "Exif" block is.
            has_exif = data.find(_EXIF_MARK, 0, _EXIF_SEARCH_BYTES) != -1
            return upright(frame, _exif_orientation(data) if has_exif else 1)
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            width, height = probe.size
            orientation = _orientation_tag(probe)
    except Exception:
        raise UnreadableImage("not a readable image (unknown format or corrupt header)") from None
    _check_dimensions(width, height)
    if _looks_truncated(data):
        raise UnreadableImage("the image is truncated (its end is missing); upload it again")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise UnreadableImage("the image data is corrupt and could not be decoded")
    return upright(to_bgr(image), orientation)


def upright(image: np.ndarray, orientation: int) -> np.ndarray:
    """The image as it is meant to be seen, for an EXIF orientation value (1-8; others: as is)."""
    if orientation == 2:
        return cv2.flip(image, 1)
    if orientation == 3:
        return cv2.rotate(image, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(image, 0)
    if orientation == 5:
        return cv2.transpose(image)
    if orientation == 6:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.flip(cv2.transpose(image), -1)
    if orientation == 8:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


def _exif_orientation(data: bytes) -> int:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            return _orientation_tag(probe)
    except Exception:  # an unreadable EXIF block never costs the picture
        return 1


def _orientation_tag(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) else 1


def _decode_jpeg(data: bytes) -> np.ndarray | None:
    """A JPEG straight to BGR with libjpeg-turbo (simplejpeg: ~20% faster than cv2.imdecode on
    webcam frames, and its header read costs a microsecond), after the same checks; None when
    it cannot (CMYK, an unusual or damaged file): the general path then decodes or explains."""
    try:
        height, width, _, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError:
        return None
    _check_dimensions(width, height)
    if _looks_truncated(data):
        raise UnreadableImage("the image is truncated (its end is missing); upload it again")
    try:
        return simplejpeg.decode_jpeg(data, colorspace="BGR", strict=True)
    except ValueError:
        return None


def to_bgr(image: np.ndarray) -> np.ndarray:
    """Any decoded OpenCV image (gray, BGR, BGRA, 8/16-bit) -> (H,W,3) BGR uint8."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise UnreadableImage(f"unsupported pixel type {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    channels = image.shape[2]
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if channels == 3:
        return np.ascontiguousarray(image)
    if channels == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        white = np.full_like(image[:, :, :3], 255, dtype=np.float32)
        return (image[:, :, :3] * alpha + white * (1.0 - alpha)).round().astype(np.uint8)
    raise UnreadableImage(f"unsupported channel count {channels}")


def encode_image(frame: np.ndarray, ext: str = ".jpg", quality: int = 90) -> bytes:
    """BGR uint8 frame -> encoded bytes (.jpg, .png or .webp)."""
    ext = ext.lower()
    params: list[int] = []
    if ext in (".jpg", ".jpeg"):
        params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    elif ext == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, int(quality)]
    elif ext != ".png":
        raise ValueError(f"unsupported output format {ext!r}; use .jpg, .png or .webp")
    ok, buf = cv2.imencode(ext, frame, params)
    if not ok:
        raise ValueError(f"could not encode the frame as {ext}")
    return buf.tobytes()


def write_image_file(frame: np.ndarray, path: str | Path, quality: int = 90) -> Path:
    """Encode by the file extension and write; creates parent folders."""
    p = Path(path)
    data = encode_image(frame, p.suffix or ".jpg", quality)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p
