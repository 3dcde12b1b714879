// The shopper page in Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core (no
// downloaded browser), against a running try-on server:
//
//   node check_page.mjs BASE_URL ARTIFACTS_DIR [--firefox /usr/bin/firefox-esr]
//
// Prints ONE JSON object on stdout: what each check measured (the thresholds live in
// tests/browser/test_firefox_page.py, which runs this). Progress goes to stderr. Screenshots
// and canvas read-backs are written as PNG into ARTIFACTS_DIR.
//
// Checks (keys of `checks`):
//   page_loads             the page initialises, catalog pickers filled, no page/console errors
//   sample_video_composite "No camera? Try with a sample video" streams, pictures + faces + PD come back
//   glasses_composite      picking glasses changes the eye pixels of the shown picture, not the backdrop
//   pose_mode              no pictures come back, poses do, and three.js draws the product at the eyes
//   fake_camera            Firefox's fake camera (a synthetic pattern, no face) streams and results come back
//   camera_refused         camera blocked by default permission: the page says so and offers the sample video
//   own_server_only        every request (page, workers, WebSockets, and Firefox itself) goes to the server only

import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const GLASSES = "sunglasses-shade";
const STREAM_TIMEOUT_MS = 25_000;
const DEADLINE_MS = Number(process.env.FIREFOX_CHECK_DEADLINE_MS || 75_000);
// A frontal, unobstructed face in the sample clip (the hand comes up later).
const STILL_AT_S = 1.0;

const args = process.argv.slice(2);
const positional = args.filter((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1] === "--firefox"));
const firefoxFlag = args.indexOf("--firefox");
const FIREFOX = firefoxFlag >= 0 ? args[firefoxFlag + 1] : "/usr/bin/firefox-esr";
const [BASE_URL_ARG, ARTIFACTS_ARG] = positional;
if (!BASE_URL_ARG || !ARTIFACTS_ARG) {
  process.stderr.write("usage: node check_page.mjs BASE_URL ARTIFACTS_DIR [--firefox PATH]\n");
  process.exit(64);
}
const BASE_URL = BASE_URL_ARG.replace(/\/+$/, "");
const SERVER_HOST = new URL(BASE_URL).host;
const ARTIFACTS = path.resolve(ARTIFACTS_ARG);
fs.mkdirSync(ARTIFACTS, { recursive: true });

const started = Date.now();
const log = (...parts) => process.stderr.write(`[firefox ${((Date.now() - started) / 1000).toFixed(1)}s] ${parts.join(" ")}\n`);

const report = {
  firefox: null,
  puppeteer: createRequire(import.meta.url)("puppeteer-core/package.json").version,
  base_url: BASE_URL,
  display: null, // the X display Firefox got (for WebGL), see chooseDisplay()
  fatal: null,
  elapsed_ms: null,
  checks: {},
  screenshots: [],
};
const browsers = [];
let emitted = false;

function emit(exitCode = 0) {
  if (emitted) return;
  emitted = true;
  report.elapsed_ms = Date.now() - started;
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exitCode = exitCode;
}

const deadline = setTimeout(() => {
  report.fatal = `deadline: the checks took longer than ${DEADLINE_MS} ms`;
  log(report.fatal);
  for (const browser of browsers) browser.process()?.kill("SIGKILL");
  xvfb?.kill("SIGKILL");
  emit(3);
  process.exit(3);
}, DEADLINE_MS);

// --- Firefox prefs ------------------------------------------------------------------------------

// Offline: nothing of Firefox's own may reach the network (the machine has none, and the test
// asserts it). puppeteer's profile already turns off many of these; the rest are here. Any
// connection to another host that still happens goes to the recording proxy below.
const QUIET_PREFS = {
  "app.update.auto": false,
  "app.update.enabled": false,
  "app.update.checkInstallTime": false,
  "app.update.disabledForTesting": true,
  "app.normandy.enabled": false,
  "app.normandy.api_url": "",
  "app.shield.optoutstudies.enabled": false,
  "browser.discovery.enabled": false,
  "browser.newtabpage.activity-stream.feeds.section.topstories": false,
  "browser.newtabpage.activity-stream.feeds.snippets": false,
  "browser.newtabpage.activity-stream.feeds.telemetry": false,
  "browser.newtabpage.activity-stream.telemetry": false,
  "browser.newtabpage.activity-stream.showSponsored": false,
  "browser.newtabpage.activity-stream.showSponsoredTopSites": false,
  "browser.ping-centre.telemetry": false,
  "browser.region.network.url": "",
  "browser.region.update.enabled": false,
  "browser.safebrowsing.provider.google.updateURL": "",
  "browser.safebrowsing.provider.google4.updateURL": "",
  "browser.safebrowsing.provider.mozilla.updateURL": "",
  "browser.search.geoip.url": "",
  "browser.search.suggest.enabled": false,
  "browser.topsites.contile.enabled": false,
  "browser.tabs.crashReporting.sendReport": false,
  "browser.crashReports.unsubmittedCheck.autoSubmit2": false,
  "datareporting.healthreport.uploadEnabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "dom.push.enabled": false,
  "dom.push.connection.enabled": false,
  "extensions.blocklist.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "extensions.systemAddon.update.enabled": false,
  "extensions.systemAddon.update.url": "",
  "extensions.update.enabled": false,
  "geo.provider.network.url": "",
  "identity.fxaccounts.enabled": false,
  "media.gmp-manager.updateEnabled": false,
  "media.gmp-gmpopenh264.enabled": false,
  "media.gmp-widevinecdm.enabled": false,
  "messaging-system.rsexperimentloader.enabled": false,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.dns.disablePrefetch": true,
  "network.http.speculative-parallel-limit": 0,
  "network.predictor.enabled": false,
  "network.prefetch-next": false,
  "network.trr.mode": 5,
  "privacy.sanitize.sanitizeOnShutdown": false,
  "security.OCSP.enabled": 0,
  "security.remote_settings.crlite_filters.enabled": false,
  "security.remote_settings.intermediates.enabled": false,
  "services.settings.server": "data:,#remote-settings-dummy/v1",
  "services.settings.poll_interval": 86400 * 365,
  "services.sync.enabled": false,
  "toolkit.telemetry.archive.enabled": false,
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.server": "",
  "toolkit.telemetry.unified": false,
  "toolkit.telemetry.updatePing.enabled": false,
  "toolkit.telemetry.shutdownPingSender.enabled": false,
  "toolkit.telemetry.firstShutdownPing.enabled": false,
  "toolkit.telemetry.newProfilePing.enabled": false,
  "toolkit.telemetry.bhrPing.enabled": false,
};

function proxyPrefs(port) {
  // Every host but the server (127.0.0.1 is never proxied: allow_hijacking_localhost is false)
  // goes to the recording proxy, which answers nothing.
  return {
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": port,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": port,
    "network.proxy.socks": "",
    "network.proxy.no_proxies_on": "",
    "network.proxy.allow_hijacking_localhost": false,
  };
}

const FAKE_CAMERA_PREFS = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
};

// A shopper who blocked the camera: the prompt is not skipped and camera permission defaults to
// "block", so getUserMedia rejects with NotAllowedError at once.
const CAMERA_BLOCKED_PREFS = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": false,
  "permissions.default.camera": 2,
};

// --- the recording proxy ------------------------------------------------------------------------

function startRecordingProxy() {
  const hits = [];
  const server = http.createServer((request, response) => {
    hits.push({ method: request.method, target: request.url });
    response.writeHead(502, { "content-type": "text/plain" });
    response.end("offline test: no outside connections\n");
  });
  server.on("connect", (request, socket) => {
    hits.push({ method: "CONNECT", target: request.url });
    socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
  });
  server.on("clientError", (error, socket) => socket.destroy());
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, hits, port: server.address().port }));
  });
}

// --- what each page did -------------------------------------------------------------------------

// Runs in the page before its own scripts: counts WebSocket traffic (BiDi reports no frames).
const PAGE_WATCH = `(() => {
  const watch = { websockets: [], binaryIn: 0, textIn: 0, resultTextIn: 0, binaryOut: 0, errors: [] };
  Object.defineProperty(window, "__ffwatch", { value: watch, enumerable: false });
  const Native = window.WebSocket;
  class WatchedWebSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      watch.websockets.push(String(this.url));
      this.addEventListener("message", (event) => {
        if (typeof event.data === "string") {
          watch.textIn += 1;
          try { if (JSON.parse(event.data).type === "result") watch.resultTextIn += 1; } catch (_) {}
        } else {
          watch.binaryIn += 1;
        }
      });
    }
    send(data) {
      if (typeof data !== "string") watch.binaryOut += 1;
      return super.send(data);
    }
  }
  window.WebSocket = WatchedWebSocket;
  // Every message the page shows the shopper, in order (the element is reused).
  watch.messages = [];
  document.addEventListener("DOMContentLoaded", () => {
    const message = document.querySelector("[data-testid=message]");
    if (!message) return;
    const note = () => {
      const text = message.hidden ? "" : message.textContent;
      if (text && watch.messages[watch.messages.length - 1] !== text) watch.messages.push(text);
    };
    new MutationObserver(note).observe(message, { attributes: true, childList: true, characterData: true, subtree: true });
  });
  window.addEventListener("error", (event) => watch.errors.push(String(event.message)));
  window.addEventListener("unhandledrejection", (event) => watch.errors.push("unhandled rejection: " + String(event.reason)));
})();`;

const allRequests = []; // every request URL any page made (BiDi network events)

async function openPage(browser, query = "") {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const watch = { requests: [], pageErrors: [], consoleErrors: [], consoleWarnings: [] };
  page.on("request", (request) => { watch.requests.push(request.url()); allRequests.push(request.url()); });
  page.on("pageerror", (error) => watch.pageErrors.push(String(error?.message ?? error)));
  page.on("console", (message) => {
    if (message.type() === "error") watch.consoleErrors.push(message.text());
    else if (message.type() === "warn" || message.type() === "warning") watch.consoleWarnings.push(message.text());
  });
  await page.evaluateOnNewDocument(PAGE_WATCH);
  await page.goto(`${BASE_URL}/${query}`, { waitUntil: "load" });
  await page.bringToFront();
  await waitState(page, "s.initialised", 15_000);
  return { context, page, watch };
}

async function pageTraffic(page) {
  return page.evaluate(() => ({
    ...window.__ffwatch,
    resources: performance.getEntriesByType("resource").map((entry) => entry.name),
  }));
}

/** What every check reports about the page's traffic and errors, after its own findings. */
async function trafficReport(page, watch) {
  const t = await pageTraffic(page);
  return { binaryFramesIn: t.binaryIn, binaryFramesOut: t.binaryOut, resultTextFramesIn: t.resultTextIn,
           pageErrors: [...watch.pageErrors, ...t.errors], consoleErrors: [...watch.consoleErrors] };
}

async function stateSummary(page) {
  try {
    return await page.evaluate(() => JSON.stringify({
      ...window.tryonState, lastResult: undefined, shownFrame: undefined, lastRender: undefined,
    }));
  } catch (error) {
    return `(state unreadable: ${error.message})`;
  }
}

async function waitState(page, condition, timeout = STREAM_TIMEOUT_MS) {
  try {
    await page.waitForFunction(`(() => { const s = window.tryonState; return Boolean(s && (${condition})); })()`,
      { timeout, polling: 100 });
  } catch (error) {
    throw new Error(`the page never reached \`${condition}\` within ${timeout} ms (${error.message}); state: ${await stateSummary(page)}`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, type: "png" });
  report.screenshots.push(file);
  return file;
}

function saveDataUrl(dataUrl, name) {
  const file = path.join(ARTIFACTS, name);
  fs.writeFileSync(file, Buffer.from(dataUrl.split(",", 2)[1], "base64"));
  report.screenshots.push(file);
  return file;
}

async function faceSnapshots(page, count, intervalMs = 100, timeoutMs = 10_000) {
  const results = [];
  const until = Date.now() + timeoutMs;
  while (results.length < count && Date.now() < until) {
    const result = await page.evaluate(() => window.tryonState.lastResult);
    if (result?.faces?.length) results.push(result);
    await sleep(intervalMs);
  }
  return results;
}

const median = (values) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// In-page pixel helpers (the same regions as tests/browser/test_shopper_page.py), installed on
// demand as window.__ffpixels.
const PIXEL_HELPERS = () => {
  if (window.__ffpixels) return;
  const eyeRegion = (meta, scaleX, scaleY, mirrored) => {
    const face = meta.faces[0];
    let [x, y] = face.anchors_px[0];
    if (mirrored) x = meta.camera.width - 1 - x;
    const pdPx = meta.camera.fx * face.measurements.pd_mm / face.distance_mm;
    const halfW = 0.9 * pdPx;
    const halfH = 0.35 * pdPx;
    return { x0: Math.max(0, Math.floor((x - halfW) * scaleX)), x1: Math.floor((x + halfW) * scaleX),
             y0: Math.max(0, Math.floor((y - halfH) * scaleY)), y1: Math.floor((y + halfH) * scaleY) };
  };
  const cornerRegion = (width, height) => ({ x0: 0, x1: Math.floor(width / 10), y0: 0, y1: Math.floor(height / 10) });
  const readCanvas = (canvas) => {
    const copy = document.createElement("canvas");
    copy.width = canvas.width;
    copy.height = canvas.height;
    const context = copy.getContext("2d");
    context.drawImage(canvas, 0, 0);
    return context.getImageData(0, 0, canvas.width, canvas.height);
  };
  const meanAbsDiff = (a, b, r) => {
    let sum = 0;
    let n = 0;
    const x1 = Math.min(r.x1, a.width);
    const y1 = Math.min(r.y1, a.height);
    for (let y = r.y0; y < y1; y += 1) {
      for (let x = r.x0; x < x1; x += 1) {
        const i = (y * a.width + x) * 4;
        sum += Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]);
        n += 3;
      }
    }
    return n ? sum / n : null;
  };
  const alphaCoverage = (image, r) => {
    let covered = 0;
    let n = 0;
    const x1 = Math.min(r.x1, image.width);
    const y1 = Math.min(r.y1, image.height);
    for (let y = r.y0; y < y1; y += 1) {
      for (let x = r.x0; x < x1; x += 1) {
        if (image.data[(y * image.width + x) * 4 + 3] > 0) covered += 1;
        n += 1;
      }
    }
    return n ? covered / n : null;
  };
  const store = new Map();
  window.__ffpixels = {
    eyeRegion, cornerRegion, readCanvas, meanAbsDiff, alphaCoverage,
    /** Keep the composite canvas as shown now, with the result it shows. */
    keepComposite(name) {
      const canvas = document.getElementById("composite-canvas");
      const meta = window.tryonState.shownFrame;
      store.set(name, { image: readCanvas(canvas), meta, png: canvas.toDataURL("image/png") });
      return { frameId: meta?.frame_id ?? null, product: meta?.product?.id ?? null, faces: meta?.faces?.length ?? 0,
               width: canvas.width, height: canvas.height, png: canvas.toDataURL("image/png") };
    },
    get: (name) => store.get(name),
  };
};

// --- the checks ---------------------------------------------------------------------------------

async function check(name, fn) {
  const t0 = Date.now();
  log(`check ${name}`);
  const result = { error: null };
  report.checks[name] = result;
  try {
    Object.assign(result, await fn());
  } catch (error) {
    result.error = String(error?.stack ?? error);
    log(`check ${name} failed: ${error?.message ?? error}`);
  }
  result.duration_ms = Date.now() - t0;
  return result;
}

const traffic = []; // per page: {requests, websockets, resources}

async function closePage(opened) {
  try {
    const t = await pageTraffic(opened.page);
    traffic.push({ requests: opened.watch.requests, websockets: t.websockets, resources: t.resources });
  } catch (error) {
    traffic.push({ requests: opened.watch.requests, websockets: [], resources: [], error: String(error) });
  }
  await opened.context.close().catch(() => {});
}

async function checkPageLoads(browser) {
  const opened = await openPage(browser);
  const { page, watch } = opened;
  try {
    await sleep(300); // late errors from module loading
    const ui = await page.evaluate(() => {
      const productSelect = document.querySelector("[data-testid=product-select]");
      const sample = document.querySelector("[data-testid=use-sample-video]");
      const camera = document.querySelector("[data-testid=start-camera]");
      const visible = (el) => Boolean(el && el.offsetParent !== null && !el.hidden);
      return {
        productOptions: [...productSelect.options].map((o) => o.value).filter(Boolean),
        productNames: [...productSelect.options].filter((o) => o.value).map((o) => o.textContent),
        variantDisabled: document.querySelector("[data-testid=variant-select]").disabled,
        modeInputs: [...document.querySelectorAll("input[name=mode]")].map((i) => i.value),
        startCameraVisible: visible(camera) && !camera.disabled,
        sampleVideoVisible: visible(sample) && !sample.disabled,
        connection: document.querySelector("[data-testid=connection-status]").textContent,
        state: { initialised: window.tryonState.initialised, errors: window.tryonState.errors, mode: window.tryonState.mode,
                 mirror: window.tryonState.mirror },
        features: {
          requestVideoFrameCallback: typeof HTMLVideoElement.prototype.requestVideoFrameCallback === "function",
          offscreenConvertToBlob: typeof OffscreenCanvas !== "undefined" && "convertToBlob" in OffscreenCanvas.prototype,
          createImageBitmap: typeof createImageBitmap === "function",
          importMaps: HTMLScriptElement.supports?.("importmap") ?? null,
          webgl2: Boolean(document.createElement("canvas").getContext("webgl2")),
        },
        userAgent: navigator.userAgent,
      };
    });
    // Choosing a product fills the colour picker (the catalog's variants).
    await page.select("[data-testid=product-select]", GLASSES);
    const variants = await page.evaluate(() => {
      const v = document.querySelector("[data-testid=variant-select]");
      return { options: [...v.options].map((o) => o.value), disabled: v.disabled, stateProduct: window.tryonState.product };
    });
    await screenshot(page, "firefox_page_loaded.png");
    return { ...ui, variantsAfterPick: variants, ...(await trafficReport(page, watch)),
             consoleWarnings: watch.consoleWarnings };
  } finally {
    await closePage(opened);
  }
}

async function checkSampleVideoAndGlasses(browser) {
  const opened = await openPage(browser);
  const { page, watch } = opened;
  try {
    await page.click("[data-testid=use-sample-video]");
    await waitState(page, "s.source === 'sample' && s.connected", 30_000); // first play transcodes the clip
    await waitState(page, "s.imagesReceived >= 15 && s.shownFrame && s.shownFrame.faces.length === 1");
    const pds = (await faceSnapshots(page, 8)).map((r) => r.faces[0].measurements.pd_mm);
    await sleep(300); // let the read-outs (every 250 ms) catch up
    const streaming = await page.evaluate(() => {
      const s = window.tryonState;
      const v = document.getElementById("source-video");
      const text = (id) => document.querySelector(`[data-testid=${id}]`).textContent;
      const canvas = document.getElementById("composite-canvas");
      return {
        source: s.source, framesSent: s.framesSent, resultsReceived: s.resultsReceived, imagesReceived: s.imagesReceived,
        poseResultsReceived: s.poseResultsReceived, fps: s.fps, latencyMs: s.latencyMs, errors: s.errors,
        shownMirrored: s.shownFrame?.image?.mirrored ?? null, shownFaces: s.shownFrame?.faces?.length ?? 0,
        shownImage: s.shownFrame?.image ?? null,
        readout: { fps: text("readout-fps"), latency: text("readout-latency"), pd: text("readout-pd"), faceWidth: text("readout-face-width") },
        compositeVisible: !canvas.hidden && canvas.offsetParent !== null, compositeSize: [canvas.width, canvas.height],
        messageHidden: document.querySelector("[data-testid=message]").hidden,
        video: { muted: v.muted, loop: v.loop, playsInline: v.playsInline, paused: v.paused, src: v.currentSrc,
                 width: v.videoWidth, height: v.videoHeight },
      };
    });
    await screenshot(page, "firefox_sample_video_composite.png");
    const sampleResult = { ...streaming, pds, pdMedian: median(pds), ...(await trafficReport(page, watch)) };

    // Glasses: hold the clip on one frame with a frontal face (the page keeps sending it: a
    // paused video stops requestVideoFrameCallback and the page then treats each tick as new),
    // so the pictures with and without glasses come from the same camera frame.
    let glasses;
    try {
      glasses = await glassesOnTheStill(page, watch);
    } catch (error) {
      glasses = { error: String(error?.stack ?? error) };
    }
    return { sample: sampleResult, glasses };
  } finally {
    await closePage(opened);
  }
}

async function glassesOnTheStill(page, watch) {
  await page.evaluate(PIXEL_HELPERS);
  const sentAtPause = await page.evaluate(async (at) => {
    const v = document.getElementById("source-video");
    v.pause();
    if (Math.abs(v.currentTime - at) > 0.01) {
      await new Promise((resolve) => { v.addEventListener("seeked", resolve, { once: true }); v.currentTime = at; });
    }
    return window.tryonState.framesSent;
  }, STILL_AT_S);
  // Frames encoded before the pause may still be in flight: skip a few.
  // (No product: the face has a pose but no anchors.)
  await waitState(page, `s.shownFrame && s.shownFrame.frame_id > ${sentAtPause + 3} && s.shownFrame.product.id === null`
                        + " && s.shownFrame.faces.length === 1");
  const bareA = await page.evaluate(() => window.__ffpixels.keepComposite("bareA"));
  await waitState(page, `s.shownFrame && s.shownFrame.frame_id > ${bareA.frameId + 1}`);
  const bareB = await page.evaluate(() => window.__ffpixels.keepComposite("bareB"));
  saveDataUrl(bareA.png, "firefox_glasses_before.png");

  await page.select("[data-testid=product-select]", GLASSES);
  await waitState(page, `s.shownFrame && s.shownFrame.product.id === '${GLASSES}'`
                        + " && s.shownFrame.faces.length === 1 && s.shownFrame.faces[0].anchors_px.length > 0");
  // One more picture, so the tracker has settled on the still with the product.
  const firstDressed = await page.evaluate(() => window.tryonState.shownFrame.frame_id);
  await waitState(page, `s.shownFrame && s.shownFrame.frame_id > ${firstDressed + 1} && s.shownFrame.product.id === '${GLASSES}'`
                        + " && s.shownFrame.faces.length === 1 && s.shownFrame.faces[0].anchors_px.length > 0");
  const dressed = await page.evaluate(() => window.__ffpixels.keepComposite("dressed"));
  saveDataUrl(dressed.png, "firefox_glasses_after.png");
  await screenshot(page, "firefox_composite_with_glasses.png");

  const pixels = await page.evaluate(() => {
    const px = window.__ffpixels;
    const a = px.get("bareA");
    const b = px.get("bareB");
    const d = px.get("dressed");
    const eyes = px.eyeRegion(d.meta, 1, 1, Boolean(d.meta.image?.mirrored));
    const corner = px.cornerRegion(d.image.width, d.image.height);
    return {
      eyes, corner,
      eyesChanged: Math.min(px.meanAbsDiff(a.image, d.image, eyes), px.meanAbsDiff(b.image, d.image, eyes)),
      eyesNoise: px.meanAbsDiff(a.image, b.image, eyes),
      cornerChanged: Math.max(px.meanAbsDiff(a.image, d.image, corner), px.meanAbsDiff(b.image, d.image, corner)),
      sizes: [[a.image.width, a.image.height], [d.image.width, d.image.height]],
      imageMeta: d.meta.image, camera: d.meta.camera,
      dressedProduct: d.meta.product, dressedAnchors: d.meta.faces[0].anchors_px,
      bareFrameIds: [a.meta.frame_id, b.meta.frame_id], dressedFrameId: d.meta.frame_id,
      videoPaused: document.getElementById("source-video").paused,
    };
  });
  return { ...pixels, ...(await trafficReport(page, watch)) };
}

async function checkPoseMode(browser) {
  const opened = await openPage(browser, `?mode=pose&product=${GLASSES}`);
  const { page, watch } = opened;
  try {
    await page.click("[data-testid=use-sample-video]");
    await waitState(page, "s.source === 'sample' && s.connected", 30_000);
    await waitState(page, "s.webglError !== null || (s.poseResultsReceived >= 10 && s.posesRendered >= 5 && s.lastRender"
                          + " && s.lastRender.copies > 0 && s.lastRender.pose.faces.length > 0"
                          + " && s.lastRender.pose.faces[0].anchors_px.length > 0)", 35_000);
    const webglError = await page.evaluate(() => window.tryonState.webglError);
    if (webglError !== null) {
      // No WebGL here (headless without a display): the page must say so and fall back to the
      // server's pictures.
      await waitState(page, "s.mode === 'composite' && s.imagesReceived >= 5 && s.shownFrame", 20_000);
      const fallback = await page.evaluate(() => {
        const message = document.querySelector("[data-testid=message]");
        return {
          webglError: window.tryonState.webglError, mode: window.tryonState.mode, serverMode: window.tryonState.serverMode,
          imagesReceived: window.tryonState.imagesReceived, messageVisible: !message.hidden, messageText: message.textContent,
          compositeChecked: document.querySelector("[data-testid=mode-composite]").checked,
          messagesShown: window.__ffwatch.messages,
        };
      });
      await screenshot(page, "firefox_pose_mode_without_webgl.png");
      return { webglError, fallback, pageErrors: [...watch.pageErrors], consoleErrors: watch.consoleErrors };
    }
    await page.evaluate(PIXEL_HELPERS);
    const drawn = await page.evaluate(() => {
      const px = window.__ffpixels;
      const canvas = document.getElementById("pose-canvas");
      const s = window.tryonState;
      const pose = s.lastRender.pose;
      const image = px.readCanvas(canvas); // preserveDrawingBuffer: the last drawn frame
      const scale = canvas.width / pose.camera.width;
      // The canvas holds camera pixels; CSS mirrors it with the video.
      const eyes = px.eyeRegion(pose, scale, scale, false);
      const corner = px.cornerRegion(canvas.width, canvas.height);
      const gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
      return {
        png: canvas.toDataURL("image/png"),
        canvasSize: [canvas.width, canvas.height], cameraSize: [pose.camera.width, pose.camera.height],
        eyes, coveredNearEyes: px.alphaCoverage(image, eyes), coveredCorner: px.alphaCoverage(image, corner),
        coveredAll: px.alphaCoverage(image, { x0: 0, y0: 0, x1: canvas.width, y1: canvas.height }),
        copies: s.lastRender.copies, posesRendered: s.posesRendered, poseResultsReceived: s.poseResultsReceived,
        imagesReceived: s.imagesReceived, resultsReceived: s.resultsReceived, serverMode: s.serverMode,
        modelsLoaded: s.modelsLoaded, webglError: s.webglError, errors: s.errors,
        pdMm: pose.faces[0].measurements?.pd_mm ?? null,
        canvasVisible: !canvas.hidden && canvas.offsetParent !== null,
        compositeHidden: document.getElementById("composite-canvas").hidden,
        mirrorTransform: getComputedStyle(document.getElementById("live-layer")).transform,
        webglRenderer: gl ? String(gl.getParameter(gl.RENDERER)) : null,
        webglVersion: gl ? String(gl.getParameter(gl.VERSION)) : null,
      };
    });
    saveDataUrl(drawn.png, "firefox_pose_mode_canvas.png");
    delete drawn.png;
    await screenshot(page, "firefox_pose_mode_three_js.png");
    return { ...drawn, ...(await trafficReport(page, watch)) };
  } finally {
    await closePage(opened);
  }
}

async function checkFakeCamera(browser) {
  const opened = await openPage(browser);
  const { page, watch } = opened;
  try {
    await page.click("[data-testid=start-camera]");
    await waitState(page, "(s.source === 'camera' && s.connected) || s.cameraError !== null", 15_000);
    await waitState(page, "s.cameraError !== null || (s.framesSent >= 10 && s.resultsReceived >= 10)");
    const state = await page.evaluate(() => {
      const s = window.tryonState;
      const v = document.getElementById("source-video");
      const stream = v.srcObject;
      const track = stream?.getVideoTracks?.()[0];
      return {
        source: s.source, cameraError: s.cameraError, connected: s.connected, framesSent: s.framesSent,
        resultsReceived: s.resultsReceived, imagesReceived: s.imagesReceived, errors: s.errors,
        lastResultFaces: s.lastResult?.faces?.length ?? null, lastResultCamera: s.lastResult?.camera ?? null,
        video: { width: v.videoWidth, height: v.videoHeight, paused: v.paused, hasStream: Boolean(stream),
                 trackLabel: track?.label ?? null, trackState: track?.readyState ?? null },
        messageHidden: document.querySelector("[data-testid=message]").hidden,
        messageText: document.querySelector("[data-testid=message]").textContent,
      };
    });
    await screenshot(page, "firefox_fake_camera.png");
    return { ...state, ...(await trafficReport(page, watch)) };
  } finally {
    await closePage(opened);
  }
}

async function checkCameraRefused(browser) {
  const opened = await openPage(browser);
  const { page, watch } = opened;
  try {
    await page.click("[data-testid=start-camera]");
    await waitState(page, "s.cameraError !== null", 10_000);
    const refused = await page.evaluate(() => {
      const message = document.querySelector("[data-testid=message]");
      const sample = document.querySelector("[data-testid=use-sample-video]");
      return {
        cameraError: window.tryonState.cameraError, source: window.tryonState.source,
        messageVisible: !message.hidden && message.offsetParent !== null, messageText: message.textContent,
        messageKind: message.dataset.kind ?? null,
        sampleButtonUsable: !sample.hidden && sample.offsetParent !== null && !sample.disabled,
      };
    });
    await screenshot(page, "firefox_camera_refused.png");
    // The way out the message offers: the sample video streams instead, and the message goes.
    await page.click("[data-testid=use-sample-video]");
    await waitState(page, "s.source === 'sample' && s.imagesReceived >= 5 && s.shownFrame", 30_000);
    const afterwards = await page.evaluate(() => ({
      source: window.tryonState.source, imagesReceived: window.tryonState.imagesReceived,
      messageHidden: document.querySelector("[data-testid=message]").hidden,
    }));
    await screenshot(page, "firefox_camera_refused_then_sample_video.png");
    return { ...refused, sampleAfterRefusal: afterwards, ...(await trafficReport(page, watch)) };
  } finally {
    await closePage(opened);
  }
}

function ownServerOnly(proxyHits) {
  const urls = [];
  for (const t of traffic) urls.push(...t.requests, ...t.websockets, ...t.resources);
  urls.push(...allRequests);
  const foreign = [...new Set(urls.filter((url) => {
    let parsed;
    try { parsed = new URL(url); } catch (_) { return true; }
    if (["data:", "blob:", "about:"].includes(parsed.protocol)) return false;
    return parsed.host !== SERVER_HOST;
  }))];
  const paths = [...new Set(urls.flatMap((url) => {
    try { const u = new URL(url); return u.host === SERVER_HOST ? [u.pathname] : []; } catch (_) { return []; }
  }))].sort();
  const websockets = [...new Set(traffic.flatMap((t) => t.websockets))];
  return { foreign, paths, websockets, requestCount: urls.length, browserProxyHits: proxyHits };
}

// --- an X display for WebGL -------------------------------------------------------------------

// Headless Firefox on Linux creates no WebGL context without an X display (its GL probe needs
// one; Mozilla bug 1375585): pose mode would fall back to the server's pictures. With Xvfb
// installed, Firefox stays headless but gets a private virtual display, and WebGL runs on
// Mesa's llvmpipe. FIREFOX_CHECK_DISPLAY=:N uses an existing display instead;
// FIREFOX_CHECK_XVFB=PATH another Xvfb (a missing path: run without a display).
const XVFB = process.env.FIREFOX_CHECK_XVFB || "/usr/bin/Xvfb";

function startXvfb() {
  return new Promise((resolve) => {
    const xvfb = spawn(XVFB, ["-displayfd", "3", "-screen", "0", "1280x1024x24", "-nolisten", "tcp", "-noreset"],
      { stdio: ["ignore", "ignore", "pipe", "pipe"] });
    let out = "";
    let stderr = "";
    const timer = setTimeout(() => { xvfb.kill("SIGKILL"); resolve({ error: `Xvfb did not start: ${stderr.slice(-300)}` }); }, 10_000);
    xvfb.stderr.on("data", (chunk) => { stderr += chunk; });
    xvfb.stdio[3].on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve({ process: xvfb, display: `:${out.trim()}` });
      }
    });
    xvfb.on("error", (error) => { clearTimeout(timer); resolve({ error: String(error) }); });
    xvfb.on("exit", (code) => { clearTimeout(timer); resolve({ error: `Xvfb exited (${code}): ${stderr.slice(-300)}` }); });
  });
}

let xvfb = null;

async function chooseDisplay() {
  if (process.env.FIREFOX_CHECK_DISPLAY) return { display: process.env.FIREFOX_CHECK_DISPLAY, xvfb: false };
  if (fs.existsSync(XVFB)) {
    const started = await startXvfb();
    if (started.process) {
      xvfb = started.process;
      return { display: started.display, xvfb: true };
    }
    return { display: null, xvfb: false, error: started.error };
  }
  return { display: null, xvfb: false, error: `${XVFB} not found (apt-get install xvfb): no WebGL in headless Firefox` };
}

// --- main ---------------------------------------------------------------------------------------

function browserEnv() {
  const env = {
    ...process.env,
    MOZ_CRASHREPORTER_DISABLE: "1",
    MOZ_DISABLE_AUTO_SAFE_MODE: "1",
    // With services.settings.server = "data:,#remote-settings-dummy/v1" (QUIET_PREFS), Remote
    // Settings skip all syncing, as in Mozilla's own test harness; a release build ignores a
    // server override without this (it otherwise polls firefox.settings.services.mozilla.com).
    MOZ_DISABLE_NONLOCAL_CONNECTIONS: "1",
  };
  delete env.DISPLAY;
  if (report.display?.display) env.DISPLAY = report.display.display;
  return env;
}

async function launch(extraPrefs, proxyPort) {
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    protocol: "webDriverBiDi",
    headless: true,
    extraPrefsFirefox: { ...QUIET_PREFS, ...proxyPrefs(proxyPort), ...extraPrefs },
    env: browserEnv(),
    timeout: 30_000,
  });
  browsers.push(browser);
  return browser;
}

async function main() {
  const proxy = await startRecordingProxy();
  report.display = await chooseDisplay();
  try {
    let browser = await launch(FAKE_CAMERA_PREFS, proxy.port);
    report.firefox = await browser.version();
    log(`launched ${report.firefox}, puppeteer-core ${report.puppeteer}`);
    try {
      await check("page_loads", () => checkPageLoads(browser));
      const both = await check("sample_video_composite", () => checkSampleVideoAndGlasses(browser));
      // One page streamed both; report them as two checks.
      if (both.sample) {
        report.checks.glasses_composite = { error: null, ...both.glasses };
        report.checks.sample_video_composite = { error: both.error, duration_ms: both.duration_ms, ...both.sample };
      } else {
        report.checks.glasses_composite = { error: `not reached: ${both.error}` };
      }
      await check("pose_mode", () => checkPoseMode(browser));
      await check("fake_camera", () => checkFakeCamera(browser));
    } finally {
      await browser.close().catch(() => browser.process()?.kill("SIGKILL"));
    }
    browser = await launch(CAMERA_BLOCKED_PREFS, proxy.port);
    try {
      await check("camera_refused", () => checkCameraRefused(browser));
    } finally {
      await browser.close().catch(() => browser.process()?.kill("SIGKILL"));
    }
    report.checks.own_server_only = { error: null, ...ownServerOnly(proxy.hits) };
  } finally {
    proxy.server.close();
    xvfb?.kill("SIGTERM");
  }
}

main()
  .then(() => { log("done"); emit(0); })
  .catch((error) => {
    report.fatal = String(error?.stack ?? error);
    log(`fatal: ${report.fatal}`);
    for (const browser of browsers) browser.process()?.kill("SIGKILL");
    xvfb?.kill("SIGKILL");
    emit(2);
  })
  .finally(() => clearTimeout(deadline));
