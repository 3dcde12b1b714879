"""Samplers that read the stored bytes of sRGB textures rather than the light they encode.

The patch targets store sRGB so that blending happens on linear light, but FXAA wants the
bytes: its edge thresholds are tuned for perceived brightness, and on llvmpipe decoding every
texel it fetches made the pass ~0.35 ms dearer at 640x480 and ~0.7 ms at 1280x720.
EXT_texture_sRGB_decode switches decoding off per sampler. moderngl has no call for it, so the
one GL function needed comes from gl_functions.
"""

from __future__ import annotations

import moderngl

from tryon.render.gl_functions import sampler_parameteri

GL_TEXTURE_SRGB_DECODE_EXT = 0x8A48
GL_SKIP_DECODE_EXT = 0x8A4A
EXTENSION = "GL_EXT_texture_sRGB_decode"


def byte_sampler(ctx: moderngl.Context, filter_: int) -> moderngl.Sampler | None:
    """A clamped sampler with `filter_` (moderngl.LINEAR or NEAREST) that returns sRGB
    textures' bytes undecoded, or None where the driver cannot. Needs the context current."""
    set_parameter = sampler_parameteri() if EXTENSION in ctx.extensions else None
    if set_parameter is None:
        return None
    sampler = ctx.sampler(filter=(filter_, filter_), repeat_x=False, repeat_y=False)
    set_parameter(sampler._glo, GL_TEXTURE_SRGB_DECODE_EXT, GL_SKIP_DECODE_EXT)  # no public GL name in 5.13
    return sampler
