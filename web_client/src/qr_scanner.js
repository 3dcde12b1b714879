// Scanning a reservation's QR code with the desk's camera: frames from getUserMedia, decoded by
// jsQR in a worker a few times a second, stopped at the first code found.

const SCAN_INTERVAL_MS = 150;
const SCAN_WIDTH = 640; // enough pixels for a phone-screen QR at arm's length, cheap to decode

/** The reservation code inside a scanned text: the QR holds the page URL .../r/CODE. */
export function codeFromScan(text) {
  const trimmed = (text ?? "").trim();
  const match = /\/r\/([^/?#]+)/.exec(trimmed);
  return decodeURIComponent(match ? match[1] : trimmed).toUpperCase();
}

export class QrScanner {
  /** `video`: where the preview plays; `onCode(text)` once per scan; `onError(message)`. */
  constructor(video, { onCode, onError }) {
    Object.assign(this, { video, onCode, onError });
    this.stream = null;
    this.worker = null;
    this.timer = null;
    this.waiting = false;
    this.canvas = document.createElement("canvas");
  }

  get running() {
    return this.stream !== null;
  }

  async start() {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error("This browser cannot use a camera here (it needs https). Type the code instead.");
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      const refused = error.name === "NotAllowedError";
      throw new Error(refused ? "Camera access was refused. Allow it in the site settings, or type the code."
        : `No camera could be opened (${error.name}). Type the code instead.`);
    }
    this.video.srcObject = this.stream;
    await this.video.play();
    this.worker ??= this.startWorker();
    this.timer = setInterval(() => this.scanFrame(), SCAN_INTERVAL_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.waiting = false;
  }

  startWorker() {
    const worker = new Worker("/static/qr_scanner_worker.js");
    worker.addEventListener("message", ({ data }) => {
      this.waiting = false;
      if (!this.running) return;
      if (data.error) {
        this.stop();
        this.onError(`QR scanning is not available: ${data.error}. Type the code instead.`);
      } else if (data.text) {
        this.stop();
        this.onCode(data.text);
      }
    });
    worker.addEventListener("error", (event) => {
      this.stop();
      this.onError(`QR scanning is not available (${event.message || "decoder failed"}). Type the code instead.`);
    });
    return worker;
  }

  /** One frame to the worker, unless it is still busy with the last one. */
  scanFrame() {
    const { videoWidth, videoHeight } = this.video;
    if (this.waiting || !videoWidth || !videoHeight) return;
    const scale = Math.min(1, SCAN_WIDTH / videoWidth);
    this.canvas.width = Math.round(videoWidth * scale);
    this.canvas.height = Math.round(videoHeight * scale);
    const context = this.canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    const pixels = context.getImageData(0, 0, this.canvas.width, this.canvas.height);
    this.waiting = true;
    const { data, width, height } = pixels;
    this.worker.postMessage({ id: Date.now(), data, width, height }, [data.buffer]);
  }
}
