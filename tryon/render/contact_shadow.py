"""Contact shadows: the skin darkens softly just around and under products that sit close to it
(frame rims, bridge pads, temples, hat bands and brims), the ambient light they block.

Three small GL steps per frame (see Compositor._draw_patch for where they run):

1. casters: the opaque product primitives, drawn at 1/k of the patch resolution (k = 1..4, so
   that the penumbra spans ~1.5 texels) into a float target: (coverage, coverage * camera z)
   of the nearest product surface, mm. See-through parts (lenses) pass most light and cast none.
2. blur: a separable Gaussian (sigma PENUMBRA_MM on the skin) of both channels, so their ratio
   is the coverage-weighted depth of the products nearby.
3. apply: the head proxy is drawn again, depth test <= its own depth (so only its nearest
   surface), before the products, with a multiply blend in linear light: each skin pixel keeps
   1 - STRENGTH * coverage * closeness(gap), gap = head z - product z (mm). The lookup is
   shifted toward the key light by the gap, so the shadow falls on the side away from it.

Only head-proxy pixels change (never the background), and where no product is within reach
the factor is exactly 1, so those bytes come back as they were. Product pixels drawn on top
hide the darkening under them; lenses show it through.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import moderngl
import numpy as np

from tryon.render.programs import build_program

PENUMBRA_MM = 2.0  # Gaussian sigma of the shadow's edge on the skin: a soft contact shadow
# The shadow fades out as the gap between product and skin grows to REACH_MM (a rim 20 mm off
# the cheek hardly blocks its ambient light) and vanishes for products more than BEHIND_MM
# behind the head surface (a temple hidden behind the ear shades nothing in view).
REACH_MM = 20.0
BEHIND_MM = 4.0
# Darkening of skin fully covered by a product touching it. Next to a rim the blurred coverage
# is ~0.3-0.5, which gives the 10-20 % (linear light) of a real contact shadow, never a halo.
STRENGTH = 0.4
MAX_SHIFT_MM = 2.5  # the shadow moves at most this far away from the key light: "slightly"
BLUR_SIGMAS = 2.5  # the Gaussian is cut off this many sigmas out
MAX_RADIUS = 8  # taps each side of the blur (contact_blur.frag's weight array holds 9)
TEXELS_PER_SIGMA = 1.5  # caster resolution: enough texels to carry the penumbra, no more
MAX_REDUCTION = 4  # at most 1/4 of the patch resolution per axis
TARGET_STEP_TEXELS = 32  # caster targets grow in steps, like the patch targets


def reach_mm() -> float:
    """How far past a product's outline its shadow can reach on the skin (mm)."""
    return BLUR_SIGMAS * PENUMBRA_MM + MAX_SHIFT_MM


def penumbra_px(focal_px: float, depth_mm: float) -> float:
    """The penumbra's sigma in output pixels for products at `depth_mm`, focal length `focal_px`."""
    return PENUMBRA_MM * focal_px / max(depth_mm, 1.0)


def reduction_for(sigma_px: float) -> int:
    """Caster downscale k (1..MAX_REDUCTION): the penumbra's sigma (output pixels) spans about
    TEXELS_PER_SIGMA caster texels."""
    return int(min(max(round(sigma_px / TEXELS_PER_SIGMA), 1), MAX_REDUCTION))


def pad_px(focal_px: float, nearest_mm: float) -> int:
    """Pixels to widen the patch by so that shadows of products as near as `nearest_mm` fit."""
    return int(math.ceil(reach_mm() * focal_px / max(nearest_mm, 1.0)))


def gaussian_weights(sigma_texels: float) -> tuple[int, list[float]]:
    """(radius, weights[0..MAX_RADIUS]) of a normalised 1D Gaussian, centre first."""
    radius = int(min(max(math.ceil(BLUR_SIGMAS * sigma_texels), 1), MAX_RADIUS))
    taps = [math.exp(-0.5 * (i / max(sigma_texels, 1e-3)) ** 2) for i in range(radius + 1)]
    total = taps[0] + 2.0 * sum(taps[1:])
    return radius, [t / total for t in taps] + [0.0] * (MAX_RADIUS - radius)


class ContactShadowPass:
    """The caster target, its blur and the apply program; GL objects reused from frame to frame."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.caster_program = build_program(ctx, "contact_caster.vert", "contact_caster.frag")
        self.blur_program = build_program(ctx, "fullscreen.vert", "contact_blur.frag")
        self.apply_program = build_program(ctx, "depth_only.vert", "contact_apply.frag", includes=("frame",))
        self.apply_program["u_shape"].value = (STRENGTH, REACH_MM, BEHIND_MM, MAX_SHIFT_MM)
        self._blur_vao = ctx.vertex_array(self.blur_program, [])
        self._capacity = (0, 0)
        self._objects: list = []
        self._casters: moderngl.Texture | None = None  # cast, then blurred vertically into it again
        self._casters_fbo: moderngl.Framebuffer | None = None
        self._across: moderngl.Texture | None = None  # after the horizontal blur
        self._across_fbo: moderngl.Framebuffer | None = None
        self._used = (0, 0)  # caster texels covering the patch this frame
        self._reduction = 1

    def cast(
        self,
        patch_size: tuple[int, int],
        reduction: int,
        sigma_texels: float,
        draws: Sequence[tuple[Callable[[moderngl.Program], moderngl.VertexArray], Callable[[], None]]],
    ) -> bool:
        """Draw the casters for a patch of patch_size (frame pixels) at 1/`reduction` and blur
        them by a Gaussian of `sigma_texels` caster texels.

        draws: per opaque primitive, (its vertex array for a program, bind its Object block).
        Returns False when there is nothing to cast (then `apply` must not run).
        """
        if not draws:
            return False
        ctx = self.ctx
        width, height = patch_size
        used = (-(-width // reduction), -(-height // reduction))
        self._ensure(used)
        assert self._casters_fbo is not None and self._across_fbo is not None
        assert self._casters is not None and self._across is not None
        self._used, self._reduction = used, reduction
        # The patch's NDC [-1, 1] spans width / reduction texels of the used[0] in the viewport.
        fit_x, fit_y = width / (reduction * used[0]), height / (reduction * used[1])
        self.caster_program["u_ndc_fit"].value = (fit_x, fit_y, fit_x - 1.0, fit_y - 1.0)

        fbo = self._casters_fbo
        fbo.use()
        fbo.viewport = (0, 0, *self._capacity)
        fbo.depth_mask = True
        fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)  # whole target: the blur reads past the viewport
        fbo.viewport = (0, 0, *used)
        ctx.enable_only(moderngl.DEPTH_TEST)  # both faces: coverage, whichever way they wind
        for vertex_array, bind_object in draws:
            bind_object()
            vertex_array(self.caster_program).render(moderngl.TRIANGLES)

        radius, weights = gaussian_weights(sigma_texels)
        self.blur_program["u_radius"].value = radius
        self.blur_program["u_weights"].value = weights
        ctx.enable_only(moderngl.NOTHING)
        self._across_fbo.use()
        self._across_fbo.viewport = (0, 0, *self._capacity)
        self._across_fbo.clear(0.0, 0.0, 0.0, 0.0)
        self._across_fbo.viewport = (0, 0, *used)
        self._blur(self._casters, (1, 0))
        fbo.use()
        fbo.viewport = (0, 0, *used)
        self._blur(self._across, (0, 1))
        return True

    def apply(
        self,
        scene: moderngl.Framebuffer,
        render_scale: int,
        draw_head: Callable[[moderngl.Program], None],
    ) -> None:
        """Darken the head proxy's pixels in `scene` (bound, viewport set, head depth already in
        its depth buffer; linear-light writes on). `draw_head` draws the occluders with a program
        whose vertex shader is depth_only.vert, so its depths equal those in the buffer."""
        assert self._casters is not None
        ctx = self.ctx
        texels_w, texels_h = self._casters.size
        per_px = 1.0 / (render_scale * self._reduction)
        self.apply_program["u_uv_per_px"].value = (per_px / texels_w, per_px / texels_h)
        self._casters.use(0)
        self.apply_program["u_casters"].value = 0
        scene.use()
        scene.depth_mask = False
        ctx.enable_only(moderngl.DEPTH_TEST | moderngl.BLEND)
        ctx.depth_func = "<="
        ctx.blend_func = (moderngl.DST_COLOR, moderngl.ZERO, moderngl.ZERO, moderngl.ONE)
        try:
            draw_head(self.apply_program)
        finally:
            ctx.depth_func = "<"
            scene.depth_mask = True

    def release(self) -> None:
        self._release_targets()
        for obj in (self._blur_vao, self.caster_program, self.blur_program, self.apply_program):
            obj.release()

    def _blur(self, source: moderngl.Texture, step: tuple[int, int]) -> None:
        source.use(0)
        self.blur_program["u_source"].value = 0
        self.blur_program["u_step"].value = step
        self._blur_vao.render(moderngl.TRIANGLES, vertices=3)

    def _ensure(self, used: tuple[int, int]) -> None:
        cap_w, cap_h = self._capacity
        if used[0] <= cap_w and used[1] <= cap_h:
            return
        size = (_round_up(max(used[0], cap_w)), _round_up(max(used[1], cap_h)))
        self._release_targets()
        ctx = self.ctx
        self._casters = ctx.texture(size, 2, dtype="f4")
        self._across = ctx.texture(size, 2, dtype="f4")
        for texture in (self._casters, self._across):
            texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
            texture.repeat_x = texture.repeat_y = False
        depth = ctx.depth_renderbuffer(size)
        self._casters_fbo = ctx.framebuffer([self._casters], depth)
        self._across_fbo = ctx.framebuffer([self._across])
        self._objects = [self._casters, self._across, depth, self._casters_fbo, self._across_fbo]
        self._capacity = size

    def _release_targets(self) -> None:
        for obj in reversed(self._objects):
            obj.release()
        self._objects = []
        self._casters = self._across = None
        self._casters_fbo = self._across_fbo = None
        self._capacity = (0, 0)


def _round_up(texels: int) -> int:
    return max(TARGET_STEP_TEXELS, -(-texels // TARGET_STEP_TEXELS) * TARGET_STEP_TEXELS)
