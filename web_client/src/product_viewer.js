// The product page's interactive 3D view: the server's normalised GLB (metres) under a studio
// environment, turned with the mouse or a finger (OrbitControls), framed from the model's bounds.

import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { RoomEnvironment } from "three/addons/environments/RoomEnvironment.js";

const FOV_DEG = 35;
const FRAMING = 1.1; // the bounding sphere's radius times this fills half the view height: a small margin
const START_YAW_DEG = 30; // a three-quarter view shows the shape better than the plain front

/** The WebGL canvas could not be created (no WebGL in this browser or machine). */
export class WebGLUnavailable extends Error {}

export class ProductViewer {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    try {
      // preserveDrawingBuffer: the browser tests (and a screenshot) read the canvas after a frame.
      this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    } catch (error) {
      throw new WebGLUnavailable(`the 3D view needs WebGL, which this browser cannot provide (${error.message})`);
    }
    this.canvas = canvas;
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.setClearColor(0xf4f4f2, 1);
    this.scene = new THREE.Scene();
    const pmrem = new THREE.PMREMGenerator(this.renderer);
    this.scene.environment = pmrem.fromScene(new RoomEnvironment(), 0.04).texture;
    pmrem.dispose();
    this.camera = new THREE.PerspectiveCamera(FOV_DEG, 4 / 3, 0.001, 100);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = true;
    this.controls.addEventListener("change", () => this.draw());
    this.loader = new GLTFLoader();
    this.object = null;
    this.framed = false;
    this.loadedUrl = null;
    this.frames = 0;
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
    const tick = () => { if (this.controls.update()) this.draw(); requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  }

  /** Show the model at `url`; the first model sets the framing, later variants keep the view. */
  async show(url) {
    const gltf = await this.loader.loadAsync(url);
    if (this.object) {
      this.scene.remove(this.object);
      this.object.traverse((node) => { node.geometry?.dispose(); });
    }
    this.object = gltf.scene;
    this.scene.add(this.object);
    if (!this.framed) this.frame(this.object);
    this.loadedUrl = url;
    this.draw();
    return url;
  }

  frame(object) {
    const sphere = new THREE.Box3().setFromObject(object).getBoundingSphere(new THREE.Sphere());
    const radius = Math.max(sphere.radius, 1e-3);
    const distance = (radius * FRAMING) / Math.tan(THREE.MathUtils.degToRad(FOV_DEG / 2));
    const yaw = THREE.MathUtils.degToRad(START_YAW_DEG);
    this.camera.position.set(
      sphere.center.x + distance * Math.sin(yaw), sphere.center.y + distance * 0.25, sphere.center.z + distance * Math.cos(yaw));
    this.camera.near = distance / 100;
    this.camera.far = distance * 100;
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(sphere.center);
    this.controls.minDistance = radius * 1.2;
    this.controls.maxDistance = distance * 4;
    this.controls.update();
    this.framed = true;
  }

  resize() {
    const width = this.canvas.clientWidth || this.canvas.width;
    const height = this.canvas.clientHeight || this.canvas.height;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / Math.max(height, 1);
    this.camera.updateProjectionMatrix();
    this.draw();
  }

  draw() {
    this.renderer.render(this.scene, this.camera);
    this.frames += 1;
  }
}
