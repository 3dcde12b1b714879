#version 330 core
// Contact-shadow casters: a product's vertices into the small caster target. The Object block
// holds the full patch's clip_from_model; u_ndc_fit maps that patch onto the small target's
// viewport (xy: scale, zw: offset, both in NDC), which spans a few texels more than the patch.

layout(std140) uniform Object {
    mat4 clip_from_model;
    mat4 normal_from_model;
};

uniform vec4 u_ndc_fit;

layout(location = 0) in vec3 in_position;

void main() {
    vec4 clip = clip_from_model * vec4(in_position, 1.0);
    clip.xy = clip.xy * u_ndc_fit.xy + u_ndc_fit.zw * clip.w;
    gl_Position = clip;
}
