// The endpoints that need a key (`Authorization: Bearer`): staff keys for their stores, the admin
// key for everything, including the funnel.

import { ApiError, NetworkError, requestJson } from "./json_http.js";

const id = (value) => encodeURIComponent(value);

/** {role: "admin"|"staff", name, stores: [{id, name, timezone}]}: also how a key is checked. */
export function fetchMe(key) {
  return requestJson("/api/me", { key });
}

/** {store_id, date, timezone, reservations}; `date` (YYYY-MM-DD, store-local) defaults to today there. */
export function fetchDayReservations(key, storeId, date) {
  const query = date ? `?date=${id(date)}` : "";
  return requestJson(`/api/stores/${id(storeId)}/reservations${query}`, { key });
}

export function fetchStoreReservation(key, storeId, code) {
  return requestJson(`/api/stores/${id(storeId)}/reservations/${id(code)}`, { key });
}

/** `action`: "check-in" | "fulfil" | "no-show" | "cancel"; resolves to the updated reservation. */
export function applyStaffAction(key, storeId, code, action) {
  return requestJson(`/api/stores/${id(storeId)}/reservations/${id(code)}/${id(action)}`, { method: "POST", key });
}

/** The try-on to fulfilment funnel between two dates (inclusive), grouped by day/product/variant/store. */
export function fetchFunnel(key, { from, to, groupBy }) {
  const params = new URLSearchParams({ from, to, group_by: groupBy });
  return requestJson(`/api/analytics/funnel?${params}`, { key });
}

/** The same report as a CSV file (totals on the last line), for a spreadsheet. */
export async function fetchFunnelCsv(key, { from, to, groupBy }) {
  const url = `/api/analytics/funnel.csv?${new URLSearchParams({ from, to, group_by: groupBy })}`;
  let response;
  try {
    response = await fetch(url, { headers: { Authorization: `Bearer ${key}` } });
  } catch (error) {
    throw new NetworkError(url, error);
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => ({})), url);
  return response.blob();
}

/** The Server-Sent Events URL for a store; EventSource cannot send headers, so the key rides along. */
export function storeEventsUrl(key, storeId) {
  const params = new URLSearchParams({ store_id: storeId, key });
  return `/api/events?${params}`;
}
