"""The "no camera? try a sample video" clip: a real face video re-encoded once as WebM (VP8),
which every browser plays without proprietary codecs. Re-encoded from the configured source
on first request and cached under data_dir; nothing is committed to the repository."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import cv2

from tryon.errors import TryonError

SAMPLE_WIDTH = 640  # what the page streams anyway (it caps frames at 640 px)
PREFERRED = "woman_face_thumbs_up_720p.mp4"  # a frontal face, then a hand in front of it
_lock = threading.Lock()


class NoSampleVideo(TryonError):
    """No sample video is configured or found."""


def default_source(repo_root: Path) -> Path | None:
    """../shared/data/video beside the checkout, the preferred clip first."""
    folder = repo_root.parent / "shared" / "data" / "video"
    if (folder / PREFERRED).is_file():
        return folder / PREFERRED
    clips = sorted(folder.glob("*.mp4")) if folder.is_dir() else []
    return clips[0] if clips else None


def sample_webm(source: Path | None, cache_dir: Path) -> Path:
    """The cached WebM for `source`, made now if missing or older than the source."""
    if source is None or not source.is_file():
        raise NoSampleVideo("no sample video is available on this server: set TRYON_SAMPLE_VIDEO to a video file")
    target = cache_dir / f"sample-{source.stem}.webm"
    with _lock:
        if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
            return target
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.partial.webm")  # workers may race to make it
        _transcode(source, partial)
        partial.replace(target)
    return target


def _transcode(source: Path, target: Path) -> None:
    reader = cv2.VideoCapture(str(source))
    if not reader.isOpened():
        raise NoSampleVideo(f"the sample video {source} cannot be opened")
    fps = reader.get(cv2.CAP_PROP_FPS) or 25.0
    width, height = int(reader.get(cv2.CAP_PROP_FRAME_WIDTH)), int(reader.get(cv2.CAP_PROP_FRAME_HEIGHT))
    scale = min(1.0, SAMPLE_WIDTH / max(width, 1))
    size = (int(round(width * scale / 2)) * 2, int(round(height * scale / 2)) * 2)
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"VP80"), fps, size)
    if not writer.isOpened():
        reader.release()
        raise NoSampleVideo("this server's OpenCV cannot write WebM (VP8)")
    try:
        while True:
            ok, frame = reader.read()
            if not ok:
                break
            writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    finally:
        writer.release()
        reader.release()
