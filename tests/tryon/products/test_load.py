"""glTF loading: real files from ../shared/data decode faithfully; broken files fail clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gltf_builders import TRIANGLE, triangle_document, with_texture, write_glb, write_gltf
from tryon.errors import UnsupportedModel
from tryon.products import gltf_file, gltf_textures, load
from tryon.products.gltf_file import read_gltf_file
from tryon.products.load import MAX_TEXTURE_SIDE, model_variant_names, read_model


@pytest.fixture(scope="module")
def models(shared_data: Path) -> Path:
    return shared_data / "models3d"


@pytest.fixture(scope="module")
def shoe(models: Path):
    return read_model(models / "materials_variants_shoe" / "MaterialsVariantsShoe.glb")


@pytest.fixture(scope="module")
def sunglasses(models: Path):
    return read_model(models / "sunglasses_khronos" / "SunglassesKhronos.glb")


def accessor_array(path: Path, index: int) -> np.ndarray:
    """A float32 accessor straight from the file's buffers (no trimesh), for comparisons."""
    gltf = read_gltf_file(path)
    accessor = gltf.document["accessors"][index]
    width = {"VEC2": 2, "VEC3": 3}[accessor["type"]]
    data = gltf.view_bytes(accessor["bufferView"])[accessor.get("byteOffset", 0) :]
    return np.frombuffer(data, dtype=np.float32, count=accessor["count"] * width).reshape(-1, width)


def expect_failure(path: Path, *fragments: str) -> str:
    with pytest.raises(UnsupportedModel) as caught:
        read_model(path)
    message = str(caught.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


# --- real files ------------------------------------------------------------------------------


def test_sunglasses_load_every_part_with_typed_arrays(sunglasses):
    names = {p.name for p in sunglasses.primitives}
    assert names == {
        "EarhookRight", "TempleRight", "EarhookLeft", "TempleLeft",
        "Nosepads", "Frames", "LensesInterior", "LensesExterior",
    }
    for primitive in sunglasses.primitives:
        assert primitive.positions.dtype == np.float32 and primitive.positions.shape[1] == 3
        assert primitive.indices.dtype == np.uint32 and primitive.indices.max() < len(primitive.positions)
        assert np.allclose(np.linalg.norm(primitive.normals, axis=1), 1.0, atol=1e-4)
        assert not primitive.positions.flags.writeable, "shared, cached arrays must not be edited in place"
    assert sunglasses.size_mm[0] == pytest.approx(0.1505, abs=0.001), "as authored: metres"


def test_material_factors_are_the_files_floats_not_8_bit(sunglasses):
    materials = {p.name: p.material for p in sunglasses.primitives}
    temples = materials["TempleLeft"]
    assert temples.name == "temples"
    assert temples.base_color[0] == pytest.approx(0.9159365892410278, abs=1e-7)
    assert temples.roughness == pytest.approx(0.05, abs=1e-6) and temples.metallic == 1.0


def test_transmissive_lenses_keep_their_transmission_and_tint(sunglasses):
    materials = {p.name: p.material for p in sunglasses.primitives}
    lens, pads, frame = materials["LensesExterior"], materials["Nosepads"], materials["Frames"]
    assert lens.transmission == 1.0 and max(lens.base_color[:3]) < 0.02, "dark glass: little light passes"
    assert pads.transmission == 1.0 and min(pads.base_color[:3]) == 1.0, "clear nose pads pass it all"
    assert frame.transmission == 0.0


def test_textures_decode_to_rgba_with_uvs_in_gltf_convention(models, sunglasses):
    earhook = next(p for p in sunglasses.primitives if p.name == "EarhookRight")
    texture = earhook.material.base_color_texture
    assert texture.dtype == np.uint8 and texture.shape == (128, 1024, 4)
    path = models / "sunglasses_khronos" / "SunglassesKhronos.glb"
    assert np.allclose(earhook.uvs, accessor_array(path, 2)), "v is not flipped: origin top-left, as in the file"


def test_shoe_has_three_variants_whose_materials_differ(shoe):
    assert list(shoe.variant_materials) == ["midnight", "beach", "street"]
    textures = [shoe.materials_for(v)[0].base_color_texture for v in shoe.variant_materials]
    assert all(t is not None and t.shape == (2048, 2048, 4) for t in textures)
    means = [t[..., :3].mean(axis=(0, 1)) for t in textures]
    assert min(np.abs(a - b).max() for i, a in enumerate(means) for b in means[i + 1 :]) > 5.0
    assert shoe.materials_for(None)[0].base_color_texture is textures[0], "midnight is the file's default"


def test_variant_materials_share_decoded_textures(shoe):
    normals = {id(shoe.materials_for(v)[0].normal_texture) for v in shoe.variant_materials}
    assert len(normals) == 1, "one normal map decoded once, shared by every variant"


def test_variant_names_are_read_without_decoding_geometry(models):
    path = models / "materials_variants_shoe" / "MaterialsVariantsShoe.glb"
    assert model_variant_names(path) == ("midnight", "beach", "street")


def test_draco_box_decodes_to_twelve_triangles(models):
    box = read_model(models / "box_draco" / "Box.gltf")
    assert box.triangle_count == 12
    assert np.allclose(box.size_mm, [1.0, 1.0, 1.0], atol=1e-5)


def test_node_transforms_are_applied_z_up_root_becomes_y_up(models):
    glasses = read_model(models / "glasses_thuglife_mindar" / "scene.gltf")
    width, height, depth = glasses.size_mm
    assert width == pytest.approx(139.4, abs=0.5) and height == pytest.approx(26.9, abs=0.5)
    assert depth == pytest.approx(131.7, abs=0.5), "the mind-ar root rotation turned Z-up into Y-up"


# --- synthetic files: geometry rules ---------------------------------------------------------


def test_missing_normals_are_computed_from_the_faces(tmp_path):
    model = read_model(write_gltf(tmp_path / "tri.gltf", triangle_document()))
    assert np.allclose(model.primitives[0].normals, [0.0, 0.0, 1.0])


def test_an_instanced_mesh_appears_once_per_node(tmp_path):
    document = triangle_document()
    document["nodes"] = [{"mesh": 0, "name": "left"}, {"mesh": 0, "name": "right", "translation": [5, 0, 0]}]
    document["scenes"] = [{"nodes": [0, 1]}]
    model = read_model(write_gltf(tmp_path / "pair.gltf", document))
    assert sorted(p.name for p in model.primitives) == ["tri@left", "tri@right"]
    assert model.size_mm[0] == pytest.approx(6.0)


def test_a_mirroring_node_keeps_triangles_facing_their_normals(tmp_path):
    document = triangle_document(normals=True)
    document["nodes"] = [{"mesh": 0, "scale": [-1, 1, 1]}]
    primitive = read_model(write_gltf(tmp_path / "mirror.gltf", document)).primitives[0]
    a, b, c = primitive.positions[primitive.indices[0]]
    assert np.dot(np.cross(b - a, c - a), primitive.normals[0]) > 0


def test_vertex_colours_become_the_average_base_colour(tmp_path):
    colours = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    model = read_model(write_gltf(tmp_path / "red.gltf", triangle_document(colours=colours)))
    assert model.primitives[0].material.base_color == pytest.approx((1.0, 0.0, 0.0, 1.0))


def test_a_file_without_scenes_still_shows_its_meshes(tmp_path):
    document = triangle_document()
    del document["scene"], document["scenes"], document["nodes"]
    assert read_model(write_gltf(tmp_path / "bare.gltf", document)).triangle_count == 1


def test_glb_with_binary_chunk_loads(tmp_path):
    document = triangle_document()
    data = TRIANGLE.tobytes() + np.array([0, 1, 2], dtype=np.uint16).tobytes() + b"\0\0"
    document["buffers"] = [{"byteLength": len(data)}]  # no uri: the GLB's BIN chunk
    model = read_model(write_glb(tmp_path / "tri.glb", document, data))
    assert np.allclose(model.primitives[0].positions, TRIANGLE)


# --- broken files: each fails with a message naming the file and the problem ------------------


def test_truncated_glb_reports_declared_and_actual_length(models, tmp_path):
    whole = (models / "sunglasses_khronos" / "SunglassesKhronos.glb").read_bytes()
    path = tmp_path / "cut.glb"
    path.write_bytes(whole[: len(whole) // 2])
    expect_failure(path, "truncated GLB", str(len(whole)), str(len(whole) // 2))


def test_empty_file_is_reported_as_empty(tmp_path):
    path = tmp_path / "empty.glb"
    path.write_bytes(b"")
    expect_failure(path, "empty")


def test_random_bytes_are_not_gltf(tmp_path):
    path = tmp_path / "noise.glb"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    expect_failure(path, "not a glTF file")


def test_a_png_renamed_glb_is_named_for_what_it_is(tmp_path):
    path = tmp_path / "photo.glb"
    Image.new("RGB", (4, 4)).save(path, format="PNG")
    expect_failure(path, "not a glTF file", "PNG image")


def test_json_that_is_not_gltf_is_rejected(tmp_path):
    expect_failure(write_gltf(tmp_path / "config.gltf", {"products": []}), "asset.version", "not a glTF file")


def test_json_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "broken.gltf"
    path.write_text('{\n  "asset": {"version": "2.0"},\n  "meshes": [\n', encoding="utf-8")
    expect_failure(path, "not valid JSON", "line 4")


def test_gltf_1_is_rejected_with_the_version(tmp_path):
    document = triangle_document()
    document["asset"]["version"] = "1.0"
    expect_failure(write_gltf(tmp_path / "old.gltf", document), "glTF version 1.0")


def test_missing_bin_is_named(models, tmp_path):
    shutil.copy(models / "glasses_thuglife_mindar" / "scene.gltf", tmp_path / "scene.gltf")
    expect_failure(tmp_path / "scene.gltf", "missing file 'scene.bin'")


def test_short_bin_is_reported_as_truncated(models, tmp_path):
    source = models / "glasses_thuglife_mindar"
    shutil.copy(source / "scene.gltf", tmp_path / "scene.gltf")
    (tmp_path / "scene.bin").write_bytes((source / "scene.bin").read_bytes()[:1000])
    expect_failure(tmp_path / "scene.gltf", "'scene.bin'", "truncated")


def test_missing_texture_is_named(tmp_path):
    path = write_gltf(tmp_path / "printed.gltf", with_texture(triangle_document(), "textures/print.png"))
    expect_failure(path, "missing file 'textures/print.png'")


def test_a_file_without_meshes_has_nothing_to_draw(tmp_path):
    expect_failure(write_gltf(tmp_path / "empty_scene.gltf", {"asset": {"version": "2.0"}}), "no meshes")


def test_points_only_file_has_no_triangle_geometry(tmp_path):
    document = triangle_document()
    document["meshes"][0]["primitives"][0]["mode"] = 0
    expect_failure(write_gltf(tmp_path / "cloud.gltf", document), "no triangle geometry")


def test_oversized_texture_is_rejected_from_its_header(tmp_path):
    side = 2 * MAX_TEXTURE_SIDE
    Image.new("1", (side, side)).save(tmp_path / "huge.png")  # ~33 kB on disk, 1 GiB as RGBA
    path = write_gltf(tmp_path / "huge.gltf", with_texture(triangle_document(), "huge.png"))
    expect_failure(path, "'huge.png'", f"{side}x{side}", f"{MAX_TEXTURE_SIDE} px")


def test_corrupt_draco_data_is_reported(models, tmp_path):
    shutil.copy(models / "box_draco" / "Box.gltf", tmp_path / "Box.gltf")
    (tmp_path / "Box.bin").write_bytes(b"\x07" * (models / "box_draco" / "Box.bin").stat().st_size)
    expect_failure(tmp_path / "Box.gltf", "Draco", "could not be decoded")


def test_unsupported_required_extension_is_named(tmp_path):
    document = triangle_document()
    document["extensionsRequired"] = ["EXT_meshopt_compression"]
    expect_failure(write_gltf(tmp_path / "meshopt.gltf", document), "EXT_meshopt_compression")


def test_triangle_limit_is_enforced(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "MAX_TRIANGLES", 0)
    expect_failure(write_gltf(tmp_path / "tri.gltf", triangle_document()), "1 triangles", "limit")


def test_file_size_limit_is_enforced(tmp_path, monkeypatch):
    path = write_gltf(tmp_path / "tri.gltf", triangle_document())
    monkeypatch.setattr(gltf_file, "MAX_MODEL_BYTES", path.stat().st_size - 1)
    expect_failure(path, "limit")


def test_missing_file_and_folder_are_reported(tmp_path):
    expect_failure(tmp_path / "nowhere.glb", "no such file")
    expect_failure(tmp_path, "folder")


def test_accessor_past_its_buffer_is_reported_not_a_traceback(tmp_path):
    document = triangle_document()
    document["accessors"][0]["count"] = 300
    expect_failure(write_gltf(tmp_path / "overrun.gltf", document), "accessors[0]")


def test_json_chunk_of_a_glb_is_checked_too(tmp_path):
    path = tmp_path / "bad_json.glb"
    write_glb(path, {"asset": {"version": "2.0"}})
    data = bytearray(path.read_bytes())
    data[20:22] = b"[["
    path.write_bytes(bytes(data))
    expect_failure(path, "not valid JSON")


def test_a_node_scaled_to_zero_is_hidden_not_a_crash(tmp_path):
    document = triangle_document()
    document["nodes"] = [{"mesh": 0, "name": "shown"}, {"mesh": 0, "name": "hidden", "scale": [0, 0, 0]}]
    document["scenes"] = [{"nodes": [0, 1]}]
    model = read_model(write_gltf(tmp_path / "hidden.gltf", document))
    assert [p.name for p in model.primitives] == ["tri@shown"]


def test_total_texture_pixels_are_limited(tmp_path, monkeypatch):
    monkeypatch.setattr(gltf_textures, "MAX_TEXTURE_PIXELS", 15)
    Image.new("RGB", (4, 4)).save(tmp_path / "small.png")
    path = write_gltf(tmp_path / "printed.gltf", with_texture(triangle_document(), "small.png"))
    expect_failure(path, "megapixels", "'small.png'")
