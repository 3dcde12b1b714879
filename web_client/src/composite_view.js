// `composite` mode: the server's pictures (product already drawn) shown on a canvas, in order.

import { imageMimeType } from "./protocol.js";

export class CompositeView {
  /** @param {HTMLCanvasElement} canvas  @param {{onShown?: (meta) => void}} hooks */
  constructor(canvas, { onShown } = {}) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.onShown = onShown;
    this.requested = 0; // sequence numbers, so a slow decode never overwrites a newer picture
    this.shown = 0;
    this.shownMeta = null;
  }

  /** Decode `imageBytes` (the result's picture) and draw it; resolves once it is on screen. */
  async show(meta, imageBytes) {
    const sequence = ++this.requested;
    const blob = new Blob([imageBytes], { type: imageMimeType(meta.image?.format) });
    const picture = await decodePicture(blob);
    try {
      if (sequence < this.shown) return;
      this.shown = sequence;
      const { width, height } = picture;
      if (this.canvas.width !== width || this.canvas.height !== height) {
        this.canvas.width = width;
        this.canvas.height = height;
      }
      this.context.drawImage(picture, 0, 0, width, height);
      this.shownMeta = meta;
      this.onShown?.(meta);
    } finally {
      picture.close?.();
    }
  }

  clear() {
    this.requested += 1;
    this.shown = this.requested;
    this.shownMeta = null;
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  get hasPicture() {
    return this.shownMeta !== null;
  }
}

async function decodePicture(blob) {
  if (typeof createImageBitmap === "function") return createImageBitmap(blob);
  const url = URL.createObjectURL(blob);
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    return image;
  } finally {
    URL.revokeObjectURL(url);
  }
}
