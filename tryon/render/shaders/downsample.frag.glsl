#version 330 core
// Supersampling resolve: each output pixel is the mean of its 2x2 render pixels, as linear
// light (the sRGB scene decodes on fetch, the sRGB target encodes). Where all four hold the
// same camera frame texel the mean is that texel exactly.

uniform sampler2D u_scene;

out vec4 f_color;

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy) * 2;
    f_color = 0.25 * (texelFetch(u_scene, p, 0) + texelFetch(u_scene, p + ivec2(1, 0), 0)
                      + texelFetch(u_scene, p + ivec2(0, 1), 0) + texelFetch(u_scene, p + ivec2(1, 1), 0));
}
