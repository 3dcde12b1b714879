"""Normalisation into the product frame: real files land at real sizes, anchored where they fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tryon.products.load import load_model, read_model
from tryon.products.model import ProductModel
from tryon.products.normalise import normalise_model, transform_model
from tryon.products.orientation import proper_axis_rotations


@pytest.fixture(scope="module")
def models(shared_data: Path) -> Path:
    return shared_data / "models3d"


@pytest.fixture(scope="module")
def raw_sunglasses(models: Path) -> ProductModel:
    return read_model(models / "sunglasses_khronos" / "SunglassesKhronos.glb")


@pytest.fixture(scope="module")
def raw_thuglife(models: Path) -> ProductModel:
    return read_model(models / "glasses_thuglife_mindar" / "scene.gltf")


@pytest.fixture(scope="module")
def raw_hat(models: Path) -> ProductModel:
    return read_model(models / "hat_clown_mindar" / "scene.gltf")


def turned(model: ProductModel, rotation: np.ndarray, scale: float = 1.0) -> ProductModel:
    return transform_model(model, rotation, scale, np.zeros(3))


def steps(model: ProductModel) -> str:
    return " | ".join(model.normalisation)


def test_sunglasses_are_150_mm_wide_with_the_origin_at_the_bridge(raw_sunglasses):
    glasses = normalise_model(raw_sunglasses, "sunglasses")
    (x0, y0, z0), (x1, y1, z1) = glasses.bounds
    assert x1 - x0 == pytest.approx(150.5, abs=1.0)
    assert abs(x0 + x1) < 1.0, "x = 0 at the middle of the frame"
    assert z0 < -100.0, "temples run back behind the origin"
    assert 0.0 < z1 < 15.0, "the frame front sits just in front of z = 0"
    assert abs(y0 + y1) < 1.0, "y = 0 at the middle of the frame front's height"
    assert "metres -> mm (x1000)" in steps(glasses) and "already Y-up, +Z front" in steps(glasses)


def test_thuglife_glasses_are_millimetres(raw_thuglife):
    glasses = normalise_model(raw_thuglife, "glasses")
    assert glasses.size_mm[0] == pytest.approx(139.4, abs=0.5)
    assert glasses.bounds[0, 2] < -100.0 and 0.0 < glasses.bounds[1, 2] < 10.0
    assert "millimetres -> mm (x1)" in steps(glasses)


def test_clown_hat_is_sized_as_a_hat_and_stands_on_its_opening(raw_hat):
    hat = normalise_model(raw_hat, "hat")
    assert 150.0 <= max(hat.size_mm[0], hat.size_mm[2]) <= 400.0
    assert hat.bounds[0, 1] == pytest.approx(0.0, abs=1e-3), "nothing below the head opening"
    assert "centre of the hat opening" in steps(hat)


def test_jade_earring_is_a_few_centimetres_and_hangs_below_the_origin(models):
    earring = load_model(models / "earring_jade_mindar" / "scene.gltf", "earrings")
    assert earring.size_mm[1] == pytest.approx(36.2, abs=0.5), "centimetres in the file"
    assert earring.bounds[1, 1] == pytest.approx(0.0, abs=1e-3)
    assert np.abs(earring.bounds[:, [0, 2]]).max() < 10.0, "the drop hangs under the anchor"


def test_other_products_are_metres_standing_on_the_origin(models):
    box = load_model(models / "box_draco" / "Box.gltf")
    assert np.allclose(box.size_mm, 1000.0) and box.bounds[0, 1] == pytest.approx(0.0)
    assert np.allclose(box.bounds[:, [0, 2]].sum(axis=0), 0.0), "centred over the origin"


@pytest.mark.parametrize("rotation_index", range(24))
def test_glasses_in_any_axis_orientation_come_back_to_the_product_frame(raw_sunglasses, raw_thuglife, rotation_index):
    rotation = proper_axis_rotations()[rotation_index]
    for raw, category in ((raw_sunglasses, "sunglasses"), (raw_thuglife, "glasses")):
        expected = normalise_model(raw, category).bounds
        assert np.allclose(normalise_model(turned(raw, rotation), category).bounds, expected, atol=0.5)


def test_z_up_glasses_are_reported_as_turned_y_up(raw_sunglasses):
    z_up = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # Y-up -> Z-up, as a CAD export would be
    glasses = normalise_model(turned(raw_sunglasses, z_up), "sunglasses")
    assert glasses.normalisation[0].startswith("up axis: Z-up -> Y-up")
    reference = normalise_model(raw_sunglasses, "sunglasses")
    for moved, original in zip(glasses.primitives, reference.primitives):
        assert np.allclose(moved.normals, original.normals, atol=1e-5), "normals turn with the model"


@pytest.mark.parametrize("rotation_index", range(0, 24, 3))
def test_a_hat_lying_any_way_is_stood_on_its_opening(raw_hat, rotation_index):
    rotation = proper_axis_rotations()[rotation_index]
    hat = normalise_model(turned(raw_hat, rotation), "hat")
    assert hat.size_mm[1] == pytest.approx(normalise_model(raw_hat, "hat").size_mm[1], abs=0.5)


@pytest.mark.parametrize(("unit", "mm_per_unit"), [("cm", 10.0), ("inch", 25.4), ("mm", 1.0)])
def test_units_are_detected_from_the_glasses_width(raw_sunglasses, unit, mm_per_unit):
    in_unit = turned(raw_sunglasses, np.eye(3), 1000.0 / mm_per_unit)
    glasses = normalise_model(in_unit, "sunglasses")
    assert glasses.size_mm[0] == pytest.approx(150.5, abs=1.0)
    assert f"x{mm_per_unit:g})" in steps(glasses)


def test_unknown_units_scale_to_the_typical_width_and_say_so(raw_sunglasses):
    glasses = normalise_model(turned(raw_sunglasses, np.eye(3), 0.37), "sunglasses")
    assert glasses.size_mm[0] == pytest.approx(140.0, abs=0.01)
    assert "unknown units: scaled to typical width 140 mm" in steps(glasses)


def test_a_given_source_unit_overrides_detection(raw_thuglife):
    glasses = normalise_model(raw_thuglife, "glasses", source_unit="cm")
    assert glasses.size_mm[0] == pytest.approx(1393.9, abs=5.0)
    assert "centimetres -> mm (x10), as given" in steps(glasses)


def test_normalising_keeps_variants_and_leaves_the_input_alone(models):
    raw = read_model(models / "materials_variants_shoe" / "MaterialsVariantsShoe.glb")
    before = raw.primitives[0].positions.copy()
    shoe = normalise_model(raw, "other")
    assert shoe.variant_materials == raw.variant_materials
    assert np.array_equal(raw.primitives[0].positions, before) and raw.normalisation == ()
    assert shoe.size_mm[0] == pytest.approx(297.9, abs=0.5)


def test_unknown_category_or_unit_is_a_value_error(raw_thuglife):
    with pytest.raises(ValueError, match="glasses, sunglasses, hat, earrings, other"):
        normalise_model(raw_thuglife, "necklace")
    with pytest.raises(ValueError, match="m, mm, cm, inch"):
        normalise_model(raw_thuglife, "glasses", source_unit="furlong")
