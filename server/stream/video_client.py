"""`tryon client`: a video file streamed through a running service, the returned frames written.

Frames are scaled and JPEG-encoded up front (with progress shown), so the stream itself is paced
only by the video's frame rate, as a camera would be.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import cv2
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from server.stream.client import Reply, ServerRejected, StreamReport, stream_video
from tryon.errors import TryonError
from tryon.frames import decode_image, encode_image
from tryon.video import VideoReader, VideoWriter


class ServiceUnreachable(TryonError):
    """The service could not be reached or refused the session."""


def encode_video_frames(source: Path, width: int, quality: int, console: Console | None = None) -> tuple[list[bytes], float]:
    """Every frame of `source` scaled to `width` (aspect kept, even height) as JPEG; and the fps."""
    frames: list[bytes] = []
    with VideoReader(source) as reader, Progress(TextColumn("encoding frames"), BarColumn(), MofNCompleteColumn(),
                                                 console=console, disable=console is None) as progress:
        info = reader.info
        height = int(round(info.height * width / info.width / 2)) * 2
        task = progress.add_task("frames", total=info.frame_count or None)
        for _, frame in reader:
            if frame.shape[1] != width:
                frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
            frames.append(encode_image(frame, ".jpg", quality))
            progress.advance(task)
    return frames, info.fps


def run_video_client(source: Path, url: str, product: str | None, variant: str | None, out_path: Path | None,
                     mode: str = "composite", width: int = 640, quality: int = 85, fov: float = 60.0,
                     console: Console | None = None) -> StreamReport:
    frames, fps = encode_video_frames(source, width, quality, console)
    config: dict = {"mode": mode, "fov_deg": fov}
    if product:
        config["product"] = product
    if variant:
        config["variant"] = variant
    writer = None
    if out_path is not None and mode == "composite":
        first = decode_image(frames[0])
        writer = VideoWriter(out_path, first.shape[1], first.shape[0], fps)
    state = {"next": 0, "last": None}

    def on_result(frame_id: int, reply: Reply) -> None:
        # Frames the server dropped (latest frame wins) are filled with the previous result, so
        # the output keeps the source's timing.
        if writer is None or reply.image is None:
            return
        image = decode_image(reply.image)
        while state["next"] <= frame_id:
            writer.write(image if state["next"] == frame_id or state["last"] is None else state["last"])
            state["next"] += 1
        state["last"] = image

    try:
        report = asyncio.run(stream_video(url, frames, fps, config, on_result=on_result))
    except ServerRejected as exc:
        raise ServiceUnreachable(f"the service refused the session: {exc}") from None
    except (OSError, asyncio.TimeoutError) as exc:
        raise ServiceUnreachable(f"cannot reach {url} ({exc}); start the service with `tryon serve` "
                                 "or check the address") from None
    except Exception as exc:  # websockets' handshake errors (InvalidURI, InvalidStatus, ...)
        if type(exc).__module__.startswith("websockets"):
            raise ServiceUnreachable(f"cannot open a try-on session at {url}: {exc}") from None
        raise
    finally:
        if writer is not None:
            last = state["last"]
            while last is not None and state["next"] < len(frames):
                writer.write(last)
                state["next"] += 1
            writer.close()
    return report

