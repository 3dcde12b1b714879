"""The product catalog: ids and model paths resolve to Products whose models load, cached."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tryon.errors import CatalogError, UnknownProduct, UnsupportedModel
from tryon.products.catalog import ASSETS_ENV_VAR, list_products, load_product_model, products_dir, resolve_product
from tryon.products.load import read_model

BUNDLED = Path(__file__).resolve().parents[3] / "assets" / "products" / "catalog.json"
needs_bundled_catalog = pytest.mark.skipif(
    not BUNDLED.is_file(), reason=f"bundled catalog not generated yet ({BUNDLED}; run assets/build_demo_catalog.py)"
)


@pytest.fixture
def own_catalog(tmp_path: Path, shared_data: Path, monkeypatch) -> Path:
    """A TRYON_ASSETS_DIR with one product, the Draco box, as a user's deployment would have."""
    products = tmp_path / "products"
    (products / "box").mkdir(parents=True)
    for name in ("Box.gltf", "Box.bin"):
        shutil.copy(shared_data / "models3d" / "box_draco" / name, products / "box" / name)
    entry = {"id": "crate", "name": "Crate", "category": "other", "file": "box/Box.gltf", "real_width_mm": 1000.0,
             "variants": [], "default_variant": None, "description": "A one-metre box."}
    (products / "catalog.json").write_text(json.dumps([entry]), encoding="utf-8")
    monkeypatch.setenv(ASSETS_ENV_VAR, str(tmp_path))
    return products


@needs_bundled_catalog
def test_bundled_catalog_lists_every_entry_with_an_existing_model():
    entries = json.loads(BUNDLED.read_text(encoding="utf-8"))
    products = list_products()
    assert [p.id for p in products] == [e["id"] for e in entries]
    for product, entry in zip(products, entries):
        assert Path(product.model_path).is_file(), product.model_path
        assert product.fit.category == entry["category"]
        assert product.fit.real_width_mm == entry["real_width_mm"]
        assert product.variants[0] == entry["default_variant"], "the default variant is listed first"


@needs_bundled_catalog
def test_bundled_products_load_in_their_authored_frame_with_their_variants():
    for product in list_products():
        model = load_product_model(product)
        authored = read_model(product.model_path)
        assert np.allclose(model.bounds, authored.bounds * 1000.0, atol=0.5), product.id
        assert set(model.variant_materials) == set(product.variants), product.id
        assert model.size_mm[0] == pytest.approx(product.fit.real_width_mm, abs=1.0), product.id


@needs_bundled_catalog
def test_unknown_id_lists_the_known_ids():
    with pytest.raises(UnknownProduct) as caught:
        resolve_product("monocle")
    assert "monocle" in str(caught.value)
    for product in list_products():
        assert product.id in str(caught.value)


def test_a_model_path_resolves_to_a_product_with_the_files_variants(shared_data):
    path = shared_data / "models3d" / "materials_variants_shoe" / "MaterialsVariantsShoe.glb"
    product = resolve_product(str(path), "other")
    assert product.fit.category == "other" and product.name == "MaterialsVariantsShoe"
    assert product.variants == ("midnight", "beach", "street")


def test_a_missing_model_path_is_an_unknown_product(tmp_path):
    with pytest.raises(UnknownProduct, match="no model file at"):
        resolve_product(str(tmp_path / "aviators.glb"))


def test_a_file_that_is_not_a_model_is_an_unsupported_model(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a model")
    with pytest.raises(UnsupportedModel, match="not a glTF file"):
        resolve_product(str(path))


def test_assets_dir_can_be_moved_with_the_environment(own_catalog):
    assert products_dir() == own_catalog
    (crate,) = list_products()
    assert resolve_product("crate") == crate
    assert resolve_product("crate", "hat").fit.category == "hat", "an explicit category wins"
    assert np.allclose(load_product_model(crate).size_mm, 1000.0)


def test_models_are_cached_until_their_file_changes(own_catalog):
    crate = resolve_product("crate")
    first = load_product_model(crate)
    assert load_product_model(crate) is first
    stat = Path(crate.model_path).stat()
    os.utime(crate.model_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert load_product_model(crate) is not first


def test_cached_models_are_read_only(own_catalog):
    model = load_product_model(resolve_product("crate"))
    with pytest.raises(ValueError, match="read-only"):
        model.primitives[0].positions[0, 0] = 1.0


def test_a_malformed_catalog_entry_is_named(own_catalog):
    (own_catalog / "catalog.json").write_text(json.dumps([{"id": "crate", "name": "Crate", "category": "box"}]))
    with pytest.raises(CatalogError, match=r"product 0 \(crate\) lacks file"):
        list_products()


def test_without_a_catalog_paths_still_resolve(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv(ASSETS_ENV_VAR, str(tmp_path))
    with pytest.raises(CatalogError, match=ASSETS_ENV_VAR):
        list_products()
    box = resolve_product(str(shared_data / "models3d" / "box_draco" / "Box.gltf"), "other")
    assert load_product_model(box).triangle_count == 12
    with pytest.raises(UnknownProduct, match="no catalog"):
        resolve_product("round-classic")
