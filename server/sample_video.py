"""The "no camera? try a sample video" clip: a real face video re-encoded once as WebM (VP8),
which every browser plays without proprietary codecs. Re-encoded from the configured source
on first request and cached under data_dir; nothing is committed to the repository."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
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
    if _fresh(target, source):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    # One thread of one worker process makes it; the others wait on the lock, then find it made.
    with _lock, open(cache_dir / ".sample.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if not _fresh(target, source):
            partial = target.with_suffix(f".{os.getpid()}.partial.webm")
            # A subprocess at the lowest priority: live sessions never wait for this (a niced
            # thread would hold the GIL while descheduled), and several seconds of encoding
            # stay off the frame threads.
            done = subprocess.run(["nice", "-n", "19", sys.executable, "-m", "server.sample_video", str(source),
                                   str(partial)], capture_output=True, text=True, timeout=600)
            if done.returncode != 0 or not partial.is_file():
                partial.unlink(missing_ok=True)
                raise NoSampleVideo(f"the sample video {source} could not be re-encoded: {done.stderr.strip()[-300:]}")
            partial.replace(target)
    return target


def _fresh(target: Path, source: Path) -> bool:
    return target.is_file() and target.stat().st_mtime >= source.stat().st_mtime


def transcode(source: Path, target: Path) -> None:
    """Re-encode `source` as VP8 WebM, SAMPLE_WIDTH wide (run in the subprocess)."""
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


if __name__ == "__main__":
    transcode(Path(sys.argv[1]), Path(sys.argv[2]))
