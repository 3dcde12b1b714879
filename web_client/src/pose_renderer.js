// `pose` mode: the page draws the product itself with three.js over the live <video>, placed by
// the server's pose stream. The canvas is transparent; the video shows through it.

import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { RoomEnvironment } from "three/addons/environments/RoomEnvironment.js";
import {
  domeModelView, modelViewFromPlacement, occluderModelView, projectionFromIntrinsics, withUniformScale,
} from "./pose_math.js";
import { ownMaterials, setCopyOpacity } from "./copy_opacity.js";
import { HandMaskLayer, decodeHandMask } from "./hand_mask_layer.js";

const MM_PER_METRE = 1000; // the GLB is in metres, the pose in millimetres
const STALE_POSE_MS = 1000; // a pose older than this is not drawn (the face is probably gone)
const MIN_LENS_OPACITY = 0.05; // a clear lens still shows a faint reflection
const LENS_TINT_HINT = 0.3; // share of a lens's tint drawn as its own colour
// Lens reflections of the bright studio environment would grey the lens out; a real lens seen
// by a webcam mostly shows the dim room and the eyes behind it.
const LENS_REFLECTION = 0.4;
// The room environment is a bright studio; a shop or living room seen by a webcam is dimmer.
const ENVIRONMENT_INTENSITY = 0.5;

/** The WebGL canvas could not be created (no WebGL in this browser or machine). */
export class WebGLUnavailable extends Error {}

export class PoseRenderer {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{onRender?: (info) => void, onModelLoaded?: (url) => void}} hooks
   */
  constructor(canvas, { onRender, onModelLoaded } = {}) {
    try {
      // preserveDrawingBuffer: snapshots (and the browser tests) read the canvas after a frame.
      this.renderer = new THREE.WebGLRenderer({
        canvas, alpha: true, antialias: true, premultipliedAlpha: true, preserveDrawingBuffer: true,
      });
    } catch (error) {
      throw new WebGLUnavailable(`3D drawing needs WebGL, which this browser cannot provide (${error.message})`);
    }
    this.canvas = canvas;
    this.onRender = onRender;
    this.onModelLoaded = onModelLoaded;
    this.renderer.setClearColor(0x000000, 0);
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.scene = new THREE.Scene();
    const pmrem = new THREE.PMREMGenerator(this.renderer);
    this.scene.environment = pmrem.fromScene(new RoomEnvironment(), 0.04).texture;
    pmrem.dispose();
    this.scene.environmentIntensity = ENVIRONMENT_INTENSITY;
    this.camera = new THREE.Camera();
    this.loader = new GLTFLoader();
    this.templates = new Map(); // model URL -> Promise<THREE.Object3D>
    this.loaded = new Map(); // model URL -> THREE.Object3D, once loaded
    this.faces = []; // per face: {occluder, url, copies: [Object3D]}
    this.occluderGeometry = new THREE.SphereGeometry(1, 48, 24);
    this.occluderMaterial = new THREE.MeshBasicMaterial({ colorWrite: false });
    // A hat's head proxy: two half-ellipsoids at the hat line (the result's occluder_domes).
    this.domeGeometry = new THREE.SphereGeometry(1, 48, 12, 0, 2 * Math.PI, 0, Math.PI / 2);
    this.domeMaterial = new THREE.MeshBasicMaterial({ colorWrite: false, side: THREE.DoubleSide });
    this.handMask = new HandMaskLayer();
    this.scene.add(this.handMask.mesh);
    this.maskRequest = 0; // the newest pose whose hand mask is being decoded
    this.pose = null;
    this.poseUrl = null;
    this.poseReceivedAt = 0;
    this.frameRequest = null;
    this.posesRendered = 0;
    this.lastDrawnCopies = 0;
    this.partsMoved = 0; // meshes of moving parts (glasses temples) placed by the last frame
    this.cleared = true;
    this.dirty = false; // something changed since the last drawn frame
  }

  /** Start loading a model ahead of its first pose (a product was picked). */
  preload(url) {
    if (url) this.#template(url).catch(() => {});
  }

  /** The newest `result` (pose mode) and the model URL of its product (null: none). */
  setPose(result, url, receivedAtMs = performance.now()) {
    if (url) this.#template(url).catch(() => {});
    if (!result?.hand_mask) {
      this.maskRequest += 1; // a mask still decoding for an older pose is dropped
      this.handMask.hide();
      this.#showPose(result, url, receivedAtMs);
      return;
    }
    // The pose waits for its mask (a PNG of a few hundred bytes, decoded in well under a frame),
    // so the product is never drawn over a hand in front of it, not even for one frame.
    const request = ++this.maskRequest;
    decodeHandMask(result.hand_mask).then((bitmap) => {
      if (request !== this.maskRequest) { bitmap.close?.(); return; }
      this.handMask.show(result.hand_mask, bitmap, result.camera);
      this.#showPose(result, url, receivedAtMs);
    }).catch((error) => {
      console.error("tryon: unreadable hand mask", error);
      if (request === this.maskRequest) this.#showPose(result, url, receivedAtMs);
    });
  }

  #showPose(result, url, receivedAtMs) {
    this.pose = result;
    this.poseUrl = url;
    this.poseReceivedAt = receivedAtMs;
    this.dirty = true;
  }

  start() {
    if (this.frameRequest !== null) return;
    const tick = () => {
      this.frameRequest = requestAnimationFrame(tick);
      this.render();
    };
    this.frameRequest = requestAnimationFrame(tick);
  }

  stop() {
    if (this.frameRequest !== null) cancelAnimationFrame(this.frameRequest);
    this.frameRequest = null;
    this.pose = null;
    this.#clear();
  }

  /** Draw the latest pose now (called at the display rate by start(); a frame that would not
   * change is skipped, which on software WebGL leaves the CPU to the camera and the socket). */
  render() {
    if (this.#fitCanvas()) this.dirty = true;
    const pose = this.pose;
    const template = this.poseUrl ? this.loaded.get(this.poseUrl) : null;
    const fresh = pose && performance.now() - this.poseReceivedAt < STALE_POSE_MS;
    if (!fresh || !pose.camera) {
      this.#clear();
      return;
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.#setProjection(pose.camera);
    const faces = pose.faces ?? [];
    let copies = 0;
    this.partsMoved = 0;
    faces.forEach((face, index) => { copies += this.#placeFace(this.#faceSlot(index), face, template); });
    for (let index = faces.length; index < this.faces.length; index += 1) this.#hideFace(this.faces[index]);
    this.renderer.render(this.scene, this.camera);
    this.cleared = false;
    this.lastDrawnCopies = copies;
    if (copies > 0) this.posesRendered += 1;
    this.onRender?.({
      frameId: pose.frame_id, copies, partsMoved: this.partsMoved, posesRendered: this.posesRendered, pose,
      handMask: this.handMask.visible,
    });
  }

  #fitCanvas() {
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    const size = this.renderer.getSize(new THREE.Vector2());
    if (width > 0 && height > 0 && (size.x !== width || size.y !== height)) {
      this.renderer.setSize(width, height, false);
      return true;
    }
    return false;
  }

  #setProjection(intrinsics) {
    this.camera.projectionMatrix.set(...projectionFromIntrinsics(intrinsics));
    this.camera.projectionMatrixInverse.copy(this.camera.projectionMatrix).invert();
  }

  #faceSlot(index) {
    while (this.faces.length <= index) {
      const occluder = new THREE.Mesh(this.occluderGeometry, this.occluderMaterial);
      occluder.matrixAutoUpdate = false;
      occluder.renderOrder = -1; // depth first, so the head hides the temples behind it
      occluder.visible = false;
      this.scene.add(occluder);
      const domes = depthOnlyPair(this.scene, this.domeGeometry, this.domeMaterial);
      // The ears hide the temples' ends and ear hooks (the result's occluder_ears).
      const ears = depthOnlyPair(this.scene, this.occluderGeometry, this.occluderMaterial);
      this.faces.push({ occluder, domes, ears, url: null, copies: [] });
    }
    return this.faces[index];
  }

  /** Pose one face's occluder and product copies; returns how many copies are drawn. */
  #placeFace(slot, face, template) {
    // A face the server has not accepted yet ("acquiring") or that has faded out shows nothing;
    // a fading one (lost, or just cut by the frame edge: `skipped`) shows its last placement.
    const opacity = face.opacity ?? 1;
    const hidden = (face.skipped && face.tracking !== "fading") || face.tracking === "acquiring" || opacity <= 0;
    const placements = hidden ? [] : face.placements ?? [];
    const domes = face.occluder_domes ?? [];
    placeDepthOnly(slot.domes, domes);
    placeDepthOnly(slot.ears, face.occluder_ears ?? []);
    if (face.camera_from_head && domes.length === 0) {
      slot.occluder.matrix.set(...occluderModelView(face.camera_from_head));
      slot.occluder.visible = true;
    } else {
      slot.occluder.visible = false; // a hat's domes replace the skull sphere, which would cut its band
    }
    if (!template) {
      slot.copies.forEach((copy) => { copy.visible = false; });
      return 0;
    }
    if (slot.url !== this.poseUrl) {
      slot.copies.forEach((copy) => this.scene.remove(copy));
      slot.copies = [];
      slot.url = this.poseUrl;
    }
    while (slot.copies.length < placements.length) {
      const copy = ownMaterials(template.clone(true));
      copy.matrixAutoUpdate = false;
      this.scene.add(copy);
      slot.copies.push(copy);
    }
    const partTransforms = face.part_transforms ?? [];
    slot.copies.forEach((copy, i) => {
      copy.visible = i < placements.length;
      if (!copy.visible) return;
      copy.matrix.set(...withUniformScale(modelViewFromPlacement(placements[i]), MM_PER_METRE));
      this.partsMoved += movePartsOf(copy, partTransforms[i] ?? {});
      setCopyOpacity(copy, opacity);
    });
    return placements.length;
  }

  #hideFace(slot) {
    slot.occluder.visible = false;
    slot.domes.forEach((dome) => { dome.visible = false; });
    slot.ears.forEach((ear) => { ear.visible = false; });
    slot.copies.forEach((copy) => { copy.visible = false; });
  }

  #clear() {
    this.faces.forEach((slot) => this.#hideFace(slot));
    this.handMask.hide();
    this.lastDrawnCopies = 0;
    if (this.cleared) return;
    this.renderer.clear();
    this.cleared = true;
  }

  #template(url) {
    if (!this.templates.has(url)) {
      const loading = this.loader.loadAsync(url).then((gltf) => {
        const root = gltf.scene;
        root.traverse((node) => { if (node.isMesh) prepareMaterials(node); });
        labelParts(root);
        this.loaded.set(url, root);
        this.dirty = true;
        this.onModelLoaded?.(url);
        return root;
      });
      loading.catch((error) => {
        this.templates.delete(url); // let a later pose try again
        console.error(`tryon: could not load ${url}`, error);
      });
      this.templates.set(url, loading);
    }
    return this.templates.get(url);
  }
}

/** Two hidden depth-only meshes (a hat's domes, a face's ears), drawn before the product. */
function depthOnlyPair(scene, geometry, material) {
  return [0, 1].map(() => {
    const mesh = new THREE.Mesh(geometry, material);
    mesh.matrixAutoUpdate = false;
    mesh.renderOrder = -1;
    mesh.visible = false;
    scene.add(mesh);
    return mesh;
  });
}

/** Show each mesh at its camera_from_unit matrix (row-major, mm), hide those without one. */
function placeDepthOnly(meshes, matrices) {
  meshes.forEach((mesh, i) => {
    mesh.visible = i < matrices.length;
    if (mesh.visible) mesh.matrix.set(...domeModelView(matrices[i]));
  });
}

/**
 * Each primitive's Mesh learns its part (glasses: "front", "temple_right", "temple_left") from
 * the mesh's extras.parts, which the server writes in primitive order; clones copy userData.
 */
function labelParts(root) {
  root.traverse((node) => {
    const parts = node.isMesh ? node.userData.parts : null;
    if (!parts) return;
    const siblings = node.parent ? node.parent.children.filter((child) => child.isMesh) : [node];
    const index = siblings.length === parts.length ? siblings.indexOf(node) : 0;
    node.userData.part = parts[index] ?? "";
    node.matrixAutoUpdate = false;
  });
}

/**
 * Swing the moving parts of one drawn copy (glasses temples) by the server's part transforms:
 * product frame, row-major, mm; the copy's children are in metres, so translations are scaled.
 */
function movePartsOf(copy, transforms) {
  let moved = 0;
  copy.traverse((node) => {
    if (!node.isMesh || node.userData.part === undefined) return;
    const m = transforms[node.userData.part];
    if (m) {
      moved += 1;
      node.matrix.set(m[0], m[1], m[2], m[3] / MM_PER_METRE, m[4], m[5], m[6], m[7] / MM_PER_METRE,
        m[8], m[9], m[10], m[11] / MM_PER_METRE, m[12], m[13], m[14], m[15]);
    } else {
      node.matrix.identity();
    }
    node.matrixWorldNeedsUpdate = true;
  });
  return moved;
}

/**
 * Glass lenses (KHR_materials_transmission) would sample three.js's own transmission buffer,
 * which on a transparent canvas holds no video, so they would vanish. Over the <video> they are
 * drawn instead with "over" blending: the opacity is the light the lens stops (its tint, mean of
 * the linear colour, times its transmission), and the surface keeps only its reflections plus a
 * hint of the tint, since a lens's colour is what it lets through, not what it scatters back.
 */
function prepareMaterials(mesh) {
  const materials = Array.isArray(mesh.material) ? mesh.material : [mesh.material];
  for (const material of materials) {
    if (material.transmission > 0) {
      const { r, g, b } = material.color;
      const passed = material.transmission * ((r + g + b) / 3);
      material.transmission = 0;
      material.transparent = true;
      material.depthWrite = false;
      material.opacity = Math.max(MIN_LENS_OPACITY, Math.min(1, material.opacity * (1 - passed)));
      material.color.multiplyScalar(LENS_TINT_HINT);
      material.envMapIntensity = LENS_REFLECTION;
      material.needsUpdate = true;
    }
  }
  mesh.frustumCulled = false; // the placement matrix is set per frame; bounds would lag a frame
}
