// The /ws/tryon wire format (docs/protocol.md), on bytes alone: no sockets, no DOM.

export const PROTOCOL_VERSION = 1;

// Client -> server frame: "TRY1", uint32 LE frame id, float64 LE capture time (ms), image.
const FRAME_MAGIC = [0x54, 0x52, 0x59, 0x31];
export const FRAME_HEADER_BYTES = 16;
// Server -> client composite result: "TRR1", uint32 LE JSON length, JSON, image.
const RESULT_MAGIC = [0x54, 0x52, 0x52, 0x31];
const RESULT_HEADER_BYTES = 8;

export class MalformedResult extends Error {}

/** One binary frame message: header + the encoded image (an ArrayBuffer of JPEG/WebP/PNG). */
export function packFrame(frameId, captureTsMs, imageBuffer) {
  const image = new Uint8Array(imageBuffer);
  const message = new Uint8Array(FRAME_HEADER_BYTES + image.byteLength);
  const view = new DataView(message.buffer);
  FRAME_MAGIC.forEach((byte, i) => view.setUint8(i, byte));
  view.setUint32(4, frameId >>> 0, true);
  view.setFloat64(8, captureTsMs, true);
  message.set(image, FRAME_HEADER_BYTES);
  return message.buffer;
}

/** A composite result message -> {meta, image: Uint8Array view of the picture bytes}. */
export function unpackResult(buffer) {
  if (buffer.byteLength < RESULT_HEADER_BYTES) {
    throw new MalformedResult(`result message of ${buffer.byteLength} bytes has no header`);
  }
  const view = new DataView(buffer);
  RESULT_MAGIC.forEach((byte, i) => {
    if (view.getUint8(i) !== byte) throw new MalformedResult("result message does not start with TRR1");
  });
  const length = view.getUint32(4, true);
  const end = RESULT_HEADER_BYTES + length;
  if (end > buffer.byteLength) throw new MalformedResult("result message is shorter than its JSON length says");
  const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, RESULT_HEADER_BYTES, length)));
  return { meta, image: new Uint8Array(buffer, end) };
}

/** A text message -> an object with a string `type`, or throws MalformedResult. */
export function parseTextMessage(text) {
  const message = JSON.parse(text);
  if (message === null || typeof message !== "object" || typeof message.type !== "string") {
    throw new MalformedResult('a server text message must be an object with a string "type"');
  }
  return message;
}

export function configureMessage(fields) {
  return JSON.stringify({ type: "configure", ...fields });
}

/** MIME type of a result picture's `image.format`. */
export function imageMimeType(format) {
  return format === "webp" ? "image/webp" : "image/jpeg";
}
