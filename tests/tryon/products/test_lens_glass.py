"""Imported eyewear lenses are glass: the eyes behind stay visible, tinted by the lens colour,
never hidden by an opaque "lens" or fogged by a milky BLEND one."""

from __future__ import annotations

import json
import struct
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from gltf_builders import triangle_document, with_named_parts, write_gltf
from tryon.frames import read_image_file
from tryon.pipeline import TryOnPipeline
from tryon.products.catalog import resolve_product
from tryon.products.export_glb import TRANSMISSION_EXT, product_model_glb
from tryon.products.lens_glass import glass_lenses, is_lens_name
from tryon.products.load import load_model
from tryon.products.model import Material, ProductModel
from tryon.products.prepare import ImportOptions, prepare_model
from tryon.tracking.face import FaceTracker

DEMO_GLASSES = Path(__file__).resolve().parents[3] / "assets/products/rect-metro.glb"
FACE = "faces/hagrid_man_closeup_thumb_down.jpg"


@pytest.mark.parametrize("name", ["Lens", "lenses", "LensesInterior", "lens_L", "Lens.001", "Verre_G", "Linse",
                                  "cristal", "Glass", "glass-left"])
def test_lens_words_are_found_as_whole_words(name):
    assert is_lens_name(name)


@pytest.mark.parametrize("name", ["Glasses", "frame", "Sunglass_Frame", "lensflare", "Material.002", "Eyeglass", ""])
def test_other_names_are_not_lenses(name):
    assert not is_lens_name(name)


def _pbr(name: str, rgba: list[float], **extra) -> dict:
    return {"name": name, "pbrMetallicRoughness": {"baseColorFactor": rgba, "metallicFactor": 0.0}, **extra}


def test_opaque_lenses_by_material_or_mesh_name_and_blend_lenses_become_glass(tmp_path):
    parts = [
        ("Frame", _pbr("acetate", [0.02, 0.02, 0.02, 1.0])),
        ("Frame_front", _pbr("Lens", [0.9, 0.9, 0.9, 1.0])),  # light opaque lens: clear
        ("Verre_G", _pbr("Material.002", [0.04, 0.04, 0.05, 1.0])),  # dark, named by its mesh: sunglass tint
        ("part", _pbr("fog", [0.9, 0.9, 0.9, 0.3], alphaMode="BLEND")),  # milky BLEND: clear
        ("part2", _pbr("smoke", [0.1, 0.1, 0.1, 0.8], alphaMode="BLEND")),  # dark BLEND: 28% passes
        ("part3", _pbr("glass_kept", [0.5, 0.6, 0.5, 1.0], extensions={TRANSMISSION_EXT: {"transmissionFactor": 0.9}})),
        ("part4", _pbr("exported_blend", [0.02, 0.02, 0.02, 1.0], alphaMode="BLEND")),  # opaque frame marked BLEND
    ]
    file = write_gltf(tmp_path / "parts.gltf", with_named_parts(triangle_document(), parts))
    model = load_model(file, "glasses")
    by_mesh = {p.name: p.material for p in model.primitives}
    assert by_mesh["Frame"].transmission == 0.0 and by_mesh["part4"].alpha_mode == "BLEND"
    assert by_mesh["part4"].transmission == 0.0
    clear, dark, fog, smoke, kept = (by_mesh[k] for k in ("Frame_front", "Verre_G", "part", "part2", "part3"))
    assert all(m.transmission == 1.0 and m.alpha_mode == "OPAQUE" for m in (clear, dark, fog, smoke))
    assert clear.base_color[:3] == pytest.approx((0.9, 0.9, 0.9))
    assert dark.base_color[:3] == pytest.approx((0.04, 0.04, 0.05))
    assert fog.base_color[:3] == pytest.approx((0.97, 0.97, 0.97))  # 0.7 untouched + 0.3 x 0.9
    assert smoke.base_color[:3] == pytest.approx((0.28, 0.28, 0.28))
    assert kept.transmission == pytest.approx(0.9) and kept.base_color[:3] == pytest.approx((0.5, 0.6, 0.5))
    said = [step for step in model.normalisation if step.startswith("lens:")]
    assert len(said) == 4 and any("'Lens'" in s and "clear" in s for s in said)
    assert any("'Material.002'" in s and "tinted" in s for s in said)


def test_a_hat_keeps_its_glass_bead_as_authored(tmp_path):
    parts = [("band", _pbr("felt", [0.3, 0.2, 0.1, 1.0])), ("bead", _pbr("glass", [0.9, 0.9, 0.9, 1.0]))]
    model = load_model(write_gltf(tmp_path / "hat.gltf", with_named_parts(triangle_document(), parts)), "hat")
    assert all(p.material.transmission == 0.0 for p in model.primitives)


def test_variant_lenses_become_glass_too():
    lens = Material("lens_plastic", base_color=(0.2, 0.3, 0.2, 1.0))
    frame = Material("frame")
    base = load_model(DEMO_GLASSES, "glasses")
    prims = tuple(replace(p, material=lens if p.name.startswith("lens") else frame) for p in base.primitives)
    model = glass_lenses(ProductModel(prims, {"green": tuple(p.material for p in prims)}), "glasses")
    green = model.variant_materials["green"]
    assert [m.transmission for m in green] == [p.material.transmission for p in model.primitives]
    assert sum(m.transmission == 1.0 for m in green) == 2


def _with_lens(material: Material) -> ProductModel:
    """The demo rectangle frame with `material` on both lenses, no variants: a seller's file."""
    base = load_model(DEMO_GLASSES, "glasses")
    lensed = (replace(p, material=material) if p.name.startswith("lens") else p for p in base.primitives)
    return ProductModel(tuple(lensed))


def _glb_materials(glb: bytes) -> list[dict]:
    length = struct.unpack("<I", glb[12:16])[0]
    return json.loads(glb[20:20 + length])["materials"]


LENSES = {
    "opaque light": Material("Lens", base_color=(0.92, 0.92, 0.92, 1.0), roughness=0.3),
    "opaque dark": Material("Lens", base_color=(0.05, 0.05, 0.06, 1.0), roughness=0.3),
    "milky blend": Material("Material.001", base_color=(0.9, 0.9, 0.9, 0.35), alpha_mode="BLEND"),
}


@pytest.fixture(scope="module")
def face(shared_data):
    image = read_image_file(shared_data / FACE)
    with FaceTracker("photo") as tracker:
        landmarks = tracker.process(image)[0].landmarks
    return image, landmarks


def _eye_windows(image: np.ndarray, landmarks: np.ndarray) -> list[np.ndarray]:
    ipd = float(np.linalg.norm(landmarks[468, :2] - landmarks[473, :2]))
    r = int(0.2 * ipd)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(float)
    return [grey[y - r:y + r, x - r:x + r] for x, y in (landmarks[p, :2].astype(int) for p in (468, 473))]


@pytest.mark.parametrize("kind", LENSES)
def test_imported_lenses_over_a_face_leave_the_eyes_visible(face, tmp_path, artifacts, kind):
    image, landmarks = face
    file = tmp_path / "seller.glb"
    file.write_bytes(product_model_glb(_with_lens(LENSES[kind])))
    with TryOnPipeline(resolve_product(str(file), "glasses"), mode="photo") as pipe:
        result = pipe.process(image)
    assert result.faces and result.faces[0].anchors_px
    cv2.imwrite(str(artifacts / f"lens_glass_{kind.replace(' ', '_')}.png"), result.image)
    for before, after in zip(_eye_windows(image, landmarks), _eye_windows(result.image, landmarks)):
        contrast_before, contrast_after = before.std() / before.mean(), after.std() / after.mean()
        if kind == "opaque dark":  # a sunglass tint: darker, the eye still shows through
            assert after.mean() < 0.5 * before.mean()
            assert contrast_after > 0.4 * contrast_before
        else:  # a clear lens: the eye as it was, neither hidden nor fogged ...
            assert after.mean() == pytest.approx(before.mean(), rel=0.1)
            assert after.std() > 0.7 * before.std()
            # ... yet seen: the frame's light reflects in it (the environment from lighting.py)
            assert np.abs(after - before).max() > 8


def test_the_browser_gets_the_same_glass_in_the_exported_model(tmp_path):
    file = tmp_path / "seller.glb"
    file.write_bytes(product_model_glb(_with_lens(LENSES["opaque light"])))
    prepared = prepare_model(file, ImportOptions(category="glasses"))
    assert any(step.startswith("lens:") and "'Lens'" in step for step in prepared.steps)
    lens = next(m for m in _glb_materials(prepared.glb) if m["name"] == "Lens")
    assert lens["extensions"][TRANSMISSION_EXT]["transmissionFactor"] == 1.0
    assert lens["alphaMode"] == "OPAQUE"
    assert lens["pbrMetallicRoughness"]["baseColorFactor"][:3] == pytest.approx([0.92] * 3)


def test_the_shared_models_lenses_are_kept_as_authored(shared_data):
    """SunglassesKhronos already has glass lenses (KHR_materials_transmission, a dark 1-2% tint);
    the Thug Life glasses have no lenses at all, only opaque black and white pixel blocks."""
    khronos = load_model(shared_data / "models3d/sunglasses_khronos/SunglassesKhronos.glb", "sunglasses")
    thug = load_model(shared_data / "models3d/glasses_thuglife_mindar/scene.gltf", "glasses")
    for model in (khronos, thug):
        assert not [step for step in model.normalisation if step.startswith("lens:")]
    lenses = {p.material.name: p.material for p in khronos.primitives if is_lens_name(p.name)}
    assert set(lenses) == {"lens_interior", "lens_exterior"}
    assert all(m.transmission == 1.0 and max(m.base_color[:3]) < 0.02 for m in lenses.values())
    assert {p.material.name for p in thug.primitives} == {"black", "white"}
    assert all(p.material.transmission == 0.0 for p in thug.primitives)
