#version 330 core
// (coverage, coverage * camera-frame z in mm) of the nearest product surface. Clip w is the
// camera-frame z (projection.py), so 1 / gl_FragCoord.w gives it without a varying.

out vec2 f_caster;

void main() {
    f_caster = vec2(1.0, 1.0 / gl_FragCoord.w);
}
