"""Video files in and out (OpenCV/FFmpeg): frames as BGR uint8 with timestamps."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tryon.errors import UnreadableVideo
from tryon.frames import MAX_IMAGE_SIDE


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    frame_count: int


class VideoReader:
    """Iterates (timestamp_s, frame) over a video file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise UnreadableVideo(f"{self.path}: no such file")
        if self.path.stat().st_size == 0:
            raise UnreadableVideo(f"{self.path}: the file is empty")
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise UnreadableVideo(f"{self.path}: not a video OpenCV/FFmpeg can open (corrupt or unknown format)")
        w = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        h = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 30.0
        if w <= 0 or h <= 0:
            raise UnreadableVideo(f"{self.path}: the video has no picture stream")
        if max(w, h) > MAX_IMAGE_SIDE:
            raise UnreadableVideo(f"{self.path}: {w}x{h} is over the {MAX_IMAGE_SIDE} px limit")
        self.info = VideoInfo(w, h, fps if 1.0 <= fps <= 240.0 else 30.0,
                              max(int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0))

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        index = 0
        while True:
            ok, frame = self._cap.read()
            if not ok:
                break
            yield index / self.info.fps, frame
            index += 1
        if index == 0:
            raise UnreadableVideo(f"{self.path}: no frame could be decoded")

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VideoWriter:
    """MP4 (MPEG-4 part 2, the codec every OpenCV wheel carries) at the source frame rate."""

    def __init__(self, path: str | Path, width: int, height: int, fps: float) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        if not self._writer.isOpened():
            raise UnreadableVideo(f"{self.path}: cannot write a video here (check the folder and the .mp4 extension)")

    def write(self, frame: np.ndarray) -> None:
        self._writer.write(frame)

    def close(self) -> None:
        self._writer.release()

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
