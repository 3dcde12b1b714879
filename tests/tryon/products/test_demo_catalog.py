"""The generated demo catalog (assets/products): real sizes, product frame, variants, determinism.

Each GLB is read twice: by trimesh, as the engine's loader would see the geometry, and by
pygltflib, for the material and KHR_materials_variants JSON.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import trimesh
from PIL import Image

ROOT = Path(__file__).resolve().parents[3]
PRODUCTS = ROOT / "assets" / "products"
BUILDER = ROOT / "assets" / "build_demo_catalog.py"
VARIANTS_EXT = "KHR_materials_variants"

PARTS = {
    "glasses": {"frame", "lens_left", "lens_right", "temple_left", "temple_right"},
    "sunglasses": {"frame", "lens_left", "lens_right", "temple_left", "temple_right"},
    "hat": {"crown", "brim", "band"},
    "earrings": {"hook", "pearl"},
}


@pytest.fixture(scope="module")
def catalog() -> list[dict]:
    return json.loads((PRODUCTS / "catalog.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scenes(catalog) -> dict[str, trimesh.Scene]:
    return {p["id"]: trimesh.load(PRODUCTS / p["file"], force="scene") for p in catalog}


@pytest.fixture(scope="module")
def documents(catalog) -> dict[str, pygltflib.GLTF2]:
    return {p["id"]: pygltflib.GLTF2.load(str(PRODUCTS / p["file"])) for p in catalog}


def by_category(catalog: list[dict], *categories: str) -> list[dict]:
    return [p for p in catalog if p["category"] in categories]


def part_points_mm(scene: trimesh.Scene, part: str) -> np.ndarray:
    """(N,3) vertices of one named part in the product frame, millimetres."""
    transform, geometry = scene.graph[part]
    return trimesh.transform_points(scene.geometry[geometry].vertices, transform) * 1000.0


def extent_mm(points: np.ndarray) -> np.ndarray:
    return points.max(axis=0) - points.min(axis=0)


def primitives_by_name(doc: pygltflib.GLTF2) -> dict[str, pygltflib.Primitive]:
    return {mesh.name: mesh.primitives[0] for mesh in doc.meshes}


def materials_reachable(doc: pygltflib.GLTF2, primitive: pygltflib.Primitive) -> list[pygltflib.Material]:
    """The primitive's default material plus every material a variant can give it."""
    indices = [primitive.material]
    indices += [m["material"] for m in primitive.extensions.get(VARIANTS_EXT, {}).get("mappings", [])]
    return [doc.materials[i] for i in indices]


def test_catalog_lists_every_demo_product_with_its_file(catalog):
    ids = {p["id"] for p in catalog}
    assert {
        "round-classic",
        "rect-metro",
        "cateye-luna",
        "sunglasses-shade",
        "hat-fedora",
        "earrings-pearl-drop",
    } <= ids
    assert len(ids) == len(catalog), "product ids must be unique"
    assert len(by_category(catalog, "glasses")) >= 3
    for product in catalog:
        assert product["category"] in PARTS
        assert product["name"] and product["description"]
        assert (PRODUCTS / product["file"]).stat().st_size < 1_000_000, "keep demo GLBs small"
        assert len(product["variants"]) >= 2
        assert product["default_variant"] == product["variants"][0]


def test_every_product_loads_as_named_closed_parts_within_budget(catalog, scenes, documents):
    for product in catalog:
        scene = scenes[product["id"]]
        assert set(scene.graph.nodes_geometry) == PARTS[product["category"]], product["id"]
        assert sum(len(g.faces) for g in scene.geometry.values()) < 15_000, product["id"]
        for name, geometry in scene.geometry.items():
            assert geometry.is_watertight, f"{product['id']}/{name} is not a closed mesh"
        for name, primitive in primitives_by_name(documents[product["id"]]).items():
            assert primitive.attributes.NORMAL is not None, f"{product['id']}/{name} has no normals"


def test_catalog_width_is_the_measured_width_in_mm(catalog, scenes):
    for product in catalog:
        width_mm = (scenes[product["id"]].bounds[1, 0] - scenes[product["id"]].bounds[0, 0]) * 1000.0
        assert width_mm == pytest.approx(product["real_width_mm"], abs=1.0), product["id"]


def test_glasses_have_real_frame_sizes(catalog, scenes):
    for product in by_category(catalog, "glasses", "sunglasses"):
        scene = scenes[product["id"]]
        assert 135.0 <= product["real_width_mm"] <= 145.0, product["id"]
        lens_left = part_points_mm(scene, "lens_left")
        lens_right = part_points_mm(scene, "lens_right")
        width, height, _ = extent_mm(lens_left)
        assert 47.0 <= width <= 57.0 and 34.0 <= height <= 48.0, (product["id"], width, height)
        bridge = lens_left[:, 0].min() - lens_right[:, 0].max()
        assert 15.0 <= bridge <= 21.0, (product["id"], bridge)
        frame = part_points_mm(scene, "frame")
        above, below = frame[:, 1].max() - lens_left[:, 1].max(), lens_left[:, 1].min() - frame[:, 1].min()
        assert 1.0 <= above <= 6.0 and 1.0 <= below <= 6.0, "a 3-5 mm rim holds the lens edge in a groove"
        temple = part_points_mm(scene, "temple_left")
        assert 130.0 <= extent_mm(temple)[2] <= 150.0, product["id"]


def test_glasses_origin_is_the_bridge_on_the_back_of_the_frame_front(catalog, scenes):
    for product in by_category(catalog, "glasses", "sunglasses"):
        scene = scenes[product["id"]]
        frame = part_points_mm(scene, "frame")
        assert frame[:, 2].min() >= -1.0 and frame[:, 2].max() <= 6.0, "the front sits in z [0, ~4 mm]"
        assert abs(frame[:, 0].min() + frame[:, 0].max()) < 1.0, "the bridge is centred on x = 0"
        for lens in ("lens_left", "lens_right"):
            points = part_points_mm(scene, lens)
            assert points[:, 2].min() >= -1.0, "lenses sit in the frame front"
            assert abs(points[:, 1].min() + points[:, 1].max()) / 2 < 1.0, "y = 0 at the lens centres"
        # The wearer's left (+X) and right temples run back from the hinges behind the origin.
        for temple, sign in (("temple_left", 1.0), ("temple_right", -1.0)):
            points = part_points_mm(scene, temple)
            assert points[:, 2].min() < -120.0 and points[:, 2].max() <= 6.0
            assert np.sign(points[:, 0].mean()) == sign
            assert abs(points[:, 0].mean()) > 0.45 * product["real_width_mm"], (
                "hinges at the frame's outer ends"
            )


def test_hat_fits_a_real_head(catalog, scenes):
    (hat,) = by_category(catalog, "hat")
    scene = scenes[hat["id"]]
    assert 280.0 <= hat["real_width_mm"] <= 320.0
    crown = part_points_mm(scene, "crown")
    assert crown[:, 1].min() >= -0.5, "the crown stands on the head opening at y = 0"
    assert 90.0 <= crown[:, 1].max() <= 140.0
    # The opening is the narrowest point of the crown's lowest band, across and along the head.
    rim = crown[crown[:, 1] < 3.0]
    across = 2 * np.abs(rim[np.abs(rim[:, 2]) < 3.0, 0]).min()
    along = 2 * np.abs(rim[np.abs(rim[:, 0]) < 3.0, 2]).min()
    assert across == pytest.approx(160.0, abs=8.0) and along == pytest.approx(195.0, abs=8.0)
    assert part_points_mm(scene, "brim")[:, 1].min() >= -15.0, "the brim dips only a little"


def test_earring_hangs_down_from_the_origin(catalog, scenes):
    (earring,) = by_category(catalog, "earrings")
    points = np.concatenate([part_points_mm(scenes[earring["id"]], p) for p in ("hook", "pearl")])
    assert points[:, 1].max() <= 1.0, "nothing above the point that hangs from the lobe"
    assert 20.0 <= -points[:, 1].min() <= 30.0, "a 20-30 mm drop"
    assert np.abs(points[:, [0, 2]]).max() <= 6.0, "the drop hangs under the origin"


def test_every_variant_is_declared_and_every_mapping_is_valid(catalog, documents):
    for product in catalog:
        doc = documents[product["id"]]
        assert VARIANTS_EXT in doc.extensionsUsed
        declared = [v["name"] for v in doc.extensions[VARIANTS_EXT]["variants"]]
        assert declared == product["variants"], product["id"]
        used = set()
        for name, primitive in primitives_by_name(doc).items():
            assert 0 <= primitive.material < len(doc.materials)
            for mapping in primitive.extensions.get(VARIANTS_EXT, {}).get("mappings", []):
                assert 0 <= mapping["material"] < len(doc.materials), (product["id"], name)
                assert all(0 <= v < len(declared) for v in mapping["variants"])
                used.update(mapping["variants"])
                if 0 in mapping["variants"]:
                    assert mapping["material"] == primitive.material, "the default is the first variant"
        assert used == set(range(len(declared))), f"{product['id']}: a variant changes nothing"


def transmittance(material) -> float:
    """Luminous transmittance (Rec. 709 weights) of a KHR_materials_transmission lens."""
    factor = (material.extensions or {})["KHR_materials_transmission"]["transmissionFactor"]
    r, g, b, _ = material.pbrMetallicRoughness.baseColorFactor
    return factor * (0.2126 * r + 0.7152 * g + 0.0722 * b)


def test_sunglasses_lenses_are_tinted_glass_of_category_three(catalog, documents):
    for product in by_category(catalog, "sunglasses"):
        doc = documents[product["id"]]
        assert "KHR_materials_transmission" in doc.extensionsUsed
        for lens in ("lens_left", "lens_right"):
            materials = materials_reachable(doc, primitives_by_name(doc)[lens])
            assert len({m.name for m in materials}) >= 2, "lens tints change with the variant"
            for material in materials:
                # EN ISO 12312-1 category 3: 8-18% of visible light passes
                assert 0.08 <= transmittance(material) <= 0.18, (product["id"], material.name)


def test_clear_lenses_are_glass_that_passes_nearly_all_light(catalog, documents):
    for product in by_category(catalog, "glasses"):
        doc = documents[product["id"]]
        for material in materials_reachable(doc, primitives_by_name(doc)["lens_left"]):
            assert material.alphaMode == "OPAQUE" and transmittance(material) > 0.9


def test_tortoise_variant_is_a_small_embedded_png_on_uv_mapped_frames(catalog, documents):
    tortoise = [p for p in catalog if "tortoise" in p["variants"]]
    assert tortoise, "at least one frame comes in tortoiseshell"
    for product in tortoise:
        doc = documents[product["id"]]
        index = product["variants"].index("tortoise")
        for part in ("frame", "temple_left", "temple_right"):
            primitive = primitives_by_name(doc)[part]
            assert primitive.attributes.TEXCOORD_0 is not None
            (mapping,) = [m for m in primitive.extensions[VARIANTS_EXT]["mappings"] if index in m["variants"]]
            texture = doc.materials[mapping["material"]].pbrMetallicRoughness.baseColorTexture
            assert texture is not None, f"{product['id']}/{part}: tortoise needs a base colour texture"
            image = doc.images[doc.textures[texture.index].source]
            assert image.mimeType == "image/png" and image.uri is None, "embedded in the GLB"
            view = doc.bufferViews[image.bufferView]
            png = doc.binary_blob()[view.byteOffset : view.byteOffset + view.byteLength]
            decoded = Image.open(io.BytesIO(png))
            assert decoded.size[0] <= 256 and decoded.size[1] <= 256


def test_files_say_who_made_them_and_under_which_licence(documents):
    for doc in documents.values():
        assert doc.asset.version == "2.0"
        assert doc.asset.generator == "tryon build_demo_catalog"
        assert "CC0-1.0" in doc.asset.copyright


def test_rebuilding_reproduces_the_committed_files_byte_for_byte(tmp_path):
    subprocess.run(
        [sys.executable, str(BUILDER), "--out", str(tmp_path)], check=True, capture_output=True, cwd=ROOT
    )
    committed = {p.name for p in PRODUCTS.iterdir() if p.suffix in {".glb", ".json"}}
    rebuilt = {p.name for p in tmp_path.iterdir()}
    assert rebuilt == committed
    stale = [
        name for name in sorted(rebuilt) if (tmp_path / name).read_bytes() != (PRODUCTS / name).read_bytes()
    ]
    assert not stale, f"{stale} differ from a fresh build: run .venv/bin/python assets/build_demo_catalog.py"
