"""glTF 2.0 (.glb, or .gltf + .bin + textures) -> ProductModel, with clear errors.

`read_model` gives the file's triangles flattened through the node hierarchy, as authored (file
units and axes); `load_model` also normalises them into the product frame (see normalise.py).
trimesh parses the geometry (accessors, Draco, triangle strips, the node graph); the file checks
(gltf_file.py), materials and variants (gltf_materials.py) are ours. Every failure is an
UnsupportedModel whose message names the file, the problem and what to do.

Limits (gltf_file.py): MAX_MODEL_BYTES (file plus referenced files), MAX_TRIANGLES (after
instancing), MAX_TEXTURE_SIDE and MAX_TEXTURE_PIXELS (checked from image headers, before decoding).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from tryon.errors import UnsupportedModel
from tryon.products.gltf_file import (
    DRACO,
    MAX_MODEL_BYTES,
    MAX_TEXTURE_PIXELS,
    MAX_TEXTURE_SIDE,
    MAX_TRIANGLES,
    TRIANGLE_MODES,
    GltfFile,
    malformed_as_unsupported,
    read_gltf_file,
)
from tryon.products.gltf_materials import MaterialTable, variant_mapping, variant_names, with_vertex_colour
from tryon.products.glasses_rig import rig_glasses
from tryon.products.model import Material, Primitive, ProductModel
from tryon.products.normalise import normalise_model

__all__ = [
    "MAX_MODEL_BYTES",
    "MAX_TEXTURE_PIXELS",
    "MAX_TEXTURE_SIDE",
    "MAX_TRIANGLES",
    "load_model",
    "model_variant_names",
    "read_model",
]

# Each glTF mesh is renamed m<index>p before trimesh sees it; trimesh names its primitives
# m<index>p, m<index>p_1, m<index>p_2, ... in primitive order, which maps them back.
_GEOMETRY_NAME = re.compile(r"^m(\d+)p(?:_(\d+))?$")


def load_model(path: str | Path, category: str = "other", source_unit: str | None = None) -> ProductModel:
    """Load a glTF 2.0 file as a ProductModel in the product frame (mm, +Y up, +Z front, origin
    at the category's fit anchor). source_unit ("m", "cm", "mm", "inch") skips unit detection.

    Raises UnsupportedModel for anything wrong with the file.
    """
    model = read_model(path)
    try:
        model = normalise_model(model, category, source_unit)
    except UnsupportedModel as exc:
        raise UnsupportedModel(f"{path}: {exc}") from exc
    return rig_glasses(model) if category in ("glasses", "sunglasses") else model


def model_variant_names(path: str | Path) -> tuple[str, ...]:
    """The KHR_materials_variants names a model file declares, without decoding its geometry."""
    return variant_names(read_gltf_file(path).document)


def read_model(path: str | Path) -> ProductModel:
    """A glTF file's triangle primitives, each node instance flattened into the file's root frame.

    Positions and normals keep the file's units and axes; UVs are in glTF convention; variant
    materials come from KHR_materials_variants. Raises UnsupportedModel.
    """
    gltf = read_gltf_file(path)
    with malformed_as_unsupported(gltf):
        kept = _triangle_primitives(gltf)
        _check_triangle_budget(gltf, kept)
        scene = _parse_geometry(gltf, kept)
        return _assemble(gltf, kept, scene)


@dataclass(frozen=True)
class _Instance:
    mesh: int
    primitive: int
    node: str
    transform: np.ndarray
    geometry: trimesh.Trimesh


def _triangle_primitives(gltf: GltfFile) -> dict[int, list[int]]:
    """mesh index -> indices of its triangle primitives (the ones we hand to trimesh)."""
    meshes = gltf.document.get("meshes", [])
    if not isinstance(meshes, list) or not meshes:
        raise gltf.fail("contains no meshes, so there is nothing to draw; export the product's geometry")
    kept: dict[int, list[int]] = {}
    for i, mesh in enumerate(meshes):
        primitives = mesh.get("primitives", []) if isinstance(mesh, dict) else []
        kept[i] = [
            k
            for k, p in enumerate(primitives if isinstance(primitives, list) else [])
            if isinstance(p, dict) and p.get("mode", 4) in TRIANGLE_MODES and "POSITION" in p.get("attributes", {})
        ]
    if not any(kept.values()):
        raise gltf.fail(
            "has no triangle geometry (its meshes hold only points, lines or triangle fans); "
            "export the product as a triangle mesh"
        )
    return kept


def _check_triangle_budget(gltf: GltfFile, kept: dict[int, list[int]]) -> None:
    """Refuse oversized files from accessor counts, before anything is decoded."""
    document = gltf.document
    accessors = document.get("accessors", [])
    uses = {i: 0 for i in kept}
    for node in document.get("nodes", []):
        if isinstance(node, dict) and node.get("mesh") in uses:
            uses[node["mesh"]] += 1
    total = 0
    for i, primitive_indices in kept.items():
        for k in primitive_indices:
            primitive = document["meshes"][i]["primitives"][k]
            source = primitive.get("indices", primitive["attributes"]["POSITION"])
            try:
                count = int(accessors[source]["count"])
            except (IndexError, KeyError, TypeError, ValueError) as exc:
                raise gltf.fail(f"mesh {i} primitive {k} refers to a missing accessor; re-export it") from exc
            triangles = count // 3 if primitive.get("mode", 4) == 4 else max(count - 2, 0)
            total += triangles * max(uses[i], 1)
    _check_triangle_total(gltf, total)


def _check_triangle_total(gltf: GltfFile, total: int) -> None:
    if total > MAX_TRIANGLES:
        raise gltf.fail(
            f"has {total} triangles, over the {MAX_TRIANGLES} limit; simplify it (e.g. Blender's "
            "Decimate modifier or gltf-transform simplify) to well under 100k for try-on"
        )


def _parse_geometry(gltf: GltfFile, kept: dict[int, list[int]]) -> trimesh.Scene:
    """trimesh parse of a copy of the document reduced to geometry (no images or materials).

    Buffers are served from memory under synthetic names; each mesh keeps only its triangle
    primitives and is renamed so trimesh's geometry names map back to (mesh, primitive).
    """
    skipped = ("buffers", "images", "textures", "samplers", "materials", "meshes", "nodes", "animations", "skins")
    document = {key: value for key, value in gltf.document.items() if key not in skipped}
    resources = {f"buffer{i}.bin": data for i, data in enumerate(gltf.buffers)}
    document["buffers"] = [{"uri": name, "byteLength": len(data)} for name, data in resources.items()]
    document["materials"] = [{} for _ in gltf.document.get("materials", [])]
    document["nodes"] = list(gltf.document.get("nodes", []))
    document["meshes"] = []
    uses_draco = False
    for i, mesh in enumerate(gltf.document["meshes"]):
        primitives = [mesh["primitives"][k] for k in kept[i]]
        document["meshes"].append({"name": f"m{i}p", "primitives": primitives})
        uses_draco |= any(DRACO in (p.get("extensions") or {}) for p in primitives)
    _ensure_scene(gltf, document)
    if uses_draco:
        _require_dracopy(gltf)
    try:
        scene = trimesh.load(
            io.BytesIO(json.dumps(document).encode()), file_type="gltf", resolver=resources, force="scene"
        )
    except Exception as exc:  # trimesh raises anything from KeyError to AssertionError on bad input
        raise gltf.fail(
            f"the geometry could not be parsed ({type(exc).__name__}: {exc}); the file is malformed, "
            "re-export it or check it with the Khronos glTF validator"
        ) from exc
    return scene


def _ensure_scene(gltf: GltfFile, document: dict[str, Any]) -> None:
    """Give scene-less files a scene: their root nodes, or one node per mesh if there are none."""
    scenes = document.get("scenes")
    if isinstance(scenes, list) and scenes:
        index = document.get("scene", 0)
        if not isinstance(index, int) or not 0 <= index < len(scenes):
            raise gltf.fail(f"'scene' is {index!r} but the file has {len(scenes)} scenes; re-export it")
        return
    nodes = document.setdefault("nodes", [])
    if not nodes:
        nodes.extend({"mesh": i} for i in range(len(document["meshes"])))
    children = {c for n in nodes if isinstance(n, dict) for c in n.get("children", [])}
    document["scenes"] = [{"nodes": [i for i in range(len(nodes)) if i not in children]}]
    document["scene"] = 0


def _require_dracopy(gltf: GltfFile) -> None:
    try:
        import DracoPy  # noqa: F401
    except ImportError as exc:
        raise gltf.fail("is Draco-compressed and DracoPy is not installed; pip install DracoPy") from exc


def _assemble(gltf: GltfFile, kept: dict[int, list[int]], scene: trimesh.Scene) -> ProductModel:
    instances = _instances(gltf, kept, scene)
    if not instances:
        raise gltf.fail("none of its meshes is placed in the scene by a node, so nothing would show; re-export it")
    meshes = gltf.document["meshes"]
    instanced = {i: sum(1 for x in instances if x.mesh == i and x.primitive == kept[i][0]) for i in kept if kept[i]}
    table = MaterialTable(gltf)
    variants = variant_names(gltf.document)
    primitives: list[Primitive] = []
    variant_materials: dict[str, list[Material]] = {name: [] for name in variants}
    for inst in instances:
        spec = meshes[inst.mesh]["primitives"][inst.primitive]
        name = _primitive_name(meshes[inst.mesh], inst, instanced[inst.mesh] > 1)
        flattened = _flatten(gltf, inst, name, spec)
        if flattened is None:
            continue
        positions, normals, uvs, indices, colours = flattened
        default_index = spec.get("material")
        mapping = variant_mapping(spec)
        primitives.append(
            Primitive(name, positions, normals, uvs, indices, with_vertex_colour(table.get(default_index), colours))
        )
        for v, variant in enumerate(variants):
            material = table.get(mapping.get(v, default_index))
            variant_materials[variant].append(with_vertex_colour(material, colours))
    if not primitives:
        raise gltf.fail("its triangle meshes have no triangles; export the product's geometry")
    _check_triangle_total(gltf, sum(len(p.indices) for p in primitives))
    return ProductModel(
        primitives=tuple(primitives),
        variant_materials={name: tuple(materials) for name, materials in variant_materials.items()},
    )


def _instances(gltf: GltfFile, kept: dict[int, list[int]], scene: trimesh.Scene) -> list[_Instance]:
    """Every (node, triangle primitive) pair, ordered by mesh, primitive, then scene order."""
    found = []
    for order, node in enumerate(scene.graph.nodes_geometry):
        transform, geometry_name = scene.graph[node]
        geometry = scene.geometry.get(geometry_name)
        match = _GEOMETRY_NAME.match(geometry_name or "")
        if not isinstance(geometry, trimesh.Trimesh) or match is None:
            continue
        mesh, nth = int(match.group(1)), int(match.group(2) or 0)
        if mesh not in kept or nth >= len(kept[mesh]):
            raise gltf.fail(f"internal: unexpected trimesh geometry {geometry_name!r}; please report this file")
        found.append((mesh, kept[mesh][nth], order, _Instance(mesh, kept[mesh][nth], node, transform, geometry)))
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found]


def _primitive_name(mesh: dict[str, Any], inst: _Instance, instanced: bool) -> str:
    name = str(mesh.get("name") or f"mesh{inst.mesh}")
    if len(mesh.get("primitives", [])) > 1:
        name += f"[{inst.primitive}]"
    return f"{name}@{inst.node}" if instanced else name


def _flatten(
    gltf: GltfFile, inst: _Instance, name: str, spec: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None] | None:
    """Positions, normals, uvs, indices and vertex colours of one instance in the root frame;
    None when there is nothing to draw (no triangles, or a node scaled to zero to hide it)."""
    geometry = inst.geometry
    vertices = np.asarray(geometry.vertices, dtype=np.float64)
    faces = np.asarray(geometry.faces, dtype=np.int64).reshape(-1, 3)
    if DRACO in (spec.get("extensions") or {}) and len(vertices) and not vertices.any():
        raise gltf.fail(
            f"the Draco-compressed mesh {name!r} could not be decoded (corrupt or truncated Draco data); "
            "re-export it, or export without Draco compression"
        )
    if len(faces) and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise gltf.fail(f"mesh {name!r} has triangle indices beyond its {len(vertices)} vertices; the file is corrupt")
    if not np.isfinite(vertices).all():
        raise gltf.fail(f"mesh {name!r} has NaN or infinite vertex positions; fix it in the modelling tool")
    linear, offset = inst.transform[:3, :3], inst.transform[:3, 3]
    if len(faces) == 0 or abs(np.linalg.det(linear)) < 1e-30:
        return None
    positions = vertices @ linear.T + offset
    normals = _unit_normals(np.asarray(geometry.vertex_normals, dtype=np.float64) @ np.linalg.inv(linear))
    if np.linalg.det(linear) < 0:  # a mirroring node flips the winding (glTF 2.0 spec, 3.7.4)
        faces = faces[:, [0, 2, 1]]
    return (
        _frozen(positions.astype(np.float32)),
        _frozen(normals.astype(np.float32)),
        _uvs(geometry),
        _frozen(faces.astype(np.uint32)),
        _vertex_colours(geometry),
    )


def _unit_normals(normals: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    bad = ~np.isfinite(length[:, 0]) | (length[:, 0] < 1e-12)
    normals = np.where(bad[:, None], 0.0, normals) / np.where(bad[:, None], 1.0, length)
    normals[bad] = (0.0, 1.0, 0.0)  # unused or degenerate vertices: any unit vector will do
    return normals


def _uvs(geometry: trimesh.Trimesh) -> np.ndarray | None:
    uv = getattr(geometry.visual, "uv", None)
    if uv is None or len(uv) != len(geometry.vertices):
        return None
    uv = np.array(uv, dtype=np.float32)
    uv[:, 1] = 1.0 - uv[:, 1]  # trimesh flips v to a bottom-left origin; glTF's is top-left
    return _frozen(uv)


def _vertex_colours(geometry: trimesh.Trimesh) -> np.ndarray | None:
    """COLOR_0 as (N, 3|4) float 0..1, or None."""
    visual = geometry.visual
    if isinstance(visual, trimesh.visual.TextureVisuals):
        colours = visual.vertex_attributes.get("color")
    elif visual.kind == "vertex":
        colours = visual.vertex_colors
    else:
        return None
    if colours is None or len(colours) == 0:
        return None
    colours = np.asarray(colours)
    if colours.dtype.kind in "ui":
        return colours.astype(np.float64) / float(np.iinfo(colours.dtype).max)
    return colours.astype(np.float64)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array

