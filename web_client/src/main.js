// The shopper page: wires the source (camera or sample clip), the stream and the two views.

import { fetchConfig, fetchProducts, hasSampleVideo, modelUrl, webSocketUrl } from "./api.js";
import { startCamera, startSampleVideo } from "./camera.js";
import { fieldOfViewFromQuery } from "./camera_field_of_view.js";
import { CompositeView } from "./composite_view.js";
import { FrameEncoder } from "./frame_encoder.js";
import { ReservePanel } from "./reserve_panel.js";
import { downloadBlob, snapshotFilename, snapshotOfComposite, snapshotOfPoseView } from "./snapshot.js";
import { TryonStream } from "./stream.js";
import { createTryonState, recordError } from "./tryon_state.js";
import { ShopperPage } from "./ui.js";

const READOUT_INTERVAL_MS = 250;
// Errors about the stream's own pace are counted, not shown: the loop adapts by itself.
const QUIET_ERROR_CODES = new Set(["frame_rate_exceeded"]);

const page = new ShopperPage();
const state = createTryonState();
const composite = new CompositeView(page.compositeCanvas, {
  onShown: (meta) => {
    state.shownFrame = meta;
    relayout();
  },
});
let poseRenderer = null;
let poseRendererLoading = null;
let stream = null;
let config = {};

init().catch((error) => {
  recordError(state, { code: "page_init_failed", message: String(error) });
  page.showMessage(`The page could not start: ${error.message}. Reload to try again.`, "error");
});

async function init() {
  applyQueryParameters(new URLSearchParams(location.search));
  const [serverConfig, products] = await Promise.all([fetchConfig(), fetchProducts()]);
  config = serverConfig;
  page.fillProducts(products);
  selectFromQuery(new URLSearchParams(location.search));
  const reservePanel = new ReservePanel({
    currentItem: () => page.wornItem(),
    sessionId: () => state.sessionId,
    onChange: (reservation) => { state.reservation = { code: reservation.code, status: reservation.status }; },
  });
  page.reserveButton.addEventListener("click", () => reservePanel.open());
  page.updateReserveButton();
  if (!hasSampleVideo(config)) {
    page.sampleVideoButton.disabled = true;
    page.sampleVideoButton.title = "This server has no sample video configured";
  }
  page.startCameraButton.addEventListener("click", () => useSource("camera"));
  page.sampleVideoButton.addEventListener("click", () => useSource("sample"));
  page.productSelect.addEventListener("change", onProductPicked);
  page.variantSelect.addEventListener("change", onVariantPicked);
  page.modeInputs.forEach((input) => input.addEventListener("change", () => setMode(page.mode())));
  page.mirrorInput.addEventListener("change", onMirrorToggled);
  page.snapshotButton.addEventListener("click", saveSnapshot);
  page.video.addEventListener("resize", () => page.fitStageToVideo());
  setInterval(updateReadout, READOUT_INTERVAL_MS);
  Object.assign(state, page.selection(), { mode: page.mode(), mirror: page.mirrored() });
  if (state.mode === "pose") startPoseRenderer();
  relayout();
  state.initialised = true;
}

/** `?product=&variant=&mode=pose&mirror=false` preset the controls (links from a product page). */
function applyQueryParameters(params) {
  const mode = params.get("mode");
  page.modeInputs.forEach((input) => { if (mode) input.checked = input.value === mode; });
  if (params.has("mirror")) page.mirrorInput.checked = params.get("mirror") !== "false";
}

/** `fov_deg` for the server when the page was opened with ?fov= (browsers do not report it). */
function cameraFieldOfView() {
  const degrees = fieldOfViewFromQuery(new URLSearchParams(location.search));
  return degrees === null ? {} : { fov_deg: degrees };
}

function selectFromQuery(params) {
  const product = params.get("product");
  if (!product || !page.productById(product)) return;
  page.productSelect.value = product;
  page.showVariantsOfSelection();
  const variant = params.get("variant");
  if (variant) page.variantSelect.value = variant;
}

// --- source -----------------------------------------------------------------------------------

async function useSource(kind) {
  page.setSourceButtonsBusy(true);
  page.showMessage(kind === "camera" ? "Waiting for the camera\u2026" : "Loading the sample video\u2026");
  try {
    if (kind === "camera") await startCamera(page.video);
    else await startSampleVideo(page.video);
    state.source = kind;
    state.cameraError = null;
    // A missing WebGL stays explained: the shopper should know why the 3D mode is off.
    if (state.webglError) page.showMessage(`${state.webglError}. Showing the server's pictures instead.`, "error");
    else page.clearMessage();
    page.fitStageToVideo();
    ensureStream();
  } catch (error) {
    if (kind === "camera") state.cameraError = { kind: error.kind ?? "absent", name: error.cause?.name ?? error.name, message: error.message };
    recordError(state, { code: kind === "camera" ? "camera_unavailable" : "sample_video_unavailable", message: error.message });
    page.showMessage(kind === "camera" ? error.message : `The sample video could not be played: ${error.message}`, "error");
  } finally {
    page.setSourceButtonsBusy(false);
    if (!hasSampleVideo(config)) page.sampleVideoButton.disabled = true;
    relayout();
  }
}

function ensureStream() {
  if (stream) return;
  stream = new TryonStream({
    url: webSocketUrl(config),
    video: page.video,
    encoder: new FrameEncoder(),
    config: { ...page.selection(), mode: page.mode(), mirror: page.mirrored(), ...cameraFieldOfView() },
    handlers: {
      onOpen: (ready) => {
        state.connected = true;
        state.sessionId = ready.session_id ?? null;
        page.showConnection("connected", true);
      },
      onClose: (event, willRetry) => {
        state.connected = false;
        const busy = event.code === 1013;
        page.showConnection(willRetry ? (busy ? "server busy, retrying\u2026" : "reconnecting\u2026") : "disconnected", false);
        if (event.code !== 1000) recordError(state, { code: `closed_${event.code}`, message: event.reason || "connection closed" });
      },
      onConfigured: (serverConfig) => { state.serverMode = serverConfig?.mode ?? state.serverMode; },
      onSent: () => { state.framesSent += 1; },
      onResult: onResult,
      onServerError: onServerError,
      onLocalError: (error) => {
        recordError(state, { code: "client_error", message: String(error) });
        console.error("tryon:", error);
      },
    },
  });
  stream.start();
}

// --- results ----------------------------------------------------------------------------------

function onResult(meta, image, receivedAt) {
  state.resultsReceived += 1;
  state.lastResult = meta;
  if (image) {
    state.imagesReceived += 1;
    if (state.mode === "composite") {
      composite.show(meta, image).catch((error) => recordError(state, { code: "picture_undecodable", message: String(error) }));
    }
  } else {
    state.poseResultsReceived += 1;
    if (state.mode === "pose" && poseRenderer) poseRenderer.setPose(meta, modelUrlOf(meta.product), receivedAt);
  }
}

function onServerError(error) {
  recordError(state, error);
  if (QUIET_ERROR_CODES.has(error.code)) return;
  page.showMessage(error.message || error.code, "error");
}

function modelUrlOf(product) {
  if (!product?.id) return null;
  return modelUrl(product.id, product.variant, page.productById(product.id));
}

function updateReadout() {
  if (!stream) return;
  const now = performance.now();
  state.fps = stream.stats.fps(now);
  state.latencyMs = stream.stats.latencyMs();
  page.showReadout({ fps: state.fps, latencyMs: state.latencyMs, face: state.lastResult?.faces?.[0] });
}

// --- controls ---------------------------------------------------------------------------------

function onProductPicked() {
  page.showVariantsOfSelection();
  page.updateReserveButton();
  const selection = page.selection();
  Object.assign(state, selection);
  page.clearMessage();
  stream?.configure(selection);
  if (state.mode === "pose") poseRenderer?.preload(modelUrlOf({ id: selection.product, variant: selection.variant }));
}

function onVariantPicked() {
  page.updateReserveButton();
  const selection = page.selection();
  Object.assign(state, selection);
  stream?.configure(selection);
  if (state.mode === "pose") poseRenderer?.preload(modelUrlOf({ id: selection.product, variant: selection.variant }));
}

function setMode(mode) {
  state.mode = mode;
  stream?.configure({ mode });
  if (mode === "pose") {
    composite.clear();
    state.shownFrame = null;
    startPoseRenderer();
  } else {
    poseRenderer?.stop();
  }
  relayout();
}

function onMirrorToggled() {
  state.mirror = page.mirrored();
  stream?.configure({ mirror: state.mirror });
  relayout();
}

/** three.js is imported on first use, so composite mode works even where it cannot load. */
function ensurePoseRenderer() {
  poseRendererLoading ??= import("./pose_renderer.js")
    .then(({ PoseRenderer }) => {
      poseRenderer = new PoseRenderer(page.poseCanvas, {
        onRender: (info) => {
          state.posesRendered = info.posesRendered;
          state.lastRender = info;
        },
        onModelLoaded: (url) => state.modelsLoaded.push(url),
      });
      return poseRenderer;
    })
    .catch((error) => {
      poseRendererLoading = null;
      state.webglError = error.message;
      recordError(state, { code: "webgl_unavailable", message: error.message });
      page.showMessage(`${error.message}. Showing the server's pictures instead.`, "error");
      page.modeInputs.forEach((input) => { input.checked = input.value === "composite"; });
      setMode("composite");
      return null;
    });
  return poseRendererLoading;
}

async function startPoseRenderer() {
  const renderer = await ensurePoseRenderer();
  if (!renderer || state.mode !== "pose") return;
  renderer.preload(modelUrlOf({ id: state.product, variant: state.variant }));
  renderer.start();
}

function relayout() {
  page.layoutView({
    mode: state.mode,
    mirrored: state.mirror,
    hasSource: state.source !== null,
    hasComposite: composite.hasPicture,
  });
}

async function saveSnapshot() {
  try {
    const blob = state.mode === "composite"
      ? await snapshotOfComposite(page.compositeCanvas)
      : await snapshotOfPoseView(page.video, page.poseCanvas, state.mirror);
    downloadBlob(blob, snapshotFilename(state.product));
    state.snapshotsSaved += 1;
  } catch (error) {
    recordError(state, { code: "snapshot_failed", message: String(error) });
    page.showMessage(`The snapshot could not be saved: ${error.message}`, "error");
  }
}
