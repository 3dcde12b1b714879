#version 330 core
// Occluder meshes arrive in the camera frame (mm); only their depth matters.

uniform mat4 u_clip_from_camera;

layout(location = 0) in vec3 in_position;

void main() {
    gl_Position = u_clip_from_camera * vec4(in_position, 1.0);
}
