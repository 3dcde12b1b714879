// QR decoding off the main thread with jsQR (npm, served at /vendor/jsqr by the app), so the
// camera preview stays smooth. Message in: {id, data: Uint8ClampedArray RGBA, width, height}; out: {id, text} or {id, error}.
// A classic worker: jsQR ships as a UMD bundle, which importScripts loads as `self.jsQR`.

let loadError = null;
try {
  importScripts("/vendor/jsqr/dist/jsQR.js");
} catch (error) {
  loadError = `the QR decoder could not be loaded (${error.message ?? error})`;
}

self.addEventListener("message", ({ data }) => {
  const { id, data: rgba, width, height } = data;
  if (loadError) {
    self.postMessage({ id, error: loadError });
    return;
  }
  try {
    const found = self.jsQR(rgba, width, height, { inversionAttempts: "dontInvert" });
    self.postMessage({ id, text: found?.data ?? null });
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
});
