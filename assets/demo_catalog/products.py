"""The demo catalog: each product's measurements, colour variants and shop copy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from demo_catalog.earring import DropEarringSpec, build_drop_earring
from demo_catalog.glasses import FrameSpec, build_glasses
from demo_catalog.glb import Look, Variant
from demo_catalog.hat import FedoraSpec, build_fedora
from demo_catalog.materials import (
    CLEAR_LENS,
    GOLD_F0,
    GUNMETAL_F0,
    SILVER_F0,
    MaterialSpec,
    acetate,
    felt,
    metal,
    srgb,
    glass_lens,
    tortoise,
)
from demo_catalog.surfaces import Part

Category = Literal["glasses", "sunglasses", "hat", "earrings"]

_FRAME_PARTS = ("frame", "temple_left", "temple_right")
_LENS_PARTS = ("lens_left", "lens_right")


@dataclass(frozen=True)
class ProductSpec:
    """One catalog entry and how to build it."""

    id: str
    name: str
    category: Category
    description: str
    build: Callable[[], list[Part]]
    look: Look


def _frame_variant(name: str, frame: MaterialSpec, lens: MaterialSpec | None = None) -> Variant:
    materials = {part: frame for part in _FRAME_PARTS}
    if lens is not None:
        materials.update({part: lens for part in _LENS_PARTS})
    return Variant(name, materials)


def _optical_look(third: Variant) -> Look:
    """Clear lenses with black, tortoise and one more frame colour."""
    return Look(
        variants=(
            _frame_variant("black", acetate("frame_black", "#141414")),
            _frame_variant("tortoise", tortoise()),
            third,
        ),
        fixed={part: CLEAR_LENS for part in _LENS_PARTS},
    )


def demo_products() -> list[ProductSpec]:
    """Every product of the demo catalog, in display order."""
    gold = metal("frame_gold", GOLD_F0, 0.25)
    gunmetal = metal("frame_gunmetal", GUNMETAL_F0, 0.3)
    return [
        ProductSpec(
            id="round-classic",
            name="Round Classic",
            category="glasses",
            description="Round acetate frame, 48-20, with an arched saddle bridge; a soft, "
            "scholarly shape that suits square and angular faces.",
            build=lambda: build_glasses(
                FrameSpec(
                    shape="round",
                    lens_width_mm=48,
                    lens_height_mm=44,
                    bridge_mm=20,
                    frame_width_mm=138,
                    rim_width_mm=4.0,
                    rim_depth_mm=4.0,
                    rim_exponent=3.0,
                    temple_width_mm=3.2,
                    temple_height_mm=5.0,
                )
            ),
            look=_optical_look(_frame_variant("gold", gold)),
        ),
        ProductSpec(
            id="rect-metro",
            name="Metro Rectangle",
            category="glasses",
            description="Bold rectangular acetate frame, 52-18, with thick squared rims; balances "
            "round and oval faces.",
            build=lambda: build_glasses(
                FrameSpec(
                    shape="rectangle",
                    lens_width_mm=52,
                    lens_height_mm=38,
                    bridge_mm=18,
                    frame_width_mm=142,
                    rim_width_mm=5.0,
                    rim_depth_mm=4.0,
                    rim_exponent=4.0,
                    temple_width_mm=3.4,
                    temple_height_mm=5.5,
                )
            ),
            look=_optical_look(_frame_variant("gunmetal", gunmetal)),
        ),
        ProductSpec(
            id="cateye-luna",
            name="Luna Cat-Eye",
            category="glasses",
            description="Cat-eye acetate frame, 52-18, whose upper corners sweep up toward the "
            "temples; lifts the eye line on round and heart-shaped faces.",
            build=lambda: build_glasses(
                FrameSpec(
                    shape="cateye",
                    lens_width_mm=52,
                    lens_height_mm=41,
                    bridge_mm=18,
                    frame_width_mm=140,
                    rim_width_mm=4.5,
                    rim_depth_mm=4.0,
                    rim_exponent=3.0,
                    temple_width_mm=3.2,
                    temple_height_mm=5.0,
                    hinge_height=0.7,
                )
            ),
            look=_optical_look(_frame_variant("rose", acetate("frame_rose", "#b0405e"))),
        ),
        ProductSpec(
            id="sunglasses-shade",
            name="Shade Aviator",
            category="sunglasses",
            description="Metal aviator sunglasses, 54-18, with a double bridge and teardrop "
            "lenses; grey, G-15 green or brown tints.",
            build=lambda: build_glasses(
                FrameSpec(
                    shape="aviator",
                    lens_width_mm=54,
                    lens_height_mm=45,
                    bridge_mm=18,
                    frame_width_mm=140,
                    rim_width_mm=3.0,
                    rim_depth_mm=3.0,
                    rim_exponent=2.0,
                    temple_width_mm=2.0,
                    temple_height_mm=2.6,
                    hinge_height=0.75,
                    bridge_style="double",
                    lens_thickness_mm=1.6,
                    lens_bulge_mm=2.0,
                )
            ),
            look=Look(
                variants=(
                    # Category 3 tints (8-18% of visible light passes): neutral grey, G-15 green, brown.
                    _frame_variant("grey", gunmetal, glass_lens("lens_grey", "#666869")),
                    _frame_variant("green", gold, glass_lens("lens_green", "#597354")),
                    _frame_variant("brown", gold, glass_lens("lens_brown", "#7c6145")),
                )
            ),
        ),
        ProductSpec(
            id="hat-fedora",
            name="Felt Fedora",
            category="hat",
            description="Wool-felt fedora with a pinched, centre-dent crown, a 70 mm snap brim "
            "and a grosgrain band; head size 56 cm (oval 160 x 195 mm).",
            build=lambda: build_fedora(FedoraSpec()),
            look=Look(
                variants=(
                    _hat_variant("charcoal", felt("felt_charcoal", "#3a3b3e"), "#121212"),
                    _hat_variant("camel", felt("felt_camel", "#b08558"), "#3b2414"),
                    _hat_variant("navy", felt("felt_navy", "#1f2a44"), "#0d1220"),
                )
            ),
        ),
        ProductSpec(
            id="earrings-pearl-drop",
            name="Pearl Drop Earrings",
            category="earrings",
            description="Teardrop pearl on a French hook, 26 mm drop. One earring is modelled; "
            "the try-on places it at both ears, mirrored.",
            build=lambda: build_drop_earring(DropEarringSpec()),
            look=Look(
                variants=(
                    Variant(
                        "pearl",
                        {
                            "hook": metal("wire_gold", GOLD_F0, 0.2),
                            "pearl": MaterialSpec("pearl_white", srgb("#efe8e0"), roughness=0.25),
                        },
                    ),
                    Variant(
                        "gold",
                        {
                            "hook": metal("wire_gold", GOLD_F0, 0.2),
                            "pearl": metal("drop_gold", GOLD_F0, 0.15),
                        },
                    ),
                    Variant(
                        "silver",
                        {
                            "hook": metal("wire_silver", SILVER_F0, 0.2),
                            "pearl": metal("drop_silver", SILVER_F0, 0.12),
                        },
                    ),
                )
            ),
        ),
    ]


def _hat_variant(name: str, body: MaterialSpec, band_hex: str) -> Variant:
    band = MaterialSpec(f"band_{name}", srgb(band_hex), roughness=0.55)  # grosgrain ribbon
    return Variant(name, {"crown": body, "brim": body, "band": band})
