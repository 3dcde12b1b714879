"""The demo catalog's glTF metallic-roughness finishes: acetates, metals, lens tints, felts.

Colours are written as sRGB hex (how designers pick them) and converted to the linear factors
glTF stores. Metal base colours are measured reflectances (F0), already linear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from demo_catalog.textures import tortoiseshell_png

AlphaMode = Literal["OPAQUE", "BLEND"]


@dataclass(frozen=True)
class MaterialSpec:
    """One glTF material. base_color is linear RGBA; base_color_png is an sRGB texture or None."""

    name: str
    base_color: tuple[float, float, float, float]
    metallic: float = 0.0
    roughness: float = 0.5
    alpha_mode: AlphaMode = "OPAQUE"
    base_color_png: bytes | None = None
    transmission: float = 0.0  # KHR_materials_transmission: glass, tinted by base_color


def srgb(hex_colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """Linear RGBA factors (4 decimals) for an sRGB '#rrggbb' colour."""
    channels = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return (*(round(c, 4) for c in linear), alpha)


def acetate(name: str, hex_colour: str, roughness: float = 0.35) -> MaterialSpec:
    """Polished plastic frame material."""
    return MaterialSpec(name, srgb(hex_colour), metallic=0.0, roughness=roughness)


def metal(name: str, reflectance: tuple[float, float, float], roughness: float) -> MaterialSpec:
    return MaterialSpec(name, (*reflectance, 1.0), metallic=1.0, roughness=roughness)


def glass_lens(name: str, hex_tint: str) -> MaterialSpec:
    """A glass lens (KHR_materials_transmission): the light behind passes multiplied by the
    tint, so its linear value is the lens's transmittance per channel."""
    return MaterialSpec(name, srgb(hex_tint), roughness=0.05, transmission=1.0)


def felt(name: str, hex_colour: str) -> MaterialSpec:
    return MaterialSpec(name, srgb(hex_colour), roughness=0.9)


def tortoise(name: str = "frame_tortoise") -> MaterialSpec:
    """Textured acetate; the texture carries the colour, so the factor is white."""
    return MaterialSpec(name, (1.0, 1.0, 1.0, 1.0), roughness=0.3, base_color_png=tortoiseshell_png())


# Reflectances (F0, linear) from common PBR references for polished metals.
GOLD_F0 = (1.0, 0.766, 0.336)
SILVER_F0 = (0.972, 0.960, 0.915)
GUNMETAL_F0 = (0.30, 0.30, 0.32)

CLEAR_LENS = glass_lens("lens_clear", "#fbfcfd")  # passes ~96-98%
