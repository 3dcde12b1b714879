// The server's HTTP endpoints the page uses (docs/protocol.md, "HTTP endpoints used by clients").

export const SAMPLE_VIDEO_URL = "/api/sample-video";
const DEFAULT_WS_PATH = "/ws/tryon";

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`GET ${url} failed: HTTP ${response.status}`);
  return response.json();
}

/** The catalog: [{id, name, category, description, variants, default_variant, model_url, ...}]. */
export async function fetchProducts() {
  const body = await getJson("/api/products");
  return Array.isArray(body) ? body : body.products ?? [];
}

/** Limits and defaults; missing fields fall back to the documented defaults. */
export async function fetchConfig() {
  try {
    return await getJson("/api/config");
  } catch (error) {
    console.warn("tryon: /api/config unavailable, using protocol defaults", error);
    return {};
  }
}

export function webSocketUrl(config) {
  const path = config.ws_path ?? DEFAULT_WS_PATH;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}

/** Whether the server offers a sample video (`sample_video` in /api/config; unknown: assume so). */
export function hasSampleVideo(config) {
  return config.sample_video !== false;
}

/** URL of the product's normalised GLB (metres, product frame) wearing `variant`. */
export function modelUrl(productId, variant, catalogEntry) {
  const base = catalogEntry?.model_url ?? `/api/products/${encodeURIComponent(productId)}/model.glb`;
  const url = new URL(base, location.origin);
  if (variant) url.searchParams.set("variant", variant);
  else url.searchParams.delete("variant");
  return url.pathname + url.search;
}
