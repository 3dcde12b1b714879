#version 330 core
// The nearest product surface into an 8-bit target (llvmpipe's fast path) with a MIN blend
// and no depth buffer: the target is cleared to (1, 1), and each fragment writes (0, encoded
// camera-frame depth), so R = 1 - coverage and G = the nearest depth where covered, 1 elsewhere.
// Clip w is the camera-frame z (projection.py), so 1 / gl_FragCoord.w gives it without a
// varying; u_depth_code maps it to [0, 1]: (z - x) * y.

uniform vec2 u_depth_code;

out vec4 f_caster;

void main() {
    f_caster = vec4(0.0, clamp((1.0 / gl_FragCoord.w - u_depth_code.x) * u_depth_code.y, 0.0, 1.0), 0.0, 0.0);
}
