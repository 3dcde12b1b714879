"""The catalog admin API and product renders against the real service, on SQLite and PostgreSQL:
a retailer uploads real models, they become products with one SKU per model variant, broken
uploads are refused with every problem and leave nothing behind, and renders differ per variant."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.server.databases import ADMIN_KEY
from tests.server.live_server import commerce_server

pytestmark = pytest.mark.timeout(180)
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    if request.param == "postgresql":
        request.getfixturevalue("postgres_available")
    with commerce_server(request.param, tmp_path_factory.mktemp(f"catalog-{request.param}")) as live, \
            httpx.Client(base_url=live.http, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def models(shared_data: Path) -> Path:
    return shared_data / "models3d"


def upload(shop: httpx.Client, data: bytes, filename: str, headers=ADMIN, **params) -> httpx.Response:
    return shop.post("/api/catalog/products", params={"filename": filename, **params}, content=data,
                     headers=headers)


def fresh_id(stem: str) -> str:
    return f"{stem}-{uuid.uuid4().hex[:6]}"


def picture(response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGBA"))


@pytest.fixture(scope="module")
def shoe(shop: httpx.Client, models: Path) -> dict:
    data = (models / "materials_variants_shoe" / "MaterialsVariantsShoe.glb").read_bytes()
    made = upload(shop, data, "MaterialsVariantsShoe.glb", id=fresh_id("shoe"), name="Variant sneaker")
    assert made.status_code == 201, made.text
    return made.json()


# --- importing ---

def test_an_uploaded_glb_becomes_a_product_with_its_size_and_fit(shop, models):
    product_id = fresh_id("khronos-shades")
    data = (models / "sunglasses_khronos" / "SunglassesKhronos.glb").read_bytes()
    made = upload(shop, data, "SunglassesKhronos.glb", id=product_id, category="sunglasses")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["created"] and body["source"] == "import" and body["wearable"]
    assert 140 <= body["dimensions_mm"][0] <= 160
    assert [v["name"] for v in body["variants"]] == ["default"]
    assert 140 <= body["fit"]["real_width_mm"] <= 160 and body["fit"]["confirmed"] is False
    report = body["asset"]["report"]
    assert report["fit_suggestion"]["hinges_mm"] and any("units" in step for step in report["steps"])
    listed = {p["id"]: p for p in shop.get("/api/products").json()}
    assert listed[product_id]["page_url"] == f"/products/{product_id}"
    glb = shop.get(f"/api/products/{product_id}/model.glb")
    assert glb.status_code == 200 and glb.content[:4] == b"glTF"
    original = shop.get(f"/api/catalog/products/{product_id}/original", headers=ADMIN)
    assert original.content == data


def test_the_shoes_three_model_variants_become_three_skus(shop, shoe):
    assert [v["name"] for v in shoe["variants"]] == ["midnight", "beach", "street"]
    assert len({v["sku"] for v in shoe["variants"]}) == 3
    assert shoe["wearable"] is False and shoe["category"] == "other"
    assert 250 <= shoe["dimensions_mm"][0] <= 350


def test_a_zip_of_a_gltf_with_its_bin_is_imported_with_its_units_found(shop, models):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("scene.gltf", "scene.bin"):
            z.write(models / "hat_clown_mindar" / name, name)
    made = upload(shop, archive.getvalue(), "clown-hat.zip", category="hat", id=fresh_id("clown"))
    assert made.status_code == 201, made.text
    assert 150 <= max(made.json()["dimensions_mm"][0], made.json()["dimensions_mm"][2]) <= 400


def test_a_broken_upload_is_refused_with_every_problem_and_writes_nothing(shop, models):
    before = shop.get("/api/catalog/products", headers=ADMIN).json()
    data = (models / "sunglasses_khronos" / "SunglassesKhronos.glb").read_bytes()
    cut = upload(shop, data[:50_000], "cut.glb", id="cut-glasses")
    assert cut.status_code == 422
    problems = cut.json()["problems"]
    assert problems and all({"severity", "code", "message"} <= set(p) for p in problems)
    assert "cut.glb" in cut.json()["detail"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("model.glb", b"\0" * (32 << 20))
    refused = upload(shop, bomb.getvalue(), "bomb.zip", id="bomb")
    assert refused.status_code == 422 and refused.json()["problems"][0]["code"] == "archive.bomb"
    garbage = upload(shop, json.dumps({"asset": {"version": "2.0"}}).encode(), "nothing.gltf", id="nothing")
    assert garbage.status_code == 422
    after = shop.get("/api/catalog/products", headers=ADMIN).json()
    assert [p["id"] for p in after] == [p["id"] for p in before]
    assert shop.get("/api/products/cut-glasses").status_code == 404


def test_bad_requests_are_refused_before_the_model_is_read(shop, models):
    data = (models / "box_draco" / "Box.gltf").read_bytes()
    assert upload(shop, data, "box.gltf", headers={}).status_code == 401
    assert upload(shop, data, "box.fbx").status_code == 422
    assert upload(shop, data, "box.gltf", id="Not A Slug!").status_code == 422
    assert upload(shop, data, "box.gltf", category="spaceship").status_code == 422
    assert upload(shop, b"", "box.glb").status_code == 422


def test_an_id_that_is_taken_gets_409_and_a_replace_keeps_the_skus(shop, models, shoe):
    data = (models / "materials_variants_shoe" / "MaterialsVariantsShoe.glb").read_bytes()
    taken = upload(shop, data, "again.glb", id=shoe["id"])
    assert taken.status_code == 409 and "replace" in taken.json()["detail"]
    replaced = shop.put(f"/api/catalog/products/{shoe['id']}/model", params={"filename": "v2.glb"}, content=data,
                        headers=ADMIN)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["created"] is False
    assert [v["sku"] for v in replaced.json()["variants"]] == [v["sku"] for v in shoe["variants"]]


# --- editing ---

def test_prices_colours_and_sizes_are_edited_and_shown_to_shoppers(shop, shoe):
    patch = {"name": "Sneaker Midnight", "default_variant": "beach",
             "variants": [{"name": "beach", "price": "129.90", "currency": "eur", "colour": "sand"},
                          {"name": "beach-42", "model_variant": "beach", "size": "42", "price": "134.90"}]}
    changed = shop.patch(f"/api/catalog/products/{shoe['id']}", json=patch, headers=ADMIN)
    assert changed.status_code == 200, changed.text
    public = shop.get(f"/api/products/{shoe['id']}").json()
    assert public["name"] == "Sneaker Midnight" and public["default_variant"] == "beach"
    by_name = {v["name"]: v for v in public["variants"]}
    assert by_name["beach"]["price"] == "129.90" and by_name["beach"]["currency"] == "EUR"
    assert by_name["beach"]["colour"] == "sand"
    assert by_name["beach-42"]["size"] == "42" and by_name["beach-42"]["model_variant"] == "beach"
    bad = shop.patch(f"/api/catalog/products/{shoe['id']}", json={"variants": [{"name": "beach", "price": "12,9"}]},
                     headers=ADMIN)
    assert bad.status_code == 422


def test_a_retired_product_leaves_the_shop_but_not_the_admin_list(shop, models):
    product_id = fresh_id("retire")
    data = (models / "glasses_thuglife_mindar" / "scene.gltf").read_bytes()
    bin_ = (models / "glasses_thuglife_mindar" / "scene.bin").read_bytes()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("scene.gltf", data)
        z.writestr("scene.bin", bin_)
    assert upload(shop, archive.getvalue(), "thug.zip", id=product_id, category="glasses").status_code == 201
    assert shop.delete(f"/api/catalog/products/{product_id}", headers=ADMIN).status_code == 200
    assert product_id not in {p["id"] for p in shop.get("/api/products").json()}
    assert shop.get(f"/api/products/{product_id}").status_code == 404
    shown = shop.get(f"/api/catalog/products/{product_id}", headers=ADMIN).json()
    assert shown["active"] is False
    back = shop.patch(f"/api/catalog/products/{product_id}", json={"active": True}, headers=ADMIN)
    assert back.status_code == 200 and shop.get(f"/api/products/{product_id}").status_code == 200


# --- renders ---

def test_renders_are_centred_and_differ_per_variant(shop, shoe):
    views = {v: picture(shop.get(f"/products/{shoe['id']}/render", params={"variant": v, "size": 256,
                                                                            "background": "transparent"}))
             for v in ("midnight", "street")}
    for image in views.values():
        covered = np.argwhere(image[:, :, 3] > 0)
        assert len(covered) > 0.05 * 256 * 256
        centre = covered.mean(axis=0)
        assert abs(centre[0] - 128) < 40 and abs(centre[1] - 128) < 40
    a, b = (views[v][:, :, :3].astype(int) for v in ("midnight", "street"))
    assert np.abs(a - b).mean() > 3


def test_a_bundled_product_renders_from_several_angles(shop):
    front, side = (picture(shop.get("/products/round-classic/render", params={"yaw": yaw, "size": 128}))
                   for yaw in (0, 90))
    assert front.shape == (128, 128, 4) and not np.array_equal(front, side)
    assert (front[:, :, :3] < 200).any()  # the frame is darker than the white background


def test_renders_are_cached_with_an_etag(shop, shoe):
    url = f"/products/{shoe['id']}/thumbnail.webp"
    first = shop.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/webp"
    again = shop.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_a_turntable_is_an_animated_webp_with_the_frames_asked_for(shop):
    spin = shop.get("/products/round-classic/turntable.webp", params={"frames": 6, "size": 96})
    assert spin.status_code == 200
    image = Image.open(io.BytesIO(spin.content))
    assert image.n_frames == 6
    mp4 = shop.get("/products/round-classic/turntable.mp4", params={"frames": 6, "size": 96})
    assert mp4.status_code == 200 and mp4.content[4:8] == b"ftyp"
    see_through = shop.get("/products/round-classic/turntable.mp4", params={"background": "transparent"})
    assert see_through.status_code == 422 and "turntable.webp" in see_through.json()["detail"]


def test_render_requests_out_of_range_get_422_and_unknown_ones_404(shop):
    assert shop.get("/products/round-classic/render", params={"size": 5000}).status_code == 422
    assert shop.get("/products/round-classic/render", params={"background": "red"}).status_code == 422
    assert shop.get("/products/round-classic/render", params={"variant": "plaid"}).status_code == 404
    assert shop.get("/products/no-such-thing/render").status_code == 404


def test_the_product_page_is_served_for_a_product(shop, shoe):
    page = shop.get(f"/products/{shoe['id']}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]



# --- several processes ---

def test_every_server_process_sees_an_import_and_an_edit_within_seconds(models, tmp_path_factory):
    """Two worker processes share the port: whichever answers must know the new product at once
    (a miss re-reads the catalog) and show an edit made through the other within REFRESH_S."""
    import time

    with commerce_server("sqlite", tmp_path_factory.mktemp("catalog-workers"), workers=2) as live, \
            httpx.Client(base_url=live.http, timeout=120) as client:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            for name in ("Box.gltf", "Box.bin"):
                z.write(models / "box_draco" / name, name)
        made = upload(client, archive.getvalue(), "box.zip", id="shared-box")
        assert made.status_code == 201, made.text
        for _ in range(20):  # new connections spread over both processes
            with httpx.Client(base_url=live.http, timeout=30) as fresh:
                assert fresh.get("/api/products/shared-box").status_code == 200
        client.patch("/api/catalog/products/shared-box", json={"name": "Renamed box"}, headers=ADMIN).raise_for_status()
        time.sleep(2.5)
        names = set()
        for _ in range(20):
            with httpx.Client(base_url=live.http, timeout=30) as fresh:
                names.add(fresh.get("/api/products/shared-box").json()["name"])
        assert names == {"Renamed box"}


def test_an_imported_model_is_worn_in_the_live_try_on(shop, models, camera_frames):
    import asyncio

    from server.stream.client import TryOnClient
    from tryon.frames import decode_image

    product_id = fresh_id("live-shades")
    data = (models / "sunglasses_khronos" / "SunglassesKhronos.glb").read_bytes()
    assert upload(shop, data, "shades.glb", id=product_id, category="sunglasses").status_code == 201
    ws_url = str(shop.base_url).replace("http://", "ws://").rstrip("/") + "/ws/tryon"

    async def go():
        async with TryOnClient(ws_url) as client:
            await client.configure(product=product_id)
            reply = None
            for i, frame in enumerate(camera_frames[:8]):
                await client.send_frame(i, frame, capture_ts_ms=1000.0 + i)
                for _ in range(20):
                    reply = await asyncio.wait_for(client.recv(), 60)
                    if reply.kind == "result":
                        break
            return reply

    reply = asyncio.run(go())
    face = reply.meta["faces"][0]
    assert len(face["placements"]) == 1
    sent, dressed = decode_image(camera_frames[7]), decode_image(reply.image)
    u, v = (int(c) for c in face["anchors_px"][0])
    patch = (slice(v - 20, v + 20), slice(u - 80, u + 80))
    assert np.abs(dressed[patch].astype(np.float32) - sent[patch]).mean() > 15  # dark lenses over the eyes
