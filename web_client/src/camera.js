// Frame sources for the <video> element: the shopper's camera, or the server's sample clip.

import { SAMPLE_VIDEO_URL } from "./api.js";

/** A camera that cannot be opened; `kind` says which message to show the shopper. */
export class CameraUnavailable extends Error {
  constructor(kind, message, cause) {
    super(message);
    this.name = "CameraUnavailable";
    this.kind = kind; // "refused" | "absent" | "busy" | "unsupported"
    this.cause = cause;
  }
}

const SAMPLE_HINT = "You can still try products on with our sample video: press \u201cNo camera? Try with a sample video\u201d.";

/** The getUserMedia failure -> a CameraUnavailable whose message says what to do next. */
export function describeCameraError(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
    case "PermissionDeniedError":
      return new CameraUnavailable("refused",
        "Camera access was refused. Allow the camera for this site in your browser's address bar " +
        `or settings, then press \u201cUse my camera\u201d again. ${SAMPLE_HINT}`, error);
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return new CameraUnavailable("absent", `No camera was found on this device. ${SAMPLE_HINT}`, error);
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return new CameraUnavailable("busy",
        `The camera could not be started: another app may be using it. Close it and try again. ${SAMPLE_HINT}`, error);
    default:
      return new CameraUnavailable("absent",
        `The camera could not be opened (${error?.name ?? "unknown error"}: ${error?.message ?? error}). ${SAMPLE_HINT}`,
        error);
  }
}

/** Open the front camera (about 640x480) and play it in `video`; throws CameraUnavailable. */
export async function startCamera(video) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CameraUnavailable("unsupported",
      "This browser cannot open a camera on this page (cameras need https or localhost). " + SAMPLE_HINT);
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
    });
  } catch (error) {
    throw describeCameraError(error);
  }
  stopSource(video);
  video.srcObject = stream;
  await playWhenReady(video);
  return stream;
}

/** Play the server's sample clip in `video` (muted, looping, inline) instead of a camera. */
export async function startSampleVideo(video) {
  stopSource(video);
  video.muted = true;
  video.loop = true;
  video.playsInline = true;
  video.src = SAMPLE_VIDEO_URL;
  await playWhenReady(video);
}

export function stopSource(video) {
  const stream = video.srcObject;
  if (stream && typeof stream.getTracks === "function") stream.getTracks().forEach((track) => track.stop());
  video.srcObject = null;
  video.removeAttribute("src");
}

async function playWhenReady(video) {
  if (video.readyState < HTMLMediaElement.HAVE_METADATA) {
    await new Promise((resolve, reject) => {
      const cleanup = () => {
        video.removeEventListener("loadedmetadata", onReady);
        video.removeEventListener("error", onError);
      };
      const onReady = () => { cleanup(); resolve(); };
      const onError = () => {
        cleanup();
        reject(new Error(`the video could not be loaded (${video.error?.message || "media error " + video.error?.code})`));
      };
      video.addEventListener("loadedmetadata", onReady);
      video.addEventListener("error", onError);
    });
  }
  await video.play();
}
