// Per-frame data shared by the product shaders: the estimated light and the camera that sees
// the patch being drawn. Included after #version (and any #defines).

layout(std140) uniform Frame {
    vec4 sky;               // rgb: ambient from above (-y); w: environment gain
    vec4 ground;            // rgb: ambient from below (+y)
    vec4 key_direction;     // xyz: unit vector toward the key light, camera frame
    vec4 key_color;         // rgb: key light radiance
    vec4 environment_mean;  // rgb: mean of the environment, what very rough surfaces reflect
    vec4 camera;            // fx, fy, cx, cy of the camera that sees this patch (pixels)
    vec4 depth_row;         // x, y: NDC z = x + y / camera-frame z
};

// Camera-frame ray through this pixel (z = 1); window y grows down the image like OpenCV's v.
vec3 view_ray() {
    return vec3((gl_FragCoord.xy - camera.zw) / camera.xy, 1.0);
}
