#version 330 core
// One direction of the separable Gaussian over the caster target: both channels are blurred
// alike, so their ratio stays the coverage-weighted depth of the products nearby. Texels past
// the viewport are zeros (the targets are cleared whole); fetches stay inside the texture.

uniform sampler2D u_source;
uniform ivec2 u_step;          // (1, 0) or (0, 1)
uniform int u_radius;          // taps each side, <= 8
uniform float u_weights[9];    // centre first, normalised over 2 * radius + 1 taps

out vec2 f_caster;

void main() {
    ivec2 texel = ivec2(gl_FragCoord.xy);
    ivec2 last = textureSize(u_source, 0) - 1;
    vec2 sum = texelFetch(u_source, texel, 0).xy * u_weights[0];
    for (int i = 1; i <= u_radius; ++i) {
        ivec2 offset = u_step * i;
        sum += (texelFetch(u_source, clamp(texel + offset, ivec2(0), last), 0).xy
              + texelFetch(u_source, clamp(texel - offset, ivec2(0), last), 0).xy) * u_weights[i];
    }
    f_caster = sum;
}
