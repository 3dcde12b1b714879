"""Draw placed products over a camera frame, with occlusion, PBR light and anti-aliasing, in GL.

Per frame: find the pixel box the products can cover and upload that patch of the frame into
the colour target (it is the background); write occluder depth with colour writes off; draw
opaque and MASK primitives near to far, then BLEND and transmissive (glass) primitives far to
near with depth writes off; anti-alias; read the patch back into a copy of the frame. Pixels
outside the box are never touched, and inside it only product pixels and (with FXAA) their direct neighbours
change, so the rest of the frame comes back bit-exact. Shading, blending and anti-aliasing work
on linear light (the targets store sRGB, see targets.py), and heavy primitives are drawn from
coarser copies while the difference stays under half a pixel (level_of_detail.py).

An item with opacity below 1 (a product fading in or out, see items.py) is drawn as one layer:
its opaque primitives go after every other opaque one, first into depth only, then again with
depth test "<=" and premultiplied blending at its opacity, so each pixel blends its nearest
surface once (no inner faces showing through) and a product behind still shows; its
see-through primitives scale their share. Other items take exactly the path they always took.

With occluders (a head), products also cast soft contact shadows on them: a small caster
target before the upload, then after the occluders one low-resolution pass, and a multiply on
the occluder pixels in the FXAA pass (or a pass of its own before the products without FXAA;
contact_shadow.py); the patch then grows downward by the shadows' reach, and pixels change
only where a shadow falls.

Only MASK shaders use `discard`: a shader that may discard makes llvmpipe test depth after
shading instead of before (one in a full-patch pass cost ~25% of the frame). A deferred
variant (G-buffer, then one lighting pass) measured no faster than this forward path with the
Khronos sunglasses, so the simpler one stayed.
"""

from __future__ import annotations

import threading
from functools import partial
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import moderngl
import numpy as np

from tryon.geometry.camera import CameraIntrinsics
from tryon.render import gl_functions
from tryon.render.antialias import Antialiasing, is_software_renderer, resolve_antialiasing
from tryon.render.contact_shadow import (
    FADE_MM,
    OVERHANG_REACH_MM,
    OVERHANG_TAPS,
    Caster,
    ContactShadowPass,
    ShadowPlan,
    light_shift_px,
    pad_below_px,
    penumbra_px,
    reduction_for,
)
from tryon.render.context import current_context
from tryon.render.items import Occluder, RenderItem
from tryon.render.lighting import ENV_SIZE, SRGB_TO_LINEAR, SceneLight, estimate_scene_light
from tryon.render.occluder import OccluderPass, set_color_writes
from tryon.render.programs import (
    BASE_COLOR_UNIT,
    EMISSIVE_UNIT,
    ENVIRONMENT_UNIT,
    FRAME_BLOCK,
    MATERIAL_BLOCK,
    METALLIC_ROUGHNESS_UNIT,
    NORMAL_UNIT,
    OBJECT_BLOCK,
    build_program,
)
from tryon.render.level_of_detail import MAX_DEVIATION_PX, ModelDetailLevels, model_detail_levels
from tryon.render.projection import NEAR_MM, patch_camera, projection_from_intrinsics, screen_footprint
from tryon.render.scene import GpuMaterial, GpuMesh, GpuModel, GpuModelCache, GpuPrimitive
from tryon.render.shadow_caster import caster_mesh, opaque_primitives
from tryon.render.targets import PatchTargets, linear_light_writes

EDGE_PAD_PX = 2  # anti-aliased edges reach a pixel past the projected bounds, coarser copies half a pixel
OBJECT_STRIDE = 256  # bytes per item in the Object block buffer: the largest offset alignment in use
OBJECT_BLOCK_BYTES = 144  # two mat4 and a vec4 (opacity)
_ALPHA_DEFINES = {"OPAQUE": (), "MASK": ("ALPHA_MASK",), "BLEND": ("ALPHA_BLEND",)}
GL_SRC1_COLOR, GL_SRC1_ALPHA = 0x88F9, 0x8589  # dual-source blend factors (GL 3.3 core)
# frame' = colour + frame * (1 - alpha): the glTF "over" operator on premultiplied colour.
PREMULTIPLIED_OVER = (moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA, moderngl.ZERO, moderngl.ONE_MINUS_SRC_ALPHA)
# frame' = colour + frame * transmittance, per channel: tinted glass (pbr.frag, TRANSMISSION).
TINTED_TRANSMISSION = (moderngl.ONE, GL_SRC1_COLOR, moderngl.ZERO, GL_SRC1_ALPHA)
_PBR_INCLUDES = ("frame", "material", "lighting")
FLUSH_AFTER_TRIANGLES = 3000  # a draw this heavy takes long enough to rasterise to overlap; more flushes cost more
FRAME_BLOCK_FLOATS = 28  # seven vec4, see shaders/frame.glsl
# sRGB byte -> sqrt(linear) byte: 8 bits keep dark reflections smooth, one multiply decodes.
_ENV_ENCODE = np.rint(np.sqrt(SRGB_TO_LINEAR) * 255.0).astype(np.uint8)


@dataclass(frozen=True, eq=False)
class _Draw:
    primitive: GpuPrimitive
    mesh: GpuMesh  # the primitive's level of detail drawn this frame
    material: GpuMaterial
    block_index: int  # the Object block of the primitive's item and part
    mirrored: bool  # camera_from_model flips handedness, so front faces wind the other way
    depth: float  # camera-frame z of the primitive's centre (mm), for sorting
    fading: bool = False  # the item's opacity is below 1


class Compositor:
    """Renders RenderItems over BGR frames. One per process (get_compositor): GL objects,
    compiled shaders and uploaded models are kept between frames."""

    def __init__(
        self, antialiasing: Antialiasing = "auto", level_of_detail: bool = True, contact_shadows: bool = True
    ) -> None:
        """level_of_detail: draw coarser copies of heavy primitives where the difference stays
        under MAX_DEVIATION_PX (see level_of_detail); False always draws the originals.
        contact_shadows: darken the skin (occluder pixels) around products close to it
        (contact_shadow.py); renders without occluders (render_coverage) never have them."""
        self.level_of_detail = level_of_detail
        self.contact_shadows = contact_shadows
        with current_context() as ctx:
            self.ctx = ctx
            renderer = str(ctx.info.get("GL_RENDERER", ""))
            self.antialiasing = resolve_antialiasing(renderer, antialiasing)
            # On a CPU rasteriser, flushing after the occluder and heavy draws lets its threads
            # rasterise them while this thread shades the next draws' vertices (-0.13 ms of
            # ~3.7 ms, frame-interleaved A/B, Khronos sunglasses on a 640x480 video); a GPU
            # gains nothing from it.
            self._flush = gl_functions.flush() if is_software_renderer(renderer) else None
            self._programs: dict[tuple[str, bool, bool, bool], moderngl.Program] = {}
            self._occluders = OccluderPass(ctx)
            self._shadows = ContactShadowPass(ctx)
            self._part_blocks: list[dict[str, int]] = []  # per item of the frame: part -> Object block
            self.models = GpuModelCache(ctx)
            self.targets = PatchTargets(ctx, self.antialiasing)
            self._frame_block = ctx.buffer(reserve=FRAME_BLOCK_FLOATS * 4)
            self._object_blocks = ctx.buffer(reserve=OBJECT_STRIDE * 4)
            self._environment = ctx.texture(ENV_SIZE, 4)
            self._environment.filter = (moderngl.LINEAR, moderngl.LINEAR)
            self._environment.repeat_x = self._environment.repeat_y = False

    def render(
        self,
        frame_bgr: np.ndarray,
        camera: CameraIntrinsics,
        items: Sequence[RenderItem],
        occluders: Sequence[Occluder],
        in_place: bool = False,
        light: SceneLight | None = None,
    ) -> np.ndarray:
        """The frame with `items` drawn over it: (H, W, 3) uint8 BGR, a new array, or with
        `in_place` frame_bgr itself (a stream that owns its decoded frames saves a full-frame
        copy, ~0.1 ms at 640x480 and more in cache misses downstream).

        frame_bgr: (H, W, 3) uint8 BGR, sRGB-encoded; camera: intrinsics for exactly W x H.
        Items and occluders are in the camera frame (mm, OpenCV axes). `light` replaces the
        light estimated from the frame (a studio light for product pictures on a plain backdrop).
        """
        _check_frame(frame_bgr, camera)
        writable = in_place and frame_bgr.flags.c_contiguous and frame_bgr.flags.writeable
        out = frame_bgr if writable else np.array(frame_bgr, order="C", copy=True)
        if not items:
            return out
        result = self._render_locked(out, camera, items, occluders, light, components=3)
        if result is not None:
            (x0, y0, x1, y1), patch = result
            out[y0:y1, x0:x1] = patch
        return out

    def render_coverage(
        self, camera: CameraIntrinsics, items: Sequence[RenderItem], light: SceneLight,
        occluders: Sequence[Occluder] = (),
    ) -> np.ndarray:
        """The items over nothing: (H, W, 4) uint8 BGRA, premultiplied, alpha = how much of each
        pixel the products cover (see-through parts partly, 0 where none is drawn or an occluder
        hides it).

        Colour is linear light times alpha, sRGB-encoded (what the targets store): drawn over
        black, the background adds nothing, and the framebuffer's alpha already holds how much of
        it shows through (pbr.frag), so one pass gives both.
        """
        black = np.zeros((camera.height, camera.width, 3), np.uint8)
        out = np.zeros((camera.height, camera.width, 4), np.uint8)
        if not items:
            return out
        result = self._render_locked(black, camera, items, occluders, light, components=4)
        if result is not None:
            (x0, y0, x1, y1), patch = result
            patch[..., 3] = 255 - patch[..., 3]  # the targets keep how much background shows
            out[y0:y1, x0:x1] = patch
        return out

    def _render_locked(
        self,
        frame_bgr: np.ndarray,
        camera: CameraIntrinsics,
        items: Sequence[RenderItem],
        occluders: Sequence[Occluder],
        light: SceneLight | None,
        components: int,
    ) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
        """_render_patch under the GL lock; the light is estimated from the frame unless given."""
        if light is None:
            light = estimate_scene_light(frame_bgr)
        # Made before taking the GL lock: the first time, decimating a heavy model takes a while.
        levels = [model_detail_levels(item.model) if self.level_of_detail else None for item in items]
        if self.contact_shadows and occluders:  # the shadows' stand-ins likewise
            for item in items:
                caster_mesh(item.model, opaque_primitives(item.model, item.variant))
        with current_context():
            try:
                return self._render_patch(frame_bgr, camera, items, levels, occluders, light, components)
            finally:
                self.models.release_retired()

    def _render_patch(
        self,
        frame_bgr: np.ndarray,
        camera: CameraIntrinsics,
        items: Sequence[RenderItem],
        levels: Sequence[ModelDetailLevels | None],
        occluders: Sequence[Occluder],
        light: SceneLight,
        components: int = 3,
    ) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
        """Draw the items over the patch of the frame they can cover: (pixel box, BGR patch, or
        BGRA with `components` 4, alpha = how much of the frame shows), or None when none of them
        is in view. Needs the GL context current."""
        gpu_items = [(item, self.models.get(item.model_key, item.model, lv)) for item, lv in zip(items, levels)]
        outlines = [_transform(_part_matrix(item, part), outline) for item, gpu in gpu_items
                    for part, outline in gpu.part_outlines.items()]
        outline = outlines[0] if len(outlines) == 1 else np.concatenate(outlines)
        nearest_mm = _nearest_depth(outline) if self.contact_shadows and occluders else None
        box = screen_footprint(camera, outline, EDGE_PAD_PX)
        if box is None:
            return None
        if nearest_mm:  # room for the shadows below the products
            box = box[:3] + (min(box[3] + pad_below_px(camera.fx, nearest_mm), camera.height),)
        x0, y0, x1, y1 = box
        scale = self.targets.scale
        patch = cv2.cvtColor(frame_bgr[y0:y1, x0:x1], cv2.COLOR_BGR2BGRA)  # alpha 1: all frame
        if scale != 1:
            patch = cv2.resize(patch, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        view = patch_camera(camera, box).scaled_to((x1 - x0) * scale, (y1 - y0) * scale)
        clip_from_camera = projection_from_intrinsics(view)
        draws = self._plan(gpu_items, clip_from_camera, camera.fx)
        self._write_frame_block(light, view, clip_from_camera)
        area = (x1 - x0) * (y1 - y0)
        shadow = self._shadow_plan(gpu_items, draws, camera.fx, light, nearest_mm, area) if nearest_mm else None
        self._draw_patch(patch, clip_from_camera, draws, occluders, shadow)
        result = np.empty((y1 - y0, x1 - x0, components), np.uint8)
        self.targets.read_into(result)
        return box, result

    def release(self) -> None:
        """Free every GL object this compositor made."""
        with current_context():
            self.models.clear()
            self.targets.close()
            self._occluders.release()
            self._shadows.release()
            for obj in self._programs.values():
                obj.release()
            for obj in (self._frame_block, self._object_blocks, self._environment):
                obj.release()
            self._programs.clear()

    def _program(self, draw: _Draw) -> moderngl.Program:
        """The PBR program variant for a draw: alpha mode, transmission, whether it samples
        textures, and whether its item is fading."""
        material = draw.material
        textured = material.textured and draw.primitive.has_uvs
        key = (material.alpha_mode, material.transmissive, textured, draw.fading)
        program = self._programs.get(key)
        if program is None:
            defines = _ALPHA_DEFINES[material.alpha_mode] + (("TRANSMISSION",) if material.transmissive else ())
            defines += ("HAS_UV",) if textured else ()
            defines += ("FADE",) if draw.fading else ()
            program = build_program(self.ctx, "pbr.vert", "pbr.frag", defines, _PBR_INCLUDES)
            self._programs[key] = program
        return program

    def _plan(
        self, gpu_items: list[tuple[RenderItem, GpuModel]], clip_from_camera: np.ndarray, focal_px: float
    ) -> list[_Draw]:
        """Write each item's Object block; return the draws: opaque and MASK near to far (hidden
        blocks fail the early depth test), then see-through ones far to near (correct
        compositing); opaque ones of fading items come between them, near to far (see the
        module docstring). Each draw uses the coarsest mesh whose deviation projects to at most
        MAX_DEVIATION_PX, at `focal_px` (output pixels) and the primitive's depth."""
        blocks: list[np.ndarray] = []
        opaque: list[_Draw] = []
        faded: list[_Draw] = []
        blended: list[_Draw] = []
        self._part_blocks = []
        for item, gpu in gpu_items:
            fading = item.opacity < 1.0
            part_blocks: dict[str, int] = {}
            self._part_blocks.append(part_blocks)
            # One Object block per rigid part the item draws (a single one for most models).
            for part, members in gpu.part_members.items():
                camera_from_model = _part_matrix(item, part)
                inverse_transpose, determinant = _inverse_transpose_3x3(camera_from_model)
                block = np.zeros(OBJECT_STRIDE // 4, np.float32)
                normal_from_model = np.eye(4)
                normal_from_model[:3, :3] = inverse_transpose
                block[:16] = (clip_from_camera @ camera_from_model).T.ravel()
                block[16:32] = normal_from_model.T.ravel()
                block[32] = item.opacity
                block_index = part_blocks[part] = len(blocks)
                blocks.append(block)
                depths = _transform(camera_from_model, gpu.centres[members])[:, 2].tolist()
                # mm in the product frame per output pixel, at 1 mm depth.
                mm_per_px = 1.0 / (focal_px * abs(determinant) ** (1.0 / 3.0))
                materials = gpu.materials(item.variant)
                for i, depth in zip(members, depths):
                    primitive, material = gpu.primitives[i], materials[i]
                    mesh = primitive.mesh_for(MAX_DEVIATION_PX * depth * mm_per_px if depth > NEAR_MM else 0.0)
                    draw = _Draw(primitive, mesh, material, block_index, determinant < 0.0, depth, fading)
                    (blended if material.see_through else faded if fading else opaque).append(draw)
        blocks = np.stack(blocks)
        if self._object_blocks.size < blocks.nbytes:
            self._object_blocks.release()
            self._object_blocks = self.ctx.buffer(reserve=blocks.nbytes * 2)
        self._object_blocks.write(blocks.tobytes())
        opaque.sort(key=lambda d: d.depth)
        faded.sort(key=lambda d: d.depth)
        blended.sort(key=lambda d: -d.depth)
        return opaque + faded + blended

    def _write_frame_block(self, light: SceneLight, view: CameraIntrinsics, clip_from_camera: np.ndarray) -> None:
        block = np.array(
            [
                *light.sky, light.environment_gain,
                *light.ground, 0.0,
                *light.key_direction, 0.0,
                *light.key_color, 0.0,
                *light.environment_mean, 0.0,
                view.fx, view.fy, view.cx, view.cy,
                clip_from_camera[2, 2], clip_from_camera[2, 3], 0.0, 0.0,
            ],
            dtype=np.float32,
        )  # fmt: skip
        self._frame_block.write(block.tobytes())
        encoded = cv2.cvtColor(cv2.LUT(light.environment, _ENV_ENCODE), cv2.COLOR_RGB2RGBA)
        self._environment.write(encoded, alignment=1)

    def _draw_patch(
        self,
        patch_bgra: np.ndarray,
        clip_from_camera: np.ndarray,
        draws: list[_Draw],
        occluders: Sequence[Occluder],
        shadow: ShadowPlan | None = None,
    ) -> None:
        """patch_bgra: the frame patch at the render scale, alpha 255. shadow: contact shadows
        to cast on the occluders (contact_shadow.py)."""
        ctx, targets = self.ctx, self.targets
        scale = targets.scale
        height, width = patch_bgra.shape[0] // scale, patch_bgra.shape[1] // scale
        # Cast first: the rasteriser blurs the small target while the patch uploads.
        shadowed = shadow is not None and bool(occluders) and self._shadows.cast((width, height), shadow)
        targets.ensure(width, height)
        assert targets.scene_fbo is not None and targets.scene is not None
        viewport = (0, 0, width * scale, height * scale)
        ctx.scissor = None
        self._frame_block.bind_to_uniform_block(FRAME_BLOCK)
        self._environment.use(ENVIRONMENT_UNIT)

        scene = targets.scene_fbo
        scene.use()
        scene.viewport = viewport
        # The patch goes in first and only depth is cleared: a texture upload after a queued
        # clear would make llvmpipe run and wait for the clear first.
        targets.scene.write(patch_bgra, viewport=viewport, alignment=1)
        set_color_writes(scene, False)
        scene.depth_mask = True
        scene.clear(depth=1.0)
        set_color_writes(scene, True)
        if occluders:
            self._occluders.draw(scene, occluders, clip_from_camera)
            self._hand_over()
            if shadowed:
                assert targets.depth is not None
                self._shadows.shade(targets.depth, scale)
                scene.use()  # shade drew into its own target
        faded = [d for d in draws if d.fading and not d.material.see_through]
        with linear_light_writes(ctx):
            if shadowed and targets.mode != "fxaa":  # FXAA multiplies the shadow in itself
                self._shadows.apply(scene, viewport, scale)
            try:
                for index, draw in enumerate(draws):
                    if faded and draw is faded[0]:
                        self._draw_faded_depth(scene, faded)
                    self._draw_primitive(scene, draw, self._program(draw))
                    if faded and draw is faded[-1]:
                        ctx.depth_func = "<"
                    if draw.mesh.triangle_count >= FLUSH_AFTER_TRIANGLES and index + 1 < len(draws):
                        self._hand_over()
            finally:
                if faded:
                    ctx.depth_func = "<"  # the context is shared
        scene.depth_mask = True
        fxaa_shadow = None
        if shadowed and targets.mode == "fxaa":
            assert targets.depth is not None
            fxaa_shadow = self._shadows.resolve_inputs(targets.depth)
        targets.finish(width, height, fxaa_shadow)

    def _shadow_plan(
        self,
        gpu_items: list[tuple[RenderItem, GpuModel]],
        draws: list[_Draw],
        focal_px: float,
        light: SceneLight,
        nearest_mm: float,
        patch_px: int,
    ) -> ShadowPlan | None:
        """What ContactShadowPass needs this frame; None when nothing opaque is in front of the
        camera. focal_px: frame pixels; nearest_mm: depth of the products' nearest point;
        patch_px: the patch's area in frame pixels."""
        opaque = [d for d in draws if not d.material.see_through and d.depth > NEAR_MM]
        if not opaque:
            return None
        casters = []
        for (item, gpu), blocks in zip(gpu_items, self._part_blocks):
            opaque_ones = opaque_primitives(item.model, item.variant)
            # One caster per rigid part, under that part's Object block (glasses temples move).
            for part, members in gpu.part_members.items():
                own = [d for d in opaque if d.block_index == blocks[part]]
                in_part = set(members.tolist())
                primitives = tuple(i for i in opaque_ones if i in in_part)
                if primitives and own:
                    cull = not any(d.material.double_sided for d in own)
                    bind = partial(self._bind_object, blocks[part])
                    casters.append(Caster(item.model_key, item.model, primitives, bind, cull, own[0].mirrored))
        mean_depth = sum(d.depth for d in opaque) / len(opaque)
        return ShadowPlan(
            reduction=reduction_for(penumbra_px(focal_px, mean_depth), patch_px),
            nearest_mm=nearest_mm,
            shift_px=light_shift_px(light.key_direction, focal_px, mean_depth),
            casters=tuple(casters),
            overhang_step_px=OVERHANG_REACH_MM / OVERHANG_TAPS * focal_px / mean_depth,
            fade_px=FADE_MM * focal_px / nearest_mm,
        )

    def _bind_object(self, block_index: int) -> None:
        self._object_blocks.bind_to_uniform_block(
            OBJECT_BLOCK, offset=block_index * OBJECT_STRIDE, size=OBJECT_BLOCK_BYTES
        )

    def _draw_faded_depth(self, scene: moderngl.Framebuffer, faded: list[_Draw]) -> None:
        """Depth pre-pass of fading items' opaque primitives, with the programs that then shade
        them (same vertex code, so the same depths), and depth test "<=" for that shading."""
        set_color_writes(scene, False)
        for draw in faded:
            self._draw_primitive(scene, draw, self._program(draw), depth_only=True)
        set_color_writes(scene, True)
        self.ctx.depth_func = "<="

    def _hand_over(self) -> None:
        """Let a software rasteriser start on what was drawn so far (see __init__)."""
        if self._flush is not None:
            self._flush()

    def _draw_primitive(self, fbo: moderngl.Framebuffer, draw: _Draw, program: moderngl.Program,
                        depth_only: bool = False) -> None:
        ctx, material = self.ctx, draw.material
        self._object_blocks.bind_to_uniform_block(
            OBJECT_BLOCK, offset=draw.block_index * OBJECT_STRIDE, size=OBJECT_BLOCK_BYTES
        )
        material.block.bind_to_uniform_block(MATERIAL_BLOCK)
        for texture, unit in (
            (material.base_color, BASE_COLOR_UNIT),
            (material.metallic_roughness, METALLIC_ROUGHNESS_UNIT),
            (material.normal, NORMAL_UNIT),
            (material.emissive_texture, EMISSIVE_UNIT),
        ):
            if texture is not None:
                texture.use(unit)
        # v = 0 maps to NDC y = -1, which mirrors the image relative to GL's window convention,
        # so glTF's counter-clockwise front faces arrive clockwise.
        ctx.front_face = "ccw" if draw.mirrored else "cw"
        vao = draw.mesh.vertex_array(ctx, program)
        # A fading item's opaque primitives blend too (after their depth pre-pass).
        blend = (material.see_through or draw.fading) and not depth_only
        if blend:  # alpha keeps how much of the frame shows through, for anti-aliasing
            ctx.blend_func = TINTED_TRANSMISSION if material.transmissive else PREMULTIPLIED_OVER
        fbo.depth_mask = not blend
        flags = moderngl.DEPTH_TEST | (moderngl.BLEND if blend else moderngl.NOTHING)
        if not material.double_sided:
            ctx.enable_only(flags | moderngl.CULL_FACE)
            ctx.cull_face = "back"
            vao.render(moderngl.TRIANGLES)
        elif blend and material.see_through:  # (a fading opaque primitive blends once: its depth pre-pass decides)
            # Back faces first, then front faces: a closed transparent shell composites in order.
            ctx.enable_only(flags | moderngl.CULL_FACE)
            ctx.cull_face = "front"
            vao.render(moderngl.TRIANGLES)
            ctx.cull_face = "back"
            vao.render(moderngl.TRIANGLES)
        else:
            ctx.enable_only(flags)
            vao.render(moderngl.TRIANGLES)


def _nearest_depth(outline: np.ndarray) -> float | None:
    """Camera-frame depth (mm) of the nearest outline point in front of the camera, if any."""
    depths = outline[:, 2]
    in_front = depths[depths > NEAR_MM]
    return float(in_front.min()) if len(in_front) else None


def _check_frame(frame_bgr: np.ndarray, camera: CameraIntrinsics) -> None:
    if not isinstance(frame_bgr, np.ndarray) or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
        raise ValueError(f"expected a (H, W, 3) BGR frame, got shape {getattr(frame_bgr, 'shape', None)}")
    if frame_bgr.dtype != np.uint8:
        raise ValueError(f"expected a uint8 frame, got {frame_bgr.dtype}")
    height, width = frame_bgr.shape[:2]
    if (camera.width, camera.height) != (width, height):
        raise ValueError(
            f"camera intrinsics are for {camera.width}x{camera.height} but the frame is {width}x{height}; "
            "use CameraIntrinsics.scaled_to"
        )


def _transform(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(N,3) points through a 4x4 affine transform. cv2.transform rather than `@`: OpenBLAS
    threads even tiny products and its spinning threads then compete with llvmpipe's."""
    m = np.asarray(matrix, dtype=np.float64).reshape(4, 4)
    return cv2.transform(points.reshape(-1, 1, 3), m[:3]).reshape(-1, 3)


def _part_matrix(item: RenderItem, part: str) -> np.ndarray:
    """camera_from_model for one part of an item: its part transform first, if it has one."""
    camera_from_model = np.asarray(item.camera_from_model, dtype=np.float64).reshape(4, 4)
    moved = item.part_transforms.get(part) if item.part_transforms else None
    return camera_from_model if moved is None else camera_from_model @ np.asarray(moved, dtype=np.float64)


def _inverse_transpose_3x3(matrix: np.ndarray) -> tuple[np.ndarray, float]:
    """Inverse transpose of the upper 3x3 (normals) and its determinant, from cofactors (no LAPACK)."""
    (a, b, c), (d, e, f), (g, h, i) = matrix[:3, :3].tolist()
    cofactors = np.array(
        [
            [e * i - f * h, f * g - d * i, d * h - e * g],
            [c * h - b * i, a * i - c * g, b * g - a * h],
            [b * f - c * e, c * d - a * f, a * e - b * d],
        ]
    )
    determinant = a * cofactors[0, 0] + b * cofactors[0, 1] + c * cofactors[0, 2]
    if determinant == 0.0:
        raise ValueError("camera_from_model is singular (zero scale on some axis)")
    return cofactors / determinant, determinant


_instance: Compositor | None = None
_instance_lock = threading.Lock()


def get_compositor() -> Compositor:
    """The process's Compositor (GL context, shaders and GPU caches are per process)."""
    global _instance
    with _instance_lock:
        if _instance is None:
            _instance = Compositor()
        return _instance
