"""A photo's camera intrinsics from its EXIF focal length, else the documented default.

Why: the head's distance (and so the strength of perspective the product is drawn with) scales
with the focal length in pixels. A phone or camera photo usually says what it was: either the
35 mm-equivalent focal length, or the true focal length plus the sensor's pixel pitch.

Which EXIF, in order:
1. FocalLengthIn35mmFilm (0xA405). Makers derive it from the diagonal crop factor (CIPA DC-008
   leaves the formula open, and every phone's "equivalent focal length" is diagonal-based): the
   focal length a 36x24 mm frame, 43.27 mm across, would need for the same diagonal view. So
   f_px = f35 * image diagonal (px) / 43.27. The 36 mm width is not used: it is right only for
   3:2 sensors, and a 4:3 phone photo would come out ~4% too wide.
2. FocalLength (0x920A) with FocalPlaneX/YResolution (0xA20E/0xA20F, pixels per
   FocalPlaneResolutionUnit 0xA210 of sensor): f_px = f_mm * pixels per mm. The resolution is
   that of the picture as captured; an editor that later scaled the picture down often keeps it
   while recording the size it scaled from (ImageWidth/Length, PixelX/YDimension), so a
   recorded size of the same shape as the picture gives the scale to undo.

Orientation: EXIF describes the stored image; a picture shown rotated a quarter turn (EXIF
orientation 5-8) swaps its axes, so the sensor's X resolution then applies to the shown height.
A cropped photo keeps the centred principal point of its own frame (the crop offset is unknown).
Anything missing, zero, negative, > 2000 mm or giving an implausible field of view falls back to
the default with a note; EXIF never costs the picture.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tryon.geometry.camera import DEFAULT_FOV_DEG, CameraIntrinsics

FULL_FRAME_DIAGONAL_MM = 43.27  # sqrt(36^2 + 24^2): the 35 mm film frame
MAX_FOCAL_MM = 2000.0  # longer than any lens a face photo is taken with: a corrupt value
# Fields of view (across the longer side) a face photo can have: a 1200 mm-equivalent
# telephoto is ~2 degrees, a 13 mm-equivalent ultra-wide ~110.
MIN_FOV_DEG, MAX_FOV_DEG = 1.5, 130.0
# Millimetres per FocalPlaneResolutionUnit: 2 inch and 3 cm are standard EXIF; 4 (mm) and
# 5 (micrometre) are written by some makers (Canon) and read by ExifTool the same way.
_MM_PER_UNIT = {2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}
_EXIF_IFD = 0x8769
_TAG = {
    "orientation": 0x0112, "image_width": 0x0100, "image_length": 0x0101,
    "focal": 0x920A, "focal_35mm": 0xA405, "pixel_x": 0xA002, "pixel_y": 0xA003,
    "plane_x": 0xA20E, "plane_y": 0xA20F, "plane_unit": 0xA210,
}
_SAME_SHAPE = 0.01  # a recorded size within 1% of the picture's aspect ratio was scaled to it


@dataclass(frozen=True)
class PhotoCamera:
    """Intrinsics for one photo and where they came from ("exif 35mm", "exif focal+sensor",
    "default 60 deg", "--fov 50 deg"); note: why EXIF was not used, or what was corrected."""

    intrinsics: CameraIntrinsics
    source: str
    note: str = ""

    @property
    def fov_deg(self) -> float:
        """Field of view across the longer side, degrees (the unit `--fov` takes)."""
        k = self.intrinsics
        half = 0.5 * max(k.width, k.height) / (k.fx if k.width >= k.height else k.fy)
        return math.degrees(2.0 * math.atan(half))

    def describe(self) -> str:
        """One line for the CLI: `camera: exif 35mm, 63.1 deg across the longer side (...)`."""
        text = f"camera: {self.source}, {self.fov_deg:.1f} deg across the longer side"
        return text + (f" ({self.note})" if self.note else "")


def default_camera(width: int, height: int, fov_deg: float = DEFAULT_FOV_DEG, note: str = "",
                   source: str | None = None) -> PhotoCamera:
    """The assumed camera: `fov_deg` across the longer side, principal point at the centre."""
    return PhotoCamera(CameraIntrinsics.from_fov(width, height, fov_deg),
                       source or f"default {fov_deg:g} deg", note)


def photo_camera(data: bytes, width: int, height: int, fov_deg: float = DEFAULT_FOV_DEG) -> PhotoCamera:
    """Intrinsics for an encoded photo shown (upright) as width x height pixels: from its EXIF
    when usable, else `fov_deg` across the longer side with a note saying why."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and b"eXIf" not in data:
        # Pillow decodes a whole PNG to look for an eXIf chunk after the pixels: skip if none
        return default_camera(width, height, fov_deg, "no EXIF")
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            exif = image.getexif()
            tags = read_focal_tags(exif)
            stored = image.size
    except Exception as exc:  # an unreadable EXIF block never costs the picture
        return default_camera(width, height, fov_deg, f"EXIF unreadable ({type(exc).__name__})")
    return camera_from_focal_tags(tags, width, height, stored, fov_deg)


def read_focal_tags(exif: Image.Exif) -> dict[str, Any]:
    """The EXIF values this module uses, by name (absent tags are left out)."""
    values: dict[str, Any] = {}
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except Exception:  # a damaged Exif sub-IFD: the main IFD may still hold orientation
        sub = {}
    for name, tag in _TAG.items():
        value = sub.get(tag, exif.get(tag))
        if value is not None:
            values[name] = value
    return values


def camera_from_focal_tags(tags: dict[str, Any], width: int, height: int,
                           stored_size: tuple[int, int] | None = None,
                           fov_deg: float = DEFAULT_FOV_DEG) -> PhotoCamera:
    """Pure rule behind `photo_camera`: EXIF values (as `read_focal_tags` names them) and the
    upright picture's size -> intrinsics. stored_size: the image as stored (before orientation);
    default: derived from width, height and the orientation tag."""
    orientation = _integer(tags.get("orientation"))
    transposed = orientation in (5, 6, 7, 8)
    stored = stored_size or ((height, width) if transposed else (width, height))
    f35 = _number(tags.get("focal_35mm"))
    focal = _number(tags.get("focal"))
    notes: list[str] = []
    if f35 is not None:
        if 0.0 < f35 <= MAX_FOCAL_MM:
            f = f35 * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM
            camera = _checked(f, f, width, height, "exif 35mm", f"{f35:g} mm equivalent")
            if camera is not None:
                return camera
            notes.append(f"35 mm-equivalent focal length {f35:g} mm gives an implausible view")
        else:
            notes.append(f"35 mm-equivalent focal length {f35:g} mm is not plausible")
    if focal is None:
        notes.append("no focal length in EXIF" if not tags.get("focal_35mm") else "")
    elif not 0.0 < focal <= MAX_FOCAL_MM:
        notes.append(f"EXIF focal length {focal:g} mm is not plausible")
    else:
        per_mm = _pixels_per_mm(tags)
        if per_mm is None:
            notes.append(f"EXIF focal length {focal:g} mm without a usable sensor size")
        else:
            scale, resized = _scaled_from(tags, stored)
            px, py = per_mm[0] * scale, per_mm[1] * scale
            if transposed:
                px, py = py, px
            detail = f"{focal:g} mm" + (f", picture scaled {scale:.3g}x since capture" if resized else "")
            camera = _checked(focal * px, focal * py, width, height, "exif focal+sensor", detail)
            if camera is not None:
                return camera
            notes.append(f"EXIF focal length {focal:g} mm and sensor resolution give an implausible view")
    return default_camera(width, height, fov_deg, "; ".join(n for n in notes if n))


def _checked(fx: float, fy: float, width: int, height: int, source: str, detail: str) -> PhotoCamera | None:
    if not (math.isfinite(fx) and math.isfinite(fy) and fx > 0 and fy > 0):
        return None
    f_long = fx if width >= height else fy
    fov = math.degrees(2.0 * math.atan(0.5 * max(width, height) / f_long))
    if not MIN_FOV_DEG <= fov <= MAX_FOV_DEG or not 0.8 < fx / fy < 1.25:  # pixels are near square
        return None
    return PhotoCamera(CameraIntrinsics(fx, fy, width / 2.0, height / 2.0, width, height), source, detail)


def _pixels_per_mm(tags: dict[str, Any]) -> tuple[float, float] | None:
    """Sensor pixels per mm along the stored image's x and y, or None."""
    unit = _integer(tags.get("plane_unit"))
    mm = _MM_PER_UNIT.get(2 if unit is None else unit)  # EXIF's default unit is the inch
    x, y = _number(tags.get("plane_x")), _number(tags.get("plane_y"))
    if mm is None or x is None or x <= 0:
        return None
    y = x if y is None or y <= 0 else y
    return x / mm, y / mm


def _scaled_from(tags: dict[str, Any], stored: tuple[int, int]) -> tuple[float, bool]:
    """(scale, resized): how much the stored picture was scaled from the largest recorded size
    of the same shape (1.0, False when none is recorded or none has its shape)."""
    w, h = stored
    best = 1.0
    for kw, kh in (("image_width", "image_length"), ("pixel_x", "pixel_y")):
        rw, rh = _number(tags.get(kw)), _number(tags.get(kh))
        if rw is None or rh is None or rw <= w or rh <= h:
            continue
        if abs((rw / rh) / (w / h) - 1.0) <= _SAME_SHAPE:
            best = min(best, w / rw)
    return best, best < 1.0


def _number(value: Any) -> float | None:
    """A finite float from an EXIF value (int, IFDRational, a 1-tuple), else None."""
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number == int(number) else None
