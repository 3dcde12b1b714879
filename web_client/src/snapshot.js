// "Save snapshot": the try-on frame on screen, as the shopper sees it, downloaded as a JPEG.

const SNAPSHOT_QUALITY = 0.92;

/** Composite mode: the server's picture, exactly as shown (already mirrored by the server). */
export function snapshotOfComposite(compositeCanvas) {
  return canvasToJpeg(compositeCanvas);
}

/** Pose mode: the live video with the three.js canvas over it, mirrored like the view. */
export function snapshotOfPoseView(video, poseCanvas, mirrored) {
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext("2d");
  if (mirrored) {
    context.translate(canvas.width, 0);
    context.scale(-1, 1);
  }
  context.drawImage(video, 0, 0, canvas.width, canvas.height);
  context.drawImage(poseCanvas, 0, 0, canvas.width, canvas.height);
  return canvasToJpeg(canvas);
}

export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function snapshotFilename(productId, date = new Date()) {
  const stamp = date.toISOString().replace(/[:.]/g, "-").replace("T", "_").slice(0, 19);
  return `tryon-${productId || "no-product"}-${stamp}.jpg`;
}

function canvasToJpeg(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("the snapshot could not be encoded"))),
      "image/jpeg", SNAPSHOT_QUALITY);
  });
}
