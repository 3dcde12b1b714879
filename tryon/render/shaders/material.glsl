// glTF metallic-roughness material inputs for one fragment of a product primitive.
// Needs frame.glsl. HAS_UV: the primitive has texture coordinates and the material textures;
// ALPHA_MASK: discard below the cutoff.

layout(std140) uniform Material {
    vec4 base_color_factor;  // linear RGBA
    vec4 emissive_cutoff;    // rgb: emissive factor (linear); a: alpha cutoff (MASK)
    vec4 metal_rough;        // x: metallic, y: roughness, z: transmission
    vec4 texture_flags;      // 1 where bound: x base colour, y metallic-roughness, z normal, w emissive
};

uniform sampler2D u_base_color;          // SRGB8_ALPHA8: samples come back linear
uniform sampler2D u_metallic_roughness;  // linear: G roughness, B metallic
uniform sampler2D u_normal;              // linear tangent-space normals
uniform sampler2D u_emissive;            // SRGB8_ALPHA8

in vec3 v_normal;  // camera frame
#ifdef HAS_UV
in vec2 v_uv;      // glTF convention: (0, 0) = top-left of the image
#endif

const float MIN_ROUGHNESS = 0.045;  // keeps GGX finite and highlights a few pixels wide

struct Surface {
    vec4 base;  // linear RGB, alpha
    float metallic;
    float roughness;
    vec3 normal;  // unit, camera frame, facing the camera's side for double-sided materials
    vec3 emissive;
};

#ifdef HAS_UV
// Tangent frame from screen-space derivatives, so no tangent attribute is needed. Solves
// dp = T du + B dv for both screen axes: independent of the window's y direction, and right
// for mirrored UVs.
vec3 apply_normal_map(vec3 n_geom, vec3 tangent_normal) {
    float z = depth_row.y / (2.0 * gl_FragCoord.z - 1.0 - depth_row.x);
    vec3 p = view_ray() * z;
    vec3 dp1 = dFdx(p);
    vec3 dp2 = dFdy(p);
    vec2 duv1 = dFdx(v_uv);
    vec2 duv2 = dFdy(v_uv);
    float det = duv1.x * duv2.y - duv2.x * duv1.y;
    if (abs(det) < 1e-12) {
        return n_geom;
    }
    vec3 t = (dp1 * duv2.y - dp2 * duv1.y) * sign(det);  // along +u
    vec3 b = (dp2 * duv1.x - dp1 * duv2.x) * sign(det);  // along +v (glTF v runs down the image)
    t = normalize(t - n_geom * dot(n_geom, t));
    b = normalize(b - n_geom * dot(n_geom, b));
    // glTF normal maps: +X along +u, +Y toward the image's top, i.e. along -v.
    return normalize(t * tangent_normal.x - b * tangent_normal.y + n_geom * tangent_normal.z);
}
#endif

Surface sample_material() {
    Surface s;
    s.base = base_color_factor;
    s.metallic = metal_rough.x;
    s.roughness = metal_rough.y;
    s.normal = normalize(v_normal);
    s.emissive = emissive_cutoff.rgb;
#ifdef HAS_UV
    if (texture_flags.x > 0.5) {
        s.base *= texture(u_base_color, v_uv);
    }
#endif
#ifdef ALPHA_MASK
    if (s.base.a < emissive_cutoff.a) {
        discard;
    }
#endif
#ifdef HAS_UV
    if (texture_flags.y > 0.5) {
        vec4 mr = texture(u_metallic_roughness, v_uv);
        s.roughness *= mr.g;
        s.metallic *= mr.b;
    }
    if (texture_flags.z > 0.5) {
        s.normal = apply_normal_map(s.normal, texture(u_normal, v_uv).xyz * 2.0 - 1.0);
    }
    if (texture_flags.w > 0.5) {
        s.emissive *= texture(u_emissive, v_uv).rgb;
    }
#endif
    if (!gl_FrontFacing) {
        s.normal = -s.normal;  // double-sided materials: light the side the camera sees
    }
    s.roughness = clamp(s.roughness, MIN_ROUGHNESS, 1.0);
    return s;
}
