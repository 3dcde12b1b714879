"""Make the README's before/after picture sheet with the engine itself.

Re-run: .venv/bin/python assets/build_readme_examples.py
Rows: shared photos and one frame of the shared thumbs-up video (a thumb held before a lens);
columns: the picture as it came, then glasses, sunglasses, hat and earrings, each cropped round
the face. Inputs from ../shared/data (see its SOURCES.md): HaGRID (Kapitanov et al., SberDevices,
CC BY-SA 4.0), the official portrait (public domain) and the thumbs-up clip; the sheet,
docs/images/tryon_examples.jpg, is CC BY-SA 4.0 as the HaGRID photos require.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from rich.progress import track

from tryon.frames import read_image_file
from tryon.pipeline import TryOnPipeline
from tryon.products.catalog import resolve_product

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared/data"
OUT = ROOT / "docs/images/tryon_examples.jpg"
LOOKS = (("round-classic", "tortoise"), ("sunglasses-shade", "green"), ("hat-fedora", "camel"),
         ("earrings-pearl-drop", "gold"))
THUMB_FRAME = 100  # of woman_face_thumbs_up_720p.mp4: the thumb stands before her right lens
CELL = 300  # pixels per cell side


def inputs() -> list[tuple[str, np.ndarray]]:
    photos = [("HaGRID", DATA / "faces/hagrid_man_closeup_thumb_down.jpg"),
              ("portrait", DATA / "faces/obama_official_portrait_frontal.jpg"),
              ("HaGRID", DATA / "faces/hagrid_woman_eyeglasses_hand_raised.jpg")]
    out = [(label, read_image_file(path)) for label, path in photos]
    capture = cv2.VideoCapture(str(DATA / "video/woman_face_thumbs_up_720p.mp4"))
    capture.set(cv2.CAP_PROP_POS_FRAMES, THUMB_FRAME)
    ok, frame = capture.read()
    if ok:
        out.append(("thumb before a lens", frame))
    return out


def face_box(image: np.ndarray) -> tuple[int, int, int, int]:
    """A square round the first face (with room for a hat and earrings), clipped to the image."""
    with TryOnPipeline(None, mode="photo") as pipeline:
        faces = pipeline.tracker.process(image)
    h, w = image.shape[:2]
    if not faces:
        return 0, 0, w, h
    lm = faces[0].landmarks[:, :2]
    (x0, y0), (x1, y1) = lm.min(axis=0), lm.max(axis=0)
    side = 2.0 * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - 0.2 * side
    left, top = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
    return left, top, int(min(cx + side / 2, w)), int(min(cy + side / 2, h))


def cell(image: np.ndarray, box: tuple[int, int, int, int], text: str) -> np.ndarray:
    x0, y0, x1, y1 = box
    crop = cv2.resize(image[y0:y1, x0:x1], (CELL, CELL), interpolation=cv2.INTER_AREA)
    cv2.rectangle(crop, (0, 0), (CELL, 22), (0, 0, 0), -1)
    cv2.putText(crop, text, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return crop


def main() -> None:
    rows = []
    for label, image in track(inputs(), description="try-ons"):
        box = face_box(image)
        row = [cell(image, box, f"before ({label})")]
        for product, variant in LOOKS:
            with TryOnPipeline(resolve_product(product), variant, mode="photo") as pipeline:
                row.append(cell(pipeline.process(image).image, box, f"{product} / {variant}"))
        rows.append(np.hstack(row))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(OUT), np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
