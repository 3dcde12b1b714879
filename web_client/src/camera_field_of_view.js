// The camera's field of view for the server's pose, when the page knows it.
//
// Browsers do not report it: MediaTrackSettings (Media Capture and Streams) has width, height,
// aspectRatio, facingMode and resizeMode but no focal length or field of view, and the only
// web API with camera intrinsics, WebXR Raw Camera Access, covers an immersive-ar session's
// rear camera in Chromium on Android, not the getUserMedia front camera a try-on uses. So the
// server's documented default (60 degrees across the longer side, tryon/geometry/camera.py)
// stands unless the page is told: a kiosk or mirror with a known camera opens the page with
// ?fov=DEGREES, which goes to the server as the `fov_deg` configure field.

export const MIN_FOV_DEG = 20; // the range the server accepts (docs/protocol.md)
export const MAX_FOV_DEG = 120;

/** The `fov` query parameter as degrees across the longer side, or null when absent or out of range. */
export function fieldOfViewFromQuery(params) {
  const text = params.get("fov");
  if (text === null || text.trim() === "") return null;
  const degrees = Number(text);
  return Number.isFinite(degrees) && degrees >= MIN_FOV_DEG && degrees <= MAX_FOV_DEG ? degrees : null;
}
