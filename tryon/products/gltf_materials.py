"""glTF materials and KHR_materials_variants, read from the JSON into tryon Materials.

Materials are read from the glTF JSON rather than from trimesh's PBRMaterial: trimesh rounds
colour factors to 8 bits and only builds materials that some primitive uses by default, while
variant materials are used by none.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from tryon.products.gltf_file import GltfFile
from tryon.products.gltf_textures import TextureDecoder
from tryon.products.model import Material

VARIANTS_EXTENSION = "KHR_materials_variants"



class MaterialTable:
    """Per-load cache: glTF material index -> Material (built on first use, textures shared)."""

    def __init__(self, gltf: GltfFile) -> None:
        self._gltf = gltf
        self._textures = TextureDecoder(gltf)
        self._built: dict[int, Material] = {}

    def get(self, index: int | None) -> Material | None:
        """The Material for a glTF material index; None for a primitive without one."""
        if index is None:
            return None
        if index not in self._built:
            materials = self._gltf.document.get("materials", [])
            if not isinstance(index, int) or not 0 <= index < len(materials) or not isinstance(materials[index], dict):
                raise self._gltf.fail(
                    f"a primitive uses material {index!r} but the file has {len(materials)} materials; re-export it"
                )
            try:
                self._built[index] = self._build(materials[index], index)
            except (TypeError, ValueError) as exc:
                raise self._gltf.fail(f"material {index} is malformed ({exc}); re-export the model") from exc
        return self._built[index]

    def _build(self, spec: dict[str, Any], index: int) -> Material:
        name = str(spec.get("name") or f"material{index}")
        slot = f"material {name!r}"
        pbr = spec.get("pbrMetallicRoughness") or {}
        extensions = spec.get("extensions") or {}
        base = _floats(pbr.get("baseColorFactor", (1.0, 1.0, 1.0, 1.0)), 4)
        metallic = float(pbr.get("metallicFactor", 1.0))
        roughness = float(pbr.get("roughnessFactor", 1.0))
        base_texture = self._textures.texture(pbr.get("baseColorTexture"), f"{slot} baseColorTexture")
        mr_texture = self._textures.texture(pbr.get("metallicRoughnessTexture"), f"{slot} metallicRoughnessTexture")
        glossy = extensions.get("KHR_materials_pbrSpecularGlossiness")
        if isinstance(glossy, dict):  # older exporters: approximate as a dielectric
            base = _floats(glossy.get("diffuseFactor", (1.0, 1.0, 1.0, 1.0)), 4)
            base_texture = self._textures.texture(glossy.get("diffuseTexture"), f"{slot} diffuseTexture")
            metallic, roughness, mr_texture = 0.0, 1.0 - float(glossy.get("glossinessFactor", 1.0)), None
        alpha_mode = spec.get("alphaMode", "OPAQUE")
        if alpha_mode not in ("OPAQUE", "MASK", "BLEND"):
            alpha_mode = "OPAQUE"
        # Thin-walled transmission (a lens): the renderer tints the light behind by the base
        # colour (KHR_materials_volume's thickness and the transmission texture are not used).
        transmission = float((extensions.get("KHR_materials_transmission") or {}).get("transmissionFactor", 0.0))
        return Material(
            name=name,
            base_color=base,
            metallic=_unit(metallic),
            roughness=_unit(roughness),
            emissive=_floats(spec.get("emissiveFactor", (0.0, 0.0, 0.0)), 3),
            base_color_texture=base_texture,
            metallic_roughness_texture=mr_texture,
            normal_texture=self._textures.texture(spec.get("normalTexture"), f"{slot} normalTexture"),
            emissive_texture=self._textures.texture(spec.get("emissiveTexture"), f"{slot} emissiveTexture"),
            alpha_mode=alpha_mode,
            alpha_cutoff=float(spec.get("alphaCutoff", 0.5)),
            double_sided=bool(spec.get("doubleSided", False)),
            transmission=_unit(transmission),
        )


def variant_names(document: dict[str, Any]) -> tuple[str, ...]:
    """KHR_materials_variants names in file order (index = variant index); duplicates get a suffix."""
    variants = (document.get("extensions") or {}).get(VARIANTS_EXTENSION, {}).get("variants", [])
    names: list[str] = []
    for i, variant in enumerate(variants if isinstance(variants, list) else []):
        name = str(variant.get("name") or f"variant{i}") if isinstance(variant, dict) else f"variant{i}"
        while name in names:
            name = f"{name}_{i}"
        names.append(name)
    return tuple(names)


def variant_mapping(primitive: dict[str, Any]) -> dict[int, int]:
    """variant index -> material index for one glTF primitive (unmapped variants are absent)."""
    mappings = (primitive.get("extensions") or {}).get(VARIANTS_EXTENSION, {}).get("mappings", [])
    result: dict[int, int] = {}
    for mapping in mappings if isinstance(mappings, list) else []:
        if isinstance(mapping, dict) and isinstance(mapping.get("material"), int):
            for variant in mapping.get("variants", []):
                if isinstance(variant, int):
                    result.setdefault(variant, mapping["material"])
    return result


def with_vertex_colour(material: Material | None, colours: np.ndarray | None) -> Material:
    """The primitive's material (None: it has none) with per-vertex colours (N,3|4, 0..1 linear)
    folded into the base colour as their mean, since Material has no per-vertex colour.

    Without a material, glTF multiplies vertex colours by white, so they show as they are.
    """
    if colours is None or len(colours) == 0:
        return material if material is not None else Material()
    mean = np.ones(4)
    mean[: colours.shape[1]] = colours[:, :4].mean(axis=0)
    if material is None:
        return Material(name="vertex colour", base_color=tuple(float(c) for c in mean))  # type: ignore[arg-type]
    if np.allclose(mean, 1.0):
        return material
    base = tuple(float(c) for c in np.asarray(material.base_color) * mean)
    return replace(material, base_color=base)


def _floats(values: Any, n: int) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    if len(out) != n:
        raise ValueError(f"expected {n} numbers, got {len(out)}")
    return out


def _unit(value: float) -> float:
    return float(min(max(value, 0.0), 1.0))
