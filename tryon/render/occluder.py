"""Depth-only occluder pass: meshes (a head proxy, hands) that hide the product parts behind them.

Occluders change every frame (they follow the tracked face), so their vertices go into one
reusable dynamic buffer pair that only grows; no GL objects are created per frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import moderngl
import numpy as np

from tryon.render.items import Occluder
from tryon.render.programs import build_program


class OccluderPass:
    """Draws occluders into the depth buffer of the bound framebuffer, colour writes masked."""

    def __init__(self, ctx: moderngl.Context) -> None:
        self.ctx = ctx
        self.program = build_program(ctx, "depth_only.vert", "depth_only.frag")
        self._vbo: moderngl.Buffer | None = None
        self._ibo: moderngl.Buffer | None = None
        self._vao: moderngl.VertexArray | None = None

    def draw(self, fbo: moderngl.Framebuffer, occluders: Sequence[Occluder], clip_from_camera: np.ndarray) -> None:
        """Depth-test and write occluder depth; culling is off because their winding is unknown."""
        vertices, indices = merge_meshes(occluders)
        if len(indices) == 0:
            return
        vao = self._upload(vertices, indices)
        self.program["u_clip_from_camera"].write(clip_from_camera.T.astype(np.float32).tobytes())
        self.ctx.enable(moderngl.DEPTH_TEST)
        self.ctx.disable(moderngl.CULL_FACE | moderngl.BLEND)
        set_color_writes(fbo, False)
        fbo.depth_mask = True
        vao.render(moderngl.TRIANGLES, vertices=indices.size)
        set_color_writes(fbo, True)

    def release(self) -> None:
        for obj in (self._vao, self._vbo, self._ibo):
            if obj is not None:
                obj.release()
        self._vao = self._vbo = self._ibo = None

    def _upload(self, vertices: np.ndarray, indices: np.ndarray) -> moderngl.VertexArray:
        too_small = self._vbo is None or self._vbo.size < vertices.nbytes
        too_small = too_small or self._ibo is None or self._ibo.size < indices.nbytes
        if too_small:
            self.release()
            # Power-of-two capacity: a face mesh grows the buffers once, then they are reused.
            self._vbo = self.ctx.buffer(reserve=_capacity(vertices.nbytes), dynamic=True)
            self._ibo = self.ctx.buffer(reserve=_capacity(indices.nbytes), dynamic=True)
            self._vao = self.ctx.vertex_array(
                self.program, [(self._vbo, "3f", "in_position")], index_buffer=self._ibo, index_element_size=4
            )
        assert self._vao is not None and self._vbo is not None and self._ibo is not None
        self._vbo.write(vertices.tobytes())
        self._ibo.write(indices.tobytes())
        return self._vao


def merge_meshes(occluders: Sequence[Occluder]) -> tuple[np.ndarray, np.ndarray]:
    """All occluders as one mesh: (N,3) float32 camera-frame vertices, (M*3,) uint32 indices."""
    meshes = [_checked(occluder) for occluder in occluders]
    if not meshes:
        return np.zeros((0, 3), np.float32), np.zeros(0, np.uint32)
    if len(meshes) == 1:  # one face: its arrays as they are
        return meshes[0]
    offsets = np.cumsum([0] + [len(v) for v, _ in meshes[:-1]], dtype=np.uint32)
    return np.concatenate([v for v, _ in meshes]), np.concatenate([i + o for (_, i), o in zip(meshes, offsets)])


def _checked(occluder: Occluder) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(occluder.vertices, dtype=np.float32).reshape(-1, 3)
    i = np.asarray(occluder.indices, dtype=np.uint32).reshape(-1)
    if len(i) and int(i.max()) >= len(v):
        raise ValueError(f"occluder index {int(i.max())} out of range for {len(v)} vertices")
    return v, i


def set_color_writes(fbo: moderngl.Framebuffer, enabled: bool) -> None:
    """Turn colour writes on or off for every attachment of the bound framebuffer `fbo`.

    moderngl 5.13 stores a single-attachment colour mask without applying it to GL until the
    framebuffer is next bound, hence the `use()`.
    """
    mask = (enabled,) * 4
    count = len(fbo.color_attachments)
    fbo.color_mask = mask if count == 1 else (mask,) * count
    fbo.use()


def _capacity(nbytes: int) -> int:
    return max(4096, 1 << (max(nbytes, 1) - 1).bit_length())
