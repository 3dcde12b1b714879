"""Wavefront OBJ (+ .mtl + textures) -> ProductModel, as authored (file units and axes).

trimesh parses the geometry (polygons fanned into triangles, one mesh per usemtl material); the
.mtl is parsed by obj_materials.py and trimesh is given a stand-in library that only names the
materials, so it groups faces by material without reading (or mis-reading) the real one. Run
preflight_obj first: it reads the files once and checks them against the limits.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import trimesh

from tryon.errors import UnsupportedModel
from tryon.products.model import Material, Primitive, ProductModel
from tryon.products.obj_materials import build_material, decode_texture
from tryon.products.preflight_obj import ObjPreflight

_STAND_IN_LIBRARY = "tryon-material-names.mtl"
_MTLLIB_LINE = re.compile(r"^[ \t]*mtllib\b.*$", re.MULTILINE)


def read_obj_model(path: Path, checked: ObjPreflight) -> ProductModel:
    """The OBJ's triangles, one Primitive per material in first-use order. Raises UnsupportedModel."""
    materials = _materials(path, checked)
    scene = _parse(path, checked)
    order = {name: i for i, name in enumerate(checked.material_names)}
    found = []
    for name, geometry in scene.geometry.items():
        if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
            continue
        material_name = getattr(getattr(geometry.visual, "material", None), "name", None)
        found.append((order.get(material_name, len(order)), str(name), material_name, geometry))
    found.sort(key=lambda item: item[:2])
    primitives = [_primitive(path, geometry, materials.get(m)) for _, _, m, geometry in found]
    if not primitives:
        raise UnsupportedModel(f"{path.name}: its faces hold no triangles; export the product's geometry")
    return ProductModel(primitives=tuple(primitives))


def _materials(path: Path, checked: ObjPreflight) -> dict[str, Material]:
    textures = {}
    for name, data in checked.textures.items():
        try:
            textures[name] = decode_texture(data)
        except (OSError, ValueError, SyntaxError) as exc:
            raise UnsupportedModel(
                f"{path.name}: texture {name!r} could not be decoded ({exc}); save it again as PNG or JPEG"
            ) from exc
    return {name: build_material(spec, textures.get(spec.map_kd or "")) for name, spec in checked.materials.items()}


def _parse(path: Path, checked: ObjPreflight) -> trimesh.Scene:
    names = "".join(f"newmtl {name}\n" for name in checked.material_names)
    text = f"mtllib {_STAND_IN_LIBRARY}\n" + _MTLLIB_LINE.sub("", checked.text)
    try:
        return trimesh.load(
            io.BytesIO(text.encode("utf-8")),
            file_type="obj",
            resolver={_STAND_IN_LIBRARY: names.encode("utf-8")},
            force="scene",
            process=False,
        )
    except Exception as exc:  # trimesh raises anything from IndexError to ValueError on bad input
        raise UnsupportedModel(
            f"{path.name}: the OBJ geometry could not be parsed ({type(exc).__name__}: {exc}); the file is "
            "damaged, export it again as OBJ or as glTF 2.0 (.glb)"
        ) from exc


def _primitive(path: Path, geometry: trimesh.Trimesh, material: Material | None) -> Primitive:
    name = material.name if material is not None else path.stem
    vertices = np.asarray(geometry.vertices, dtype=np.float64)
    if not np.isfinite(vertices).all():
        raise UnsupportedModel(
            f"{path.name}: mesh {name!r} has NaN or infinite vertex positions; fix it and export again"
        )
    normals = np.asarray(geometry.vertex_normals, dtype=np.float64)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    bad = ~np.isfinite(length[:, 0]) | (length[:, 0] < 1e-12)
    normals = np.where(bad[:, None], (0.0, 1.0, 0.0), normals / np.where(bad[:, None], 1.0, length))
    uv = getattr(geometry.visual, "uv", None)
    uvs = None
    if uv is not None and len(uv) == len(vertices):
        uvs = np.array(uv, dtype=np.float32)
        uvs[:, 1] = 1.0 - uvs[:, 1]  # OBJ's v runs up from the bottom; glTF's down from the top
    return Primitive(
        name=name,
        positions=_frozen(vertices.astype(np.float32)),
        normals=_frozen(normals.astype(np.float32)),
        uvs=None if uvs is None else _frozen(uvs),
        indices=_frozen(np.asarray(geometry.faces, dtype=np.uint32).reshape(-1, 3)),
        material=material if material is not None else Material(),
    )


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
