"""Make the README's before/after picture with the `tryon` CLI itself.

Re-run: .venv/bin/python assets/build_readme_examples.py
Input: a HaGRID photo from ../shared/data (CC BY-SA 4.0, HaGRID, Kapitanov et al., SberDevices),
so docs/images/tryon_examples.jpg is CC BY-SA 4.0 too.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT.parent / "shared/data/faces/hagrid_man_closeup_thumb_down.jpg"
OUT = ROOT / "docs/images/tryon_examples.jpg"
LOOKS = (("round-classic", "tortoise"), ("sunglasses-shade", "green"), ("hat-fedora", "camel"), ("earrings-pearl-drop", "gold"))


def label(image: np.ndarray, text: str) -> np.ndarray:
    out = image.copy()
    cv2.rectangle(out, (0, 0), (out.shape[1], 26), (0, 0, 0), -1)
    cv2.putText(out, text, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def main() -> None:
    panels = [label(cv2.imread(str(PHOTO)), "before")]
    with tempfile.TemporaryDirectory() as tmp:
        for product, variant in LOOKS:
            target = Path(tmp) / f"{product}.png"
            subprocess.run([sys.executable, "-m", "tryon.cli", "photo", str(PHOTO), "--product", product,
                            "--variant", variant, "--out", str(target)], check=True, capture_output=True)
            panels.append(label(cv2.imread(str(target)), f"{product} / {variant}"))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(OUT), np.hstack(panels), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
