"""Glasses models split into a front and two hinged temples, whatever their files look like."""

import json
import struct

import numpy as np

from tryon.products.catalog import load_product_model, resolve_product
from tryon.products.export_glb import product_model_glb
from tryon.products.glasses_rig import FRONT, TEMPLE_LEFT, TEMPLE_RIGHT, rig_glasses
from tryon.products.load import load_model
from tryon.products.model import Material, Primitive, ProductModel


def _parts(model: ProductModel) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in model.primitives:
        counts[p.part] = counts.get(p.part, 0) + len(p.indices)
    return counts


def test_the_bundled_frames_have_their_temple_primitives_as_temples():
    model = load_product_model(resolve_product("round-classic"))
    assert {p.name: p.part for p in model.primitives}["temple_left"] == TEMPLE_LEFT
    right, left = model.rig.temples
    assert right.part == TEMPLE_RIGHT and right.hinge[0] < -60 and left.hinge[0] > 60
    assert 130 < left.length_mm < 150  # a 140 mm temple


def test_the_khronos_sunglasses_ear_hooks_move_with_their_temples(shared_data):
    model = load_model(shared_data / "models3d/sunglasses_khronos/SunglassesKhronos.glb", "sunglasses")
    parts = {p.name: p.part for p in model.primitives}
    assert parts["EarhookLeft"] == parts["TempleLeft"] == TEMPLE_LEFT
    assert parts["EarhookRight"] == parts["TempleRight"] == TEMPLE_RIGHT
    assert parts["Frames"] == parts["LensesExterior"] == FRONT  # end pieces curling back 10 mm stay


def test_a_single_mesh_is_cut_at_the_hinges_without_losing_a_triangle(shared_data):
    path = shared_data / "models3d/glasses_thuglife_mindar/scene.gltf"
    original = load_model(path, "other")
    model = load_model(path, "glasses")
    counts = _parts(model)
    assert set(counts) == {FRONT, TEMPLE_RIGHT, TEMPLE_LEFT}
    assert sum(counts.values()) == original.triangle_count
    for temple in model.rig.temples:
        assert temple.length_mm > 100  # the cut temple reaches back to the ear


def test_a_front_without_temples_stays_one_rigid_body():
    quad = np.array([[-70, -20, 0], [70, -20, 0], [70, 20, 0], [-70, 20, 0]], np.float32)
    front = Primitive("front", quad, np.tile([0, 0, 1], (4, 1)).astype(np.float32), None,
                      np.array([[0, 1, 2], [0, 2, 3]], np.uint32), Material())
    model = rig_glasses(ProductModel((front,)))
    assert model.rig is None and model.primitives[0].part == ""


def test_the_browser_model_names_each_primitive_part():
    model = load_product_model(resolve_product("round-classic"))
    glb = product_model_glb(model, "black")
    length = struct.unpack_from("<I", glb, 12)[0]
    document = json.loads(glb[20:20 + length])
    assert document["meshes"][0]["extras"]["parts"] == [p.part for p in model.primitives]
