"""Hand-built product models and placements for the render tests (product frame: mm, +Y up,
+Z toward the viewer; camera frame: mm, x right, y down, z forward)."""

from __future__ import annotations

import numpy as np

from tryon.products.model import Material, Primitive, ProductModel
from tryon.render.items import RenderItem

# Turns the product's front (+Z) toward the camera and its top (+Y) to the image's top.
FLIP_YZ = np.diag([1.0, -1.0, -1.0])

UNLIT_WHITE = Material("unlit white", base_color=(0.0, 0.0, 0.0, 1.0), roughness=1.0, emissive=(1.0, 1.0, 1.0))


def quad_primitive(width: float, height: float, material: Material, z: float = 0.0, name: str = "quad") -> Primitive:
    """A rectangle in the product's XY plane facing +Z, counter-clockwise seen from the front,
    glTF UVs: (0, 0) at its top-left, v growing downward."""
    w, h = width / 2.0, height / 2.0
    positions = np.array([[-w, -h, z], [w, -h, z], [w, h, z], [-w, h, z]], np.float32)
    normals = np.tile(np.array([0.0, 0.0, 1.0], np.float32), (4, 1))
    uvs = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]], np.float32)
    indices = np.array([[0, 1, 2], [0, 2, 3]], np.uint32)
    return Primitive(name, positions, normals, uvs, indices, material)


def quad(width: float, height: float, material: Material) -> ProductModel:
    return ProductModel((quad_primitive(width, height, material),))


def box(size: float, material: Material) -> ProductModel:
    """A cube centred on the origin, outward counter-clockwise faces, flat normals."""
    s = size / 2.0
    positions, normals, uvs, indices = [], [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            u = np.zeros(3)
            u[(axis + 1) % 3] = 1.0
            v = np.cross(n, u)
            base = len(positions)
            for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                positions.append(n * s + u * s * a + v * s * b)
                normals.append(n)
                uvs.append(((a + 1) / 2, (1 - b) / 2))
            indices += [[base, base + 1, base + 2], [base, base + 2, base + 3]]
    primitive = Primitive(
        "box",
        np.array(positions, np.float32),
        np.array(normals, np.float32),
        np.array(uvs, np.float32),
        np.array(indices, np.uint32),
        material,
    )
    return ProductModel((primitive,))


def facing_camera(position_mm: tuple[float, float, float], rotation: np.ndarray | None = None) -> np.ndarray:
    """camera_from_model: the model's front toward the camera, its origin at `position_mm`,
    optionally turned first by `rotation` (3x3, product frame)."""
    m = np.eye(4)
    m[:3, :3] = FLIP_YZ @ (np.eye(3) if rotation is None else rotation)
    m[:3, 3] = position_mm
    return m


def item(model: ProductModel, key: str, position_mm: tuple[float, float, float], variant: str | None = None,
         rotation: np.ndarray | None = None) -> RenderItem:
    return RenderItem(model=model, model_key=key, variant=variant, camera_from_model=facing_camera(position_mm, rotation))


def yaw(degrees: float) -> np.ndarray:
    """Rotation about the product's +Y axis."""
    r = np.radians(degrees)
    return np.array([[np.cos(r), 0.0, np.sin(r)], [0.0, 1.0, 0.0], [-np.sin(r), 0.0, np.cos(r)]])
