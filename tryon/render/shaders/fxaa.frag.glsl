#version 330 core
// FXAA with fixed taps (Lottes' FXAA 2 / 3.11 "console" scheme): estimate the local edge
// direction from the four diagonal neighbours, then blend along it with four filtered taps.
// Nine taps and no search loop keep it cheap on a software rasteriser, which runs every tap of
// every pixel whatever the branches say. It only changes pixels near a product: alpha is how
// much of the camera frame shows (1 where no product was drawn), and a pixel whose diagonal
// neighbourhood is all frame is copied unchanged, so the frame stays bit-exact away from the
// product. Colours are BGR, the sRGB bytes as stored: the samplers skip decoding.

uniform sampler2D u_scene;   // the patch, LINEAR filtered, at the texture's origin
uniform sampler2D u_texels;  // the same patch, NEAREST filtered
uniform vec4 u_texel;        // xy: 1 / texture size; zw: largest sample coordinate inside the patch
uniform ivec2 u_last;        // the patch's last pixel (width - 1, height - 1)

#ifdef CONTACT_SHADOW
// Contact shadows (contact_shadow.py) multiplied in here rather than in a pass of their own
// over the patch. Only occluder pixels (depth < 1) and only the frame's share of each pixel
// (alpha) darken.
uniform sampler2D u_shadow;         // how much light the products take away, low resolution
uniform sampler2D u_head_depth;     // the occluders' depth, one texel per pixel
uniform vec2 u_shadow_uv_per_px;
#endif

out vec4 f_color;

const float EDGE_THRESHOLD = 0.125;       // local contrast needed, relative to the brightest luma
const float EDGE_THRESHOLD_MIN = 0.0312;  // ... and in absolute terms (dark areas)
const float REDUCE_MIN = 1.0 / 128.0;
const float REDUCE_MUL = 1.0 / 8.0;
const float SPAN_MAX = 8.0;  // pixels

float luma(vec3 bgr) {
    return dot(bgr, vec3(0.114, 0.587, 0.299));
}

// Through a sampler, not texelFetch: sampler state is what skips sRGB decoding.
vec4 fetch(ivec2 p) {
    return texture(u_texels, (vec2(clamp(p, ivec2(0), u_last)) + 0.5) * u_texel.xy);
}

vec4 sample_at(vec2 uv) {
    return texture(u_scene, clamp(uv, 0.5 * u_texel.xy, u_texel.zw));
}

// The output pixel, with the contact shadow where there is one. These are sRGB bytes: a linear
// factor f is close to f^(1 / 2.2) on them, and f = 1 leaves the bytes exactly as they were.
vec4 shaded(vec4 color, ivec2 p) {
#ifdef CONTACT_SHADOW
    float shadow = texture(u_shadow, gl_FragCoord.xy * u_shadow_uv_per_px).r;
    float on_head = texelFetch(u_head_depth, p, 0).r < 1.0 ? color.a : 0.0;
    color.rgb *= pow(1.0 - shadow * on_head, 1.0 / 2.2);
#endif
    return color;
}

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    vec4 centre = fetch(p);
    vec4 nw = fetch(p + ivec2(-1, -1));
    vec4 ne = fetch(p + ivec2(1, -1));
    vec4 sw = fetch(p + ivec2(-1, 1));
    vec4 se = fetch(p + ivec2(1, 1));
    f_color = shaded(centre, p);
    if (min(min(centre.a, nw.a), min(min(ne.a, sw.a), se.a)) >= 1.0) {
        return;
    }
    float luma_c = luma(centre.rgb);
    float luma_nw = luma(nw.rgb);
    float luma_ne = luma(ne.rgb);
    float luma_sw = luma(sw.rgb);
    float luma_se = luma(se.rgb);
    float luma_min = min(luma_c, min(min(luma_nw, luma_ne), min(luma_sw, luma_se)));
    float luma_max = max(luma_c, max(max(luma_nw, luma_ne), max(luma_sw, luma_se)));
    if (luma_max - luma_min < max(EDGE_THRESHOLD_MIN, luma_max * EDGE_THRESHOLD)) {
        return;
    }

    // Direction along the edge (perpendicular to the luma gradient), stretched for long edges.
    vec2 dir = vec2(-((luma_nw + luma_ne) - (luma_sw + luma_se)), (luma_nw + luma_sw) - (luma_ne + luma_se));
    float reduce = max((luma_nw + luma_ne + luma_sw + luma_se) * (0.25 * REDUCE_MUL), REDUCE_MIN);
    float scale = 1.0 / (min(abs(dir.x), abs(dir.y)) + reduce);
    dir = clamp(dir * scale, -SPAN_MAX, SPAN_MAX) * u_texel.xy;

    vec2 uv = gl_FragCoord.xy * u_texel.xy;  // this pixel's centre
    vec3 inner = 0.5 * (sample_at(uv + dir * (1.0 / 3.0 - 0.5)).rgb + sample_at(uv + dir * (2.0 / 3.0 - 0.5)).rgb);
    vec3 outer = 0.5 * inner + 0.25 * (sample_at(uv - 0.5 * dir).rgb + sample_at(uv + 0.5 * dir).rgb);
    float luma_outer = luma(outer);
    // The wide blend can overshoot across a second edge; fall back to the narrow one then.
    vec3 color = (luma_outer < luma_min || luma_outer > luma_max) ? inner : outer;
    f_color = shaded(vec4(color, centre.a), p);
}
