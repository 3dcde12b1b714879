"""Shader programs built from the .glsl files in `shaders/`.

Files with a `#version` line are entry points; the others (frame.glsl, material.glsl,
lighting.glsl) are libraries pasted in after the version line and any #defines, since GLSL
3.30 has no #include.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import moderngl

SHADER_DIR = Path(__file__).with_name("shaders")

# Uniform block binding points shared by every program.
OBJECT_BLOCK = 0
MATERIAL_BLOCK = 1
FRAME_BLOCK = 2  # per-frame light and patch camera

# Texture units, fixed so binding a material or a target never touches program state.
BASE_COLOR_UNIT = 0
METALLIC_ROUGHNESS_UNIT = 1
NORMAL_UNIT = 2
EMISSIVE_UNIT = 3
ENVIRONMENT_UNIT = 4
SCENE_UNIT = 5  # the drawn patch, read by anti-aliasing passes
SCENE_TEXELS_UNIT = 6  # the same, through a nearest-texel sampler (FXAA)
SHADOW_UNIT = 7  # contact shadows (contact_shadow.py): casters, then the shadow itself
HEAD_DEPTH_UNIT = 8  # ... and the occluders' depth where FXAA multiplies the shadow in

_BINDINGS = {
    "Object": OBJECT_BLOCK,
    "Material": MATERIAL_BLOCK,
    "Frame": FRAME_BLOCK,
    "u_base_color": BASE_COLOR_UNIT,
    "u_metallic_roughness": METALLIC_ROUGHNESS_UNIT,
    "u_normal": NORMAL_UNIT,
    "u_emissive": EMISSIVE_UNIT,
    "u_environment": ENVIRONMENT_UNIT,
    "u_scene": SCENE_UNIT,
    "u_texels": SCENE_TEXELS_UNIT,
    "u_shadow": SHADOW_UNIT,
    "u_head_depth": HEAD_DEPTH_UNIT,
}


@cache
def shader_source(name: str) -> str:
    """Text of `shaders/<name>.glsl`."""
    return (SHADER_DIR / f"{name}.glsl").read_text(encoding="utf-8")


def assemble(source: str, defines: Sequence[str] = (), includes: Sequence[str] = ()) -> str:
    """`source` with `#define NAME` lines and the library files inserted after its #version line."""
    version, _, body = source.partition("\n")
    if not version.startswith("#version"):
        raise ValueError(f"shader must start with a #version line, got {version!r}")
    parts = [version, *(f"#define {name}" for name in defines)]
    parts += [f"// ---- {name}.glsl\n{shader_source(name)}" for name in includes]
    return "\n".join([*parts, body])


def build_program(
    ctx: moderngl.Context,
    vertex: str,
    fragment: str,
    defines: Sequence[str] = (),
    includes: Sequence[str] = (),
) -> moderngl.Program:
    """Compile shaders/<vertex>.glsl + shaders/<fragment>.glsl (with `includes` pasted into the
    fragment shader) and bind its uniform blocks and samplers to the fixed slots above."""
    program = ctx.program(
        vertex_shader=assemble(shader_source(vertex), defines),
        fragment_shader=assemble(shader_source(fragment), defines, includes),
    )
    for name, slot in _BINDINGS.items():
        if name not in program:
            continue
        member = program[name]
        if isinstance(member, moderngl.UniformBlock):
            member.binding = slot
        else:
            member.value = slot
    return program
