#version 330 core
// Contact shadow on the head proxy's nearest surface (depth test <= against its own depth),
// drawn before the products with a multiply blend in linear light: the skin keeps
// 1 - strength * coverage * closeness of the light. Where no product is near, the factor is
// exactly 1 and the frame's bytes come back unchanged (an sRGB byte decoded and encoded again).

uniform sampler2D u_casters;   // blurred (coverage, coverage * z mm), linear filtering
uniform vec2 u_uv_per_px;      // caster uv per render-target pixel
uniform vec4 u_shape;          // strength, reach (mm), behind (mm), largest shift toward the light (mm)

out vec4 f_color;

void main() {
    float head_z = depth_row.y / (gl_FragCoord.z * 2.0 - 1.0 - depth_row.x);
    vec2 here = texture(u_casters, gl_FragCoord.xy * u_uv_per_px).xy;
    // The product that shades this skin point lies toward the key light, the further the wider
    // the gap: look it up there, so the shadow falls on the side away from the light.
    float gap = here.x > 0.0 ? head_z - here.y / here.x : 0.0;
    vec2 slope = key_direction.xy / max(-key_direction.z, 0.5);
    vec2 shift_mm = clamp(clamp(gap, 0.0, u_shape.y) * slope, -u_shape.w, u_shape.w);
    vec2 casters = texture(u_casters, (gl_FragCoord.xy + shift_mm * camera.xy / head_z) * u_uv_per_px).xy;
    gap = head_z - casters.y / max(casters.x, 1e-6);
    float closeness = smoothstep(-u_shape.z, 0.0, gap) * (1.0 - smoothstep(0.0, u_shape.y, gap));
    f_color = vec4(vec3(1.0 - u_shape.x * casters.x * closeness), 1.0);
}
