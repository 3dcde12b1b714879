// One <video> frame -> JPEG bytes at the source's own aspect, at most 640 px on the long side.

export const MAX_LONG_SIDE_PX = 640;
export const JPEG_QUALITY = 0.8;

/** Size a frame is sent at: the video's size, scaled down so the long side is <= maxLongSide. */
export function frameSize(videoWidth, videoHeight, maxLongSide = MAX_LONG_SIDE_PX) {
  const scale = Math.min(1, maxLongSide / Math.max(videoWidth, videoHeight));
  return { width: Math.max(1, Math.round(videoWidth * scale)), height: Math.max(1, Math.round(videoHeight * scale)) };
}

const workerSupported = () => typeof Worker !== "undefined" && typeof OffscreenCanvas !== "undefined"
  && "convertToBlob" in OffscreenCanvas.prototype && typeof createImageBitmap === "function";

/**
 * Captures from a <video>: in a worker (ImageBitmap -> OffscreenCanvas.convertToBlob) where the
 * browser has one, else on the main thread with canvas.toBlob.
 */
export class FrameEncoder {
  constructor({ maxLongSide = MAX_LONG_SIDE_PX, quality = JPEG_QUALITY } = {}) {
    this.maxLongSide = maxLongSide;
    this.quality = quality;
    this.worker = null;
    this.pending = new Map(); // request id -> {resolve, reject}
    this.nextId = 1;
    if (workerSupported()) this.#startWorker();
    this.canvas = null;
  }

  /** The current video frame as {buffer: ArrayBuffer (JPEG), width, height}, or null if none yet. */
  async encode(video) {
    if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || !video.videoWidth) return null;
    const { width, height } = frameSize(video.videoWidth, video.videoHeight, this.maxLongSide);
    const buffer = this.worker ? await this.#encodeInWorker(video, width, height) : await this.#encodeHere(video, width, height);
    return { buffer, width, height };
  }

  #startWorker() {
    try {
      this.worker = new Worker(new URL("./frame_encoder_worker.js", import.meta.url));
    } catch (error) {
      console.warn("tryon: no encoding worker, encoding on the main thread", error);
      this.worker = null;
      return;
    }
    this.worker.addEventListener("message", ({ data }) => {
      const request = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (!request) return;
      if (data.error) request.reject(new Error(`JPEG encoding failed: ${data.error}`));
      else request.resolve(data.buffer);
    });
    this.worker.addEventListener("error", (event) => {
      console.warn("tryon: encoding worker failed, encoding on the main thread", event.message);
      this.worker = null;
      this.pending.forEach((request) => request.reject(new Error("the encoding worker stopped")));
      this.pending.clear();
    });
  }

  async #encodeInWorker(video, width, height) {
    const bitmap = await createImageBitmap(video);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, bitmap, width, height, quality: this.quality }, [bitmap]);
    });
  }

  #encodeHere(video, width, height) {
    if (!this.canvas) {
      this.canvas = document.createElement("canvas");
      this.context = this.canvas.getContext("2d", { alpha: false });
    }
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.context.drawImage(video, 0, 0, width, height);
    return new Promise((resolve, reject) => {
      this.canvas.toBlob((blob) => (blob ? resolve(blob.arrayBuffer()) : reject(new Error("JPEG encoding failed"))),
        "image/jpeg", this.quality);
    });
  }
}
