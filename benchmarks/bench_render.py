"""Render + composite timings (p50/p95 ms) at 640x480 and 1280x720.

Scenarios: no items (pass-through), and the Khronos sunglasses (~13k triangles) 500 mm in
front of the camera, centred, turned 15 degrees, with each anti-aliasing mode (FXAA, 2x2 SSAA,
none), and with the default mode plus a head-sized occluder, drawn with and without the
coarser copies of heavy primitives (level_of_detail); the default mode is what `Compositor()`
picks on this driver. Prints a table, writes
benchmarks/results/render.json and sample PNGs in test-artifacts/.

    .venv/bin/python benchmarks/bench_render.py [--iterations 200]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import cv2
import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.products.model import Material, Primitive, ProductModel
from tryon.render.compositor import Compositor
from tryon.render.context import current_context
from tryon.render.items import Occluder, RenderItem

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SUNGLASSES = DATA / "models3d" / "sunglasses_khronos" / "SunglassesKhronos.glb"
FACE = DATA / "faces" / "obama_official_portrait_frontal.jpg"
RESULTS = ROOT / "benchmarks" / "results" / "render.json"
ARTIFACTS = ROOT / "test-artifacts"
SIZES = ((640, 480), (1280, 720))
# Product frame is +Y up, +Z toward the viewer; the camera frame is y down, z forward: a 180
# degree turn about X faces the product to the camera.
FLIP_YZ = np.diag([1.0, -1.0, -1.0])


def load_sunglasses() -> ProductModel:
    """The project loader when present, else a minimal trimesh conversion (metres -> mm).

    Category "other" keeps the file's axes (glTF: +Y up, +Z front); `placed` centres the model
    itself, so the benchmark does not depend on the loader's orientation and origin rules.
    """
    try:
        from tryon.products.load import load_model
    except ImportError:
        return _load_with_trimesh(SUNGLASSES)
    return load_model(SUNGLASSES, category="other")


def _load_with_trimesh(path: Path) -> ProductModel:
    import trimesh

    scene = trimesh.load(str(path))
    primitives = []
    for node in scene.graph.nodes_geometry:
        transform, geometry_name = scene.graph[node]
        mesh = scene.geometry[geometry_name].copy()
        mesh.apply_transform(transform)
        mesh.apply_scale(1000.0)
        pbr = mesh.visual.material
        factor = pbr.baseColorFactor
        base = (1.0, 1.0, 1.0, 1.0) if factor is None else tuple(float(c) / 255.0 for c in factor)
        texture = None
        if getattr(pbr, "baseColorTexture", None) is not None:
            texture = np.asarray(pbr.baseColorTexture.convert("RGBA"))
        lens = geometry_name.startswith("Lenses")
        material = Material(
            name=geometry_name,
            base_color=(*base[:3], 0.75) if lens else base,  # transmission stands in as BLEND
            metallic=float(pbr.metallicFactor if pbr.metallicFactor is not None else 1.0),
            roughness=float(pbr.roughnessFactor if pbr.roughnessFactor is not None else 1.0),
            base_color_texture=texture,
            alpha_mode="BLEND" if lens else "OPAQUE",
        )
        uv = getattr(mesh.visual, "uv", None)
        primitives.append(
            Primitive(
                name=geometry_name,
                positions=np.asarray(mesh.vertices, np.float32),
                normals=np.asarray(mesh.vertex_normals, np.float32),
                uvs=None if uv is None else np.asarray(uv, np.float32) * [1, -1] + [0, 1],  # trimesh flips v
                indices=np.asarray(mesh.faces, np.uint32),
                material=material,
            )
        )
    model = ProductModel(tuple(primitives))
    lo, hi = model.bounds
    # Origin at the bridge: centred in x and y on the frame front, z at its back.
    offset = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, 0.0], np.float32)
    return ProductModel(tuple(_moved(p, offset) for p in primitives), normalisation=("bench: trimesh, m->mm",))


def _moved(p: Primitive, offset: np.ndarray) -> Primitive:
    return Primitive(p.name, p.positions + offset, p.normals, p.uvs, p.indices, p.material)


def face_frame(width: int, height: int) -> np.ndarray:
    """The portrait cropped around the face to the target aspect, resized to width x height."""
    image = cv2.imread(str(FACE))
    if image is None:
        raise FileNotFoundError(FACE)
    h, w = image.shape[:2]
    crop_w = w
    crop_h = min(h, int(round(crop_w * height / width)))
    top = max(0, int(0.02 * h))
    return cv2.resize(image[top : top + crop_h, :crop_w], (width, height), interpolation=cv2.INTER_AREA)


def placed(model: ProductModel, distance_mm: float, yaw_deg: float = 0.0) -> RenderItem:
    """The model facing the camera, its front face `distance_mm` away, centred on the optical
    axis, turned `yaw_deg` about its vertical axis."""
    lo, hi = model.bounds.astype(np.float64)
    front_centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[2]])
    yaw = np.radians(yaw_deg)
    turn = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    camera_from_model = np.eye(4)
    camera_from_model[:3, :3] = FLIP_YZ @ turn
    camera_from_model[:3, 3] = np.array([0.0, 0.0, distance_mm]) - camera_from_model[:3, :3] @ front_centre
    return RenderItem(model=model, model_key="bench-sunglasses", variant=None, camera_from_model=camera_from_model)


def head_occluder(glasses: RenderItem) -> Occluder:
    """A head-sized ellipsoid behind the glasses' frame front (camera frame, mm), like the
    pipeline's head proxy: it hides most of the temples."""
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=3)
    front = glasses.camera_from_model[:3, 3] @ np.array([0.0, 0.0, 1.0])
    centre = np.array([0.0, 20.0, front + 95.0])
    vertices = np.asarray(sphere.vertices) * [72.0, 110.0, 95.0] + centre
    return Occluder(vertices.astype(np.float32), np.asarray(sphere.faces, dtype=np.uint32))


def time_scenarios(scenarios: dict, frame: np.ndarray, camera: CameraIntrinsics, iterations: int) -> dict:
    """p50/p95 ms per scenario (compositor, items, occluders). Scenarios take turns frame by frame, so
    load from other processes on a shared machine hits them all alike."""
    for compositor, items, occluders in scenarios.values():
        for _ in range(10):
            compositor.render(frame, camera, items, occluders)
    samples: dict[str, list[float]] = {name: [] for name in scenarios}
    for _ in range(iterations):
        for name, (compositor, items, occluders) in scenarios.items():
            start = time.perf_counter()
            compositor.render(frame, camera, items, occluders)
            samples[name].append((time.perf_counter() - start) * 1000.0)
    return {
        name: {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}
        for name, times in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()

    with current_context() as ctx:
        renderer = str(ctx.info["GL_RENDERER"])
    model = load_sunglasses()
    item = placed(model, 500.0, yaw_deg=15.0)
    compositors = {mode: Compositor(antialiasing=mode) for mode in ("fxaa", "ssaa", "none")}
    default = Compositor()
    full_detail = Compositor(level_of_detail=False)
    results: dict = {
        "device": renderer,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "model": {"path": str(SUNGLASSES.relative_to(DATA.parent)), "triangles": model.triangle_count},
        "default_antialiasing": default.antialiasing,
        "iterations": args.iterations,
        "load_average_before": os.getloadavg(),
        "sizes": {},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    print(f"{renderer}, {model.triangle_count} triangles, {args.iterations} iterations, default AA {default.antialiasing}")
    print(f"{'size':>10} {'scenario':<31} {'p50 ms':>8} {'p95 ms':>8}")
    for width, height in SIZES:
        frame = face_frame(width, height)
        camera = CameraIntrinsics.from_fov(width, height)
        head = [head_occluder(item)]
        scenarios = {"no_items": (default, [], [])}
        scenarios.update({f"sunglasses_{mode}": (compositor, [item], []) for mode, compositor in compositors.items()})
        scenarios[f"sunglasses_{default.antialiasing}_head_occluder"] = (default, [item], head)
        scenarios[f"sunglasses_{default.antialiasing}_head_full_detail"] = (full_detail, [item], head)
        rows = time_scenarios(scenarios, frame, camera, args.iterations)
        results["sizes"][f"{width}x{height}"] = rows
        for name, row in rows.items():
            print(f"{width}x{height:<5} {name:<31} {row['p50_ms']:8.2f} {row['p95_ms']:8.2f}")
        for mode, compositor in compositors.items():
            image = compositor.render(frame, camera, [item], [])
            cv2.imwrite(str(ARTIFACTS / f"render_sunglasses_{width}x{height}_{mode}.png"), image)
        image = default.render(frame, camera, [item], head)
        cv2.imwrite(str(ARTIFACTS / f"render_sunglasses_{width}x{height}_head_occluder.png"), image)
    results["load_average_after"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
