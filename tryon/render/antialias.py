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

from tryon.render.programs import build_program

Antialiasing = Literal["auto", "fxaa", "ssaa", "none"]
AntialiasingMode = Literal["fxaa", "ssaa", "none"]
SSAA_SCALE = 2
_SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "swiftshader", "software")


def resolve_antialiasing(renderer: str, requested: Antialiasing) -> AntialiasingMode:
    """The mode to use on a GL_RENDERER string: "auto" becomes "fxaa" for software
    rasterisers and "ssaa" otherwise."""
    if requested not in ("auto", "fxaa", "ssaa", "none"):
        raise ValueError(f"antialiasing must be auto, fxaa, ssaa or none, got {requested!r}")
    if requested != "auto":
        return requested
    software = any(name in renderer.lower() for name in _SOFTWARE_RENDERERS)
    return "fxaa" if software else "ssaa"


class ResolvePass:
    """Full-screen pass from the drawn patch texture into the read-back framebuffer:
    FXAA at 1x, or the 2x2 average when supersampling."""

    def __init__(self, ctx: moderngl.Context, mode: Literal["fxaa", "ssaa"]) -> None:
        fragment = "fxaa.frag" if mode == "fxaa" else "downsample.frag"
        self.mode = mode
        self.program = build_program(ctx, "fullscreen.vert", fragment)
        self.vao = ctx.vertex_array(self.program, [])

    def draw(self, scene: moderngl.Texture, target: moderngl.Framebuffer, width: int, height: int) -> None:
        """Write the width x height output patch at `target`'s origin (blending and depth off)."""
        if self.mode == "fxaa":
            tex_w, tex_h = scene.size
            self.program["u_texel"].value = (
                1.0 / tex_w,
                1.0 / tex_h,
                (width - 0.5) / tex_w,
                (height - 0.5) / tex_h,
            )
            self.program["u_last"].value = (width - 1, height - 1)
        target.use()
        target.viewport = (0, 0, width, height)
        self.vao.render(moderngl.TRIANGLES, vertices=3)

    def release(self) -> None:
        self.vao.release()
        self.program.release()
