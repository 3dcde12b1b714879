"""A normalised ProductModel -> glTF 2.0 binary (GLB), for the web client.

Why: the browser (three.js) draws the product itself, placed by the server's pose stream, and
that pose is expressed in the *normalised* product frame (tryon/products/model.py). Whatever
file a seller uploaded (centimetres, Z-up, origin anywhere), the client must therefore receive
the model exactly as the server normalised and renders it, not the original file. This module
writes that model, with one variant's materials, as a self-contained GLB.

Output frame and units: the product frame in METRES, as glTF requires (positions are the
model's millimetres / 1000): +Y up, +Z toward the viewer, +X to the viewer's right, origin at
the fit anchor. No node transform is added, so in three.js `object.scale.setScalar(1000)`
gives the server's millimetres again, and a pose in mm applies unchanged. The same statement is
written into the file as `asset.extras.frame`.

Structure: one node, one mesh, one glTF primitive per Primitive (in order, its name in the
primitive's `extras.name`; rigged glasses list each primitive's part in the mesh's `extras.parts`), one glTF material per distinct Material object (materials shared
by primitives in the model stay shared), textures embedded as PNG, identical images stored
once. The bytes depend only on the input (no time stamps, no random ids); nothing is cached.

Deliberate differences from a naive dump, so the browser draws what the server draws:
- a primitive without UVs wears an untextured copy of its material: the server's renderer does
  not sample textures on such primitives (compositor: `material.textured and has_uvs`);
- alphaCutoff is written only for alphaMode MASK (glTF ignores it otherwise);
- emissive factors above 1 are written as factor / strength with KHR_materials_emissive_strength.
Material has no sampler, texCoord, texture transform or normal scale, so every texture uses the
server's sampling: linear, trilinear mipmaps, repeat wrapping (tryon/render/scene.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from dataclasses import replace
from typing import Any

import numpy as np
from PIL import Image

from tryon.products.gltf_textures import texture_rgba
from tryon.products.model import Material, Primitive, ProductModel

__all__ = ["FRAME_DESCRIPTION", "GENERATOR", "product_model_glb", "product_model_glb_with_variants"]

GENERATOR = "tryon product_model_glb"
FRAME_DESCRIPTION = (
    "tryon product frame: metres (server millimetres / 1000), +Y up, +Z toward the viewer, "
    "+X to the viewer's right, origin at the fit anchor"
)
MM_PER_METRE = 1000.0

TRANSMISSION_EXT = "KHR_materials_transmission"
VARIANTS_EXT = "KHR_materials_variants"
EMISSIVE_STRENGTH_EXT = "KHR_materials_emissive_strength"

_GLB_MAGIC = b"glTF"
_GLB_VERSION = 2
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963
_FLOAT = 5126
_UNSIGNED_SHORT = 5123
_UNSIGNED_INT = 5125
_TRIANGLES = 4
_LINEAR = 9729
_LINEAR_MIPMAP_LINEAR = 9987
_REPEAT = 10497
_PNG_COMPRESS_LEVEL = 3  # fixed (same pixels, same bytes); 2048^2 photo: 0.35 s, 4% over level 6 (0.9 s)


def product_model_glb(model: ProductModel, variant: str | None = None) -> bytes:
    """The model in its product frame (metres, see the module docstring) as GLB bytes, wearing
    `variant`'s materials (None: the file's default materials).

    Raises UnknownVariant for a variant the model does not have, ValueError for a model with
    no primitives or a primitive with no vertices or triangles.
    """
    materials = model.materials_for(variant)
    if not model.primitives:
        raise ValueError("the model has no primitives, so there is nothing to export")
    writer = _GlbWriter()
    primitives = [writer.primitive(p, m) for p, m in zip(model.primitives, materials, strict=True)]
    return writer.finish(primitives, [p.part for p in model.primitives])


def product_model_glb_with_variants(model: ProductModel, jpeg_quality: int | None = 92) -> bytes:
    """The model as GLB with its default materials and every variant as KHR_materials_variants
    (variant names and order kept), so one file holds all of a product's looks: the catalog's
    prepared copy, which load.read_model reads back to the same variants.

    jpeg_quality: opaque textures of JPEG_FROM_PIXELS or more are stored as JPEG (as most shops'
    models already are): five 2048 px PNG maps make a 24 MB download, as JPEG about 4 MB.
    """
    if not model.primitives:
        raise ValueError("the model has no primitives, so there is nothing to export")
    writer = _GlbWriter(jpeg_quality)
    names = list(model.variant_materials)
    primitives = []
    for i, primitive in enumerate(model.primitives):
        spec = writer.primitive(primitive, primitive.material)
        by_material: dict[int, list[int]] = {}
        for v, name in enumerate(names):
            material = model.variant_materials[name][i]
            index = writer.material_index(material, untextured=primitive.uvs is None)
            by_material.setdefault(index, []).append(v)
        if by_material:
            mappings = [{"material": m, "variants": vs} for m, vs in by_material.items()]
            spec["extensions"] = {VARIANTS_EXT: {"mappings": mappings}}
        primitives.append(spec)
    if names:
        writer.extensions_used.add(VARIANTS_EXT)
        writer.document_extensions[VARIANTS_EXT] = {"variants": [{"name": n} for n in names]}
    return writer.finish(primitives)


def _textures(material: Material) -> tuple[np.ndarray | None, ...]:
    return (
        material.base_color_texture,
        material.metallic_roughness_texture,
        material.normal_texture,
        material.emissive_texture,
    )


def _untextured(material: Material) -> Material:
    return replace(
        material,
        base_color_texture=None,
        metallic_roughness_texture=None,
        normal_texture=None,
        emissive_texture=None,
    )


class _GlbWriter:
    """Accumulates the binary chunk and the glTF arrays, in first-use order."""

    def __init__(self, jpeg_quality: int | None = None) -> None:
        self.jpeg_quality = jpeg_quality
        self.blob = bytearray()
        self.buffer_views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []
        self.materials: list[dict[str, Any]] = []
        self.images: list[dict[str, Any]] = []
        self.textures: list[dict[str, Any]] = []
        self.extensions_used: set[str] = set()
        self.document_extensions: dict[str, Any] = {}
        # Keyed by id() of Materials the model holds (alive for the whole export).
        self._material_index: dict[tuple[int, bool], int] = {}
        self._image_texture: dict[bytes, int] = {}

    # --- geometry ------------------------------------------------------------------------------

    def primitive(self, primitive: Primitive, material: Material) -> dict[str, Any]:
        positions = np.asarray(primitive.positions, dtype=np.float64).reshape(-1, 3)
        indices = np.asarray(primitive.indices).reshape(-1)
        if len(positions) == 0 or len(indices) == 0:
            raise ValueError(f"primitive {primitive.name!r} has no vertices or no triangles; drop it before export")
        metres = (positions / MM_PER_METRE).astype(np.float32)
        attributes = {
            "POSITION": self._float_accessor(metres, "VEC3", with_bounds=True),
            "NORMAL": self._float_accessor(np.asarray(primitive.normals, dtype=np.float32).reshape(-1, 3), "VEC3"),
        }
        has_uvs = primitive.uvs is not None
        if has_uvs:
            uvs = np.asarray(primitive.uvs, dtype=np.float32).reshape(-1, 2)
            attributes["TEXCOORD_0"] = self._float_accessor(uvs, "VEC2")
        return {
            "attributes": attributes,
            "indices": self._index_accessor(indices, len(positions)),
            "material": self.material_index(material, untextured=not has_uvs),
            "mode": _TRIANGLES,
            "extras": {"name": primitive.name},
        }

    def _view(self, data: bytes, target: int | None) -> int:
        self.blob += b"\0" * (-len(self.blob) % 4)
        view: dict[str, Any] = {"buffer": 0, "byteOffset": len(self.blob), "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.buffer_views.append(view)
        self.blob += data
        return len(self.buffer_views) - 1

    def _float_accessor(self, values: np.ndarray, kind: str, *, with_bounds: bool = False) -> int:
        data = np.ascontiguousarray(values, dtype="<f4")
        accessor: dict[str, Any] = {
            "bufferView": self._view(data.tobytes(), _ARRAY_BUFFER),
            "componentType": _FLOAT,
            "count": len(data),
            "type": kind,
        }
        if with_bounds:  # required for POSITION; exactly the float32 values written
            accessor["min"] = [float(v) for v in data.min(axis=0)]
            accessor["max"] = [float(v) for v in data.max(axis=0)]
        self.accessors.append(accessor)
        return len(self.accessors) - 1

    def _index_accessor(self, indices: np.ndarray, vertex_count: int) -> int:
        # glTF forbids the component type's maximum (a restart value), so u16 up to 65535 vertices.
        small = vertex_count <= 0xFFFF
        data = np.ascontiguousarray(indices, dtype="<u2" if small else "<u4")
        self.accessors.append(
            {
                "bufferView": self._view(data.tobytes(), _ELEMENT_ARRAY_BUFFER),
                "componentType": _UNSIGNED_SHORT if small else _UNSIGNED_INT,
                "count": len(data),
                "type": "SCALAR",
            }
        )
        return len(self.accessors) - 1

    # --- materials -----------------------------------------------------------------------------

    def material_index(self, material: Material, *, untextured: bool) -> int:
        untextured = untextured and any(t is not None for t in _textures(material))
        key = (id(material), untextured)
        if key not in self._material_index:
            self.materials.append(self._material_json(_untextured(material) if untextured else material))
            self._material_index[key] = len(self.materials) - 1
        return self._material_index[key]

    def _material_json(self, material: Material) -> dict[str, Any]:
        pbr: dict[str, Any] = {
            "baseColorFactor": [float(c) for c in material.base_color],
            "metallicFactor": float(material.metallic),
            "roughnessFactor": float(material.roughness),
        }
        base, metallic_roughness, normal, emissive_texture = _textures(material)
        if base is not None:
            pbr["baseColorTexture"] = {"index": self._texture(base)}
        if metallic_roughness is not None:
            pbr["metallicRoughnessTexture"] = {"index": self._texture(metallic_roughness)}
        spec: dict[str, Any] = {"name": material.name, "pbrMetallicRoughness": pbr}
        if normal is not None:
            spec["normalTexture"] = {"index": self._texture(normal)}
        if emissive_texture is not None:
            spec["emissiveTexture"] = {"index": self._texture(emissive_texture)}
        extensions: dict[str, Any] = {}
        emissive = [float(c) for c in material.emissive]
        if any(emissive):
            strength = max(emissive)
            if strength > 1.0:  # emissiveFactor is limited to 0..1; the rest is the strength
                emissive = [c / strength for c in emissive]
                extensions[EMISSIVE_STRENGTH_EXT] = {"emissiveStrength": strength}
            spec["emissiveFactor"] = emissive
        spec["alphaMode"] = material.alpha_mode
        if material.alpha_mode == "MASK":
            spec["alphaCutoff"] = float(material.alpha_cutoff)
        spec["doubleSided"] = bool(material.double_sided)
        if material.transmission > 0.0:
            extensions[TRANSMISSION_EXT] = {"transmissionFactor": float(material.transmission)}
        if extensions:
            spec["extensions"] = extensions
            self.extensions_used.update(extensions)
        return spec

    def _texture(self, image: np.ndarray) -> int:
        """The texture index of an image, embedding it as PNG the first time its pixels are seen."""
        pixels = texture_rgba(image)
        key = hashlib.sha256(repr(pixels.shape).encode() + pixels.tobytes()).digest()
        if key not in self._image_texture:
            data, mime = _image_bytes(pixels, self.jpeg_quality)
            view = self._view(data, None)
            self.images.append({"bufferView": view, "mimeType": mime})
            self.textures.append({"sampler": 0, "source": len(self.images) - 1})
            self._image_texture[key] = len(self.textures) - 1
        return self._image_texture[key]

    # --- container -----------------------------------------------------------------------------

    def finish(self, primitives: list[dict[str, Any]], parts: list[str] | None = None) -> bytes:
        """The GLB. parts: each primitive's Primitive.part, written as the mesh's extras.parts
        (three.js copies a mesh's extras to each primitive's Mesh, in primitive order) when any
        is set, so a client can move glasses temples as the server does."""
        self.blob += b"\0" * (-len(self.blob) % 4)
        mesh: dict[str, Any] = {"name": "product", "primitives": primitives}
        if parts and any(parts):
            mesh["extras"] = {"parts": parts}
        document: dict[str, Any] = {
            "asset": {"version": "2.0", "generator": GENERATOR, "extras": {"frame": FRAME_DESCRIPTION}},
            "scene": 0,
            "scenes": [{"nodes": [0]}],
            "nodes": [{"name": "product", "mesh": 0}],
            "meshes": [mesh],
            "materials": self.materials,
            "accessors": self.accessors,
            "bufferViews": self.buffer_views,
            "buffers": [{"byteLength": len(self.blob)}],
        }
        if self.textures:
            document["samplers"] = [
                {"magFilter": _LINEAR, "minFilter": _LINEAR_MIPMAP_LINEAR, "wrapS": _REPEAT, "wrapT": _REPEAT}
            ]
            document["images"] = self.images
            document["textures"] = self.textures
        if self.document_extensions:
            document["extensions"] = self.document_extensions
        if self.extensions_used:
            document["extensionsUsed"] = sorted(self.extensions_used)
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
        text += b" " * (-len(text) % 4)
        chunks = struct.pack("<II", len(text), _CHUNK_JSON) + text
        chunks += struct.pack("<II", len(self.blob), _CHUNK_BIN) + bytes(self.blob)
        return struct.pack("<4sII", _GLB_MAGIC, _GLB_VERSION, 12 + len(chunks)) + chunks


JPEG_FROM_PIXELS = 256 * 256  # smaller maps (flat colours, masks) stay PNG: exact and already small


def _image_bytes(pixels: np.ndarray, jpeg_quality: int | None) -> tuple[bytes, str]:
    """(encoded image, its MIME type): JPEG for a large opaque RGB(A) image when asked, else PNG."""
    opaque = pixels.shape[2] in (1, 3) or bool((pixels[:, :, -1] == 255).all())
    if jpeg_quality is None or not opaque or pixels.shape[0] * pixels.shape[1] < JPEG_FROM_PIXELS:
        return _png_bytes(pixels), "image/png"
    rgb = pixels[:, :, :3] if pixels.shape[2] >= 3 else np.repeat(pixels[:, :, :1], 3, axis=2)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="JPEG", quality=jpeg_quality, subsampling=0)
    return buffer.getvalue(), "image/jpeg"


def _png_bytes(pixels: np.ndarray) -> bytes:
    """PNG of (H, W, C) uint8 pixels; a fully opaque alpha channel is left out (same pixels
    once decoded as RGBA, a smaller file)."""
    channels = pixels.shape[2]
    if channels in (2, 4) and bool((pixels[:, :, -1] == 255).all()):
        pixels, channels = pixels[:, :, :-1], channels - 1
    image = Image.fromarray(np.ascontiguousarray(pixels if channels > 1 else pixels[:, :, 0]))  # L, LA, RGB, RGBA
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return buffer.getvalue()
