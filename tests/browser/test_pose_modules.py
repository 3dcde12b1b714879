"""The 3D pose mode's pure modules (web_client/src), run in Chromium with the real three.js."""

from __future__ import annotations

import pytest

from browser_harness import missing_prerequisite

_reason = missing_prerequisite()
if _reason:
    pytest.skip(_reason, allow_module_level=True)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def module_page(cameraless_browser, tryon_server):
    context = cameraless_browser.new_context()
    page = context.new_page()
    page.goto(f"{tryon_server.base_url}/health")
    yield page
    context.close()


def test_each_face_copy_fades_on_its_own_and_opacity_one_restores_the_model_as_loaded(module_page):
    looks = module_page.evaluate("""async () => {
        const THREE = await import("/vendor/three/build/three.module.js");
        const { ownMaterials, setCopyOpacity } = await import("/static/copy_opacity.js");
        const frame = new THREE.MeshStandardMaterial();
        const lens = new THREE.MeshStandardMaterial({ transparent: true, opacity: 0.4, depthWrite: false });
        const model = new THREE.Group();
        model.add(new THREE.Mesh(new THREE.BoxGeometry(), frame), new THREE.Mesh(new THREE.BoxGeometry(), lens));
        const fading = ownMaterials(model.clone(true));
        const steady = ownMaterials(model.clone(true));
        const look = (copy) => copy.children.map((m) => [m.material.opacity, m.material.transparent]);
        setCopyOpacity(fading, 0.5);
        const half = look(fading), beside = look(steady);
        setCopyOpacity(fading, 1);
        return { half, beside, restored: look(fading), template: [frame.opacity, lens.opacity] };
    }""")
    assert looks["half"] == [[0.5, True], [0.2, True]]  # the frame blends; the lens keeps its own share
    assert looks["beside"] == [[1, False], [0.4, True]]  # the other face's copy is untouched
    assert looks["restored"] == [[1, False], [0.4, True]]
    assert looks["template"] == [1, 0.4]  # the loaded model itself never changes
