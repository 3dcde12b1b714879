#version 330 core
// (coverage 1, encoded camera-frame depth) of the nearest product surface, in an 8-bit target
// (llvmpipe's fast path). Clip w is the camera-frame z (projection.py), so 1 / gl_FragCoord.w
// gives it without a varying; u_depth_code maps it to [0, 1]: (z - x) * y.

uniform vec2 u_depth_code;

out vec4 f_caster;

void main() {
    f_caster = vec4(1.0, clamp((1.0 / gl_FragCoord.w - u_depth_code.x) * u_depth_code.y, 0.0, 1.0), 0.0, 0.0);
}
