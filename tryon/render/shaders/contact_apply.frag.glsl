#version 330 core
// The contact shadow over the occluders' pixels, multiplied into the frame in linear light
// (blend: destination colour times this). The shadow texture is 0 wherever no product is near,
// so the factor there is exactly 1 and the frame's bytes come back unchanged (an sRGB byte
// decoded and encoded again).

uniform sampler2D u_shadow;  // how much light the products take away, at 1/2k resolution
uniform vec2 u_uv_per_px;    // its uv per render-target pixel

out vec4 f_color;

void main() {
    f_color = vec4(vec3(1.0 - texture(u_shadow, gl_FragCoord.xy * u_uv_per_px).r), 1.0);
}
