// JPEG encoding off the main thread. Chromium runs canvas encoding in idle time, which a page
// busy drawing 3D at the display rate does not have (it then waits up to a second per frame).
// Message in: {id, bitmap: ImageBitmap, width, height, quality}; out: {id, buffer} or {id, error}.

let canvas = null;
let context = null;

self.addEventListener("message", async ({ data }) => {
  const { id, bitmap, width, height, quality } = data;
  try {
    if (!canvas) {
      canvas = new OffscreenCanvas(width, height);
      context = canvas.getContext("2d", { alpha: false });
    }
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    context.drawImage(bitmap, 0, 0, width, height);
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality });
    const buffer = await blob.arrayBuffer();
    self.postMessage({ id, buffer }, [buffer]);
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  } finally {
    bitmap.close();
  }
});
