"""Product data: a normalised 3D model (millimetres) plus the fit profile that places it.

Product frame (after normalisation): millimetres, +Y up, +Z toward the viewer (the side a
shopper looks at), +X to the viewer's right, origin at the fit anchor (glasses: centre of the
bridge at the back of the frame front; hats: centre of the head opening; earrings: the point
that hangs from the lobe).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from tryon.products.glasses_rig import GlassesRig

AlphaMode = Literal["OPAQUE", "MASK", "BLEND"]
Category = Literal["glasses", "sunglasses", "hat", "earrings", "other"]


@dataclass(frozen=True, eq=False)
class Material:
    """glTF metallic-roughness material. Colours are linear RGB(A) factors in 0..1.

    Textures are uint8 arrays (H, W, 4) with row 0 = the image's top row, addressed with glTF
    texture coordinates (origin top-left). base_color and emissive textures hold sRGB values;
    metallic_roughness (G = roughness, B = metallic) and normal textures hold linear values.
    A transmissive material (transmission > 0) is drawn like BLEND, after opaque parts.
    """

    name: str = "default"
    base_color: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    metallic: float = 0.0
    roughness: float = 0.5
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    base_color_texture: np.ndarray | None = None
    metallic_roughness_texture: np.ndarray | None = None
    normal_texture: np.ndarray | None = None
    emissive_texture: np.ndarray | None = None
    alpha_mode: AlphaMode = "OPAQUE"
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    # KHR_materials_transmission, thin-walled: this fraction of the light behind passes through,
    # tinted by the base colour (glass lenses), the rest is lit as a dielectric surface.
    transmission: float = 0.0


@dataclass(frozen=True, eq=False)
class Primitive:
    """One drawable triangle mesh with one material, in the product frame (mm).

    positions (N,3) float32, normals (N,3) float32 unit, uvs (N,2) float32 glTF convention or
    None, indices (M,3) uint32.
    """

    name: str
    positions: np.ndarray
    normals: np.ndarray
    uvs: np.ndarray | None
    indices: np.ndarray
    material: Material
    # Which rigid part it belongs to, for models whose parts move apart (glasses: "front",
    # "temple_right", "temple_left", see glasses_rig.py); "" for a model drawn as one body.
    part: str = ""


@dataclass(frozen=True, eq=False)
class ProductModel:
    """A product's geometry ready to render.

    variant_materials maps a KHR_materials_variants name to one material per primitive (same
    order as `primitives`); an empty dict means the model has no variants.
    """

    primitives: tuple[Primitive, ...]
    variant_materials: dict[str, tuple[Material, ...]] = field(default_factory=dict)
    normalisation: tuple[str, ...] = ()  # human-readable steps taken to normalise the file
    rig: "GlassesRig | None" = None  # glasses whose temples are fitted on their own

    @cached_property
    def bounds(self) -> np.ndarray:
        """(2,3) min and max corner in mm (computed once: fitting reads it every frame)."""
        pts = np.concatenate([p.positions for p in self.primitives])
        return np.stack([pts.min(axis=0), pts.max(axis=0)])

    @cached_property
    def size_mm(self) -> np.ndarray:
        """(3,) width, height, depth in mm."""
        b = self.bounds
        return b[1] - b[0]

    @property
    def triangle_count(self) -> int:
        return int(sum(len(p.indices) for p in self.primitives))

    def materials_for(self, variant: str | None) -> tuple[Material, ...]:
        """Per-primitive materials for a variant (None: the file's default materials)."""
        if variant is None:
            return tuple(p.material for p in self.primitives)
        from tryon.errors import UnknownVariant

        if variant not in self.variant_materials:
            known = ", ".join(self.variant_materials) or "none"
            raise UnknownVariant(f"variant {variant!r} not found; this product's variants: {known}")
        return self.variant_materials[variant]


@dataclass(frozen=True)
class FitProfile:
    """How a product sits on the body. Category picks the fitting rule in tryon.products.fit.

    real_width_mm: the product's true width (glasses: frame front width); None means use the
    model's own width in mm. fit_to_face: scale the product to the wearer instead of true size.
    offset_mm: a product-frame nudge applied after fitting (x, y, z).
    """

    category: Category
    real_width_mm: float | None = None
    fit_to_face: bool = False
    offset_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Product:
    """A catalog entry: id, display name, model source and fit."""

    id: str
    name: str
    fit: FitProfile
    model_path: str
    variants: tuple[str, ...] = ()
    description: str = ""
    # (catalog variant, model variant): which of the model's looks (KHR_materials_variants name,
    # None: its default materials) a variant shows, where the two names differ, e.g. sizes.
    looks: tuple[tuple[str, str | None], ...] = ()

    def look(self, variant: str | None) -> str | None:
        """The model variant to draw for a catalog variant (the same name unless `looks` says).

        Raises UnknownVariant for a name that is not one of the product's variants (when it lists
        any; a bare model file's variants are checked against the model when it is loaded)."""
        if variant is not None and self.variants and variant not in self.variants:
            from tryon.errors import UnknownVariant

            raise UnknownVariant(f"variant {variant!r} not found; this product's variants: {', '.join(self.variants)}")
        for name, look in self.looks:
            if name == variant:
                return look
        return variant
