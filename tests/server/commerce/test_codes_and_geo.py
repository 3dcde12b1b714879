"""Shopper codes (unguessable, forgiving when typed) and distances (pure)."""

from __future__ import annotations

import math

from server.commerce.codes import ALPHABET, new_code, normalise_code
from server.commerce.geo import bounding_box, haversine_km


def test_codes_are_grouped_crockford_and_never_repeat():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 19 and set(c.replace("-", "")) <= set(ALPHABET) for c in codes)


def test_a_typed_or_scanned_code_is_normalised_and_garbage_is_refused():
    code = new_code()
    assert normalise_code(code.lower().replace("-", " ")) == code
    assert normalise_code(f"https://shop.example/r/{code}") == code
    assert normalise_code("o0il-1111-2222-3333") == "0011-1111-2222-3333"
    for garbage in ("", "abc", "UUUU-UUUU-UUUU-UUUU", "1' or '1'='1", "0" * 40):
        assert normalise_code(garbage) is None


def test_distances_match_known_city_pairs():
    assert abs(haversine_km(48.8566, 2.3522, 51.5074, -0.1278) - 343.5) < 1.5  # Paris-London
    assert haversine_km(10, 10, 10, 10) == 0


def test_the_bounding_box_holds_every_point_of_the_radius():
    for lat, lon, radius in ((48.85, 2.35, 25), (-33.9, 151.2, 300), (78.2, 15.6, 100)):
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius)
        for bearing in range(0, 360, 10):
            b = math.radians(bearing)
            d = radius / 6371.0088
            p_lat = math.asin(math.sin(math.radians(lat)) * math.cos(d)
                              + math.cos(math.radians(lat)) * math.sin(d) * math.cos(b))
            p_lon = math.radians(lon) + math.atan2(math.sin(b) * math.sin(d) * math.cos(math.radians(lat)),
                                                   math.cos(d) - math.sin(math.radians(lat)) * math.sin(p_lat))
            assert min_lat - 1e-9 <= math.degrees(p_lat) <= max_lat + 1e-9
            assert min_lon - 1e-9 <= math.degrees(p_lon) <= max_lon + 1e-9


def test_near_the_antimeridian_the_box_spans_every_longitude():
    assert bounding_box(0, 179.9, 50)[2:] == (-180.0, 180.0)
