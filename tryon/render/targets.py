"""Render targets for the patch of the frame that products cover, reused from frame to frame.

Only the patch (not the whole frame) is uploaded, drawn, anti-aliased and read back: on
llvmpipe every GL pass costs in proportion to the pixels it touches (a full 640x480 4x-MSAA
pass-through alone measured ~7 ms, a 300x120 patch ~1 ms). Targets are sized in 64-pixel
steps so a moving product rarely triggers a reallocation; they grow at once and shrink only
after the patch has stayed much smaller for a while.

The scene target stores sRGB (SRGB8_ALPHA8): with GL_FRAMEBUFFER_SRGB on, shaders write
linear light and blending works on linear values, while the frame's bytes go in and come out
unconverted. FXAA reads its bytes (srgb_bytes.py) and writes bytes; supersampling averages
linear light into an sRGB target (a texel decoded and encoded again is the same byte).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import moderngl
import numpy as np

from tryon.render.antialias import SSAA_SCALE, AntialiasingMode, ResolvePass, ResolveShadow
from tryon.render.scene import GL_SRGB8_ALPHA8

STEP_PX = 64
# Shrink when the needed area has been under a quarter of the allocation for this many frames
# (about two seconds at 30 fps): short dips do not thrash allocations.
SHRINK_AFTER_FRAMES = 60
GL_FRAMEBUFFER_SRGB = 0x8DB9


@contextmanager
def linear_light_writes(ctx: moderngl.Context) -> Iterator[None]:
    """Within the block, shaders write linear light into sRGB targets, which encode it and blend
    on linear values: a see-through lens adds its reflections to the light behind it rather than
    to sRGB bytes (that made clear lenses look milky over bright skin). Off again afterwards:
    the context is shared, and with it off, copies and reads of sRGB targets move raw bytes."""
    ctx.enable_direct(GL_FRAMEBUFFER_SRGB)
    try:
        yield
    finally:
        ctx.disable_direct(GL_FRAMEBUFFER_SRGB)


class PatchTargets:
    """Textures and framebuffers for one patch, anchored at their origin: `scene` (sRGB BGRA8
    at the render scale, 2 for "ssaa" else 1; the camera frame patch is uploaded into it and
    the products drawn over it) with a depth buffer in scene_fbo, and read_fbo, the 1x result
    that is read back (scene_fbo itself without anti-aliasing). Where the driver cannot read
    sRGB bytes undecoded, FXAA reads a plain copy of the scene instead."""

    def __init__(self, ctx: moderngl.Context, mode: AntialiasingMode) -> None:
        self.ctx = ctx
        self.mode = mode
        self.scale = SSAA_SCALE if mode == "ssaa" else 1
        self.capacity = (0, 0)  # frame pixels
        self.reallocations = 0
        self._resolve = ResolvePass(ctx, mode) if mode != "none" else None
        self._small_frames = 0
        self._objects: list = []
        self.scene: moderngl.Texture | None = None
        self.scene_fbo: moderngl.Framebuffer | None = None
        self.depth: moderngl.Texture | None = None  # scene_fbo's depth
        self.read_fbo: moderngl.Framebuffer | None = None
        self._copy: moderngl.Texture | None = None  # plain bytes of the scene, for FXAA fallback
        self._copy_fbo: moderngl.Framebuffer | None = None

    def ensure(self, width: int, height: int) -> None:
        """Make room for a width x height (frame pixels) patch."""
        needed = (_round_up(width), _round_up(height))
        cap_w, cap_h = self.capacity
        if needed[0] > cap_w or needed[1] > cap_h:
            self._allocate((max(needed[0], cap_w), max(needed[1], cap_h)))
            return
        if needed[0] * needed[1] * 4 <= cap_w * cap_h:
            self._small_frames += 1
            if self._small_frames >= SHRINK_AFTER_FRAMES:
                self._allocate(needed)
        else:
            self._small_frames = 0

    def finish(self, width: int, height: int, shadow: ResolveShadow | None = None) -> None:
        """Anti-alias the drawn patch into read_fbo (nothing to do without anti-aliasing);
        `shadow` (FXAA only): contact shadows to multiply in on the way."""
        if self._resolve is None:
            return
        assert self.scene is not None and self.read_fbo is not None
        self.ctx.enable_only(moderngl.NOTHING)
        if self.mode == "ssaa":  # averages light, encoded by the sRGB target
            with linear_light_writes(self.ctx):
                self._resolve.draw(self.scene, self.read_fbo, width, height)
        elif self._copy is not None and self._copy_fbo is not None and self.scene_fbo is not None:
            self.ctx.copy_framebuffer(self._copy_fbo, self.scene_fbo)  # bytes: sRGB writes are off
            self._resolve.draw(self._copy, self.read_fbo, width, height, shadow)
        else:
            self._resolve.draw(self.scene, self.read_fbo, width, height, shadow)

    def read_into(self, out: np.ndarray) -> None:
        """Read the (H, W, 3) uint8 BGR patch at the origin into `out` (row 0 = top), or BGRA
        where `out` has 4 channels (alpha: how much of the uploaded frame still shows)."""
        assert self.read_fbo is not None
        height, width, components = out.shape
        self.read_fbo.read_into(out, viewport=(0, 0, width, height), components=components, alignment=1)

    def release(self) -> None:
        """Free the textures and framebuffers (the resolve program stays until `close`)."""
        for obj in reversed(self._objects):
            obj.release()
        self._objects = []
        self.scene = self._copy = self.depth = None
        self.scene_fbo = self.read_fbo = self._copy_fbo = None
        self.capacity = (0, 0)

    def close(self) -> None:
        self.release()
        if self._resolve is not None:
            self._resolve.release()
            self._resolve = None

    def _allocate(self, size: tuple[int, int]) -> None:
        self.release()
        ctx = self.ctx
        render_size = (size[0] * self.scale, size[1] * self.scale)
        self.scene = ctx.texture(render_size, 4, internal_format=GL_SRGB8_ALPHA8)
        # The resolve passes fetch texels or bring their own samplers.
        self.scene.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.scene.repeat_x = self.scene.repeat_y = False
        # A texture, not a renderbuffer: contact shadows read the occluders' depth (into a
        # target of their own, so it is no feedback loop).
        self.depth = ctx.depth_texture(render_size)
        self.depth.compare_func = ""
        self.depth.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.scene_fbo = ctx.framebuffer([self.scene], self.depth)
        self._objects = [self.scene, self.depth, self.scene_fbo]
        self.read_fbo = self.scene_fbo
        if self.mode == "ssaa":
            resolved = ctx.texture(size, 4, internal_format=GL_SRGB8_ALPHA8)
            self.read_fbo = ctx.framebuffer([resolved])
            self._objects += [resolved, self.read_fbo]
        elif self.mode == "fxaa":
            resolved_bytes = ctx.renderbuffer(size, 4)
            self.read_fbo = ctx.framebuffer([resolved_bytes])
            self._objects += [resolved_bytes, self.read_fbo]
            if self._resolve is not None and not self._resolve.reads_bytes:
                self._copy = ctx.texture(size, 4)
                self._copy_fbo = ctx.framebuffer([self._copy])
                self._objects += [self._copy, self._copy_fbo]
        self.capacity = size
        self.reallocations += 1
        self._small_frames = 0


def _round_up(pixels: int) -> int:
    return max(STEP_PX, -(-pixels // STEP_PX) * STEP_PX)
