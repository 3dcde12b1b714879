"""The page's camera field of view: browsers do not report one, so only ?fov= sets it."""

from __future__ import annotations

import pytest

from browser_harness import missing_prerequisite

_reason = missing_prerequisite()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.timeout(60)


def test_a_fov_query_parameter_in_the_servers_range_becomes_fov_deg(cameraless_browser, tryon_server):
    page = cameraless_browser.new_page()
    page.goto(f"{tryon_server.base_url}/health")
    read = page.evaluate("""async () => {
        const { fieldOfViewFromQuery } = await import("/static/camera_field_of_view.js");
        return ["?fov=70", "?fov=20", "", "?fov=", "?fov=wide", "?fov=150"].map(
            (q) => fieldOfViewFromQuery(new URLSearchParams(q)));
    }""")
    page.close()
    assert read == [70, 20, None, None, None, None]  # None: the server's 60-degree default stays
