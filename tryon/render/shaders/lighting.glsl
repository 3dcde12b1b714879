// Physically based shading of one surface point under the frame's estimated light:
// Cook-Torrance (GGX distribution, Smith-Schlick geometry, Schlick Fresnel) for the key light,
// a sky/ground hemisphere for ambient diffuse, and the blurred camera frame as the environment
// for reflections. Linear RGB in and out. Needs frame.glsl.

uniform sampler2D u_environment;  // RGBA8 blurred frame, sqrt(linear RGB): squared on lookup

const float PI = 3.14159265;

// Karis' analytic fit of the split-sum environment BRDF (Unreal Engine mobile).
vec3 environment_brdf(vec3 f0, float roughness, float n_dot_v) {
    const vec4 c0 = vec4(-1.0, -0.0275, -0.572, 0.022);
    const vec4 c1 = vec4(1.0, 0.0425, 1.04, -0.04);
    vec4 r = roughness * c0 + c1;
    float a004 = min(r.x * r.x, exp2(-9.28 * n_dot_v)) * r.x + r.y;
    vec2 ab = vec2(-1.04, 1.04) * a004 + r.zw;
    return f0 * ab.x + ab.y;
}

// body: diffuse light (covered by alpha on glass); highlights: specular (added at full strength).
void shade(vec3 albedo, float metallic, float roughness, vec3 n, out vec3 body, out vec3 highlights) {
    vec3 v = -normalize(view_ray());  // toward the camera at the origin
    float n_dot_v = max(dot(n, v), 1e-4);
    vec3 f0 = mix(vec3(0.04), albedo, metallic);
    vec3 diffuse_color = albedo * (1.0 - metallic);

    vec3 l = key_direction.xyz;
    vec3 h = normalize(l + v);
    float n_dot_l = max(dot(n, l), 0.0);
    float n_dot_h = max(dot(n, h), 0.0);
    float v_dot_h = max(dot(v, h), 0.0);
    float alpha = roughness * roughness;
    float alpha2 = alpha * alpha;
    float d_denom = n_dot_h * n_dot_h * (alpha2 - 1.0) + 1.0;
    float d = alpha2 / (PI * d_denom * d_denom);
    float k = (roughness + 1.0) * (roughness + 1.0) / 8.0;
    float g = (n_dot_l / (n_dot_l * (1.0 - k) + k)) * (n_dot_v / (n_dot_v * (1.0 - k) + k));
    float w = 1.0 - v_dot_h;
    float w2 = w * w;
    vec3 f = f0 + (1.0 - f0) * (w2 * w2 * w);
    vec3 specular = d * g * f / max(4.0 * n_dot_l * n_dot_v, 1e-4);
    // Radiance is scaled by PI so a white lambertian surface facing the light reflects key_color.
    vec3 radiance = key_color.rgb * n_dot_l;

    // Ambient: sky/ground blend by how much the normal points up (-y).
    vec3 irradiance = mix(ground.rgb, sky.rgb, 0.5 - 0.5 * n.y);

    // Reflections: the blurred frame stands in for the surroundings, addressed by the
    // reflection vector's x/y (up in the scene reads the top of the frame). Rougher surfaces
    // see more of its average: a mix instead of mip levels, because on llvmpipe one bilinear
    // lookup in a plain RGBA8 texture costs a third of a trilinear sRGB one.
    vec3 r = reflect(-v, n);
    vec3 env = texture(u_environment, 0.5 + 0.5 * r.xy).rgb;
    vec3 reflected = mix(env * env, environment_mean.rgb, roughness) * sky.w;

    body = ((1.0 - f) * radiance + irradiance) * diffuse_color;
    highlights = PI * specular * radiance + reflected * environment_brdf(f0, roughness, n_dot_v);
}
