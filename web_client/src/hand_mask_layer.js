// Occlusion by hands in `pose` mode: the server's `hand_mask` (docs/protocol.md) drawn into the
// depth buffer before the product, so the product is hidden wherever a hand is in front of the
// face. The mask is a small grey PNG over a box of the frame; here it becomes a quad at a depth
// nearer than any face, which discards its texels under one half and writes depth, no colour.

import * as THREE from "three";
import { VIEW, multiply } from "./pose_math.js";

// Camera-frame depth of the quad (mm): past the near plane (10 mm), before any face (~300 mm+).
export const HAND_MASK_DEPTH_MM = 100;

/** An ImageBitmap (or an <img>) of the mask's PNG. */
export async function decodeHandMask(mask) {
  const bytes = Uint8Array.from(atob(mask.png_base64), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], { type: "image/png" });
  if (typeof createImageBitmap === "function") return createImageBitmap(blob);
  const image = new Image();
  image.src = URL.createObjectURL(blob);
  await image.decode();
  URL.revokeObjectURL(image.src);
  return image;
}

/**
 * Row-major model-view of the unit quad (PlaneGeometry 1x1, +y up) that covers the mask's pixels
 * [x0, x0 + w*scale) x [y0, y0 + h*scale) of the frame, at `depth` mm in the camera frame.
 */
export function handMaskModelView(mask, width, height, { fx, fy, cx, cy }, depth = HAND_MASK_DEPTH_MM) {
  const [x0, y0] = mask.box_px;
  const scale = mask.scale;
  const u = x0 + (width * scale) / 2;
  const v = y0 + (height * scale) / 2;
  const cameraFromQuad = [
    (width * scale * depth) / fx, 0, 0, ((u - cx) * depth) / fx,
    // unflipped texture: its top row is at v = 0, the quad's -y side, which goes to the top of
    // the box (camera -y), so quad +y is camera +y
    0, (height * scale * depth) / fy, 0, ((v - cy) * depth) / fy,
    0, 0, 1, depth,
    0, 0, 0, 1,
  ];
  return multiply(VIEW, cameraFromQuad);
}

export class HandMaskLayer {
  constructor() {
    this.texture = maskTexture();
    // DoubleSide: the quad's winding flips with the image's y-down axis.
    this.material = new THREE.MeshBasicMaterial({
      alphaMap: this.texture, alphaTest: 0.5, colorWrite: false, depthWrite: true, side: THREE.DoubleSide,
    });
    this.mesh = new THREE.Mesh(new THREE.PlaneGeometry(1, 1), this.material);
    this.mesh.matrixAutoUpdate = false;
    this.mesh.frustumCulled = false;
    this.mesh.renderOrder = -2; // before the head occluder and the product
    this.mesh.visible = false;
  }

  get visible() {
    return this.mesh.visible;
  }

  /** Show `mask` (the result's hand_mask), decoded as `bitmap`, for the frame's `camera`. */
  show(mask, bitmap, camera) {
    const previous = this.texture.image;
    if (previous && (previous.width !== bitmap.width || previous.height !== bitmap.height)) {
      // A texture's storage keeps its first size: a mask of another size gets a new one.
      this.texture.dispose();
      this.texture = maskTexture();
      this.material.alphaMap = this.texture;
    }
    this.texture.image = bitmap;
    this.texture.needsUpdate = true;
    if (previous && previous !== bitmap) previous.close?.();
    this.mesh.matrix.set(...handMaskModelView(mask, bitmap.width, bitmap.height, camera));
    this.mesh.visible = true;
  }

  hide() {
    this.mesh.visible = false;
  }
}

function maskTexture() {
  const texture = new THREE.Texture();
  texture.colorSpace = THREE.NoColorSpace;
  texture.flipY = false; // WebGL does not flip ImageBitmaps; neither way is flipped, alike
  texture.generateMipmaps = false;
  texture.minFilter = THREE.LinearFilter;
  texture.magFilter = THREE.LinearFilter; // soft upscaling: the edge lands within ~1 px
  return texture;
}
