"""Per-process GPU copies of product models: geometry once per model, materials per variant.

Geometry (one interleaved vertex buffer and one index buffer per primitive, and per coarser
copy of it, see level_of_detail) is uploaded the first time a model key is drawn; a variant
only adds its materials (a 64-byte uniform block plus any textures not already on the GPU), so
switching variants never re-uploads geometry.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import moderngl
import numpy as np
from scipy.spatial import ConvexHull, QhullError

from tryon.products.gltf_textures import texture_rgba
from tryon.products.model import AlphaMode, Material, ProductModel
from tryon.render.level_of_detail import DetailLevel, ModelDetailLevels

GL_RGBA8 = 0x8058
GL_SRGB8_ALPHA8 = 0x8C43  # sampling decodes sRGB to linear in hardware, mipmaps average linearly
VERTEX_FORMAT = "3f 3f 2f"
VERTEX_ATTRIBUTES = ("in_position", "in_normal", "in_uv")
DEFAULT_CAPACITY = 16  # models kept on the GPU; the least recently drawn beyond this is freed


@dataclass(eq=False)
class GpuMesh:
    """One version of a primitive's geometry on the GPU; vertex arrays are made lazily per
    shader program. deviation_mm: how far it strays from the original surface (product frame)."""

    vbo: moderngl.Buffer
    ibo: moderngl.Buffer
    deviation_mm: float
    vaos: dict[int, moderngl.VertexArray] = field(default_factory=dict)

    @property
    def triangle_count(self) -> int:
        return self.ibo.size // 12  # uint32 indices, three a triangle

    def vertex_array(self, ctx: moderngl.Context, program: moderngl.Program) -> moderngl.VertexArray:
        vao = self.vaos.get(program.glo)
        if vao is None:
            vao = ctx.vertex_array(
                program,
                [(self.vbo, VERTEX_FORMAT, *VERTEX_ATTRIBUTES)],
                index_buffer=self.ibo,
                index_element_size=4,
                skip_errors=True,
            )
            self.vaos[program.glo] = vao
        return vao

    def release(self) -> None:
        for vao in self.vaos.values():
            vao.release()
        self.vbo.release()
        self.ibo.release()


@dataclass(eq=False)
class GpuPrimitive:
    """One primitive's meshes: the original first, then coarser copies (level_of_detail)."""

    levels: tuple[GpuMesh, ...]
    centre: np.ndarray  # (3,) float64 bounding-box centre, product frame (mm)
    has_uvs: bool

    def mesh_for(self, allowed_mm: float) -> GpuMesh:
        """The coarsest mesh straying at most `allowed_mm` from the original."""
        chosen = self.levels[0]
        for mesh in self.levels[1:]:
            if mesh.deviation_mm <= allowed_mm:
                chosen = mesh
        return chosen

    def release(self) -> None:
        for mesh in self.levels:
            mesh.release()


@dataclass(frozen=True, eq=False)
class GpuMaterial:
    """A material's uniform block and textures (None where the material has none)."""

    block: moderngl.Buffer
    base_color: moderngl.Texture | None
    metallic_roughness: moderngl.Texture | None
    normal: moderngl.Texture | None
    emissive_texture: moderngl.Texture | None
    alpha_mode: AlphaMode
    double_sided: bool
    transmissive: bool = False  # tints the light behind it (dual-source blending), see pbr.frag

    @property
    def see_through(self) -> bool:
        """Drawn after opaque parts, far to near, without writing depth."""
        return self.alpha_mode == "BLEND" or self.transmissive

    @property
    def textured(self) -> bool:
        textures = (self.base_color, self.metallic_roughness, self.normal, self.emissive_texture)
        return any(t is not None for t in textures)


class GpuModel:
    """A ProductModel's GPU resources. Create through GpuModelCache."""

    def __init__(self, ctx: moderngl.Context, model: ProductModel, levels: ModelDetailLevels | None = None) -> None:
        self.ctx = ctx
        self.model = model
        if levels is None:
            levels = tuple((DetailLevel(p, 0.0),) for p in model.primitives)
        self.primitives = tuple(_upload_primitive(ctx, primitive_levels) for primitive_levels in levels)
        points = [np.asarray(p.positions, np.float64).reshape(-1, 3) for p in model.primitives]
        # Primitive indices by rigid part (Primitive.part; one entry for most models, three for
        # glasses whose temples move), and each part's outline: the corners of its convex hull,
        # product frame, whose projection bounds its footprint on screen exactly (box corners
        # overshot the patch by ~30% in area).
        members: dict[str, list[int]] = {}
        for index, primitive in enumerate(model.primitives):
            members.setdefault(primitive.part, []).append(index)
        self.part_members = {part: np.array(ids) for part, ids in members.items()}
        self.part_outlines = {part: _outline(np.concatenate([points[i] for i in ids])) for part, ids in members.items()}
        # (primitives, 3) box centres, for sorting draws by depth.
        self.centres = np.stack([p.centre for p in self.primitives])
        self._materials: dict[int, tuple[Material, GpuMaterial]] = {}
        self._textures: dict[tuple[int, bool], tuple[np.ndarray, moderngl.Texture]] = {}
        self._variants: dict[str | None, tuple[GpuMaterial, ...]] = {}

    def materials(self, variant: str | None) -> tuple[GpuMaterial, ...]:
        """Per-primitive GPU materials for a variant (raises UnknownVariant if it does not exist)."""
        found = self._variants.get(variant)
        if found is None:
            found = tuple(self._material(m) for m in self.model.materials_for(variant))
            self._variants[variant] = found
        return found

    def release(self) -> None:
        for primitive in self.primitives:
            primitive.release()
        for _, gpu in self._materials.values():
            gpu.block.release()
        for _, texture in self._textures.values():
            texture.release()
        self._materials.clear()
        self._textures.clear()
        self._variants.clear()

    def _material(self, material: Material) -> GpuMaterial:
        cached = self._materials.get(id(material))
        if cached is not None:
            return cached[1]
        gpu = GpuMaterial(
            block=self.ctx.buffer(material_block(material).tobytes()),
            base_color=self._texture(material.base_color_texture, srgb=True),
            metallic_roughness=self._texture(material.metallic_roughness_texture, srgb=False),
            normal=self._texture(material.normal_texture, srgb=False),
            emissive_texture=self._texture(material.emissive_texture, srgb=True),
            alpha_mode=material.alpha_mode,
            double_sided=material.double_sided,
            transmissive=material.transmission > 0.0,
        )
        self._materials[id(material)] = (material, gpu)  # the Material pins its id
        return gpu

    def _texture(self, image: np.ndarray | None, srgb: bool) -> moderngl.Texture | None:
        if image is None:
            return None
        key = (id(image), srgb)
        cached = self._textures.get(key)
        if cached is None:
            cached = (image, _upload_texture(self.ctx, image, srgb))
            self._textures[key] = cached
        return cached[1]


class GpuModelCache:
    """Model key -> GpuModel, least recently used evicted beyond `capacity`.

    Models replaced or evicted during a frame may still be queued for drawing, so they are
    only released by `release_retired`, which the compositor calls once the frame is read back.
    """

    def __init__(self, ctx: moderngl.Context, capacity: int = DEFAULT_CAPACITY) -> None:
        self.ctx = ctx
        self.capacity = capacity
        self._models: OrderedDict[str, GpuModel] = OrderedDict()
        self._retired: list[GpuModel] = []

    def get(self, key: str, model: ProductModel, levels: ModelDetailLevels | None = None) -> GpuModel:
        """The GPU copy of `model` (with `levels`, its detail levels, when first uploaded); a
        different model object under a known key replaces the old one."""
        gpu = self._models.get(key)
        if gpu is not None and gpu.model is model:
            self._models.move_to_end(key)
            return gpu
        if gpu is not None:
            self._retired.append(gpu)
        gpu = GpuModel(self.ctx, model, levels)
        self._models[key] = gpu
        self._models.move_to_end(key)
        while len(self._models) > self.capacity:
            _, oldest = self._models.popitem(last=False)
            self._retired.append(oldest)
        return gpu

    def release_retired(self) -> None:
        for gpu in self._retired:
            gpu.release()
        self._retired.clear()

    def __len__(self) -> int:
        return len(self._models)

    def clear(self) -> None:
        self.release_retired()
        for gpu in self._models.values():
            gpu.release()
        self._models.clear()


def material_block(material: Material) -> np.ndarray:
    """(16,) float32 std140 `Material` uniform block (see shaders/pbr.frag.glsl)."""
    textures = (
        material.base_color_texture,
        material.metallic_roughness_texture,
        material.normal_texture,
        material.emissive_texture,
    )
    return np.array(
        [
            *material.base_color,
            *material.emissive,
            material.alpha_cutoff,
            material.metallic,
            material.roughness,
            material.transmission,
            0.0,
            *(0.0 if t is None else 1.0 for t in textures),
        ],
        dtype=np.float32,
    )


def _upload_primitive(ctx: moderngl.Context, levels: tuple[DetailLevel, ...]) -> GpuPrimitive:
    original = levels[0].primitive
    positions = np.asarray(original.positions, dtype=np.float64).reshape(-1, 3)
    centre = 0.5 * (positions.min(axis=0) + positions.max(axis=0))
    return GpuPrimitive(
        levels=tuple(_upload_mesh(ctx, level) for level in levels),
        centre=centre,
        has_uvs=original.uvs is not None,
    )


def _upload_mesh(ctx: moderngl.Context, level: DetailLevel) -> GpuMesh:
    primitive = level.primitive
    positions = np.asarray(primitive.positions, dtype=np.float32).reshape(-1, 3)
    normals = np.asarray(primitive.normals, dtype=np.float32).reshape(-1, 3)
    if primitive.uvs is None:
        uvs = np.zeros((len(positions), 2), dtype=np.float32)
    else:
        uvs = np.asarray(primitive.uvs, dtype=np.float32).reshape(-1, 2)
    vertices = np.hstack([positions, normals, uvs])
    indices = np.ascontiguousarray(primitive.indices, dtype=np.uint32)
    return GpuMesh(ctx.buffer(vertices.tobytes()), ctx.buffer(indices.tobytes()), level.deviation_mm)


def _upload_texture(ctx: moderngl.Context, image: np.ndarray, srgb: bool) -> moderngl.Texture:
    rgba = texture_rgba(image)
    height, width = rgba.shape[:2]
    texture = ctx.texture(
        (width, height), 4, rgba.tobytes(), internal_format=GL_SRGB8_ALPHA8 if srgb else GL_RGBA8
    )
    texture.build_mipmaps()
    texture.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
    texture.repeat_x = texture.repeat_y = True  # glTF's default sampler wraps
    return texture


def _outline(points: np.ndarray) -> np.ndarray:
    """Convex hull vertices of (N, 3) points; the bounding box corners where the points span
    no volume (a flat quad)."""
    try:
        return points[ConvexHull(points).vertices]
    except QhullError:
        lo, hi = points.min(axis=0), points.max(axis=0)
        return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
