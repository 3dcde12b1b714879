// JSON over fetch for the commerce pages: one error type for "the server said no" (with its status
// and body, so a page can tell a 409 from a 422) and one for "the server could not be reached".

/** The server answered with an error status; `body` is its JSON ({detail, error, ...}) or {}. */
export class ApiError extends Error {
  constructor(status, body, url) {
    super(describeDetail(body?.detail) || `HTTP ${status} from ${url}`);
    this.name = "ApiError";
    this.status = status;
    this.body = body ?? {};
    this.kind = body?.error ?? null; // the domain error's name, e.g. "InsufficientStock"
  }
}

/** No answer at all (offline, server down, connection dropped): the same request may be retried. */
export class NetworkError extends Error {
  constructor(url, cause) {
    super(`could not reach the server (${cause?.message ?? cause})`);
    this.name = "NetworkError";
    this.url = url;
    this.cause = cause;
  }
}

/**
 * `fetch` a JSON endpoint. `body` is sent as JSON; `key` becomes `Authorization: Bearer <key>`.
 * Resolves to the parsed reply (null for 204); rejects with ApiError or NetworkError.
 */
export async function requestJson(url, { method = "GET", body, key, headers = {} } = {}) {
  const sent = { Accept: "application/json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (key) sent.Authorization = `Bearer ${key}`;
  let response;
  try {
    response = await fetch(url, { method, headers: sent, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new NetworkError(url, error);
  }
  const text = await response.text().catch(() => "");
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, parsed, url);
  return parsed;
}

/** FastAPI's 422 detail is a list of {loc, msg}; domain errors send a sentence. */
function describeDetail(detail) {
  if (!detail) return "";
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail.map((item) => `${(item.loc ?? []).filter((part) => part !== "body").join(".")}: ${item.msg}`).join("; ");
  }
  return JSON.stringify(detail);
}
