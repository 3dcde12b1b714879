// Whether the <video> has shown a new frame since the last one sent, so a 25 fps clip or a
// 15 fps webcam is not sent twice per frame at the 30 fps pace (each copy costs the server a
// full track + render). Uses requestVideoFrameCallback; without it, every tick is "new".

// No callback for this long (hidden video, paused clip, a browser that never calls back):
// stop trusting the callback and treat frames as new again.
const CALLBACK_SILENCE_MS = 500;

export class NewFrameWatcher {
  constructor(video) {
    this.video = video;
    this.supported = typeof video.requestVideoFrameCallback === "function";
    this.presented = 0;
    this.taken = -1;
    this.lastCallbackAt = -Infinity;
    if (this.supported) this.#listen();
  }

  #listen() {
    this.video.requestVideoFrameCallback((now, metadata) => {
      this.presented = metadata.presentedFrames ?? this.presented + 1;
      this.lastCallbackAt = performance.now();
      this.#listen();
    });
  }

  hasNewFrame(nowMs) {
    if (!this.supported || nowMs - this.lastCallbackAt > CALLBACK_SILENCE_MS) return true;
    return this.presented !== this.taken;
  }

  /** The frame on screen now is being sent. */
  take() {
    this.taken = this.presented;
  }
}
