#version 330 core
// The shadow at half the caster resolution (contact and overhang, see contact_shadow.py). Four bilinear taps one caster texel off this
// texel's centre average the 4 x 4 caster texels around it (a box blur; the bilinear lookup of
// the result adds a tent). Their coverage-weighted depth against the occluder depth at this
// texel's centre gives how close the products are to the skin; the taps are moved toward the
// key light, so the shadow falls on the side away from it. The caster target is cleared
// whole, so taps past the drawn area read "nothing here".

uniform sampler2D u_source;      // casters: (1 - coverage, encoded depth or 1), see contact_caster.frag
uniform sampler2D u_head_depth;  // the occluders' window depth, one texel per render pixel
uniform float u_render_px;       // render pixels per texel of this target
uniform vec2 u_shift;            // toward the key light, caster uv
uniform vec2 u_depth_code;       // encoded depth = (z - x) * y
uniform vec4 u_shape;            // strength, reach (mm), behind (mm), unused
uniform vec2 u_overhang_step;    // caster uv between overhang taps, up the image
uniform vec4 u_overhang;         // strength, gap where it starts, full, fades out (mm)
uniform vec3 u_edges;            // the patch's width and height, and the fade width (texels here)

const int OVERHANG_TAPS = 3;

// Averaged caster texels -> (coverage, coverage * encoded depth): uncovered texels hold (1, 1),
// so the average of G less the uncovered share (the average of R) is the covered part's sum.
vec2 decoded(vec2 averaged) {
    return vec2(1.0 - averaged.x, averaged.y - averaged.x);
}

out vec4 f_shadow;

void main() {
    vec2 texel = 1.0 / vec2(textureSize(u_source, 0));
    vec2 centre = 2.0 * gl_FragCoord.xy * texel + u_shift;
    vec2 casters = decoded(0.25 * (texture(u_source, centre + vec2(-texel.x, -texel.y)).xy
                         + texture(u_source, centre + vec2(texel.x, -texel.y)).xy
                         + texture(u_source, centre + vec2(-texel.x, texel.y)).xy
                         + texture(u_source, centre + vec2(texel.x, texel.y)).xy));
    ivec2 head_texel = min(ivec2(gl_FragCoord.xy * u_render_px), textureSize(u_head_depth, 0) - 1);
    float window_z = texelFetch(u_head_depth, head_texel, 0).r;
    float head_z = depth_row.y / (window_z * 2.0 - 1.0 - depth_row.x);
    float product_z = u_depth_code.x + casters.y / (max(casters.x, 1e-6) * u_depth_code.y);
    float gap = head_z - product_z;
    float closeness = smoothstep(-u_shape.z, 0.0, gap) * (1.0 - smoothstep(0.0, u_shape.y, gap));
    float contact = u_shape.x * casters.x * closeness;
    // An overhang (a brim well in front of the forehead) takes sky light from the skin below
    // it: the share of taps straight above this point that land on a product standing off
    // the skin by an overhang's gap, nearer taps first.
    float covered = 0.0;
    for (int i = 1; i <= OVERHANG_TAPS; ++i) {
        vec2 above = decoded(texture(u_source, centre + float(i) * u_overhang_step).xy);
        float above_gap = head_z - (u_depth_code.x + above.y / (max(above.x, 1e-6) * u_depth_code.y));
        covered += above.x * smoothstep(u_overhang.y, u_overhang.z, above_gap) * (1.0 - smoothstep(u_overhang.z, u_overhang.w, above_gap));
    }
    float overhang = u_overhang.x * covered / float(OVERHANG_TAPS);
    // Off the head the depth is the far plane: every gap is huge and both terms 0. Toward the
    // patch's edges the shadow fades out rather than stopping at them.
    vec2 inside = min(gl_FragCoord.xy, u_edges.xy - gl_FragCoord.xy);
    float fade = smoothstep(0.0, u_edges.z, min(inside.x, inside.y));
    f_shadow = vec4(fade * (1.0 - (1.0 - contact) * (1.0 - overhang)), 0.0, 0.0, 0.0);
}
