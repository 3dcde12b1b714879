#version 330 core
// One triangle covering the viewport at the far plane (window depth 1): with the depth test
// ">" it reaches only pixels where an occluder was drawn (the cleared depth is 1), and the
// test runs before shading, so the background costs nothing and is never touched.

void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    gl_Position = vec4(corner * 2.0 - 1.0, 1.0, 1.0);
}
