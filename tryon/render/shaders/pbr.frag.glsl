#version 330 core
// Shading of one product primitive (glTF metallic-roughness, any alpha mode).
// Output: sRGB in BGR channel order (the framebuffer holds the camera frame's BGR bytes).
// Framebuffer alpha is how much of the camera frame still shows (1 where it was uploaded), for
// the anti-aliasing pass: opaque output writes 0, blending multiplies it by 1 - alpha.
// Built with frame.glsl, material.glsl and lighting.glsl; ALPHA_BLEND selects premultiplied
// output for blend factors (ONE, ONE_MINUS_SRC_ALPHA) on colour, (ZERO, ONE_MINUS_SRC_ALPHA)
// on alpha.

out vec4 f_color;

void main() {
    Surface s = sample_material();
    vec3 body;
    vec3 highlights;
    shade(s.base.rgb, s.metallic, s.roughness, s.normal, body, highlights);
    body += s.emissive;
#ifdef ALPHA_BLEND
    // Premultiplied: the tint covers the background by alpha, while reflections and highlights
    // add on top at full strength, as on real glass (blend ONE, ONE_MINUS_SRC_ALPHA).
    vec3 color = linear_to_srgb(body) * s.base.a + linear_to_srgb(highlights);
    f_color = vec4(min(color, vec3(1.0)).bgr, s.base.a);
#else
    f_color = vec4(linear_to_srgb(body + highlights).bgr, 0.0);
#endif
}
