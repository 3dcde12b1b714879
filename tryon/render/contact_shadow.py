"""Contact shadows: the skin darkens softly just around and under products that sit close to it
(frame rims, bridge pads, temples, hat bands and brims), the ambient light they block.

Three small GL steps per frame (Compositor._draw_patch runs them):

1. cast, before the frame patch is uploaded: a light stand-in for the opaque primitives
   (shadow_caster.py) drawn at 1/k of the patch resolution (k = 2..8, a texel per penumbra
   sigma) into an 8-bit target with a MIN blend: coverage and the encoded
   camera-frame depth of the nearest product surface. See-through parts (lenses) pass most of
   the light and cast nothing.
2. shade, after the occluders: one pass at half the caster resolution. A 4 x 4 box of caster
   texels (four bilinear taps, shifted toward the key light so the shadow falls away from it)
   gives coverage and product depth; the occluders' depth at the texel (PatchTargets.depth,
   a texture for this) gives the gap; shadow = STRENGTH * coverage * closeness(gap), fading
   out by REACH_MM and for products behind the skin. Five taps straight above add the shade
   under overhangs: skin below a part standing 8..60 mm off it (a brim over the forehead).
3. apply: with FXAA (llvmpipe's mode) the FXAA pass multiplies the shadow in as it writes each
   pixel (fxaa.frag, CONTACT_SHADOW): only occluder pixels (depth < 1), only the frame's share
   of a pixel (alpha), on sRGB bytes by f^(1/2.2) for a linear factor f; a pass of its own cost
   ~0.2 ms more of wall time. Otherwise (SSAA, none) one triangle at the far plane with depth
   test ">", before the products, reaches only occluder pixels and multiplies them in linear
   light. Either way the shadow is looked up bilinearly (the tent that, with the box, makes
   about a Gaussian of PENUMBRA_MM).

Where no product is within reach the factor is exactly 1, so those bytes come back as they
were. Products drawn on top hide the darkening under them; lenses show it through. The patch
grows downward only (PAD_SIGMAS, overhangs); at its other edges the shadow fades out.

Cost on llvmpipe at 640x480 (bench_contact_shadows.py, frame-interleaved, wall time on the
shared 2-core machine): +0.5 to +0.75 ms a frame for glasses, +1.0 to +1.2 ms for the fedora.
Each step timed alone with single-threaded llvmpipe: cast 0.15-0.35 ms, shade 0.04-0.19,
apply pass (SSAA/none) 0.12-0.34. Earlier versions measured: float targets with a separable Gaussian,
the products' own meshes as casters and the head proxy drawn again to apply: +2.9 ms
(sunglasses) and +8 ms (hat); a margin on every side: +0.2-0.4 ms.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import moderngl

from tryon.products.model import ProductModel
from tryon.render.programs import SHADOW_UNIT, build_program
from tryon.render.shadow_caster import caster_mesh

PENUMBRA_MM = 2.0  # sigma of the shadow's soft edge on the skin, mm
# The shadow fades out as the gap between product and skin grows to REACH_MM (a rim 20 mm off
# the cheek hardly blocks its ambient light) and vanishes for products more than BEHIND_MM
# behind the head surface (a temple hidden behind the ear shades nothing in view).
REACH_MM = 20.0
BEHIND_MM = 4.0
# Darkening of skin fully covered by a product touching it. Next to a rim the blurred coverage
# is ~0.3-0.5, which gives the 10-20 % (linear light) of a real contact shadow, never a halo.
STRENGTH = 0.45
LIGHT_GAP_MM = 6.0  # typical rim-to-skin gap: the shadow moves by it times the light's slope ...
MAX_SHIFT_MM = 1.5  # ... but at most this far: "slightly" away from the key light
# Overhangs: a product part standing OVERHANG_FROM_MM..OVERHANG_TO_MM off the skin (a brim,
# not a rim resting on the cheek) takes up to OVERHANG_STRENGTH of the sky light from the skin
# up to OVERHANG_REACH_MM below it, looked up at OVERHANG_TAPS points straight above.
OVERHANG_STRENGTH = 0.3
OVERHANG_FROM_MM = 8.0
OVERHANG_FULL_MM = 20.0
OVERHANG_TO_MM = 60.0
OVERHANG_REACH_MM = 10.0
OVERHANG_TAPS = 3  # contact_blur.frag's loop
# The patch grows downward only (the sky and the key light are above), by the overhang reach
# or 2 sigma plus the shift, whichever is more: past it the shadow is under 1 % of full. A
# margin all round cost ~0.4 ms at 640x480 (upload, occluders, FXAA and read-back over +37 %
# pixels); on the other sides the shadow fades out over FADE_MM inside the patch instead.
PAD_SIGMAS = 2.0
FADE_MM = 2.0
# Caster resolution: a texel per penumbra sigma (2 px at 640x480, 1/2 to 1/8 of the patch's):
# a rim at least that wide always covers a texel centre, so its shadow stays put as it moves
# (at 3 px a 1.5 mm bar's shadow came and went; 4x multisampling steadied it only partly and
# cost +0.18 ms). Fewer texels cost less; k = 2 cost about the same as k = 3 here.
TEXELS_PER_SIGMA = 1.0
MIN_REDUCTION = 2
MAX_REDUCTION = 8  # 1280x720 and larger: rims are wider there too
# Texture units the PBR programs leave alone (programs.py uses 0..6).
# A large product (a hat: 336 x 190 px at 640x480) is cast at most this many texels: drawing
# its stand-in at 1/2 cost 0.4 ms, and its parts are wide enough for coarser texels.
MAX_CASTER_TEXELS = 6000
CASTERS_UNIT = SHADOW_UNIT  # the casters in the blur, the shadow in the apply pass
HEAD_DEPTH_UNIT = 8
CACHED_CASTERS = 16  # stand-ins kept on the GPU, like GpuModelCache's models
# Encoded depth: 0..1 spans DEPTH_RANGE_MM from DEPTH_BEFORE_MM in front of the nearest product
# (0.75 mm steps in 8 bits: fine beside a 20 mm reach); parts further back are clamped, and
# those are behind the head anyway (temple ends, the back of a brim).
DEPTH_BEFORE_MM = 8.0
DEPTH_RANGE_MM = 192.0
TARGET_STEP_TEXELS = 32  # caster targets grow in steps, like the patch targets


def pad_below_px(focal_px: float, nearest_mm: float) -> int:
    """Pixels to extend the patch downward by so that the shadows of products as near as
    `nearest_mm` fit (see PAD_SIGMAS)."""
    reach = max(PAD_SIGMAS * PENUMBRA_MM + MAX_SHIFT_MM, OVERHANG_REACH_MM)
    return int(math.ceil(reach * focal_px / max(nearest_mm, 1.0)))


def penumbra_px(focal_px: float, depth_mm: float) -> float:
    """The penumbra's sigma in output pixels for products at `depth_mm`, focal length `focal_px`."""
    return PENUMBRA_MM * focal_px / max(depth_mm, 1.0)


def reduction_for(sigma_px: float, patch_px: int = 0) -> int:
    """Caster downscale k (MIN_REDUCTION..MAX_REDUCTION) for a penumbra of `sigma_px` output
    pixels, and coarser for a patch of more than MAX_CASTER_TEXELS * k^2 pixels."""
    by_size = math.ceil(math.sqrt(patch_px / MAX_CASTER_TEXELS)) if patch_px > 0 else 1
    return int(min(max(round(sigma_px / TEXELS_PER_SIGMA), by_size, MIN_REDUCTION), MAX_REDUCTION))


@dataclass(frozen=True, eq=False)
class Caster:
    """One placed product's opaque primitives (indices into model.primitives) and how to bind
    its Object block (clip_from_model of the patch)."""

    model_key: str
    model: ProductModel
    primitives: tuple[int, ...]
    bind_object: Callable[[], None]
    cull: bool = False  # every primitive single-sided: back faces hide nothing and are skipped
    mirrored: bool = False  # camera_from_model flips handedness (front faces wind the other way)


@dataclass(frozen=True, eq=False)
class ShadowPlan:
    """What one frame's contact shadows need: caster reduction k, camera-frame depth of the
    nearest opaque product part (mm), the shift toward the key light (frame pixels), casters,
    and the spacing of the overhang taps (OVERHANG_REACH_MM / OVERHANG_TAPS, in pixels)."""

    reduction: int
    nearest_mm: float
    shift_px: tuple[float, float]
    casters: tuple[Caster, ...]
    overhang_step_px: float = 0.0  # between the overhang taps (frame pixels); 0: none
    fade_px: float = 1.0  # the shadow fades out over this many pixels at the patch's edges


def light_shift_px(key_direction: tuple[float, float, float], focal_px: float, depth_mm: float) -> tuple[float, float]:
    """How far (frame pixels, image x right, y down) the casters are looked up toward the key
    light: LIGHT_GAP_MM times the light's slope, at most MAX_SHIFT_MM, seen at `depth_mm`."""
    kx, ky, kz = key_direction
    along = max(-kz, 0.5)  # a light from behind the head still shifts only a little
    shift = [min(max(LIGHT_GAP_MM * k / along, -MAX_SHIFT_MM), MAX_SHIFT_MM) for k in (kx, ky)]
    scale = focal_px / max(depth_mm, 1.0)
    return (shift[0] * scale, shift[1] * scale)


@dataclass(eq=False)
class _GpuCaster:
    model: ProductModel  # the stand-in is for this model object: a reloaded model gets a new one
    vbo: moderngl.Buffer
    ibo: moderngl.Buffer
    vao: moderngl.VertexArray | None

    def release(self) -> None:
        for obj in (self.vao, self.vbo, self.ibo):
            if obj is not None:
                obj.release()


class ContactShadowPass:
    """The caster target, its blur and the apply program; GL objects reused from frame to frame.
    Per frame: `cast` (before the frame patch is uploaded), then after the occluders `shade`
    and `apply`."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.caster_program = build_program(ctx, "contact_caster.vert", "contact_caster.frag")
        self.blur_program = build_program(ctx, "fullscreen.vert", "contact_blur.frag", includes=("frame",))
        self.apply_program = build_program(ctx, "contact_apply.vert", "contact_apply.frag")
        self.blur_program["u_shape"].value = (STRENGTH, REACH_MM, BEHIND_MM, 0.0)
        self.blur_program["u_overhang"].value = (OVERHANG_STRENGTH, OVERHANG_FROM_MM, OVERHANG_FULL_MM, OVERHANG_TO_MM)
        self.blur_program["u_source"].value = CASTERS_UNIT
        self.blur_program["u_head_depth"].value = HEAD_DEPTH_UNIT
        self.apply_program["u_shadow"].value = CASTERS_UNIT
        self._blur_vao = ctx.vertex_array(self.blur_program, [])
        self._apply_vao = ctx.vertex_array(self.apply_program, [])
        self._capacity = (0, 0)  # caster texels; the shadow target has half
        self._objects: list = []
        self._casters: moderngl.Texture | None = None
        self._casters_fbo: moderngl.Framebuffer | None = None
        self._shadow: moderngl.Texture | None = None
        self._shadow_fbo: moderngl.Framebuffer | None = None
        self._used = (0, 0)
        self._reduction = 1
        self._gpu_casters: OrderedDict[tuple[str, tuple[int, ...]], _GpuCaster] = OrderedDict()

    def cast(self, patch_size: tuple[int, int], plan: ShadowPlan) -> bool:
        """Draw the casters of a patch of patch_size (frame pixels) at 1/plan.reduction.
        Returns False when there is nothing to cast (then `shade` and `apply` must not run)."""
        if not plan.casters:
            return False
        ctx = self.ctx
        width, height = patch_size
        reduction = plan.reduction
        # Even, so the shadow target's texels line up with pairs of caster texels.
        used = (2 * -(-width // (2 * reduction)), 2 * -(-height // (2 * reduction)))
        self._ensure(used)
        assert self._casters_fbo is not None and self._casters is not None
        self._used, self._reduction = used, reduction
        # The patch's NDC [-1, 1] spans width / reduction of the used[0] texels of the viewport.
        fit_x, fit_y = width / (reduction * used[0]), height / (reduction * used[1])
        depth_code = (plan.nearest_mm - DEPTH_BEFORE_MM, 1.0 / DEPTH_RANGE_MM)
        self.caster_program["u_ndc_fit"].value = (fit_x, fit_y, fit_x - 1.0, fit_y - 1.0)
        self.caster_program["u_depth_code"].value = depth_code
        self.blur_program["u_depth_code"].value = depth_code
        texels_w, texels_h = self._casters.size
        shift_x, shift_y = plan.shift_px
        self.blur_program["u_shift"].value = (shift_x / (reduction * texels_w), shift_y / (reduction * texels_h))
        step_px = plan.overhang_step_px
        self.blur_program["u_overhang_step"].value = (0.0, -step_px / (reduction * texels_h))
        # The patch in shadow texels, and the fade toward its edges, in the same units.
        self.blur_program["u_edges"].value = (width / (2 * reduction), height / (2 * reduction), plan.fade_px / (2 * reduction))

        fbo = self._casters_fbo
        fbo.use()
        fbo.viewport = (0, 0, *self._capacity)
        fbo.clear(1.0, 1.0, 0.0, 0.0)  # whole: the blur's taps reach past the drawn area
        fbo.viewport = (0, 0, *used)
        # MIN blend instead of a depth buffer (contact_caster.frag). Back faces are culled as
        # the product pass culls them (half the fragments of a hat), unless a part is two-sided.
        ctx.blend_equation = moderngl.MIN
        ctx.cull_face = "back"
        try:
            for caster in plan.casters:
                ctx.enable_only(moderngl.BLEND | (moderngl.CULL_FACE if caster.cull else moderngl.NOTHING))
                ctx.front_face = "ccw" if caster.mirrored else "cw"  # see Compositor._draw_primitive
                caster.bind_object()
                vao = self._vertex_array(caster)
                if vao is not None:
                    vao.render(moderngl.TRIANGLES)
        finally:
            ctx.blend_equation = moderngl.FUNC_ADD
        return True

    def shade(self, head_depth: moderngl.Texture, render_scale: int) -> None:
        """Blur the casters and weigh them by their closeness to the occluders, whose depth
        `head_depth` holds (at the render scale), into the half-resolution shadow target."""
        assert self._shadow_fbo is not None and self._casters is not None
        self.ctx.enable_only(moderngl.NOTHING)
        self.blur_program["u_render_px"].value = float(2 * self._reduction * render_scale)
        self._shadow_fbo.use()
        # One texel past the patch too: the bilinear lookup at its last pixels reaches it.
        shadow_w, shadow_h = self._capacity[0] // 2, self._capacity[1] // 2
        self._shadow_fbo.viewport = (0, 0, min(self._used[0] // 2 + 1, shadow_w), min(self._used[1] // 2 + 1, shadow_h))
        self._casters.use(CASTERS_UNIT)
        head_depth.use(HEAD_DEPTH_UNIT)
        self._blur_vao.render(moderngl.TRIANGLES, vertices=3)

    def resolve_inputs(self, head_depth: moderngl.Texture) -> tuple[moderngl.Texture, moderngl.Texture, tuple[float, float]]:
        """What the FXAA pass needs to multiply the shadow in itself (ResolvePass.draw), at
        render scale 1, instead of `apply`."""
        assert self._shadow is not None
        shadow_w, shadow_h = self._shadow.size
        per_px = 1.0 / (self._reduction * 2)
        return self._shadow, head_depth, (per_px / shadow_w, per_px / shadow_h)

    def apply(self, scene: moderngl.Framebuffer, viewport: tuple[int, int, int, int], render_scale: int) -> None:
        """Multiply the shadow into `scene` (the patch target with the occluders' depth, nothing
        else drawn yet) on the occluders' pixels only; linear-light writes must be on."""
        assert self._shadow is not None
        ctx = self.ctx
        shadow_w, shadow_h = self._shadow.size
        per_px = 1.0 / (render_scale * self._reduction * 2)
        self.apply_program["u_uv_per_px"].value = (per_px / shadow_w, per_px / shadow_h)
        self._shadow.use(CASTERS_UNIT)
        scene.use()
        scene.viewport = viewport
        scene.depth_mask = False
        ctx.enable_only(moderngl.DEPTH_TEST | moderngl.BLEND)
        ctx.depth_func = ">"
        ctx.blend_func = (moderngl.DST_COLOR, moderngl.ZERO, moderngl.ZERO, moderngl.ONE)
        try:
            self._apply_vao.render(moderngl.TRIANGLES, vertices=3)
        finally:
            ctx.depth_func = "<"
            scene.depth_mask = True

    def _vertex_array(self, caster: Caster) -> moderngl.VertexArray | None:
        """The caster's stand-in on the GPU (made once per model, least recently used freed)."""
        key = (caster.model_key, caster.primitives)
        found = self._gpu_casters.get(key)
        if found is not None and found.model is not caster.model:
            found.release()
            del self._gpu_casters[key]
            found = None
        if found is None:
            positions, indices = caster_mesh(caster.model, caster.primitives)
            vbo = self.ctx.buffer(positions.tobytes() or b"\0" * 12)
            ibo = self.ctx.buffer(indices.tobytes() or b"\0" * 12)
            vao = None
            if len(indices):
                vao = self.ctx.vertex_array(
                    self.caster_program, [(vbo, "3f", "in_position")], index_buffer=ibo, index_element_size=4
                )
            found = _GpuCaster(caster.model, vbo, ibo, vao)
            self._gpu_casters[key] = found
            while len(self._gpu_casters) > CACHED_CASTERS:
                self._gpu_casters.popitem(last=False)[1].release()
        self._gpu_casters.move_to_end(key)
        return found.vao

    def release(self) -> None:
        for gpu in self._gpu_casters.values():
            gpu.release()
        self._gpu_casters.clear()
        self._release_targets()
        for obj in (self._blur_vao, self._apply_vao, self.caster_program, self.blur_program, self.apply_program):
            obj.release()

    def _ensure(self, used: tuple[int, int]) -> None:
        cap_w, cap_h = self._capacity
        if used[0] <= cap_w and used[1] <= cap_h:
            return
        size = (_round_up(max(used[0], cap_w)), _round_up(max(used[1], cap_h)))
        self._release_targets()
        ctx = self.ctx
        self._casters = ctx.texture(size, 4)
        self._shadow = ctx.texture((size[0] // 2, size[1] // 2), 4)
        for texture in (self._casters, self._shadow):
            texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
            texture.repeat_x = texture.repeat_y = False
        self._casters_fbo = ctx.framebuffer([self._casters])
        self._shadow_fbo = ctx.framebuffer([self._shadow])
        self._objects = [self._casters, self._shadow, self._casters_fbo, self._shadow_fbo]
        self._capacity = size

    def _release_targets(self) -> None:
        for obj in reversed(self._objects):
            obj.release()
        self._objects = []
        self._casters = self._shadow = None
        self._casters_fbo = self._shadow_fbo = None
        self._capacity = (0, 0)


def _round_up(texels: int) -> int:
    return max(TARGET_STEP_TEXELS, -(-texels // TARGET_STEP_TEXELS) * TARGET_STEP_TEXELS)
