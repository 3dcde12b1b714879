"""The service's HTTP side against the running server: health, catalog, models, sample video, docs."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request

import pytest
import trimesh

pytestmark = pytest.mark.timeout(120)


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_health_reports_this_process_and_its_session_capacity(server):
    status, _, body = fetch(f"{server.http}/health")
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["max_sessions"] == 6 and health["pid"] > 0


def test_the_catalog_lists_every_product_with_its_variants_and_model(server):
    products = json.loads(fetch(f"{server.http}/api/products")[2])
    by_id = {p["id"]: p for p in products}
    assert {"round-classic", "sunglasses-shade", "hat-fedora", "earrings-pearl-drop"} <= set(by_id)
    assert [v["name"] for v in by_id["round-classic"]["variants"]] == ["black", "tortoise", "gold"]
    assert by_id["round-classic"]["variants"][0]["sku"] == "round-classic-black"
    assert by_id["round-classic"]["model_url"] == "/api/products/round-classic/model.glb"


def test_a_products_model_is_a_glb_in_metres_in_the_product_frame(server):
    status, headers, body = fetch(f"{server.http}/api/products/round-classic/model.glb?variant=tortoise")
    assert status == 200 and headers["content-type"] == "model/gltf-binary" and body[:4] == b"glTF"
    scene = trimesh.load(io.BytesIO(body), file_type="glb")
    width = scene.bounds[1][0] - scene.bounds[0][0]
    assert 0.130 < width < 0.146  # the catalog's 138 mm frame, in metres


@pytest.mark.parametrize("path, words", [("/api/products/no-such/model.glb", "unknown product"),
                                         ("/api/products/round-classic/model.glb?variant=plaid", "variant 'plaid'"),
                                         ("/api/products/no-such", "known products")])
def test_unknown_products_and_variants_are_404_with_the_known_names(server, path, words):
    status, _, body = fetch(server.http + path)
    assert status == 404 and words in json.loads(body)["detail"]


def test_the_sample_video_is_webm_for_every_browser(server, shared_data):  # the clip is from shared data
    status, headers, body = fetch(f"{server.http}/api/sample-video")
    assert status == 200 and headers["content-type"] == "video/webm"
    assert body[:4] == b"\x1a\x45\xdf\xa3" and len(body) > 100_000  # EBML magic


def test_client_config_carries_the_limits_and_the_socket_path(server):
    config = json.loads(fetch(f"{server.http}/api/config")[2])
    assert config["ws_path"] == "/ws/tryon" and config["limits"]["max_frame_width"] == 1280
    assert config["defaults"]["mode"] == "composite"


def test_client_config_offers_the_sample_video_when_there_is_one(server, shared_data):
    assert json.loads(fetch(f"{server.http}/api/config")[2])["sample_video"] is True


def test_openapi_documents_the_routes(server):
    spec = json.loads(fetch(f"{server.http}/openapi.json")[2])
    assert {"/health", "/api/products", "/api/products/{product_id}/model.glb", "/api/sample-video",
            "/api/sessions/{session_id}"} <= set(spec["paths"])
    assert fetch(f"{server.http}/docs")[0] == 200


def test_an_unknown_session_summary_is_404(server):
    status, _, body = fetch(f"{server.http}/api/sessions/0123")
    assert status == 404 and "no ended session" in json.loads(body)["detail"]


def test_the_zero_set_up_service_has_demo_stores_with_stock_and_slots_nearby(server):
    found = json.loads(fetch(f"{server.http}/api/availability?sku=round-classic-gold&lat=48.8566&lon=2.3522&radius_km=15")[2])
    assert len(found["stores"]) >= 3 and all(s["available"] > 0 and s["next_slots"] for s in found["stores"])
    distances = [s["distance_km"] for s in found["stores"]]
    assert distances == sorted(distances)
    assert (server.data_dir / "admin.key").is_file()  # made at first start, shared by every worker
