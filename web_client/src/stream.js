// The session loop: one WebSocket to /ws/tryon, frames out of the <video>, results back.
//
// Flow control: at most MAX_FRAMES_IN_FLIGHT frames are unanswered at once. The server keeps
// one frame in work and one waiting and answers (or drops as superseded) in order, so a result
// or per-frame error for frame N settles every frame up to N.

import { configureMessage, packFrame, parseTextMessage, unpackResult } from "./protocol.js";
import { StreamStats } from "./stream_stats.js";
import { NewFrameWatcher } from "./video_frames.js";

const MAX_FRAMES_IN_FLIGHT = 2;
const TARGET_FPS = 30;
// A frame can vanish without an answer (rate limited, lost in a reconnect): after this long
// with nothing settled, the in-flight frames are written off so the loop never stalls.
const IN_FLIGHT_STALL_MS = 1500;
const MAX_BUFFERED_BYTES = 1_000_000;
const KEEPALIVE_MS = 10_000;
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000];
const SERVER_FULL_DELAY_MS = 3000;
const NORMAL_CLOSE = 1000;
const TRY_AGAIN_LATER = 1013;

export class TryonStream {
  /**
   * @param {object} options
   * @param {string} options.url          ws:// URL of /ws/tryon
   * @param {HTMLVideoElement} options.video   the frame source
   * @param {FrameEncoder} options.encoder
   * @param {object} options.config       initial configure fields (product, variant, mode, mirror)
   * @param {object} options.handlers     onOpen(ready), onClose(event, willRetry), onResult(meta, imageBytes|null),
   *                                      onServerError(error), onConfigured(config), onSent(frameId, frame),
   *                                      onMessage(other), onLocalError(error)
   */
  constructor({ url, video, encoder, config, handlers }) {
    this.url = url;
    this.video = video;
    this.encoder = encoder;
    this.newFrames = new NewFrameWatcher(video);
    this.config = { ...config };
    this.handlers = handlers;
    this.stats = new StreamStats();
    this.socket = null;
    this.ready = null;
    this.stopped = true;
    this.nextFrameId = 1;
    this.lastSentId = 0;
    this.lastSettledId = 0;
    this.lastSettledAt = 0;
    this.lastSentAt = -Infinity;
    this.encoding = false;
    this.pumpTimer = null;
    this.reconnectAttempt = 0;
    this.minIntervalMs = 1000 / TARGET_FPS;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.#connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.pumpTimer);
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(NORMAL_CLOSE, "page closed the session");
    this.socket = null;
  }

  get connected() {
    return this.socket?.readyState === WebSocket.OPEN && this.ready !== null;
  }

  /** Change any subset of the configure fields; sent now if connected, and on every reconnect. */
  configure(fields) {
    Object.assign(this.config, fields);
    if (this.connected) this.socket.send(configureMessage(fields));
  }

  #connect() {
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.ready = null;
    socket.addEventListener("message", (event) => this.#onMessage(socket, event));
    socket.addEventListener("close", (event) => this.#onClose(socket, event));
  }

  #onMessage(socket, event) {
    if (socket !== this.socket) return;
    try {
      if (typeof event.data === "string") {
        this.#onText(parseTextMessage(event.data));
      } else {
        const { meta, image } = unpackResult(event.data);
        this.#onResult(meta, image);
      }
    } catch (error) {
      this.handlers.onLocalError?.(error);
    }
  }

  #onText(message) {
    switch (message.type) {
      case "ready":
        this.ready = message;
        this.reconnectAttempt = 0;
        this.#applyLimits(message.limits ?? {});
        this.socket.send(configureMessage(this.config));
        this.lastSettledId = this.lastSentId;
        this.handlers.onOpen?.(message);
        this.#schedulePump(0);
        break;
      case "result":
        this.#onResult(message, null);
        break;
      case "configured":
        this.handlers.onConfigured?.(message.config);
        break;
      case "error":
        if (Number.isInteger(message.frame_id)) this.#settle(message.frame_id);
        this.handlers.onServerError?.(message);
        break;
      default:
        this.handlers.onMessage?.(message);
    }
  }

  #applyLimits(limits) {
    if (Number.isFinite(limits.max_fps) && limits.max_fps > 0) {
      // Stay under the server's token bucket, so frames are never dropped as rate_limited.
      this.minIntervalMs = 1000 / Math.min(TARGET_FPS, limits.max_fps * 0.9);
    }
  }

  #onResult(meta, image) {
    const now = performance.now();
    this.#settle(meta.frame_id);
    this.stats.addResult(now, meta.capture_ts_ms);
    this.handlers.onResult?.(meta, image, now);
    this.#schedulePump(0);
  }

  #settle(frameId) {
    if (frameId > this.lastSettledId) this.lastSettledId = frameId;
    this.lastSettledAt = performance.now();
  }

  #onClose(socket, event) {
    if (socket !== this.socket) return;
    this.ready = null;
    clearTimeout(this.pumpTimer);
    const willRetry = !this.stopped && event.code !== NORMAL_CLOSE;
    this.handlers.onClose?.(event, willRetry);
    if (!willRetry) return;
    const delay = event.code === TRY_AGAIN_LATER
      ? SERVER_FULL_DELAY_MS
      : RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)];
    this.reconnectAttempt += 1;
    setTimeout(() => { if (!this.stopped && this.socket === socket) this.#connect(); }, delay);
  }

  #schedulePump(delayMs) {
    clearTimeout(this.pumpTimer);
    if (!this.stopped) this.pumpTimer = setTimeout(() => this.#pump(), delayMs);
  }

  async #pump() {
    if (!this.connected) return;
    const now = performance.now();
    const inFlight = this.lastSentId - this.lastSettledId;
    if (inFlight >= MAX_FRAMES_IN_FLIGHT && now - this.lastSettledAt > IN_FLIGHT_STALL_MS) {
      this.lastSettledId = this.lastSentId;
      this.lastSettledAt = now;
    }
    const waitMs = this.minIntervalMs - (now - this.lastSentAt);
    const canSend = !this.encoding && this.lastSentId - this.lastSettledId < MAX_FRAMES_IN_FLIGHT
      && this.socket.bufferedAmount < MAX_BUFFERED_BYTES && this.newFrames.hasNewFrame(now);
    if (!canSend || waitMs > 0) {
      this.#schedulePump(Math.max(waitMs, 5));
      if (now - this.lastSentAt > KEEPALIVE_MS) this.#keepAlive(now);
      return;
    }
    await this.#sendFrame(now);
    this.#schedulePump(Math.max(5, this.minIntervalMs - (performance.now() - now)));
  }

  async #sendFrame(now) {
    this.encoding = true;
    const socket = this.socket;
    try {
      const captureTs = performance.now();
      this.newFrames.take();
      const frame = await this.encoder.encode(this.video);
      if (!frame || socket !== this.socket || socket.readyState !== WebSocket.OPEN) return;
      const frameId = this.nextFrameId;
      this.nextFrameId = (this.nextFrameId + 1) >>> 0 || 1;
      if (this.lastSentId === this.lastSettledId) this.lastSettledAt = now;
      socket.send(packFrame(frameId, captureTs, frame.buffer));
      this.lastSentId = frameId;
      this.lastSentAt = now;
      this.handlers.onSent?.(frameId, frame);
    } catch (error) {
      this.handlers.onLocalError?.(error);
    } finally {
      this.encoding = false;
    }
  }

  #keepAlive(now) {
    this.socket.send(JSON.stringify({ type: "ping", t: now }));
    this.lastSentAt = now;
  }
}
