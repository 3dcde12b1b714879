#version 330 core
// Product vertices: product frame (mm) -> camera frame (mm, OpenCV axes) -> clip space.
// Only the normal (and UVs for textured materials) are interpolated: on a software
// rasteriser every varying costs per-triangle setup time, and the fragment shader rebuilds
// the view ray from gl_FragCoord instead of interpolating the position.

layout(std140) uniform Object {
    mat4 clip_from_model;
    mat4 normal_from_model;  // inverse transpose of camera_from_model's 3x3, in a mat4 for std140
    vec4 fade;               // x: the item's opacity (read by pbr.frag's FADE variant only)
};

layout(location = 0) in vec3 in_position;
layout(location = 1) in vec3 in_normal;
#ifdef HAS_UV
layout(location = 2) in vec2 in_uv;
out vec2 v_uv;  // glTF convention: (0, 0) = top-left of the image
#endif

out vec3 v_normal;  // camera frame, not normalised

void main() {
    v_normal = mat3(normal_from_model) * in_normal;
#ifdef HAS_UV
    v_uv = in_uv;
#endif
    gl_Position = clip_from_model * vec4(in_position, 1.0);
}
