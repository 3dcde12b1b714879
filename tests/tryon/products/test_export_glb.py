"""product_model_glb: the normalised model as GLB for the browser, checked on real models.

Each export is written to tmp_path and read back with the engine's own `read_model` (the file as
authored: metres in the product frame, no re-normalisation), and with trimesh as a stand-in for
a third-party glTF reader.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import trimesh

from tryon.errors import UnknownVariant
from tryon.products.catalog import list_products, load_product_model, resolve_product
from tryon.products.export_glb import FRAME_DESCRIPTION, TRANSMISSION_EXT, product_model_glb
from tryon.products.load import load_model, read_model
from tryon.products.model import Material, Product, ProductModel

POSITION_TOLERANCE_MM = 0.01
FACTOR_TOLERANCE = 1e-6  # factors go out as JSON doubles from float64: exact in practice

DEMO_PRODUCTS = {p.id: p for p in list_products()}
DEMO_CASES = [(pid, v) for pid, p in DEMO_PRODUCTS.items() for v in (None, *p.variants)]

# Third-party files in ../shared/data/models3d (relative path, category to normalise them as).
THIRD_PARTY = {
    "sunglasses_khronos/SunglassesKhronos.glb": "sunglasses",
    "materials_variants_shoe/MaterialsVariantsShoe.glb": "other",
    "earring_jade_mindar/scene.gltf": "other",
    "glasses_thuglife_mindar/scene.gltf": "glasses",
    "hat_clown_mindar/scene.gltf": "hat",
    "box_draco/Box.gltf": "other",
}


@pytest.fixture(scope="module")
def models3d(shared_data: Path) -> Path:
    folder = shared_data / "models3d"
    if not folder.is_dir():
        pytest.skip(f"third-party models not found at {folder} (shared/data/models3d beside the repo)")
    return folder


def third_party(models3d: Path, relative: str) -> tuple[Product, ProductModel]:
    path = models3d / relative
    if not path.is_file():
        pytest.skip(f"third-party model {path} is missing")
    product = resolve_product(str(path), THIRD_PARTY[relative])
    return product, load_product_model(product)


def demo(product_id: str) -> tuple[Product, ProductModel]:
    product = DEMO_PRODUCTS[product_id]
    return product, load_product_model(product)


def round_trip(tmp_path: Path, data: bytes, name: str = "export.glb") -> ProductModel:
    path = tmp_path / name
    path.write_bytes(data)
    return read_model(path)


def glb_json(data: bytes) -> dict:
    magic, version, length = struct.unpack_from("<4sII", data)
    assert (magic, version, length) == (b"glTF", 2, len(data))
    chunk_length, chunk_type = struct.unpack_from("<II", data, 12)
    assert chunk_type == 0x4E4F534A
    return json.loads(data[20 : 20 + chunk_length])


def assert_same_material(got: Material, want: Material, where: str) -> None:
    assert got.name == want.name, where
    assert np.allclose(got.base_color, want.base_color, atol=FACTOR_TOLERANCE), where
    assert got.metallic == pytest.approx(want.metallic, abs=FACTOR_TOLERANCE), where
    assert got.roughness == pytest.approx(want.roughness, abs=FACTOR_TOLERANCE), where
    assert np.allclose(got.emissive, want.emissive, atol=FACTOR_TOLERANCE), where
    assert got.alpha_mode == want.alpha_mode, where
    if want.alpha_mode == "MASK":
        assert got.alpha_cutoff == pytest.approx(want.alpha_cutoff, abs=FACTOR_TOLERANCE), where
    assert got.double_sided == want.double_sided, where
    assert got.transmission == pytest.approx(want.transmission, abs=FACTOR_TOLERANCE), where
    for slot in ("base_color_texture", "metallic_roughness_texture", "normal_texture", "emissive_texture"):
        mine, theirs = getattr(got, slot), getattr(want, slot)
        assert (mine is None) == (theirs is None), f"{where}: {slot}"
        if theirs is not None:
            assert np.array_equal(mine, theirs), f"{where}: {slot} pixels changed"


def assert_round_trips(model: ProductModel, variant: str | None, loaded: ProductModel) -> None:
    """Geometry in mm within POSITION_TOLERANCE_MM, same triangles, same materials."""
    assert len(loaded.primitives) == len(model.primitives)
    assert loaded.triangle_count == model.triangle_count
    for got, want, material in zip(loaded.primitives, model.primitives, model.materials_for(variant)):
        where = f"{want.name} ({variant or 'default'})"
        assert got.positions.shape == want.positions.shape, where
        error_mm = np.abs(got.positions.astype(np.float64) * 1000.0 - want.positions).max()
        assert error_mm <= POSITION_TOLERANCE_MM, f"{where}: positions off by {error_mm} mm"
        assert np.array_equal(got.indices, want.indices), where
        assert np.allclose(got.normals, want.normals, atol=1e-5), where
        assert (got.uvs is None) == (want.uvs is None), where
        if want.uvs is not None:
            assert np.array_equal(got.uvs, want.uvs), where
        assert_same_material(got.material, material, where)


# --- the demo catalog --------------------------------------------------------------------------


@pytest.mark.parametrize(("product_id", "variant"), DEMO_CASES)
def test_demo_product_round_trips_in_mm_with_its_triangles_and_materials(tmp_path, product_id, variant):
    _, model = demo(product_id)
    loaded = round_trip(tmp_path, product_model_glb(model, variant))
    assert_round_trips(model, variant, loaded)
    assert np.allclose(loaded.bounds * 1000.0, model.bounds, atol=POSITION_TOLERANCE_MM)


@pytest.mark.parametrize("product_id", list(DEMO_PRODUCTS))
def test_each_variant_export_carries_that_variants_materials(tmp_path, product_id):
    product, model = demo(product_id)
    assert len(product.variants) >= 2, "the demo catalog gives every product colourways"
    exports = {v: product_model_glb(model, v) for v in product.variants}
    assert len(set(exports.values())) == len(exports), "every variant must export different bytes"
    loaded = {v: round_trip(tmp_path, data, f"{v}.glb") for v, data in exports.items()}
    for variant, export in loaded.items():
        assert [p.material.name for p in export.primitives] == [m.name for m in model.materials_for(variant)]
    first, second = (loaded[v].primitives for v in product.variants[:2])
    looks_different = [
        a.material.name != b.material.name
        and (
            (a.material.base_color_texture is None) != (b.material.base_color_texture is None)
            or not np.allclose(a.material.base_color, b.material.base_color)
        )
        for a, b in zip(first, second)
    ]
    assert any(looks_different), f"{product.variants[:2]} export the same look"


@pytest.mark.parametrize("product_id", ["round-classic", "rect-metro", "cateye-luna"])
def test_tortoise_frame_keeps_its_texture_pixels_and_black_stays_untextured(tmp_path, product_id):
    _, model = demo(product_id)
    tortoise = round_trip(tmp_path, product_model_glb(model, "tortoise"), "tortoise.glb")
    black = round_trip(tmp_path, product_model_glb(model, "black"), "black.glb")
    want = model.materials_for("tortoise")[0].base_color_texture
    assert want is not None, "the demo tortoise frame is textured"
    assert np.array_equal(tortoise.primitives[0].material.base_color_texture, want)
    assert black.primitives[0].material.base_color_texture is None
    assert not np.allclose(black.primitives[0].material.base_color, tortoise.primitives[0].material.base_color)


@pytest.mark.parametrize("product_id", list(DEMO_PRODUCTS))
def test_trimesh_opens_the_export_with_bounds_in_metres(product_id):
    _, model = demo(product_id)
    scene = trimesh.load(io.BytesIO(product_model_glb(model)), file_type="glb", force="scene")
    assert np.allclose(scene.bounds, model.bounds / 1000.0, atol=1e-6), "1 um"
    faces = sum(len(g.faces) for g in scene.geometry.values())
    assert faces == model.triangle_count


def test_unknown_variant_raises_unknown_variant():
    _, model = demo("round-classic")
    with pytest.raises(UnknownVariant, match="no-such-colour"):
        product_model_glb(model, "no-such-colour")


def test_same_model_gives_identical_bytes_even_when_loaded_again():
    product, model = demo("round-classic")
    fresh = load_model(product.model_path, product.fit.category)  # not the catalog's cached object
    assert fresh is not model
    for variant in (None, "tortoise"):
        assert product_model_glb(model, variant) == product_model_glb(model, variant)
        assert product_model_glb(fresh, variant) == product_model_glb(model, variant)


@pytest.mark.parametrize("product_id", list(DEMO_PRODUCTS))
def test_export_is_already_in_the_product_frame_so_normalising_it_again_changes_nothing(tmp_path, product_id):
    product, model = demo(product_id)
    path = tmp_path / "export.glb"
    path.write_bytes(product_model_glb(model))
    again = load_model(path, product.fit.category)
    assert "x1000" in again.normalisation[1], again.normalisation  # read as metres
    for got, want in zip(again.primitives, model.primitives):
        assert np.abs(got.positions.astype(np.float64) - want.positions).max() <= POSITION_TOLERANCE_MM


def test_file_structure_one_node_one_mesh_shared_materials_and_declared_extensions():
    _, model = demo("round-classic")
    document = glb_json(product_model_glb(model, "tortoise"))
    assert document["asset"]["version"] == "2.0" and document["asset"]["extras"]["frame"] == FRAME_DESCRIPTION
    assert len(document["nodes"]) == 1 and "matrix" not in document["nodes"][0], "no transform: product frame"
    assert len(document["meshes"]) == 1
    primitives = document["meshes"][0]["primitives"]
    assert [p["extras"]["name"] for p in primitives] == [p.name for p in model.primitives]
    materials = model.materials_for("tortoise")
    distinct = list(dict.fromkeys(id(m) for m in materials))
    assert len(document["materials"]) == len(distinct), "one glTF material per shared Material"
    assert [p["material"] for p in primitives] == [distinct.index(id(m)) for m in materials]
    assert TRANSMISSION_EXT in document["extensionsUsed"], "the clear lenses are transmissive"
    assert "extensionsRequired" not in document
    lens = document["materials"][primitives[1]["material"]]
    assert lens["extensions"][TRANSMISSION_EXT]["transmissionFactor"] == materials[1].transmission
    assert all("alphaCutoff" not in m for m in document["materials"]), "only MASK materials carry a cutoff"
    assert [i["mimeType"] for i in document["images"]] == ["image/png"], "the tortoise texture, stored once"
    assert document["samplers"] == [{"magFilter": 9729, "minFilter": 9987, "wrapS": 10497, "wrapT": 10497}]


def test_mask_blend_double_sided_and_emissive_settings_survive(tmp_path):
    """The demo catalog is all OPAQUE and single-sided; give its real materials the other modes."""
    _, model = demo("sunglasses-shade")
    changed = [
        replace(p.material, alpha_mode="MASK", alpha_cutoff=0.3, double_sided=True, emissive=(0.2, 0.1, 0.0))
        if i % 2
        else replace(p.material, alpha_mode="BLEND", base_color=(*p.material.base_color[:3], 0.4))
        for i, p in enumerate(model.primitives)
    ]
    edited = ProductModel(tuple(replace(p, material=m) for p, m in zip(model.primitives, changed)))
    assert_round_trips(edited, None, round_trip(tmp_path, product_model_glb(edited)))


def test_emissive_above_one_goes_out_as_emissive_strength():
    _, model = demo("earrings-pearl-drop")
    bright = replace(model.primitives[1].material, emissive=(4.0, 2.0, 0.0))
    edited = ProductModel((model.primitives[0], replace(model.primitives[1], material=bright)))
    document = glb_json(product_model_glb(edited))
    spec = document["materials"][document["meshes"][0]["primitives"][1]["material"]]
    assert spec["emissiveFactor"] == [1.0, 0.5, 0.0]
    assert spec["extensions"]["KHR_materials_emissive_strength"] == {"emissiveStrength": 4.0}
    assert "KHR_materials_emissive_strength" in document["extensionsUsed"]


def test_primitive_without_uvs_drops_its_textures_as_the_server_renderer_does(tmp_path):
    _, model = demo("round-classic")
    frame = model.primitives[0]
    tortoise = model.materials_for("tortoise")[0]
    no_uvs = ProductModel((replace(frame, uvs=None, material=tortoise), replace(frame, material=tortoise)))
    loaded = round_trip(tmp_path, product_model_glb(no_uvs))
    assert loaded.primitives[0].uvs is None and loaded.primitives[0].material.base_color_texture is None
    assert np.allclose(loaded.primitives[0].material.base_color, tortoise.base_color)
    assert np.array_equal(loaded.primitives[1].material.base_color_texture, tortoise.base_color_texture)


# --- third-party models ------------------------------------------------------------------------


@pytest.mark.parametrize("relative", list(THIRD_PARTY))
def test_third_party_model_round_trips_with_every_variant(tmp_path, models3d, relative):
    """Every variant reads back equal, pixels included; the shoe's three colourways (one material
    name, three different base colour JPEGs) stay three different textures."""
    _, model = third_party(models3d, relative)
    base_textures = {}
    for variant in (None, *model.variant_materials):
        data = product_model_glb(model, variant)
        loaded = round_trip(tmp_path, data, f"{variant}.glb")
        assert_round_trips(model, variant, loaded)
        base_textures[variant] = loaded.primitives[0].material.base_color_texture
        if variant is None:
            scene = trimesh.load(io.BytesIO(data), file_type="glb", force="scene")
            assert np.allclose(scene.bounds, model.bounds / 1000.0, atol=1e-6)
    if relative.startswith("materials_variants_shoe/"):
        colourways = [base_textures[v] for v in model.variant_materials]
        assert len(colourways) == 3 and all(t is not None for t in colourways)
        assert not any(np.array_equal(a, b) for i, a in enumerate(colourways) for b in colourways[i + 1 :])
