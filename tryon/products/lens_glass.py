"""Lenses of imported eyewear as thin-walled glass, never as opaque or milky plastic.

Sellers' models mark their lenses in three ways, and only the first is glass as authored:
- KHR_materials_transmission: kept as it is (the renderer tints the light behind by the base
  colour).
- alphaMode BLEND with alpha < 1: glTF's "over" operator paints the lens colour over the eyes,
  so a light lens (white at alpha 0.3) fogs them. A lens absorbs what it does not pass: of the
  light behind, 1 - alpha passes untouched and alpha passes tinted by the colour, so the
  transmittance is (1 - alpha) + alpha * colour per channel, drawn as transmission.
- An opaque (or MASK) part named like a lens (lens, lenses, glass, verre, verres, linse, linsen,
  cristal: whole words of the material, mesh or node name, any case): it would hide the eyes.
  Its colour becomes the tint: a light "lens" becomes a clear lens, a dark one a sunglass tint.

Only glasses and sunglasses are converted (a hat's "glass" bead stays as authored). Every
conversion is said in the model's normalisation steps, which the import report lists. The
exported GLB carries KHR_materials_transmission, so the browser's 3D mode draws the same glass.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tryon.products.model import Material, Primitive, ProductModel

LENS_WORDS = frozenset({"lens", "lenses", "glass", "verre", "verres", "linse", "linsen", "cristal"})
EYEWEAR = ("glasses", "sunglasses")
# A BLEND part this opaque is a frame part its exporter marked BLEND (Sketchfab marks everything):
# it stays as authored unless its name says lens.
SEE_THROUGH_ALPHA = 0.98
LENS_ROUGHNESS = 0.05  # polished glass or polycarbonate: crisp reflections of the scene
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")  # camelCase, snake_case, "Lens.001" -> words


def is_lens_name(name: str) -> bool:
    """True when one whole word of `name` is a lens word ("LensesInterior", "lens_L", "Verre")."""
    return any(word.lower() in LENS_WORDS for word in _WORD.findall(name))


def glass_lenses(model: ProductModel, category: str) -> ProductModel:
    """The model with its eyewear lenses as thin-walled transmissive glass, and one
    normalisation step per converted material (variants included)."""
    if category not in EYEWEAR:
        return model
    steps: dict[str, str] = {}
    primitives = tuple(_primitive(p, p.material, steps) for p in model.primitives)
    variants = {
        name: tuple(_glass(p, m, steps) for p, m in zip(model.primitives, materials))
        for name, materials in model.variant_materials.items()
    }
    if not steps:
        return model
    # replace(), not a new ProductModel: fields others add to the model (part roles...) stay
    return replace(model, primitives=primitives, variant_materials=variants,
                   normalisation=model.normalisation + tuple(steps.values()))


def lens_transmittance(material: Material) -> tuple[float, float, float]:
    """Per-channel fraction of the light behind that a BLEND lens lets through (linear)."""
    alpha = material.base_color[3]
    return tuple(float((1.0 - alpha) + alpha * c) for c in material.base_color[:3])  # type: ignore[return-value]


def _primitive(primitive: Primitive, material: Material, steps: dict[str, str]) -> Primitive:
    glass = _glass(primitive, material, steps)
    return primitive if glass is material else replace(primitive, material=glass)


def _glass(primitive: Primitive, material: Material, steps: dict[str, str]) -> Material:
    if material.transmission > 0.0:
        return material
    named = is_lens_name(material.name) or is_lens_name(primitive.name)
    see_through = material.alpha_mode == "BLEND" and material.base_color[3] < SEE_THROUGH_ALPHA
    if see_through and material.base_color_texture is None:
        tint = lens_transmittance(material)
        how = f"BLEND alpha {material.base_color[3]:.2f}"
    elif named:
        tint = tuple(float(c) for c in material.base_color[:3])
        how = f"{material.alpha_mode} and named like a lens"
    else:
        return material
    passes = sum(tint) / 3.0
    steps.setdefault(material.name, (
        f"lens: material {material.name!r} ({how}) drawn as thin-walled glass letting "
        f"{100 * passes:.0f}% of the light through ({'clear' if passes > 0.7 else 'tinted'})"))
    return replace(
        material,
        base_color=(*tint, 1.0),  # type: ignore[arg-type]
        alpha_mode="OPAQUE",  # transmission draws it see-through, after the opaque parts
        metallic=0.0,
        roughness=min(material.roughness, LENS_ROUGHNESS),
        transmission=1.0,
    )
