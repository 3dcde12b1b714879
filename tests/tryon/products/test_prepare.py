"""Preparing a retailer's model for the catalog: the real models in ../shared/data/models3d are
accepted and normalised to plausible sizes, and broken files are rejected with every problem
named, never with a traceback."""

from __future__ import annotations

import json
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tryon.errors import ModelRejected
from tryon.products.load import read_model
from tryon.products.normalise import normalise_model
from tryon.products.prepare import ImportOptions, prepare_model

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def models(shared_data: Path) -> Path:
    return shared_data / "models3d"


def prepared(path: Path, category: str, **options):
    return prepare_model(path, ImportOptions(category=category, **options))


def codes(exc: pytest.ExceptionInfo[ModelRejected]) -> list[str]:
    return [p.code for p in exc.value.problems if p.severity == "error"]


def reload(glb: bytes, tmp_path: Path):
    file = tmp_path / "prepared.glb"
    file.write_bytes(glb)
    return read_model(file)


# --- the real models ---

def test_metric_sunglasses_keep_their_size_and_get_a_glasses_fit(models, tmp_path):
    result = prepared(models / "sunglasses_khronos" / "SunglassesKhronos.glb", "sunglasses")
    assert 140 <= result.size_mm[0] <= 160 and result.source_format == "glb"
    assert result.fit.frame_width_mm is not None and 140 <= result.fit.frame_width_mm <= 160
    left, right = result.fit.hinges_mm
    assert left[0] < -50 and right[0] > 50  # one hinge at each end of the front
    assert abs(result.fit.bridge_mm[0]) < 3
    assert result.prepared_triangles == result.original_triangles == 13396
    assert not [p for p in result.problems if p.severity == "error"]


def test_the_variants_shoe_keeps_all_three_variants_in_the_prepared_copy(models, tmp_path):
    result = prepared(models / "materials_variants_shoe" / "MaterialsVariantsShoe.glb", "other")
    assert result.variants == ("midnight", "beach", "street")
    again = reload(result.glb, tmp_path)
    assert tuple(again.variant_materials) == result.variants
    colours = {v: again.variant_materials[v][0].base_color_texture for v in result.variants}
    assert not np.array_equal(colours["midnight"], colours["beach"])
    assert 250 <= result.size_mm[0] <= 350  # a ~30 cm sneaker
    assert result.fit.frame_width_mm is None and "no face fit" in result.fit.notes[0]


@pytest.mark.parametrize(("folder", "category", "axis", "low", "high"), [
    ("glasses_thuglife_mindar", "glasses", 0, 110, 170),
    ("hat_clown_mindar", "hat", 0, 150, 400),
    ("earring_jade_mindar", "earrings", 1, 5, 80),
])
def test_non_metric_models_are_normalised_to_plausible_millimetres(models, folder, category, axis, low, high):
    result = prepared(models / folder / "scene.gltf", category)
    assert low <= result.size_mm[axis] <= high
    assert any(step.startswith("units:") for step in result.steps)
    assert result.source_format == "gltf"


def test_the_draco_box_is_decoded(models, tmp_path):
    result = prepared(models / "box_draco" / "Box.gltf", "other")
    assert result.original_triangles == 12 and result.size_mm == (1000.0, 1000.0, 1000.0)
    assert "KHR_draco_mesh_compression" not in result.glb[:4000].decode("latin-1")  # stored decoded
    assert reload(result.glb, tmp_path).triangle_count == 12


def test_a_prepared_copy_normalises_to_itself(models, tmp_path):
    """The live path loads the prepared GLB through normalise again: it must be a no-op."""
    result = prepared(models / "hat_clown_mindar" / "scene.gltf", "hat")
    again = normalise_model(reload(result.glb, tmp_path), "hat")
    assert np.allclose(again.bounds, result.model.bounds, atol=0.1)


def test_a_triangle_budget_decimates_and_says_so(models):
    result = prepared(models / "hat_clown_mindar" / "scene.gltf", "hat", max_triangles=4000)
    assert result.original_triangles == 13344 and result.prepared_triangles <= 4400
    assert any("decimated" in step for step in result.steps)


def test_a_texture_budget_downscales_and_says_so(models, tmp_path):
    result = prepared(models / "earring_jade_mindar" / "scene.gltf", "earrings", max_texture_side=256)
    assert any("downscaled to" in step for step in result.steps)
    texture = reload(result.glb, tmp_path).primitives[0].material.base_color_texture
    assert max(texture.shape[:2]) <= 256


def test_a_zip_of_a_gltf_with_its_files_is_prepared(models, tmp_path):
    archive = tmp_path / "hat.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("scene.gltf", "scene.bin"):
            z.write(models / "hat_clown_mindar" / name, f"clown/{name}")
    result = prepared(archive, "hat")
    assert result.source_format == "gltf" and result.original_triangles == 13344


def test_an_obj_with_its_mtl_is_prepared(tmp_path):
    (tmp_path / "cube.mtl").write_text("newmtl red\nKd 0.8 0.1 0.1\n")
    corners = [(x, y, z) for x in (0, 1) for y in (0, 1) for z in (0, 1)]
    faces = ["1 2 4 3", "5 7 8 6", "1 5 6 2", "3 4 8 7", "1 3 7 5", "2 6 8 4"]
    text = "mtllib cube.mtl\n" + "".join(f"v {x} {y} {z}\n" for x, y, z in corners)
    text += "usemtl red\n" + "".join(f"f {f}\n" for f in faces)
    (tmp_path / "cube.obj").write_text(text)
    result = prepared(tmp_path / "cube.obj", "other", source_unit="cm")
    assert result.source_format == "obj" and result.original_triangles == 12
    assert result.size_mm == (10.0, 10.0, 10.0)
    assert result.model.primitives[0].material.base_color[0] > 0.5


# --- broken files ---

def test_a_truncated_glb_is_rejected_with_its_length(models, tmp_path):
    data = (models / "sunglasses_khronos" / "SunglassesKhronos.glb").read_bytes()
    (tmp_path / "cut.glb").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelRejected) as exc:
        prepared(tmp_path / "cut.glb", "sunglasses")
    assert codes(exc) and "cut.glb" in str(exc.value)
    assert any("truncated" in p.message or "length" in p.message for p in exc.value.problems)


def test_a_gltf_whose_bin_is_missing_names_the_missing_file(models, tmp_path):
    shutil.copy(models / "glasses_thuglife_mindar" / "scene.gltf", tmp_path / "scene.gltf")
    with pytest.raises(ModelRejected) as exc:
        prepared(tmp_path / "scene.gltf", "glasses")
    assert "scene.bin" in str(exc.value)


def test_broken_json_is_rejected_with_its_position(tmp_path):
    (tmp_path / "bad.gltf").write_text('{"asset": {"version": "2.0"}, "meshes": [}')
    with pytest.raises(ModelRejected) as exc:
        prepared(tmp_path / "bad.gltf", "other")
    assert codes(exc) and "line 1" in str(exc.value)


def test_json_that_is_not_gltf_is_rejected(tmp_path):
    (tmp_path / "other.gltf").write_text(json.dumps({"hello": "world"}))
    with pytest.raises(ModelRejected) as exc:
        prepared(tmp_path / "other.gltf", "other")
    assert codes(exc)


def test_a_model_without_geometry_is_rejected(tmp_path):
    document = {"asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}], "nodes": [{"name": "empty"}]}
    (tmp_path / "empty.gltf").write_text(json.dumps(document))
    with pytest.raises(ModelRejected) as exc:
        prepared(tmp_path / "empty.gltf", "other")
    assert any("triangle" in p.message or "geometry" in p.message for p in exc.value.problems)


def test_a_16k_texture_is_rejected_from_its_header_before_decoding(tmp_path):
    png = _png_header(16384, 16384)
    positions = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], "<f4").tobytes()
    uvs = np.array([[0, 0], [1, 0], [0, 1]], "<f4").tobytes()
    blob = positions + uvs + png + b"\0" * (-len(png) % 4)
    document = {
        "asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "TEXCOORD_0": 1}, "material": 0}]}],
        "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
        "textures": [{"source": 0}], "images": [{"bufferView": 2, "mimeType": "image/png"}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0]},
            {"bufferView": 1, "componentType": 5126, "count": 3, "type": "VEC2"}],
        "bufferViews": [{"buffer": 0, "byteOffset": 0, "byteLength": 36}, {"buffer": 0, "byteOffset": 36, "byteLength": 24},
                        {"buffer": 0, "byteOffset": 60, "byteLength": len(png)}],
        "buffers": [{"byteLength": len(blob)}],
    }
    (tmp_path / "huge.glb").write_bytes(_glb(document, blob))
    with pytest.raises(ModelRejected) as exc:
        prepared(tmp_path / "huge.glb", "other")
    assert "16384" in str(exc.value)


def test_a_zip_bomb_is_rejected_without_unpacking_it(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("model.glb", b"\0" * (64 << 20))
    assert archive.stat().st_size < 1 << 20
    with pytest.raises(ModelRejected) as exc:
        prepared(archive, "other")
    assert codes(exc) == ["archive.bomb"]


def test_a_zip_entry_leaving_the_folder_is_rejected(models, tmp_path):
    archive = tmp_path / "escape.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(models / "box_draco" / "Box.gltf", "Box.gltf")
        z.writestr("../../evil.bin", b"x")
    with pytest.raises(ModelRejected) as exc:
        prepared(archive, "other")
    assert "archive.unsafe_path" in codes(exc)
    assert not (tmp_path.parent / "evil.bin").exists()


def test_an_unknown_format_is_rejected_with_what_we_read(tmp_path):
    (tmp_path / "model.fbx").write_bytes(b"Kaydara FBX Binary  \0")
    with pytest.raises(ModelRejected) as exc:
        prepared(tmp_path / "model.fbx", "other")
    assert codes(exc) == ["file.unsupported_format"] and ".glb" in str(exc.value)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    document = {
        "asset": {"version": "2.0"}, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "material": 0}]}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}],
        "buffers": [{"uri": "missing.bin", "byteLength": 36}],
        "materials": [{"pbrMetallicRoughness": {"baseColorTexture": {"index": 0}}}],
        "textures": [{"source": 0}],
        "images": [{"uri": "missing.png"}],
    }
    (tmp_path / "many.gltf").write_text(json.dumps(document))
    with pytest.raises(ModelRejected) as exc:
        prepared(tmp_path / "many.gltf", "other")
    text = str(exc.value)
    assert "missing.bin" in text and "missing.png" in text and len(codes(exc)) >= 2


def _png_header(width: int, height: int) -> bytes:
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    # a valid header and a first image chunk: decoding it would take 1 GiB, reading the header 33 bytes
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")


def _glb(document: dict, blob: bytes) -> bytes:
    text = json.dumps(document).encode()
    text += b" " * (-len(text) % 4)
    body = struct.pack("<II", len(text), 0x4E4F534A) + text + struct.pack("<II", len(blob), 0x004E4942) + blob
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def _quad_obj(folder: Path, mtl: str | None, extra: str = "") -> Path:
    text = (f"mtllib {mtl}\n" if mtl else "") + "v 0 0 0\nv 2 0 0\nv 2 1 0\nv 0 1 0\n"
    text += "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\nusemtl skin\nf 1/1 2/2 3/3 4/4\n" + extra
    path = folder / "quad.obj"
    path.write_text(text)
    return path


def test_an_obj_texture_named_by_its_mtl_is_carried_into_the_prepared_copy(tmp_path):
    from PIL import Image

    Image.new("RGB", (8, 8), (200, 30, 30)).save(tmp_path / "red.png")
    (tmp_path / "quad.mtl").write_text("newmtl skin\nKd 1 1 1\nmap_Kd red.png\n")
    result = prepared(_quad_obj(tmp_path, "quad.mtl"), "other", source_unit="cm")
    texture = reload(result.glb, tmp_path).primitives[0].material.base_color_texture
    assert texture is not None and tuple(texture[4, 4, :3]) == (200, 30, 30)
    assert result.size_mm[:2] == (20.0, 10.0)


def test_an_obj_whose_mtl_is_missing_names_the_file(tmp_path):
    with pytest.raises(ModelRejected) as exc:
        prepared(_quad_obj(tmp_path, "gone.mtl"), "other")
    assert "gone.mtl" in str(exc.value)


def test_an_obj_face_past_its_vertices_is_rejected_with_the_line(tmp_path):
    (tmp_path / "quad.mtl").write_text("newmtl skin\nKd 1 1 1\n")
    with pytest.raises(ModelRejected) as exc:
        prepared(_quad_obj(tmp_path, "quad.mtl", extra="f 1 2 9\n"), "other")
    assert codes(exc) == ["geometry.bad_index"] and "line 12" in str(exc.value)


def test_an_obj_without_a_material_library_is_accepted_grey_with_a_warning(tmp_path):
    result = prepared(_quad_obj(tmp_path, None), "other")
    assert [p.code for p in result.problems] == ["material_library.none"]


def test_the_prepared_draco_box_renders_red_and_centred_from_several_angles(models, tmp_path):
    from tryon.render.product_view import ViewRequest, render_view

    result = prepared(models / "box_draco" / "Box.gltf", "other")
    model = normalise_model(reload(result.glb, tmp_path), "other")
    for yaw in (0.0, 45.0, 135.0, 270.0):
        rgba = render_view(model, f"prepared box {tmp_path}", ViewRequest(yaw, 20.0, 96, 96, "transparent"))
        covered = np.argwhere(rgba[:, :, 3] == 255)
        assert len(covered) > 0.2 * 96 * 96
        assert np.allclose(covered.mean(axis=0), (48, 48), atol=8)
        r, g, b = (float(c) for c in rgba[rgba[:, :, 3] == 255][:, :3].mean(axis=0))
        assert r > 2 * g and r > 2 * b, f"yaw {yaw}: {r, g, b}"
