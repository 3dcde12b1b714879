"""Wavefront .mtl materials -> tryon Materials (metallic-roughness), parsed from the text.

trimesh's own MTL reader drops a map_Kd that carries options ("map_Kd -s 1 1 1 wood.png") and
keeps Phong terms only, so the .mtl is read here. What maps to glTF: Kd (base colour factor,
taken as linear like obj2gltf does), map_Kd (base colour texture), d or Tr (opacity: BLEND below
1), Pr / Pm (PBR extension: roughness, metallic; else roughness from the Phong exponent Ns), Ke
(emissive). Other maps (bump, specular, ...) are listed so the retailer hears they were dropped.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from tryon.products.gltf_textures import texture_rgba
from tryon.products.model import Material

# Texture-map options and how many values follow each (the .mtl spec; -o/-s/-t take 1 to 3).
_MAP_OPTIONS = {
    "-blendu": 1,
    "-blendv": 1,
    "-cc": 1,
    "-clamp": 1,
    "-imfchan": 1,
    "-texres": 1,
    "-bm": 1,
    "-boost": 1,
    "-mm": 2,
    "-o": 3,
    "-s": 3,
    "-t": 3,
    "-type": 1,
}
_OTHER_MAPS = (
    "map_ka",
    "map_ks",
    "map_ns",
    "map_d",
    "map_bump",
    "bump",
    "norm",
    "disp",
    "decal",
    "refl",
    "map_pr",
    "map_pm",
    "map_ke",
)
DEFAULT_ROUGHNESS = 0.5


@dataclass
class MtlSpec:
    """One `newmtl` block: the values tryon uses, plus the names of maps it does not read."""

    name: str
    kd: tuple[float, float, float] = (0.8, 0.8, 0.8)
    opacity: float = 1.0
    ns: float | None = None
    pr: float | None = None
    pm: float | None = None
    ke: tuple[float, float, float] = (0.0, 0.0, 0.0)
    map_kd: str | None = None
    ignored_maps: list[str] = field(default_factory=list)


def parse_mtl(text: str) -> dict[str, MtlSpec]:
    """Material name -> MtlSpec, in file order. Unparseable numbers raise ValueError."""
    specs: dict[str, MtlSpec] = {}
    current: MtlSpec | None = None
    for raw in text.splitlines():
        parts = raw.strip().split(maxsplit=1)
        if not parts or parts[0].startswith("#"):
            continue
        key, rest = parts[0].lower(), (parts[1] if len(parts) > 1 else "")
        if key == "newmtl":
            current = specs.setdefault(rest.strip(), MtlSpec(rest.strip()))
        elif current is None:
            continue
        elif key == "kd":
            current.kd = _three(rest)
        elif key == "ke":
            current.ke = _three(rest)
        elif key == "d":
            current.opacity = float(rest.split()[-1])
        elif key == "tr":
            current.opacity = 1.0 - float(rest.split()[-1])
        elif key == "ns":
            current.ns = float(rest.split()[0])
        elif key == "pr":
            current.pr = float(rest.split()[0])
        elif key == "pm":
            current.pm = float(rest.split()[0])
        elif key == "map_kd":
            current.map_kd = map_file_name(rest)
        elif key in _OTHER_MAPS:
            current.ignored_maps.append(parts[0])
    return specs


def map_file_name(rest: str) -> str | None:
    """The file name of a texture-map statement, its options skipped ("-s 1 1 1 a b.png" -> "a b.png")."""
    tokens = rest.split()
    i = 0
    while i < len(tokens) and tokens[i].lower() in _MAP_OPTIONS:
        i += 1
        for _ in range(_MAP_OPTIONS[tokens[i - 1].lower()]):
            if i < len(tokens) - 1 and _is_number_or_flag(tokens[i]):
                i += 1
    name = " ".join(tokens[i:])
    return name or None


def _is_number_or_flag(token: str) -> bool:
    if token.lower() in ("on", "off") or len(token) == 1:  # -clamp on, -imfchan r
        return True
    try:
        float(token)
    except ValueError:
        return False
    return True


def _three(rest: str) -> tuple[float, float, float]:
    values = [float(v) for v in rest.split()[:3]]
    if len(values) == 1:  # "Kd 0.5" is a grey
        values *= 3
    if len(values) != 3:
        raise ValueError(f"expected 3 numbers, got {rest!r}")
    return values[0], values[1], values[2]


def build_material(spec: MtlSpec, texture: np.ndarray | None) -> Material:
    """The Material for an MTL block; texture: its decoded map_Kd as (H, W, 4) uint8, or None."""
    if spec.pr is not None:
        roughness = spec.pr
    elif spec.ns is not None:  # Blinn-Phong exponent -> GGX roughness, the usual conversion
        roughness = math.sqrt(2.0 / (max(spec.ns, 0.0) + 2.0))
    else:
        roughness = DEFAULT_ROUGHNESS
    opacity = _unit(spec.opacity)
    return Material(
        name=spec.name,
        base_color=(_unit(spec.kd[0]), _unit(spec.kd[1]), _unit(spec.kd[2]), opacity),
        metallic=_unit(spec.pm if spec.pm is not None else 0.0),
        roughness=_unit(roughness),
        emissive=(max(spec.ke[0], 0.0), max(spec.ke[1], 0.0), max(spec.ke[2], 0.0)),
        base_color_texture=texture,
        alpha_mode="BLEND" if opacity < 1.0 else "OPAQUE",
    )


def decode_texture(data: bytes) -> np.ndarray:
    """(H, W, 4) uint8, row 0 = top, read-only. Call only after the header passed the size limits;
    raises OSError / ValueError for a file Pillow cannot decode."""
    with Image.open(io.BytesIO(data)) as image:
        array = texture_rgba(np.asarray(image.convert("RGBA")))
    array.flags.writeable = False
    return array


def _unit(value: float) -> float:
    return float(min(max(value, 0.0), 1.0))
