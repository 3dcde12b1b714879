// The pose stream's matrices in GL terms (docs/protocol.md, "Drawing the product yourself").
// All matrices are 16 numbers, row-major, as the server sends them; millimetres.

export const NEAR_MM = 10;
export const FAR_MM = 10_000;
// The skull proxy the server uses for occlusion, in the head frame (mm).
export const HEAD_OCCLUDER_CENTRE_MM = [0, 5, 90];
export const HEAD_OCCLUDER_SEMI_AXES_MM = [67, 120, 86];

/** OpenCV camera (x right, y down, z forward) -> GL camera (y up, looking down -z). */
export const VIEW = Object.freeze([
  1, 0, 0, 0,
  0, -1, 0, 0,
  0, 0, -1, 0,
  0, 0, 0, 1,
]);

export function multiply(a, b) {
  const out = new Array(16).fill(0);
  for (let row = 0; row < 4; row += 1) {
    for (let col = 0; col < 4; col += 1) {
      let sum = 0;
      for (let k = 0; k < 4; k += 1) sum += a[row * 4 + k] * b[k * 4 + col];
      out[row * 4 + col] = sum;
    }
  }
  return out;
}

/** GL projection for pinhole intrinsics {fx, fy, cx, cy, width, height} of the frame as sent. */
export function projectionFromIntrinsics({ fx, fy, cx, cy, width, height }, near = NEAR_MM, far = FAR_MM) {
  return [
    (2 * fx) / width, 0, 1 - (2 * cx) / width, 0,
    0, (2 * fy) / height, (2 * cy) / height - 1, 0,
    0, 0, -(far + near) / (far - near), (-2 * far * near) / (far - near),
    0, 0, -1, 0,
  ];
}

/** Model-view of one placement: view @ camera_from_product. */
export function modelViewFromPlacement(cameraFromProduct) {
  return multiply(VIEW, cameraFromProduct);
}

/** Model-view of the unit sphere that becomes the head occluder ellipsoid of `cameraFromHead`. */
export function occluderModelView(cameraFromHead) {
  const [x, y, z] = HEAD_OCCLUDER_CENTRE_MM;
  const [a, b, c] = HEAD_OCCLUDER_SEMI_AXES_MM;
  const headFromSphere = [
    a, 0, 0, x,
    0, b, 0, y,
    0, 0, c, z,
    0, 0, 0, 1,
  ];
  return multiply(VIEW, multiply(cameraFromHead, headFromSphere));
}

/**
 * Model-view of one half of a hat's head proxy: `cameraFromDome` (a face's `occluder_domes`
 * entry) maps the unit half-ball y >= 0, as THREE.SphereGeometry(1, w, h, 0, 2 * PI, 0, PI / 2)
 * builds it, into the camera frame (mm). The upper dome's matrix mirrors it: draw both sides.
 */
export function domeModelView(cameraFromDome) {
  return multiply(VIEW, cameraFromDome);
}

/** Scale a row-major transform's linear part (GLB metres -> mm: 1000). */
export function withUniformScale(matrix, scale) {
  return multiply(matrix, [scale, 0, 0, 0, 0, scale, 0, 0, 0, 0, scale, 0, 0, 0, 0, 1]);
}
