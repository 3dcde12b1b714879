"""Anti-aliasing choice and the full-screen passes that apply it.

The first choice, 4x MSAA, is nearly free on a GPU, but llvmpipe rasterises multisampled
triangles far more slowly: with the 13k-triangle Khronos sunglasses at 640x480 an MSAA
version of this renderer measured 11-13 ms per frame against ~5 ms without anti-aliasing on
the same 2-core machine (1280x720: 15-21 ms against 7-9 ms). So:

- "fxaa": one fixed-tap FXAA pass over the patch that changes only pixels next to a product
  (software GL; ~0.5-0.8 ms at 640x480 on llvmpipe, since llvmpipe runs every tap of every
  pixel whatever the branches say);
- "ssaa": draw the patch at 2x2 resolution and average down, for GPUs, where the extra
  pixels cost little (4 samples per pixel like 4x MSAA, and it also smooths thin specular
  highlights); on llvmpipe it costs ~1.5x the FXAA frame time;
- "none".

"auto" picks "fxaa" on software rasterisers and "ssaa" elsewhere.
"""

from __future__ import annotations

from typing import Literal

import moderngl

from tryon.render.programs import HEAD_DEPTH_UNIT, SCENE_TEXELS_UNIT, SCENE_UNIT, SHADOW_UNIT, build_program
from tryon.render.srgb_bytes import byte_sampler

Antialiasing = Literal["auto", "fxaa", "ssaa", "none"]
AntialiasingMode = Literal["fxaa", "ssaa", "none"]
SSAA_SCALE = 2
_SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "swiftshader", "software")


# (shadow texture, occluder depth texture, shadow uv per pixel): see ResolvePass.draw.
ResolveShadow = tuple[moderngl.Texture, moderngl.Texture, tuple[float, float]]


def resolve_antialiasing(renderer: str, requested: Antialiasing) -> AntialiasingMode:
    """The mode to use on a GL_RENDERER string: "auto" becomes "fxaa" for software
    rasterisers and "ssaa" otherwise."""
    if requested not in ("auto", "fxaa", "ssaa", "none"):
        raise ValueError(f"antialiasing must be auto, fxaa, ssaa or none, got {requested!r}")
    if requested != "auto":
        return requested
    return "fxaa" if is_software_renderer(renderer) else "ssaa"


def is_software_renderer(renderer: str) -> bool:
    """Whether a GL_RENDERER string names a CPU rasteriser (llvmpipe and the like)."""
    return any(name in renderer.lower() for name in _SOFTWARE_RENDERERS)


class ResolvePass:
    """Full-screen pass from the drawn patch texture into the read-back framebuffer:
    FXAA at 1x, or the 2x2 average when supersampling.

    FXAA reads the scene's sRGB bytes through two samplers (bilinear taps and single texels)
    that skip decoding; `reads_bytes` is False where the driver cannot skip it, and the caller
    then hands `draw` a plain byte copy of the scene instead.
    """

    def __init__(self, ctx: moderngl.Context, mode: Literal["fxaa", "ssaa"]) -> None:
        fragment = "fxaa.frag" if mode == "fxaa" else "downsample.frag"
        self.mode = mode
        self.ctx = ctx
        self.program = build_program(ctx, "fullscreen.vert", fragment)
        self.vao = ctx.vertex_array(self.program, [])
        self._shadowed: tuple[moderngl.Program, moderngl.VertexArray] | None = None  # FXAA + contact shadow
        self._samplers: tuple[tuple[moderngl.Sampler, int], ...] = ()
        self.reads_bytes = True
        if mode == "fxaa":
            linear, nearest = byte_sampler(ctx, moderngl.LINEAR), byte_sampler(ctx, moderngl.NEAREST)
            if linear is None or nearest is None:
                self.reads_bytes = False
                linear = ctx.sampler(filter=(moderngl.LINEAR, moderngl.LINEAR), repeat_x=False, repeat_y=False)
                nearest = ctx.sampler(filter=(moderngl.NEAREST, moderngl.NEAREST), repeat_x=False, repeat_y=False)
            self._samplers = ((linear, SCENE_UNIT), (nearest, SCENE_TEXELS_UNIT))

    def draw(
        self,
        scene: moderngl.Texture,
        target: moderngl.Framebuffer,
        width: int,
        height: int,
        shadow: ResolveShadow | None = None,
    ) -> None:
        """Write the width x height output patch at `target`'s origin (blending and depth off).
        shadow (FXAA only): multiply contact shadows in on the way (fxaa.frag, CONTACT_SHADOW)."""
        program, vao = self.program, self.vao
        if shadow is not None:
            program, vao = self._shadow_program()
            shadow_texture, head_depth, uv_per_px = shadow
            shadow_texture.use(SHADOW_UNIT)
            head_depth.use(HEAD_DEPTH_UNIT)
            program["u_shadow_uv_per_px"].value = uv_per_px
        if self.mode == "fxaa":
            tex_w, tex_h = scene.size
            program["u_texel"].value = (
                1.0 / tex_w,
                1.0 / tex_h,
                (width - 0.5) / tex_w,
                (height - 0.5) / tex_h,
            )
            program["u_last"].value = (width - 1, height - 1)
        else:
            scene.use(SCENE_UNIT)
        for sampler, unit in self._samplers:
            sampler.texture = scene
            sampler.use(unit)
        target.use()
        target.viewport = (0, 0, width, height)
        vao.render(moderngl.TRIANGLES, vertices=3)
        for sampler, unit in self._samplers:
            sampler.clear(unit)

    def _shadow_program(self) -> tuple[moderngl.Program, moderngl.VertexArray]:
        if self.mode != "fxaa":
            raise ValueError("contact shadows ride on the FXAA pass only")
        if self._shadowed is None:
            program = build_program(self.ctx, "fullscreen.vert", "fxaa.frag", ("CONTACT_SHADOW",))
            self._shadowed = (program, self.ctx.vertex_array(program, []))
        return self._shadowed

    def release(self) -> None:
        for sampler, _ in self._samplers:
            sampler.release()
        self.vao.release()
        self.program.release()
        if self._shadowed is not None:
            self._shadowed[1].release()
            self._shadowed[0].release()
            self._shadowed = None
