"""The per-process GPU cache: geometry once per model, materials per variant, bounded size."""

from __future__ import annotations

import numpy as np

from render_models import box
from tryon.products.model import Material, ProductModel
from tryon.render.context import current_context
from tryon.render.scene import GpuModelCache, material_block


def test_switching_variants_reuses_geometry_and_caches_materials():
    red, blue = Material("red", base_color=(1, 0, 0, 1)), Material("blue", base_color=(0, 0, 1, 1))
    model = ProductModel(box(10.0, red).primitives, variant_materials={"red": (red,), "blue": (blue,)})
    with current_context() as ctx:
        cache = GpuModelCache(ctx)
        gpu = cache.get("m", model)
        first = gpu.materials("red")
        assert cache.get("m", model) is gpu
        assert gpu.materials("blue")[0] is not first[0]
        assert gpu.materials("red") is first
        assert gpu.materials(None)[0] is first[0], "the default material is the same Material object"
        cache.clear()


def test_the_cache_keeps_a_bounded_number_of_models_and_replaces_changed_ones():
    with current_context() as ctx:
        cache = GpuModelCache(ctx, capacity=2)
        models = [box(10.0, Material()) for _ in range(3)]
        for index, model in enumerate(models):
            cache.get(f"m{index}", model)
        assert len(cache) == 2
        replacement = box(12.0, Material())
        assert cache.get("m2", replacement).model is replacement
        cache.release_retired()
        cache.clear()


def test_the_material_block_matches_the_shader_layout():
    texture = np.zeros((2, 2, 4), np.uint8)
    block = material_block(Material(base_color=(0.1, 0.2, 0.3, 0.4), emissive=(0.5, 0.6, 0.7), alpha_cutoff=0.25,
                                    metallic=0.8, roughness=0.9, normal_texture=texture))
    assert block.dtype == np.float32 and block.shape == (16,)
    assert np.allclose(block, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.25, 0.8, 0.9, 0, 0, 0, 0, 1, 0])
