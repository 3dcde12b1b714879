"""Write parts and their colour variants as a glTF 2.0 binary (GLB) with KHR_materials_variants.

Positions go out in metres, as glTF requires. Values are rounded (1 um, 1e-5 for normals and
UVs) before the float32 cast so that last-bit differences in sin/cos between machines cannot
change the bytes: the committed files can be reproduced anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pygltflib as gl

from demo_catalog.materials import MaterialSpec
from demo_catalog.surfaces import Part

GENERATOR = "tryon build_demo_catalog"
COPYRIGHT = "CC0-1.0, tryon project"
VARIANTS_EXT = "KHR_materials_variants"
TRANSMISSION_EXT = "KHR_materials_transmission"

_ARRAY_BUFFER = 34962
_ELEMENT_ARRAY_BUFFER = 34963
_LINEAR = 9729
_LINEAR_MIPMAP_LINEAR = 9987
_REPEAT = 10497


@dataclass(frozen=True)
class Variant:
    """A named colourway: the material of each part it changes (parts not named never change)."""

    name: str
    materials: dict[str, MaterialSpec]


@dataclass(frozen=True)
class Look:
    """All of a product's materials: its variants, first = default, and the fixed materials of
    parts that look the same in every variant (clear lenses)."""

    variants: tuple[Variant, ...]
    fixed: dict[str, MaterialSpec] = field(default_factory=dict)

    def material_of(self, part: str) -> MaterialSpec:
        """The part's default material: the first variant's, else its fixed one."""
        first = self.variants[0].materials
        if part in first:
            return first[part]
        if part in self.fixed:
            return self.fixed[part]
        raise ValueError(f"part {part!r} has no material; name it in the first variant or in fixed")


def quantised_positions_m(part: Part) -> np.ndarray:
    """(N,3) float32 metres exactly as written to the file."""
    return (np.round(part.positions * 1e-3, 6) + 0.0).astype(np.float32)


def glb_bytes(name: str, parts: Sequence[Part], look: Look) -> bytes:
    """The whole GLB: one node and one single-primitive mesh per part under a root node `name`."""
    builder = _Builder()
    variant_index = {v.name: i for i, v in enumerate(look.variants)}
    nodes = []
    for part in parts:
        default = look.material_of(part.name)
        attributes = gl.Attributes(
            POSITION=builder.accessor(quantised_positions_m(part), "VEC3", with_bounds=True),
            NORMAL=builder.accessor(_rounded(part.normals, 5), "VEC3"),
        )
        if part.uvs is not None and _textured(part.name, look):
            attributes.TEXCOORD_0 = builder.accessor(_rounded(part.uvs, 5), "VEC2")
        primitive = gl.Primitive(
            attributes=attributes,
            indices=builder.indices(part.indices, len(part.positions)),
            material=builder.material(default),
            mode=gl.TRIANGLES,
        )
        mappings = _mappings(part.name, look, builder, variant_index)
        if mappings:
            primitive.extensions = {VARIANTS_EXT: {"mappings": mappings}}
        builder.gltf.meshes.append(gl.Mesh(name=part.name, primitives=[primitive]))
        nodes.append(len(builder.gltf.nodes))
        builder.gltf.nodes.append(gl.Node(name=part.name, mesh=len(builder.gltf.meshes) - 1))
    for variant in look.variants:  # every variant material is in the file, even if unmapped
        for material in variant.materials.values():
            builder.material(material)

    gltf = builder.gltf
    gltf.nodes.append(gl.Node(name=name, children=nodes))
    gltf.scenes = [gl.Scene(name=name, nodes=[len(gltf.nodes) - 1])]
    gltf.scene = 0
    gltf.asset = gl.Asset(version="2.0", generator=GENERATOR, copyright=COPYRIGHT)
    gltf.extensionsUsed = [VARIANTS_EXT]
    if any(TRANSMISSION_EXT in (m.extensions or {}) for m in gltf.materials):
        gltf.extensionsUsed.append(TRANSMISSION_EXT)
    gltf.extensions = {VARIANTS_EXT: {"variants": [{"name": v.name} for v in look.variants]}}
    return builder.finish()


def _mappings(part: str, look: Look, builder: _Builder, variant_index: dict[str, int]) -> list[dict]:
    """Group the variants by the material they give this part, in first-use order."""
    groups: dict[int, list[int]] = {}
    for variant in look.variants:
        if part in variant.materials:
            groups.setdefault(builder.material(variant.materials[part]), []).append(
                variant_index[variant.name]
            )
    return [{"material": m, "variants": vs} for m, vs in groups.items()]


def _textured(part: str, look: Look) -> bool:
    """Whether any material this part can wear samples a texture (else its UVs stay out)."""
    materials = [look.material_of(part)] + [v.materials[part] for v in look.variants if part in v.materials]
    return any(m.base_color_png is not None for m in materials)


def _rounded(values: np.ndarray, decimals: int) -> np.ndarray:
    return (np.round(values, decimals) + 0.0).astype(np.float32)  # + 0.0 folds -0.0 into 0.0


class _Builder:
    """Accumulates the binary buffer and the glTF arrays; materials are de-duplicated by name."""

    def __init__(self) -> None:
        self.gltf = gl.GLTF2()
        self.blob = bytearray()
        self._materials: dict[str, tuple[int, MaterialSpec]] = {}
        self._images: dict[bytes, int] = {}

    def view(self, data: bytes, target: int | None) -> int:
        self.blob += b"\0" * (-len(self.blob) % 4)
        self.gltf.bufferViews.append(
            gl.BufferView(buffer=0, byteOffset=len(self.blob), byteLength=len(data), target=target)
        )
        self.blob += data
        return len(self.gltf.bufferViews) - 1

    def accessor(self, values: np.ndarray, kind: str, *, with_bounds: bool = False) -> int:
        view = self.view(values.tobytes(), _ARRAY_BUFFER)
        accessor = gl.Accessor(bufferView=view, componentType=gl.FLOAT, count=len(values), type=kind)
        if with_bounds:
            accessor.min = [float(v) for v in values.min(axis=0)]
            accessor.max = [float(v) for v in values.max(axis=0)]
        self.gltf.accessors.append(accessor)
        return len(self.gltf.accessors) - 1

    def indices(self, indices: np.ndarray, vertex_count: int) -> int:
        small = vertex_count <= 65535
        data = indices.astype(np.uint16 if small else np.uint32).reshape(-1)
        view = self.view(data.tobytes(), _ELEMENT_ARRAY_BUFFER)
        component = gl.UNSIGNED_SHORT if small else gl.UNSIGNED_INT
        self.gltf.accessors.append(
            gl.Accessor(bufferView=view, componentType=component, count=len(data), type="SCALAR")
        )
        return len(self.gltf.accessors) - 1

    def material(self, spec: MaterialSpec) -> int:
        known = self._materials.get(spec.name)
        if known is not None:
            if known[1] != spec:
                raise ValueError(f"two different materials are both named {spec.name!r}")
            return known[0]
        pbr = gl.PbrMetallicRoughness(
            baseColorFactor=list(spec.base_color),
            metallicFactor=spec.metallic,
            roughnessFactor=spec.roughness,
        )
        if spec.base_color_png is not None:
            pbr.baseColorTexture = gl.TextureInfo(index=self.texture(spec.base_color_png), texCoord=0)
        material = gl.Material(name=spec.name, pbrMetallicRoughness=pbr, alphaMode=spec.alpha_mode, doubleSided=False)
        if spec.transmission > 0.0:
            material.extensions = {TRANSMISSION_EXT: {"transmissionFactor": spec.transmission}}
        self.gltf.materials.append(material)
        index = len(self.gltf.materials) - 1
        self._materials[spec.name] = (index, spec)
        return index

    def texture(self, png: bytes) -> int:
        if png not in self._images:
            if not self.gltf.samplers:
                self.gltf.samplers.append(
                    gl.Sampler(
                        magFilter=_LINEAR, minFilter=_LINEAR_MIPMAP_LINEAR, wrapS=_REPEAT, wrapT=_REPEAT
                    )
                )
            self.gltf.images.append(gl.Image(bufferView=self.view(png, None), mimeType="image/png"))
            self.gltf.textures.append(gl.Texture(sampler=0, source=len(self.gltf.images) - 1))
            self._images[png] = len(self.gltf.textures) - 1
        return self._images[png]

    def finish(self) -> bytes:
        self.blob += b"\0" * (-len(self.blob) % 4)
        self.gltf.buffers = [gl.Buffer(byteLength=len(self.blob))]
        self.gltf.set_binary_blob(bytes(self.blob))
        return b"".join(self.gltf.save_to_bytes())
