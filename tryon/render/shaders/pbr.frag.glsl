#version 330 core
// Shading of one product primitive (glTF metallic-roughness, any alpha mode, optionally
// thin-walled transmission).
// Output: linear light in BGR channel order; the sRGB target encodes it (GL_FRAMEBUFFER_SRGB)
// into the camera frame's BGR bytes and blends on linear values.
// Framebuffer alpha is how much of the camera frame still shows (1 where it was uploaded), for
// the anti-aliasing pass: opaque output writes 0, see-through output multiplies it.
// Built with frame.glsl, material.glsl and lighting.glsl.
// ALPHA_BLEND: premultiplied output for blend factors (ONE, ONE_MINUS_SRC_ALPHA) on colour,
// (ZERO, ONE_MINUS_SRC_ALPHA) on alpha.
// TRANSMISSION: dual-source output for (ONE, SRC1_COLOR) on colour, (ZERO, SRC1_ALPHA) on
// alpha: frame' = f_color + frame * f_transmittance, a tint per channel.
// FADE: the item is drawn at opacity fade.x as one layer over what is behind it (fading in or
// out), still premultiplied in linear light: opaque primitives blend with (ONE,
// ONE_MINUS_SRC_ALPHA) over a depth pre-pass of the item (so only its nearest surface blends,
// once), see-through ones scale their contribution, and framebuffer alpha keeps the share of
// the camera frame that shows.

#ifdef FADE
layout(std140) uniform Object {  // as in pbr.vert
    mat4 clip_from_model;
    mat4 normal_from_model;
    vec4 fade;
};
#endif

#ifdef TRANSMISSION
layout(location = 0, index = 0) out vec4 f_color;
layout(location = 0, index = 1) out vec4 f_transmittance;
#else
out vec4 f_color;
#endif

void main() {
    Surface s = sample_material();
    vec3 body;
    vec3 highlights;
    shade(s.base.rgb, s.metallic, s.roughness, s.normal, body, highlights);
    body += s.emissive;
#ifdef ALPHA_BLEND
    float coverage = s.base.a;
#else
    float coverage = 1.0;
#endif
#if defined(TRANSMISSION)
    // Thin-walled glass (KHR_materials_transmission): of the light behind, what the surface does
    // not reflect (Fresnel, 4% head-on) passes, tinted by the base colour, so a clear lens leaves
    // the eyes as they are and a grey one dims them without fogging them; the non-transmitting
    // rest of the surface is lit as a dielectric, and reflections add on top.
    float transmission = metal_rough.z;
    float w = 1.0 - max(dot(s.normal, -normalize(view_ray())), 0.0);
    float fresnel = 0.04 + 0.96 * (w * w) * (w * w) * w;
    vec3 passed = transmission * (1.0 - fresnel) * s.base.rgb;
    vec3 through = mix(vec3(1.0), passed, coverage);
    f_color = vec4((((1.0 - transmission) * body + highlights) * coverage).bgr, 0.0);
    f_transmittance = vec4(through.bgr, dot(through, vec3(1.0 / 3.0)));
#elif defined(ALPHA_BLEND)
    // Premultiplied, in linear light: the surface covers alpha of the view (the glTF "over"
    // operator), and its reflections (Fresnel, ~4% head-on) add unscaled, as on real glass:
    // most eyewear models mark their lenses BLEND.
    f_color = vec4((body * coverage + highlights).bgr, coverage);
#else
    f_color = vec4((body + highlights).bgr, 0.0);
#endif
#ifdef FADE
    float opacity = fade.x;
#if defined(TRANSMISSION)
    // o * (colour + frame * through) + (1 - o) * frame
    f_color.rgb *= opacity;
    f_transmittance = mix(vec4(1.0), f_transmittance, opacity);
#elif defined(ALPHA_BLEND)
    f_color *= opacity;
#else
    f_color = vec4(f_color.rgb * opacity, opacity);
#endif
#endif
}
