"""Product-picture timings (tryon.render.product_view): the Khronos sunglasses (13.4k triangles).

Views at 512x512 on white and transparent (p50/p95 ms, after two warm-up renders), with the
pictures' own 2x2 supersampling and, for comparison, FXAA (the live choice on llvmpipe),
interleaved so both see the same machine load; a 36-frame 384 px turntable; and the encoders.
Prints a table and writes benchmarks/results/product_views.json.

    nice -n 19 .venv/bin/python benchmarks/bench_product_views.py [--iterations 60]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tryon.products.load import load_model
from tryon.render import product_view
from tryon.render.compositor import Compositor
from tryon.render.context import current_context
from tryon.render.product_view import (
    ViewRequest,
    encode_animated_webp,
    encode_image,
    encode_mp4,
    render_view,
    turntable,
)

ROOT = Path(__file__).resolve().parents[1]
SUNGLASSES = ROOT.parent / "shared" / "data" / "models3d" / "sunglasses_khronos" / "SunglassesKhronos.glb"
RESULTS = ROOT / "benchmarks" / "results" / "product_views.json"


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(samples_ms, 50)), 2), "p95": round(float(np.percentile(samples_ms, 95)), 2)}


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=60)
    args = parser.parse_args()
    model = load_model(SUNGLASSES, "sunglasses")
    first_ms = timed(lambda: render_view(model, "sunglasses", ViewRequest(width=512, height=512)))
    compositors = {"ssaa": product_view._compositor(), "fxaa": Compositor(antialiasing="fxaa")}
    views: dict[str, list[float]] = {}
    for _ in range(2 + args.iterations):
        for mode, compositor in compositors.items():
            product_view._instance = compositor
            for background in ("#ffffff", "transparent"):
                request = ViewRequest(30.0, 10.0, 512, 512, background)
                views.setdefault(f"{mode} {background}", []).append(timed(lambda: render_view(model, "s", request)))
    product_view._instance = compositors["ssaa"]
    results: dict[str, object] = {"first view (shaders, detail levels) ms": round(first_ms, 1)}
    results.update({f"view 512 {name}": percentiles(samples[2:]) for name, samples in views.items()})

    start = time.perf_counter()
    frames = turntable(model, "s", ViewRequest(0.0, 10.0, 384, 384, "#ffffff"), 36)
    results["turntable 36x384 white s"] = round(time.perf_counter() - start, 2)
    picture = render_view(model, "s", ViewRequest(width=512, height=512))
    clear = render_view(model, "s", ViewRequest(width=512, height=512, background="transparent"))
    for name, fn in {
        "png 512 white": lambda: encode_image(picture, "png"),
        "png 512 transparent": lambda: encode_image(clear, "png"),
        "webp 512 white": lambda: encode_image(picture, "webp"),
        "webp 512 transparent": lambda: encode_image(clear, "webp"),
    }.items():
        results[f"{name} ms"] = percentiles([timed(fn) for _ in range(10)])
        results[f"{name} KiB"] = round(len(fn()) / 1024, 1)
    for name, fn in {"animated webp 36x384": lambda: encode_animated_webp(frames),
                     "mp4 36x384": lambda: encode_mp4(frames)}.items():
        start = time.perf_counter()
        data = fn()
        results[f"{name} s"] = round(time.perf_counter() - start, 2)
        results[f"{name} KiB"] = round(len(data) / 1024, 1)

    with current_context() as ctx:
        renderer = str(ctx.info.get("GL_RENDERER", ""))
    results["machine"] = {"renderer": renderer, "cpus": os.cpu_count(), "platform": platform.platform()}
    for name, value in results.items():
        print(f"{name:42s} {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
