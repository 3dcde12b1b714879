"""Cost of contact shadows per frame: render + composite with them on and off, A/B interleaved
on the same frames, products and head occluders (one run, same Compositor and caches).

Frames come from a shared video scaled to the size asked for; the pipeline tracks and fits
each frame once (its render inputs are recorded), then every frame is rendered alternately
with contact shadows on and off, the order swapped every frame. Prints p50/p95 ms per product.

    .venv/bin/python benchmarks/bench_contact_shadows.py [--frames 120] [--size 640x480]

On the shared 2-core machine, other tenants' load swamps small differences in wall time (the
same run has read +0.55 and +3 ms); LP_NUM_THREADS=0 (llvmpipe rasterising on the calling
thread) gives steadier figures for how much work the step adds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np

from tryon.pipeline import TryOnPipeline
from tryon.products.catalog import resolve_product
from tryon.render.compositor import get_compositor

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
VIDEO = DATA / "video" / "woman_face_thumbs_up_720p.mp4"
PRODUCTS = (("sunglasses-shade", "grey"), ("hat-fedora", "charcoal"), ("rect-metro", "black"))


def read_frames(count: int, size: tuple[int, int]) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(VIDEO))
    frames = []
    while len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    capture.release()
    return frames


def record_inputs(product: str, variant: str, frames: list[np.ndarray]) -> list[tuple]:
    """(frame, camera, items, occluders) per frame where a product was placed."""
    compositor = get_compositor()
    recorded: list[tuple] = []
    original = compositor.render

    def record(frame, camera, items, occluders, in_place=False, light=None):
        recorded.append((frame.copy(), camera, list(items), list(occluders)))
        return frame

    compositor.render = record  # type: ignore[method-assign]
    try:
        with TryOnPipeline(resolve_product(product), variant, mode="video") as pipe:
            for i, frame in enumerate(frames):
                pipe.process(frame, timestamp_s=i / 30.0)
    finally:
        del compositor.render
    assert compositor.render == original
    return recorded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--size", default="640x480")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    frames = read_frames(args.frames, size)  # type: ignore[arg-type]
    compositor = get_compositor()
    print(f"{args.size}, {len(frames)} frames, antialiasing {compositor.antialiasing}")
    print(f"{'product':<18} {'off p50':>8} {'on p50':>8} {'off p95':>8} {'on p95':>8} {'diff p50':>9}")
    for product, variant in PRODUCTS:
        inputs = record_inputs(product, variant, frames)
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(2):  # warm-up: shaders, targets, model upload
            for shadows in (True, False):
                compositor.contact_shadows = shadows
                compositor.render(*inputs[0])
        for i, (frame, camera, items, occluders) in enumerate(inputs):
            for shadows in ((True, False) if i % 2 else (False, True)):
                compositor.contact_shadows = shadows
                t0 = time.perf_counter()
                compositor.render(frame, camera, items, occluders)
                times[shadows].append((time.perf_counter() - t0) * 1e3)
        compositor.contact_shadows = True
        off, on = np.array(times[False]), np.array(times[True])
        print(
            f"{product:<18} {np.median(off):8.2f} {np.median(on):8.2f} {np.percentile(off, 95):8.2f} "
            f"{np.percentile(on, 95):8.2f} {np.median(on - off):+9.3f}"
        )


if __name__ == "__main__":
    main()
