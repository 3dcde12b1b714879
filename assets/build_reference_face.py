"""Build tryon/geometry/reference_face.npz from face-mesh output on frontal adult photos.

Re-run: .venv/bin/python assets/build_reference_face.py [--data ../shared/data]
Each face: landmarks in pixels (z on x's scale), centred, scaled to unit PD; generalised
Procrustes alignment (rotation only) to the running mean; the mean is put in the head frame
(tryon.geometry.reference_face) and scaled to a 63 mm PD.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tryon.frames import read_image_file
from tryon.geometry.reference_face import (
    LEFT_IRIS,
    REFERENCE_FILE,
    REFERENCE_PD_MM,
    RIGHT_IRIS,
    head_frame_from_landmarks,
)
from tryon.tracking.face import FaceTracker

ADULT_FRONTAL_PHOTOS = (
    "faces/astronaut_eileen_collins_frontal.png",
    "faces/biden_standing_upper_body.jpg",
    "faces/hagrid_man_closeup_thumb_down.jpg",
    "faces/hagrid_woman_eyeglasses_hand_raised.jpg",
    "faces/obama_official_portrait_frontal.jpg",
)


def _normalised(points: np.ndarray) -> np.ndarray:
    centred = points - points.mean(axis=0)
    pd = np.linalg.norm(points[LEFT_IRIS[0]] - points[RIGHT_IRIS[0]])
    return centred / pd


def _rotation_onto(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Kabsch: the rotation R minimising |source @ R.T - target|."""
    u, _, vt = np.linalg.svd(target.T @ source)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def build(data_dir: Path) -> tuple[np.ndarray, list[str]]:
    shapes, sources = [], []
    with FaceTracker("photo", max_faces=1) as tracker:
        for rel in ADULT_FRONTAL_PHOTOS:
            faces = tracker.process(read_image_file(data_dir / rel))
            if not faces:
                raise SystemExit(f"no face found in {rel}")
            shapes.append(_normalised(faces[0].landmarks))
            sources.append(rel)
    mean = shapes[0]
    for _ in range(10):
        aligned = [s @ _rotation_onto(s, mean).T for s in shapes]
        mean = _normalised(np.mean(aligned, axis=0))
    axes, origin = head_frame_from_landmarks(mean)
    head = (mean - origin) @ axes.T
    return head * REFERENCE_PD_MM, sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REFERENCE_FILE)
    args = parser.parse_args()
    landmarks, sources = build(args.data)
    np.savez_compressed(args.out, landmarks_mm=landmarks.astype(np.float32), sources=np.array(sources))
    span = landmarks.max(axis=0) - landmarks.min(axis=0)
    print(f"wrote {args.out}: {len(landmarks)} landmarks from {len(sources)} photos, "
          f"extent {span[0]:.0f} x {span[1]:.0f} x {span[2]:.0f} mm")


if __name__ == "__main__":
    main()
