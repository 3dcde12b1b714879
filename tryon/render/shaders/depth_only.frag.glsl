#version 330 core
// Colour writes are masked off while occluders draw; the depth test does the work.

out vec4 f_color;

void main() {
    f_color = vec4(0.0);
}
