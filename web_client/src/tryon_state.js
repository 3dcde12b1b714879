// `window.tryonState`: what the page is doing, in plain values, for the browser tests and for
// anyone debugging from the console. Written by main.js only; never read back by the page.

const KEPT_ERRORS = 20;

export function createTryonState() {
  const state = {
    initialised: false,
    connected: false,
    sessionId: null,
    mode: "composite", // what the page asked for
    serverMode: null, // what the last `configured` reply said
    mirror: true,
    source: null, // "camera" | "sample" | null
    cameraError: null, // {kind, name, message} of the last failed camera start
    product: null,
    variant: null,
    framesSent: 0,
    resultsReceived: 0,
    imagesReceived: 0, // binary (composite) results
    poseResultsReceived: 0, // text (pose) results
    lastResult: null,
    shownFrame: null, // the result whose picture is on the composite canvas now
    lastError: null,
    errors: [],
    posesRendered: 0, // three.js frames that drew at least one product copy
    lastRender: null,
    modelsLoaded: [],
    webglError: null,
    snapshotsSaved: 0,
    reservation: null, // {code, status} of the reserve panel's latest hold or confirmation
    fps: 0,
    latencyMs: null,
  };
  window.tryonState = state;
  return state;
}

export function recordError(state, error) {
  state.lastError = error;
  state.errors.push(error);
  if (state.errors.length > KEPT_ERRORS) state.errors.shift();
}
